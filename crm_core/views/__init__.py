"""Bulk actions on customers and saved views of the customer list.

Use :func:`bulk_actions` to change many customers at once (within the actor's
scope, audited, in one transaction) and :func:`saved_views` for named sets of
list filters, sort and columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .bulk import BULK_MAX, BulkActions, BulkResult
from .saved import SavedViews

if TYPE_CHECKING:
    from ..host import Host

__all__ = [
    "BULK_MAX",
    "BulkActions",
    "BulkResult",
    "SavedViews",
    "bulk_actions",
    "saved_views",
]


def bulk_actions(host: Host) -> BulkActions:
    """The bulk actions of ``host`` (made on first use)."""
    found = host.extensions.get("views.bulk")
    if found is None:
        found = host.extensions["views.bulk"] = BulkActions(host)
    assert isinstance(found, BulkActions)
    return found


def saved_views(host: Host) -> SavedViews:
    """The saved views of ``host`` (made on first use)."""
    found = host.extensions.get("views.saved")
    if found is None:
        found = host.extensions["views.saved"] = SavedViews(host)
    assert isinstance(found, SavedViews)
    return found
