"""Writing and reading customer scores.

A score is a number a model gives a customer under a name (``churn_risk``,
``rfm.recency``), with the model's version and the factors that drove it.
Every write is kept; :data:`~crm_core.scores.tables.latest` holds the newest
value per customer and name, so segments and pages read it without sorting
the history.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from ..events import Event, event_type
from ..security import Actor, scope_clause
from ..storage import schema
from ..storage.types import utcnow
from .tables import latest, score

if TYPE_CHECKING:
    from ..host import Host

SCORE_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*")
c = schema.customer


class ScoreError(ValueError):
    """A score cannot be stored; the message names the score and what is wrong."""


@event_type("score.updated")
class ScoresUpdated(Event):
    """New values of one score were written for these customers (one per batch)."""

    score: str
    model_version: str
    customer_ids: list[int]


def _decimal(value: Any) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ScoreError(f"score value {value!r} is not a number") from None
    if not number.is_finite():
        raise ScoreError(f"score value {value!r} is not a finite number")
    return number


@attrs.frozen
class Factor:
    """One reason behind a score and how strongly it pushed the value."""

    factor: str = attrs.field(validator=attrs.validators.min_len(1))
    impact: float = attrs.field(converter=float)

    def __attrs_post_init__(self) -> None:
        if not math.isfinite(self.impact):
            raise ScoreError(f"factor {self.factor!r}: impact must be a finite number")

    def as_json(self) -> dict[str, Any]:
        return {"factor": self.factor, "impact": self.impact}


def _factors(items: Iterable[Factor | Mapping[str, Any]]) -> tuple[Factor, ...]:
    return tuple(
        item if isinstance(item, Factor) else Factor(item["factor"], item["impact"])
        for item in items
    )


def _check_name(_instance: Any, _attribute: Any, name: str) -> None:
    if not SCORE_NAME.fullmatch(name) or len(name) > 120:
        raise ScoreError(
            f"score name {name!r} must be lower-case words joined by '_' or '.', "
            "like 'churn_risk' or 'rfm.recency'"
        )


@attrs.frozen
class Score:
    """One value of a named score for one customer."""

    customer_id: int
    name: str = attrs.field(validator=_check_name)
    value: Decimal = attrs.field(converter=_decimal)
    model_version: str = ""
    factors: tuple[Factor, ...] = attrs.field(default=(), converter=_factors)
    computed_at: datetime = attrs.field(factory=utcnow)


class ScoreStore:
    """The score store of one host: batch writes and scoped reads."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def write(self, connection: Connection, scores: Iterable[Score]) -> int:
        """Store a batch of scores in the caller's transaction; returns how many.

        The history gets every score; the latest table takes a value only when
        it is at least as recent as the one it holds. One ``score.updated``
        event per score name lists the customers of the batch.
        """
        batch = list(scores)
        if not batch:
            return 0
        connection.execute(score.insert(), [_row(item) for item in batch])
        newest: dict[tuple[int, str], Score] = {}
        for item in batch:
            key = (item.customer_id, item.name)
            if key not in newest or newest[key].computed_at <= item.computed_at:
                newest[key] = item
        _upsert_latest(connection, [_row(item) for item in newest.values()])
        self.host.events.publish_many(connection, _events(newest.values()))
        return len(batch)

    def for_customer(
        self, connection: Connection, actor: Actor, customer_id: int
    ) -> list[dict[str, Any]] | None:
        """The latest scores of one customer, or ``None`` when not visible."""
        if not _visible(connection, actor, customer_id):
            return None
        rows = connection.execute(
            select(latest)
            .where(latest.c.customer_id == customer_id)
            .order_by(latest.c.name)
        ).mappings()
        return [dict(row) for row in rows]

    def history(
        self,
        connection: Connection,
        actor: Actor,
        customer_id: int,
        name: str,
        limit: int = 100,
    ) -> list[dict[str, Any]] | None:
        """Past values of one score of one customer, newest first."""
        if not _visible(connection, actor, customer_id):
            return None
        rows = connection.execute(
            select(score)
            .where(score.c.customer_id == customer_id, score.c.name == name)
            .order_by(score.c.computed_at.desc(), score.c.id.desc())
            .limit(limit)
        ).mappings()
        return [dict(row) for row in rows]

    def page(
        self,
        connection: Connection,
        actor: Actor,
        name: str,
        after: int | None,
        limit: int,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Latest values of score ``name`` for the customers ``actor`` may read.

        Ordered by customer id; the second value is the id to continue after.
        """
        query = (
            select(latest)
            .join(c, c.c.id == latest.c.customer_id)
            .where(
                latest.c.name == name,
                c.c.deleted_at.is_(None),
                scope_clause(actor, "customer.read", c),
            )
        )
        if after is not None:
            query = query.where(latest.c.customer_id > after)
        query = query.order_by(latest.c.customer_id).limit(limit + 1)
        rows = [dict(row) for row in connection.execute(query).mappings()]
        if len(rows) <= limit:
            return rows, None
        return rows[:limit], int(rows[limit - 1]["customer_id"])

    def names(self, connection: Connection) -> list[str]:
        """The score names that have values."""
        query = select(latest.c.name).distinct().order_by(latest.c.name)
        return list(connection.execute(query).scalars())


def _row(item: Score) -> dict[str, Any]:
    return {
        "customer_id": item.customer_id,
        "name": item.name,
        "value": item.value,
        "computed_at": item.computed_at,
        "model_version": item.model_version,
        "factors": [factor.as_json() for factor in item.factors],
    }


def _upsert_latest(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    insert = (
        postgresql.insert(latest)
        if connection.dialect.name == "postgresql"
        else sqlite.insert(latest)
    )
    changing = ("value", "computed_at", "model_version", "factors")
    statement = insert.on_conflict_do_update(
        index_elements=[latest.c.customer_id, latest.c.name],
        set_={name: insert.excluded[name] for name in changing},
        where=latest.c.computed_at <= insert.excluded.computed_at,
    )
    connection.execute(statement, list(rows))


def _events(newest: Iterable[Score]) -> list[Event]:
    by_name: dict[tuple[str, str], list[int]] = {}
    for item in newest:
        by_name.setdefault((item.name, item.model_version), []).append(item.customer_id)
    return [
        ScoresUpdated(score=name, model_version=version, customer_ids=sorted(ids))
        for (name, version), ids in sorted(by_name.items())
    ]


def _visible(connection: Connection, actor: Actor, customer_id: int) -> bool:
    found = connection.execute(
        select(c.c.id).where(
            c.c.id == customer_id,
            c.c.deleted_at.is_(None),
            scope_clause(actor, "customer.read", c),
        )
    ).first()
    return found is not None
