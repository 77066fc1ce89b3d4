"""How the mail service plugs into the core: functions named after hooks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import Blueprint
from flask_smorest import Blueprint as ApiBlueprint
from sqlalchemy import Table

from ..contributions import (
    JobSpec,
    MigrationSource,
    NavItem,
    OnDelete,
    Permission,
    RelationPolicy,
)
from . import delivery, tables


def crm_migrations() -> MigrationSource:
    return MigrationSource("core_mail", Path(__file__).parent / "migrations")


def crm_tables() -> list[Table]:
    return list(tables.TABLES)


def crm_permissions() -> list[Permission]:
    return [
        Permission(
            "mail.send",
            "Send e-mail to customers",
            {"admin": "all", "manager": "team", "agent": "team"},
        ),
        Permission(
            "mail.templates",
            "Write and change e-mail templates",
            {"admin": "all", "manager": "all"},
        ),
        Permission(
            "mail.read",
            "See the mail sent to and received from customers",
            {"admin": "all", "manager": "team", "agent": "team", "viewer": "all"},
        ),
    ]


def crm_api_blueprints() -> list[ApiBlueprint]:
    from .api import make_blueprint

    return [make_blueprint()]


def crm_page_blueprints() -> list[Blueprint]:
    from .pages import pages

    return [pages]


def crm_navigation() -> list[NavItem]:
    return [NavItem("Mail", "mail_pages.messages", "mail.read", order=60)]


def crm_jobs() -> list[JobSpec]:
    return [
        JobSpec(
            delivery.DELIVER_JOB,
            _deliver_unbound,
            max_attempts=delivery.MAX_ATTEMPTS,
        )
    ]


def crm_relation_policies() -> list[RelationPolicy]:
    return [
        RelationPolicy(
            tables.message.name, "customer_id", OnDelete.DETACH, "mail messages"
        ),
        RelationPolicy(
            tables.inbound.name, "customer_id", OnDelete.DETACH, "received mail"
        ),
    ]


def crm_cli_commands() -> list[click.Command]:
    from .commands import mail

    return [mail]


def crm_demo_data(demo: Any) -> None:
    from .demo import demo_templates

    demo_templates(demo)


def _deliver_unbound(mail_id: int) -> None:
    """Deliver through the host of the running ``crm`` command.

    :class:`~crm_core.mail.MailService` replaces this job with one bound to
    its host as soon as it is made; this one serves a worker process that
    has not used mail yet.
    """
    from . import mail_service

    context = click.get_current_context(silent=True)
    host = context.find_root().meta.get("crm.host") if context else None
    if host is None:
        raise RuntimeError(
            "the mail service is not started in this process; call "
            "crm_core.mail.mail_service(host) before running the worker"
        )
    mail_service(host).deliver(mail_id)
