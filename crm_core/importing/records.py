"""The contract between the import pipeline and the record types plugins register.

A :class:`RecordType` names the fields a file may fill (through a marshmallow
schema whose declared rules become the bulk checks), the fields usable as a
matching key, and a ``write`` function that stores one converted batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
import pandas as pd
from marshmallow import Schema
from sqlalchemy import Connection

if TYPE_CHECKING:
    from ..host import Host
    from ..security import Actor


@attrs.frozen
class RecordType:
    """A kind of record the import and export pipeline handles.

    :param name: the name used on the command line (``crm import NAME``).
    :param schema: a marshmallow schema of the importable fields; its field
        types, ``required`` flags and validators (Length, OneOf, Range,
        Regexp) are checked on whole columns.
    :param write: stores one :class:`TypedBatch`; reports counts and row
        errors through the :class:`ImportContext`.
    :param keys: fields the user may choose with ``--key``.
    :param custom_fields: the record type whose custom fields columns may
        fill (``"customer"``), or ``None``.
    :param group_by: fields whose equal values make rows one record (an order
        and its lines); the pipeline never splits such a group across
        batches, so the file must keep a group's rows together.
    :param finish: runs once after the last batch (deferred references).
    :param export: yields the rows an export writes, already scoped.
    """

    name: str
    schema: type[Schema]
    write: Callable[[ImportContext, TypedBatch], None]
    keys: tuple[str, ...] = ()
    custom_fields: str | None = None
    group_by: tuple[str, ...] = ()
    permission: str = "customer.import"
    finish: Callable[[ImportContext], None] | None = None
    export: Callable[[Connection, Actor], Iterator[Mapping[str, Any]]] | None = None
    description: str = ""


@attrs.frozen
class TypedBatch:
    """One batch of converted rows.

    ``frame`` holds Python values (``None`` for empty cells) in columns named
    by target field, indexed by row number; custom fields are in columns
    named ``attributes.<name>``. ``digests`` is each row's identity when the
    import has no key. ``present`` lists the fields the file (or a constant)
    fills, so writers do not clear fields a file does not mention.
    """

    frame: pd.DataFrame
    present: frozenset[str]
    digests: pd.Series | None = None


@attrs.define
class ImportReport:
    """What an import did, or would do in a dry run."""

    record_type: str
    file: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = attrs.field(factory=list)
    fields_created: list[dict[str, Any]] = attrs.field(factory=list)
    ignored_columns: list[str] = attrs.field(factory=list)
    mapping: dict[str, str] = attrs.field(factory=dict)
    encoding: str | None = None
    delimiter: str | None = None
    rows: int = 0
    import_id: int | None = None
    status: str = "running"

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def as_dict(self) -> dict[str, Any]:
        data = attrs.asdict(self)
        data["errors"] = [dict(error) for error in self.errors]
        return data


MAX_REPORTED_ERRORS = 1000


@attrs.define
class ImportContext:
    """What a record type's writer gets: the open transaction and the report."""

    host: Host
    connection: Connection
    actor: Actor
    record_type: RecordType
    report: ImportReport
    keys: tuple[str, ...]
    import_id: int
    custom_specs: Mapping[str, Any] = attrs.field(factory=dict)
    options: Mapping[str, Any] = attrs.field(factory=dict)
    state: dict[str, Any] = attrs.field(factory=dict)

    def error(self, row: int | None, column: str | None, message: str) -> None:
        """Record a problem with one row (and column); the import will change nothing."""
        self.report.error_count += 1
        if len(self.report.errors) < MAX_REPORTED_ERRORS:
            self.report.errors.append(
                {"row": row, "column": column, "message": message}
            )

    @property
    def failed(self) -> bool:
        return self.report.error_count > 0


def plain(value: Any) -> Any:
    """A converted value in the form stored in JSON documents."""
    if isinstance(value, Decimal):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
