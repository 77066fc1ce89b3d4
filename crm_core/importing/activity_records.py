"""Importing and exporting timeline activities."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd
from marshmallow import Schema, fields, validate
from sqlalchemy import Connection, select

from .. import audit
from ..entities import CHANNELS
from ..security import Actor, scope_clause
from ..storage import schema
from ..storage.types import utcnow
from .bulk import insert_rows, now_value, object_values, time_column
from .records import ImportContext, RecordType, TypedBatch
from .rules import Phone

a, c = schema.activity, schema.customer
REFERENCES = {
    "customer_external_id": "external_id",
    "customer_email": "email",
    "customer_phone": "phone",
}


class ActivityImportSchema(Schema):
    """The activity fields a file may fill."""

    customer_external_id = fields.String(validate=validate.Length(max=200))
    customer_email = fields.Email()
    customer_phone = Phone()
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    kind = fields.String(validate=validate.Length(min=1, max=60))
    occurred_at = fields.AwareDateTime(required=True)
    subject = fields.String(validate=validate.Length(max=500))
    body = fields.String(validate=validate.Length(max=100_000))
    source_type = fields.String(validate=validate.Length(max=80))
    source_id = fields.String(validate=validate.Length(max=200))


def write_activities(ctx: ImportContext, batch: TypedBatch) -> None:
    """Add the batch's activities; rows already imported are left as they are."""
    frame = batch.frame
    customer_ids = _customers(ctx, frame, batch.present)
    keys = _source_keys(ctx, frame, batch)
    if ctx.failed:
        return
    existing = _existing(ctx, keys) if ctx.keys else {}
    fresh = [i for i, key in enumerate(keys) if key not in existing]
    now = now_value(ctx.connection, utcnow())
    channel = _column(frame, "channel", len(frame), "import")
    kind = _column(frame, "kind", len(frame), "imported")
    times = time_column(ctx.connection, frame["occurred_at"])
    texts = [
        _column(frame, name, len(frame), None)
        for name in ("subject", "body", "source_type", "source_id")
    ]
    rows = [
        (
            customer_ids[i],
            channel[i],
            kind[i],
            times[i],
            texts[0][i],
            texts[1][i],
            texts[2][i],
            texts[3][i],
            keys[i],
            ctx.import_id,
            1,
            now,
            now,
        )
        for i in fresh
    ]
    written = insert_rows(
        ctx.connection, a, INSERT_COLUMNS, rows, skip_conflicts_on="source_key"
    )
    ctx.report.created += written
    ctx.report.unchanged += (
        len(frame)
        - len(fresh)
        - _update(ctx, frame, keys, existing)
        + (len(fresh) - written)
    )


INSERT_COLUMNS = (
    "customer_id",
    "channel",
    "kind",
    "occurred_at",
    "subject",
    "body",
    "source_type",
    "source_id",
    "source_key",
    "import_id",
    "version",
    "created_at",
    "updated_at",
)


def _column(frame: pd.DataFrame, name: str, size: int, default: Any) -> list[Any]:
    if name not in frame:
        return [default] * size
    return [default if v is None else v for v in object_values(frame[name])]


def _customers(
    ctx: ImportContext, frame: pd.DataFrame, present: frozenset[str]
) -> list[Any]:
    mapped = [name for name in REFERENCES if name in present]
    if len(mapped) > 1:
        ctx.error(
            None, mapped[1], f"map one customer reference, not {', '.join(mapped)}"
        )
        return [None] * len(frame)
    if not mapped:
        return [None] * len(frame)
    column = mapped[0]
    values = object_values(frame[column])
    cache: dict[Any, int] = ctx.state.setdefault("customers", {})
    wanted = sorted({v for v in values if v is not None and v not in cache})
    target = c.c[REFERENCES[column]]
    for start in range(0, len(wanted), 500):
        for ref, customer_id in ctx.connection.execute(
            select(target, c.c.id).where(
                target.in_(wanted[start : start + 500]), c.c.deleted_at.is_(None)
            )
        ):
            cache[ref] = int(customer_id)
    ids = []
    for row, value in zip(frame.index, values, strict=True):
        if value is not None and value not in cache:
            ctx.error(
                int(row), column, f"no customer has {REFERENCES[column]} {value!r}"
            )
        ids.append(cache.get(value))
    return ids


def _source_keys(
    ctx: ImportContext, frame: pd.DataFrame, batch: TypedBatch
) -> list[bytes]:
    if not ctx.keys:
        assert batch.digests is not None
        return list(batch.digests)
    keys = []
    seen = ctx.state.setdefault("seen_keys", {})
    for row in frame.index:
        parts = tuple(frame.at[row, name] for name in ctx.keys)
        if any(part is None for part in parts):
            ctx.error(int(row), ctx.keys[0], f"the key column {ctx.keys[0]!r} is empty")
        elif parts in seen:
            ctx.error(
                int(row), ctx.keys[0], f"the key {parts!r} is also on row {seen[parts]}"
            )
        seen.setdefault(parts, int(row))
        text = "\x1f".join(str(part) for part in parts)
        keys.append(
            hashlib.blake2b(b"key\x1e" + text.encode(), digest_size=16).digest()
        )
    return keys


def _existing(ctx: ImportContext, keys: list[bytes]) -> dict[bytes, dict[str, Any]]:
    found: dict[bytes, dict[str, Any]] = {}
    for start in range(0, len(keys), 500):
        query = select(a).where(a.c.source_key.in_(keys[start : start + 500]))
        for row in ctx.connection.execute(query).mappings():
            found[bytes(row["source_key"])] = dict(row)
    return found


_UPDATABLE = ("channel", "kind", "subject", "body", "source_type")


def _update(
    ctx: ImportContext,
    frame: pd.DataFrame,
    keys: list[bytes],
    existing: Mapping[bytes, dict[str, Any]],
) -> int:
    updated = 0
    for position, key in enumerate(keys):
        before = existing.get(key)
        if before is None:
            continue
        row = frame.index[position]
        after = {name: frame.at[row, name] for name in _UPDATABLE if name in frame}
        if frame.at[row, "occurred_at"] != before["occurred_at"]:
            after["occurred_at"] = frame.at[row, "occurred_at"]
        changes = audit.diff({k: before[k] for k in after}, after)
        if changes:
            ctx.connection.execute(
                a.update()
                .where(a.c.id == before["id"])
                .values(**after, version=before["version"] + 1, updated_at=utcnow())
            )
            audit.record(
                ctx.connection,
                ctx.actor,
                "activity",
                before["id"],
                "update",
                changes,
                import_id=ctx.import_id,
            )
            updated += 1
    ctx.report.updated += updated
    return updated


def export_activities(
    connection: Connection, actor: Actor
) -> Iterator[Mapping[str, Any]]:
    """Every live activity on a customer the actor may read."""
    query = (
        select(a, c.c.external_id.label("customer_external_id"))
        .select_from(a.join(c, c.c.id == a.c.customer_id))
        .where(a.c.deleted_at.is_(None), scope_clause(actor, "customer.read", c))
        .order_by(a.c.id)
    )
    for row in connection.execute(query).mappings():
        yield {
            k: row[k]
            for k in (
                "id",
                "customer_id",
                "customer_external_id",
                "channel",
                "kind",
                "occurred_at",
                "subject",
                "body",
                "source_type",
                "source_id",
            )
        }


ACTIVITIES = RecordType(
    name="activities",
    schema=ActivityImportSchema,
    write=write_activities,
    keys=("source_id",),
    export=export_activities,
    description="Timeline activities, linked to customers by external id, e-mail or phone",
)
