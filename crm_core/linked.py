"""What activities and relationships share: records reached through customers.

Loading input with an allow-listed schema, scope through the linked customer,
and keyset pages with opaque cursors.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs
from marshmallow import Schema, ValidationError, validate
from sqlalchemy import ColumnElement, Connection, CursorResult, false, select, true

from .customers import InvalidInput
from .entities import Scope
from .security import Actor, PermissionDenied, in_scope, scope_clause
from .storage import schema

c = schema.customer

#: The largest id a 64-bit primary key holds.
ID_MAX = 2**63 - 1
#: Ids in input: positive and within a 64-bit key.
ID_RANGE = validate.Range(min=1, max=ID_MAX, error="not an id (1 to 2^63-1)")


def representable(moment: datetime) -> None:
    """Refuse a time that cannot be stored in UTC (year 1 at +14:00, say)."""
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise ValidationError("out of the range of storable times") from None


@attrs.frozen
class ListArgs:
    """Parsed list parameters: equality ``filters``, a ``cursor`` and a ``limit``."""

    filters: Mapping[str, Any]
    cursor: tuple[Any, ...] | None
    limit: int


@attrs.frozen
class RecordPage:
    """One page of records and the cursor of the next page, if any."""

    items: list[dict[str, Any]]
    next_cursor: str | None


def load_input(schema: Schema, data: Any, *, partial: bool = False) -> dict[str, Any]:
    """``data`` loaded by ``schema``, or :class:`InvalidInput` naming each field."""
    if not isinstance(data, Mapping):
        raise InvalidInput({"_body": ["expected a JSON object"]})
    try:
        return dict(schema.load(data, partial=partial))
    except ValidationError as error:
        raise InvalidInput(flatten_errors(error.messages)) from None


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, Any]:
    """Nested marshmallow messages as ``{"dotted.path": [messages]}``."""
    if not isinstance(messages, dict):
        return {prefix or "_body": messages}
    flat: dict[str, Any] = {}
    for key, value in messages.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(flatten_errors(value, path))
        else:
            flat[path] = value
    return flat


def parse_list_args(
    args: Mapping[str, Any],
    args_schema: Schema,
    *,
    page_max: int,
    page_default: int,
    cursor: Sequence[type],
) -> ListArgs:
    """Query parameters of a list, refused with :class:`InvalidInput` naming each."""
    single = {
        key: value[-1] if isinstance(value, list) else value
        for key, value in args.items()
    }
    errors: dict[str, Any] = {}
    try:
        loaded = dict(args_schema.load(single))
    except ValidationError as error:
        errors.update(flatten_errors(error.messages))
        loaded = {}
    limit = _limit(single.get("limit"), page_max, page_default, errors)
    after = decode_cursor(single.get("cursor"), cursor, errors)
    if errors:
        raise InvalidInput(errors)
    loaded.pop("limit", None)
    loaded.pop("cursor", None)
    return ListArgs(loaded, after, limit)


def _limit(raw: Any, page_max: int, default: int, errors: dict[str, Any]) -> int:
    if raw is None or raw == "":
        return default
    text = str(raw)
    if not text.isdigit() or not 1 <= int(text) <= page_max:
        errors["limit"] = [f"{text!r} is not a page size from 1 to {page_max}"]
        return default
    return int(text)


def encode_cursor(values: list[Any]) -> str:
    """An opaque cursor for the sort key values of the last row of a page."""
    text = json.dumps(values, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(
    raw: Any, kinds: Sequence[type], errors: dict[str, Any]
) -> tuple[Any, ...] | None:
    """The values in a cursor, each of its ``kinds`` (``int`` or ``datetime``)."""
    if not raw:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(str(raw).encode() + b"==="))
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError(raw)
        return tuple(_cursor_value(k, v) for k, v in zip(kinds, values, strict=True))
    except (ValueError, TypeError, OverflowError):
        errors["cursor"] = ["not a cursor of this list; start from the first page"]
        return None


def _cursor_value(kind: type, value: Any) -> Any:
    if kind is int:
        if type(value) is not int or not 0 <= value <= ID_MAX:
            raise ValueError(value)
        return value
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(value)
    return moment.astimezone(UTC)


def customers_within(actor: Actor, permission: str, column: Any) -> ColumnElement[bool]:
    """A clause keeping rows whose customer ``column`` is within ``actor``'s scope."""
    scope = actor.scope(permission)
    if scope is None:
        return false()
    if scope is Scope.ALL:
        return true()
    return column.in_(select(c.c.id).where(scope_clause(actor, permission, c)))


def customer_for_write(
    connection: Connection, actor: Actor, customer_id: int, field: str
) -> Mapping[Any, Any]:
    """A live customer the actor may change, or an error naming ``field``."""
    row = (
        connection.execute(
            select(c.c.id, c.c.kind, c.c.owner_id, c.c.team_id, c.c.deleted_at).where(
                c.c.id == customer_id
            )
        )
        .mappings()
        .first()
    )
    if row is None or row["deleted_at"] is not None:
        raise InvalidInput({field: [f"no customer {customer_id} that you may see"]})
    if not in_scope(actor, "customer.read", row):
        raise InvalidInput({field: [f"no customer {customer_id} that you may see"]})
    if not in_scope(actor, "customer.update", row):
        raise PermissionDenied(
            f"permission 'customer.update' does not reach customer {customer_id}"
        )
    return row


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key of the row an INSERT made."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
