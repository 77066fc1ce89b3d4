"""Reading import files and turning their cells into typed values.

This is the layer the import pipeline stands on: stream a CSV, text or Excel
file as batches of strings (:func:`open_table`), convert columns to typed
values with one call per column (:func:`convert` and the ``convert_*``
functions), infer field types over a whole file (:class:`TableProfile`),
read mappings (:func:`load_mapping`, :func:`mapping_from_arguments`) and give
key-less rows a stable identity (:func:`row_digests`).
"""

from .charsets import check_encoding
from .contacts import convert_email, convert_phone, email_match_keys
from .conversion import Conversion
from .dates import ISO_DATE, convert_date, convert_datetime, describe_format
from .dialects import DELIMITERS, WHITESPACE, check_delimiter
from .errors import ImportFileError, MappingError, ValueConversionError
from .identity import DIGEST_SIZE, canonical_rows, row_digests
from .inference import (
    ColumnProfile,
    InferredField,
    TableProfile,
    infer_fields,
)
from .mapping import (
    ImportMapping,
    apply_value_map,
    dictionary_labels,
    load_mapping,
    mapping_from_arguments,
    parse_map_arguments,
    parse_set_arguments,
    parse_type_arguments,
)
from .reading import Batch, TableReader, open_table
from .values import (
    VALUE_KINDS,
    ColumnFormat,
    convert,
    convert_boolean,
    convert_choice,
    convert_decimal,
    convert_integer,
    convert_text,
)
from .workbooks import cell_text

__all__ = [
    "DELIMITERS",
    "DIGEST_SIZE",
    "ISO_DATE",
    "VALUE_KINDS",
    "WHITESPACE",
    "Batch",
    "ColumnFormat",
    "ColumnProfile",
    "Conversion",
    "ImportFileError",
    "ImportMapping",
    "InferredField",
    "MappingError",
    "TableProfile",
    "TableReader",
    "ValueConversionError",
    "apply_value_map",
    "canonical_rows",
    "cell_text",
    "check_delimiter",
    "check_encoding",
    "convert",
    "convert_boolean",
    "convert_choice",
    "convert_date",
    "convert_datetime",
    "convert_decimal",
    "convert_email",
    "convert_integer",
    "convert_phone",
    "convert_text",
    "describe_format",
    "dictionary_labels",
    "email_match_keys",
    "infer_fields",
    "load_mapping",
    "mapping_from_arguments",
    "open_table",
    "parse_map_arguments",
    "parse_set_arguments",
    "parse_type_arguments",
    "row_digests",
]
