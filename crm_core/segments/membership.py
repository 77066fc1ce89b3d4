"""Who is in a segment: static lists, live members, and snapshots with their events.

A dynamic segment's members are stored at each refresh. The refresh compares
the stored members with what the rules match now, in SQL, and publishes
``segment.entered`` and ``segment.left`` with the customers that moved, in
batches. Refreshes run as the system; reading members applies the reader's
scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import Connection, Integer, exists, func, literal, select

from ..customers import InvalidInput
from ..events import Event, event_type
from ..security import SYSTEM, Actor, in_scope, scope_clause
from ..storage import schema
from ..storage.types import UTCDateTime, utcnow
from .service import SegmentService
from .tables import DYNAMIC, STATIC, member, segment

if TYPE_CHECKING:
    from ..host import Host

c = schema.customer
#: Customer ids per ``segment.entered`` / ``segment.left`` event.
EVENT_BATCH = 1_000
MAX_MEMBERS_PER_CALL = 10_000


@event_type("segment.entered")
class SegmentEntered(Event):
    """Customers joined a segment (its refresh matched them, or a list took them)."""

    segment_id: int
    segment_name: str
    customer_ids: list[int]


@event_type("segment.left")
class SegmentLeft(Event):
    """Customers left a segment."""

    segment_id: int
    segment_name: str
    customer_ids: list[int]


@attrs.frozen
class Moved:
    """What a refresh or list change did: who entered, who left, how many refused."""

    entered: list[int] = attrs.field(factory=list)
    left: list[int] = attrs.field(factory=list)
    refused: int = 0


class Membership:
    """Members of the segments of one host."""

    def __init__(self, host: Host, segments: SegmentService) -> None:
        self.host = host
        self.segments = segments

    # -- reading -------------------------------------------------------------

    def page(
        self,
        connection: Connection,
        actor: Actor,
        segment_id: int,
        after: int | None,
        limit: int,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Customers in the segment that ``actor`` may read, by id.

        A dynamic segment's members are what its rules match now; a static
        list's are the customers put on it.
        """
        found = self.segments.get(connection, actor, segment_id)
        actor.require("customer.read")
        if found["kind"] == DYNAMIC:
            condition = self.segments.condition(connection, actor, found["rules"])
        else:
            listed = exists().where(
                member.c.segment_id == segment_id, member.c.customer_id == c.c.id
            )
            condition = (
                c.c.deleted_at.is_(None)
                & scope_clause(actor, "customer.read", c)
                & listed
            )
        query = select(c).where(condition)
        if after is not None:
            query = query.where(c.c.id > after)
        rows = (
            connection.execute(query.order_by(c.c.id).limit(limit + 1)).mappings().all()
        )
        items = [
            self.host.customers.public(connection, actor, row) for row in rows[:limit]
        ]
        last = int(rows[limit - 1]["id"]) if len(rows) > limit else None
        return items, last

    # -- static lists ----------------------------------------------------------

    def add(
        self, connection: Connection, actor: Actor, segment_id: int, ids: Sequence[int]
    ) -> Moved:
        """Put customers on a static list; those ``actor`` may not read are refused."""
        found = self._static(connection, actor, segment_id)
        readable = self._readable(connection, actor, ids)
        present = self._present(connection, segment_id, readable)
        new = sorted(readable - present)
        if new:
            now = utcnow()
            connection.execute(
                member.insert(),
                [
                    {
                        "segment_id": segment_id,
                        "customer_id": i,
                        "added_at": now,
                        "added_by": actor.id,
                    }
                    for i in new
                ],
            )
        moved = Moved(entered=new, refused=len(set(ids) - readable))
        self._publish(connection, found, moved)
        self._recount(connection, segment_id)
        return moved

    def remove(
        self, connection: Connection, actor: Actor, segment_id: int, ids: Sequence[int]
    ) -> Moved:
        """Take customers off a static list; those ``actor`` may not read: refused."""
        found = self._static(connection, actor, segment_id)
        readable = self._readable(connection, actor, ids)
        gone = sorted(self._present(connection, segment_id, readable))
        if gone:
            connection.execute(
                member.delete().where(
                    member.c.segment_id == segment_id, member.c.customer_id.in_(gone)
                )
            )
        moved = Moved(left=gone, refused=len(set(ids) - readable))
        self._publish(connection, found, moved)
        self._recount(connection, segment_id)
        return moved

    def _static(
        self, connection: Connection, actor: Actor, segment_id: int
    ) -> dict[str, Any]:
        actor.require("segment.manage")
        found = self.segments.get(connection, actor, segment_id)
        if found["kind"] != STATIC:
            raise InvalidInput(
                {
                    "segment": [
                        f"segment {segment_id} is dynamic; its rules choose its members"
                    ]
                }
            )
        return found

    def _readable(
        self, connection: Connection, actor: Actor, ids: Sequence[int]
    ) -> set[int]:
        if len(ids) > MAX_MEMBERS_PER_CALL:
            raise InvalidInput(
                {
                    "ids": [
                        f"{len(ids)} ids; send at most {MAX_MEMBERS_PER_CALL} at a time"
                    ]
                }
            )
        rows = connection.execute(
            select(c.c.id, c.c.owner_id, c.c.team_id).where(
                c.c.id.in_(list(ids)), c.c.deleted_at.is_(None)
            )
        ).mappings()
        return {int(row["id"]) for row in rows if in_scope(actor, "customer.read", row)}

    def _present(
        self, connection: Connection, segment_id: int, ids: Iterable[int]
    ) -> set[int]:
        query = select(member.c.customer_id).where(
            member.c.segment_id == segment_id, member.c.customer_id.in_(list(ids))
        )
        return set(connection.execute(query).scalars())

    # -- snapshots ---------------------------------------------------------------

    def refresh(self, connection: Connection, segment_id: int) -> Moved:
        """Store what a dynamic segment's rules match now; publish who moved."""
        query = select(segment).where(segment.c.id == segment_id)
        if connection.dialect.name == "postgresql":
            query = query.with_for_update()
        found = connection.execute(query).mappings().first()
        if found is None or found["kind"] != DYNAMIC:
            return Moved()
        group = self.segments.parse(connection, SYSTEM, found["rules"])
        current = c.alias()
        matches = self.segments.condition(connection, SYSTEM, group, current)
        still = exists().where(current.c.id == member.c.customer_id, matches)
        left = (
            connection.execute(
                member.delete()
                .where(member.c.segment_id == segment_id, ~still)
                .returning(member.c.customer_id)
            )
            .scalars()
            .all()
        )
        listed = exists().where(
            member.c.segment_id == segment_id, member.c.customer_id == c.c.id
        )
        new = select(
            literal(segment_id, Integer), c.c.id, literal(utcnow(), UTCDateTime())
        ).where(self.segments.condition(connection, SYSTEM, group), ~listed)
        entered = (
            connection.execute(
                member.insert()
                .from_select(["segment_id", "customer_id", "added_at"], new)
                .returning(member.c.customer_id)
            )
            .scalars()
            .all()
        )
        moved = Moved(sorted(entered), sorted(left))
        self._publish(connection, dict(found), moved)
        self._recount(connection, segment_id)
        return moved

    def refresh_all(self) -> dict[int, Moved]:
        """Refresh every dynamic segment, each in its own transaction."""
        with self.host.db.connect() as connection:
            ids = (
                connection.execute(
                    select(segment.c.id)
                    .where(segment.c.kind == DYNAMIC)
                    .order_by(segment.c.id)
                )
                .scalars()
                .all()
            )
        done = {}
        for segment_id in ids:
            with self.host.db.transaction() as connection:
                done[segment_id] = self.refresh(connection, segment_id)
        return done

    def _publish(
        self, connection: Connection, found: dict[str, Any], moved: Moved
    ) -> None:
        events: list[Event] = []
        for kind, ids in ((SegmentEntered, moved.entered), (SegmentLeft, moved.left)):
            for start in range(0, len(ids), EVENT_BATCH):
                events.append(
                    kind(
                        segment_id=found["id"],
                        segment_name=found["name"],
                        customer_ids=ids[start : start + EVENT_BATCH],
                    )
                )
        self.host.events.publish_many(connection, events)

    def _recount(self, connection: Connection, segment_id: int) -> None:
        count = (
            select(func.count())
            .select_from(member)
            .where(member.c.segment_id == segment_id)
            .scalar_subquery()
        )
        connection.execute(
            segment.update()
            .where(segment.c.id == segment_id)
            .values(member_count=count, refreshed_at=utcnow())
        )
