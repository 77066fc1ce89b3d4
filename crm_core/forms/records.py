"""Turning a checked submission into a record.

Customers go through the customer service, matched on their e-mail
address: a new address creates a customer (the ``crm_customer_owner`` hook
chooses the owner), a known one only fills what the record lacks, since
anyone may type anyone's address into a public form. A timeline entry
records each submission. Other record types are written by their own
import writer, as a one-row batch of a recorded import.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Connection, select

from ..activities import ActivityService
from ..customers import InvalidInput
from ..importing.identity import row_digests
from ..importing.pipeline import ATTRIBUTE
from ..importing.records import ImportContext, ImportReport, TypedBatch, plain
from ..security import SYSTEM
from ..storage import schema
from ..storage.database import new_id
from ..storage.types import dumps, utcnow
from .intake import FormRules
from .spec import FormSpec

if TYPE_CHECKING:
    from ..host import Host

c = schema.customer
ADDRESS_PARTS = ("street", "city", "region", "postcode", "country")
#: Where the customer service's field paths land on a customers form.
CUSTOMER_FIELDS = {"emails": "email", "phones": "phone", "addresses": "street"}


def write(
    host: Host,
    connection: Connection,
    spec: FormSpec,
    form: FormRules,
    values: Mapping[str, Any],
) -> str:
    """Store one checked submission; returns the id of the record it made or changed."""
    if spec.record_type == "customers":
        customer_id = write_customer(host, connection, spec, values)
        _log_activity(host, connection, spec, form, values, customer_id)
        return str(customer_id)
    return write_by_import(host, connection, spec, form, values)


def customer_input(values: Mapping[str, Any]) -> dict[str, Any]:
    """Customer-service input from converted import values."""
    data: dict[str, Any] = {}
    for key in ("kind", "name", "external_id", "lifecycle_stage"):
        if values.get(key) is not None:
            data[key] = values[key]
    if values.get("email"):
        data["emails"] = [values["email"]]
    if values.get("phone"):
        data["phones"] = [values["phone"]]
    address = {part: values[part] for part in ADDRESS_PARTS if values.get(part)}
    if address:
        data["addresses"] = [address]
    if values.get("tags"):
        data["tags"] = [t.strip() for t in str(values["tags"]).split(",") if t.strip()]
    preferences = {k: values[k] for k in ("language", "channel") if values.get(k)}
    if preferences:
        data["preferences"] = preferences
    attributes = {
        key.removeprefix(ATTRIBUTE): plain(value)
        for key, value in values.items()
        if key.startswith(ATTRIBUTE) and value is not None
    }
    if attributes:
        data["attributes"] = attributes
    return data


def write_customer(
    host: Host, connection: Connection, spec: FormSpec, values: Mapping[str, Any]
) -> int:
    """Create the customer with this address, or fill the gaps of the one found."""
    data = customer_input(values)
    found = (
        connection.execute(
            select(c)
            .where(c.c.email == values["email"], c.c.deleted_at.is_(None))
            .order_by(c.c.id)
        )
        .mappings()
        .first()
    )
    try:
        if found is None:
            return int(host.customers.create(connection, SYSTEM, data)["id"])
        gaps = _gaps(found, data)
        if gaps:
            host.customers.update(connection, SYSTEM, found["id"], gaps)
        return int(found["id"])
    except InvalidInput as error:
        raise InvalidInput(_by_form_field(error.errors)) from None


def _gaps(stored: Mapping[Any, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """The part of ``data`` that only fills what ``stored`` lacks."""
    gaps: dict[str, Any] = {}
    for key in ("name", "external_id", "addresses"):
        if data.get(key) and not stored.get(key):
            gaps[key] = data[key]
    new_phones = [p for p in data.get("phones", []) if p not in stored["phones"]]
    if new_phones:
        gaps["phones"] = [*stored["phones"], *new_phones]
    new_tags = [t for t in data.get("tags", []) if t not in stored["tags"]]
    if new_tags:
        gaps["tags"] = [*stored["tags"], *new_tags]
    preferences = {
        k: v
        for k, v in data.get("preferences", {}).items()
        if not stored["preferences"].get(k)
    }
    if preferences:
        gaps["preferences"] = {**stored["preferences"], **preferences}
    attributes = {
        k: v
        for k, v in data.get("attributes", {}).items()
        if stored["attributes"].get(k) is None
    }
    if attributes:
        gaps["attributes"] = attributes
    return gaps


def _by_form_field(errors: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path, messages in errors.items():
        head, _, rest = path.partition(".")
        field = CUSTOMER_FIELDS.get(head, head)
        if head == "attributes" and rest:
            field = rest
        found.setdefault(field, []).extend(
            messages if isinstance(messages, list) else [str(messages)]
        )
    return found


def _log_activity(
    host: Host,
    connection: Connection,
    spec: FormSpec,
    form: FormRules,
    values: Mapping[str, Any],
    customer_id: int,
) -> None:
    lines = []
    for field in spec.fields:
        value = values.get(form.targets[field.name])
        if value is not None:
            lines.append(f"{field.label or field.name}: {plain(value)}")
    ActivityService(host).create(
        connection,
        SYSTEM,
        {
            "customer_id": customer_id,
            "channel": "web",
            "kind": "form_submission",
            "subject": (spec.title or spec.name)[:500],
            "body": "\n".join(lines),
            "source_type": "form",
            "source_id": spec.name,
        },
    )


def write_by_import(
    host: Host,
    connection: Connection,
    spec: FormSpec,
    form: FormRules,
    values: Mapping[str, Any],
) -> str:
    """Write through the record type's import writer, as a recorded one-row import."""
    record_type = form.record_type
    present = frozenset(name for name, value in values.items() if value is not None)
    frame = pd.DataFrame({name: [values[name]] for name in present}, index=[1])
    keys = ("email",) if "email" in record_type.keys and "email" in present else ()
    digests = None if keys else row_digests(frame.astype(str), {})
    report = ImportReport(record_type.name, f"form:{spec.name}", dry_run=False)
    import_id = _import_run(connection, spec, record_type.name, values)
    specs = (
        host.fields.for_type(connection, record_type.custom_fields)
        if record_type.custom_fields
        else {}
    )
    ctx = ImportContext(
        host, connection, SYSTEM, record_type, report, keys, import_id, specs
    )
    record_type.write(ctx, TypedBatch(frame, present, digests))
    if record_type.finish is not None and not ctx.failed:
        record_type.finish(ctx)
    connection.execute(
        schema.import_run.update()
        .where(schema.import_run.c.id == import_id)
        .values(
            created=report.created, updated=report.updated, unchanged=report.unchanged
        )
    )
    if ctx.failed:
        errors: dict[str, list[str]] = {}
        for error in report.errors:
            column = str(error.get("column") or "_form").removeprefix(ATTRIBUTE)
            errors.setdefault(column, []).append(str(error["message"]))
        raise InvalidInput(errors)
    return str(import_id)


def _import_run(
    connection: Connection, spec: FormSpec, record_type: str, values: Mapping[str, Any]
) -> int:
    now = utcnow()
    digest = hashlib.sha256(dumps({k: plain(v) for k, v in values.items()}).encode())
    return new_id(
        connection.execute(
            schema.import_run.insert().values(
                record_type=record_type,
                file_name=f"form:{spec.name}",
                file_digest=digest.hexdigest(),
                user_id=None,
                started_at=now,
                finished_at=now,
                status="done",
                dry_run=False,
                created=0,
                updated=0,
                options={"form": spec.name},
            )
        )
    )
