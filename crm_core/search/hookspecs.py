"""Hook specifications of search (re-exported by crm_core.hookspecs)."""

from __future__ import annotations

from typing import Any

from ..contract import collect


@collect
def crm_search_sources() -> Any:
    """Record types this plugin makes searchable.

    Kind: collect. Return :class:`~crm_core.search.SearchSource` objects: how
    to turn records into text (``documents``), which events change them
    (``events``, read after commit to keep the index current), who may find
    them (``visible``, a SQL condition applying the record scope) and where a
    result links (``link``). Two plugins claiming one record type stop the
    search index with an error naming both.

    .. versionadded:: 1.1
    """
