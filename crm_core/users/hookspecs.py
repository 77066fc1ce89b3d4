"""Hook specifications of the users service (re-exported by crm_core.hookspecs)."""

from __future__ import annotations

from typing import Any

from ..contract import collect

__all__ = ["crm_reassign_owner"]


@collect
def crm_reassign_owner(connection: Any, from_user_id: int, to_user_id: int) -> Any:
    """Hand this plugin's open records from a departing user to a colleague.

    Kind: collect. Called while a user is deactivated, inside the
    deactivation's transaction (``connection``): move the records the
    plugin considers open (open opportunities, unsolved tickets, ...) whose
    owner is ``from_user_id`` to ``to_user_id``, and return a
    :class:`crm_core.users.Handover` per record type naming the ids moved.
    The core writes an audit entry per record. Raising an error refuses the
    whole deactivation, so nothing is half handed over.

    .. versionadded:: 1.1
    """
