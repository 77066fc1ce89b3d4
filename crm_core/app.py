"""The Flask host: builds the app, loads plugins, mounts their API and pages.

Nothing else happens here; in particular nothing is migrated. A database
behind its migrations is reported in the log and by the health endpoint.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask_smorest import Api

from . import auth, problems
from .config import Config
from .host import Host
from .i18n import web as i18n_web

log = logging.getLogger("crm_core")

API_PREFIX = "/api/v1"


def create_app(
    config: Config | Mapping[str, Any] | None = None, *, host: Host | None = None
) -> Flask:
    """Build the Flask application for ``config`` (or an existing ``host``)."""
    if host is None:
        host = Host(config if isinstance(config, Config) else Config.load(config))
    app = Flask("crm_core", static_folder=None)
    app.config.update(
        SECRET_KEY=host.config.secret_key or _secret_key(host.config),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=host.config.session_cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        API_TITLE="Strata CRM",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=50 * 1024 * 1024,
    )
    app.extensions["crm"] = host
    auth.init_app(app)
    # Languages: Flask-Babel over the plugins' catalogues (see crm_core.i18n).
    i18n_web.init_app(app)
    api = Api(app, spec_kwargs={"info": {"description": "Strata CRM REST API"}})
    # After the Api: flask-smorest registers its own error handler, ours wins.
    problems.init_app(app)
    app.extensions["crm_api"] = api
    prefixes = Host.unique(
        host.plugins.collect("crm_api_blueprints"),
        lambda bp: bp.url_prefix or bp.name,
        "API route",
    )
    for contribution in prefixes:
        blueprint = contribution.value
        api.register_blueprint(
            blueprint, url_prefix=API_PREFIX + (blueprint.url_prefix or "")
        )
    for contribution in Host.unique(
        host.plugins.collect("crm_page_blueprints"),
        lambda bp: bp.name,
        "page blueprint",
    ):
        app.register_blueprint(contribution.value)
    try:
        behind = host.pending_migrations()
    except Exception:  # an unreachable database is reported by /api/v1/health
        log.exception("could not check the database's migrations")
        behind = []
    if behind:
        log.warning(
            "database is behind its migrations for %s; run 'crm db upgrade'",
            ", ".join(behind),
        )
    return app


def _secret_key(config: Config) -> str:
    """A per-installation key kept in the data folder, made on first use."""
    path = Path(config.data_dir) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
