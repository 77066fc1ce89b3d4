"""Jobs: enqueueing, running later, retries, schedules and the worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

import crm_core
from crm_core.contributions import JobSpec, MigrationSource, ScheduleSpec
from crm_core.events import Backoff, EventBus
from crm_core.jobs import JobQueue, SqlBackend, UnknownJobError, Worker
from crm_core.storage.database import Database
from crm_core.storage.migrations import upgrade
from crm_core.storage.schema import job, schedule
from crm_core.storage.types import utcnow

POSTGRES_URL = os.environ.get("CRM_TEST_POSTGRES_URL")
CORE = MigrationSource("core", Path(crm_core.__file__).parent / "migrations")


def _pg_admin(statement: str) -> None:
    assert POSTGRES_URL is not None
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh database migrated with the core's real migration."""
    name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    else:
        if not POSTGRES_URL:
            pytest.skip("set CRM_TEST_POSTGRES_URL to run against PostgreSQL")
        name = f"crm_jobs_{uuid.uuid4().hex[:12]}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(False)
    database = Database(url)
    upgrade(database, [CORE])
    yield database
    database.dispose()
    if name is not None:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Calls:
    """A job callable that records the arguments of each run."""

    def __init__(self, fail_times: int = 0) -> None:
        self.runs: list[dict[str, Any]] = []
        self.fail_times = fail_times
        self.lock = threading.Lock()

    def __call__(self, **args: Any) -> None:
        with self.lock:
            self.runs.append(args)
            if len(self.runs) <= self.fail_times:
                raise RuntimeError(
                    f"the export server timed out (run {len(self.runs)})"
                )


def setup(
    db: Database,
    calls: Calls,
    schedules: list[ScheduleSpec] | None = None,
    max_attempts: int = 5,
) -> tuple[JobQueue, Worker]:
    specs = {"export": JobSpec("export", calls, max_attempts=max_attempts)}
    queue = JobQueue(db, specs, schedules or [], backoff=Backoff(base=10))
    return queue, Worker(db, EventBus(db), queue)


def job_rows(db: Database) -> list[dict[str, Any]]:
    with db.connect() as connection:
        rows = connection.execute(select(job).order_by(job.c.id)).mappings().all()
    return [dict(row) for row in rows]


def test_enqueued_job_runs_with_its_arguments(db):
    """A job queued for now runs on the next pass with the arguments given."""
    calls = Calls()
    queue, worker = setup(db, calls)

    queue.enqueue("export", segment="vip", limit=10)
    counts = worker.run_once()

    assert counts.jobs_done == 1
    assert calls.runs == [{"segment": "vip", "limit": 10}]
    (row,) = job_rows(db)
    assert row["status"] == "done"
    assert row["finished_at"] is not None


def test_job_queued_for_later_waits_until_then(db):
    """A job with ``run_at`` in the future is not run before that moment."""
    calls = Calls()
    queue, worker = setup(db, calls)
    start = utcnow()

    queue.enqueue("export", run_at=start + timedelta(hours=1))

    assert worker.run_once(now=start).jobs_done == 0
    assert worker.run_once(now=start + timedelta(minutes=59)).jobs_done == 0
    assert worker.run_once(now=start + timedelta(hours=1)).jobs_done == 1


def test_job_enqueued_in_a_rolled_back_transaction_never_runs(db):
    """With a connection, the job is part of the caller's transaction."""
    calls = Calls()
    queue, worker = setup(db, calls)

    with pytest.raises(RuntimeError), db.transaction() as connection:
        queue.enqueue("export", connection=connection, segment="vip")
        raise RuntimeError("the segment was invalid")

    assert worker.run_once().jobs_done == 0
    assert job_rows(db) == []


def test_unknown_job_name_is_refused_with_the_known_names(db):
    """Enqueueing a name no plugin declared says which names exist."""
    queue, _ = setup(db, Calls())
    with pytest.raises(UnknownJobError) as raised:
        queue.enqueue("exprot")
    assert "no job named 'exprot' is registered (known jobs: export)" in str(
        raised.value
    )


def test_arguments_must_be_json_serialisable(db):
    """Arguments a JSON column cannot hold are refused when enqueueing."""
    queue, _ = setup(db, Calls())
    with pytest.raises(TypeError, match="job 'export': arguments must be JSON"):
        queue.enqueue("export", target=object())


def test_failing_job_is_retried_with_backoff_then_marked_failed(db):
    """Retries wait 10 s then 20 s; the last error is kept on the failed job."""
    calls = Calls(fail_times=99)
    queue, worker = setup(db, calls, max_attempts=3)
    queue.enqueue("export")
    start = utcnow()

    def failures_at(seconds: float) -> int:
        return worker.run_once(now=start + timedelta(seconds=seconds)).job_failures

    assert [failures_at(s) for s in (0, 9, 10, 29, 30, 999)] == [1, 0, 1, 0, 1, 0]
    (failed,) = queue.failed()
    assert failed.name == "export"
    assert failed.attempts == 3
    assert failed.last_error == "RuntimeError: the export server timed out (run 3)"
    assert job_rows(db)[0]["status"] == "failed"


def test_failed_job_can_be_retried_and_unknown_ids_are_named(db):
    """Retrying a failed job runs it again; an unknown id is named in the error."""
    calls = Calls(fail_times=1)
    queue, worker = setup(db, calls, max_attempts=1)
    job_id = queue.enqueue("export")
    worker.run_once()

    queue.retry(job_id)

    assert worker.run_once().jobs_done == 1
    with pytest.raises(UnknownJobError, match="no job has id 424242"):
        queue.retry(424242)
    with pytest.raises(ValueError, match=f"job {job_id} is done, not failed"):
        queue.retry(job_id)


def test_job_that_fails_once_succeeds_on_retry(db):
    """A retried job that then succeeds ends done with no failure listed."""
    calls = Calls(fail_times=1)
    queue, worker = setup(db, calls)
    queue.enqueue("export")
    start = utcnow()

    worker.run_once(now=start)
    counts = worker.run_once(now=start + timedelta(seconds=10))

    assert counts.jobs_done == 1
    assert queue.failed() == []


def test_schedule_enqueues_its_job_once_per_interval(db):
    """A schedule runs when due, not again until its next slot."""
    calls = Calls()
    every_hour = ScheduleSpec("hourly-export", "export", every=3600, args={"n": 1})
    queue, worker = setup(db, calls, [every_hour])
    start = utcnow()

    runs = [
        worker.run_once(now=start + timedelta(minutes=m)).jobs_done
        for m in (0, 1, 59, 60, 61)
    ]

    assert runs == [1, 0, 0, 1, 0]
    assert calls.runs == [{"n": 1}, {"n": 1}]
    assert {row["schedule"] for row in job_rows(db)} == {"hourly-export"}


def test_schedule_catches_up_once_after_downtime(db):
    """Ten missed runs make one run, and the next slot is in the future."""
    calls = Calls()
    queue, worker = setup(db, calls, [ScheduleSpec("hourly", "export", every=3600)])
    start = utcnow()
    worker.run_once(now=start)

    later = start + timedelta(hours=10, minutes=30)
    assert worker.run_once(now=later).jobs_done == 1

    with db.connect() as connection:
        next_run = connection.execute(select(schedule.c.next_run_at)).scalar_one()
    assert next_run == start + timedelta(hours=11)
    assert len(calls.runs) == 2


def test_a_due_schedule_fires_once_when_two_workers_race(db):
    """Workers checking the same due schedule at once queue a single job."""
    spec = ScheduleSpec("hourly", "export", every=3600)
    specs = {"export": JobSpec("export", Calls())}
    JobQueue(db, specs, [spec]).sync_schedules()
    now = utcnow()
    queues = [JobQueue(Database(db.url), specs, [spec]) for _ in range(4)]
    fired: list[int] = []
    barrier = threading.Barrier(len(queues))

    def check(queue: JobQueue) -> None:
        barrier.wait()
        fired.append(queue.enqueue_due_schedules(now))

    threads = [threading.Thread(target=check, args=(q,)) for q in queues]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for queue in queues:
        queue.db.dispose()

    assert sum(fired) == 1
    assert len(job_rows(db)) == 1


def test_sync_schedules_keeps_the_next_run_of_an_existing_schedule(db):
    """Restarting does not reset a schedule's next run."""
    calls = Calls()
    spec = ScheduleSpec("daily", "export", every=86400)
    queue, worker = setup(db, calls, [spec])
    start = utcnow()
    worker.run_once(now=start)

    JobQueue(db, queue.specs, [spec]).sync_schedules(now=start + timedelta(hours=2))

    with db.connect() as connection:
        next_run = connection.execute(select(schedule.c.next_run_at)).scalar_one()
    assert next_run == start + timedelta(days=1)


def test_schedule_of_an_unknown_job_is_refused():
    """A schedule naming a job nobody declared fails at start-up."""
    with pytest.raises(UnknownJobError, match="schedule 'nightly'.*'rescore'"):
        JobQueue(Database("sqlite://"), {}, [ScheduleSpec("nightly", "rescore", 60)])


def test_two_workers_never_run_the_same_job(db):
    """Workers racing over one queue run each job exactly once."""
    calls = Calls()
    queue, _ = setup(db, calls)
    for n in range(60):
        queue.enqueue("export", n=n)

    def work(worker: Worker) -> None:
        while worker.run_once().total:
            pass

    workers = []
    for _ in range(2):
        other = Database(db.url)
        other_queue = JobQueue(other, queue.specs)
        workers.append(Worker(other, EventBus(other), other_queue, job_batch_size=3))
    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for worker in workers:
        worker.db.dispose()

    assert sorted(run["n"] for run in calls.runs) == list(range(60))


def test_job_of_a_stopped_worker_is_run_again_after_its_lease(db):
    """A job claimed by a worker that died runs again once its lease expires."""
    calls = Calls()
    queue, _ = setup(db, calls)
    backend = SqlBackend(db, job_lease=timedelta(minutes=10))
    worker = Worker(db, EventBus(db), queue, backend=backend)
    queue.enqueue("export")
    start = utcnow()

    assert len(backend.claim_jobs(5, start)) == 1  # then the worker died

    assert worker.run_once(now=start + timedelta(minutes=5)).jobs_done == 0
    assert worker.run_once(now=start + timedelta(minutes=11)).jobs_done == 1
    assert job_rows(db)[0]["attempts"] == 2


def test_worker_thread_is_woken_by_a_commit(db):
    """A committed enqueue wakes the in-process worker before its next poll."""
    calls = Calls()
    queue, worker = setup(db, calls)
    worker.poll_interval = 60.0
    worker.start_thread()
    try:
        time.sleep(0.2)
        queue.enqueue("export", n=1)
        deadline = time.monotonic() + 10
        while not calls.runs and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        worker.stop()
    assert calls.runs == [{"n": 1}]


def test_run_forever_returns_when_asked_to_stop(db):
    """``run_forever`` finishes its pass and returns once the stop event is set."""
    _, worker = setup(db, Calls())
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,))
    thread.start()
    time.sleep(0.2)

    stop.set()
    worker.wake()
    thread.join(10)

    assert not thread.is_alive()


WORKER_PROCESS = """
import logging, sys
from crm_core.events import EventBus
from crm_core.jobs import JobQueue, Worker
from crm_core.storage.database import Database

logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
db = Database(sys.argv[1])
Worker(db, EventBus(db), JobQueue(db, {}), poll_interval=60.0).run_forever()
"""


@pytest.mark.parametrize(
    "signal_number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"]
)
def test_worker_process_stops_cleanly_on_a_signal(db, signal_number):
    """``crm worker`` finishes its pass and exits 0 on SIGTERM or SIGINT."""
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER_PROCESS, db.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith("worker started")

    process.send_signal(signal_number)
    out, err = process.communicate(timeout=30)

    assert process.returncode == 0, err
    assert "worker stopped" in out
