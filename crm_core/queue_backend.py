"""How a worker claims due deliveries and jobs, and records how they ended.

:class:`Backend` is the "how it is claimed" half of the worker; the "what to
run" half is :meth:`EventBus.handle <crm_core.events.EventBus.handle>` and
:meth:`JobQueue.handle <crm_core.jobs.JobQueue.handle>`. :class:`SqlBackend`
claims rows straight from the database, safely across processes: with
``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, and with one atomic
``UPDATE ... RETURNING`` on SQLite, whose writers take turns. A claimed row
carries a lease; a row whose lease ran out (its worker died) is claimed again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import attrs
from sqlalchemy import (
    BigInteger,
    Connection,
    Executable,
    Integer,
    Row,
    String,
    Table,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from .events import (
    DEAD,
    DONE,
    PENDING,
    RUNNING,
    ClaimedDelivery,
    EventRecord,
    Outcome,
)
from .storage.database import Database
from .storage.schema import delivery as delivery_table
from .storage.schema import event as event_table
from .storage.schema import job as job_table
from .storage.types import UTCDateTime, dumps

FAILED = "failed"


@attrs.frozen
class ClaimedJob:
    """A job a worker holds: call the job ``name`` with ``args``."""

    id: int
    name: str
    args: Mapping[str, Any]
    attempts: int
    max_attempts: int
    schedule: str | None = None


class Backend(Protocol):
    """How due work is claimed and how its outcome is recorded."""

    def claim_deliveries(self, limit: int, now: datetime) -> list[ClaimedDelivery]:
        """Take up to ``limit`` due deliveries; no other worker gets them."""
        ...

    def settle_deliveries(self, outcomes: Sequence[Outcome], now: datetime) -> None:
        """Record how the claimed deliveries ended."""
        ...

    def claim_jobs(self, limit: int, now: datetime) -> list[ClaimedJob]:
        """Take up to ``limit`` due jobs; no other worker gets them."""
        ...

    def settle_jobs(self, outcomes: Sequence[Outcome], now: datetime) -> None:
        """Record how the claimed jobs ended."""
        ...


class SqlBackend:
    """Claims deliveries and jobs from their tables, safe across processes.

    A claim sets the row running and increments ``attempts``, which then
    fences the outcome: a worker whose lease ran out and whose row was
    claimed again cannot overwrite the newer run's result with a retry.
    The statements are built once; lists of ids travel as one parameter.
    """

    def __init__(
        self,
        db: Database,
        delivery_lease: timedelta = timedelta(minutes=5),
        job_lease: timedelta = timedelta(minutes=30),
    ) -> None:
        self.db = db
        self.delivery_lease = delivery_lease
        self.job_lease = job_lease
        self._ids = _IdList(db.dialect)
        self._claim_delivery = _claim_statements(
            delivery_table,
            delivery_table.c.next_attempt_at,
            delivery_table.c.next_attempt_at,
            returning=("id", "event_id", "subscriber", "attempts"),
            locks=db.dialect == "postgresql",
            updated_at=bindparam("now"),
        )
        self._claim_job = _claim_statements(
            job_table,
            job_table.c.run_at,
            job_table.c.locked_until,
            returning=("id", "name", "args", "attempts", "max_attempts", "schedule"),
            locks=db.dialect == "postgresql",
        )
        d, j, e = delivery_table.c, job_table.c, event_table.c
        self._load_events = select(
            e.id, e.name, e.schema_version, e.payload, e.occurred_at
        ).where(self._ids.contains(e.id, String()))
        self._deliveries_done = (
            update(delivery_table)
            .where(self._ids.contains(d.id, BigInteger()))
            .values(status=DONE, last_error=None, updated_at=bindparam("now"))
        )
        self._jobs_done = (
            update(job_table)
            .where(self._ids.contains(j.id, BigInteger()))
            .values(status=DONE, locked_until=None, finished_at=bindparam("now"))
        )
        self._delivery_failed = _failure_statement(delivery_table, "next_attempt_at")
        self._job_failed = _failure_statement(job_table, "run_at", finished_at=True)

    def claim_deliveries(self, limit: int, now: datetime) -> list[ClaimedDelivery]:
        with self.db.engine.begin() as connection:
            claimed = _claim(
                connection, self._claim_delivery, limit, now, now + self.delivery_lease
            )
            if not claimed:
                return []
            events = {
                row.id: row
                for row in connection.execute(
                    self._load_events,
                    {"ids": self._ids.value({row.event_id for row in claimed})},
                )
            }
        batch = [
            ClaimedDelivery(
                row.id,
                row.attempts,
                EventRecord(*events[row.event_id], row.subscriber, row.attempts),
            )
            for row in claimed
        ]
        batch.sort(key=_occurrence)
        return batch

    def settle_deliveries(self, outcomes: Sequence[Outcome], now: datetime) -> None:
        self._settle(outcomes, now, self._deliveries_done, self._delivery_failed, DEAD)

    def claim_jobs(self, limit: int, now: datetime) -> list[ClaimedJob]:
        with self.db.engine.begin() as connection:
            rows = _claim(connection, self._claim_job, limit, now, now + self.job_lease)
        return [
            ClaimedJob(
                row.id, row.name, row.args, row.attempts, row.max_attempts, row.schedule
            )
            for row in sorted(rows, key=lambda row: row.id)
        ]

    def settle_jobs(self, outcomes: Sequence[Outcome], now: datetime) -> None:
        self._settle(outcomes, now, self._jobs_done, self._job_failed, FAILED)

    def _settle(
        self,
        outcomes: Sequence[Outcome],
        now: datetime,
        done: Executable,
        failed: Executable,
        give_up_status: str,
    ) -> None:
        done_ids = [outcome.id for outcome in outcomes if outcome.error is None]
        failures = [
            _failure_row(outcome, give_up_status, now)
            for outcome in outcomes
            if outcome.error is not None
        ]
        with self.db.engine.begin() as connection:
            if done_ids:
                connection.execute(done, {"ids": self._ids.value(done_ids), "now": now})
            if failures:
                connection.execute(failed, failures)


class _IdList:
    """``column IN (ids)`` with the ids bound as a single parameter.

    An expanded ``IN`` list costs a bind parameter per id on every batch;
    PostgreSQL takes an array and SQLite a JSON array instead.
    """

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect

    def contains(self, column: ColumnElement[Any], item: TypeEngine[Any]) -> Any:
        if self.dialect == "postgresql":
            return column == any_(bindparam("ids", type_=postgresql.ARRAY(item)))
        if self.dialect == "sqlite":
            each = func.json_each(bindparam("ids", type_=String()))
            return column.in_(select(literal_column("value")).select_from(each))
        return column.in_(bindparam("ids", expanding=True))

    def value(self, ids: Iterable[Any]) -> Any:
        return dumps(list(ids)) if self.dialect == "sqlite" else list(ids)


@attrs.frozen
class _ClaimStatements:
    requeue: Executable
    claim: Executable


def _claim_statements(
    table: Table,
    due_at: ColumnElement[Any],
    lease_column: ColumnElement[Any],
    *,
    returning: Sequence[str],
    locks: bool,
    **extra: Any,
) -> _ClaimStatements:
    """The two statements of a claim: requeue expired leases, take due rows."""
    c = table.c
    now = bindparam("now", type_=UTCDateTime())
    due = (
        select(c.id)
        .where(c.status == PENDING, due_at <= now)
        .order_by(due_at)
        .limit(bindparam("limit", type_=Integer()))
    )
    if locks:
        due = due.with_for_update(skip_locked=True)
    # A running row whose lease ran out lost its worker: queue it again.
    requeue = (
        update(table)
        .where(c.status == RUNNING, lease_column <= now)
        .values(status=PENDING)
    )
    claim = (
        update(table)
        .where(c.id.in_(due))
        .values(
            {
                "status": RUNNING,
                "attempts": c.attempts + 1,
                lease_column.key: bindparam("lease_until", type_=UTCDateTime()),
                **extra,
            }
        )
        .returning(*(c[name] for name in returning))
    )
    return _ClaimStatements(requeue, claim)


def _claim(
    connection: Connection,
    statements: _ClaimStatements,
    limit: int,
    now: datetime,
    lease_until: datetime,
) -> Sequence[Row[Any]]:
    connection.execute(statements.requeue, {"now": now})
    params = {"now": now, "limit": limit, "lease_until": lease_until}
    return connection.execute(statements.claim, params).all()


def _failure_statement(
    table: Table, retry_column: str, finished_at: bool = False
) -> Executable:
    c = table.c
    values: dict[str, Any] = {
        "status": bindparam("b_status"),
        retry_column: bindparam("b_retry_at", type_=UTCDateTime()),
        "last_error": bindparam("b_error"),
    }
    if finished_at:
        values["locked_until"] = None
        values["finished_at"] = bindparam("b_finished_at", type_=UTCDateTime())
    else:
        values["updated_at"] = bindparam("b_now", type_=UTCDateTime())
    return (
        update(table)
        .where(
            c.id == bindparam("b_id"),
            c.attempts == bindparam("b_attempts"),
            c.status == RUNNING,
        )
        .values(values)
    )


def _occurrence(claimed: ClaimedDelivery) -> tuple[datetime, int]:
    return claimed.record.occurred_at, claimed.id


def _failure_row(
    outcome: Outcome, give_up_status: str, now: datetime
) -> dict[str, Any]:
    retry_at = outcome.retry_at
    return {
        "b_id": outcome.id,
        "b_attempts": outcome.attempts,
        "b_status": PENDING if retry_at else give_up_status,
        "b_retry_at": retry_at or now,
        "b_error": outcome.error,
        "b_now": now,
        "b_finished_at": None if retry_at else now,
    }
