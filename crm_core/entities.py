"""The core's entities: customers, their relationships and their timeline.

Entities are immutable attrs classes validated on construction; storing them
is the job of :mod:`crm_core.customers` and the import pipeline.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs
from attrs import validators as v


class CustomerKind(enum.Enum):
    PERSON = "person"
    ORGANISATION = "organisation"


LIFECYCLE_STAGES = ("subscriber", "lead", "prospect", "customer", "former", "other")
CHANNELS = (
    "email",
    "phone",
    "sms",
    "web",
    "chat",
    "in_person",
    "mail",
    "import",
    "system",
)
CONSENT_PURPOSES = ("email_marketing", "sms_marketing", "phone_marketing", "profiling")


def _optional_text(max_length: int) -> Any:
    return v.optional(v.and_(v.instance_of(str), v.max_len(max_length)))


@attrs.frozen
class Address:
    """A postal address; every part is optional text."""

    street: str | None = None
    city: str | None = None
    region: str | None = None
    postcode: str | None = None
    country: str | None = None
    label: str | None = None


@attrs.frozen
class Preferences:
    """How a customer likes to be contacted."""

    language: str | None = attrs.field(default=None, validator=_optional_text(16))
    channel: str | None = attrs.field(
        default=None, validator=v.optional(v.in_(CHANNELS))
    )


@attrs.frozen
class Consent:
    """One consent decision: what for, granted or withdrawn, where and when."""

    purpose: str = attrs.field(validator=v.in_(CONSENT_PURPOSES))
    granted: bool = attrs.field(validator=v.instance_of(bool))
    source: str = attrs.field(validator=v.and_(v.instance_of(str), v.min_len(1)))
    recorded_at: datetime = attrs.field(validator=v.instance_of(datetime))


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


@attrs.frozen
class Customer:
    """A person or an organisation the business deals with.

    A customer needs at least one of name, e-mail, phone or external id; its
    display name falls back in that order.
    """

    kind: CustomerKind = attrs.field(converter=CustomerKind)
    name: str | None = attrs.field(default=None, validator=_optional_text(300))
    emails: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    phones: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    addresses: tuple[Address, ...] = attrs.field(default=(), converter=tuple)
    external_id: str | None = attrs.field(default=None, validator=_optional_text(200))
    owner_id: int | None = None
    team_id: int | None = None
    lifecycle_stage: str = attrs.field(
        default="lead", validator=v.in_(LIFECYCLE_STAGES)
    )
    tags: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    preferences: Preferences = attrs.field(factory=Preferences)
    consents: tuple[Consent, ...] = attrs.field(default=(), converter=tuple)
    attributes: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)
    parent_id: int | None = None
    id: int | None = None
    version: int = 1

    def __attrs_post_init__(self) -> None:
        if not (self.name or self.emails or self.phones or self.external_id):
            raise ValueError(
                "a customer needs at least one of name, email, phone or external_id"
            )
        if self.parent_id is not None and self.kind is not CustomerKind.ORGANISATION:
            raise ValueError("only an organisation can have a parent organisation")

    @property
    def display_name(self) -> str:
        return display_name(self.name, self.emails, self.phones, self.external_id)


def display_name(
    name: str | None,
    emails: tuple[str, ...] | list[str],
    phones: tuple[str, ...] | list[str],
    external_id: str | None,
) -> str:
    """The name to show: name, else first e-mail, else first phone, else external id."""
    for candidate in (name, *emails[:1], *phones[:1], external_id):
        if candidate:
            return candidate
    return ""


@attrs.frozen
class Relationship:
    """A person working at an organisation, in a role."""

    person_id: int
    organisation_id: int
    role: str | None = attrs.field(default=None, validator=_optional_text(200))
    started_on: str | None = None
    ended_on: str | None = None
    id: int | None = None


@attrs.frozen
class Activity:
    """One touchpoint on a customer's timeline.

    ``source_type`` and ``source_id`` link to the record that caused it (a
    ticket, an order, a campaign message).
    """

    channel: str = attrs.field(validator=v.in_(CHANNELS))
    kind: str = attrs.field(
        validator=v.and_(v.instance_of(str), v.min_len(1), v.max_len(60))
    )
    occurred_at: datetime = attrs.field(validator=v.instance_of(datetime))
    customer_id: int | None = None
    actor_id: int | None = None
    subject: str | None = attrs.field(default=None, validator=_optional_text(500))
    body: str | None = None
    source_type: str | None = None
    source_id: str | None = None
    id: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at needs a time zone")


class Scope(enum.Enum):
    """How far a permission reaches: own records, the team's, or all."""

    OWN = "own"
    TEAM = "team"
    ALL = "all"


@attrs.frozen
class User:
    """Someone who works in the CRM (or a sales agent without a login)."""

    id: int
    email: str
    name: str
    role: str
    team_id: int | None = None
    is_active: bool = True
    timezone: str = "UTC"
    language: str = "en"


@attrs.frozen
class Team:
    """A team; teams nest, and a manager of a team sees the teams below it."""

    id: int
    name: str
    parent_id: int | None = None
    kind: str = "team"


@attrs.frozen
class Role:
    """A named set of permissions, each granted with a scope."""

    name: str
    label: str
    grants: Mapping[str, Scope] = attrs.field(converter=_frozen_mapping)

    def scope_for(self, permission: str) -> Scope | None:
        scope = self.grants.get(permission) or self.grants.get("*")
        return Scope(scope) if scope is not None else None
