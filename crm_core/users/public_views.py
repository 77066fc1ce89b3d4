"""Pages reached without signing in: accepting an invitation, resetting a password.

Asking for a reset answers the same whether or not the address belongs to
an account, so the form cannot be used to find out who has one; past
:data:`RESETS_PER_WINDOW` requests from one client address in
:data:`RESET_WINDOW`, it still answers the same but sends nothing, so it
cannot be used to flood someone's mailbox either.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from ..auth import csrf, log_in
from ..customers import InvalidInput
from ..forms import ratelimit
from ..i18n import gettext
from ..web.shell import host
from . import accounts, links
from .pages import secret_key, send_reset, users_public

RESETS_PER_WINDOW = 5
RESET_WINDOW = timedelta(minutes=15)


def _invalid_link(error: links.LinkInvalid) -> tuple[str, int]:
    return render_template("crm/users/link_invalid.html", reason=str(error)), 410


def _password_page(
    template: str, holder: links.LinkHolder, errors: dict[str, Any] | None = None
) -> str:
    return render_template(
        template, holder=holder, errors=errors or {}, conflict={}, values={}
    )


@users_public.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Any:
    """Choose a password for an invited account, then go in."""
    try:
        with host().db.connect() as connection:
            holder = links.check(connection, secret_key(), links.INVITATION, token)
    except links.LinkInvalid as error:
        return _invalid_link(error)
    template = "crm/users/accept.html"
    if request.method == "GET":
        return _password_page(template, holder)
    csrf.protect()
    try:
        with host().db.transaction() as connection:
            user_id, epoch = accounts.accept_invitation(
                connection,
                secret_key(),
                token,
                request.form.get("password", ""),
                request.form.get("password_again", ""),
            )
    except InvalidInput as error:
        return _password_page(template, holder, error.errors), 400
    except links.LinkInvalid as error:
        return _invalid_link(error)
    log_in(user_id, epoch)
    flash(gettext("Welcome to Strata, %(name)s.", name=holder.name), "success")
    return redirect(url_for("pages.index"))


@users_public.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> Any:
    """Ask for a password-reset link by e-mail."""
    if request.method == "GET":
        return render_template("crm/users/forgot.html", email="")
    csrf.protect()
    email = request.form.get("email", "").strip()
    client = "reset:" + (request.remote_addr or "unknown")
    with host().db.transaction() as connection:
        key = ratelimit.client_key(secret_key(), client)
        allowed = ratelimit.hit(connection, key, RESET_WINDOW) <= RESETS_PER_WINDOW
        found = accounts.request_reset(connection, secret_key(), email)
        if found is not None and allowed:
            send_reset(connection, *found)
    flash(
        gettext(
            "If an account that can sign in uses that address, a link to choose "
            "a new password is on its way. It works for two hours."
        ),
        "info",
    )
    return redirect(url_for("pages.login"))


@users_public.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Any:
    """Choose a new password through an e-mailed link; other sessions end."""
    try:
        with host().db.connect() as connection:
            holder = links.check(connection, secret_key(), links.RESET, token)
    except links.LinkInvalid as error:
        return _invalid_link(error)
    template = "crm/users/reset.html"
    if request.method == "GET":
        return _password_page(template, holder)
    csrf.protect()
    try:
        with host().db.transaction() as connection:
            user_id, epoch = accounts.reset_password(
                connection,
                secret_key(),
                token,
                request.form.get("password", ""),
                request.form.get("password_again", ""),
            )
    except InvalidInput as error:
        return _password_page(template, holder, error.errors), 400
    except links.LinkInvalid as error:
        return _invalid_link(error)
    log_in(user_id, epoch)
    flash(gettext("Your password was changed."), "success")
    return redirect(url_for("pages.index"))
