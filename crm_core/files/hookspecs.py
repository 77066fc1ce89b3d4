"""Hook specifications of the files service (re-exported by crm_core.hookspecs)."""

from __future__ import annotations

from typing import Any

from ..contract import first_result

__all__ = ["crm_record_visible"]

# ruff: noqa: ARG001  (specifications declare arguments they do not use)


@first_result
def crm_record_visible(
    connection: Any, actor: Any, record_type: str, record_id: str
) -> Any:
    """Say whether an actor may see one record of a type this plugin owns.

    Kind: first-result. Return ``True`` or ``False`` for your own record
    types and ``None`` for any other, so the owner answers. Shared services
    ask before showing or changing what hangs off a record: its files, the
    tasks linked to it. ``record_id`` is always text. ``connection`` is open
    in the caller's transaction; ``actor`` is a
    :class:`~crm_core.security.Actor`. Customers are answered by the core
    (the actor's ``customer.read`` scope) and never asked here; a record type
    no plugin answers for counts as not visible.

    .. versionadded:: 1.1
    """
