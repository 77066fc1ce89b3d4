"""The guarded outbound HTTP sender: checked targets, signed requests, a delivery log.

``outbound_sender(host).send("POST", url, body=...)`` calls now;
``outbound_sender(host).deliver_later(connection, "POST", url, body=...)``
queues a call that is retried with backoff. Receivers verify requests as
described in :mod:`crm_core.outbound.signing`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .addresses import OutboundError, OutboundRefused
from .signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from .transport import OutboundResponse

if TYPE_CHECKING:
    from ..host import Host
    from .sender import OutboundSender

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "OutboundError",
    "OutboundRefused",
    "OutboundResponse",
    "outbound_sender",
    "verify",
]


def outbound_sender(host: Host) -> OutboundSender:
    """The outbound sender of ``host``, made (and its retry job bound) on first use."""
    found = host.extensions.get("outbound")
    if found is None:
        import attrs

        from .sender import DELIVER_JOB, OutboundSender

        found = host.extensions["outbound"] = OutboundSender(host)
        spec = host.jobs.specs.get(DELIVER_JOB)
        if spec is not None:
            host.jobs.specs[DELIVER_JOB] = attrs.evolve(spec, run=found.run_delivery)
    return found
