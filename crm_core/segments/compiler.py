"""Compiling checked segment rules into one SQL condition on the customer table.

Nothing is evaluated in Python: every condition becomes a column comparison,
a JSON extraction, an ``EXISTS`` or a correlated subquery, and the whole rule
one ``WHERE`` clause.

Negative operators (``ne``, ``not_in``, ``not_contains``, ``has_not``) also
match customers without a value; conditions on a related customer
(``organisation.*``, ``parent.*``) hold when any current related customer the
actor may read matches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs
from sqlalchemy import (
    ColumnElement,
    FromClause,
    and_,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
)

from ..contributions import FieldType
from ..security import Actor, scope_clause
from ..storage import schema
from ..storage.types import UTCDateTime, utcnow
from .catalogue import ACTIVITIES, TAGS, SegmentField
from .rules import ActivityFilter, Condition, Group

c = schema.customer


@attrs.frozen
class Context:
    """What compiling needs besides the rule: the engine, the reader and the time."""

    dialect: str
    actor: Actor
    now: dt.datetime = attrs.field(factory=utcnow)


def compile_group(group: Group, table: FromClause, ctx: Context) -> ColumnElement[bool]:
    """The SQL condition on ``table`` (the customer table or an alias) for ``group``."""
    parts = [
        compile_group(item, table, ctx)
        if isinstance(item, Group)
        else _condition(item, table, ctx)
        for item in group.items
    ]
    if group.mode == "all":
        return and_(true(), *parts) if parts else true()
    return or_(false(), *parts) if parts else false()


def _condition(cond: Condition, table: FromClause, ctx: Context) -> ColumnElement[bool]:
    target = cond.target
    if target.relation is not None:
        return _related(cond, table, ctx)
    if target.special == TAGS:
        return _tags(cond, table, ctx)
    if target.special == ACTIVITIES:
        return _activities(cond, table, ctx)
    assert target.field is not None
    return compare(target.field, target.field.expression(table), cond, ctx)


def compare(
    field: SegmentField, expr: Any, cond: Condition, ctx: Context
) -> ColumnElement[bool]:
    """``expr`` (the value of ``field``) tested by ``cond``'s operator."""
    op, value = cond.op, _sql_value(field, expr, cond.value, ctx)
    if op == "is_set":
        return _is_set(field, expr)
    if op == "is_not_set":
        return ~_is_set(field, expr)
    if op in ("in_last_days", "before_last_days"):
        cutoff = _sql_value(field, expr, ctx.now - dt.timedelta(days=value), ctx)
        return expr >= cutoff if op == "in_last_days" else expr < cutoff
    if field.type is FieldType.TEXT:
        return _text(expr, op, value)
    return _ordered(expr, op, value)


def _is_set(field: SegmentField, expr: Any) -> ColumnElement[bool]:
    if field.type is FieldType.TEXT:
        return and_(expr.is_not(None), expr != "")
    return expr.is_not(None)


_ORDERED: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "eq": lambda e, v: e == v,
    "ne": lambda e, v: or_(e != v, e.is_(None)),
    "lt": lambda e, v: e < v,
    "lte": lambda e, v: e <= v,
    "gt": lambda e, v: e > v,
    "gte": lambda e, v: e >= v,
    "between": lambda e, v: e.between(v[0], v[1]),
    "in": lambda e, v: e.in_(v),
    "not_in": lambda e, v: or_(e.not_in(v), e.is_(None)),
}


def _ordered(expr: Any, op: str, value: Any) -> ColumnElement[bool]:
    return _ORDERED[op](expr, value)


def _text(expr: Any, op: str, value: Any) -> ColumnElement[bool]:
    """Text compares without regard to case, on both engines."""
    lowered = func.lower(expr)
    if op in ("in", "not_in"):
        value = [item.lower() for item in value]
        return _ordered(lowered, op, value)
    if op in ("contains", "not_contains", "starts_with"):
        escaped = _escape_like(value.lower())
        pattern = f"{escaped}%" if op == "starts_with" else f"%{escaped}%"
        found = lowered.like(pattern, escape="\\")
        return or_(~found, expr.is_(None)) if op == "not_contains" else found
    return _ordered(lowered, op, value.lower())


def _sql_value(field: SegmentField, expr: Any, value: Any, ctx: Context) -> Any:
    """Dates and times as the field stores them: ISO text in custom fields."""
    if isinstance(getattr(expr, "type", None), UTCDateTime):
        return value
    if isinstance(value, dt.datetime):
        if field.type is FieldType.DATE:
            return value.date().isoformat()
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, tuple):
        return tuple(_sql_value(field, expr, item, ctx) for item in value)
    return value


def _related(cond: Condition, table: FromClause, ctx: Context) -> ColumnElement[bool]:
    """A condition on a person's current employer, or on the parent organisation."""
    other = c.alias()
    inner = attrs.evolve(cond, target=attrs.evolve(cond.target, relation=None))
    matches = and_(
        other.c.deleted_at.is_(None),
        scope_clause(ctx.actor, "customer.read", other),  # type: ignore[arg-type]
        _condition(inner, other, ctx),
    )
    if cond.target.relation == "parent":
        return exists().where(other.c.id == table.c.parent_id, matches)
    r = schema.relationship.alias()
    today = ctx.now.date().isoformat()
    return exists().where(
        r.c.person_id == table.c.id,
        r.c.organisation_id == other.c.id,
        r.c.deleted_at.is_(None),
        or_(r.c.ended_on.is_(None), r.c.ended_on >= today),
        matches,
    )


def _tags(cond: Condition, table: FromClause, ctx: Context) -> ColumnElement[bool]:
    tags = table.c.tags
    if ctx.dialect == "postgresql":
        found: ColumnElement[bool] = tags.op("?", is_comparison=True)(cond.value)
    else:
        each = func.json_each(tags).table_valued("value")
        found = exists(
            select(literal(1)).select_from(each).where(each.c.value == cond.value)
        )
    return found if cond.op == "has" else ~found


def _activities(
    cond: Condition, table: FromClause, ctx: Context
) -> ColumnElement[bool]:
    """Activities on the customer's timeline, counted or tested for existence."""
    a = schema.activity.alias()
    where = [a.c.customer_id == table.c.id, a.c.deleted_at.is_(None)]
    where += _activity_filter(a, cond.where or ActivityFilter(), ctx)
    if cond.op == "exists":
        return exists().where(*where)
    if cond.op == "not_exists":
        return ~exists().where(*where)
    count = select(func.count()).select_from(a).where(*where).scalar_subquery()
    return _ordered(count, cond.op, cond.value)


def _activity_filter(a: Any, found: ActivityFilter, ctx: Context) -> list[Any]:
    clauses = []
    if found.kind is not None:
        clauses.append(a.c.kind == found.kind)
    if found.channel is not None:
        clauses.append(a.c.channel == found.channel)
    if found.days is not None:
        clauses.append(a.c.occurred_at >= ctx.now - dt.timedelta(days=found.days))
    return clauses


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
