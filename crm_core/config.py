"""Configuration: defaults, a mapping passed by the caller, then the environment.

Every setting has one name; the environment variable is that name upper-cased
with the ``CRM_`` prefix (``database_url`` -> ``CRM_DATABASE_URL``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

DEFAULT_DATA_DIR = Path("crm-data")


def _split_list(
    value: str | list[str] | tuple[str, ...] | None,
) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return tuple(item.strip() for item in value.split(",") if item.strip())
    return tuple(value)


@attrs.frozen
class Config:
    """Settings of one Strata installation.

    ``plugins`` is the enable list: ``None`` enables every installed plugin,
    an empty tuple enables none but the core.
    """

    database_url: str = f"sqlite:///{DEFAULT_DATA_DIR / 'crm.sqlite3'}"
    secret_key: str = ""
    plugins: tuple[str, ...] | None = None
    strict_plugins: bool = False
    trace_hooks: bool = False
    data_dir: Path = DEFAULT_DATA_DIR
    page_size_default: int = 50
    page_size_max: int = 200
    default_region: str = "US"
    worker_inline: bool = False
    session_cookie_secure: bool = False
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def load(cls, overrides: Mapping[str, Any] | None = None) -> Config:
        """Build a configuration from defaults, ``overrides`` and ``CRM_*`` variables.

        The environment wins over ``overrides`` so an operator can always change a
        deployed installation without editing code.
        """
        values: dict[str, Any] = dict(overrides or {})
        env = os.environ
        for field in attrs.fields(cls):
            key = f"CRM_{field.name.upper()}"
            if key in env and field.name != "extra":
                values[field.name] = env[key]
        if "plugins" in values:
            values["plugins"] = _split_list(values["plugins"])
        for flag in (
            "strict_plugins",
            "trace_hooks",
            "worker_inline",
            "session_cookie_secure",
        ):
            if isinstance(values.get(flag), str):
                values[flag] = values[flag].strip().lower() in {
                    "1",
                    "true",
                    "yes",
                    "on",
                }
        for number in ("page_size_default", "page_size_max"):
            if number in values:
                values[number] = int(values[number])
        if "data_dir" in values:
            values["data_dir"] = Path(values["data_dir"])
        known = {f.name for f in attrs.fields(cls)}
        extra = {k: v for k, v in values.items() if k not in known}
        clean = {k: v for k, v in values.items() if k in known}
        clean.setdefault("extra", extra)
        return cls(**clean)
