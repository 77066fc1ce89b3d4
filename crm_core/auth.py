"""Who is asking: API tokens for the API, signed session cookies for pages.

The acting user is reloaded on every request, so a deactivated user or a
revoked token is refused on the very next request, on every worker.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Flask,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect

from .problems import problem
from .security import Actor, actor_for_token

csrf = CSRFProtect()

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
PUBLIC_ENDPOINTS = {
    "static",
    "pages.login",
    "pages.static",
    "api_health.health",
    "mail_pages.unsubscribe",
}
# Languages, the user lifecycle and web forms: pages reached without signing in.
PUBLIC_ENDPOINTS |= {
    "i18n_pages.switch_language",
    "users_public.accept_invitation",
    "users_public.forgot_password",
    "users_public.reset_password",
    "forms_public.form",
    "forms_public.submit",
    "forms_public.confirm",
    "forms_public.thanks",
}
#: Public endpoints that check a token of their own instead of the session's
#: CSRF token: web forms posted from copies embedded on other sites.
OWN_TOKEN_ENDPOINTS = {"forms_public.submit"}


def current_actor() -> Actor:
    """The actor of the current request (set by :func:`init_app`'s hook)."""
    actor: Actor | None = g.get("actor")
    if actor is None:
        raise RuntimeError("no authenticated user in this request")
    return actor


def init_app(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)

    @app.before_request
    def authenticate() -> Any:
        host = current_app.extensions["crm"]
        g.actor = None
        g.auth = None
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            with host.db.connect() as connection:
                g.actor = actor_for_token(connection, header[7:].strip())
            if g.actor is None:
                return problem(
                    401,
                    "Unauthorized",
                    "the API token is unknown, expired or revoked",
                )
            g.auth = "token"
            return None
        user_id = session.get("uid")
        if user_id is not None:
            with host.db.connect() as connection:
                actor = host.actor(connection, int(user_id))
            if actor is not None and actor.session_epoch == session.get("epoch"):
                g.actor, g.auth = actor, "session"
            else:
                session.clear()
        if g.auth == "session" and request.method in UNSAFE:
            if request.endpoint not in OWN_TOKEN_ENDPOINTS:
                csrf.protect()
        if g.actor is None and request.endpoint not in PUBLIC_ENDPOINTS:
            if request.path.startswith("/api/"):
                return problem(
                    401,
                    "Unauthorized",
                    "send 'Authorization: Bearer <token>' (create one with 'crm tokens create')",
                )
            if request.endpoint is not None and not request.path.startswith("/static"):
                return redirect(url_for("pages.login", next=request.full_path))
        return None

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> Any:
        if request.path.startswith("/api/"):
            return problem(
                400,
                "Bad Request",
                f"CSRF check failed: {error.description}; "
                "send the X-CSRFToken header or use an API token",
            )
        return render_template("crm/error.html", error=error), 400


def log_in(user_id: int, epoch: int) -> None:
    session.clear()
    session["uid"] = user_id
    session["epoch"] = epoch
    session.permanent = True
