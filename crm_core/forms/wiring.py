"""How the forms service plugs into the core: functions named after the hooks they answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..contributions import MigrationSource, NavItem, Permission


def crm_migrations() -> MigrationSource:
    return MigrationSource("core_forms", Path(__file__).parent / "migrations")


def crm_tables() -> list[Any]:
    from .tables import TABLES

    return list(TABLES)


def crm_permissions() -> list[Permission]:
    return [
        Permission(
            "admin.forms", "Make web forms and copy them to websites", {"admin": "all"}
        )
    ]


def crm_settings() -> list[Any]:
    from ..settings import SettingSpec

    return [
        SettingSpec(
            "forms.rate_limit",
            "integer",
            default=10,
            label="Form submissions per client address",
            help="More submissions from one address within the window are refused.",
            minimum=1,
            maximum=10_000,
        ),
        SettingSpec(
            "forms.rate_window_minutes",
            "integer",
            default=10,
            label="Window of the submission limit (minutes)",
            minimum=1,
            maximum=24 * 60,
        ),
    ]


def crm_api_blueprints() -> list[Any]:
    from .api import make_blueprint

    return [make_blueprint()]


def crm_page_blueprints() -> list[Any]:
    from . import admin_views, public_views  # noqa: F401 - routes
    from .pages import forms_pages, forms_public

    return [forms_pages, forms_public]


def crm_navigation() -> list[NavItem]:
    return [NavItem("Forms", "forms_pages.forms", "admin.forms", order=80)]


def crm_demo_data(demo: Any) -> None:
    """A contact form for the demo's website, with a newsletter box."""
    from . import registry

    contact = {
        "name": "contact",
        "title": "Contact us",
        "intro": "Tell us what you need; we answer within a working day.",
        "fields": [
            {"name": "name", "required": True},
            {"name": "email", "required": True},
            {"name": "phone"},
            {"name": "city"},
        ],
        "consent_purpose": "email_marketing",
        "constants": {"lifecycle_stage": "lead", "tags": "website"},
    }
    with demo.host.db.transaction() as connection:
        registry.save(demo.host, connection, demo.actor, contact)
