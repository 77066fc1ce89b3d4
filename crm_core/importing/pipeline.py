"""The import pipeline: one path for every record type plugins register.

A file is read in batches, its columns mapped to fields, every cell converted
and checked by the record type's declared rules, rows matched on the chosen
key (or on their content identity), and each batch written in one
transaction that covers the whole file. Any bad row, and a dry run, roll the
transaction back: the database is left as it was, and the report names every
bad row, column and reason. Every run is recorded in ``core_import``.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import pandas as pd
from sqlalchemy import Connection
from tqdm import tqdm

from ..contributions import FieldSpec, FieldType
from ..fields import RESERVED_CUSTOMER_NAMES, FieldError
from ..security import Actor
from ..storage import schema
from ..storage.schema import SYSTEM_FIELDS
from ..storage.types import utcnow
from .errors import ImportFileError, MappingError
from .identity import row_digests
from .inference import TableProfile
from .mapping import ImportMapping, apply_value_map, dictionary_labels
from .reading import TableReader, open_table
from .records import ImportContext, ImportReport, RecordType, TypedBatch
from .rules import (
    FieldRule,
    ValueOptions,
    apply_checks,
    custom_field_rule,
    schema_rules,
)
from .values import convert

if TYPE_CHECKING:
    from ..host import Host

log = logging.getLogger("crm_core.importing")

ATTRIBUTE = "attributes."


class ImportUsageError(ValueError):
    """The import cannot start as asked (unknown record type, key or field)."""


@attrs.frozen
class ImportRequest:
    """What to import and how; the command line and the API build one."""

    record_type: str
    path: Path = attrs.field(converter=Path)
    mapping: ImportMapping = attrs.field(factory=ImportMapping)
    keys: tuple[str, ...] = ()
    create_fields: bool = False
    dry_run: bool = False
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    values: ValueOptions = attrs.field(factory=ValueOptions)
    batch_rows: int = 20_000
    progress: bool = False


class _Rollback(Exception):
    """Leaves the import's transaction without committing."""


@attrs.define
class _Plan:
    """Column → field decisions, made before anything is written."""

    reader: TableReader
    fields: dict[str, str]
    rules: dict[str, FieldRule]
    new_fields: list[FieldSpec]
    constants: dict[str, str]


def run_import(host: Host, actor: Actor, request: ImportRequest) -> ImportReport:
    """Import ``request.path``; see the module notes for the guarantees."""
    record_type = _record_type(host, request.record_type)
    actor.require(record_type.permission)
    report = ImportReport(
        record_type=record_type.name, file=request.path.name, dry_run=request.dry_run
    )
    with host.db.connect() as connection:
        plan = _plan(host, connection, record_type, request, report)
    report.encoding, report.delimiter = plan.reader.encoding, plan.reader.delimiter
    report.mapping = dict(plan.fields)
    if report.error_count:
        report.status = "refused"
        _record(host, actor, request, report)
        return report
    try:
        with host.db.transaction() as connection:
            _run(host, connection, actor, record_type, request, plan, report)
            if report.error_count or request.dry_run:
                raise _Rollback
    except _Rollback:
        host.fields.invalidate()
        report.status = "refused" if report.error_count else "dry-run"
        report.import_id = None
        _record(host, actor, request, report)
        return report
    report.status = "done"
    log.info(
        "import %s of %s: %d created, %d updated, %d unchanged",
        report.import_id,
        record_type.name,
        report.created,
        report.updated,
        report.unchanged,
    )
    return report


def _record_type(host: Host, name: str) -> RecordType:
    types = host.record_types()
    if name not in types:
        raise ImportUsageError(
            f"unknown record type {name!r}; enabled plugins offer: {', '.join(sorted(types))}"
        )
    return types[name]


def _plan(
    host: Host,
    connection: Connection,
    record_type: RecordType,
    request: ImportRequest,
    report: ImportReport,
) -> _Plan:
    reader = open_table(
        request.path,
        encoding=request.encoding,
        delimiter=request.delimiter,
        sheet=request.sheet,
        batch_rows=request.batch_rows,
    )
    mapping = request.mapping
    fields = mapping.resolve(reader.columns)
    constants = dict(mapping.constants)
    rules = schema_rules(record_type.schema, request.values)
    for column, field in [*fields.items(), *((f"--set {k}", k) for k in constants)]:
        if field in SYSTEM_FIELDS:
            report.error_count += 1
            report.errors.append(
                {
                    "row": None,
                    "column": column,
                    "message": (
                        f"would set the system field {field!r}, which imports never set; map the "
                        f"column elsewhere (--map {column}=external_id) or skip it (--map {column}=)"
                    ),
                }
            )
    specs = (
        host.fields.for_type(connection, record_type.custom_fields)
        if record_type.custom_fields
        else {}
    )
    for name, spec in specs.items():
        rules.setdefault(
            ATTRIBUTE + name, custom_field_rule(spec, request.values, name)
        )
    unknown = {
        column: field
        for column, field in fields.items()
        if field not in rules
        and ATTRIBUTE + field not in rules
        and field not in SYSTEM_FIELDS
    }
    new_fields: list[FieldSpec] = []
    if unknown and record_type.custom_fields and request.create_fields:
        new_fields = _infer(
            request, reader, unknown, mapping, record_type.custom_fields, report
        )
        for spec in new_fields:
            rules[ATTRIBUTE + spec.name] = custom_field_rule(
                spec, request.values, spec.name
            )
    fields = {
        column: (field if field in rules else ATTRIBUTE + field)
        for column, field in fields.items()
    }
    for column, field in list(fields.items()):
        if field not in rules:
            del fields[column]
            if column in mapping.columns:
                report.error_count += 1
                report.errors.append(
                    {
                        "row": None,
                        "column": column,
                        "message": (
                            f"is mapped to {field.removeprefix(ATTRIBUTE)!r}, which {record_type.name} "
                            f"lack; fields are {', '.join(sorted(rules))}"
                        ),
                    }
                )
            else:
                report.ignored_columns.append(column)
    for field in constants:
        if field not in rules and ATTRIBUTE + field not in rules:
            report.error_count += 1
            report.errors.append(
                {
                    "row": None,
                    "column": f"--set {field}",
                    "message": (f"{record_type.name} have no field {field!r}"),
                }
            )
    _check_keys(
        record_type, request.keys, set(fields.values()) | set(constants), report
    )
    return _Plan(reader, fields, rules, new_fields, constants)


def _check_keys(
    record_type: RecordType,
    keys: tuple[str, ...],
    present: set[str],
    report: ImportReport,
) -> None:
    for key in keys:
        if key not in record_type.keys:
            report.error_count += 1
            report.errors.append(
                {
                    "row": None,
                    "column": f"--key {key}",
                    "message": (
                        f"{record_type.name} can be matched on {', '.join(record_type.keys)}, not {key!r}"
                    ),
                }
            )
        elif key not in present:
            report.error_count += 1
            report.errors.append(
                {
                    "row": None,
                    "column": f"--key {key}",
                    "message": (
                        f"no column is mapped to the key field {key!r}; use --map COLUMN={key}"
                    ),
                }
            )


def _infer(
    request: ImportRequest,
    reader: TableReader,
    unknown: Mapping[str, str],
    mapping: ImportMapping,
    record_type: str,
    report: ImportReport,
) -> list[FieldSpec]:
    """Declare a custom field for each unmapped column, typed from all its cells."""
    labels = {**dictionary_labels(request.path), **mapping.labels}
    profiled = [column for column in unknown if column not in mapping.types]
    table = TableProfile(
        profiled,
        date_format=request.values.date_format,
        decimal_mark=request.values.decimal_mark,
        thousands=request.values.thousands,
    )
    if profiled:
        for batch in reader:
            table.add(_mapped_values(batch.frame[profiled], unknown, mapping))
    inferred = table.infer()
    specs = []
    for column, field in unknown.items():
        if field in RESERVED_CUSTOMER_NAMES:
            report.error_count += 1
            report.errors.append(
                {
                    "row": None,
                    "column": column,
                    "message": (
                        f"would become a custom field named {field!r}, a built-in name; map it "
                        f"to another name (--map {column}=NAME)"
                    ),
                }
            )
            continue
        kind = mapping.types.get(column)
        found = inferred.get(column)
        choices = found.choices if found is not None and kind is None else ()
        try:
            spec = FieldSpec(
                name=field,
                type=FieldType(kind) if kind else found.type,  # type: ignore[union-attr]
                label=labels.get(column, column),
                record_type=record_type,
                choices=choices,
            )
        except ValueError as error:
            report.error_count += 1
            report.errors.append({"row": None, "column": column, "message": str(error)})
            continue
        specs.append(spec)
        report.fields_created.append(
            {
                "column": column,
                "name": spec.name,
                "type": spec.type.value,
                "label": spec.label,
                "choices": list(spec.choices),
            }
        )
    return specs


def _mapped_values(
    frame: pd.DataFrame, fields: Mapping[str, str], mapping: ImportMapping
) -> pd.DataFrame:
    for column in frame.columns:
        table = mapping.values.get(fields.get(column, column), {})
        if table:
            frame = frame.assign(**{column: apply_value_map(frame[column], table)})
    return frame


def _run(
    host: Host,
    connection: Connection,
    actor: Actor,
    record_type: RecordType,
    request: ImportRequest,
    plan: _Plan,
    report: ImportReport,
) -> None:
    import_id = _start(connection, actor, request, record_type)
    report.import_id = import_id
    for spec in plan.new_fields:
        try:
            host.fields.declare(connection, spec, f"import:{import_id}", import_id)
        except FieldError as error:
            report.error_count += 1
            report.errors.append(
                {"row": None, "column": spec.name, "message": str(error)}
            )
    specs = (
        host.fields.for_type(connection, record_type.custom_fields, fresh=True)
        if record_type.custom_fields
        else {}
    )
    ctx = ImportContext(
        host=host,
        connection=connection,
        actor=actor,
        record_type=record_type,
        report=report,
        keys=request.keys,
        import_id=import_id,
        custom_specs=specs,
        options={"constants": plan.constants},
    )
    occurrences: dict[bytes, int] = {}
    with tqdm(
        desc=f"importing {request.path.name}",
        unit=" rows",
        disable=not request.progress,
        leave=False,
    ) as bar:
        for frame in _grouped(plan, record_type, request):
            typed = _convert(ctx, frame, plan, request, occurrences)
            report.rows += len(frame)
            if not ctx.failed:
                record_type.write(ctx, typed)
            bar.update(len(frame))
            del typed
            release_freed_memory()
    if record_type.finish is not None and not ctx.failed:
        record_type.finish(ctx)
    _finish(connection, import_id, report)


def _grouped(plan: _Plan, record_type: RecordType, request: ImportRequest) -> Any:
    """Batches of raw rows, never splitting a group of ``record_type.group_by``."""
    columns = [c for c, f in plan.fields.items() if f in record_type.group_by]
    held: pd.DataFrame | None = None
    for batch in plan.reader:
        frame = batch.frame if held is None else pd.concat([held, batch.frame])
        if not columns or len(columns) < len(record_type.group_by):
            yield frame
            continue
        keys = frame[columns].apply(tuple, axis=1)
        tail = keys == keys.iloc[-1]
        start = len(frame) - int(tail[::-1].astype(int).cumprod().sum())
        held = frame.iloc[start:]
        if start:
            yield frame.iloc[:start]
    if held is not None and len(held):
        yield held


def _convert(
    ctx: ImportContext,
    frame: pd.DataFrame,
    plan: _Plan,
    request: ImportRequest,
    occurrences: dict[bytes, int],
) -> TypedBatch:
    typed: dict[str, pd.Series] = {}
    mapping = request.mapping
    for column, field in plan.fields.items():
        raw = apply_value_map(
            frame[column], mapping.values.get(field.removeprefix(ATTRIBUTE), {})
        )
        typed[field] = _checked(ctx, raw, plan.rules[field], column)
    for field, text in plan.constants.items():
        name = field if field in plan.rules else ATTRIBUTE + field
        raw = pd.Series([text] * len(frame), index=frame.index, dtype=object)
        typed[name] = _checked(ctx, raw, plan.rules[name], f"--set {field}")
    for name, rule in plan.rules.items():
        if rule.format.required and name not in typed:
            ctx.error(
                None, name, f"the required field {name!r} is not mapped to any column"
            )
    digests = row_digests(frame, occurrences) if not request.keys else None
    present = frozenset(typed)
    return TypedBatch(pd.DataFrame(typed, index=frame.index), present, digests)


def _checked(
    ctx: ImportContext, raw: pd.Series, rule: FieldRule, column: str
) -> pd.Series:
    conversion = convert(raw, rule.format)
    values = conversion.values
    if rule.format.kind == "email":
        # Stored and matched lower-case, as the API stores them (docs/decisions.md).
        values = values.map(lambda address: address.lower() if address else address)
    for error in conversion.errors(raw, column, limit=1000):
        ctx.error(error.row, column, str(error))
    extra = int(conversion.invalid.sum()) - min(int(conversion.invalid.sum()), 1000)
    ctx.report.error_count += extra
    for row, message in apply_checks(rule, values):
        ctx.error(int(row), column, f"row {row}, column {column!r}: {message}")
    return values


def release_freed_memory() -> None:
    """Hand memory freed by a batch back to the operating system (glibc only).

    A batch frees hundreds of thousands of small objects; glibc keeps the
    freed pages, so a long import's resident memory would grow batch after
    batch without it.
    """
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _load_libc() -> Any:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") else None


_LIBC = _load_libc()


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _start(
    connection: Connection,
    actor: Actor,
    request: ImportRequest,
    record_type: RecordType,
) -> int:
    from ..storage.database import new_id

    return new_id(
        connection.execute(
            schema.import_run.insert().values(
                record_type=record_type.name,
                file_name=request.path.name,
                file_digest=file_digest(request.path),
                user_id=actor.id,
                started_at=utcnow(),
                status="running",
                dry_run=request.dry_run,
                options=_options(request),
            )
        )
    )


def _finish(connection: Connection, import_id: int, report: ImportReport) -> None:
    connection.execute(
        schema.import_run.update()
        .where(schema.import_run.c.id == import_id)
        .values(
            finished_at=utcnow(),
            status="done",
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            error_count=report.error_count,
        )
    )


def _record(
    host: Host, actor: Actor, request: ImportRequest, report: ImportReport
) -> None:
    """Record a run that changed nothing (refused or dry run)."""
    with host.db.transaction() as connection:
        connection.execute(
            schema.import_run.insert().values(
                record_type=report.record_type,
                file_name=request.path.name,
                file_digest=file_digest(request.path),
                user_id=actor.id,
                started_at=utcnow(),
                finished_at=utcnow(),
                status=report.status,
                dry_run=request.dry_run,
                created=report.created,
                updated=report.updated,
                unchanged=report.unchanged,
                error_count=report.error_count,
                options=_options(request),
            )
        )


def _options(request: ImportRequest) -> dict[str, Any]:
    return {
        "keys": list(request.keys),
        "create_fields": request.create_fields,
        "columns": dict(request.mapping.columns),
        "constants": dict(request.mapping.constants),
        "encoding": request.encoding,
        "delimiter": request.delimiter,
    }


__all__ = [
    "ImportFileError",
    "ImportRequest",
    "ImportUsageError",
    "MappingError",
    "run_import",
]
