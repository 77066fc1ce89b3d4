"""The page blueprint and the shell every page shares.

The shell gives templates the navigation (from the ``crm_navigation`` hook,
filtered by permission), the signed-in user, date formatting in the user's
time zone, and strict security headers on every page response.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, current_app, g, render_template, request
from flask import url_for as flask_url_for
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import BuildError

from ..host import Host
from ..i18n import gettext
from ..security import Actor
from . import formatting

log = logging.getLogger("crm_core.web")

pages = Blueprint(
    "pages",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/crm",
)

#: Only this site's own scripts, styles, images and forms; nothing inline.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def host() -> Host:
    """The host behind the current app."""
    found: Host = current_app.extensions["crm"]
    return found


def signed_in() -> Actor | None:
    """The actor of this request when it came with a page session."""
    actor: Actor | None = g.get("actor")
    return actor if g.get("auth") == "session" else None


def navigation(actor: Actor | None) -> list[dict[str, Any]]:
    """The navigation entries ``actor`` may use, in their declared order."""
    if actor is None:
        return []
    items = [c.value for c in host().plugins.collect("crm_navigation")]
    entries = []
    for item in sorted(items, key=lambda i: (i.order, i.label)):
        if item.permission and not actor.can(item.permission):
            continue
        try:
            url = flask_url_for(item.endpoint)
        except BuildError:
            log.warning(
                "navigation entry %r points at unknown endpoint %r",
                item.label,
                item.endpoint,
            )
            continue
        entries.append(
            {
                "label": gettext(str(item.label)),
                "url": url,
                "current": _is_current(item.endpoint, url),
            }
        )
    return entries


def _is_current(endpoint: str, url: str) -> bool:
    if request.endpoint == endpoint:
        return True
    return url != "/" and request.path.startswith(url.rstrip("/") + "/")


@pages.app_context_processor
def shell_context() -> dict[str, Any]:
    """What ``crm/base.html`` needs, for the core's pages and every plugin's."""
    actor = signed_in()
    user = actor.user if actor is not None else None
    return {
        "crm_user": user,
        "crm_nav": navigation(actor) if request.endpoint else [],
    }


@pages.after_app_request
def security_headers(response: Response) -> Response:
    """Strict headers on every page, the core's and each plugin's.

    API responses are left alone: they are JSON, and the API's own
    documentation pages are the API's business.
    """
    if request.path.startswith("/api/"):
        return response
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@pages.errorhandler(HTTPException)
def page_error(error: HTTPException) -> Any:
    """HTTP errors of the pages as pages, inside the shell."""
    if error.code is None or error.code < 400:
        return error
    return render_template("crm/error.html", error=error), error.code


@pages.errorhandler(Exception)
def page_failure(error: Exception) -> Any:
    """An unexpected error: logged with its traceback, a plain apology shown."""
    if isinstance(error, HTTPException):
        return page_error(error)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render_template("crm/error.html", error=InternalServerError()), 500


pages.add_app_template_filter(formatting.when, "crm_when")
pages.add_app_template_filter(formatting.value, "crm_value")
pages.add_app_template_filter(formatting.audit_value, "crm_audit_value")
