"""One's own account: language, time zone and absences."""

from __future__ import annotations

from functools import cache
from typing import Any
from zoneinfo import available_timezones

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..auth import current_actor
from ..customers import InvalidInput, NotFound
from ..i18n import LANGUAGES, gettext, in_locale
from ..security import PermissionDenied
from ..storage.types import utcnow
from ..web.shell import host
from . import accounts, availability
from .pages import users_pages


@cache
def zone_names() -> tuple[str, ...]:
    """The IANA time zones, sorted, without the legacy aliases."""
    return tuple(
        sorted(
            name
            for name in available_timezones()
            if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/"))
        )
        + ["UTC"]
    )


def _user_id() -> int:
    actor = current_actor()
    if actor.id is None:
        abort(404)
    return actor.id


def _render(
    profile: dict[str, Any],
    errors: dict[str, Any] | None = None,
    absence_values: dict[str, str] | None = None,
) -> str:
    with host().db.connect() as connection:
        today = availability.local_day(utcnow(), profile["timezone"])
        away = availability.absences(connection, profile["id"], since=today)
    return render_template(
        "crm/users/account.html",
        profile=profile,
        values={
            "language": profile["language"],
            "timezone": profile["timezone"],
            **(absence_values or {"starts_on": "", "ends_on": "", "note": ""}),
        },
        errors=errors or {},
        conflict={},
        languages=list(LANGUAGES.items()),
        zones=zone_names(),
        absences=away,
    )


@users_pages.route("/account", methods=["GET", "POST"])
def account() -> Any:
    """Show, and change, the signed-in user's language and time zone."""
    actor = current_actor()
    user_id = _user_id()
    with host().db.connect() as connection:
        profile = accounts.user_row(connection, user_id)
    if request.method == "GET":
        return _render(profile)
    data = {k: request.form.get(k, "") for k in ("language", "timezone")}
    try:
        with host().db.transaction() as connection:
            saved = accounts.update_profile(connection, actor, data)
    except InvalidInput as error:
        return _render({**profile, **data}, error.errors), 400
    with in_locale(saved["language"]):
        flash(gettext("Your settings were saved."), "success")
    return redirect(url_for("users_pages.account"))


@users_pages.route("/account/absences", methods=["POST"])
def add_absence() -> Any:
    """Record days the signed-in user is away."""
    actor = current_actor()
    user_id = _user_id()
    data = {k: request.form.get(k, "") for k in ("starts_on", "ends_on", "note")}
    try:
        with host().db.transaction() as connection:
            availability.add_absence(connection, actor, user_id, data)
    except InvalidInput as error:
        with host().db.connect() as connection:
            profile = accounts.user_row(connection, user_id)
        return _render(profile, error.errors, data), 400
    flash(gettext("Your absence was recorded."), "success")
    return redirect(url_for("users_pages.account"))


@users_pages.route("/account/absences/<int:absence_id>/delete", methods=["POST"])
def remove_absence(absence_id: int) -> Response:
    """Remove one of the signed-in user's absences."""
    actor = current_actor()
    try:
        with host().db.transaction() as connection:
            availability.remove_absence(connection, actor, absence_id)
    except (NotFound, PermissionDenied):
        abort(404, gettext("There is no such absence of yours."))
    flash(gettext("The absence was removed."), "success")
    return redirect(url_for("users_pages.account"))
