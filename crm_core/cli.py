"""The ``crm`` command line.

Exit codes: 0 success; 1 the data was refused (nothing written); 2 wrong usage;
3 the installation cannot start (configuration, plugins, migrations pending).
"""

from __future__ import annotations

import json
import logging
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from sqlalchemy import func, or_, select

from .config import Config
from .host import Host, HostError
from .plugins import PluginError
from .security import hash_password, issue_token
from .storage import schema
from .storage.database import new_id
from .storage.types import utcnow

EXIT_REFUSED, EXIT_USAGE, EXIT_SETUP = 1, 2, 3


class SetupError(click.ClickException):
    exit_code = EXIT_SETUP


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Alembic narrates every step at INFO; the migration summary is printed instead.
    logging.getLogger("alembic").setLevel(logging.DEBUG if verbose else logging.WARNING)


def load_host(ctx: click.Context | None = None) -> Host:
    """The host for this command, made once per invocation."""
    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    host = root.meta.get("crm.host")
    if host is None:
        try:
            host = Host(Config.load())
        except (PluginError, HostError) as error:
            raise SetupError(str(error)) from None
        root.meta["crm.host"] = host
        root.call_on_close(host.close)
    return host


@contextmanager
def migrated(host: Host) -> Iterator[Host]:
    behind = host.pending_migrations()
    if behind:
        raise SetupError(
            f"the database is behind its migrations ({', '.join(behind)}); run 'crm db upgrade'"
        )
    yield host


class CrmGroup(click.Group):
    """The root group; plugins' commands are added when first listed or called."""

    def _plugin_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        if "crm.plugin_commands" not in ctx.meta:
            commands: dict[str, click.Command] = {}
            try:
                host = load_host(ctx)
            except click.ClickException:
                host = None
            if host is not None:
                found = Host.unique(
                    host.plugins.collect("crm_cli_commands"),
                    lambda cmd: cmd.name,
                    "command",
                )
                for contribution in found:
                    if contribution.value.name in self.commands:
                        raise SetupError(
                            f"plugin {contribution.plugin!r} adds command "
                            f"{contribution.value.name!r}, which the core has"
                        )
                    commands[contribution.value.name] = contribution.value
            ctx.meta["crm.plugin_commands"] = commands
        return ctx.meta["crm.plugin_commands"]

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._plugin_commands(ctx)})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return super().get_command(ctx, name) or self._plugin_commands(ctx).get(name)


@click.group(cls=CrmGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def main(verbose: bool) -> None:
    """Strata CRM: manage an installation."""
    _configure_logging(verbose)


@main.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate the core, then each plugin in dependency order."""
    for line in load_host().upgrade():
        click.echo(line)


@db.command("status")
def db_status() -> None:
    """Show which owners are behind their newest migration."""
    behind = load_host().pending_migrations()
    click.echo("up to date" if not behind else "behind: " + ", ".join(behind))
    sys.exit(0 if not behind else EXIT_SETUP)


@db.command("revision")
@click.argument("owner")
@click.option("-m", "--message", required=True, help="What the revision changes.")
def db_revision(owner: str, message: str) -> None:
    """Write a new migration for OWNER's tables from their definitions."""
    from .storage.revisions import write_revision

    host = load_host()
    sources = {s.owner: s for s in host.migration_sources()}
    if owner not in sources:
        raise click.BadParameter(
            f"no migrations owned by {owner!r} (known: {', '.join(sources)})",
            param_hint="OWNER",
        )
    # A table belongs to the longest owner name it starts with (core_mail_x is
    # core_mail's, not core's).
    by_length = sorted(sources, key=len, reverse=True)

    def owner_of(name: str) -> str | None:
        return next((o for o in by_length if name.startswith(f"{o}_")), None)

    tables = [t for name, t in host.tables.items() if owner_of(name) == owner]
    others = [t for t in host.tables.values() if t not in tables]
    path = write_revision(host.db, sources[owner], tables, message, others)
    click.echo(f"wrote {path}" if path else "no changes")


def ensure_admin(host: Host) -> tuple[str, str | None]:
    """The first administrator's e-mail, and a new password when one was made now."""
    u = schema.user
    with host.db.transaction() as connection:
        existing = connection.execute(
            select(u.c.email).where(u.c.role == "admin").order_by(u.c.id)
        ).first()
        if existing is not None:
            return existing.email, None
        password = secrets.token_urlsafe(12)
        now = utcnow()
        connection.execute(
            u.insert().values(
                email="admin@example.com",
                name="Administrator",
                role="admin",
                password_hash=hash_password(password),
                created_at=now,
                updated_at=now,
            )
        )
    return "admin@example.com", password


@main.command()
def init() -> None:
    """Create the database and an administrator; prints the login."""
    host = load_host()
    for line in host.upgrade():
        click.echo(line)
    email, password = ensure_admin(host)
    if password:
        click.echo(f"administrator: {email}  password: {password}")
    else:
        click.echo(f"administrator {email} already exists")


@main.command()
@click.option(
    "--host", "bind", default="127.0.0.1", show_default=True, help="Address to bind."
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-serve", is_flag=True, help="Prepare the demo database, then stop.")
def demo(bind: str, port: int, no_serve: bool) -> None:
    """Create a demo database with generated data and serve it.

    The database is an SQLite file in the data folder (./crm-data unless
    CRM_DATA_DIR or CRM_DATABASE_URL say otherwise); run again, it is reused.
    """
    from . import demo as demo_data

    host = load_host()
    for line in host.upgrade():
        click.echo(line)
    if demo_data.has_demo_data(host):
        click.echo("demo data already loaded")
    else:
        context = demo_data.load(host)
        click.echo(
            f"loaded generated demo data: {len(context.customers)} customers "
            f"(tagged {demo_data.DEMO_TAG!r})"
        )
    email, password = ensure_admin(host)
    login = (
        f"{email} / {password}" if password else f"{email} (password as printed before)"
    )
    click.echo(f"open http://{bind}:{port}/ and log in as {login}")
    click.echo(
        "demo agents: nils.north@demo.example.com and others, password 'demo-password'"
    )
    if not no_serve:
        from .app import create_app

        _serve(create_app(host=host), host, bind, port)


@main.command()
@click.option(
    "--host", "bind", default="127.0.0.1", show_default=True, help="Address to bind."
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def serve(bind: str, port: int) -> None:
    """Serve the web pages and API (with the in-process worker)."""
    from .app import create_app

    host = load_host()
    with migrated(host):
        app = create_app(host=host)
        _serve(app, host, bind, port)


def _serve(app: Any, host: Host, bind: str, port: int) -> None:
    from werkzeug.serving import run_simple

    from .jobs import Worker

    worker = Worker(host.db, host.events, host.jobs)
    worker.start_thread()
    click.echo(f"serving on http://{bind}:{port}/")
    try:
        run_simple(bind, port, app, threaded=True, use_reloader=False)
    finally:
        worker.stop()


@main.command()
def worker() -> None:
    """Run the worker (events, jobs, schedules) as a process of its own."""
    import signal
    import threading

    from .jobs import Worker

    host = load_host()
    with migrated(host):
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        Worker(host.db, host.events, host.jobs).run_forever(stop)


@main.group()
def plugins() -> None:
    """Installed plugins."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def plugins_list(as_json: bool) -> None:
    """Show each plugin's name, version and status (loaded, disabled, failed) and why."""
    report = [s.as_dict() for s in load_host().plugins.report()]
    if as_json:
        click.echo(
            json.dumps(
                [
                    {k: r[k] for k in ("name", "version", "status", "reason")}
                    for r in report
                ],
                indent=2,
            )
        )
        return
    for row in report:
        line = f"{row['name']:<14} {row['version']:<10} {row['status']:<9}"
        click.echo(line + (f" {row['reason']}" if row["reason"] else ""))


@main.group()
def users() -> None:
    """People who work in the CRM."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", default="agent", show_default=True)
@click.option("--team", default=None, help="Team name (created when new).")
@click.option("--password", default=None, help="Omit to print a generated one.")
def users_create(
    email: str, name: str, role: str, team: str | None, password: str | None
) -> None:
    """Create a user who can log in."""
    from .contactpoints import ContactPointError, normalise_email

    host = load_host()
    try:
        email = normalise_email(email)
    except ContactPointError as error:
        raise click.BadParameter(str(error), param_hint="--email") from None
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    now = utcnow()
    with migrated(host), host.db.transaction() as connection:
        roles = [r[0] for r in connection.execute(select(schema.role.c.name))]
        if role not in roles:
            raise click.BadParameter(
                f"unknown role {role!r} (known: {', '.join(roles)})",
                param_hint="--role",
            )
        if connection.execute(
            select(func.count()).where(func.lower(schema.user.c.email) == email)
        ).scalar():
            raise click.BadParameter(
                f"a user with e-mail {email} exists", param_hint="--email"
            )
        team_id = _team_id(connection, team, now)
        connection.execute(
            schema.user.insert().values(
                email=email,
                name=name,
                role=role,
                team_id=team_id,
                password_hash=hash_password(password),
                created_at=now,
                updated_at=now,
            )
        )
    click.echo(f"created {email}" + (f"  password: {password}" if generated else ""))


def _team_id(connection: Any, team: str | None, now: Any) -> int | None:
    if team is None:
        return None
    t = schema.team
    found = connection.execute(select(t.c.id).where(t.c.name == team)).scalar()
    if found is not None:
        return int(found)
    return int(
        new_id(
            connection.execute(
                t.insert().values(name=team, created_at=now, updated_at=now)
            )
        )
    )


@main.group()
def tokens() -> None:
    """API tokens."""


@tokens.command("create")
@click.option("--user", "who", required=True, help="E-mail or name of the user.")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
def tokens_create(who: str, name: str) -> None:
    """Create an API token; it is printed once and stored only as a digest."""
    host = load_host()
    u = schema.user
    with migrated(host), host.db.transaction() as connection:
        rows = connection.execute(
            select(u.c.id).where(
                or_(func.lower(u.c.email) == who.strip().lower(), u.c.name == who)
            )
        ).all()
        if len(rows) != 1:
            raise click.BadParameter(
                f"no single user has the e-mail or name {who!r}", param_hint="--user"
            )
        token = issue_token(connection, rows[0][0], name)
    click.echo(token)


@main.group()
def events() -> None:
    """The event outbox and its dead-letter list."""


@events.command("failed")
@click.option("--json", "as_json", is_flag=True)
def events_failed(as_json: bool) -> None:
    """List deliveries that failed every retry."""
    rows = load_host().events.failed()
    if as_json:
        click.echo(json.dumps([_plain(r) for r in rows], indent=2, default=str))
        return
    if not rows:
        click.echo("no failed deliveries")
    for row in rows:
        r = _plain(row)
        click.echo(
            f"{r['id']:>6}  {r['event_name']}  {r['subscriber']}  "
            f"attempts={r['attempts']}  {r['last_error']}"
        )


@events.command("replay")
@click.argument("delivery_id", type=int)
def events_replay(delivery_id: int) -> None:
    """Put a failed delivery back in the queue."""
    try:
        load_host().events.replay(delivery_id)
    except LookupError as error:
        raise click.BadParameter(str(error), param_hint="DELIVERY_ID") from None
    click.echo(f"delivery {delivery_id} queued again")


def _plain(row: Any) -> dict[str, Any]:
    if isinstance(row, dict):
        return row
    if hasattr(row, "_asdict"):
        return dict(row._asdict())
    import attrs

    return attrs.asdict(row)


@main.command("import")
@click.argument("record_type")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="COLUMN=FIELD",
    help="Fill FIELD from COLUMN; COLUMN= skips the column.",
)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A saved mapping file (TOML).",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Give FIELD this value on every row.",
)
@click.option(
    "--key", "keys", multiple=True, help="Match existing records on this field."
)
@click.option(
    "--create-fields", is_flag=True, help="Declare custom fields for unmapped columns."
)
@click.option(
    "--type",
    "types",
    multiple=True,
    metavar="COLUMN=TYPE",
    help="The type of a field --create-fields declares.",
)
@click.option(
    "--kind",
    type=click.Choice(["person", "organisation"]),
    help="Import customers as people or organisations.",
)
@click.option("--encoding", help="The file's encoding, when detection is not sure.")
@click.option("--delimiter", help="',', ';', tab, '|' or 'whitespace'.")
@click.option(
    "--decimal", type=click.Choice([".", ","]), default=".", show_default=True
)
@click.option("--thousands", default=None, help="Thousands separator in numbers.")
@click.option(
    "--date-format",
    default="%Y-%m-%d",
    show_default=True,
    help="strftime format of dates.",
)
@click.option(
    "--datetime-format", default=None, help="strftime format of times (ISO by default)."
)
@click.option(
    "--timezone", default="UTC", show_default=True, help="Zone of times without one."
)
@click.option(
    "--region", default=None, help="Region of phone numbers without a country code."
)
@click.option("--sheet", default=None, help="Worksheet of an Excel file.")
@click.option(
    "--user", "who", default=None, help="Import as this user (default: first admin)."
)
@click.option("--dry-run", is_flag=True, help="Check and count; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_(
    record_type: str,
    file: Path,
    maps: tuple[str, ...],
    mapping: Path | None,
    sets: tuple[str, ...],
    keys: tuple[str, ...],
    create_fields: bool,
    types: tuple[str, ...],
    kind: str | None,
    encoding: str | None,
    delimiter: str | None,
    decimal: str,
    thousands: str | None,
    date_format: str,
    datetime_format: str | None,
    timezone: str,
    region: str | None,
    sheet: str | None,
    who: str | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Import FILE as RECORD_TYPE (customers, activities, or a plugin's type).

    Exit code 1 when any row is refused (nothing is written then).
    """
    from .importing import (
        ImportFileError,
        MappingError,
        load_mapping,
        mapping_from_arguments,
    )
    from .importing.pipeline import ImportRequest, ImportUsageError, run_import
    from .importing.rules import ValueOptions
    from .security import PermissionDenied

    host = load_host()
    try:
        chosen = mapping_from_arguments(maps, sets, types)
        if kind:
            chosen = chosen.updated(mapping_from_arguments(sets=[f"kind={kind}"]))
        if mapping is not None:
            chosen = load_mapping(mapping).updated(chosen)
        values = ValueOptions(
            date_format=date_format,
            datetime_format=datetime_format,
            timezone=timezone,
            decimal_mark=decimal,
            thousands=thousands,
            phone_region=region or host.config.default_region,
        )
        request = ImportRequest(
            record_type=record_type,
            path=file,
            mapping=chosen,
            keys=keys,
            create_fields=create_fields,
            dry_run=dry_run,
            encoding=encoding,
            delimiter=delimiter,
            sheet=sheet,
            values=values,
            progress=not as_json,
        )
        with migrated(host):
            actor = _acting_user(host, who)
            report = run_import(host, actor, request)
    except (ImportFileError, MappingError, ImportUsageError, PermissionDenied) as error:
        raise click.UsageError(str(error)) from None
    if as_json:
        data = report.as_dict()
        click.echo(json.dumps(data, default=str))
    else:
        _print_report(report)
    sys.exit(EXIT_REFUSED if report.error_count else 0)


def _acting_user(host: Host, who: str | None) -> Any:
    u = schema.user
    with host.db.connect() as connection:
        query = select(u.c.id).order_by(u.c.id)
        if who:
            query = query.where(
                or_(func.lower(u.c.email) == who.strip().lower(), u.c.name == who)
            )
        else:
            query = query.where(u.c.role == "admin")
        row = connection.execute(query).first()
        if row is None:
            raise click.UsageError(
                f"no user {who!r}"
                if who
                else "no administrator yet; run 'crm init' first"
            )
        actor = host.actor(connection, int(row[0]))
    if actor is None:
        raise click.UsageError(f"user {who!r} is deactivated")
    return actor


def _print_report(report: Any) -> None:
    state = "dry run: nothing written" if report.dry_run else report.status
    click.echo(f"{report.record_type} from {report.file} ({state})")
    click.echo(
        f"  created {report.created}, updated {report.updated}, "
        f"unchanged {report.unchanged}, rows {report.rows}"
    )
    for field in report.fields_created:
        choices = f" ({', '.join(field['choices'])})" if field["choices"] else ""
        click.echo(
            f"  new field {field['name']}: {field['type']}{choices} - {field['label']}"
        )
    if report.ignored_columns:
        click.echo(f"  ignored columns: {', '.join(report.ignored_columns)}")
    if report.error_count:
        click.echo(f"  {report.error_count} error(s); nothing was written:", err=True)
        for error in report.errors[:50]:
            where = f"row {error['row']}" if error["row"] else "file"
            column = f", column {error['column']!r}" if error["column"] else ""
            click.echo(f"    {where}{column}: {error['message']}", err=True)


@main.command("export")
@click.argument("record_type")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--user", "who", default=None, help="Export what this user may see.")
def export_(record_type: str, file: Path, who: str | None) -> None:
    """Export RECORD_TYPE to FILE (.csv or .xlsx), formulas neutralised."""
    from .export import ExportError, write_rows

    host = load_host()
    types = host.record_types()
    if record_type not in types or types[record_type].export is None:
        exportable = sorted(n for n, t in types.items() if t.export is not None)
        raise click.BadParameter(
            f"cannot export {record_type!r}; choose one of {', '.join(exportable)}",
            param_hint="RECORD_TYPE",
        )
    with migrated(host):
        actor = _acting_user(host, who)
        actor.require("customer.export")
        with host.db.connect() as connection:
            try:
                count = write_rows(types[record_type].export(connection, actor), file)
            except ExportError as error:
                raise click.BadParameter(str(error), param_hint="FILE") from None
    click.echo(f"exported {count} {record_type} to {file}")
