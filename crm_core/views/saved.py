"""Saved views of the customer list: filters, sort and columns kept under a name.

A view belongs to the user who saved it; a shared view is offered to every
user who may read customers (sharing needs ``view.share``). Filters use the
list's own syntax and are checked against it when saved; the records a view
shows are still limited by the reader's scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import Connection, or_, select

from ..customers import InvalidInput, NotFound, VersionConflict
from ..linked import load_input
from ..listing import RESERVED, customer_list_spec, parse_list_args
from ..security import Actor, PermissionDenied
from ..storage.types import utcnow
from .tables import view

if TYPE_CHECKING:
    from ..host import Host

RECORD_TYPE = "customer"
#: Columns the customer list can show besides the list fields.
EXTRA_COLUMNS = ("tags",)


class ViewInputSchema(Schema):
    """What a caller may send to save or change a view."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    shared = fields.Boolean()
    filters = fields.Dict(
        keys=fields.String(validate=validate.Length(max=200)),
        values=fields.String(validate=validate.Length(max=2000)),
        metadata={
            "description": "list parameters, e.g. {'tenure__lt': '12', 'q': 'x'}"
        },
    )
    sort = fields.String(allow_none=True, validate=validate.Length(max=300))
    columns = fields.List(
        fields.String(validate=validate.Length(max=200)),
        validate=validate.Length(max=40),
    )


class SavedViews:
    """The saved views of one host."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def list(self, connection: Connection, actor: Actor) -> list[dict[str, Any]]:
        """The actor's own views and the shared ones, by name."""
        actor.require("customer.read")
        query = (
            select(view)
            .where(
                view.c.record_type == RECORD_TYPE,
                or_(view.c.owner_id == actor.id, view.c.shared.is_(True)),
            )
            .order_by(view.c.name, view.c.id)
        )
        return [dict(row) for row in connection.execute(query).mappings()]

    def get(self, connection: Connection, actor: Actor, view_id: int) -> dict[str, Any]:
        actor.require("customer.read")
        row = (
            connection.execute(select(view).where(view.c.id == view_id))
            .mappings()
            .first()
        )
        if row is None or not (row["shared"] or row["owner_id"] == actor.id):
            raise NotFound(f"view {view_id} not found")
        return dict(row)

    def create(
        self, connection: Connection, actor: Actor, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Save a view for the actor."""
        actor.require("customer.read")
        values = self._checked(connection, actor, load_input(ViewInputSchema(), data))
        values.setdefault("filters", {})
        values.setdefault("columns", [])
        self._unique(connection, actor.id, values["name"], None)
        now = utcnow()
        result = connection.execute(
            view.insert().values(
                record_type=RECORD_TYPE,
                owner_id=actor.id,
                created_at=now,
                updated_at=now,
                **values,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return self.get(connection, actor, int(key[0]))

    def update(
        self,
        connection: Connection,
        actor: Actor,
        view_id: int,
        data: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change a view; only its owner (or a holder of ``view.manage``) may."""
        before = self._changeable(connection, actor, view_id)
        if expected_version is not None and before["version"] != expected_version:
            raise VersionConflict(before)
        loaded = load_input(ViewInputSchema(), data, partial=True)
        values = self._checked(connection, actor, loaded)
        if "name" in values:
            self._unique(connection, before["owner_id"], values["name"], view_id)
        connection.execute(
            view.update()
            .where(view.c.id == view_id)
            .values(**values, version=before["version"] + 1, updated_at=utcnow())
        )
        return self.get(connection, actor, view_id)

    def delete(self, connection: Connection, actor: Actor, view_id: int) -> None:
        self._changeable(connection, actor, view_id)
        connection.execute(view.delete().where(view.c.id == view_id))

    def _changeable(
        self, connection: Connection, actor: Actor, view_id: int
    ) -> dict[str, Any]:
        found = self.get(connection, actor, view_id)
        if found["owner_id"] != actor.id and not actor.can("view.manage"):
            raise PermissionDenied(
                f"view {view_id} belongs to another user; only they may change it"
            )
        return found

    def _checked(
        self, connection: Connection, actor: Actor, values: dict[str, Any]
    ) -> dict[str, Any]:
        """``values`` with filters, sort and columns checked against the list."""
        if values.get("shared") and not actor.can("view.share"):
            raise PermissionDenied("sharing a view needs the permission 'view.share'")
        spec = customer_list_spec(self.host, connection)
        args = {k: v for k, v in values.get("filters", {}).items()}
        errors: dict[str, list[str]] = {}
        for key in RESERVED:
            if key in args and key != "q":
                errors[f"filters.{key}"] = [f"{key!r} is not a filter"]
        if values.get("sort"):
            args["sort"] = values["sort"]
        try:
            limits = self.host.config
            parse_list_args(
                args,
                spec,
                page_max=limits.page_size_max,
                page_default=limits.page_size_default,
            )
        except InvalidInput as error:
            for key, messages in error.errors.items():
                name = "sort" if key == "sort" else f"filters.{key}"
                errors[name] = list(messages)
        known = {*spec.fields, *EXTRA_COLUMNS}
        for index, name in enumerate(values.get("columns", [])):
            if name not in known:
                errors[f"columns.{index}"] = [
                    f"no column {name!r} on the customer list"
                ]
        if errors:
            raise InvalidInput(errors)
        return values

    def _unique(
        self, connection: Connection, owner: int | None, name: str, view_id: int | None
    ) -> None:
        query = select(view.c.id).where(
            view.c.owner_id == owner,
            view.c.record_type == RECORD_TYPE,
            view.c.name == name,
        )
        if view_id is not None:
            query = query.where(view.c.id != view_id)
        if connection.execute(query).first() is not None:
            raise InvalidInput({"name": [f"you already have a view named {name!r}"]})


def list_arguments(found: Mapping[str, Any]) -> dict[str, str]:
    """The customer list's query parameters for a saved view."""
    args = dict(found["filters"])
    if found.get("sort"):
        args["sort"] = found["sort"]
    return args


def query_string(found: Mapping[str, Any]) -> str:
    return urlencode(list_arguments(found))
