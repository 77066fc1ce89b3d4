"""The search index: writing entries for records, and finding them within scope.

Entries are written from each source's documents when its events arrive
(after the change committed, in the worker) and by a full rebuild
(``crm search reindex``). A query matches every word as a prefix, so "ana
exa" finds "Ana Lima, ana@example.com"; each source's ``visible`` condition is
part of the query, so results are limited to what the reader may see.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import (
    Connection,
    and_,
    column,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.dialects import postgresql, sqlite

from ..events import EventRecord
from ..security import Actor
from ..storage.types import utcnow
from .sources import SearchDocument, SearchSource, customer_source, text_fields
from .tables import entry

if TYPE_CHECKING:
    from ..host import Host

log = logging.getLogger("crm_core.search")

MAX_WORDS = 8
MAX_WORD = 64
MAX_RESULTS = 100
BATCH = 1_000
_WORD = re.compile(r"[^\W_]+")
_PHONE = re.compile(r"\+?[\d().\- ]*\d{3}[\d().\- ]*")

_fts = table("core_search_fts", column("rowid"), column("entry_id"), column("document"))


class UnknownRecordType(LookupError):
    """No search source covers the record type named."""


@attrs.frozen
class Hit:
    """One record found: its type, id, title, a line of detail and its page."""

    record_type: str
    record_id: int
    label: str
    title: str
    detail: str
    url: str


def words(query: str) -> list[str]:
    """The words of a query, lower-case, as the index splits text.

    A query of only digits and phone punctuation ("+1 202 555") is one number.
    """
    if _PHONE.fullmatch(query.strip()):
        return [re.sub(r"\D", "", query)[:MAX_WORD]]
    found = _WORD.findall(fold(query.lower()))
    return [word[:MAX_WORD] for word in found][:MAX_WORDS]


def fold(text: str) -> str:
    """``text`` without diacritics: "Zürich" becomes "Zurich"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _searchable(title: str, body: str) -> str:
    """``body`` followed by the words of both that differ without diacritics.

    PostgreSQL's "simple" configuration keeps diacritics, so the folded words
    are indexed too; queries are folded the same way.
    """
    text = f"{title} {body}"
    plain = fold(text)
    if plain == text:
        return body
    extra = sorted(set(_WORD.findall(plain)) - set(_WORD.findall(text)))
    return f"{body} · {' '.join(extra)}"


class SearchIndex:
    """The search index of one host."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self._plugin_sources: list[SearchSource] | None = None

    # -- sources -------------------------------------------------------------

    def sources(self, connection: Connection) -> dict[str, SearchSource]:
        """Every source by record type: customers first, then the plugins'."""
        specs = self.host.fields.for_type(connection, "customer")
        found = {"customer": customer_source(text_fields(specs))}
        for source in self.plugin_sources():
            found.setdefault(source.record_type, source)
        return found

    def plugin_sources(self) -> list[SearchSource]:
        if self._plugin_sources is None:
            contributions = self.host.unique(
                self.host.plugins.collect("crm_search_sources"),
                lambda source: source.record_type,
                "search record type",
            )
            self._plugin_sources = [item.value for item in contributions]
        return self._plugin_sources

    def _source(self, connection: Connection, record_type: str) -> SearchSource:
        sources = self.sources(connection)
        if record_type not in sources:
            raise UnknownRecordType(
                f"no search source covers {record_type!r}; "
                f"known: {', '.join(sorted(sources))}"
            )
        return sources[record_type]

    # -- writing -------------------------------------------------------------

    def refresh(
        self, connection: Connection, record_type: str, ids: Iterable[int]
    ) -> int:
        """Index ``ids`` of ``record_type`` as they are now; returns entries written."""
        wanted = sorted(set(ids))
        if not wanted:
            return 0
        source = self._source(connection, record_type)
        documents = list(source.documents(connection, wanted))
        found = {document.record_id for document in documents}
        gone = [record_id for record_id in wanted if record_id not in found]
        if gone:
            connection.execute(
                entry.delete().where(
                    entry.c.record_type == record_type, entry.c.record_id.in_(gone)
                )
            )
        _upsert(connection, record_type, documents)
        return len(documents)

    def follow(self, record_type: str, record: EventRecord) -> None:
        """Reindex the records an event changed (an event subscription's handler)."""
        with self.host.db.transaction() as connection:
            source = self._source(connection, record_type)
            changed = source.events[record.name](connection, record.payload)
            self.refresh(connection, record_type, changed)

    def rebuild(self, record_type: str | None = None) -> dict[str, int]:
        """Index every record again, in batches; returns the count per type."""
        with self.host.db.connect() as connection:
            sources = self.sources(connection)
        chosen = [record_type] if record_type else list(sources)
        counts = {}
        for name in chosen:
            counts[name] = self._rebuild_one(name, sources.get(name))
        return counts

    def _rebuild_one(self, record_type: str, source: SearchSource | None) -> int:
        if source is None or source.ids is None:
            raise UnknownRecordType(f"search source {record_type!r} cannot be rebuilt")
        with self.host.db.connect() as connection:
            ids = list(connection.execute(source.ids()).scalars())
        with self.host.db.transaction() as connection:
            connection.execute(
                entry.delete().where(
                    entry.c.record_type == record_type,
                    entry.c.record_id.not_in(source.ids()),
                )
            )
        done = 0
        for start in range(0, len(ids), BATCH):
            with self.host.db.transaction() as connection:
                done += self.refresh(
                    connection, record_type, ids[start : start + BATCH]
                )
        log.info("search index rebuilt for %s: %d entries", record_type, done)
        return done

    # -- finding -------------------------------------------------------------

    def search(
        self,
        connection: Connection,
        actor: Actor,
        query: str,
        record_types: Sequence[str] = (),
        limit: int = 20,
    ) -> list[Hit]:
        """Records ``actor`` may see whose text holds every word of ``query``."""
        found = words(query)
        if not found:
            return []
        sources = self.sources(connection)
        if record_types:
            sources = {k: v for k, v in sources.items() if k in record_types}
        visible = or_(
            false(),
            *[
                and_(
                    entry.c.record_type == name,
                    source.visible(actor, entry.c.record_id),
                )
                for name, source in sources.items()
            ],
        )
        statement = _matching(connection.dialect.name, found).where(visible)
        statement = statement.limit(min(max(limit, 1), MAX_RESULTS))
        rows = connection.execute(statement).mappings().all()
        return [_hit(row, sources[row["record_type"]]) for row in rows]


def _matching(dialect: str, found: list[str]) -> Any:
    """Entries holding every word as a prefix, best first."""
    columns = [entry.c.record_type, entry.c.record_id, entry.c.title, entry.c.body]
    if dialect == "postgresql":
        query = func.to_tsquery("simple", " & ".join(f"{word}:*" for word in found))
        return (
            select(*columns)
            .select_from(entry.join(_fts, _fts.c.entry_id == entry.c.id))
            .where(_fts.c.document.op("@@")(query))
            .order_by(func.ts_rank(_fts.c.document, query).desc(), entry.c.id)
        )
    fts: Any = literal_column("core_search_fts")
    match = " ".join(f'"{word}"*' for word in found)
    return (
        select(*columns)
        .select_from(entry.join(_fts, _fts.c.rowid == entry.c.id))
        .where(fts.op("MATCH")(match))
        .order_by(func.bm25(fts, 10.0, 1.0), entry.c.id)
    )


def _hit(row: Any, source: SearchSource) -> Hit:
    detail = row["body"] if len(row["body"]) <= 160 else row["body"][:157] + "..."
    return Hit(
        row["record_type"],
        int(row["record_id"]),
        source.label,
        row["title"],
        detail,
        source.link(int(row["record_id"])),
    )


def _upsert(
    connection: Connection, record_type: str, documents: Sequence[SearchDocument]
) -> None:
    if not documents:
        return
    insert = (
        postgresql.insert(entry)
        if connection.dialect.name == "postgresql"
        else sqlite.insert(entry)
    )
    statement = insert.on_conflict_do_update(
        index_elements=[entry.c.record_type, entry.c.record_id],
        set_={
            "title": insert.excluded.title,
            "body": insert.excluded.body,
            "indexed_at": insert.excluded.indexed_at,
        },
    )
    now = utcnow()
    connection.execute(
        statement,
        [
            {
                "record_type": record_type,
                "record_id": document.record_id,
                "title": document.title[:500],
                "body": _searchable(document.title, document.body),
                "indexed_at": now,
            }
            for document in documents
        ],
    )
