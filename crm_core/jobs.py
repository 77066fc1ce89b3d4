"""Jobs, schedules, and the worker that runs them along with event deliveries.

A job is a named callable a plugin declares (:class:`~crm_core.JobSpec`),
queued to run now, later, or on a schedule. The worker keeps "what to run"
(:meth:`JobQueue.handle`, :meth:`EventBus.handle
<crm_core.events.EventBus.handle>`) apart from "how work is claimed" (a
:class:`~crm_core.queue_backend.Backend`), so a queue-backed worker can run the
same jobs and handlers without any change to the code that enqueues or
publishes.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

import attrs
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from .contributions import JobSpec, ScheduleSpec
from .events import PENDING, Backoff, CommitSignal, EventBus, Outcome, describe_error
from .queue_backend import FAILED, Backend, ClaimedJob, SqlBackend
from .storage.database import Database
from .storage.schema import job as job_table
from .storage.schema import schedule as schedule_table
from .storage.types import dumps, utcnow

log = logging.getLogger("crm_core.jobs")


class UnknownJobError(LookupError):
    """A job name no plugin has declared, or a job id that does not exist."""


@attrs.frozen
class FailedJob:
    """A job that ran out of attempts, as listed for an admin."""

    id: int
    name: str
    attempts: int
    last_error: str | None
    finished_at: datetime | None


class JobQueue:
    """Declared jobs and schedules: enqueueing, and running one claimed job."""

    def __init__(
        self,
        db: Database,
        specs: Mapping[str, JobSpec],
        schedules: Iterable[ScheduleSpec] = (),
        *,
        backoff: Backoff | None = None,
    ) -> None:
        self.db = db
        self.specs = dict(specs)
        self.backoff = backoff or Backoff(base=10.0)
        self.signal = CommitSignal(db)
        self.schedules: dict[str, ScheduleSpec] = {}
        for spec in schedules:
            self._add_schedule(spec)

    def _add_schedule(self, spec: ScheduleSpec) -> None:
        if spec.name in self.schedules:
            raise ValueError(f"two schedules are named {spec.name!r}")
        if spec.every < 1:
            raise ValueError(
                f"schedule {spec.name!r}: 'every' must be at least 1 second"
            )
        self.spec(spec.job, where=f"schedule {spec.name!r}")
        _check_args(f"schedule {spec.name!r}", spec.args)
        self.schedules[spec.name] = spec

    def spec(self, name: str, where: str = "enqueue") -> JobSpec:
        """The job declared as ``name``; :class:`UnknownJobError` if none is."""
        try:
            return self.specs[name]
        except KeyError:
            known = ", ".join(sorted(self.specs)) or "none"
            raise UnknownJobError(
                f"{where}: no job named {name!r} is registered (known jobs: "
                f"{known}); a plugin declares jobs through the crm_jobs hook"
            ) from None

    # Enqueueing -------------------------------------------------------------

    def enqueue(
        self,
        name: str,
        run_at: datetime | None = None,
        connection: Connection | None = None,
        **args: Any,
    ) -> int:
        """Queue job ``name`` to run at ``run_at`` (now by default) with ``args``.

        With a ``connection`` the job is written in that transaction and runs
        only if it commits. ``args`` must be JSON-serialisable; the job gets
        them back as JSON gives them (dates as ISO strings). Returns the id.
        """
        spec = self.spec(name)
        _check_args(f"job {name!r}", args)
        if run_at is not None and run_at.tzinfo is None:
            raise ValueError(f"job {name!r}: run_at must carry a time zone")
        row = self._row(spec, args, run_at or utcnow(), schedule=None)
        if connection is not None:
            return self._insert(connection, row)
        with self.db.transaction() as own:
            return self._insert(own, row)

    def _row(
        self,
        spec: JobSpec,
        args: Mapping[str, Any],
        run_at: datetime,
        schedule: str | None,
    ) -> dict[str, Any]:
        return {
            "name": spec.name,
            "args": dict(args),
            "status": PENDING,
            "run_at": run_at,
            "max_attempts": spec.max_attempts,
            "schedule": schedule,
            "created_at": utcnow(),
        }

    def _insert(self, connection: Connection, row: dict[str, Any]) -> int:
        result = connection.execute(
            insert(job_table).values(row).returning(job_table.c.id)
        )
        self.signal.mark()
        return int(result.scalar_one())

    # Schedules ----------------------------------------------------------------

    def sync_schedules(self, now: datetime | None = None) -> None:
        """Create the rows of declared schedules that have none, due at once.

        Existing rows keep their next run, so restarting never skips or
        repeats one.
        """
        now = now or utcnow()
        for _attempt in range(2):
            with self.db.connect() as connection:
                have = set(connection.execute(select(schedule_table.c.name)).scalars())
            missing = [
                {"name": name, "next_run_at": now, "last_run_at": None}
                for name in self.schedules
                if name not in have
            ]
            if not missing:
                return
            try:
                with self.db.transaction() as connection:
                    connection.execute(insert(schedule_table), missing)
                return
            except IntegrityError:
                # Another worker starting at the same moment created some first.
                continue

    def enqueue_due_schedules(self, now: datetime | None = None) -> int:
        """Queue one job for each schedule that is due; returns how many.

        A schedule that missed several runs (no worker was up) runs once, and
        its next run moves to the first slot after ``now``.
        """
        now = now or utcnow()
        with self.db.connect() as connection:
            due = connection.execute(
                select(schedule_table.c.name, schedule_table.c.next_run_at).where(
                    schedule_table.c.next_run_at <= now,
                    schedule_table.c.name.in_(list(self.schedules)),
                )
            ).all()
        return sum(self._fire(self.schedules[name], seen, now) for name, seen in due)

    def _fire(self, spec: ScheduleSpec, seen: datetime, now: datetime) -> bool:
        every = timedelta(seconds=spec.every)
        following = seen + every * ((now - seen) // every + 1)
        with self.db.transaction() as connection:
            # The row must still say what we read: another worker may have won.
            moved = connection.execute(
                update(schedule_table)
                .where(
                    schedule_table.c.name == spec.name,
                    schedule_table.c.next_run_at == seen,
                )
                .values(next_run_at=following, last_run_at=now)
            )
            if moved.rowcount == 0:
                return False
            job_spec = self.spec(spec.job, where=f"schedule {spec.name!r}")
            self._insert(connection, self._row(job_spec, spec.args, now, spec.name))
        return True

    # Running ----------------------------------------------------------------

    def handle(self, claimed: ClaimedJob, now: datetime | None = None) -> Outcome:
        """Run one claimed job and say how it ended ("what to run")."""
        if claimed.attempts > claimed.max_attempts:
            error = (
                f"abandoned after {claimed.max_attempts} attempts; the last one "
                "never finished (its worker stopped or its lease expired)"
            )
            return Outcome(claimed.id, claimed.attempts, error)
        try:
            spec = self.spec(claimed.name, where=f"job {claimed.id}")
            spec.run(**claimed.args)
        except Exception as error:
            return self._failure(claimed, error, now or utcnow())
        return Outcome(claimed.id, claimed.attempts)

    def _failure(self, claimed: ClaimedJob, error: Exception, now: datetime) -> Outcome:
        give_up = claimed.attempts >= claimed.max_attempts
        log.log(
            logging.ERROR if give_up else logging.WARNING,
            "job %s (%s) failed, attempt %d of %d%s",
            claimed.id,
            claimed.name,
            claimed.attempts,
            claimed.max_attempts,
            "; giving up" if give_up else "; will retry",
            exc_info=error,
        )
        retry_at = None if give_up else now + self.backoff.delay(claimed.attempts)
        return Outcome(claimed.id, claimed.attempts, describe_error(error), retry_at)

    def failed(self, limit: int = 100, after_id: int = 0) -> list[FailedJob]:
        """Jobs that ran out of attempts, oldest first."""
        columns = [job_table.c[name] for name in attrs.fields_dict(FailedJob)]
        query = (
            select(*columns)
            .where(job_table.c.status == FAILED, job_table.c.id > after_id)
            .order_by(job_table.c.id)
            .limit(limit)
        )
        with self.db.connect() as connection:
            return [FailedJob(**row) for row in connection.execute(query).mappings()]

    def retry(self, job_id: int) -> None:
        """Queue a failed job again, now, with a fresh set of attempts."""
        with self.db.transaction() as connection:
            result = connection.execute(
                update(job_table)
                .where(job_table.c.id == job_id, job_table.c.status == FAILED)
                .values(status=PENDING, attempts=0, run_at=utcnow(), finished_at=None)
            )
            if result.rowcount == 0:
                status = connection.execute(
                    select(job_table.c.status).where(job_table.c.id == job_id)
                ).scalar()
                if status is None:
                    raise UnknownJobError(f"no job has id {job_id}")
                raise ValueError(
                    f"job {job_id} is {status}, not failed; only failed jobs "
                    "can be retried"
                )
            self.signal.mark()


@attrs.define
class RunCounts:
    """What one pass of the worker did."""

    delivered: int = 0
    delivery_failures: int = 0
    jobs_done: int = 0
    job_failures: int = 0
    scheduled: int = 0

    @property
    def total(self) -> int:
        return (
            self.delivered + self.delivery_failures + self.jobs_done + self.job_failures
        )


def _check_args(where: str, args: Mapping[str, Any]) -> None:
    try:
        dumps(dict(args))
    except TypeError as error:
        raise TypeError(
            f"{where}: arguments must be JSON-serialisable ({error})"
        ) from None


class Worker:
    """Delivers due events and runs due jobs, in batches.

    Use :meth:`run_once` to process what is due now, :meth:`start_thread`
    for the in-process worker of the embedded set-up, or :meth:`run_forever`
    in a process of its own (``crm worker``). A commit that publishes events
    or enqueues jobs wakes the worker at once; otherwise it polls every
    ``poll_interval`` seconds.
    """

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        queue: JobQueue,
        *,
        backend: Backend | None = None,
        batch_size: int = 500,
        job_batch_size: int = 10,
        poll_interval: float = 1.0,
    ) -> None:
        self.db = db
        self.bus = bus
        self.queue = queue
        self.backend: Backend = backend or SqlBackend(db)
        self.batch_size = batch_size
        self.job_batch_size = job_batch_size
        self.poll_interval = poll_interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._schedules_synced = False
        bus.signal.subscribe(self._wake.set)
        queue.signal.subscribe(self._wake.set)

    def wake(self) -> None:
        """Make a sleeping worker look for work now."""
        self._wake.set()

    def run_inline(self) -> None:
        """From now on, process due work right after each commit that made some.

        The work runs in the committing thread, before ``db.transaction()``
        returns: for tests and one-shot commands that want no background thread.
        Commits made by handlers are picked up by the pass already running.
        """
        state = threading.local()

        def after_commit() -> None:
            if getattr(state, "running", False):
                return
            state.running = True
            try:
                while self.run_once().total:
                    pass
            finally:
                state.running = False

        self.bus.signal.subscribe(after_commit)
        self.queue.signal.subscribe(after_commit)

    def run_once(self, now: datetime | None = None) -> RunCounts:
        """Process everything due at ``now`` (the current time by default)."""
        counts = RunCounts()
        if not self._schedules_synced:
            self.queue.sync_schedules(now)
            self._schedules_synced = True
        counts.scheduled = self.queue.enqueue_due_schedules(now)
        while self.deliver_batch(counts, now) == self.batch_size:
            pass
        while self.run_job_batch(counts, now) == self.job_batch_size:
            pass
        return counts

    def deliver_batch(self, counts: RunCounts, now: datetime | None = None) -> int:
        """Claim, run and settle one batch of deliveries; returns its size."""
        claimed = self.backend.claim_deliveries(self.batch_size, now or utcnow())
        if not claimed:
            return 0
        outcomes = [self.bus.handle(item, now) for item in claimed]
        self.backend.settle_deliveries(outcomes, now or utcnow())
        failures = sum(1 for outcome in outcomes if outcome.error is not None)
        counts.delivered += len(outcomes) - failures
        counts.delivery_failures += failures
        return len(claimed)

    def run_job_batch(self, counts: RunCounts, now: datetime | None = None) -> int:
        """Claim, run and settle one batch of jobs; returns its size."""
        claimed = self.backend.claim_jobs(self.job_batch_size, now or utcnow())
        for job in claimed:
            outcome = self.queue.handle(job, now)
            # Each job is settled at once: jobs are long, and a crash should
            # not make finished ones run again.
            self.backend.settle_jobs([outcome], now or utcnow())
            if outcome.error is None:
                counts.jobs_done += 1
            else:
                counts.job_failures += 1
        return len(claimed)

    def run_forever(self, stop: threading.Event | None = None) -> None:
        """Work until ``stop`` is set, or until SIGTERM or SIGINT arrives.

        Signal handlers are installed only in the main thread; the batch in
        hand is finished before returning.
        """
        stop = stop or self._stop
        restore = self._install_signals(stop)
        log.info("worker started in process %d", os.getpid())
        try:
            while not stop.is_set():
                self._wake.clear()
                try:
                    busy = self.run_once().total > 0
                except Exception:
                    log.exception("worker pass failed; retrying after a pause")
                    busy = False
                if not busy:
                    self._wake.wait(self.poll_interval)
        finally:
            restore()
        log.info("worker stopped in process %d", os.getpid())

    def _install_signals(self, stop: threading.Event) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def request_stop(signum: int, _frame: FrameType | None) -> None:
            log.info("worker stopping on signal %d", signum)
            stop.set()
            self._wake.set()

        previous = {
            number: signal.signal(number, request_stop)
            for number in (signal.SIGTERM, signal.SIGINT)
        }

        def restore() -> None:
            for number, handler in previous.items():
                signal.signal(number, handler)

        return restore

    def start_thread(self) -> threading.Thread:
        """Run the worker in a daemon thread of this process."""
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("the worker thread is already running")
        self._stop.clear()
        self._thread = threading.Thread(
            target=self.run_forever, args=(self._stop,), name="crm-worker", daemon=True
        )
        self._thread.start()
        return self._thread

    def stop(self, timeout: float | None = 30.0) -> None:
        """Ask the worker thread to finish its batch, and wait for it."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
