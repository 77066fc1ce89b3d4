"""Checking the header row that names a table's columns."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .errors import ImportFileError


def check_header(names: Iterable[object], source: str) -> tuple[str, ...]:
    """Column names with surrounding spaces removed, each present and unique.

    ``source`` names the file (and sheet) in the error message.
    """
    cleaned = tuple("" if name is None else str(name).strip() for name in names)
    if not cleaned:
        raise ImportFileError(f"{source}: the header row is empty")
    unnamed = [str(position) for position, name in enumerate(cleaned, 1) if not name]
    if unnamed:
        which = ", ".join(unnamed)
        plural = "s" if len(unnamed) > 1 else ""
        raise ImportFileError(
            f"{source}: column{plural} {which} of {len(cleaned)} "
            f"{'have' if plural else 'has'} no name in the header row; "
            f"give every column a name (or delete the empty column)"
        )
    repeated = [name for name, count in Counter(cleaned).items() if count > 1]
    if repeated:
        listed = ", ".join(repr(name) for name in repeated)
        raise ImportFileError(
            f"{source}: the header names {listed} more than once; "
            f"rename the columns so every name is unique"
        )
    return cleaned
