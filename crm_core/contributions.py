"""The things plugins contribute through collect hooks.

Each is a small frozen attrs class, so a mistake in a plugin's declaration
fails where the plugin builds it, with the field named.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

_name = attrs.validators.matches_re(r"[a-z][a-z0-9_.\-]*")


@attrs.frozen
class MigrationSource:
    """A folder of Alembic revisions owned by one plugin.

    The plugin's revisions are tracked in its own version table,
    ``<owner>_alembic_version``.
    """

    owner: str = attrs.field(validator=_name)
    path: Path = attrs.field(converter=Path)

    @property
    def version_table(self) -> str:
        return f"{self.owner}_alembic_version"


@attrs.frozen
class Permission:
    """An action on an object type that roles can be granted.

    ``name`` is ``<object>.<action>`` (``customer.read``). ``defaults`` maps
    built-in role names to the scope they get (``own``, ``team`` or ``all``).
    """

    name: str = attrs.field(validator=attrs.validators.matches_re(r"[a-z_]+\.[a-z_]+"))
    description: str
    defaults: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class NavItem:
    """An entry in the page navigation."""

    label: str
    endpoint: str
    permission: str | None = None
    order: int = 100


@attrs.frozen
class CustomerPanel:
    """A panel on the customer page.

    ``render(customer, actor)`` gets the customer as a mapping and the acting
    :class:`~crm_core.security.Actor`, and returns HTML (already escaped) or
    ``None`` to show nothing for this customer.
    """

    title: str
    render: Callable[[Mapping[str, Any], Any], str | None]
    permission: str | None = None
    order: int = 100


def _strings(values: Any) -> tuple[str, ...]:
    return tuple(str(value) for value in values)


class FieldType(enum.Enum):
    """The types a custom field can have."""

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    CHOICE = "choice"


@attrs.frozen
class FieldSpec:
    """A custom field on a record type, stored without a schema migration."""

    name: str = attrs.field(validator=attrs.validators.matches_re(r"[A-Za-z_][\w.\-]*"))
    type: FieldType = attrs.field(converter=FieldType)
    label: str = ""
    record_type: str = "customer"
    choices: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    required: bool = False
    sensitive: bool = False

    def __attrs_post_init__(self) -> None:
        if self.type is FieldType.CHOICE and not self.choices:
            raise ValueError(f"choice field {self.name!r} needs at least one choice")


@attrs.frozen
class Subscription:
    """A handler for events of one name; ``name`` identifies the handler."""

    event: str
    handler: Callable[[Any], None]
    name: str


@attrs.frozen
class JobSpec:
    """A named job that can be run now, later or on a schedule."""

    name: str
    run: Callable[..., Any]
    max_attempts: int = 5


@attrs.frozen
class ScheduleSpec:
    """Run the job ``job`` every ``every`` seconds (missed runs caught up once)."""

    name: str
    job: str
    every: int
    args: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class DataSource:
    """A named SQL query the analytics layer can read as a data frame."""

    name: str
    description: str
    query: Callable[[], Any]  # returns a SQLAlchemy selectable
    columns: Mapping[str, str] = attrs.field(factory=dict)


class OnDelete(enum.Enum):
    """What happens to rows that point at a deleted record."""

    BLOCK = "block"
    CASCADE = "cascade"
    DETACH = "detach"


@attrs.frozen
class RelationPolicy:
    """How a column pointing at a customer behaves on delete and on merge.

    On delete: ``block`` refuses while live rows point at the record,
    ``cascade`` soft-deletes them with it (and restores them with it),
    ``detach`` clears the link. On merge every such column is moved to the
    surviving record.
    """

    table: str
    column: str
    on_delete: OnDelete = attrs.field(converter=OnDelete)
    label: str = ""
