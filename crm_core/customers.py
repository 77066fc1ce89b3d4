"""Creating, changing, deleting and restoring customers, with scope, audit and events.

Every page, API route and plugin goes through these functions, so the checks
(allowed fields, owner assignment, optimistic locking, relation policies) are
made in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import Connection, bindparam, func, or_, select

from . import audit
from .contactpoints import ContactPointError, normalise_email, normalise_phone
from .contract import Problem
from .entities import (
    CHANNELS,
    CONSENT_PURPOSES,
    LIFECYCLE_STAGES,
    Customer,
    CustomerKind,
    Scope,
    display_name,
)
from .events import Event, event_type
from .fields import marshmallow_field, to_stored
from .security import Actor, PermissionDenied, in_scope, scope_clause
from .storage import schema
from .storage.database import new_id
from .storage.types import utcnow

if TYPE_CHECKING:
    from .host import Host

c = schema.customer


class InvalidInput(ValueError):
    """Input refused; ``errors`` maps each field (dotted path) to its messages."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        self.errors = dict(errors)
        first = next(iter(self.errors.items()), ("input", ["invalid"]))
        super().__init__(f"{first[0]}: {first[1]}")


class NotFound(LookupError):
    """No such record, or not one the acting user may see."""


class VersionConflict(RuntimeError):
    """The record changed since the caller read it; ``current`` is the new state."""

    def __init__(self, current: dict[str, Any]) -> None:
        self.current = current
        super().__init__(f"record changed: it is now at version {current['version']}")


class Blocked(RuntimeError):
    """A delete refused by a relation policy or a plugin's veto."""


@event_type("customer.created")
class CustomerCreated(Event):
    customer_id: int


@event_type("customer.updated")
class CustomerUpdated(Event):
    customer_id: int
    fields: list[str]


@event_type("customer.deleted")
class CustomerDeleted(Event):
    customer_id: int


@event_type("customer.restored")
class CustomerRestored(Event):
    customer_id: int


@attrs.frozen
class CustomerChange:
    """One customer about to be created (``before`` is None) or updated."""

    after: Mapping[str, Any]
    before: Mapping[str, Any] | None = None
    row: int | None = None


class AddressSchema(Schema):
    class Meta:
        unknown = RAISE

    street = fields.String(allow_none=True, validate=validate.Length(max=300))
    city = fields.String(allow_none=True, validate=validate.Length(max=200))
    region = fields.String(allow_none=True, validate=validate.Length(max=200))
    postcode = fields.String(allow_none=True, validate=validate.Length(max=20))
    country = fields.String(allow_none=True, validate=validate.Length(max=100))
    label = fields.String(allow_none=True, validate=validate.Length(max=50))


class PreferencesSchema(Schema):
    class Meta:
        unknown = RAISE

    language = fields.String(allow_none=True, validate=validate.Length(max=16))
    channel = fields.String(allow_none=True, validate=validate.OneOf(CHANNELS))


class ConsentInputSchema(Schema):
    class Meta:
        unknown = RAISE

    purpose = fields.String(required=True, validate=validate.OneOf(CONSENT_PURPOSES))
    granted = fields.Boolean(required=True)
    source = fields.String(required=True, validate=validate.Length(min=1, max=200))


class CustomerInputSchema(Schema):
    """What a caller may send; system fields are not in it, so they are refused."""

    class Meta:
        unknown = RAISE

    kind = fields.String(validate=validate.OneOf([k.value for k in CustomerKind]))
    name = fields.String(allow_none=True, validate=validate.Length(max=300))
    emails = fields.List(fields.String(validate=validate.Length(max=320)))
    phones = fields.List(fields.String(validate=validate.Length(max=40)))
    addresses = fields.List(fields.Nested(AddressSchema))
    external_id = fields.String(allow_none=True, validate=validate.Length(max=200))
    owner = fields.String(
        allow_none=True,
        metadata={"description": "e-mail or name of the owning user"},
    )
    lifecycle_stage = fields.String(validate=validate.OneOf(LIFECYCLE_STAGES))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=80)))
    preferences = fields.Nested(PreferencesSchema)
    consents = fields.List(fields.Nested(ConsentInputSchema), load_only=True)
    parent_id = fields.Integer(
        allow_none=True, strict=True, validate=validate.Range(min=1, max=2**63 - 1)
    )
    attributes = fields.Dict(keys=fields.String())


def attribute_schema(specs: Mapping[str, Any]) -> Schema:
    """A schema for the custom-field values of one record type."""
    declared = {name: marshmallow_field(spec) for name, spec in specs.items()}
    return Schema.from_dict(declared, name="Attributes")(unknown=RAISE)


# Built once; a read is the commonest request and building costs more than it.
_BY_ID = select(c).where(c.c.id == bindparam("customer_id"))
_LIVE_BY_ID = _BY_ID.where(c.c.deleted_at.is_(None))


class CustomerService:
    """Customer operations for one host."""

    def __init__(self, host: Host) -> None:
        self.host = host

    # -- reading ---------------------------------------------------------

    def get(
        self,
        connection: Connection,
        actor: Actor,
        customer_id: int,
        *,
        include_deleted: bool = False,
    ) -> dict[str, Any]:
        """One customer the actor may read, as a public mapping."""
        query = _LIVE_BY_ID if not include_deleted else _BY_ID
        if actor.scope("customer.read") is not Scope.ALL:
            query = query.where(scope_clause(actor, "customer.read", c))
        row = connection.execute(query, {"customer_id": customer_id}).mappings().first()
        if row is None:
            raise NotFound(f"customer {customer_id} not found")
        return self.public(connection, actor, row)

    def public(
        self, connection: Connection, actor: Actor, row: Mapping[Any, Any]
    ) -> dict[str, Any]:
        """The fields of a stored row that ``actor`` may see."""
        data = {key: row[key] for key in PUBLIC_COLUMNS}
        specs = self.host.fields.for_type(connection, "customer")
        hidden = {n for n, s in specs.items() if s.sensitive}
        if hidden and not actor.can("customer.read_sensitive"):
            data["attributes"] = {
                k: v for k, v in row["attributes"].items() if k not in hidden
            }
        return data

    # -- writing ---------------------------------------------------------

    def create(
        self, connection: Connection, actor: Actor, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Validate and store a new customer; returns it as :meth:`get` would."""
        actor.require("customer.create")
        values = self._load(connection, actor, data, partial=False)
        values.setdefault("kind", CustomerKind.PERSON.value)
        consents = values.pop("consents", [])
        if values.get("owner_id") is None:
            values["owner_id"] = self._default_owner(values, actor)
        values["team_id"] = self._team_of(connection, values["owner_id"])
        self._check_entity(values)
        self._check_references(connection, actor, values, None)
        self._veto([CustomerChange(after=values)])
        now = utcnow()
        row = {
            **_defaults(),
            **values,
            "display_name": _display(values),
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        customer_id = new_id(connection.execute(c.insert().values(**row)))
        self._add_consents(connection, customer_id, consents)
        audit.record(
            connection,
            actor,
            "customer",
            customer_id,
            "create",
            audit.diff({}, _auditable(row)),
        )
        self.host.events.publish(connection, CustomerCreated(customer_id=customer_id))
        return self.get(connection, actor, customer_id)

    def update(
        self,
        connection: Connection,
        actor: Actor,
        customer_id: int,
        data: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Apply a partial change; refuses a stale ``expected_version``."""
        actor.require("customer.update")
        before = self._locked_row(connection, actor, customer_id, "customer.update")
        if expected_version is not None and before["version"] != expected_version:
            raise VersionConflict(self.public(connection, actor, before))
        values = self._load(connection, actor, data, partial=True)
        consents = values.pop("consents", [])
        if "attributes" in values:
            values["attributes"] = {**before["attributes"], **values["attributes"]}
        if "owner_id" in values:
            values["team_id"] = self._team_of(connection, values["owner_id"])
        merged = {**dict(before), **values}
        merged["display_name"] = _display(merged)
        self._check_entity(merged)
        self._check_references(connection, actor, values, customer_id)
        self._veto([CustomerChange(after=merged, before=before)])
        changes = audit.diff(_auditable(before), _auditable(merged))
        if changes or consents:
            connection.execute(
                c.update()
                .where(c.c.id == customer_id)
                .values(
                    **{k: merged[k] for k in values},
                    display_name=merged["display_name"],
                    version=before["version"] + 1,
                    updated_at=utcnow(),
                )
            )
            self._add_consents(connection, customer_id, consents)
            audit.record(connection, actor, "customer", customer_id, "update", changes)
            self.host.events.publish(
                connection,
                CustomerUpdated(customer_id=customer_id, fields=sorted(changes)),
            )
        return self.get(connection, actor, customer_id)

    def delete(
        self,
        connection: Connection,
        actor: Actor,
        customer_id: int,
        expected_version: int | None = None,
    ) -> None:
        """Soft-delete a customer, applying every relation policy."""
        actor.require("customer.delete")
        before = self._locked_row(connection, actor, customer_id, "customer.delete")
        if expected_version is not None and before["version"] != expected_version:
            raise VersionConflict(self.public(connection, actor, before))
        problems = self.host.plugins.veto(
            "crm_before_delete", record_type="customer", ids=[customer_id]
        )
        if problems:
            raise Blocked("; ".join(f"{p.plugin}: {p.value.message}" for p in problems))
        now = utcnow()
        mark = f"customer:{customer_id}:{now.isoformat()}"
        self.host.relations.apply_delete(connection, "customer", [customer_id], mark)
        connection.execute(
            c.update()
            .where(c.c.id == customer_id)
            .values(deleted_at=now, version=before["version"] + 1, updated_at=now)
        )
        audit.record(
            connection,
            actor,
            "customer",
            customer_id,
            "delete",
            {"deleted_at": [None, now]},
        )
        self.host.events.publish(connection, CustomerDeleted(customer_id=customer_id))

    def restore(
        self, connection: Connection, actor: Actor, customer_id: int
    ) -> dict[str, Any]:
        """Undo a soft delete, bringing back what was deleted with it."""
        actor.require("customer.delete")
        row = (
            connection.execute(
                select(c).where(
                    c.c.id == customer_id, scope_clause(actor, "customer.delete", c)
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"customer {customer_id} not found")
        if row["deleted_at"] is None:
            raise InvalidInput({"id": [f"customer {customer_id} is not deleted"]})
        self.host.relations.restore(connection, "customer", [customer_id])
        connection.execute(
            c.update()
            .where(c.c.id == customer_id)
            .values(deleted_at=None, version=row["version"] + 1, updated_at=utcnow())
        )
        audit.record(
            connection,
            actor,
            "customer",
            customer_id,
            "restore",
            {"deleted_at": [row["deleted_at"], None]},
        )
        self.host.events.publish(connection, CustomerRestored(customer_id=customer_id))
        return self.get(connection, actor, customer_id)

    # -- helpers ---------------------------------------------------------

    def _locked_row(
        self, connection: Connection, actor: Actor, customer_id: int, permission: str
    ) -> dict[str, Any]:
        query = select(c).where(c.c.id == customer_id, c.c.deleted_at.is_(None))
        if connection.dialect.name == "postgresql":
            query = query.with_for_update()
        row = connection.execute(query).mappings().first()
        if row is None or not in_scope(actor, "customer.read", row):
            raise NotFound(f"customer {customer_id} not found")
        if not in_scope(actor, permission, row):
            raise PermissionDenied(
                f"{permission!r} does not reach customer {customer_id}"
            )
        return dict(row)

    def _load(
        self,
        connection: Connection,
        actor: Actor,
        data: Mapping[str, Any],
        *,
        partial: bool,
    ) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise InvalidInput({"_body": ["expected a JSON object"]})
        try:
            values = CustomerInputSchema().load(data, partial=partial)
        except ValidationError as error:
            raise InvalidInput(_flatten(error.messages)) from None
        errors: dict[str, Any] = {}
        if "attributes" in values:
            values["attributes"] = self._attributes(
                connection, values["attributes"], errors
            )
        for key, normalise in (("emails", normalise_email), ("phones", self._phone)):
            if key in values:
                values[key] = _normalise_list(values[key], normalise, key, errors)
        if "owner" in values:
            values["owner_id"] = self._owner_from_input(
                connection, actor, values.pop("owner"), errors
            )
        if errors:
            raise InvalidInput(errors)
        if "emails" in values:
            values["email"] = values["emails"][0] if values["emails"] else None
        if "phones" in values:
            values["phone"] = values["phones"][0] if values["phones"] else None
        return values

    def _phone(self, value: str) -> str:
        return normalise_phone(value, self.host.config.default_region)

    def _attributes(
        self, connection: Connection, raw: Mapping[str, Any], errors: dict[str, Any]
    ) -> dict[str, Any]:
        specs = self.host.fields.for_type(connection, "customer")
        try:
            loaded = attribute_schema(specs).load(raw)
        except ValidationError as error:
            for key, messages in _flatten(error.messages).items():
                if messages == ["Unknown field."]:
                    messages = [
                        f"no custom field {key!r} on customers (known: "
                        f"{', '.join(sorted(specs)) or 'none'})"
                    ]
                errors[f"attributes.{key}"] = messages
            return {}
        return {name: to_stored(specs[name], value) for name, value in loaded.items()}

    def _owner_from_input(
        self,
        connection: Connection,
        actor: Actor,
        who: str | None,
        errors: dict[str, Any],
    ) -> int | None:
        if not actor.can("customer.assign_owner"):
            errors["owner"] = [
                "you may not assign owners (needs 'customer.assign_owner')"
            ]
            return None
        if who is None:
            return None
        u = schema.user
        rows = connection.execute(
            select(u.c.id).where(
                or_(
                    func.lower(u.c.email) == who.strip().lower(),
                    u.c.name == who.strip(),
                ),
                u.c.is_active.is_(True),
            )
        ).all()
        if len(rows) != 1:
            errors["owner"] = [f"no single active user has the e-mail or name {who!r}"]
            return None
        return int(rows[0][0])

    def _default_owner(self, values: Mapping[str, Any], actor: Actor) -> int | None:
        answer = self.host.plugins.first(
            "crm_customer_owner", customer=values, actor=actor
        )
        return int(answer.value) if answer is not None else actor.id

    def _team_of(self, connection: Connection, owner_id: int | None) -> int | None:
        if owner_id is None:
            return None
        return connection.execute(
            select(schema.user.c.team_id).where(schema.user.c.id == owner_id)
        ).scalar()

    def _check_entity(self, values: Mapping[str, Any]) -> None:
        try:
            Customer(
                kind=values.get("kind", "person"),
                name=values.get("name"),
                emails=values.get("emails", ()),
                phones=values.get("phones", ()),
                external_id=values.get("external_id"),
                parent_id=values.get("parent_id"),
                lifecycle_stage=values.get("lifecycle_stage", "lead"),
            )
        except (ValueError, TypeError) as error:
            raise InvalidInput({"_record": [str(error)]}) from None

    def _check_references(
        self,
        connection: Connection,
        actor: Actor,
        values: Mapping[str, Any],
        customer_id: int | None,
    ) -> None:
        """Refuse a taken external id and a parent that cannot be one, by field."""
        errors: dict[str, list[str]] = {}
        external = values.get("external_id")
        if external is not None:
            taken = select(c.c.id).where(c.c.external_id == external)
            if customer_id is not None:
                taken = taken.where(c.c.id != customer_id)
            if connection.execute(taken).first() is not None:
                errors["external_id"] = [
                    f"another customer already has the external id {external!r}"
                ]
        parent = values.get("parent_id")
        if parent is not None:
            problem = _parent_problem(connection, actor, parent, customer_id)
            if problem:
                errors["parent_id"] = [problem]
        if errors:
            raise InvalidInput(errors)

    def _veto(self, changes: list[CustomerChange]) -> None:
        problems = self.host.plugins.veto("crm_validate_customers", changes=changes)
        if problems:
            errors: dict[str, list[str]] = {}
            for found in problems:
                problem: Problem = found.value
                errors.setdefault(problem.field or "_record", []).append(
                    f"{problem.message} (plugin {found.plugin})"
                )
            raise InvalidInput(errors)

    def _add_consents(
        self,
        connection: Connection,
        customer_id: int,
        consents: list[Mapping[str, Any]],
    ) -> None:
        if consents:
            now = utcnow()
            connection.execute(
                schema.consent.insert(),
                [
                    {
                        **item,
                        "customer_id": customer_id,
                        "recorded_at": now,
                        "evidence": {},
                    }
                    for item in consents
                ],
            )


PUBLIC_COLUMNS = (
    "id",
    "kind",
    "name",
    "display_name",
    "external_id",
    "email",
    "phone",
    "emails",
    "phones",
    "addresses",
    "owner_id",
    "team_id",
    "lifecycle_stage",
    "tags",
    "preferences",
    "attributes",
    "parent_id",
    "version",
    "created_at",
    "updated_at",
    "deleted_at",
)

_AUDITED = (
    "kind",
    "name",
    "external_id",
    "emails",
    "phones",
    "addresses",
    "owner_id",
    "team_id",
    "lifecycle_stage",
    "tags",
    "preferences",
    "attributes",
    "parent_id",
)


def _parent_problem(
    connection: Connection, actor: Actor, parent: int, customer_id: int | None
) -> str | None:
    """Why ``parent`` cannot be the parent organisation of ``customer_id``."""
    row = (
        connection.execute(
            select(c.c.kind, c.c.owner_id, c.c.team_id).where(
                c.c.id == parent, c.c.deleted_at.is_(None)
            )
        )
        .mappings()
        .first()
    )
    if row is None or not in_scope(actor, "customer.read", row):
        return f"no customer {parent} that you may see"
    if row["kind"] != CustomerKind.ORGANISATION.value:
        return f"customer {parent} is not an organisation"
    seen: set[int] = set()
    current: int | None = parent
    while current is not None and current not in seen and len(seen) < 100:
        if current == customer_id:
            return f"customer {parent} belongs to this organisation already"
        seen.add(current)
        current = connection.execute(
            select(c.c.parent_id).where(c.c.id == current)
        ).scalar()
    return None


def _auditable(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {key: row.get(key) for key in _AUDITED}


def _defaults() -> dict[str, Any]:
    return {
        "emails": [],
        "phones": [],
        "addresses": [],
        "tags": [],
        "preferences": {},
        "attributes": {},
        "lifecycle_stage": "lead",
    }


def _display(values: Mapping[str, Any]) -> str:
    return display_name(
        values.get("name"),
        values.get("emails") or [],
        values.get("phones") or [],
        values.get("external_id"),
    )


def _normalise_list(
    items: list[str], normalise: Any, key: str, errors: dict[str, Any]
) -> list[str]:
    result: list[str] = []
    for index, item in enumerate(items):
        try:
            value = normalise(item)
        except ContactPointError as error:
            errors[f"{key}.{index}"] = [str(error)]
            continue
        if value not in result:
            result.append(value)
    return result


def _flatten(messages: Any, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                flat.update(_flatten(value, path))
            else:
                flat[path] = value
    else:
        flat[prefix or "_body"] = messages
    return flat


__all__ = [
    "EXCLUDE",
    "CustomerChange",
    "CustomerService",
    "InvalidInput",
    "NotFound",
    "VersionConflict",
]
