"""Hook specifications of the tasks service (re-exported by crm_core.hookspecs)."""

from __future__ import annotations

from typing import Any

from ..contract import notify

__all__ = ["crm_task_reminded"]

# ruff: noqa: ARG001  (specifications declare arguments they do not use)


@notify
def crm_task_reminded(task: Any) -> None:
    """A task's reminder time has come, and the core has reminded its assignee.

    Kind: notify. ``task`` is the task as the API shows it: a mapping with
    ``id``, ``title``, ``assignee_id``, ``customer_id``, ``due_at`` (UTC),
    ``due_local`` and ``timezone`` (the assignee's). Called once per reminder,
    after it is recorded and the e-mail is queued; remind through another
    channel here (a chat message, a text message).

    .. versionadded:: 1.1
    """
