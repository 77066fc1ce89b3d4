"""Relation policies: what happens to rows pointing at a record when it is deleted.

Plugins declare, for each of their columns that points at a customer, whether
a delete is blocked while live rows point at it, cascades to them (soft, and
restored together), or detaches them (the link is cleared, and put back on
restore). Merging moves every declared link to the surviving record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, MetaData, Table, and_, func, select

from .contributions import OnDelete, RelationPolicy
from .storage import schema
from .storage.types import utcnow

CORE_POLICIES = (
    RelationPolicy("core_activity", "customer_id", OnDelete.CASCADE, "timeline"),
    RelationPolicy("core_relationship", "person_id", OnDelete.CASCADE, "workplaces"),
    RelationPolicy("core_relationship", "organisation_id", OnDelete.CASCADE, "people"),
    RelationPolicy("core_customer", "parent_id", OnDelete.DETACH, "subsidiaries"),
)


class DeleteBlocked(RuntimeError):
    """Live records still point at the record; the message says which and how many."""


class Relations:
    """The relation policies in force and their application."""

    def __init__(
        self, policies: Iterable[RelationPolicy], tables: Iterable[Table]
    ) -> None:
        self.policies = list(policies)
        self._tables = {t.name: t for t in tables}
        self._metadata = MetaData()

    def _table(self, connection: Connection, name: str) -> Table:
        if name not in self._tables:
            self._tables[name] = Table(name, self._metadata, autoload_with=connection)
        return self._tables[name]

    def apply_delete(
        self, connection: Connection, record_type: str, ids: Sequence[int], mark: str
    ) -> None:
        """Check blocks, then cascade and detach for deleting ``ids``."""
        for policy in self.policies:
            table = self._table(connection, policy.table)
            column = table.c[policy.column]
            live: Any = column.in_(ids)
            if "deleted_at" in table.c:
                live = and_(live, table.c.deleted_at.is_(None))
            if policy.on_delete is OnDelete.BLOCK:
                count = connection.execute(
                    select(func.count()).where(live)
                ).scalar_one()
                if count:
                    raise DeleteBlocked(
                        f"{count} {policy.label or policy.table} record(s) still point at "
                        f"this {record_type}; delete or move them first"
                    )
        for policy in self.policies:
            table = self._table(connection, policy.table)
            column = table.c[policy.column]
            if policy.on_delete is OnDelete.CASCADE:
                connection.execute(
                    table.update()
                    .where(column.in_(ids), table.c.deleted_at.is_(None))
                    .values(
                        deleted_at=utcnow(), deleted_by_cascade=_mark(record_type, ids)
                    )
                )
            elif policy.on_delete is OnDelete.DETACH:
                self._detach(connection, table, policy, ids, record_type)

    def _detach(
        self,
        connection: Connection,
        table: Table,
        policy: RelationPolicy,
        ids: Sequence[int],
        record_type: str,
    ) -> None:
        column = table.c[policy.column]
        rows = connection.execute(
            select(table.c.id, column).where(column.in_(ids))
        ).all()
        if not rows:
            return
        connection.execute(
            schema.audit.insert(),
            [
                {
                    "at": utcnow(),
                    "actor_id": None,
                    "record_type": policy.table,
                    "record_id": str(row_id),
                    "action": "detach",
                    "changes": {
                        policy.column: [target, None],
                        "_by": _mark(record_type, [target]),
                    },
                    "import_id": None,
                }
                for row_id, target in rows
            ],
        )
        connection.execute(
            table.update().where(column.in_(ids)).values({policy.column: None})
        )

    def restore(
        self, connection: Connection, record_type: str, ids: Sequence[int]
    ) -> None:
        """Bring back what deleting ``ids`` cascaded to or detached."""
        for record_id in ids:
            mark = _mark(record_type, [record_id])
            for policy in self.policies:
                table = self._table(connection, policy.table)
                if policy.on_delete is OnDelete.CASCADE:
                    connection.execute(
                        table.update()
                        .where(table.c.deleted_by_cascade == mark)
                        .values(deleted_at=None, deleted_by_cascade=None)
                    )
                elif policy.on_delete is OnDelete.DETACH:
                    self._reattach(connection, table, policy, record_id, mark)

    def _reattach(
        self,
        connection: Connection,
        table: Table,
        policy: RelationPolicy,
        record_id: int,
        mark: str,
    ) -> None:
        a = schema.audit
        entries = connection.execute(
            select(a.c.id, a.c.record_id, a.c.changes).where(
                a.c.record_type == policy.table, a.c.action == "detach"
            )
        ).all()
        for entry_id, row_id, changes in entries:
            if changes.get("_by") != mark:
                continue
            connection.execute(
                table.update()
                .where(table.c.id == int(row_id), table.c[policy.column].is_(None))
                .values({policy.column: record_id})
            )
            connection.execute(
                a.update().where(a.c.id == entry_id).values(action="reattached")
            )

    def reparent(
        self, connection: Connection, survivor: int, merged: int
    ) -> dict[str, int]:
        """Move every declared link from ``merged`` to ``survivor``; counts per table."""
        moved: dict[str, int] = {}
        for policy in self.policies:
            table = self._table(connection, policy.table)
            result = connection.execute(
                table.update()
                .where(table.c[policy.column] == merged)
                .values({policy.column: survivor})
            )
            moved[f"{policy.table}.{policy.column}"] = result.rowcount
        return moved


def _mark(record_type: str, ids: Sequence[Any]) -> str:
    return f"{record_type}:{ids[0]}" if len(ids) == 1 else f"{record_type}:batch"
