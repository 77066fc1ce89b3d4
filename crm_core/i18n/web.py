"""Languages on the pages: choosing the reader's locale and zone, and switching.

A signed-in user reads in the language stored on their account
(``core_user.language``) and their time zone; anyone else in the language
chosen with the switch in the page header, else the best match of the
browser's ``Accept-Language``, else English.
"""

from __future__ import annotations

from typing import Any

import flask_babel
from babel.support import NullTranslations
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    has_app_context,
    redirect,
    request,
    session,
    url_for,
)
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import audit
from ..auth import csrf
from ..storage import schema
from ..storage.types import utcnow
from ..web.login import safe_next
from ..web.shell import host, signed_in
from . import terms
from .catalogues import DEFAULT_LOCALE, LANGUAGES, catalogues_for, supported_locale
from .formats import current_locale, format_day, format_money, format_number, html_lang
from .messages import gettext, in_locale

#: The session key of a language chosen by someone not signed in.
SESSION_KEY = "language"

i18n_pages = Blueprint("i18n_pages", __name__)


class _HostDomain(flask_babel.Domain):
    """Flask-Babel's message lookup, answered from the host's catalogues."""

    def get_translations(self) -> NullTranslations:
        if not has_app_context():
            return NullTranslations()
        host = current_app.extensions.get("crm")
        if host is None:
            return NullTranslations()
        return catalogues_for(host).translations(current_locale())


_DOMAIN = _HostDomain()


class _Babel(flask_babel.Babel):
    @property
    def domain_instance(self) -> _HostDomain:
        return _DOMAIN


def select_locale() -> str:
    """The language of this request (see the module notes)."""
    actor = g.get("actor")
    if actor is not None and actor.user is not None and g.get("auth") == "session":
        return supported_locale(actor.user.language) or DEFAULT_LOCALE
    chosen = supported_locale(session.get(SESSION_KEY))
    if chosen is not None:
        return chosen
    for tag, _quality in request.accept_languages:
        found = supported_locale(tag)
        if found is not None:
            return found
    return DEFAULT_LOCALE


def select_timezone() -> str:
    actor = g.get("actor")
    if actor is not None and actor.user is not None:
        return str(actor.user.timezone or "UTC")
    return "UTC"


def init_app(app: Flask) -> None:
    """Install Flask-Babel with the host's catalogues, filters and the shell's data."""
    _Babel().init_app(
        app,
        default_locale=DEFAULT_LOCALE,
        default_timezone="UTC",
        locale_selector=select_locale,
        timezone_selector=select_timezone,
    )
    app.jinja_env.filters.update(
        crm_term=terms.term,
        crm_error_name=terms.error_name,
        crm_error_text=terms.error_text,
        crm_number=format_number,
        crm_money=format_money,
        crm_day=format_day,
    )
    app.context_processor(language_context)


def language_context() -> dict[str, Any]:
    """What the shell's language switch needs."""
    locale = current_locale()
    return {
        "crm_locale": locale,
        "crm_lang": html_lang(locale),
        "crm_languages": list(LANGUAGES.items()),
        "crm_here": request.full_path.rstrip("?") if request else "/",
    }


@i18n_pages.route("/language", methods=["POST"])
def switch_language() -> Response:
    """Store the chosen language: on the account when signed in, else in the browser."""
    # Anyone may switch, signed in or not; the form carries the CSRF token.
    csrf.protect()
    chosen = supported_locale(request.form.get("language"))
    if chosen is None:
        abort(400, gettext("Choose one of the languages offered."))
    actor = signed_in()
    if actor is not None and actor.user is not None:
        with host().db.transaction() as connection:
            store_language(connection, actor, chosen)
    else:
        session[SESSION_KEY] = chosen
    with in_locale(chosen):
        flash(gettext("The pages are now in %(language)s.", language=LANGUAGES[chosen]))
    target = safe_next(request.form.get("next"))
    return redirect(target or url_for("pages.index"))


def store_language(connection: Any, actor: Any, chosen: str) -> None:
    """Change the acting user's language, with an audit entry."""
    u = schema.user
    before = connection.execute(select(u.c.language).where(u.c.id == actor.id)).scalar()
    if before == chosen:
        return
    connection.execute(
        u.update()
        .where(u.c.id == actor.id)
        .values(language=chosen, updated_at=utcnow())
    )
    audit.record(
        connection, actor, "user", actor.id, "update", {"language": [before, chosen]}
    )
