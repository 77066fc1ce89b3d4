"""Reading and changing settings: typed values, defaults, checks and the audit log.

Values are read from the database on every call, so a change made in one
process (the settings page) is seen at once by every other (workers). A
secret's value leaves this module only through :meth:`SettingsService.get`;
listings and the audit log say whether it is set, never what it is.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select, update

from .. import audit
from ..customers import InvalidInput
from ..security import Actor
from ..storage.types import dumps, utcnow
from .specs import InvalidSetting, SettingSpec, SettingType
from .tables import setting_value

if TYPE_CHECKING:
    from ..host import Host

log = logging.getLogger("crm_core.settings")

WRITE_PERMISSION = "admin.settings"
READ_PERMISSION = "settings.read"
RECORD_TYPE = "setting"


class UnknownSetting(KeyError):
    """No plugin declares the key; the message suggests close ones."""

    def __str__(self) -> str:
        return str(self.args[0])


class SettingsService:
    """The declared settings of one host and their stored values."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.specs: dict[str, SettingSpec] = {}
        self.owners: dict[str, str] = {}
        self._load_specs()

    def _load_specs(self) -> None:
        from ..host import Host, HostError

        found = Host.unique(
            self.host.plugins.collect("crm_settings"), lambda s: s.key, "setting"
        )
        for contribution in found:
            spec, plugin = contribution.value, contribution.plugin
            if not isinstance(spec, SettingSpec):
                raise HostError(
                    f"plugin {plugin!r} returned {spec!r} from crm_settings; "
                    "return SettingSpec objects"
                )
            if plugin != "core" and not spec.key.startswith(f"{plugin}."):
                raise HostError(
                    f"plugin {plugin!r} declares setting {spec.key!r}; its "
                    f"settings must start with {plugin + '.'!r}"
                )
            self.specs[spec.key] = spec
            self.owners[spec.key] = plugin

    # -- reading ---------------------------------------------------------

    def spec(self, key: str) -> SettingSpec:
        """The declaration of ``key``; :class:`UnknownSetting` if none."""
        try:
            return self.specs[key]
        except KeyError:
            close = difflib.get_close_matches(key, list(self.specs), n=3)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise UnknownSetting(
                f"no plugin declares a setting {key!r}{hint} (plugins declare "
                "settings through the crm_settings hook)"
            ) from None

    def get(self, key: str, connection: Connection | None = None) -> Any:
        """The value of ``key``: the stored one, else the declared default."""
        spec = self.spec(key)
        if connection is None:
            with self.host.db.connect() as own:
                return self.get(key, own)
        stored = connection.execute(
            select(setting_value.c.value).where(setting_value.c.key == key)
        ).first()
        return spec.effective_default if stored is None else spec.load(stored[0])

    def stored(self, connection: Connection) -> dict[str, Any]:
        """Typed stored values of declared keys (undeclared rows are ignored)."""
        rows = connection.execute(select(setting_value.c.key, setting_value.c.value))
        return {
            key: self.specs[key].load(value) for key, value in rows if key in self.specs
        }

    def describe(self, connection: Connection) -> list[dict[str, Any]]:
        """Every setting as the API and the page show it; secrets masked."""
        stored = self.stored(connection)
        return [
            self._describe(key, stored)
            for key in sorted(self.specs, key=lambda k: (self.owners[k], k))
        ]

    def describe_one(self, connection: Connection, key: str) -> dict[str, Any]:
        self.spec(key)
        return self._describe(key, self.stored(connection))

    def _describe(self, key: str, stored: Mapping[str, Any]) -> dict[str, Any]:
        spec = self.specs[key]
        is_set = key in stored
        value = stored[key] if is_set else spec.effective_default
        return {
            "key": key,
            "plugin": self.owners[key],
            "type": spec.type.value,
            "label": spec.title,
            "help": spec.help,
            "choices": list(spec.choices),
            "minimum": _number(spec.minimum),
            "maximum": _number(spec.maximum),
            "default": spec.public(spec.effective_default),
            "value": spec.public(value),
            "is_default": not is_set,
            "is_set": value is not None and value != [],
        }

    def fingerprint(self, connection: Connection, keys: list[str] | None = None) -> str:
        """A tag that changes whenever a stored value of ``keys`` (or any) changes."""
        query = select(
            setting_value.c.key, setting_value.c.value, setting_value.c.updated_at
        ).order_by(setting_value.c.key)
        if keys is not None:
            query = query.where(setting_value.c.key.in_(keys))
        rows = [[k, v, t.isoformat()] for k, v, t in connection.execute(query)]
        return hashlib.sha256(dumps(rows).encode()).hexdigest()[:20]

    # -- writing ---------------------------------------------------------

    def update(
        self,
        connection: Connection,
        actor: Actor,
        values: Mapping[str, Any],
        *,
        from_form: bool = False,
    ) -> list[str]:
        """Check and store several values at once; returns the keys that changed.

        Nothing is stored unless every value is acceptable; the
        :class:`~crm_core.customers.InvalidInput` raised names each bad key.
        ``from_form`` reads the values as form text.
        """
        actor.require(WRITE_PERMISSION)
        typed = self._check_all(values, from_form)
        stored = self.stored(connection)
        changed = []
        for key, value in typed.items():
            before = stored.get(key, self.specs[key].effective_default)
            if before == value:
                continue
            self._write(connection, key, value, exists=key in stored, actor=actor)
            self._audit(connection, actor, key, before, value, "update")
            changed.append(key)
        return changed

    def _check_all(self, values: Mapping[str, Any], from_form: bool) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        typed: dict[str, Any] = {}
        for key, raw in values.items():
            try:
                spec = self.spec(key)
                typed[key] = spec.parse(raw) if from_form else spec.coerce(raw)
            except UnknownSetting as error:
                errors[key] = [str(error)]
            except InvalidSetting as error:
                errors[key] = [error.reason]
        if errors:
            raise InvalidInput(errors)
        return typed

    def set(self, connection: Connection, actor: Actor, key: str, value: Any) -> bool:
        """Store one value; ``True`` when it changed."""
        return bool(self.update(connection, actor, {key: value}))

    def reset(self, connection: Connection, actor: Actor, key: str) -> bool:
        """Remove the stored value so the default applies; ``True`` if one was."""
        actor.require(WRITE_PERMISSION)
        spec = self.spec(key)
        stored = self.stored(connection)
        if key not in stored:
            return False
        connection.execute(delete(setting_value).where(setting_value.c.key == key))
        self._audit(
            connection, actor, key, stored[key], spec.effective_default, "reset"
        )
        return True

    def _write(
        self,
        connection: Connection,
        key: str,
        value: Any,
        *,
        exists: bool,
        actor: Actor,
    ) -> None:
        row = {
            "value": self.specs[key].dump(value),
            "updated_at": utcnow(),
            "updated_by": actor.id,
        }
        if exists:
            connection.execute(
                update(setting_value).where(setting_value.c.key == key).values(**row)
            )
        else:
            connection.execute(insert(setting_value).values(key=key, **row))

    def _audit(
        self,
        connection: Connection,
        actor: Actor,
        key: str,
        before: Any,
        after: Any,
        action: str,
    ) -> None:
        spec = self.specs[key]
        if spec.type is SettingType.SECRET:
            change = [_secret_state(before), _secret_state(after, replaced=before)]
        else:
            change = [spec.dump(before), spec.dump(after)]
        audit.record(connection, actor, RECORD_TYPE, key, action, {"value": change})
        log.info("setting %s changed by %s", key, actor.label)


def _number(value: int | Decimal | None) -> int | str | None:
    return str(value) if isinstance(value, Decimal) else value


def _secret_state(value: Any, replaced: Any = None) -> str:
    """How the audit log shows a secret: whether it is set, never its value."""
    if value is None:
        return "(not set)"
    return "(replaced)" if replaced is not None else "(set)"
