"""``/api/v1/health``: whether the database answers and is fully migrated."""

from __future__ import annotations

import logging

from flask import Response
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .base import ApiBlueprint, crm_host, dumper, json_response
from .schemas import HealthSchema

log = logging.getLogger("crm_core.api")


def make_blueprint() -> ApiBlueprint:
    blp = ApiBlueprint(
        "api_health", url_prefix=None, description="Whether this server can serve"
    )

    @blp.route("/health")
    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    @blp.alt_response(
        503, schema=HealthSchema, description="The database is unreachable or behind"
    )
    def health() -> Response:
        """Report the database and its migrations (no token needed)"""
        host = crm_host()
        try:
            with host.db.connect() as connection:
                connection.execute(text("SELECT 1"))
            pending = host.pending_migrations()
            database = "ok"
        except (SQLAlchemyError, OSError) as error:
            log.warning("health check: database unreachable (%s)", type(error).__name__)
            pending, database = [], "unreachable"
        ready = database == "ok" and not pending
        body = {
            "status": "ok" if ready else "unavailable",
            "database": database,
            "pending_migrations": list(pending),
        }
        return json_response(dumper(HealthSchema).dump(body), 200 if ready else 503)

    return blp
