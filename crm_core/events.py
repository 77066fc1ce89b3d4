"""Events: declared types, the transactional outbox and delivery to subscribers.

An event is published inside the caller's transaction: the event row and one
delivery row per matching subscriber are written with the caller's change, so
a rolled-back change publishes nothing. Subscribers run later, in a worker,
only once the transaction has committed.

Delivery is at least once. A handler can run twice for the same event (a
worker stopped after the handler finished but before the delivery was marked
done), so handlers must be idempotent by event id;
:meth:`EventBus.claim_handling` makes that a one-line check. A failing handler
is retried with exponential backoff and, after ``max_attempts``, parked in the
dead-letter list (:meth:`EventBus.failed`) until an admin replays it.
"""

from __future__ import annotations

import fnmatch
import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar, cast, dataclass_transform

import attrs
from sqlalchemy import (
    Connection,
    Dialect,
    Table,
    and_,
    bindparam,
    exists,
    insert,
    select,
    update,
)

from .contract import Contribution
from .contributions import Subscription
from .storage.database import Database
from .storage.schema import delivery as delivery_table
from .storage.schema import event as event_table
from .storage.types import dumps, utcnow

log = logging.getLogger("crm_core.events")

T = TypeVar("T")
E = TypeVar("E", bound="Event")

_EVENT_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
_RESERVED = frozenset({"id", "occurred_at", "name", "schema_version", "payload"})
_ERROR_LIMIT = 4000

PENDING = "pending"
RUNNING = "running"
DONE = "done"
DEAD = "dead"


@dataclass_transform(frozen_default=True, field_specifiers=(attrs.field,))
def _frozen(cls: type[T]) -> type[T]:
    return attrs.frozen(cls)


def _new_id() -> str:
    return str(uuid.uuid4())


@_frozen
class Event:
    """Base of every event type; declare subclasses with :func:`event_type`.

    ``id`` and ``occurred_at`` are generated; every other field is payload
    and must be JSON-serialisable.
    """

    name: ClassVar[str] = ""
    schema_version: ClassVar[int] = 0

    id: str = attrs.field(factory=_new_id, kw_only=True)
    occurred_at: datetime = attrs.field(factory=utcnow, kw_only=True)

    def payload(self) -> dict[str, Any]:
        """The event's own fields, without ``id`` and ``occurred_at``."""
        return attrs.asdict(
            cast(Any, self), filter=lambda field, _value: field.name not in _RESERVED
        )


_declared: dict[tuple[str, int], type[Event]] = {}


@dataclass_transform(frozen_default=True, field_specifiers=(attrs.field,))
def event_type(name: str, version: int = 1) -> Callable[[type[E]], type[E]]:
    """Declare an event type with a dotted ``name`` and a schema ``version``.

    The class becomes a frozen attrs class (unless it already is one)::

        @event_type("customer.created")
        class CustomerCreated(Event):
            customer_id: int

    Raise the version when the payload changes incompatibly; subscribers see
    it as ``record.schema_version``.
    """
    if not _EVENT_NAME.fullmatch(name):
        raise ValueError(
            f"event name {name!r} must be dotted lower-case words, "
            "like 'customer.created'"
        )
    if version < 1:
        raise ValueError(f"event {name!r}: schema version must be 1 or more")

    def declare(cls: type[E]) -> type[E]:
        if not issubclass(cls, Event):
            raise TypeError(f"event type {cls.__qualname__} must subclass Event")
        if "__attrs_attrs__" not in cls.__dict__:
            cls = attrs.frozen(cls)
        _check_fields(cls, name)
        known = _declared.get((name, version))
        if known is not None and known.__qualname__ != cls.__qualname__:
            raise ValueError(
                f"event {name!r} version {version} is declared twice: by "
                f"{known.__module__}.{known.__qualname__} and "
                f"{cls.__module__}.{cls.__qualname__}"
            )
        cls.name = name
        cls.schema_version = version
        _declared[(name, version)] = cls
        return cls

    return declare


def _check_fields(cls: type[Event], name: str) -> None:
    base = {"id", "occurred_at"}
    for field in attrs.fields(cast(Any, cls)):
        if field.name in _RESERVED and field.name not in base:
            raise TypeError(
                f"event {name!r}: field {field.name!r} clashes with the event's "
                "own attribute; rename the field"
            )


@attrs.frozen
class EventRecord:
    """An event as a subscriber receives it.

    ``subscriber`` is the key of the subscriber this delivery is for and
    ``attempt`` counts deliveries to it, starting at 1.
    """

    id: str
    name: str
    schema_version: int
    payload: Mapping[str, Any]
    occurred_at: datetime
    subscriber: str = ""
    attempt: int = 1


@attrs.frozen
class Subscriber:
    """A registered handler: ``key`` is stored on each delivery row.

    ``pattern`` is an event name or a shell-style pattern (``customer.*``).
    """

    key: str
    pattern: str
    handler: Callable[[EventRecord], Any]

    def matches(self, event_name: str) -> bool:
        return fnmatch.fnmatchcase(event_name, self.pattern)


def subscriber_from(item: Subscription | Contribution) -> Subscriber:
    """A :class:`Subscriber` keyed ``plugin:name``, or ``name`` without plugin."""
    if isinstance(item, Contribution):
        value = item.value
        if not isinstance(value, Subscription):
            raise TypeError(
                f"plugin {item.plugin!r} returned {value!r} from "
                "crm_event_subscriptions; return Subscription objects"
            )
        return Subscriber(f"{item.plugin}:{value.name}", value.event, value.handler)
    return Subscriber(item.name, item.event, item.handler)


@attrs.frozen
class Backoff:
    """Delay before retry ``n``: ``base * factor ** (n - 1)`` seconds, capped."""

    base: float = attrs.field(default=2.0, validator=attrs.validators.ge(0))
    factor: float = attrs.field(default=2.0, validator=attrs.validators.ge(1))
    cap: float = attrs.field(default=3600.0, validator=attrs.validators.ge(0))

    def delay(self, failed_attempts: int) -> timedelta:
        exponent = max(failed_attempts - 1, 0)
        return timedelta(seconds=min(self.cap, self.base * self.factor**exponent))


@attrs.frozen
class Outcome:
    """How one run of a delivery or job ended.

    No ``error`` means done; an error with ``retry_at`` means try again then;
    an error without it means give up (dead delivery, failed job).
    """

    id: int
    attempts: int
    error: str | None = None
    retry_at: datetime | None = None


@attrs.frozen
class ClaimedDelivery:
    """A delivery a worker holds: run ``record`` through its subscriber."""

    id: int
    attempts: int
    record: EventRecord


@attrs.frozen
class DeadDelivery:
    """A delivery that ran out of attempts, as listed for an admin."""

    id: int
    event_id: str
    event_name: str
    subscriber: str
    attempts: int
    last_error: str | None
    updated_at: datetime


class UnknownDeliveryError(LookupError):
    """No delivery has the id given."""


class CommitSignal:
    """Calls listeners after a commit in which this thread made new work.

    Work is flagged per thread, since a transaction and its commit run in one
    thread; a flag left by a rolled-back transaction only causes a spare
    wake-up.
    """

    def __init__(self, db: Database) -> None:
        self._local = threading.local()
        self._listeners: list[Callable[[], None]] = []
        db.on_commit(self._after_commit)

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def mark(self) -> None:
        self._local.pending = True

    def _after_commit(self) -> None:
        if not getattr(self._local, "pending", False):
            return
        self._local.pending = False
        for listener in self._listeners:
            listener()


def describe_error(error: BaseException) -> str:
    """The text stored as ``last_error``: the exception's type and message."""
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= _ERROR_LIMIT else text[: _ERROR_LIMIT - 3] + "..."


class EventBus:
    """Publishes events into the outbox and runs subscribers for deliveries.

    ``subscriptions`` are the :class:`Contribution` objects collected from
    ``crm_event_subscriptions`` (keyed ``plugin:name``) or bare
    :class:`Subscription` objects (keyed by their name).
    """

    def __init__(
        self,
        db: Database,
        subscriptions: Iterable[Subscription | Contribution] = (),
        *,
        max_attempts: int = 5,
        backoff: Backoff | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be 1 or more")
        self.db = db
        self.max_attempts = max_attempts
        self.backoff = backoff or Backoff()
        self.signal = CommitSignal(db)
        self._subscribers: dict[str, Subscriber] = {}
        self._by_event: dict[str, list[Subscriber]] = {}
        for item in subscriptions:
            self.subscribe(subscriber_from(item))

    def subscribe(self, subscriber: Subscriber) -> None:
        """Add a subscriber; its key must be unique."""
        if subscriber.key in self._subscribers:
            raise ValueError(
                f"two subscriptions are named {subscriber.key!r}; "
                "give each handler its own name"
            )
        self._subscribers[subscriber.key] = subscriber
        self._by_event.clear()

    def subscribers_for(self, event_name: str) -> list[Subscriber]:
        """The subscribers that receive events named ``event_name``."""
        found = self._by_event.get(event_name)
        if found is None:
            found = [s for s in self._subscribers.values() if s.matches(event_name)]
            self._by_event[event_name] = found
        return found

    # Publishing -----------------------------------------------------------

    def publish(self, connection: Connection, event: Event) -> None:
        """Write ``event`` and its deliveries in ``connection``'s transaction."""
        self.publish_many(connection, [event])

    def publish_many(self, connection: Connection, events: Sequence[Event]) -> None:
        """Write ``events`` and their deliveries in ``connection``'s transaction.

        Subscribers run after that transaction commits; nothing runs if it
        rolls back.
        """
        if not events:
            return
        dialect = connection.dialect
        to_json = _EVENT_INSERT.processor(dialect, "payload")
        to_time = _EVENT_INSERT.processor(dialect, "occurred_at")
        now = to_time(utcnow())
        event_rows = []
        delivery_rows = []
        for event in events:
            cls = _declared_type(event)
            event_rows.append(
                (
                    event.id,
                    cls.name,
                    cls.schema_version,
                    _payload_json(event, to_json),
                    to_time(event.occurred_at),
                )
            )
            for subscriber in self.subscribers_for(cls.name):
                delivery_rows.append((event.id, subscriber.key, PENDING, now, now))
        # Rows go in in id order: random ids inserted in that order fill the
        # indexes on them page by page instead of all over. Handlers still see
        # events in the order they occurred (see ``SqlBackend``).
        event_rows.sort()
        try:
            _EVENT_INSERT.execute(connection, event_rows)
        except TypeError:
            # Some drivers serialise JSON only while executing.
            _refuse_unserialisable(events)
            raise
        if delivery_rows:
            delivery_rows.sort()
            _DELIVERY_INSERT.execute(connection, delivery_rows)
            self.signal.mark()

    # Running handlers -------------------------------------------------------

    def handle(self, claimed: ClaimedDelivery, now: datetime | None = None) -> Outcome:
        """Run one claimed delivery's handler and say how it ended.

        This is the whole of "what to run": any worker, in-process or on a
        queue, calls it with a delivery it holds and records the outcome.
        """
        record = claimed.record
        if claimed.attempts > self.max_attempts:
            error = (
                f"abandoned after {self.max_attempts} attempts; the last one "
                "never finished (its worker stopped or its lease expired)"
            )
            return Outcome(claimed.id, claimed.attempts, error)
        subscriber = self._subscribers.get(record.subscriber)
        try:
            if subscriber is None:
                raise LookupError(
                    f"no subscriber named {record.subscriber!r} is registered "
                    "in this worker; is its plugin enabled?"
                )
            subscriber.handler(record)
        except Exception as error:
            return self._failure(claimed, error, now or utcnow())
        return Outcome(claimed.id, claimed.attempts)

    def _failure(
        self, claimed: ClaimedDelivery, error: Exception, now: datetime
    ) -> Outcome:
        record = claimed.record
        give_up = claimed.attempts >= self.max_attempts
        # The payload may hold personal data, so only names and ids are logged.
        log.log(
            logging.ERROR if give_up else logging.WARNING,
            "subscriber %s failed on event %s (%s), attempt %d of %d%s",
            record.subscriber,
            record.id,
            record.name,
            claimed.attempts,
            self.max_attempts,
            "; moved to the dead-letter list" if give_up else "; will retry",
            exc_info=error,
        )
        retry_at = None if give_up else now + self.backoff.delay(claimed.attempts)
        return Outcome(claimed.id, claimed.attempts, describe_error(error), retry_at)

    # Idempotency ----------------------------------------------------------

    def claim_handling(self, connection: Connection, record: EventRecord) -> bool:
        """Mark ``record``'s delivery handled, in the handler's own transaction.

        Returns ``True`` the first time for this event and subscriber and
        ``False`` if a previous run already committed. Call it first in the
        transaction that holds the handler's effects, and return early on
        ``False``; the mark and the effects then commit or roll back together::

            def on_customer_created(record):
                with db.transaction() as connection:
                    if not bus.claim_handling(connection, record):
                        return
                    ...
        """
        result = connection.execute(
            update(delivery_table)
            .where(
                delivery_table.c.event_id == record.id,
                delivery_table.c.subscriber == record.subscriber,
                delivery_table.c.status != DONE,
            )
            .values(status=DONE, last_error=None, updated_at=utcnow())
        )
        return result.rowcount > 0

    def already_handled(
        self, connection: Connection, event_id: str, subscriber: str
    ) -> bool:
        """Whether the delivery of ``event_id`` to ``subscriber`` is done."""
        found = connection.execute(
            select(delivery_table.c.id).where(
                delivery_table.c.event_id == event_id,
                delivery_table.c.subscriber == subscriber,
                delivery_table.c.status == DONE,
            )
        ).first()
        return found is not None

    # Dead letters ---------------------------------------------------------

    def failed(self, limit: int = 100, after_id: int = 0) -> list[DeadDelivery]:
        """Dead deliveries, oldest first; page on with the last ``id`` seen."""
        query = (
            select(
                delivery_table.c.id,
                delivery_table.c.event_id,
                event_table.c.name.label("event_name"),
                delivery_table.c.subscriber,
                delivery_table.c.attempts,
                delivery_table.c.last_error,
                delivery_table.c.updated_at,
            )
            .join(event_table, event_table.c.id == delivery_table.c.event_id)
            .where(delivery_table.c.status == DEAD, delivery_table.c.id > after_id)
            .order_by(delivery_table.c.id)
            .limit(limit)
        )
        with self.db.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [DeadDelivery(**row) for row in rows]

    def replay(self, delivery_id: int) -> None:
        """Put a dead delivery back in the queue with a fresh set of attempts.

        Raises :class:`UnknownDeliveryError` when no delivery has that id and
        :class:`ValueError` when it is not dead.
        """
        now = utcnow()
        with self.db.transaction() as connection:
            result = connection.execute(
                update(delivery_table)
                .where(
                    delivery_table.c.id == delivery_id, delivery_table.c.status == DEAD
                )
                .values(status=PENDING, attempts=0, next_attempt_at=now, updated_at=now)
            )
            if result.rowcount == 0:
                _explain_not_replayed(connection, delivery_id)
            self.signal.mark()

    def purge(self, before: datetime) -> int:
        """Delete events older than ``before`` whose deliveries are all done.

        Returns how many events were deleted.
        """
        open_delivery = exists().where(
            and_(
                delivery_table.c.event_id == event_table.c.id,
                delivery_table.c.status != DONE,
            )
        )
        old = select(event_table.c.id).where(
            event_table.c.occurred_at < before, ~open_delivery
        )
        with self.db.transaction() as connection:
            connection.execute(
                delivery_table.delete().where(delivery_table.c.event_id.in_(old))
            )
            result = connection.execute(
                event_table.delete().where(event_table.c.id.in_(old))
            )
        return result.rowcount


def _declared_type(event: Event) -> type[Event]:
    cls = type(event)
    if "name" not in cls.__dict__:
        raise TypeError(
            f"{cls.__qualname__} is not a declared event type; "
            "decorate it with @event_type('<object>.<action>')"
        )
    return cls


def _payload_json(event: Event, to_json: Callable[[Any], Any]) -> Any:
    try:
        return to_json(event.payload())
    except TypeError:
        _refuse_unserialisable([event])
        raise


def _refuse_unserialisable(events: Sequence[Event]) -> None:
    """Name the event and field whose value JSON cannot hold, if there is one."""
    for event in events:
        for key, value in event.payload().items():
            try:
                dumps(value)
            except TypeError as error:
                raise TypeError(
                    f"event {event.name!r}, field {key!r}: {error}; "
                    "payload fields must be JSON-serialisable"
                ) from None


class _DriverInsert:
    """An INSERT run through the driver's ``executemany``.

    The outbox writes two rows per event, and SQLAlchemy's per-row parameter
    handling costs more than the inserts themselves; so the statement is
    compiled once per dialect and callers apply each column's own bind
    processor, only to the values that vary.
    """

    def __init__(self, table: Table, columns: Sequence[str]) -> None:
        self.table = table
        self.columns = tuple(columns)
        self._compiled: dict[str, tuple[str, tuple[int, ...] | None]] = {}

    def processor(self, dialect: Dialect, column: str) -> Callable[[Any], Any]:
        """The function turning a Python value into the driver's value."""
        kind = self.table.c[column].type
        process = kind.dialect_impl(dialect).bind_processor(dialect)
        return process or _unchanged

    def execute(self, connection: Connection, rows: list[tuple[Any, ...]]) -> None:
        """Insert ``rows``: tuples of driver values in column order."""
        dialect = connection.dialect
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compile(dialect)
            self._compiled[dialect.name] = found
        sql, order = found
        if order is None:
            params: list[Any] = [
                dict(zip(self.columns, row, strict=True)) for row in rows
            ]
        elif order == tuple(range(len(self.columns))):
            params = rows
        else:
            params = [tuple(row[i] for i in order) for row in rows]
        connection.exec_driver_sql(sql, params)

    def _compile(self, dialect: Dialect) -> tuple[str, tuple[int, ...] | None]:
        statement = insert(self.table).values(
            {name: bindparam(name) for name in self.columns}
        )
        compiled = statement.compile(dialect=dialect)
        if not dialect.positional:
            return compiled.string, None
        names = compiled.positiontup or []
        return compiled.string, tuple(self.columns.index(name) for name in names)


def _unchanged(value: Any) -> Any:
    return value


_EVENT_INSERT = _DriverInsert(
    event_table, ("id", "name", "schema_version", "payload", "occurred_at")
)
_DELIVERY_INSERT = _DriverInsert(
    delivery_table,
    ("event_id", "subscriber", "status", "next_attempt_at", "updated_at"),
)


def _explain_not_replayed(connection: Connection, delivery_id: int) -> None:
    status = connection.execute(
        select(delivery_table.c.status).where(delivery_table.c.id == delivery_id)
    ).scalar()
    if status is None:
        raise UnknownDeliveryError(
            f"no delivery has id {delivery_id}; list dead deliveries with failed()"
        )
    raise ValueError(
        f"delivery {delivery_id} is {status}, not dead; only dead deliveries "
        "can be replayed"
    )
