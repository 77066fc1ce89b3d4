"""Files on plugin records, through crm_record_visible, and with their customer."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from crm_core.customers import NotFound
from crm_core.files import record_visible
from crm_core.files.tables import stored_file
from crm_core.testing import make_plugin

SEEN: list[tuple[str, str]] = []


def _widget_visible(connection, actor, record_type, record_id):
    if record_type != "acme_widget":
        return None
    SEEN.append((record_type, record_id))
    return record_id == "1" or actor.role.name == "admin"


@pytest.fixture
def crm_plugin_names():
    return ("acme",)


@pytest.fixture
def crm_extra_plugins():
    return [make_plugin("acme", crm_record_visible=_widget_visible)]


def _store(crm_host, files, actor, record_type, record_id, name="w.txt"):
    with crm_host.db.transaction() as connection:
        return files.store(
            connection,
            actor,
            record_type=record_type,
            record_id=record_id,
            name=name,
            stream=io.BytesIO(b"widget notes\n"),
        )


def test_hook_crm_record_visible_lets_the_owner_decide(crm_host, crm_actor, files):
    """The plugin owning a record type says who may see its records' files."""
    admin, agent = crm_actor("admin"), crm_actor("agent")
    _store(crm_host, files, admin, "acme_widget", 1)
    _store(crm_host, files, admin, "acme_widget", 2)
    with crm_host.db.connect() as connection:
        assert len(files.list(connection, agent, "acme_widget", "1")) == 1
        with pytest.raises(NotFound):
            files.list(connection, agent, "acme_widget", "2")
        assert len(files.list(connection, admin, "acme_widget", 2)) == 1
    assert ("acme_widget", "2") in SEEN


def test_a_record_type_nobody_answers_for_is_not_visible(crm_host, crm_actor, files):
    """Files cannot hang off a record type no plugin vouches for."""
    admin = crm_actor("admin")
    with pytest.raises(NotFound, match="no gadget 7 that you may see"):
        _store(crm_host, files, admin, "gadget", 7)
    with crm_host.db.connect() as connection:
        assert not record_visible(crm_host, connection, admin, "gadget", 7)
        assert not record_visible(crm_host, connection, admin, "customer", "x")


def test_a_customers_files_go_and_come_back_with_it(crm_host, crm_actor, files):
    """Deleting a customer hides its files; restoring it brings them back."""
    admin = crm_actor("admin")
    with crm_host.db.transaction() as connection:
        customer = crm_host.customers.create(connection, admin, {"name": "Ida"})
    stored = _store(crm_host, files, admin, "customer", customer["id"])
    with crm_host.db.transaction() as connection:
        crm_host.customers.delete(connection, admin, customer["id"])
        row = connection.execute(
            select(stored_file.c.deleted_at, stored_file.c.deleted_by_cascade)
        ).one()
        assert row.deleted_at is not None and row.deleted_by_cascade
        with pytest.raises(NotFound):
            files.get(connection, admin, stored["id"], include_deleted=True)
    with crm_host.db.transaction() as connection:
        crm_host.customers.restore(connection, admin, customer["id"])
        assert files.get(connection, admin, stored["id"])["deleted_at"] is None
