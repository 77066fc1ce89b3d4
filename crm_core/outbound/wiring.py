"""How the outbound service plugs into the core: one function per hook."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..contributions import JobSpec, MigrationSource, Permission
from ..settings.specs import SettingSpec

if TYPE_CHECKING:
    from ..host import Host

DELIVER_JOB = "core.outbound.deliver"


def crm_migrations() -> MigrationSource:
    return MigrationSource("core_outbound", Path(__file__).parent / "migrations")


def crm_tables() -> list[Any]:
    from .tables import metadata

    return list(metadata.sorted_tables)


def crm_permissions() -> list[Permission]:
    return [
        Permission(
            "admin.outbound",
            "See the log of calls made to other systems",
            {"admin": "all"},
        )
    ]


def crm_settings() -> list[SettingSpec]:
    return [
        SettingSpec(
            "outbound.allowed_hosts",
            "hosts",
            label="Internal hosts that may be called",
            help="Calls to loopback, private and link-local addresses are "
            "refused unless the host name or its network is listed here "
            "(an intranet service, a test server). Cloud metadata addresses "
            "are always refused.",
        ),
        SettingSpec(
            "outbound.signing_secret",
            "secret",
            label="Signing secret",
            help="Key of the X-Strata-Signature header on every outbound "
            "request. Made on first use when not set.",
        ),
        SettingSpec(
            "outbound.timeout_seconds",
            "integer",
            default=10,
            label="Timeout of one call (seconds)",
            minimum=1,
            maximum=120,
        ),
        SettingSpec(
            "outbound.max_attempts",
            "integer",
            default=6,
            label="Attempts of a queued call",
            help="Pauses between attempts grow from 30 seconds to 6 hours.",
            minimum=1,
            maximum=20,
        ),
    ]


def crm_jobs() -> list[JobSpec]:
    return [JobSpec(DELIVER_JOB, _not_bound, max_attempts=3)]


def _not_bound(**_args: Any) -> None:
    raise RuntimeError(
        "the outbound sender is not bound to this host; call "
        "crm_core.outbound.wiring.crm_host_started(host) once the host is made"
    )


def crm_host_started(host: Host) -> None:
    """Bind the retry job to ``host`` (workers call this when they start)."""
    from . import outbound_sender

    outbound_sender(host)


def crm_api_blueprints() -> list[Any]:
    from .api import make_blueprint

    return [make_blueprint()]
