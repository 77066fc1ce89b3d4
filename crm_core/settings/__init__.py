"""Settings: what plugins declare through ``crm_settings``, edited by administrators.

Read a value with ``settings_service(host).get("plugin.name")``; the
declared default applies until an administrator stores another value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .specs import InvalidSetting, SettingSpec, SettingType

if TYPE_CHECKING:
    from ..host import Host
    from .service import SettingsService

__all__ = [
    "InvalidSetting",
    "SettingSpec",
    "SettingType",
    "settings_service",
]


def settings_service(host: Host) -> SettingsService:
    """The settings service of ``host``, made on first use.

    Making it checks the declarations: two plugins declaring one key, or a
    plugin declaring a key outside its own prefix, raise
    :class:`~crm_core.host.HostError`.
    """
    found = host.extensions.get("settings")
    if found is None:
        from .service import SettingsService

        found = host.extensions["settings"] = SettingsService(host)
    return found
