"""Pytest fixtures for testing Strata and its plugins (registered as a pytest11 plugin).

Vendors get what the first-party plugins use: a host with chosen plugins over
a migrated database (SQLite, or PostgreSQL when ``CRM_TEST_POSTGRES_URL`` names a
server), a Flask client logged in with a role, an event recorder and
temporary plugins.

Choose the plugins of a test module or test with the ``crm_plugins`` marker::

    pytestmark = pytest.mark.crm_plugins("sales")

A migrated template database is made once per set of plugins and copied for
each test, so every test starts from a clean, fully migrated database.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import types
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from .contract import PluginInfo
from .security import hash_password, issue_token
from .storage import schema
from .storage.database import new_id
from .storage.types import utcnow

POSTGRES_ENV = "CRM_TEST_POSTGRES_URL"
_templates: dict[tuple[str, tuple[str, ...], tuple[str, ...]], str] = {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "crm_plugins(*names): the plugins enabled for this test's host"
    )
    config.addinivalue_line(
        "markers", "crm_sqlite_only: skip the PostgreSQL run of this test"
    )


def database_engines() -> list[str]:
    """SQLite always; PostgreSQL too when the environment names a server."""
    return ["sqlite", "postgresql"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]


@pytest.fixture(params=database_engines())
def crm_engine(request: pytest.FixtureRequest) -> str:
    """The database engine of this test run: ``sqlite`` or ``postgresql``."""
    if request.param == "postgresql" and request.node.get_closest_marker(
        "crm_sqlite_only"
    ):
        pytest.skip("SQLite-only test")
    return str(request.param)


@pytest.fixture
def crm_plugin_names(request: pytest.FixtureRequest) -> tuple[str, ...]:
    marker = request.node.get_closest_marker("crm_plugins")
    return tuple(marker.args) if marker else ()


@pytest.fixture
def crm_extra_plugins() -> list[object]:
    """Plugin objects added to the host besides installed ones (override to add)."""
    return []


@pytest.fixture
def crm_database_url(
    crm_engine: str,
    crm_plugin_names: tuple[str, ...],
    crm_extra_plugins: list[object],
    tmp_path: Path,
) -> Iterator[str]:
    """A fresh, fully migrated database for this test."""
    extra = tuple(sorted(getattr(p, "PLUGIN").name for p in crm_extra_plugins))  # noqa: B009
    key = (crm_engine, crm_plugin_names, extra)
    if key not in _templates:
        _templates[key] = _make_template(
            crm_engine, crm_plugin_names, crm_extra_plugins
        )
    template = _templates[key]
    if crm_engine == "sqlite":
        target = tmp_path / "crm.sqlite3"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    name = f"crm_test_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield (
            make_url(os.environ[POSTGRES_ENV])
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _make_template(engine: str, names: tuple[str, ...], extra: list[object]) -> str:
    from .host import Host

    if engine == "sqlite":
        configured = os.environ.get("CRM_TEST_TEMPLATE_DIR")
        folder = (
            Path(configured)
            if configured
            else Path(tempfile.mkdtemp(prefix="crm-tpl-"))
        )
        path = (folder / f"template-{uuid.uuid4().hex[:8]}.sqlite3").resolve()
        url = f"sqlite:///{path}"
        result = str(path)
    else:
        result = f"crm_template_{uuid.uuid4().hex[:8]}"
        _pg_admin(f'CREATE DATABASE "{result}"')
        url = (
            make_url(os.environ[POSTGRES_ENV])
            .set(database=result)
            .render_as_string(hide_password=False)
        )
    host = Host(_config(url, names), plugins=extra)
    try:
        host.upgrade()
    finally:
        host.close()
    return result


def _pg_admin(statement: str) -> None:
    engine = create_engine(os.environ[POSTGRES_ENV], isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def _config(url: str, names: tuple[str, ...], **extra: Any) -> Any:
    from .config import Config

    return Config(
        database_url=url,
        secret_key="test-secret",
        plugins=names,
        strict_plugins=True,
        data_dir=Path(make_url(url).database or ".").parent
        if url.startswith("sqlite")
        else Path("."),
        **extra,
    )


@pytest.fixture
def crm_config(crm_database_url: str, crm_plugin_names: tuple[str, ...]) -> Any:
    """The configuration of the test host (strict plugin loading)."""
    return _config(crm_database_url, crm_plugin_names)


@pytest.fixture
def crm_host(crm_config: Any, crm_extra_plugins: list[object]) -> Iterator[Any]:
    """A :class:`~crm_core.host.Host` with the chosen plugins over a migrated database."""
    from .host import Host

    host = Host(crm_config, plugins=crm_extra_plugins)
    yield host
    host.close()


@pytest.fixture
def crm_app(crm_host: Any) -> Any:
    """The Flask app of the test host."""
    from .app import create_app

    app = create_app(host=crm_host)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def crm_user(crm_host: Any) -> Callable[..., dict[str, Any]]:
    """Make a user: ``crm_user(role="agent", team=None, password="...")``."""

    def make(
        role: str = "admin",
        team: str | None = None,
        password: str = "correct horse 9",
        email: str | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        now = utcnow()
        with crm_host.db.transaction() as connection:
            team_id = None
            if team is not None:
                t = schema.team
                team_id = connection.execute(
                    select(t.c.id).where(t.c.name == team)
                ).scalar()
                if team_id is None:
                    team_id = new_id(
                        connection.execute(
                            t.insert().values(name=team, created_at=now, updated_at=now)
                        )
                    )
            email = email or f"{role}-{uuid.uuid4().hex[:6]}@example.test"
            user_id = new_id(
                connection.execute(
                    schema.user.insert().values(
                        email=email,
                        name=name or email.split("@")[0],
                        role=role,
                        team_id=team_id,
                        password_hash=hash_password(password),
                        created_at=now,
                        updated_at=now,
                    )
                )
            )
            token = issue_token(connection, user_id, "test")
        return {
            "id": user_id,
            "email": email,
            "password": password,
            "token": token,
            "team_id": team_id,
            "role": role,
        }

    return make


@pytest.fixture
def crm_api(
    crm_app: Any, crm_user: Callable[..., dict[str, Any]]
) -> Callable[..., Any]:
    """A test client whose requests carry an API token of a new user with ``role``."""

    def make(role: str = "admin", **user: Any) -> Any:
        who = crm_user(role, **user)
        client = crm_app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {who['token']}"
        client.user = who
        return client

    return make


@pytest.fixture
def crm_client(
    crm_app: Any, crm_user: Callable[..., dict[str, Any]]
) -> Callable[..., Any]:
    """A test client signed in to the pages as a new user with ``role``.

    Forms need the CSRF token of the page they come from, as in a browser.
    """

    def make(role: str = "admin", **user: Any) -> Any:
        who = crm_user(role, **user)
        client = crm_app.test_client()
        with client.session_transaction() as session:
            session["uid"] = who["id"]
            session["epoch"] = 0
        client.user = who
        return client

    return make


@pytest.fixture
def crm_actor(
    crm_host: Any, crm_user: Callable[..., dict[str, Any]]
) -> Callable[..., Any]:
    """Make an :class:`~crm_core.security.Actor` of a new user with ``role``."""

    def make(role: str = "admin", **user: Any) -> Any:
        who = crm_user(role, **user)
        with crm_host.db.connect() as connection:
            return crm_host.actor(connection, who["id"])

    return make


class EventRecorder:
    """The events published since the recorder was made, read from the outbox."""

    def __init__(self, host: Any) -> None:
        self.host = host
        with host.db.connect() as connection:
            self._seen = {
                row[0] for row in connection.execute(select(schema.event.c.id))
            }

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        e = schema.event
        query = select(e).order_by(e.c.occurred_at)
        if name:
            query = query.where(e.c.name == name)
        with self.host.db.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [dict(row) for row in rows if row["id"] not in self._seen]

    def names(self) -> list[str]:
        return [event["name"] for event in self.events()]


@pytest.fixture
def crm_events(crm_host: Any) -> EventRecorder:
    """Records the events published during the test."""
    return EventRecorder(crm_host)


def make_plugin(
    name: str,
    *,
    requires: tuple[str, ...] = ("core",),
    version: str = "1.0",
    hook_api: str = ">=1,<2",
    **hooks: Callable[..., Any],
) -> object:
    """A temporary plugin object with ``hooks`` as its hook implementations."""
    from .contract import hookimpl

    plugin = types.SimpleNamespace(
        PLUGIN=PluginInfo(
            name=name, version=version, hook_api=hook_api, requires=requires
        )
    )
    for hook_name, function in hooks.items():
        setattr(plugin, hook_name, hookimpl(function))
    return plugin


@pytest.fixture
def crm_temp_plugin() -> Callable[..., object]:
    """Build a temporary plugin: ``crm_temp_plugin("acme", crm_permissions=lambda: [...])``."""
    return make_plugin
