"""The errors the import reading and value layer raises.

Each one is a :class:`ValueError` that names the culprit (file, row, column,
argument) and what was expected, so a user can fix the input without reading
a traceback.
"""

from __future__ import annotations


class ImportFileError(ValueError):
    """A file cannot be read as a table: encoding, delimiter, header, sheet."""


class MappingError(ValueError):
    """A mapping file or a ``--map``/``--set``/``--type`` argument is wrong."""


class ValueConversionError(ValueError):
    """One cell could not be converted to the type of its field.

    ``row`` counts data rows from 1 (the first row after the header).
    """

    def __init__(
        self,
        row: int,
        column: str,
        value: str,
        noun: str,
        expected: str,
        reason: str | None = None,
    ) -> None:
        self.row = row
        self.column = column
        self.value = value
        self.noun = noun
        self.expected = expected
        self.reason = reason
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"row {self.row}, column {self.column!r}"
        if self.reason:
            return f"{where}: {self.value!r} {self.reason}"
        return f"{where}: {self.value!r} is not {self.noun} (expected {self.expected})"

    def __reduce__(self) -> tuple[object, ...]:
        # Keeps the error picklable for worker processes despite the
        # custom constructor.
        args = (self.row, self.column, self.value, self.noun, self.expected)
        return (type(self), (*args, self.reason))
