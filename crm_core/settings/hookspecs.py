"""Hook specifications of the settings service (re-exported by crm_core.hookspecs)."""

from __future__ import annotations

from typing import Any

from ..contract import collect

__all__ = ["crm_settings"]


@collect
def crm_settings() -> Any:
    """Settings this plugin declares, edited by administrators.

    Kind: collect. Return :class:`~crm_core.settings.SettingSpec` objects
    keyed ``<plugin>.<name>``; read them with
    ``settings_service(host).get(key)``. Values are typed and checked on
    every write, and secrets are never shown again once stored. Two plugins
    declaring the same key stop the host at start-up.

    .. versionadded:: 1.1
    """
