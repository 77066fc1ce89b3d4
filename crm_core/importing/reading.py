"""Streaming a CSV, whitespace-separated text or Excel file as string batches.

:func:`open_table` looks at the file once (encoding, delimiter, header) and
returns a :class:`TableReader`. Iterating the reader streams the data in
batches of at most ``batch_rows`` rows; it can be iterated again, for example
once to infer field types and once to import.

Every cell arrives as a string exactly as written: no value is turned into a
number, a date or a missing value, and an empty cell is ``""``.

Rows are numbered from 1, the first data row after the header; blank lines
(and, in workbooks, empty rows) are skipped and not counted. Each batch's
frame is indexed by these numbers, so an error can name its row directly.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from os import PathLike
from pathlib import Path

import attrs
import pandas as pd

from .charsets import SAMPLE_SIZE, resolve_encoding
from .dialects import WHITESPACE, check_delimiter, describe_delimiter, detect_delimiter
from .errors import ImportFileError
from .headers import check_header
from .workbooks import open_workbook_table

EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_FIELD_COUNT = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


@attrs.frozen
class Batch:
    """Consecutive data rows; ``frame`` is indexed by row number."""

    first_row: int
    frame: pd.DataFrame = attrs.field(eq=False, repr=False)

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.frame) - 1


@attrs.frozen
class TableReader:
    """A table ready to stream; see :func:`open_table`.

    ``encoding`` and ``delimiter`` are ``None`` for workbooks, ``sheet`` is
    ``None`` for text files. ``delimiter`` is one character or
    ``"whitespace"`` (runs of spaces and tabs).
    """

    path: Path
    columns: tuple[str, ...]
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    batch_rows: int
    _frames: Callable[[], Iterator[pd.DataFrame]] = attrs.field(repr=False)

    def __iter__(self) -> Iterator[Batch]:
        return self.batches()

    def batches(self) -> Iterator[Batch]:
        """Stream the data rows from the start of the file."""
        next_row = 1
        for frame in self._frames():
            if frame.empty:
                continue
            frame.index = pd.RangeIndex(next_row, next_row + len(frame))
            yield Batch(next_row, frame)
            next_row += len(frame)


def open_table(
    path: str | PathLike[str],
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    batch_rows: int = 50_000,
) -> TableReader:
    """Open a CSV, text or ``.xlsx`` file for streaming in batches.

    ``encoding`` and ``delimiter`` skip detection for text files; ``sheet``
    picks a worksheet of a workbook (the first one by default). Raises
    :class:`ImportFileError` when the file cannot be read as a table.
    """
    table = Path(path)
    if not table.is_file():
        raise ImportFileError(f"{table}: no such file")
    if batch_rows < 1:
        raise ImportFileError(f"batch_rows must be at least 1, not {batch_rows}")
    head = _head(table)
    if head.startswith(_OLE_MAGIC):
        raise ImportFileError(
            f"{table.name}: old binary Excel (.xls) files are not supported; "
            f"save it as .xlsx or CSV"
        )
    if table.suffix.lower() in EXCEL_SUFFIXES or head.startswith(_ZIP_MAGIC):
        return _open_workbook(table, encoding, delimiter, sheet, batch_rows)
    if sheet is not None:
        raise ImportFileError(
            f"{table.name}: --sheet applies to Excel workbooks, not text files"
        )
    return _open_text(table, encoding, delimiter, batch_rows)


def _head(path: Path) -> bytes:
    with path.open("rb") as stream:
        return stream.read(8)


def _open_workbook(
    path: Path,
    encoding: str | None,
    delimiter: str | None,
    sheet: str | None,
    batch_rows: int,
) -> TableReader:
    if encoding is not None or delimiter is not None:
        raise ImportFileError(
            f"{path.name}: --encoding and --delimiter apply to text files, "
            f"not Excel workbooks"
        )
    title, columns, frames = open_workbook_table(path, sheet, batch_rows)
    return TableReader(path, columns, None, None, title, batch_rows, frames)


def _open_text(
    path: Path, encoding: str | None, delimiter: str | None, batch_rows: int
) -> TableReader:
    chosen_encoding = resolve_encoding(path, encoding)
    if delimiter is not None:
        chosen_delimiter = check_delimiter(delimiter)
    else:
        sample, complete = _text_sample(path, chosen_encoding)
        chosen_delimiter = detect_delimiter(sample, path.name, complete=complete)
    columns = _read_header(path, chosen_encoding, chosen_delimiter)

    def frames() -> Iterator[pd.DataFrame]:
        return _text_frames(
            path, columns, chosen_encoding, chosen_delimiter, batch_rows
        )

    return TableReader(
        path, columns, chosen_encoding, chosen_delimiter, None, batch_rows, frames
    )


def _text_sample(path: Path, encoding: str) -> tuple[str, bool]:
    """The decoded start of the file, and whether it is the whole file."""
    with path.open("rb") as stream:
        raw = stream.read(SAMPLE_SIZE)
        complete = not stream.read(1)
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    text = decoder.decode(raw, final=complete)
    return text.removeprefix("\ufeff"), complete


def _read_options(encoding: str, delimiter: str) -> dict[str, object]:
    return {
        "sep": r"\s+" if delimiter == WHITESPACE else delimiter,
        "dtype": str,
        "keep_default_na": False,
        "na_filter": False,
        "encoding": encoding,
        "encoding_errors": "strict",
        "skip_blank_lines": True,
        "engine": "c",
    }


def _read_header(path: Path, encoding: str, delimiter: str) -> tuple[str, ...]:
    options = _read_options(encoding, delimiter)
    with _translated_errors(path, delimiter):
        first = pd.read_csv(path, header=None, nrows=1, **options)
    if first.empty:
        raise ImportFileError(f"{path.name}: the file is empty (expected a header row)")
    names = [str(name) for name in first.iloc[0]]
    names[0] = names[0].removeprefix("\ufeff")
    return check_header(names, path.name)


def _text_frames(
    path: Path,
    columns: tuple[str, ...],
    encoding: str,
    delimiter: str,
    batch_rows: int,
) -> Iterator[pd.DataFrame]:
    options = _read_options(encoding, delimiter)
    with _translated_errors(path, delimiter):
        reader = pd.read_csv(
            path,
            header=0,
            names=list(columns),
            index_col=False,
            chunksize=batch_rows,
            **options,
        )
        with reader:
            yield from reader


@contextmanager
def _translated_errors(path: Path, delimiter: str) -> Iterator[None]:
    """Turn pandas' parser and decoding errors into :class:`ImportFileError`."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"{path.name}: found bytes that are not valid {exc.encoding}; pass "
            f"--encoding with the encoding the file was saved in"
        ) from None
    except pd.errors.EmptyDataError:
        raise ImportFileError(
            f"{path.name}: the file is empty (expected a header row)"
        ) from None
    except pd.errors.ParserError as exc:
        raise ImportFileError(_parser_message(path, delimiter, str(exc))) from None


def _parser_message(path: Path, delimiter: str, message: str) -> str:
    shown = describe_delimiter(delimiter)
    found = _FIELD_COUNT.search(message)
    if found:
        expected, line, saw = found.groups()
        return (
            f"{path.name}: line {line} has {saw} fields but the header has "
            f"{expected}; check the delimiter ({shown}) and quote values that "
            f"contain it"
        )
    detail = message.removeprefix("Error tokenizing data. C error: ")
    return f"{path.name}: cannot split the file with delimiter {shown}: {detail}"
