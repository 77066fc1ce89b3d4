"""The REST API under ``/api/v1``: customers, activities, relationships, fields, health.

:func:`blueprints` builds fresh blueprints for each app, since a blueprint's
routes and error handlers cannot change once an app has registered it.
"""

from __future__ import annotations

from flask_smorest import Blueprint

from . import customers, fields, health, records
from .kinds import ACTIVITIES, RELATIONSHIPS


def blueprints() -> list[Blueprint]:
    """The core's API blueprints, for the ``crm_api_blueprints`` hook."""
    return [
        customers.make_blueprint(),
        records.make_blueprint(ACTIVITIES),
        records.make_blueprint(RELATIONSHIPS),
        fields.make_blueprint(),
        health.make_blueprint(),
    ]


__all__ = ["blueprints"]
