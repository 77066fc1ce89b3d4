"""Full-text search across record types: SQLite FTS5 or PostgreSQL text search.

Search through :func:`search_index`; make a record type searchable with the
``crm_search_sources`` hook and a :class:`SearchSource`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .index import Hit, SearchIndex, UnknownRecordType, words
from .sources import SearchDocument, SearchSource

if TYPE_CHECKING:
    from ..host import Host

__all__ = [
    "Hit",
    "SearchDocument",
    "SearchIndex",
    "SearchSource",
    "UnknownRecordType",
    "search_index",
    "words",
]


def search_index(host: Host) -> SearchIndex:
    """The search index of ``host`` (made on first use)."""
    found = host.extensions.get("search")
    if found is None:
        found = host.extensions["search"] = SearchIndex(host)
    assert isinstance(found, SearchIndex)
    return found
