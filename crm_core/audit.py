"""The audit log: who changed what, when, and from which value."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, select

from .security import Actor
from .storage import schema
from .storage.types import utcnow


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Field-level ``{field: [before, after]}`` for the fields that differ."""
    changes: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            changes[key] = [old, new]
    return changes


def record(
    connection: Connection,
    actor: Actor,
    record_type: str,
    record_id: object,
    action: str,
    changes: Mapping[str, Any],
    import_id: int | None = None,
) -> None:
    """Write one audit entry in the caller's transaction."""
    connection.execute(
        schema.audit.insert().values(
            at=utcnow(),
            actor_id=actor.id,
            record_type=record_type,
            record_id=str(record_id),
            action=action,
            changes=dict(changes),
            import_id=import_id,
        )
    )


def record_many(
    connection: Connection,
    actor: Actor,
    record_type: str,
    entries: Iterable[tuple[object, str, Mapping[str, Any]]],
    import_id: int | None = None,
) -> None:
    """Write several audit entries at once (imports, bulk actions)."""
    now = utcnow()
    rows = [
        {
            "at": now,
            "actor_id": actor.id,
            "record_type": record_type,
            "record_id": str(record_id),
            "action": action,
            "changes": dict(changes),
            "import_id": import_id,
        }
        for record_id, action, changes in entries
    ]
    if rows:
        connection.execute(schema.audit.insert(), rows)


def history(
    connection: Connection, record_type: str, record_id: object
) -> list[dict[str, Any]]:
    """A record's audit entries, oldest first, with the actor's name."""
    a, u = schema.audit, schema.user
    rows = connection.execute(
        select(a, u.c.name.label("actor_name"))
        .select_from(a.outerjoin(u, u.c.id == a.c.actor_id))
        .where(a.c.record_type == record_type, a.c.record_id == str(record_id))
        .order_by(a.c.id)
    ).mappings()
    return [dict(row) for row in rows]
