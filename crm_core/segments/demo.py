"""Demo segments: a few rules over the core's demo customers, and a static list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..storage import schema

DEMO_SEGMENTS: tuple[dict[str, Any], ...] = (
    {
        "name": "Prospects called this quarter",
        "description": "Prospects with a phone activity in the last 90 days.",
        "rules": {
            "all": [
                {"field": "lifecycle_stage", "op": "eq", "value": "prospect"},
                {
                    "field": "activities",
                    "op": "exists",
                    "where": {"channel": "phone", "days": 90},
                },
            ]
        },
    },
    {
        "name": "People at customer organisations",
        "description": "People whose employer is a customer.",
        "rules": {
            "all": [
                {"field": "kind", "op": "eq", "value": "person"},
                {
                    "field": "organisation.lifecycle_stage",
                    "op": "eq",
                    "value": "customer",
                },
            ]
        },
    },
    {
        "name": "Quiet leads",
        "description": "Leads with nothing on their timeline for 60 days.",
        "rules": {
            "all": [
                {"field": "lifecycle_stage", "op": "eq", "value": "lead"},
                {"field": "activities", "op": "not_exists", "where": {"days": 60}},
            ]
        },
    },
)


def load_demo_segments(demo: Any) -> None:
    """Three rule-based segments, refreshed, and a static list of ten people."""
    from . import segment_members, segment_service

    service, members = segment_service(demo.host), segment_members(demo.host)
    with demo.host.db.transaction() as connection:
        made = [service.create(connection, demo.actor, data) for data in DEMO_SEGMENTS]
        for found in made:
            members.refresh(connection, found["id"])
        fair = service.create(
            connection,
            demo.actor,
            {
                "name": "Trade fair contacts",
                "kind": "static",
                "description": "People met at the spring trade fair.",
            },
        )
        c = schema.customer
        people = connection.execute(
            select(c.c.id).where(c.c.kind == "person").order_by(c.c.id).limit(10)
        ).scalars()
        members.add(connection, demo.actor, fair["id"], list(people))
