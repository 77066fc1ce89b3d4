"""Search sources declared by plugins: indexed, scoped and linked like customers."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, exists, select

from crm_core.search import SearchDocument, SearchSource, search_index

NOTES = Table(
    "acme_note",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("text", String(200)),
    Column("owner_id", Integer),
)


def _note_documents(connection, ids):
    rows = connection.execute(select(NOTES).where(NOTES.c.id.in_(ids)))
    return [SearchDocument(row.id, f"Note {row.id}", row.text) for row in rows]


def _note_visible(actor, record_id):
    mine = (
        NOTES.c.owner_id == actor.id
        if actor.id is not None
        else NOTES.c.id.is_not(None)
    )
    return exists().where(NOTES.c.id == record_id, mine)


NOTE_SOURCE = SearchSource(
    "acme.note",
    "Notes",
    _note_documents,
    _note_visible,
    lambda record_id: f"/acme/notes/{record_id}",
    {"acme.note_saved": lambda connection, payload: [payload["note_id"]]},
    lambda: select(NOTES.c.id),
)


@pytest.fixture
def crm_extra_plugins(crm_temp_plugin):
    return [
        crm_temp_plugin(
            "acme",
            crm_search_sources=lambda: [NOTE_SOURCE],
            crm_tables=lambda: [NOTES],
        )
    ]


@pytest.fixture
def crm_plugin_names():
    return ("acme",)


def test_hook_crm_search_sources_makes_a_plugins_records_findable(crm_host, crm_actor):
    """A plugin's records are indexed, found within its scope, and linked."""
    agent = crm_actor("agent")
    with crm_host.db.transaction() as connection:
        NOTES.create(connection)
        connection.execute(
            NOTES.insert(),
            [
                {"id": 1, "text": "Quarterly budget review", "owner_id": agent.id},
                {"id": 2, "text": "Budget freeze", "owner_id": None},
            ],
        )
    assert search_index(crm_host).rebuild("acme.note") == {"acme.note": 2}
    with crm_host.db.connect() as connection:
        hits = search_index(crm_host).search(connection, agent, "budg")
    assert [(h.record_type, h.record_id, h.label, h.url) for h in hits] == [
        ("acme.note", 1, "Notes", "/acme/notes/1")
    ]
    subscribers = [s.key for s in crm_host.events.subscribers_for("acme.note_saved")]
    assert subscribers == ["search.acme.note.acme.note_saved"]
