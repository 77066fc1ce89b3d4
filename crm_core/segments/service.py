"""Segments: saved rules (dynamic) or explicit lists (static), counted within scope."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import ColumnElement, Connection, FromClause, Select, func, select

from ..customers import InvalidInput, NotFound, VersionConflict
from ..linked import load_input
from ..security import Actor, scope_clause
from ..storage import schema
from ..storage.types import utcnow
from .catalogue import Catalogue, build_catalogue
from .compiler import Context, compile_group
from .rules import Group, parse_rules
from .tables import DYNAMIC, STATIC, member, segment

if TYPE_CHECKING:
    from ..host import Host

c = schema.customer
REFRESH_JOB = "segments.refresh"


class SegmentInputSchema(Schema):
    """What a caller may send to create or change a segment."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=2000))
    kind = fields.String(validate=validate.OneOf([DYNAMIC, STATIC]))
    rules = fields.Dict(
        allow_none=True,
        metadata={"description": 'a group: {"all": [...]} or {"any": [...]}'},
    )


class SegmentService:
    """Segments of one host: rules, counts and stored segments."""

    def __init__(self, host: Host) -> None:
        self.host = host

    # -- rules -------------------------------------------------------------

    def catalogue(self, connection: Connection, actor: Actor) -> Catalogue:
        """The fields ``actor``'s rules may use."""
        return build_catalogue(
            connection,
            actor,
            self.host.fields.for_type(connection, "customer"),
            self.host.plugins.collect("crm_segment_fields"),
        )

    def parse(self, connection: Connection, actor: Actor, rules: Any) -> Group:
        """``rules`` checked against ``actor``'s fields (:class:`RuleError` if bad)."""
        return parse_rules(rules, self.catalogue(connection, actor))

    def condition(
        self,
        connection: Connection,
        actor: Actor,
        rules: Any,
        table: FromClause = c,
    ) -> ColumnElement[bool]:
        """Live customers ``actor`` may read that ``rules`` match, as one condition."""
        group = (
            rules if isinstance(rules, Group) else self.parse(connection, actor, rules)
        )
        ctx = Context(connection.dialect.name, actor)
        return (
            table.c.deleted_at.is_(None)
            & scope_clause(actor, "customer.read", table)  # type: ignore[arg-type]
            & compile_group(group, table, ctx)
        )

    def matching(self, connection: Connection, actor: Actor, rules: Any) -> Select[Any]:
        """The ids of the customers ``rules`` match for ``actor``, as a query."""
        return select(c.c.id).where(self.condition(connection, actor, rules))

    def count(self, connection: Connection, actor: Actor, rules: Any) -> int:
        """How many customers ``actor`` may read match ``rules``."""
        query = select(func.count()).select_from(c)
        query = query.where(self.condition(connection, actor, rules))
        return int(connection.execute(query).scalar_one())

    # -- stored segments ---------------------------------------------------

    def list(self, connection: Connection, actor: Actor) -> list[dict[str, Any]]:
        actor.require("segment.read")
        rows = connection.execute(select(segment).order_by(segment.c.name)).mappings()
        return [dict(row) for row in rows]

    def get(
        self, connection: Connection, actor: Actor, segment_id: int
    ) -> dict[str, Any]:
        actor.require("segment.read")
        row = (
            connection.execute(select(segment).where(segment.c.id == segment_id))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"segment {segment_id} not found")
        return dict(row)

    def create(
        self, connection: Connection, actor: Actor, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Store a new segment; a dynamic one is refreshed by a job right after."""
        actor.require("segment.manage")
        values = load_input(SegmentInputSchema(), data)
        values.setdefault("kind", DYNAMIC)
        values.setdefault("description", "")
        self._check(connection, actor, values, None)
        now = utcnow()
        result = connection.execute(
            segment.insert().values(
                **values, owner_id=actor.id, created_at=now, updated_at=now
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        self._refresh_later(connection, values["kind"], int(key[0]))
        return self.get(connection, actor, int(key[0]))

    def update(
        self,
        connection: Connection,
        actor: Actor,
        segment_id: int,
        data: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change a segment's name, description or rules (not its kind)."""
        actor.require("segment.manage")
        before = self.get(connection, actor, segment_id)
        if expected_version is not None and before["version"] != expected_version:
            raise VersionConflict(before)
        values = load_input(SegmentInputSchema(), data, partial=True)
        if values.get("kind", before["kind"]) != before["kind"]:
            raise InvalidInput(
                {"kind": ["a segment's kind cannot change; make a new one"]}
            )
        merged = {**before, **values}
        self._check(connection, actor, merged, segment_id)
        connection.execute(
            segment.update()
            .where(segment.c.id == segment_id)
            .values(**values, version=before["version"] + 1, updated_at=utcnow())
        )
        if "rules" in values:
            self._refresh_later(connection, before["kind"], segment_id)
        return self.get(connection, actor, segment_id)

    def delete(self, connection: Connection, actor: Actor, segment_id: int) -> None:
        """Remove a segment and its members (no events: the segment is gone)."""
        actor.require("segment.manage")
        self.get(connection, actor, segment_id)
        connection.execute(member.delete().where(member.c.segment_id == segment_id))
        connection.execute(segment.delete().where(segment.c.id == segment_id))

    def _check(
        self,
        connection: Connection,
        actor: Actor,
        values: Mapping[str, Any],
        segment_id: int | None,
    ) -> None:
        if values["kind"] == STATIC and values.get("rules") is not None:
            raise InvalidInput({"rules": ["a static list has members, not rules"]})
        if values["kind"] == DYNAMIC:
            if values.get("rules") is None:
                raise InvalidInput({"rules": ["a dynamic segment needs rules"]})
            self.parse(connection, actor, values["rules"])
        taken = select(segment.c.id).where(segment.c.name == values["name"])
        if segment_id is not None:
            taken = taken.where(segment.c.id != segment_id)
        if connection.execute(taken).first() is not None:
            raise InvalidInput(
                {"name": [f"a segment is already named {values['name']!r}"]}
            )

    def _refresh_later(
        self, connection: Connection, kind: str, segment_id: int
    ) -> None:
        if kind == DYNAMIC:
            self.host.jobs.enqueue(
                REFRESH_JOB, connection=connection, segment_id=segment_id
            )
