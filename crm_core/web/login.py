"""Signing in and out of the pages.

A failed sign-in says the same thing whether or not the e-mail address is
known, and takes about as long, so the form cannot be used to find accounts.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from ..auth import csrf, log_in
from ..i18n import N_, gettext
from ..security import check_password, hash_password
from ..storage import schema
from .shell import host, pages, signed_in

WRONG = N_("That e-mail address and password do not match an account that can sign in.")


@cache
def _decoy_hash() -> str:
    """A hash checked when the account is unknown, so both answers take as long."""
    return hash_password("not a real password, only spends the same time")


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else ``None``.

    Only ``/path?query`` forms are kept: no scheme, no host, no ``//`` or
    backslash tricks that a browser would read as another site.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@pages.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The sign-in form; a success goes back to the page that asked for it."""
    target = safe_next(request.values.get("next"))
    if signed_in() is not None:
        return redirect(target or url_for("pages.index"))
    if request.method == "GET":
        return render_template("crm/login.html", next=target, email="")
    # No session yet, so the host's check does not run; a forged sign-in
    # could otherwise put a victim into an attacker's account.
    csrf.protect()
    email = request.form.get("email", "").strip()
    user = _check_credentials(email, request.form.get("password", ""))
    if user is None:
        return (
            render_template(
                "crm/login.html", next=target, email=email, error=gettext(WRONG)
            ),
            401,
        )
    log_in(user["id"], user["session_epoch"])
    return redirect(target or url_for("pages.index"))


def _check_credentials(email: str, password: str) -> dict[str, Any] | None:
    u = schema.user
    with host().db.connect() as connection:
        row = (
            connection.execute(
                select(u.c.id, u.c.password_hash, u.c.session_epoch).where(
                    func.lower(u.c.email) == email.lower(),
                    u.c.is_active.is_(True),
                    u.c.can_login.is_(True),
                )
            )
            .mappings()
            .first()
        )
    if row is None or not email or not row["password_hash"]:
        check_password(_decoy_hash(), password)
        return None
    if not check_password(row["password_hash"], password):
        return None
    return dict(row)


@pages.route("/logout", methods=["POST"])
def logout() -> Response:
    """End this browser's session (the form carries the CSRF token)."""
    session.clear()
    flash(gettext("You are signed out."), "info")
    return redirect(url_for("pages.login"))
