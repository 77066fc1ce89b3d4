"""Column types shared by the core and plugins."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import simplejson
from sqlalchemy import JSON, BigInteger, DateTime, Integer
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

#: Primary keys: 64-bit on PostgreSQL, SQLite's rowid alias elsewhere.
Id: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")

#: A JSON document; JSONB (indexable) on PostgreSQL.
Document: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """A moment in time, stored in UTC and always returned zone-aware.

    Naive values are refused on the way in: a time without a zone is a
    bug in the caller, not something to guess about.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} given; attach a time zone"
            )
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC)


def dumps(value: Any) -> str:
    """Serialise JSON keeping ``Decimal`` exact and dates as ISO strings."""
    return _encode(value)


def loads(text: str | bytes) -> Any:
    """Parse JSON, reading numbers with a fraction as ``Decimal``."""
    return _decode(text.decode() if isinstance(text, bytes) else text)


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def utcnow() -> datetime:
    """The current moment, zone-aware in UTC."""
    return datetime.now(UTC)


# One encoder and decoder for the process: building them per call costs more
# than the encoding itself on the outbox's hot path.
_encode = simplejson.JSONEncoder(
    use_decimal=True, default=_default, separators=(",", ":")
).encode
_decode = simplejson.JSONDecoder(parse_float=Decimal).decode
