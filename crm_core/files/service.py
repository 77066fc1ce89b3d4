"""Attachments: stored under the data folder with generated names, read by scope.

The bytes of a file live in ``<data_dir>/files/<ab>/<name>`` where ``name``
is a random UUID; the original name, size, type and SHA-256 digest are in
the ``core_files_file`` table. A file is reachable only by those who may see
the record it is attached to. Deleting marks the row; the bytes stay so the
file can be restored.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from .. import audit
from ..customers import Blocked, NotFound
from ..entities import Scope
from ..security import Actor, PermissionDenied
from ..storage.database import new_id
from ..storage.types import utcnow
from .access import CUSTOMER, customer_number, record_visible
from .content import FileRefused, content_type
from .tables import stored_file

if TYPE_CHECKING:
    from ..host import Host

log = logging.getLogger("crm_core.files")

MAX_UPLOAD_SETTING = "files.max_upload_mb"
_CHUNK = 256 * 1024
_NAME_LIMIT = 255
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")
PUBLIC_COLUMNS = (
    "id",
    "record_type",
    "record_id",
    "name",
    "content_type",
    "size",
    "sha256",
    "uploaded_by",
    "created_at",
    "deleted_at",
)


class FileService:
    """Storing, listing, reading and deleting attachments for one host."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.root = Path(host.config.data_dir) / "files"

    # -- storing -----------------------------------------------------------

    def store(
        self,
        connection: Connection,
        actor: Actor,
        *,
        record_type: str,
        record_id: Any,
        name: str,
        stream: IO[bytes],
    ) -> dict[str, Any]:
        """Keep the bytes of ``stream`` as a file named ``name`` on a record.

        Refused with :class:`~crm_core.files.FileRefused` when the file is too
        large, empty, or its bytes are not what its name says.
        """
        actor.require("file.upload")
        self._visible_record(connection, actor, record_type, record_id)
        clean = clean_name(name)
        limit = self.max_bytes(connection)
        part, size, digest = self._receive(stream, clean, limit)
        try:
            kind = content_type(clean, part)
            stored_name = uuid.uuid4().hex
            target = self.path_of(stored_name)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(part, target)
        finally:
            part.unlink(missing_ok=True)
        row = {
            "record_type": record_type,
            "record_id": str(record_id),
            "customer_id": customer_number(record_id)
            if record_type == CUSTOMER
            else None,
            "name": clean,
            "stored_name": stored_name,
            "content_type": kind,
            "size": size,
            "sha256": digest,
            "uploaded_by": actor.id,
            "created_at": utcnow(),
        }
        file_id = new_id(connection.execute(stored_file.insert().values(**row)))
        audit.record(
            connection, actor, "file", file_id, "create", audit.diff({}, _audited(row))
        )
        return self.get(connection, actor, file_id)

    def max_bytes(self, connection: Connection) -> int:
        """The upload limit in bytes, from the ``files.max_upload_mb`` setting."""
        from ..settings import settings_service

        megabytes = settings_service(self.host).get(MAX_UPLOAD_SETTING, connection)
        return int(megabytes) * 1024 * 1024

    def _receive(
        self, stream: IO[bytes], name: str, limit: int
    ) -> tuple[Path, int, str]:
        """Write the upload to a temporary file, counting and hashing as it comes."""
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        part = incoming / f"{uuid.uuid4().hex}.part"
        digest, size = hashlib.sha256(), 0
        try:
            with part.open("wb") as handle:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise FileRefused(
                            f"{name!r} is larger than the upload limit of "
                            f"{limit // (1024 * 1024)} MB (setting "
                            f"{MAX_UPLOAD_SETTING!r})"
                        )
                    digest.update(chunk)
                    handle.write(chunk)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        if size == 0:
            part.unlink(missing_ok=True)
            raise FileRefused(f"{name!r} is empty")
        return part, size, digest.hexdigest()

    def path_of(self, stored_name: str) -> Path:
        """Where the bytes of a stored file are kept."""
        return self.root / stored_name[:2] / stored_name

    # -- reading -----------------------------------------------------------

    def list(
        self,
        connection: Connection,
        actor: Actor,
        record_type: str,
        record_id: Any,
        *,
        include_deleted: bool = False,
        after_id: int = 0,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """The files on a record the actor may see, oldest first.

        ``after_id`` and ``limit`` page through many files.
        """
        actor.require("file.read")
        self._visible_record(connection, actor, record_type, record_id)
        f = stored_file
        if record_type == CUSTOMER:
            query = select(f).where(f.c.customer_id == customer_number(record_id))
        else:
            query = select(f).where(
                f.c.record_type == record_type, f.c.record_id == str(record_id)
            )
        if not include_deleted:
            query = query.where(f.c.deleted_at.is_(None))
        query = query.where(f.c.id > after_id).order_by(f.c.id)
        if limit is not None:
            query = query.limit(limit)
        rows = connection.execute(query).mappings()
        return [public(row) for row in rows]

    def get(
        self,
        connection: Connection,
        actor: Actor,
        file_id: int,
        *,
        include_deleted: bool = False,
    ) -> dict[str, Any]:
        """One file's description; :class:`NotFound` unless its record is visible."""
        return public(self._row(connection, actor, file_id, include_deleted))

    def open(
        self, connection: Connection, actor: Actor, file_id: int
    ) -> tuple[dict[str, Any], Path]:
        """A live file's description and the path of its bytes."""
        row = self._row(connection, actor, file_id, False)
        path = self.path_of(row["stored_name"])
        if not path.is_file():
            log.error("the bytes of file %s are missing from the data folder", file_id)
            raise NotFound(f"the content of file {file_id} is missing")
        return public(row), path

    def _row(
        self, connection: Connection, actor: Actor, file_id: int, include_deleted: bool
    ) -> Mapping[Any, Any]:
        actor.require("file.read")
        row = (
            connection.execute(select(stored_file).where(stored_file.c.id == file_id))
            .mappings()
            .first()
        )
        missing = NotFound(f"file {file_id} not found")
        if row is None or (row["deleted_at"] is not None and not include_deleted):
            raise missing
        record_id = row["customer_id"] or row["record_id"]
        if not record_visible(
            self.host, connection, actor, row["record_type"], record_id
        ):
            raise missing
        return row

    def _visible_record(
        self, connection: Connection, actor: Actor, record_type: str, record_id: Any
    ) -> None:
        if not record_visible(self.host, connection, actor, record_type, record_id):
            raise NotFound(f"no {record_type} {record_id} that you may see")

    # -- deleting ----------------------------------------------------------

    def delete(self, connection: Connection, actor: Actor, file_id: int) -> None:
        """Mark a file deleted; its bytes are kept for a restore."""
        row = self._deletable(connection, actor, file_id, deleted=False)
        now = utcnow()
        connection.execute(
            stored_file.update()
            .where(stored_file.c.id == file_id)
            .values(deleted_at=now, deleted_by=actor.id)
        )
        audit.record(
            connection, actor, "file", file_id, "delete", {"deleted_at": [None, now]}
        )
        log.info("file %s deleted by %s", row["id"], actor.label)

    def restore(
        self, connection: Connection, actor: Actor, file_id: int
    ) -> dict[str, Any]:
        """Bring back a deleted file."""
        row = self._deletable(connection, actor, file_id, deleted=True)
        connection.execute(
            stored_file.update()
            .where(stored_file.c.id == file_id)
            .values(deleted_at=None, deleted_by=None, deleted_by_cascade=None)
        )
        audit.record(
            connection,
            actor,
            "file",
            file_id,
            "restore",
            {"deleted_at": [row["deleted_at"], None]},
        )
        return self.get(connection, actor, file_id)

    def _deletable(
        self, connection: Connection, actor: Actor, file_id: int, *, deleted: bool
    ) -> Mapping[Any, Any]:
        row = self._row(connection, actor, file_id, include_deleted=True)
        scope = actor.require("file.delete")
        if scope is Scope.OWN and row["uploaded_by"] != actor.id:
            raise PermissionDenied(
                f"permission 'file.delete' reaches only files you uploaded; "
                f"file {file_id} was uploaded by someone else"
            )
        if (row["deleted_at"] is not None) != deleted:
            state = "already deleted" if row["deleted_at"] else "not deleted"
            raise Blocked(f"file {file_id} is {state}")
        return row


def clean_name(name: str) -> str:
    """A file name fit to keep: the last path part, no control characters."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = _UNSAFE_NAME.sub("", base).strip().strip(".")
    if not base:
        raise FileRefused("the file needs a name with an extension, e.g. notes.pdf")
    if len(base) > _NAME_LIMIT:
        stem, dot, ext = base.rpartition(".")
        keep = _NAME_LIMIT - len(ext) - 1
        base = f"{stem[:keep]}.{ext}" if dot and keep > 0 else base[:_NAME_LIMIT]
    return base


def public(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {key: row[key] for key in PUBLIC_COLUMNS}


def _audited(row: Mapping[Any, Any]) -> dict[str, Any]:
    keep = ("record_type", "record_id", "name", "content_type", "size", "sha256")
    return {key: row[key] for key in keep}
