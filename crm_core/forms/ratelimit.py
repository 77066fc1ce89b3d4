"""How many submissions one client address may make per time window.

Counts live in the database, in one row per address and fixed window,
raised with a single atomic upsert, so every web worker shares them. The
address is kept only as a keyed digest. Counts of windows that started
more than :data:`KEEP` ago are deleted as new ones are counted, so a window
may last up to a day.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..storage.types import utcnow
from .tables import rate

#: How long counts are kept: longer than the longest window.
KEEP = timedelta(days=2)


def client_key(secret_key: str | bytes, address: str) -> str:
    """A digest of the client address: countable, not readable."""
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def window_start(now: datetime, window: timedelta) -> datetime:
    """The start of the fixed window ``now`` falls in."""
    seconds = int(window.total_seconds())
    stamp = int(now.timestamp())
    return datetime.fromtimestamp(stamp - stamp % seconds, tz=now.tzinfo)


def hit(
    connection: Connection,
    client: str,
    window: timedelta,
    now: datetime | None = None,
) -> int:
    """Count one submission of ``client``; returns its count in this window."""
    moment = now or utcnow()
    start = window_start(moment, window)
    insert = (
        postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    )
    counted = (
        insert(rate)
        .values(client=client, window_start=start, hits=1)
        .on_conflict_do_update(
            index_elements=[rate.c.client, rate.c.window_start],
            set_={"hits": rate.c.hits + 1},
        )
        .returning(rate.c.hits)
    )
    hits = int(connection.execute(counted).scalar_one())
    connection.execute(rate.delete().where(rate.c.window_start < moment - KEEP))
    return hits
