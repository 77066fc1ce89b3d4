"""Events: the transactional outbox, delivery, retries and the dead-letter list."""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, create_engine, func, select, text
from sqlalchemy.engine import make_url

import crm_core
from crm_core.contract import Contribution
from crm_core.contributions import MigrationSource, Subscription
from crm_core.events import (
    Backoff,
    Event,
    EventBus,
    EventRecord,
    Subscriber,
    UnknownDeliveryError,
    event_type,
)
from crm_core.jobs import JobQueue, SqlBackend, Worker
from crm_core.storage.database import Database
from crm_core.storage.migrations import upgrade
from crm_core.storage.schema import delivery, event
from crm_core.storage.types import utcnow

POSTGRES_URL = os.environ.get("CRM_TEST_POSTGRES_URL")
CORE = MigrationSource("core", Path(crm_core.__file__).parent / "migrations")


@event_type("testing.customer_created")
class CustomerCreated(Event):
    customer_id: int
    email: str = ""


@event_type("testing.customer_merged", version=2)
class CustomerMerged(Event):
    survivor_id: int
    amount: Decimal = Decimal("0")


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
        name = f"crm_events_{uuid.uuid4().hex[:12]}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(False)
    database = Database(url)
    upgrade(database, [CORE])
    yield database
    database.dispose()
    if name is not None:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def recorder(
    name: str, pattern: str = "testing.customer_created"
) -> tuple[list[EventRecord], Subscription]:
    received: list[EventRecord] = []
    return received, Subscription(pattern, received.append, name)


def failing(name: str, pattern: str = "testing.customer_created") -> Subscription:
    def handler(_record: EventRecord) -> None:
        raise RuntimeError("mail server refused the message")

    return Subscription(pattern, handler, name)


def worker_for(db: Database, bus: EventBus, **options: object) -> Worker:
    return Worker(db, bus, JobQueue(db, {}), **options)  # type: ignore[arg-type]


def count(db: Database, table: Table) -> int:
    with db.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def test_publish_writes_the_event_and_one_delivery_per_matching_subscriber(db):
    """Publishing stores the event and fans out a delivery to each match only."""
    _, first = recorder("first")
    _, everything = recorder("everything", "testing.*")
    _, other = recorder("other", "order.placed")
    bus = EventBus(db, [first, everything, other])

    with db.transaction() as connection:
        bus.publish(connection, CustomerCreated(7, email="ada@example.test"))

    with db.connect() as connection:
        stored = connection.execute(select(event)).mappings().one()
        subscribers = connection.execute(
            select(delivery.c.subscriber, delivery.c.status)
        ).all()
    assert stored["name"] == "testing.customer_created"
    assert stored["schema_version"] == 1
    assert stored["payload"] == {"customer_id": 7, "email": "ada@example.test"}
    assert sorted(subscribers) == [("everything", "pending"), ("first", "pending")]


def test_rolled_back_transaction_leaves_no_event_and_runs_no_handler(db):
    """An event published in a transaction that rolls back never existed."""
    received, subscription = recorder("first")
    bus = EventBus(db, [subscription])

    with pytest.raises(RuntimeError), db.transaction() as connection:
        bus.publish(connection, CustomerCreated(1))
        raise RuntimeError("the customer failed validation")

    assert worker_for(db, bus).run_once().delivered == 0
    assert received == []
    assert count(db, event) == 0
    assert count(db, delivery) == 0


def test_handler_runs_only_after_the_commit(db):
    """The worker is woken by the commit, not by the publish inside it."""
    received, subscription = recorder("first")
    bus = EventBus(db, [subscription])
    worker = worker_for(db, bus, poll_interval=60.0)
    worker.start_thread()
    try:
        with db.transaction() as connection:
            bus.publish(connection, CustomerCreated(1))
            time.sleep(0.3)
            assert received == []
        deadline = time.monotonic() + 10
        while not received and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        worker.stop()
    assert [record.payload["customer_id"] for record in received] == [1]


def test_inline_worker_runs_handlers_and_their_follow_ups_after_the_commit(db):
    """In inline mode the commit itself delivers, including events handlers add."""
    merged: list[EventRecord] = []

    def follow_up(record: EventRecord) -> None:
        with db.transaction() as connection:
            bus.publish(connection, CustomerMerged(record.payload["customer_id"]))

    bus = EventBus(
        db,
        [
            Subscription("testing.customer_created", follow_up, "merge"),
            Subscription("testing.customer_merged", merged.append, "audit"),
        ],
    )
    worker_for(db, bus).run_inline()

    with db.transaction() as connection:
        bus.publish(connection, CustomerCreated(5))
        assert merged == []

    assert [record.payload["survivor_id"] for record in merged] == [5]


def test_handler_receives_the_event_record(db):
    """A handler gets id, name, schema version, payload, time and its own key."""
    received, subscription = recorder("merge-watcher", "testing.customer_merged")
    bus = EventBus(db, [Contribution("acme", subscription)])
    published = CustomerMerged(3, amount=Decimal("12.50"))

    with db.transaction() as connection:
        bus.publish(connection, published)
    worker_for(db, bus).run_once()

    (record,) = received
    assert record.id == published.id
    assert record.name == "testing.customer_merged"
    assert record.schema_version == 2
    assert record.payload == {"survivor_id": 3, "amount": Decimal("12.50")}
    assert record.occurred_at == published.occurred_at
    assert record.subscriber == "acme:merge-watcher"
    assert record.attempt == 1


def test_events_of_one_batch_reach_a_handler_in_the_order_they_occurred(db):
    """Within a batch, handlers see events in the order they occurred."""
    received, subscription = recorder("first")
    bus = EventBus(db, [subscription])
    events = [CustomerCreated(n) for n in range(50)]

    with db.transaction() as connection:
        bus.publish_many(connection, events)
    worker_for(db, bus).run_once()

    assert [record.id for record in received] == [e.id for e in events]


def test_delivery_is_at_least_once_after_a_worker_stops_mid_batch(db):
    """A delivery whose worker died is delivered again once its lease expires."""
    received, subscription = recorder("first")
    bus = EventBus(db, [subscription])
    backend = SqlBackend(db, delivery_lease=timedelta(seconds=30))
    with db.transaction() as connection:
        bus.publish(connection, CustomerCreated(1))
    start = utcnow()

    (claimed,) = backend.claim_deliveries(10, start)
    bus.handle(claimed)  # the handler ran, then the worker died before settling
    worker = Worker(db, bus, JobQueue(db, {}), backend=backend)

    assert worker.run_once(now=start + timedelta(seconds=10)).delivered == 0
    assert worker.run_once(now=start + timedelta(seconds=31)).delivered == 1
    assert [record.attempt for record in received] == [1, 2]


def test_claim_handling_makes_a_handler_idempotent_by_event_id(db):
    """A second delivery of the same event finds the first one's mark and skips."""
    effects: list[str] = []
    bus = EventBus(db)

    def once(record: EventRecord) -> None:
        with db.transaction() as connection:
            if not bus.claim_handling(connection, record):
                return
            effects.append(record.id)

    bus.subscribe(Subscriber("once", "testing.*", once))
    with db.transaction() as connection:
        bus.publish(connection, CustomerCreated(1))
    (claimed,) = SqlBackend(db).claim_deliveries(10, utcnow())

    bus.handle(claimed)
    bus.handle(claimed)

    assert effects == [claimed.record.id]
    with db.connect() as connection:
        assert bus.already_handled(connection, claimed.record.id, "once")
        assert not bus.already_handled(connection, claimed.record.id, "other")


def test_failing_handler_is_retried_with_backoff_then_dead_lettered(db):
    """Retries wait 2 s, then 4 s; after the last attempt the delivery is dead."""
    bus = EventBus(db, [failing("mailer")], max_attempts=3, backoff=Backoff(base=2))
    worker = worker_for(db, bus)
    with db.transaction() as connection:
        bus.publish(connection, CustomerCreated(1))
    start = utcnow()

    def failures_at(seconds: float) -> int:
        return worker.run_once(now=start + timedelta(seconds=seconds)).delivery_failures

    assert [failures_at(s) for s in (0, 1, 2, 5, 6, 600)] == [1, 0, 1, 0, 1, 0]
    (dead,) = bus.failed()
    assert dead.event_name == "testing.customer_created"
    assert dead.subscriber == "mailer"
    assert dead.attempts == 3
    assert dead.last_error == "RuntimeError: mail server refused the message"


def test_replay_puts_a_dead_delivery_back_with_fresh_attempts(db):
    """A replayed delivery runs again and leaves the dead-letter list."""
    attempts: list[int] = []

    def flaky(record: EventRecord) -> None:
        attempts.append(record.attempt)
        if len(attempts) == 1:
            raise RuntimeError("the CRM of the partner was down")

    bus = EventBus(db, [Subscription("testing.*", flaky, "sync")], max_attempts=1)
    worker = worker_for(db, bus)
    with db.transaction() as connection:
        bus.publish(connection, CustomerCreated(1))
    worker.run_once()
    (dead,) = bus.failed()

    bus.replay(dead.id)
    counts = worker.run_once()

    assert counts.delivered == 1
    assert attempts == [1, 1]
    assert bus.failed() == []


def test_replay_refuses_an_unknown_or_live_delivery(db):
    """Replaying names the id that does not exist, or says it is not dead."""
    received, subscription = recorder("first")
    bus = EventBus(db, [subscription])
    with db.transaction() as connection:
        bus.publish(connection, CustomerCreated(1))
    with db.connect() as connection:
        live = connection.execute(select(delivery.c.id)).scalar_one()

    with pytest.raises(UnknownDeliveryError, match="no delivery has id 987654"):
        bus.replay(987654)
    with pytest.raises(ValueError, match=f"delivery {live} is pending, not dead"):
        bus.replay(live)


def test_failing_handler_does_not_stop_other_subscribers(db):
    """One subscriber's exception leaves the others' deliveries done."""
    received, subscription = recorder("audit")
    bus = EventBus(db, [failing("mailer"), subscription])
    with db.transaction() as connection:
        bus.publish_many(connection, [CustomerCreated(1), CustomerCreated(2)])

    counts = worker_for(db, bus).run_once()

    assert (counts.delivered, counts.delivery_failures) == (2, 2)
    assert sorted(record.payload["customer_id"] for record in received) == [1, 2]


def test_handler_failure_is_logged_with_subscriber_and_event_id_only(db, caplog):
    """The log names the subscriber and the event id, never the payload."""
    bus = EventBus(db, [failing("mailer")])
    published = CustomerCreated(1, email="grace@example.test")
    with db.transaction() as connection:
        bus.publish(connection, published)

    with caplog.at_level(logging.WARNING, logger="crm_core.events"):
        worker_for(db, bus).run_once()

    (entry,) = [r for r in caplog.records if r.name == "crm_core.events"]
    assert "mailer" in entry.getMessage()
    assert published.id in entry.getMessage()
    assert "grace@example.test" not in caplog.text


def test_two_workers_never_run_the_same_delivery(db):
    """Workers racing over one queue hand each delivery to exactly one of them."""
    handled: list[str] = []
    lock = threading.Lock()

    def slow(record: EventRecord) -> None:
        time.sleep(0.001)
        with lock:
            handled.append(record.id)

    publisher = EventBus(db, [Subscription("testing.*", slow, "slow")])
    events = [CustomerCreated(n) for n in range(300)]
    with db.transaction() as connection:
        publisher.publish_many(connection, events)

    def work(worker: Worker) -> None:
        while worker.run_once().total:
            pass

    workers = []
    for _ in range(2):
        other = Database(db.url)
        bus = EventBus(other, [Subscription("testing.*", slow, "slow")])
        workers.append(Worker(other, bus, JobQueue(other, {}), batch_size=20))
    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for worker in workers:
        worker.db.dispose()

    assert sorted(handled) == sorted(e.id for e in events)


def test_publishing_an_undeclared_event_or_unserialisable_payload_is_refused(db):
    """Errors name the class to decorate, or the event and field at fault."""

    class Loose(Event):
        pass

    bus = EventBus(db)
    with db.transaction() as connection:
        with pytest.raises(TypeError, match="Loose is not a declared event type"):
            bus.publish(connection, Loose())
        with pytest.raises(TypeError, match="field 'email'.*JSON-serialisable"):
            not_text: Any = object()
            bus.publish(connection, CustomerCreated(1, email=not_text))


def test_event_type_refuses_bad_names_and_clashing_fields():
    """Declaring an event checks its dotted name and its field names."""
    with pytest.raises(ValueError, match="dotted lower-case words"):
        event_type("CustomerCreated")
    with pytest.raises(TypeError, match="field 'name' clashes"):

        @event_type("testing.clash")
        class Clash(Event):
            name: str  # type: ignore[misc]


def test_duplicate_subscriber_keys_are_refused(db):
    """Two handlers with one key would share delivery rows, so it is refused."""
    _, first = recorder("same")
    _, second = recorder("same", "order.placed")
    with pytest.raises(ValueError, match="two subscriptions are named 'same'"):
        EventBus(db, [first, second])


def test_purge_deletes_old_events_whose_deliveries_are_done(db):
    """Purging keeps any event that still has a delivery to make."""
    received, subscription = recorder("first")
    bus = EventBus(db, [subscription, failing("mailer", "testing.customer_merged")])
    with db.transaction() as connection:
        bus.publish_many(connection, [CustomerCreated(1), CustomerMerged(2)])
    worker_for(db, bus).run_once()

    assert bus.purge(before=utcnow() + timedelta(seconds=1)) == 1
    with db.connect() as connection:
        left = connection.execute(select(event.c.name)).scalars().all()
    assert left == ["testing.customer_merged"]
