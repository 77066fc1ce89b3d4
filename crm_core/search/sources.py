"""Search sources: how a record type is indexed, who may find it, and where it links.

Customers are the core's own source; plugins add theirs through the
``crm_search_sources`` hook with a :class:`SearchSource`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import phonenumbers
from flask import has_request_context, url_for
from sqlalchemy import ColumnElement, Connection, Select, exists, select

from ..contributions import FieldType
from ..security import Actor, scope_clause
from ..storage import schema

_RECORD_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
#: Text of one indexed record is cut to this many characters.
MAX_BODY = 20_000


@attrs.frozen
class SearchDocument:
    """The text of one record: a title (shown, and weighted higher) and a body."""

    record_id: int
    title: str
    body: str = ""


#: Reads, from an event's payload, the ids of the records it changed.
ChangedIds = Callable[[Connection, Mapping[str, Any]], Iterable[int]]


@attrs.frozen
class SearchSource:
    """A record type that search covers.

    :param record_type: the type's name, e.g. ``"sales.opportunity"``.
    :param label: what results of this type are called, e.g. ``"Opportunities"``.
    :param documents: ``documents(connection, ids)`` gives the current
        :class:`SearchDocument` of each id that should be found; ids it
        leaves out (deleted records) are dropped from the index.
    :param visible: ``visible(actor, record_id)`` is a SQL condition on the
        index's ``record_id`` column that holds for the records ``actor`` may
        read, usually an ``EXISTS`` with the record scope applied.
    :param link: ``link(record_id)`` is the URL of a record's page.
    :param events: event names, each with a function reading the changed
        ids from the event's payload; the index follows these events.
    :param ids: a query of every id to index, for a full rebuild.
    """

    record_type: str = attrs.field(validator=attrs.validators.matches_re(_RECORD_TYPE))
    label: str
    documents: Callable[[Connection, Sequence[int]], Iterable[SearchDocument]]
    visible: Callable[[Actor, Any], ColumnElement[bool]]
    link: Callable[[int], str]
    events: Mapping[str, ChangedIds] = attrs.field(factory=dict)
    ids: Callable[[], Select[Any]] | None = None


# -- customers ---------------------------------------------------------------

c = schema.customer


def customer_documents(
    text_fields: Sequence[str],
) -> Callable[[Connection, Sequence[int]], list[SearchDocument]]:
    """Documents of live customers: names, contact points, ids, tags, text fields."""

    def documents(connection: Connection, ids: Sequence[int]) -> list[SearchDocument]:
        rows = connection.execute(
            select(c).where(c.c.id.in_(list(ids)), c.c.deleted_at.is_(None))
        ).mappings()
        return [_customer_document(row, text_fields) for row in rows]

    return documents


def _customer_document(
    row: Mapping[Any, Any], text_fields: Sequence[str]
) -> SearchDocument:
    parts = [row["name"], row["external_id"], *row["emails"]]
    parts += [variant for phone in row["phones"] for variant in _phone_forms(phone)]
    parts += row["tags"]
    attributes = row["attributes"] or {}
    parts += [str(attributes[name]) for name in text_fields if attributes.get(name)]
    body = " · ".join(str(part) for part in parts if part)
    return SearchDocument(int(row["id"]), row["display_name"], body[:MAX_BODY])


def _phone_forms(phone: str) -> list[str]:
    """The stored E.164 form and the national number, so both are found."""
    try:
        national = str(phonenumbers.parse(phone).national_number)
    except phonenumbers.NumberParseException:
        return [phone]
    return [phone, national]


def customer_visible(actor: Actor, record_id: Any) -> ColumnElement[bool]:
    """Live customers within ``actor``'s read scope."""
    return exists().where(
        c.c.id == record_id,
        c.c.deleted_at.is_(None),
        scope_clause(actor, "customer.read", c),
    )


def _customer_link(record_id: int) -> str:
    if has_request_context():
        return url_for("pages.customer", customer_id=record_id)
    return f"/customers/{record_id}"


def _one_customer(connection: Connection, payload: Mapping[str, Any]) -> list[int]:
    return [int(payload["customer_id"])]


def _imported(connection: Connection, payload: Mapping[str, Any]) -> list[int]:
    created = select(c.c.id).where(c.c.import_id == payload["import_id"])
    return [*payload.get("updated_ids", []), *connection.execute(created).scalars()]


def customer_source(text_fields: Sequence[str]) -> SearchSource:
    """The customers as a search source, indexing the given text custom fields."""
    one = {
        name: _one_customer
        for name in (
            "customer.created",
            "customer.updated",
            "customer.deleted",
            "customer.restored",
        )
    }
    return SearchSource(
        "customer",
        "Customers",
        customer_documents(text_fields),
        customer_visible,
        _customer_link,
        {**one, "customer.imported": _imported},
        lambda: select(c.c.id).where(c.c.deleted_at.is_(None)),
    )


def text_fields(specs: Mapping[str, Any]) -> list[str]:
    """Custom text fields that may be indexed: the ones that are not sensitive."""
    return sorted(
        name
        for name, spec in specs.items()
        if spec.type is FieldType.TEXT and not spec.sensitive
    )
