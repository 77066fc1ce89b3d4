"""Telling which character separates the fields of a delimited text file.

Candidates are ``,`` ``;`` tab and ``|``; :class:`csv.Sniffer` gives the first
opinion, which must then split the header and the rows consistently. When it
does not, each candidate is tried and the one that splits every row into the
header's number of fields wins. Files without any of them whose lines split
consistently on runs of spaces are read as whitespace-separated.
"""

from __future__ import annotations

import csv
import io
import re

from .errors import ImportFileError

DELIMITERS = (",", ";", "\t", "|")
WHITESPACE = "whitespace"
SNIFF_SIZE = 16 * 1024
MAX_SAMPLE_ROWS = 200
# The share of sampled rows that must have exactly the header's field count,
# and the share that may have more (reading then names the first such line).
MIN_AGREEMENT = 0.5
MAX_LONGER = 0.1

_NAMED = {
    "comma": ",",
    "semicolon": ";",
    "tab": "\t",
    "\\t": "\t",
    "pipe": "|",
    "whitespace": WHITESPACE,
}
_WHITESPACE_TOKEN = re.compile(r'"(?:[^"]|"")*"|\S+')


def describe_delimiter(delimiter: str) -> str:
    """A readable name for messages: ``tab`` rather than an invisible character."""
    return {"\t": "tab", " ": "space"}.get(delimiter, delimiter)


def check_delimiter(delimiter: str) -> str:
    """Accept one character or a name (comma, semicolon, tab, pipe, whitespace)."""
    named = _NAMED.get(delimiter.lower())
    if named is not None:
        return named
    if len(delimiter) == 1 and delimiter not in '\r\n"':
        return delimiter
    raise ImportFileError(
        f"unknown delimiter {delimiter!r} (expected one character, or one of "
        f"comma, semicolon, tab, pipe, whitespace)"
    )


def detect_delimiter(sample: str, name: str, *, complete: bool = False) -> str:
    """The delimiter of a file starting with ``sample``, or a clear refusal.

    ``complete`` says the sample is the whole file; otherwise its last line
    may be cut short and is ignored.
    """
    if not complete and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]
    sniffed = _sniff(sample[:SNIFF_SIZE])
    if sniffed is not None and _fits(_field_counts(sample, sniffed)):
        return sniffed
    fitting = [d for d in DELIMITERS if _fits(_field_counts(sample, d))]
    if fitting:
        return max(fitting, key=lambda d: _field_counts(sample, d)[0])
    if _fits(_whitespace_counts(sample)):
        return WHITESPACE
    if all(count == 1 for count in _field_counts(sample, ",")):
        return ","
    raise ImportFileError(
        f"{name}: cannot tell the delimiter (none splits the rows into the "
        f"header's number of fields); pass --delimiter with one of comma, "
        f"semicolon, tab, pipe, whitespace"
    )


def _sniff(sample: str) -> str | None:
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS))
    except csv.Error:
        return None
    return str(dialect.delimiter)


def _field_counts(sample: str, delimiter: str) -> list[int]:
    rows = csv.reader(io.StringIO(sample), delimiter=delimiter)
    counts: list[int] = []
    try:
        for row in rows:
            if row:
                counts.append(len(row))
            if len(counts) >= MAX_SAMPLE_ROWS:
                break
    except csv.Error:
        return []
    return counts


def _whitespace_counts(sample: str) -> list[int]:
    counts = []
    for line in sample.splitlines()[:MAX_SAMPLE_ROWS]:
        tokens = _WHITESPACE_TOKEN.findall(line)
        if tokens:
            counts.append(len(tokens))
    return counts


def _fits(counts: list[int]) -> bool:
    """True when the header has several fields and the rows agree with it."""
    if not counts or counts[0] < 2:
        return False
    header = counts[0]
    longer = sum(count > header for count in counts)
    agreeing = sum(count == header for count in counts)
    rows = len(counts)
    return longer <= MAX_LONGER * rows and agreeing >= MIN_AGREEMENT * rows
