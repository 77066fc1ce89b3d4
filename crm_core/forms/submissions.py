"""Receiving a submission: token, rate limit, honeypot, checks, then a record.

A submission whose visitor ticks the consent box is held, not stored in
the CRM: the visitor gets an e-mail with a signed link, and only following
it creates or completes the customer and records the consent, with its
evidence (the form, both moments and both client addresses). A held
submission nobody confirms is deleted after :data:`HOLD`. Without consent
the submission becomes a record at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Connection, select

from ..customers import InvalidInput, NotFound
from ..events import Event, event_type
from ..i18n import gettext
from ..storage import schema
from ..storage.database import new_id
from ..storage.types import utcnow
from . import confirmation, ratelimit, records, registry
from .intake import check, form_rules
from .registry import FoundForm
from .tables import submission

if TYPE_CHECKING:
    from ..host import Host

#: The hidden field people leave empty and form-filling robots do not.
HONEYPOT = "website"
CONSENT = "consent"
TOKEN = "form_token"
#: Sent by the form's own page: its visitors stay on this site afterwards,
#: since the page's policy lets its forms lead nowhere else.
ON_SITE = "on_site"
#: How long a held submission waits for its confirmation.
HOLD = timedelta(days=7)
RATE_LIMIT = 10
RATE_WINDOW = timedelta(minutes=10)
PENDING, CONFIRMED = "pending", "confirmed"


class Refused(ValueError):
    """A submission that is not a person filling in our form (token or honeypot)."""


class TooMany(RuntimeError):
    """The client address sent more submissions than the window allows."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many submissions; retry after {retry_after} seconds")


class ConfirmationInvalid(ValueError):
    """A confirmation link that is forged, expired, used, or for a changed form."""


@event_type("form.submitted")
class FormSubmitted(Event):
    """A submission became a record (after its confirmation, when it needed one)."""

    form: str
    record_type: str
    record_id: str
    consent_purpose: str | None


@attrs.frozen
class Outcome:
    """``done`` with the record's id, or ``pending`` until the e-mail is confirmed."""

    status: str
    record_id: str | None = None


@attrs.frozen
class Visitor:
    """Where a submission comes from: the client address and the page language."""

    address: str
    locale: str


def _limits(host: Host) -> tuple[int, timedelta]:
    from ..settings import settings_service
    from ..settings.service import UnknownSetting

    try:
        settings = settings_service(host)
        limit = int(settings.get("forms.rate_limit"))
        minutes = int(settings.get("forms.rate_window_minutes"))
    except UnknownSetting:
        return RATE_LIMIT, RATE_WINDOW
    return limit, timedelta(minutes=minutes)


def admit(
    host: Host,
    secret_key: str | bytes,
    found: FoundForm,
    posted: Mapping[str, str],
    visitor: Visitor,
) -> None:
    """Refuse forged, robotic and too frequent submissions (the count is kept)."""
    if not registry.token_fits(secret_key, found, str(posted.get(TOKEN, ""))):
        raise Refused("the form token is missing or does not fit this form")
    limit, window = _limits(host)
    with host.db.transaction() as connection:
        hits = ratelimit.hit(
            connection, ratelimit.client_key(secret_key, visitor.address), window
        )
    if hits > limit:
        raise TooMany(int(window.total_seconds()))
    if str(posted.get(HONEYPOT, "")).strip():
        raise Refused("the hidden field was filled in")


def submit(
    host: Host,
    connection: Connection,
    secret_key: str | bytes,
    found: FoundForm,
    posted: Mapping[str, str],
    visitor: Visitor,
    confirm_url: Callable[[str], str],
) -> Outcome:
    """Check an admitted submission and store it, or hold it for confirmation."""
    spec = found.spec
    form = form_rules(host, connection, spec)
    raw = {field.name: str(posted.get(field.name, "")) for field in spec.fields}
    values, errors = check(form, {**raw, **spec.constants})
    consent = str(posted.get(CONSENT, "")) in ("yes", "on")
    if spec.consent_required and not consent:
        errors[CONSENT] = [gettext("Tick this box to go on.")]
    if errors:
        raise InvalidInput(errors)
    _forget_unconfirmed(connection)
    if spec.consent_purpose and consent:
        held = _hold(connection, spec.name, spec.consent_purpose, raw, values, visitor)
        token = _serializer(secret_key).dumps(held)
        confirmation.send(
            host,
            connection,
            spec,
            values["email"],
            visitor.locale,
            confirm_url(token),
            HOLD,
        )
        return Outcome(PENDING)
    record_id = records.write(host, connection, spec, form, values)
    _published(host, connection, spec, record_id, None)
    return Outcome("done", record_id)


def _serializer(secret_key: str | bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="crm.forms.confirm")


def _hold(
    connection: Connection,
    form_name: str,
    purpose: str,
    raw: Mapping[str, str],
    values: Mapping[str, Any],
    visitor: Visitor,
) -> int:
    now = utcnow()
    return new_id(
        connection.execute(
            submission.insert().values(
                form=form_name,
                status=PENDING,
                email=values["email"],
                raw=dict(raw),
                consent_purpose=purpose,
                locale=visitor.locale,
                evidence={
                    "submitted_at": now.isoformat(),
                    "submitted_from": visitor.address,
                },
                created_at=now,
                expires_at=now + HOLD,
            )
        )
    )


def _forget_unconfirmed(connection: Connection) -> None:
    connection.execute(
        submission.delete().where(
            submission.c.status == PENDING, submission.c.expires_at < utcnow()
        )
    )


def held_submission(
    connection: Connection, secret_key: str | bytes, token: str
) -> dict[str, Any]:
    """The held submission a confirmation link names, if it can still be confirmed."""
    try:
        held_id = _serializer(secret_key).loads(
            token, max_age=int(HOLD.total_seconds())
        )
    except BadSignature:
        raise ConfirmationInvalid(
            gettext("This link is not valid or has expired.")
        ) from None
    row = (
        connection.execute(select(submission).where(submission.c.id == held_id))
        .mappings()
        .first()
    )
    if row is None or row["expires_at"] <= utcnow():
        raise ConfirmationInvalid(gettext("This link has expired."))
    if row["status"] != PENDING:
        raise ConfirmationInvalid(gettext("This link has already been used."))
    return dict(row)


def confirm(
    host: Host,
    connection: Connection,
    secret_key: str | bytes,
    token: str,
    visitor: Visitor,
) -> Outcome:
    """Store a held submission and record its consent, once."""
    held = held_submission(connection, secret_key, token)
    try:
        found = registry.find(host, connection, held["form"])
        form = form_rules(host, connection, found.spec)
    except (NotFound, InvalidInput):
        raise ConfirmationInvalid(gettext("This form no longer exists.")) from None
    values, errors = check(form, {**held["raw"], **found.spec.constants})
    if errors:
        raise ConfirmationInvalid(
            gettext("This form has changed; please fill it in again.")
        )
    marked = connection.execute(
        submission.update()
        .where(submission.c.id == held["id"], submission.c.status == PENDING)
        .values(status=CONFIRMED)
    )
    if marked.rowcount != 1:
        raise ConfirmationInvalid(gettext("This link has already been used."))
    record_id = records.write(host, connection, found.spec, form, values)
    now = utcnow()
    evidence = {
        **held["evidence"],
        "form": found.spec.name,
        "confirmed_at": now.isoformat(),
        "confirmed_from": visitor.address,
        "confirmation": "e-mail link",
    }
    connection.execute(
        schema.consent.insert().values(
            customer_id=int(record_id),
            purpose=held["consent_purpose"],
            granted=True,
            source=f"form:{found.spec.name}",
            recorded_at=now,
            evidence=evidence,
        )
    )
    connection.execute(
        submission.update()
        .where(submission.c.id == held["id"])
        .values(confirmed_at=now, record_id=record_id, raw={}, evidence=evidence)
    )
    _published(host, connection, found.spec, record_id, held["consent_purpose"])
    return Outcome(CONFIRMED, record_id)


def _published(
    host: Host, connection: Connection, spec: Any, record_id: str, purpose: str | None
) -> None:
    host.events.publish(
        connection,
        FormSubmitted(
            form=spec.name,
            record_type=spec.record_type,
            record_id=record_id,
            consent_purpose=purpose,
        ),
    )
