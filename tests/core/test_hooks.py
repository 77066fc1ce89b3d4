"""One test per core hook, each through a temporary plugin on a real database."""

from __future__ import annotations

import textwrap

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import Column, Integer, MetaData, String, Table, inspect, select

from crm_core import (
    DataSource,
    FieldSpec,
    JobSpec,
    MigrationSource,
    OnDelete,
    Permission,
    Problem,
    RelationPolicy,
    ScheduleSpec,
    Subscription,
)
from crm_core.customers import Blocked, InvalidInput
from crm_core.security import SYSTEM

WIDGETS = Table(
    "acme_widget",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer),
    Column("label", String(50)),
)

REVISION = '''
"""acme widgets"""
import sqlalchemy as sa
from alembic import op

revision = "a1"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "acme_widget",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("customer_id", sa.Integer),
        sa.Column("label", sa.String(50)),
    )


def downgrade():
    op.drop_table("acme_widget")
'''


@pytest.fixture
def acme_migrations(tmp_path):
    folder = tmp_path / "acme_migrations"
    (folder / "versions").mkdir(parents=True)
    (folder / "versions" / "0001_widgets.py").write_text(textwrap.dedent(REVISION))
    return folder


def _with_plugin(crm_host_factory, plugin):
    return crm_host_factory(plugin)


@pytest.fixture
def host_with(crm_config, tmp_path):
    """Build a host over the test database with extra temporary plugins."""
    import attrs

    from crm_core.host import Host

    made = []

    def build(*plugins):
        names = tuple(p.PLUGIN.name for p in plugins)
        config = attrs.evolve(crm_config, plugins=crm_config.plugins + names)
        host = Host(config, plugins=list(plugins))
        made.append(host)
        return host

    yield build
    for host in made:
        host.close()


def test_hook_crm_migrations_upgrade_and_downgrade(
    host_with, crm_temp_plugin, acme_migrations
):
    """A plugin's revisions run after the core's, in its own version table, and roll back."""
    from crm_core.storage import migrations

    plugin = crm_temp_plugin(
        "acme", crm_migrations=lambda: MigrationSource("acme", acme_migrations)
    )
    host = host_with(plugin)
    owners = [s.owner for s in host.migration_sources()]
    assert owners[0] == "core" and owners[-1] == "acme"
    assert host.pending_migrations() == ["acme"]
    host.upgrade()
    tables = inspect(host.db.engine).get_table_names()
    assert "acme_widget" in tables and "acme_alembic_version" in tables
    migrations.downgrade(host.db, host.migration_sources()[-1])
    assert "acme_widget" not in inspect(host.db.engine).get_table_names()


def test_hook_crm_tables_must_carry_the_plugin_prefix(host_with, crm_temp_plugin):
    """A table without the plugin's name as prefix stops the host."""
    from crm_core.host import HostError

    plugin = crm_temp_plugin("other", crm_tables=lambda: [WIDGETS])
    with pytest.raises(HostError, match="its tables must start with 'other_'"):
        host_with(plugin)


def test_hook_crm_cli_commands_are_added(crm_temp_plugin, tmp_path, monkeypatch):
    """A plugin's command shows up under crm and runs."""
    from crm_core.cli import main
    from crm_core.config import Config
    from crm_core.host import Host

    @click.command("acme-hello")
    def hello():
        click.echo("hello from acme")

    plugin = crm_temp_plugin("acme", crm_cli_commands=lambda: [hello])
    config = Config(database_url=f"sqlite:///{tmp_path}/x.db", plugins=("acme",))
    host = Host(config, plugins=[plugin])
    result = CliRunner().invoke(
        main,
        ["acme-hello"],
        obj=None,
        catch_exceptions=False,
        standalone_mode=False,
        **_with_host(host),
    )
    assert "hello from acme" in result.output


def _with_host(host):
    """Pre-load a host into the CLI context, as load_host would."""
    original = click.Context.find_root

    class Patched(click.Context):
        pass

    def find_root(self):
        root = original(self)
        root.meta.setdefault("crm.host", host)
        return root

    click.Context.find_root = find_root  # restored by the caller's fixture scope
    return {}


@pytest.fixture(autouse=True)
def _restore_click():
    original = click.Context.find_root
    yield
    click.Context.find_root = original


def test_hook_crm_custom_fields_are_validated_on_customers(host_with, crm_temp_plugin):
    """A plugin's custom field validates and stores values without a migration."""
    plugin = crm_temp_plugin(
        "acme",
        crm_custom_fields=lambda: [
            FieldSpec("tier", "choice", label="Tier", choices=("gold", "silver"))
        ],
    )
    host = host_with(plugin)
    with host.db.transaction() as connection:
        made = host.customers.create(
            connection, SYSTEM, {"name": "A", "attributes": {"tier": "gold"}}
        )
    assert made["attributes"] == {"tier": "gold"}
    with pytest.raises(InvalidInput) as refused, host.db.transaction() as connection:
        host.customers.create(
            connection, SYSTEM, {"name": "B", "attributes": {"tier": "iron"}}
        )
    assert "attributes.tier" in refused.value.errors


def test_hook_crm_permissions_grant_built_in_roles(host_with, crm_temp_plugin):
    """A declared permission's defaults reach the built-in roles' grants."""
    from crm_core.storage import schema

    plugin = crm_temp_plugin(
        "acme",
        crm_permissions=lambda: [
            Permission(
                "widget.read", "See widgets", {"agent": "own", "manager": "team"}
            )
        ],
    )
    host = host_with(plugin)
    host.upgrade()
    with host.db.connect() as connection:
        grants = dict(
            connection.execute(select(schema.role.c.name, schema.role.c.grants)).all()
        )
    assert grants["agent"]["widget.read"] == "own"
    assert grants["manager"]["widget.read"] == "team"
    assert "widget.read" not in grants["viewer"]


def test_hook_crm_event_subscriptions_run_after_commit(host_with, crm_temp_plugin):
    """A subscriber sees customer.created once the creating transaction committed."""
    from crm_core.jobs import Worker

    seen = []
    plugin = crm_temp_plugin(
        "acme",
        crm_event_subscriptions=lambda: [
            Subscription(
                "customer.created", lambda record: seen.append(record.payload), "count"
            )
        ],
    )
    host = host_with(plugin)
    worker = Worker(host.db, host.events, host.jobs)
    with pytest.raises(RuntimeError), host.db.transaction() as connection:
        host.customers.create(connection, SYSTEM, {"name": "Rolled Back"})
        raise RuntimeError("abandon the transaction")
    worker.run_once()
    assert seen == []
    with host.db.transaction() as connection:
        made = host.customers.create(connection, SYSTEM, {"name": "Event Person"})
    worker.run_once()
    assert seen == [{"customer_id": made["id"]}]


def test_hook_crm_jobs_run_by_the_worker(host_with, crm_temp_plugin):
    """An enqueued job of a plugin runs with its arguments."""
    from crm_core.jobs import Worker

    done = []
    plugin = crm_temp_plugin(
        "acme", crm_jobs=lambda: [JobSpec("acme.note", lambda text: done.append(text))]
    )
    host = host_with(plugin)
    host.jobs.enqueue("acme.note", text="hello")
    Worker(host.db, host.events, host.jobs).run_once()
    assert done == ["hello"]


def test_hook_crm_schedules_enqueue_their_job(host_with, crm_temp_plugin):
    """A schedule makes its job run when due."""
    from crm_core.jobs import Worker

    done = []
    plugin = crm_temp_plugin(
        "acme",
        crm_jobs=lambda: [JobSpec("acme.tick", lambda: done.append("tick"))],
        crm_schedules=lambda: [ScheduleSpec("acme.every-minute", "acme.tick", 60)],
    )
    host = host_with(plugin)
    host.jobs.sync_schedules()
    worker = Worker(host.db, host.events, host.jobs)
    worker.run_once()
    worker.run_once()
    assert done == ["tick"]


def test_hook_crm_data_sources_read_as_frames(host_with, crm_temp_plugin):
    """A plugin's data source reads as a pandas frame through the core."""
    from crm_core.datasources import UnknownDataSource, read_frame
    from crm_core.storage import schema

    c = schema.customer
    plugin = crm_temp_plugin(
        "acme",
        crm_data_sources=lambda: [
            DataSource(
                "acme.names", "Customer names", lambda: select(c.c.id, c.c.display_name)
            )
        ],
    )
    host = host_with(plugin)
    with host.db.transaction() as connection:
        host.customers.create(connection, SYSTEM, {"name": "Frame Person"})
    frame = read_frame(host, "acme.names")
    assert frame["display_name"].tolist() == ["Frame Person"]
    with pytest.raises(UnknownDataSource, match="no data source 'nope'"):
        read_frame(host, "nope")


def test_hook_crm_relation_policies_block_a_delete(
    host_with, crm_temp_plugin, acme_migrations
):
    """A blocking relation refuses deleting a customer that live rows point at."""
    from crm_core.relations import DeleteBlocked

    plugin = crm_temp_plugin(
        "acme",
        crm_migrations=lambda: MigrationSource("acme", acme_migrations),
        crm_tables=lambda: [WIDGETS],
        crm_relation_policies=lambda: [
            RelationPolicy("acme_widget", "customer_id", OnDelete.BLOCK, "widgets")
        ],
    )
    host = host_with(plugin)
    host.upgrade()
    with host.db.transaction() as connection:
        made = host.customers.create(connection, SYSTEM, {"name": "Has Widgets"})
        connection.execute(WIDGETS.insert().values(customer_id=made["id"], label="w"))
    with (
        pytest.raises(DeleteBlocked, match="1 widgets record"),
        host.db.transaction() as conn,
    ):
        host.customers.delete(conn, SYSTEM, made["id"])


def test_hook_crm_demo_data_runs_base_first(host_with, crm_temp_plugin):
    """Demo loaders run after the core's, so they can use its customers."""
    from crm_core import demo

    counts = []
    plugin = crm_temp_plugin(
        "acme", crm_demo_data=lambda demo: counts.append(len(demo.customers))
    )
    host = host_with(plugin)
    context = demo.load(host)
    assert counts == [300] and len(context.customers) == 300


def test_hook_crm_customer_owner_chooses_the_owner(
    host_with, crm_temp_plugin, crm_user
):
    """The first plugin answering sets a new customer's owner."""
    owner = crm_user("agent")
    plugin = crm_temp_plugin(
        "acme", crm_customer_owner=lambda customer, actor: owner["id"]
    )
    host = host_with(plugin)
    with host.db.transaction() as connection:
        made = host.customers.create(connection, SYSTEM, {"name": "Owned"})
    assert made["owner_id"] == owner["id"]


def test_hook_crm_validate_customers_can_refuse(host_with, crm_temp_plugin):
    """A veto refuses a change with the plugin named, and nothing is stored."""
    from crm_core.storage import schema

    def refuse(changes):
        return [
            Problem("VAT id required for organisations", field="attributes")
            for change in changes
            if change.after.get("kind") == "organisation"
        ]

    host = host_with(crm_temp_plugin("acme", crm_validate_customers=refuse))
    with pytest.raises(InvalidInput) as refused, host.db.transaction() as connection:
        host.customers.create(
            connection, SYSTEM, {"name": "Org", "kind": "organisation"}
        )
    assert refused.value.errors["attributes"] == [
        "VAT id required for organisations (plugin acme)"
    ]
    with host.db.connect() as connection:
        assert connection.execute(select(schema.customer.c.id)).all() == []


def test_hook_crm_before_delete_can_refuse(host_with, crm_temp_plugin):
    """A plugin may refuse a delete; the customer stays."""
    plugin = crm_temp_plugin(
        "acme",
        crm_before_delete=lambda record_type, ids: [Problem("has an open contract")],
    )
    host = host_with(plugin)
    with host.db.transaction() as connection:
        made = host.customers.create(connection, SYSTEM, {"name": "Kept"})
    with (
        pytest.raises(Blocked, match="acme: has an open contract"),
        host.db.transaction() as c,
    ):
        host.customers.delete(c, SYSTEM, made["id"])


def test_hook_crm_record_types_import_through_the_pipeline(
    host_with, crm_temp_plugin, tmp_path, acme_migrations
):
    """A plugin's record type imports a file with the same checks and all-or-nothing rule."""
    from marshmallow import Schema, fields, validate

    from crm_core.importing import mapping_from_arguments
    from crm_core.importing.pipeline import ImportRequest, run_import
    from crm_core.importing.records import RecordType

    class WidgetSchema(Schema):
        label = fields.String(required=True, validate=validate.Length(max=5))

    def write(ctx, batch):
        rows = [{"label": label} for label in batch.frame["label"]]
        ctx.connection.execute(WIDGETS.insert(), rows)
        ctx.report.created += len(rows)

    widgets = RecordType("widgets", WidgetSchema, write, permission="customer.import")
    plugin = crm_temp_plugin(
        "acme",
        crm_migrations=lambda: MigrationSource("acme", acme_migrations),
        crm_tables=lambda: [WIDGETS],
        crm_record_types=lambda: [widgets],
    )
    host = host_with(plugin)
    host.upgrade()
    path = tmp_path / "widgets.csv"
    path.write_text("label\nbolt\nnut\n")
    request = ImportRequest("widgets", path, mapping_from_arguments())
    assert run_import(host, SYSTEM, request).created == 2
    path.write_text("label\nwasher\nnut\n")
    refused = run_import(host, SYSTEM, request)
    assert (
        refused.errors[0]["row"] == 1
        and "longer than 5" in refused.errors[0]["message"]
    )
    with host.db.connect() as connection:
        assert sorted(connection.execute(select(WIDGETS.c.label)).scalars()) == [
            "bolt",
            "nut",
        ]


def test_hook_crm_api_blueprints_are_mounted_and_documented(
    host_with, crm_temp_plugin, crm_user
):
    """A plugin's API blueprint answers under /api/v1 and appears in the OpenAPI document."""
    from flask_smorest import Blueprint

    from crm_core.app import create_app

    blueprint = Blueprint("acme_api", __name__, url_prefix="/acme")

    @blueprint.route("/ping")
    @blueprint.response(200)
    def ping():
        return {"pong": True}

    host = host_with(crm_temp_plugin("acme", crm_api_blueprints=lambda: [blueprint]))
    app = create_app(host=host)
    who = crm_user("viewer")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {who['token']}"}
    assert client.get("/api/v1/acme/ping", headers=headers).get_json() == {"pong": True}
    assert client.get("/api/v1/acme/ping").status_code == 401
    spec = client.get("/api/v1/openapi.json", headers=headers).get_json()
    assert "/api/v1/acme/ping" in spec["paths"]


def test_hook_crm_host_started_gets_every_new_host(host_with, crm_temp_plugin):
    """Each host made tells the plugins, once, after its services exist."""
    seen = []
    plugin = crm_temp_plugin(
        "acme", crm_host_started=lambda host: seen.append(host.customers is not None)
    )
    host_with(plugin)
    assert seen == [True]
