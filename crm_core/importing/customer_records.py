"""The core's record types: customers and activities."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd
from marshmallow import Schema, fields, validate
from sqlalchemy import Connection, func, or_, select, tuple_

from .. import audit
from ..customers import CustomerChange, CustomerCreated
from ..entities import CHANNELS, LIFECYCLE_STAGES, display_name
from ..events import Event, event_type
from ..security import Actor, scope_clause
from ..storage import schema
from ..storage.types import utcnow
from .bulk import insert_rows, json_column, now_value, object_values
from .records import ImportContext, RecordType, TypedBatch, plain
from .rules import Phone

c = schema.customer
ADDRESS_PARTS = ("street", "city", "region", "postcode", "country")
KEYS = ("external_id", "email", "phone", "name")


class CustomerImportSchema(Schema):
    """The customer fields a file may fill; custom fields come on top."""

    kind = fields.String(validate=validate.OneOf(["person", "organisation"]))
    name = fields.String(validate=validate.Length(max=300))
    external_id = fields.String(validate=validate.Length(max=200))
    email = fields.Email()
    phone = Phone()
    street = fields.String(validate=validate.Length(max=300))
    city = fields.String(validate=validate.Length(max=200))
    region = fields.String(validate=validate.Length(max=200))
    postcode = fields.String(validate=validate.Length(max=20))
    country = fields.String(validate=validate.Length(max=100))
    owner = fields.String(validate=validate.Length(max=320))
    lifecycle_stage = fields.String(validate=validate.OneOf(LIFECYCLE_STAGES))
    tags = fields.String(validate=validate.Length(max=2000))
    language = fields.String(validate=validate.Length(max=16))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    parent = fields.String(validate=validate.Length(max=300))


@event_type("customer.imported")
class CustomersImported(Event):
    """A batch of customers was written by an import."""

    import_id: int
    created: int
    updated_ids: list[int]


# -- customers -------------------------------------------------------------


def write_customers(ctx: ImportContext, batch: TypedBatch) -> None:
    """Create or update the customers of one batch, matched on the chosen key."""
    frame = batch.frame
    _check_identity(ctx, frame, batch.present)
    owners = _owners(ctx, frame, batch.present)
    # Plain lists per column: pandas row access costs more than the rest.
    columns = {name: object_values(frame[name]) for name in frame.columns}
    incoming = [_values(columns, i, batch.present, owners) for i in range(len(frame))]
    identities = _identities(ctx, frame.index, columns, batch)
    if ctx.failed:
        return
    existing = _existing(ctx, identities)
    _veto(ctx, frame.index, incoming, identities, existing)
    if ctx.failed:
        return
    new = [
        (row, values, ident)
        for row, values, ident in zip(frame.index, incoming, identities, strict=True)
        if ident not in existing
    ]
    changed = [
        (row, values, existing[ident])
        for row, values, ident in zip(frame.index, incoming, identities, strict=True)
        if ident in existing
    ]
    _insert(ctx, new, batch)
    updated_ids = _update(ctx, changed)
    if "parent" in batch.present:
        ctx.state.setdefault("parents", []).extend(
            (row, ident, parent)
            for row, ident, parent in zip(
                frame.index, identities, columns["parent"], strict=True
            )
        )
    ctx.host.events.publish(
        ctx.connection,
        CustomersImported(
            import_id=ctx.import_id, created=len(new), updated_ids=updated_ids
        ),
    )


def _check_identity(
    ctx: ImportContext, frame: pd.DataFrame, present: frozenset[str]
) -> None:
    columns = [
        name for name in ("name", "email", "phone", "external_id") if name in present
    ]
    if not columns:
        ctx.error(None, None, "map at least one of name, email, phone or external_id")
        return
    empty = frame[columns].isna().all(axis=1)
    for row in frame.index[empty.to_numpy(dtype=bool)]:
        ctx.error(
            int(row),
            None,
            "a customer needs at least one of name, email, phone or "
            "external_id, and this row has none",
        )


def _owners(
    ctx: ImportContext, frame: pd.DataFrame, present: frozenset[str]
) -> dict[str, int]:
    if "owner" not in present:
        return {}
    wanted = {v for v in frame["owner"] if v}
    if wanted and not ctx.actor.can("customer.assign_owner"):
        ctx.error(
            None,
            "owner",
            "you may not assign owners (needs 'customer.assign_owner'); "
            "drop the owner column",
        )
        return {}
    cache = ctx.state.setdefault("owners", {})
    u = schema.user
    for who in wanted - set(cache):
        rows = ctx.connection.execute(
            select(u.c.id, u.c.team_id).where(
                or_(func.lower(u.c.email) == who.lower(), u.c.name == who)
            )
        ).all()
        cache[who] = rows[0] if len(rows) == 1 else None
    for row in frame.index:
        who = frame.at[row, "owner"]
        if who and cache.get(who) is None:
            ctx.error(
                int(row), "owner", f"no single user has the e-mail or name {who!r}"
            )
    return {who: found for who, found in cache.items() if found is not None}


def _values(
    columns: Mapping[str, list[Any]],
    position: int,
    present: frozenset[str],
    owners: Mapping[str, Any],
) -> dict[str, Any]:
    get = {name: column[position] for name, column in columns.items()}
    values: dict[str, Any] = {}
    for name in ("kind", "name", "external_id", "lifecycle_stage"):
        if name in present:
            values[name] = get[name]
    if "email" in present:
        values["email"] = get["email"]
    if "phone" in present:
        values["phone"] = get["phone"]
    if any(part in present for part in ADDRESS_PARTS):
        address = {
            part: get[part] for part in ADDRESS_PARTS if part in present and get[part]
        }
        values["addresses"] = [address] if address else []
    if "tags" in present:
        values["tags"] = [
            t.strip() for t in (get["tags"] or "").split(",") if t.strip()
        ]
    if "language" in present or "channel" in present:
        values["preferences"] = {
            k: get[k] for k in ("language", "channel") if k in present and get[k]
        }
    if "owner" in present and get["owner"] in owners:
        values["owner_id"], values["team_id"] = owners[get["owner"]]
    attributes = {
        name.split(".", 1)[1]: plain(get[name])
        for name in present
        if name.startswith("attributes.")
    }
    if attributes:
        values["attributes"] = attributes
    return values


def _identities(
    ctx: ImportContext,
    rows: pd.Index,
    columns: Mapping[str, list[Any]],
    batch: TypedBatch,
) -> list[Any]:
    if not ctx.keys:
        assert batch.digests is not None
        return [("digest", d) for d in batch.digests]
    seen = ctx.state.setdefault("seen_keys", {})
    identities = []
    keys = zip(*(columns[name] for name in ctx.keys), strict=True)
    for row, key in zip(rows, keys, strict=True):
        if any(part is None for part in key):
            missing = [n for n, v in zip(ctx.keys, key, strict=True) if v is None]
            ctx.error(int(row), missing[0], f"the key column {missing[0]!r} is empty")
        elif key in seen:
            ctx.error(
                int(row),
                ctx.keys[0],
                f"the key {_show(key)} is also on row {seen[key]}",
            )
        else:
            seen[key] = int(row)
        identities.append(("key", key))
    return identities


def _show(key: tuple[Any, ...]) -> str:
    return ", ".join(repr(part) for part in key)


def _kind_filter(ctx: ImportContext) -> Any:
    kind = ctx.options.get("constants", {}).get("kind")
    return c.c.kind == kind if kind and "name" in ctx.keys else None


def _existing(ctx: ImportContext, identities: list[Any]) -> dict[Any, dict[str, Any]]:
    if not identities:
        return {}
    if identities[0][0] == "digest":
        digests = [ident[1] for ident in identities]
        query = select(c).where(c.c.row_digest.in_(digests))
        rows = ctx.connection.execute(query).mappings().all()
        return {("digest", row["row_digest"]): dict(row) for row in rows}
    keys = [ident[1] for ident in identities]
    columns = [c.c[name] for name in ctx.keys]
    found: dict[Any, dict[str, Any]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        condition = (
            columns[0].in_([k[0] for k in chunk])
            if len(columns) == 1
            else tuple_(*columns).in_(chunk)
        )
        query = select(c).where(condition, c.c.deleted_at.is_(None))
        kind = _kind_filter(ctx)
        if kind is not None:
            query = query.where(kind)
        for row in ctx.connection.execute(query).mappings():
            key = ("key", tuple(row[name] for name in ctx.keys))
            if key in found:
                ctx.error(
                    None,
                    ctx.keys[0],
                    f"the key {_show(key[1])} matches several customers "
                    "already stored; choose a more specific --key",
                )
            found[key] = dict(row)
    return found


def _veto(
    ctx: ImportContext,
    rows: pd.Index,
    incoming: list[dict[str, Any]],
    identities: list[Any],
    existing: Mapping[Any, Any],
) -> None:
    changes = [
        CustomerChange(after=values, before=existing.get(ident), row=int(row))
        for row, values, ident in zip(rows, incoming, identities, strict=True)
    ]
    for found in ctx.host.plugins.veto("crm_validate_customers", changes=changes):
        problem = found.value
        ctx.error(
            problem.row, problem.field, f"{problem.message} (plugin {found.plugin})"
        )


INSERT_COLUMNS = (
    "kind",
    "name",
    "display_name",
    "external_id",
    "email",
    "phone",
    "emails",
    "phones",
    "addresses",
    "owner_id",
    "team_id",
    "lifecycle_stage",
    "tags",
    "preferences",
    "attributes",
    "row_digest",
    "import_id",
    "version",
    "created_at",
    "updated_at",
)


def _insert(
    ctx: ImportContext, new: list[tuple[Any, dict[str, Any], Any]], batch: TypedBatch
) -> None:
    if not new:
        return
    now = now_value(ctx.connection, utcnow())
    default_kind = "person"
    owner = (ctx.actor.id, ctx.actor.user.team_id if ctx.actor.user else None)
    records = []
    for _row, values, ident in new:
        emails = [values["email"]] if values.get("email") else []
        phones = [values["phone"]] if values.get("phone") else []
        attributes = {
            k: v for k, v in values.get("attributes", {}).items() if v is not None
        }
        records.append(
            (
                values.get("kind") or default_kind,
                values.get("name"),
                display_name(
                    values.get("name"), emails, phones, values.get("external_id")
                ),
                values.get("external_id"),
                values.get("email"),
                values.get("phone"),
                emails,
                phones,
                values.get("addresses", []),
                values.get("owner_id", owner[0]),
                values.get("team_id", owner[1]),
                values.get("lifecycle_stage") or "lead",
                values.get("tags", []),
                values.get("preferences", {}),
                attributes,
                ident[1] if ident[0] == "digest" else None,
                ctx.import_id,
                1,
                now,
                now,
            )
        )
    columns = list(zip(*records, strict=True))
    for position in (6, 7, 8, 12, 13, 14):
        columns[position] = tuple(json_column(columns[position]))
    rows = list(zip(*columns, strict=True))
    ctx.report.created += insert_rows(ctx.connection, c, INSERT_COLUMNS, rows)


def _update(
    ctx: ImportContext, changed: list[tuple[Any, dict[str, Any], dict[str, Any]]]
) -> list[int]:
    updated_ids = []
    now = utcnow()
    for _row, values, before in changed:
        after = _merge(before, values)
        changes = audit.diff(_comparable(before), _comparable(after))
        if not changes:
            ctx.report.unchanged += 1
            continue
        after["display_name"] = display_name(
            after["name"], after["emails"], after["phones"], after["external_id"]
        )
        update = {k: after[k] for k in _COMPARED if k in after}
        ctx.connection.execute(
            c.update()
            .where(c.c.id == before["id"])
            .values(
                **update,
                display_name=after["display_name"],
                version=before["version"] + 1,
                updated_at=now,
            )
        )
        audit.record(
            ctx.connection,
            ctx.actor,
            "customer",
            before["id"],
            "update",
            changes,
            import_id=ctx.import_id,
        )
        updated_ids.append(int(before["id"]))
        ctx.report.updated += 1
    return updated_ids


_COMPARED = (
    "kind",
    "name",
    "external_id",
    "email",
    "phone",
    "emails",
    "phones",
    "addresses",
    "owner_id",
    "team_id",
    "lifecycle_stage",
    "tags",
    "preferences",
    "attributes",
)


def _merge(before: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    after = {k: before[k] for k in _COMPARED}
    after.update(
        {
            k: v
            for k, v in values.items()
            if k in _COMPARED and k not in ("attributes", "email", "phone")
        }
    )
    if "email" in values:
        after["email"] = values["email"]
        rest = [e for e in before["emails"] if e != values["email"]]
        after["emails"] = ([values["email"]] if values["email"] else []) + rest
    if "phone" in values:
        after["phone"] = values["phone"]
        rest = [p for p in before["phones"] if p != values["phone"]]
        after["phones"] = ([values["phone"]] if values["phone"] else []) + rest
    if "attributes" in values:
        merged = dict(before["attributes"])
        for key, value in values["attributes"].items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        after["attributes"] = merged
    return after


def _comparable(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _normal(record.get(k)) for k in _COMPARED}


def _normal(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return plain(value) if hasattr(value, "isoformat") else value


def resolve_parents(ctx: ImportContext) -> None:
    """Link each organisation to the parent named in the file, wherever it stands."""
    pending = ctx.state.get("parents", [])
    if not pending:
        return
    names = {name for _row, _ident, name in pending if name}
    orgs: dict[str, list[int]] = {}
    for start in range(0, len(names), 500):
        chunk = sorted(names)[start : start + 500]
        for org_id, org_name in ctx.connection.execute(
            select(c.c.id, c.c.name).where(
                c.c.name.in_(chunk),
                c.c.kind == "organisation",
                c.c.deleted_at.is_(None),
            )
        ):
            orgs.setdefault(org_name, []).append(int(org_id))
    children = _ids_by_identity(ctx, [ident for _row, ident, _name in pending])
    for row, ident, name in pending:
        child = children.get(ident)
        if child is None:
            continue
        parent_id = None
        if name:
            matches = orgs.get(name, [])
            if len(matches) != 1:
                what = (
                    "no organisation"
                    if not matches
                    else f"{len(matches)} organisations"
                )
                ctx.error(
                    int(row), "parent", f"{what} named {name!r} (expected exactly one)"
                )
                continue
            parent_id = matches[0]
            if parent_id == child["id"]:
                ctx.error(
                    int(row), "parent", "an organisation cannot be its own parent"
                )
                continue
        if child["parent_id"] != parent_id:
            ctx.connection.execute(
                c.update()
                .where(c.c.id == child["id"])
                .values(
                    parent_id=parent_id,
                    version=child["version"] + 1,
                    updated_at=utcnow(),
                )
            )
            if child["import_id"] != ctx.import_id:
                audit.record(
                    ctx.connection,
                    ctx.actor,
                    "customer",
                    child["id"],
                    "update",
                    {"parent_id": [child["parent_id"], parent_id]},
                    ctx.import_id,
                )
                ctx.report.updated += 1
                ctx.report.unchanged -= 1


def _ids_by_identity(
    ctx: ImportContext, identities: list[Any]
) -> dict[Any, dict[str, Any]]:
    found: dict[Any, dict[str, Any]] = {}
    for start in range(0, len(identities), 1000):
        found.update(_existing(ctx, identities[start : start + 1000]))
    return found


def export_customers(
    connection: Connection, actor: Actor
) -> Iterator[Mapping[str, Any]]:
    """Every customer the actor may read, as flat rows (custom fields as columns)."""
    query = select(c).where(
        c.c.deleted_at.is_(None), scope_clause(actor, "customer.read", c)
    )
    for row in connection.execute(query.order_by(c.c.id)).mappings():
        flat = {
            k: row[k]
            for k in (
                "id",
                "kind",
                "name",
                "external_id",
                "email",
                "phone",
                "owner_id",
                "lifecycle_stage",
                "parent_id",
            )
        }
        address = (row["addresses"] or [{}])[0]
        flat.update({part: address.get(part) for part in ADDRESS_PARTS})
        flat["tags"] = ", ".join(row["tags"])
        flat.update(row["attributes"])
        yield flat


CUSTOMERS = RecordType(
    name="customers",
    schema=CustomerImportSchema,
    write=write_customers,
    keys=KEYS,
    custom_fields="customer",
    finish=resolve_parents,
    export=export_customers,
    description="People and organisations",
)

__all__ = ["CUSTOMERS", "CustomerCreated", "CustomersImported"]
