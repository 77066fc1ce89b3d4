"""Whether an actor may see a record that something (a file, a task) hangs off."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from ..security import Actor, scope_clause
from ..storage import schema

if TYPE_CHECKING:
    from ..host import Host

CUSTOMER = "customer"


def record_visible(
    host: Host,
    connection: Connection,
    actor: Actor,
    record_type: str,
    record_id: Any,
) -> bool:
    """``True`` when ``actor`` may see the record; unknown types are not visible.

    Customers follow the ``customer.read`` scope; every other record type is
    asked of its owner through the ``crm_record_visible`` hook.
    """
    if record_type == CUSTOMER:
        customer_id = customer_number(record_id)
        return customer_id is not None and customer_visible(
            connection, actor, customer_id
        )
    answer = host.plugins.first(
        "crm_record_visible",
        connection=connection,
        actor=actor,
        record_type=record_type,
        record_id=str(record_id),
    )
    return answer is not None and answer.value is True


def customer_number(record_id: Any) -> int | None:
    """A customer id from text or a number; ``None`` when it is not one."""
    text = str(record_id)
    if not text.isdigit() or len(text) > 18:
        return None
    return int(text)


def customer_visible(connection: Connection, actor: Actor, customer_id: int) -> bool:
    """Whether a live customer exists and is within the actor's read scope."""
    c = schema.customer
    found = connection.execute(
        select(c.c.id).where(
            c.c.id == customer_id,
            c.c.deleted_at.is_(None),
            scope_clause(actor, "customer.read", c),
        )
    ).first()
    return found is not None
