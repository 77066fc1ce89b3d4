"""The segment engine: rules compiled to SQL, static lists and membership snapshots.

Plugins count and list segment members through :func:`segment_service` and
:func:`segment_members`, add fields to rules with the ``crm_segment_fields``
hook (:class:`SegmentField`), and follow ``segment.entered`` and
``segment.left`` events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .catalogue import SegmentField, SegmentFieldError
from .membership import Membership, Moved, SegmentEntered, SegmentLeft
from .rules import RuleError
from .service import SegmentService

if TYPE_CHECKING:
    from ..host import Host

__all__ = [
    "Membership",
    "Moved",
    "RuleError",
    "SegmentEntered",
    "SegmentField",
    "SegmentFieldError",
    "SegmentLeft",
    "SegmentService",
    "segment_members",
    "segment_service",
]


def segment_service(host: Host) -> SegmentService:
    """The segment service of ``host`` (made on first use)."""
    found = host.extensions.get("segments")
    if found is None:
        found = host.extensions["segments"] = SegmentService(host)
    assert isinstance(found, SegmentService)
    return found


def segment_members(host: Host) -> Membership:
    """Members, static lists and snapshots of ``host``'s segments."""
    found = host.extensions.get("segments.members")
    if found is None:
        found = Membership(host, segment_service(host))
        host.extensions["segments.members"] = found
    assert isinstance(found, Membership)
    return found
