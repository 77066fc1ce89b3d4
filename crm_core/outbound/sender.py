"""The guarded sender: every call the product makes to another system goes here.

:meth:`OutboundSender.send` calls once, now, and returns the answer;
:meth:`OutboundSender.deliver_later` queues a call as a job that is retried
with backoff until it is delivered or the attempts run out. Both check the
target's addresses first, sign the request (see
:mod:`crm_core.outbound.signing`), and write the delivery log.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..events import Backoff
from ..security import SYSTEM
from ..storage.database import new_id
from ..storage.types import dumps, utcnow
from .addresses import (
    ALLOW_SETTING,
    AllowList,
    OutboundError,
    OutboundRefused,
    checked_addresses,
)
from .signing import signed_headers
from .tables import delivery, payload
from .transport import OutboundResponse, Target, parse_target, perform
from .wiring import DELIVER_JOB

if TYPE_CHECKING:
    from ..host import Host

log = logging.getLogger("crm_core.outbound")

__all__ = ["DELIVER_JOB", "OutboundSender", "Outcome"]

SECRET_SETTING = "outbound.signing_secret"
TIMEOUT_SETTING = "outbound.timeout_seconds"
ATTEMPTS_SETTING = "outbound.max_attempts"
#: Answers worth another try: the other side may be busy or briefly down.
RETRY_STATUSES = frozenset({408, 425, 429})

PENDING, RETRYING, DELIVERED = "pending", "retrying", "delivered"
FAILED, REFUSED = "failed", "refused"


@attrs.frozen
class Outcome:
    """How one attempt ended: an answer, or the error that stopped it."""

    response: OutboundResponse | None
    error: OutboundError | None

    @property
    def verdict(self) -> str:
        """``delivered``, ``retry``, ``failed`` or ``refused``."""
        if isinstance(self.error, OutboundRefused):
            return REFUSED
        if self.error is not None or self.response is None:
            return "retry"
        code = self.response.status_code
        if 200 <= code < 300:
            return DELIVERED
        if code in RETRY_STATUSES or code >= 500:
            return "retry"
        return FAILED

    @property
    def message(self) -> str | None:
        if self.error is not None:
            return str(self.error)[:500]
        code = self.response.status_code if self.response else 0
        if 300 <= code < 400:
            return (
                f"the target answered {code} (a redirect); redirects are not "
                "followed, so configure the final URL"
            )
        return None if 200 <= code < 300 else f"the target answered {code}"


class OutboundSender:
    """Checked, signed and logged HTTP calls for one host."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.backoff = Backoff(base=30.0, factor=4.0, cap=6 * 3600.0)

    # -- calling now -----------------------------------------------------

    def send(
        self,
        method: str,
        url: str,
        *,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        purpose: str = "http",
        secret: str | None = None,
    ) -> OutboundResponse:
        """Call ``url`` once, now, and return the answer (whatever its status).

        Raises :class:`OutboundRefused` (nothing was sent) or
        :class:`OutboundError` (the call failed). The attempt is logged in
        its own transaction, so it stays logged if the caller rolls back;
        call it outside a write transaction (SQLite lets one writer at a
        time), or queue the call with :meth:`deliver_later`.
        """
        target = parse_target(url)
        with self.host.db.transaction() as connection:
            delivery_id = self._log_new(connection, target, method, purpose, 1)
        outcome = self.attempt(target, method, body, headers or {}, secret)
        status = FAILED if outcome.verdict == "retry" else outcome.verdict
        with self.host.db.transaction() as connection:
            self._log_attempt(connection, delivery_id, outcome, status)
        if outcome.error is not None:
            raise outcome.error
        assert outcome.response is not None
        return attrs.evolve(outcome.response, delivery_id=delivery_id)

    def post_json(self, url: str, data: Any, **options: Any) -> OutboundResponse:
        """:meth:`send` a JSON document by POST."""
        headers = {"Content-Type": "application/json", **options.pop("headers", {})}
        body = dumps(data).encode("utf-8")
        return self.send("POST", url, body=body, headers=headers, **options)

    def attempt(
        self,
        target: Target,
        method: str,
        body: bytes,
        headers: Mapping[str, str],
        secret: str | None,
    ) -> Outcome:
        """Check the target, sign, and make one request; never raises."""
        try:
            allowed = AllowList.from_entries(self._setting(ALLOW_SETTING))
            addresses = checked_addresses(target.host, target.port, allowed)
            signing = signed_headers(secret or self.signing_secret(), body)
            timeout = float(self._setting(TIMEOUT_SETTING))
            response = perform(
                target, addresses, method, body, {**headers, **signing}, timeout
            )
        except OutboundError as error:
            if isinstance(error, OutboundRefused):
                log.warning("outbound call to %s refused", target.host)
            return Outcome(None, error)
        return Outcome(response, None)

    # -- calling later, with retries -------------------------------------

    def deliver_later(
        self,
        connection: Connection,
        method: str,
        url: str,
        *,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        purpose: str = "http",
        secret: str | None = None,
        run_at: datetime | None = None,
    ) -> int:
        """Queue a call in the caller's transaction; returns the delivery id.

        A failed attempt (no answer, 408, 425, 429 or 5xx) is tried again
        with growing pauses, up to ``outbound.max_attempts`` attempts; a
        refused target, a redirect or another 4xx answer ends it at once.
        """
        target = parse_target(url)
        attempts = int(self._setting(ATTEMPTS_SETTING, connection))
        delivery_id = self._log_new(connection, target, method, purpose, attempts)
        connection.execute(
            insert(payload).values(
                delivery_id=delivery_id,
                url=str(target.url),
                body=body,
                headers=dict(headers or {}),
                secret=secret,
            )
        )
        self.host.jobs.enqueue(
            DELIVER_JOB, run_at, connection=connection, delivery_id=delivery_id
        )
        return delivery_id

    def run_delivery(self, delivery_id: int) -> str:
        """Make the next attempt of a queued call (the job); returns its status."""
        with self.host.db.connect() as connection:
            row = (
                connection.execute(
                    select(delivery, payload)
                    .outerjoin(payload, payload.c.delivery_id == delivery.c.id)
                    .where(delivery.c.id == delivery_id)
                )
                .mappings()
                .first()
            )
        if row is None:
            return "unknown"
        if row["status"] not in (PENDING, RETRYING) or row["url"] is None:
            return str(row["status"])
        target = parse_target(row["url"])
        outcome = self.attempt(
            target, row["method"], row["body"], row["headers"], row["secret"]
        )
        status = outcome.verdict
        attempts = row["attempts"] + 1
        if status == "retry":
            status = RETRYING if attempts < row["max_attempts"] else FAILED
        with self.host.db.transaction() as connection:
            retry_at = None
            if status == RETRYING:
                retry_at = utcnow() + self._delay(attempts)
                self.host.jobs.enqueue(
                    DELIVER_JOB,
                    retry_at,
                    connection=connection,
                    delivery_id=delivery_id,
                )
            self._log_attempt(connection, delivery_id, outcome, status, retry_at)
        return status

    def _delay(self, failed_attempts: int) -> timedelta:
        return self.backoff.delay(failed_attempts)

    # -- the log ---------------------------------------------------------

    def _log_new(
        self,
        connection: Connection,
        target: Target,
        method: str,
        purpose: str,
        max_attempts: int,
    ) -> int:
        now = utcnow()
        return new_id(
            connection.execute(
                insert(delivery).values(
                    purpose=purpose[:80],
                    method=method.upper()[:10],
                    target=target.logged[:2000],
                    host=target.host[:255],
                    status=PENDING,
                    attempts=0,
                    max_attempts=max_attempts,
                    created_at=now,
                    next_attempt_at=now,
                )
            )
        )

    def _log_attempt(
        self,
        connection: Connection,
        delivery_id: int,
        outcome: Outcome,
        status: str,
        retry_at: datetime | None = None,
    ) -> None:
        now = utcnow()
        response = outcome.response
        finished = status != RETRYING
        connection.execute(
            update(delivery)
            .where(delivery.c.id == delivery_id)
            .values(
                status=status,
                attempts=delivery.c.attempts + 1,
                response_status=response.status_code if response else None,
                duration_ms=response.duration_ms if response else None,
                last_error=outcome.message,
                last_attempt_at=now,
                next_attempt_at=retry_at,
                finished_at=now if finished else None,
            )
        )
        if finished:
            connection.execute(
                delete(payload).where(payload.c.delivery_id == delivery_id)
            )
        if status == FAILED:
            log.warning("outbound delivery %s failed: %s", delivery_id, outcome.message)

    # -- settings --------------------------------------------------------

    def _setting(self, key: str, connection: Connection | None = None) -> Any:
        from ..settings import settings_service

        return settings_service(self.host).get(key, connection)

    def signing_secret(self) -> str:
        """The installation's signing secret; made and stored on first use."""
        from ..settings import settings_service

        service = settings_service(self.host)
        current = service.get(SECRET_SETTING)
        if current:
            return str(current)
        try:
            with self.host.db.transaction() as connection:
                service.set(
                    connection, SYSTEM, SECRET_SETTING, secrets.token_urlsafe(32)
                )
        except IntegrityError:
            pass  # another process stored one first; use theirs
        return str(service.get(SECRET_SETTING))
