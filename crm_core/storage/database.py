"""Engines and transactions.

A :class:`Database` wraps one SQLAlchemy engine. Work that changes data runs in
``db.transaction()``; callbacks registered on the transaction (the event bus
uses this to wake the worker) run only after the commit succeeded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from .types import dumps, loads

log = logging.getLogger("crm_core.storage")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with Strata's JSON handling and SQLite pragmas.

    SQLite runs in WAL mode with ``synchronous=NORMAL`` and foreign keys on;
    its parent folder is created when missing.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
    engine = create_engine(
        url, json_serializer=dumps, json_deserializer=loads, future=True, **kwargs
    )
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling is replaced by explicit BEGIN so
        # SAVEPOINT and immediate locking behave as documented.
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # Read-only connections run each statement in SQLite's own implicit
    # transaction, which saves a round trip on every read.
    if not connection.get_execution_options().get("crm_read_only"):
        connection.exec_driver_sql("BEGIN")


class Database:
    """One database, its engine and after-commit callbacks."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._after_commit: list[Callable[[], None]] = []

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after every successful :meth:`transaction`."""
        self._after_commit.append(callback)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection inside one transaction, committed on success.

        After-commit callbacks run once the commit has succeeded; an error in
        one is logged and does not undo the committed work.
        """
        with self.engine.begin() as connection:
            yield connection
        for callback in self._after_commit:
            try:
                callback()
            except Exception:
                log.exception("after-commit callback %r failed", callback)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reading; nothing it does is committed.

        On SQLite each statement sees its own consistent snapshot; use
        :meth:`transaction` when several reads must see the same one.
        """
        with self.engine.connect() as connection:
            connection.execution_options(crm_read_only=True)
            yield connection

    def dispose(self) -> None:
        self.engine.dispose()


def new_id(result: Any) -> int:
    """The primary key of the row an ``INSERT`` just wrote."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the statement inserted no row")
    return int(key[0])
