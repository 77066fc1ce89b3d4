"""The settings page: administrators see every declared setting and change it.

A secret's field is always empty; leaving it empty keeps the stored secret,
ticking "remove" clears it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from ..auth import current_actor
from ..customers import InvalidInput
from ..web.shell import host, page_error
from . import settings_service
from .service import READ_PERMISSION, WRITE_PERMISSION
from .specs import SettingSpec, SettingType

pages = Blueprint("settings_pages", __name__, template_folder="templates")
pages.register_error_handler(HTTPException, page_error)


@pages.route("/admin/settings", methods=["GET", "POST"])
def edit() -> Any:
    """Show the settings; store what an administrator changed."""
    actor = current_actor()
    if not actor.can(READ_PERMISSION) and not actor.can(WRITE_PERMISSION):
        abort(403, f"Your role does not allow this (it needs '{WRITE_PERMISSION}').")
    if request.method == "GET":
        return _render({}, {})
    if not actor.can(WRITE_PERMISSION):
        abort(403, f"Your role does not allow this (it needs '{WRITE_PERMISSION}').")
    service = settings_service(host())
    values, resets = posted(service.specs, request.form)
    try:
        with host().db.transaction() as connection:
            changed = service.update(connection, actor, values, from_form=True)
            changed += [k for k in resets if service.reset(connection, actor, k)]
    except InvalidInput as error:
        return _render(error.errors, values), 400
    if changed:
        flash(f"Saved {len(changed)} changed setting(s).", "success")
    else:
        flash("Nothing was changed.", "info")
    return redirect(url_for("settings_pages.edit"))


def posted(
    specs: Mapping[str, SettingSpec], form: Any
) -> tuple[dict[str, str], list[str]]:
    """The form's values by key (as text) and the keys to reset to their default."""
    values: dict[str, str] = {}
    resets: list[str] = []
    for key in form.getlist("shown"):
        spec = specs.get(key)
        if spec is None:
            continue
        if form.get(f"reset:{key}"):
            resets.append(key)
        elif spec.type is SettingType.BOOLEAN:
            values[key] = "yes" if form.get(key) else "no"
        elif spec.type is SettingType.SECRET:
            # An empty secret field keeps the stored secret.
            if form.get(key, ""):
                values[key] = form[key]
        else:
            values[key] = form.get(key, "")
    return values, resets


def _render(errors: Mapping[str, list[str]], entered: Mapping[str, str]) -> str:
    actor = current_actor()
    with host().db.connect() as connection:
        items = settings_service(host()).describe(connection)
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        shown = dict(item)
        if item["key"] in entered and item["type"] != SettingType.SECRET.value:
            shown["form_value"] = entered[item["key"]]
        else:
            shown["form_value"] = _as_text(item)
        groups.setdefault(item["plugin"], []).append(shown)
    return render_template(
        "crm/settings/edit.html",
        groups=groups,
        errors=errors,
        can_edit=actor.can(WRITE_PERMISSION),
    )


def _as_text(item: Mapping[str, Any]) -> Any:
    value = item["value"]
    if item["type"] == SettingType.HOSTS.value:
        return "\n".join(value or [])
    if item["type"] == SettingType.BOOLEAN.value:
        return bool(value)
    return "" if value is None else value
