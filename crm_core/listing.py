"""Lists of records: allow-listed filters and sorts, search, and cursor pagination.

Every list (API and pages) parses its query parameters here, so the same
names, operators and errors apply everywhere, and the record scope is always
part of the query.

Filter syntax: ``field=value`` (equals), ``field__OP=value`` with OP one of
``ne lt lte gt gte in contains``; ``in`` takes comma-separated values. ``sort``
takes comma-separated field names, ``-`` first for descending. Pages are
fetched with the opaque ``cursor`` of the previous page.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import Connection, and_, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement

from .contributions import FieldType
from .customers import InvalidInput
from .fields import sql_value
from .security import Actor, scope_clause
from .storage import schema

if TYPE_CHECKING:
    from .host import Host

OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "contains")
RESERVED = ("q", "sort", "cursor", "limit")


@attrs.frozen
class ListField:
    """A field that lists may filter and sort on."""

    name: str
    expr: Any
    type: FieldType
    choices: tuple[str, ...] = ()


@attrs.frozen
class ListSpec:
    fields: Mapping[str, ListField]
    search: Sequence[Any]
    default_sort: tuple[tuple[str, bool], ...] = (("id", False),)


@attrs.frozen
class ListQuery:
    filters: tuple[tuple[str, str, Any], ...]
    sort: tuple[tuple[str, bool], ...]
    q: str | None
    cursor: tuple[Any, ...] | None
    limit: int


@attrs.frozen
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


c = schema.customer

_CORE_CUSTOMER_FIELDS = {
    "id": FieldType.INTEGER,
    "kind": FieldType.TEXT,
    "name": FieldType.TEXT,
    "display_name": FieldType.TEXT,
    "external_id": FieldType.TEXT,
    "email": FieldType.TEXT,
    "phone": FieldType.TEXT,
    "owner_id": FieldType.INTEGER,
    "team_id": FieldType.INTEGER,
    "lifecycle_stage": FieldType.TEXT,
    "parent_id": FieldType.INTEGER,
    "created_at": FieldType.DATETIME,
    "updated_at": FieldType.DATETIME,
}


def customer_list_spec(host: Host, connection: Connection) -> ListSpec:
    """What customer lists may filter and sort on: core columns and custom fields."""
    fields = {
        name: ListField(name, c.c[name], kind)
        for name, kind in _CORE_CUSTOMER_FIELDS.items()
    }
    for name, spec in host.fields.for_type(connection, "customer").items():
        if name not in fields and not spec.sensitive:
            fields[name] = ListField(
                name, sql_value(spec, c.c.attributes), spec.type, spec.choices
            )
    search = [c.c.display_name, c.c.email, c.c.phone, c.c.external_id]
    return ListSpec(fields, search, (("display_name", False),))


def parse_list_args(
    args: Mapping[str, Any], spec: ListSpec, *, page_max: int, page_default: int
) -> ListQuery:
    """Read list parameters, refusing anything not allowed, naming the parameter."""
    errors: dict[str, list[str]] = {}
    filters = []
    for key in args:
        if key in RESERVED:
            continue
        value = _single(args, key) or ""
        name, _, op = key.partition("__")
        op = op or "eq"
        field = spec.fields.get(name)
        if field is None or op not in OPERATORS:
            errors[key] = [_unknown_filter(key, spec)]
            continue
        try:
            filters.append((name, op, _convert(field, op, value)))
        except ValueError as error:
            errors[key] = [str(error)]
    sort = _parse_sort(_single(args, "sort"), spec, errors)
    limit = _parse_limit(_single(args, "limit"), page_max, page_default, errors)
    cursor = _parse_cursor(_single(args, "cursor"), len(sort) + 1, errors)
    if errors:
        raise InvalidInput(errors)
    q = (_single(args, "q") or "").strip() or None
    return ListQuery(tuple(filters), sort, q, cursor, limit)


def list_customers(
    host: Host,
    connection: Connection,
    actor: Actor,
    query: ListQuery,
    spec: ListSpec | None = None,
    *,
    deleted: bool = False,
) -> Page:
    """One page of customers the actor may read."""
    spec = spec or customer_list_spec(host, connection)
    condition = and_(
        scope_clause(actor, "customer.read", c),
        c.c.deleted_at.is_not(None) if deleted else c.c.deleted_at.is_(None),
    )
    rows, next_cursor = fetch_page(
        connection, select(c), condition, spec, query, c.c.id
    )
    return Page(
        [host.customers.public(connection, actor, row) for row in rows], next_cursor
    )


def fetch_page(
    connection: Connection,
    base: Any,
    condition: Any,
    spec: ListSpec,
    query: ListQuery,
    id_column: Any,
) -> tuple[list[Any], str | None]:
    """Rows of one page of ``base`` under ``condition`` with keyset pagination."""
    keys = [(_sortable(spec.fields[name]), desc) for name, desc in query.sort]
    keys.append((id_column, keys[-1][1] if keys else False))
    statement = base.where(
        condition, *[_filter(spec.fields[n], op, v) for n, op, v in query.filters]
    )
    if query.q:
        pattern = f"%{_escape_like(query.q.lower())}%"
        statement = statement.where(
            or_(*[func.lower(e).like(pattern, escape="\\") for e in spec.search])
        )
    if query.cursor is not None:
        statement = statement.where(_after(keys, query.cursor))
    statement = statement.order_by(*[e.desc() if d else e.asc() for e, d in keys])
    rows = connection.execute(statement.limit(query.limit + 1)).mappings().all()
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        last = rows[-1]
        values = [_cursor_value(connection, expr, last, id_column) for expr, _ in keys]
        next_cursor = _encode_cursor(values)
    return list(rows), next_cursor


def _cursor_value(
    connection: Connection, expr: Any, row: Mapping[Any, Any], id_column: Any
) -> Any:
    name = getattr(expr, "key", None)
    if (
        isinstance(name, str)
        and name in row
        and getattr(expr, "table", None) is not None
    ):
        return _jsonable(row[name])
    # A computed sort key (a custom field): read it back for this row.
    value = connection.execute(select(expr).where(id_column == row["id"])).scalar()
    return _jsonable(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _after(
    keys: list[tuple[Any, bool]], cursor: tuple[Any, ...]
) -> ColumnElement[bool]:
    clauses = []
    for index, (expr, desc) in enumerate(keys):
        equal = [
            keys[i][0] == literal(_restore(keys[i][0], cursor[i])) for i in range(index)
        ]
        value = literal(_restore(expr, cursor[index]))
        clauses.append(and_(*equal, expr < value if desc else expr > value))
    return or_(*clauses)


def _restore(expr: Any, value: Any) -> Any:
    kind = getattr(getattr(expr, "type", None), "python_type", None)
    try:
        if kind is dt.datetime and isinstance(value, str):
            return dt.datetime.fromisoformat(value)
        if kind is Decimal and isinstance(value, str):
            return Decimal(value)
    except (NotImplementedError, ValueError):
        return value
    return value


def _sortable(field: ListField) -> Any:
    if field.type in (FieldType.INTEGER, FieldType.DECIMAL):
        return (
            func.coalesce(field.expr, -(10**15))
            if not _is_column(field)
            else field.expr
        )
    if field.type is FieldType.BOOLEAN:
        return field.expr if _is_column(field) else func.coalesce(field.expr, False)
    return field.expr if _is_column(field) else func.coalesce(field.expr, "")


def _is_column(field: ListField) -> bool:
    return (
        getattr(field.expr, "table", None) is not None
        and field.name in _CORE_CUSTOMER_FIELDS
    )


def _filter(field: ListField, op: str, value: Any) -> ColumnElement[bool]:
    expr = field.expr
    if op == "in":
        return expr.in_(value)
    if op == "contains":
        return func.lower(expr).like(
            f"%{_escape_like(str(value).lower())}%", escape="\\"
        )
    compare: dict[str, Callable[[Any, Any], Any]] = {
        "eq": lambda e, v: e.is_(None) if v is None else e == v,
        "ne": lambda e, v: e.is_not(None) if v is None else e != v,
        "lt": lambda e, v: e < v,
        "lte": lambda e, v: e <= v,
        "gt": lambda e, v: e > v,
        "gte": lambda e, v: e >= v,
    }
    return compare[op](expr, value)


def _convert(field: ListField, op: str, raw: str) -> Any:
    if op == "in":
        return [
            _convert_one(field, part.strip()) for part in raw.split(",") if part.strip()
        ]
    if op == "contains":
        if field.type not in (FieldType.TEXT, FieldType.CHOICE):
            raise ValueError(
                f"'contains' needs a text field; {field.name!r} is {field.type.value}"
            )
        return raw
    if raw == "" and op in ("eq", "ne"):
        return None
    return _convert_one(field, raw)


def _convert_one(field: ListField, raw: str) -> Any:
    kind = field.type
    try:
        if kind is FieldType.INTEGER:
            number = int(raw)
            if not -(2**63) <= number < 2**63:
                raise ValueError("out of range")
            return number
        if kind is FieldType.DECIMAL:
            return Decimal(raw)
        if kind is FieldType.BOOLEAN:
            return {
                "true": True,
                "1": True,
                "yes": True,
                "false": False,
                "0": False,
                "no": False,
            }[raw.strip().lower()]
        if kind is FieldType.DATE:
            return dt.date.fromisoformat(raw).isoformat()
        if kind is FieldType.DATETIME:
            moment = dt.datetime.fromisoformat(raw)
            if moment.tzinfo is None:
                raise ValueError("no zone")
            moment = moment.astimezone(dt.UTC)
            return moment if field.name in _CORE_CUSTOMER_FIELDS else moment.isoformat()
    except (ValueError, KeyError, InvalidOperation):
        raise ValueError(f"{raw!r} is not {_EXPECTED[kind]}") from None
    if kind is FieldType.CHOICE and field.choices and raw not in field.choices:
        raise ValueError(f"{raw!r} is not one of {', '.join(field.choices)}")
    return raw


_EXPECTED = {
    FieldType.INTEGER: "a whole number of at most 19 digits",
    FieldType.DECIMAL: "a number such as 12.50",
    FieldType.BOOLEAN: "true or false",
    FieldType.DATE: "a date (YYYY-MM-DD)",
    FieldType.DATETIME: "a time with zone (e.g. 2024-05-01T09:00:00+02:00)",
}


def _unknown_filter(key: str, spec: ListSpec) -> str:
    return (
        f"unknown filter {key!r}; filter on one of {', '.join(sorted(spec.fields))} "
        f"with an optional __{'/__'.join(OPERATORS[1:])}"
    )


def _parse_sort(
    raw: str | None, spec: ListSpec, errors: dict[str, list[str]]
) -> tuple[tuple[str, bool], ...]:
    if not raw:
        return spec.default_sort
    result = []
    for part in raw.split(","):
        name = part.strip().lstrip("-")
        if name not in spec.fields:
            errors["sort"] = [
                f"cannot sort by {part.strip()!r}; sort by one of "
                f"{', '.join(sorted(spec.fields))}, '-' first for descending"
            ]
            return spec.default_sort
        result.append((name, part.strip().startswith("-")))
    return tuple(result)


def _parse_limit(
    raw: str | None, page_max: int, default: int, errors: dict[str, list[str]]
) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= page_max:
        errors["limit"] = [f"{raw!r} is not a page size from 1 to {page_max}"]
        return default
    return int(raw)


def _parse_cursor(
    raw: str | None, size: int, errors: dict[str, list[str]]
) -> tuple[Any, ...] | None:
    if not raw:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(raw.encode() + b"==="))
        if not isinstance(values, list) or len(values) != size:
            raise ValueError
    except ValueError:
        errors["cursor"] = [
            "not a cursor from this list with this sort; start from the first page"
        ]
        return None
    return tuple(values)


def _encode_cursor(values: list[Any]) -> str:
    text = json.dumps(values, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _single(args: Mapping[str, Any], key: str) -> str | None:
    value = args.get(key)
    if isinstance(value, list):
        return str(value[-1]) if value else None
    return None if value is None else str(value)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
