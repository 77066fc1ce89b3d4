"""How the i18n service plugs into the core: functions named after the hooks they answer."""

from __future__ import annotations

from typing import Any


def crm_page_blueprints() -> list[Any]:
    from .web import i18n_pages

    return [i18n_pages]


def crm_cli_commands() -> list[Any]:
    from .extraction import translations_command

    return [translations_command]
