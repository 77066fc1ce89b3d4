"""Files: attachments on records, stored under the data folder, read by scope.

Use ``files_service(host)`` to store, list, open and delete files; plugins
say who may see their own record types through ``crm_record_visible``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .access import record_visible
from .content import FileRefused

if TYPE_CHECKING:
    from ..host import Host
    from .service import FileService

__all__ = ["FileRefused", "files_service", "record_visible"]


def files_service(host: Host) -> FileService:
    """The files service of ``host``, made on first use."""
    found = host.extensions.get("files")
    if found is None:
        from .service import FileService

        found = host.extensions["files"] = FileService(host)
    return found
