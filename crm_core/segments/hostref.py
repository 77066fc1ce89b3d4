"""Reaching the host from jobs and event handlers declared through hooks.

``crm_jobs`` and ``crm_event_subscriptions`` are asked while a
:class:`~crm_core.host.Host` is being built, without the host as an argument,
and a job or handler later runs with only its own arguments. A service that
needs its host (database, fields, plugins, events) keeps a weak reference to
the host that asked, taken from the caller's frames.
"""

from __future__ import annotations

import sys
import weakref
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..host import Host


class HostGone(RuntimeError):
    """The host a job or handler belongs to is closed or was never found."""


class HostRef:
    """A weak reference to the host that asked a hook for its answer."""

    def __init__(self, host: Host | None) -> None:
        self._ref = weakref.ref(host) if host is not None else None

    @classmethod
    def of_caller(cls) -> HostRef:
        """The host whose constructor (or method) is running further up the stack."""
        from ..host import Host

        frame = sys._getframe(1)
        while frame is not None:
            found = frame.f_locals.get("self")
            if isinstance(found, Host):
                return cls(found)
            frame = frame.f_back  # type: ignore[assignment]
        return cls(None)

    def __call__(self) -> Host:
        host = self._ref() if self._ref is not None else None
        if host is None:
            raise HostGone(
                "this job or handler is not attached to a running host; "
                "declare it through a hook the host calls while starting"
            )
        return host
