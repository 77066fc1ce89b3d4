"""How search plugs into the core: functions named after the hooks they answer."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import click

from ..contributions import MigrationSource, NavItem, Subscription
from ..events import EventRecord
from ..segments.hostref import HostGone, HostRef
from .sources import customer_source
from .tables import TABLES


def crm_migrations() -> MigrationSource:
    return MigrationSource("core_search", Path(__file__).parent / "migrations")


def crm_tables() -> list[Any]:
    return list(TABLES)


def crm_api_blueprints() -> list[Any]:
    from .api import make_blueprint

    return [make_blueprint()]


def crm_page_blueprints() -> list[Any]:
    from .pages import pages

    return [pages]


def crm_navigation() -> list[NavItem]:
    return [NavItem("Search", "search_pages.search", "customer.read", order=20)]


def crm_event_subscriptions() -> list[Subscription]:
    """Follow the events of every search source, to keep the index current."""
    ref = HostRef.of_caller()
    followed: dict[str, list[str]] = {"customer": list(customer_source(()).events)}
    try:
        host = ref()
    except HostGone:
        host = None
    if host is not None:
        for item in host.plugins.collect("crm_search_sources"):
            followed.setdefault(item.value.record_type, list(item.value.events))
    return [
        Subscription(
            event,
            functools.partial(follow, ref, record_type),
            f"search.{record_type}.{event}",
        )
        for record_type, events in followed.items()
        for event in events
    ]


def follow(ref: HostRef, record_type: str, record: EventRecord) -> None:
    """Reindex what an event changed."""
    from . import search_index

    search_index(ref()).follow(record_type, record)


@click.group("search")
def search_command() -> None:
    """The full-text search index."""


@search_command.command("reindex")
@click.option("--type", "record_type", help="Only this record type (e.g. customer).")
def reindex(record_type: str | None) -> None:
    """Index every searchable record again (after an upgrade or a restore)."""
    from ..cli import load_host, migrated
    from . import search_index

    with migrated(load_host()) as host:
        counts = search_index(host).rebuild(record_type)
    for name, count in counts.items():
        click.echo(f"{name}: {count} entries")


def crm_cli_commands() -> list[Any]:
    return [search_command]
