"""Full-text search: indexing customers, partial words, scope, plugins and the API."""

from __future__ import annotations

import pytest

from crm_core import FieldSpec
from crm_core.jobs import RunCounts, Worker
from crm_core.search import search_index
from crm_core.security import SYSTEM


def settle(host):
    """Deliver the events published so far, as the worker would after commit."""
    worker = Worker(host.db, host.events, host.jobs)
    while worker.deliver_batch(RunCounts()):
        pass


@pytest.fixture
def crowd(crm_host, crm_actor):
    """Customers of two teams, with text fields, contact points and tags."""
    with crm_host.db.transaction() as connection:
        for spec in (
            FieldSpec("note", "text"),
            FieldSpec("secret", "text", sensitive=True),
        ):
            crm_host.fields.declare(connection, spec, "test")
    north, south = crm_actor("agent", team="North"), crm_actor("agent", team="South")
    made = {}
    with crm_host.db.transaction() as connection:
        create = crm_host.customers.create
        made["ana"] = create(
            connection,
            north,
            {
                "name": "Ana Lima",
                "emails": ["ana.lima@example.com"],
                "phones": ["+12025550101"],
                "tags": ["golfer"],
                "attributes": {"note": "Prefers Zürich office", "secret": "hushhush"},
            },
        )["id"]
        made["anders"] = create(
            connection, south, {"name": "Anders Berg", "external_id": "CRM-7731"}
        )["id"]
        made["acme"] = create(
            connection, north, {"kind": "organisation", "name": "Acme Ltd"}
        )["id"]
    settle(crm_host)
    made["north"], made["south"] = north, south
    return made


def found(crm_host, query, actor=SYSTEM):
    with crm_host.db.connect() as connection:
        return [
            hit.record_id
            for hit in search_index(crm_host).search(connection, actor, query)
        ]


@pytest.mark.parametrize(
    ("query", "who"),
    [
        ("ana lima", ["ana"]),
        ("LIM", ["ana"]),
        ("example", ["ana"]),
        ("ana.lima@example", ["ana"]),
        ("2025550101", ["ana"]),
        ("+1 202 555", ["ana"]),
        ("golf", ["ana"]),
        ("zurich", ["ana"]),
        ("crm-7731", ["anders"]),
        ("acme", ["acme"]),
        ("hushhush", []),
        ("nobody", []),
    ],
)
def test_search_finds_customers_by_the_start_of_their_words(
    crm_host, crowd, query, who
):
    """Names, e-mails, phones, ids, tags and text fields match by word prefixes."""
    assert found(crm_host, query) == [crowd[key] for key in who]


def test_every_word_must_match(crm_host, crowd):
    """ "an" finds Ana and Anders; "an berg" only Anders."""
    assert sorted(found(crm_host, "an")) == sorted([crowd["ana"], crowd["anders"]])
    assert found(crm_host, "an berg") == [crowd["anders"]]


def test_search_respects_the_record_scope(crm_host, crowd):
    """An agent finds the customers of their own team only."""
    assert found(crm_host, "an", crowd["north"]) == [crowd["ana"]]
    assert found(crm_host, "an", crowd["south"]) == [crowd["anders"]]


def test_the_index_follows_changes_and_deletes(crm_host, crowd):
    """A rename is found by its new name; a deleted customer is found no more."""
    with crm_host.db.transaction() as connection:
        crm_host.customers.update(
            connection, SYSTEM, crowd["acme"], {"name": "Zenith Ltd"}
        )
        crm_host.customers.delete(connection, SYSTEM, crowd["anders"])
    settle(crm_host)
    assert found(crm_host, "zenith") == [crowd["acme"]]
    assert found(crm_host, "acme") == []
    assert found(crm_host, "anders") == []


def test_a_rebuild_indexes_what_the_events_missed(crm_host, crowd):
    """reindex writes every live customer again and drops what is gone."""
    index = search_index(crm_host)
    with crm_host.db.transaction() as connection:
        index.refresh(connection, "customer", [])
        connection.exec_driver_sql("DELETE FROM core_search_entry")
    assert found(crm_host, "acme") == []
    assert index.rebuild("customer") == {"customer": 3}
    assert found(crm_host, "acme") == [crowd["acme"]]


def test_api_and_page_search_within_scope(crm_api, crm_client, crm_host, crowd):
    """GET /api/v1/search and /search answer with what the reader may see."""
    admin = crm_api("admin")
    body = admin.get("/api/v1/search?q=lima").get_json()
    assert [(i["record_type"], i["record_id"], i["url"]) for i in body["items"]] == [
        ("customer", crowd["ana"], f"/customers/{crowd['ana']}")
    ]
    agent = crm_api("agent", team="South")
    assert agent.get("/api/v1/search?q=lima").get_json()["items"] == []
    assert admin.get("/api/v1/search").status_code in (400, 422)
    page = crm_client("admin").get("/search?q=an").get_data(as_text=True)
    assert "Ana Lima" in page and "Anders Berg" in page
