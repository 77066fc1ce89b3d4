"""``Idempotency-Key`` on POST: a retried request gets the first response again.

The key is reserved and the response stored in the transaction of the write,
so a write and its stored response commit (or roll back) together. The same
key with another body is refused; a failed request stores nothing, so it can
be retried with the same key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from flask import Response, current_app, request
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from ..auth import current_actor
from ..storage import schema
from ..storage.types import utcnow
from .base import BadParameter, crm_host, problem

HEADER = "Idempotency-Key"
_KEPT_HEADERS = ("Location", "ETag", "Content-Type")
i = schema.idempotency


class _KeyTaken(Exception):
    """Another request holding the same key committed first."""


def run_post(write: Callable[[Connection], Response]) -> Response:
    """Run ``write`` in one transaction, honouring the request's idempotency key."""
    host = crm_host()
    key = _key()
    if key is None:
        with host.db.transaction() as connection:
            return write(connection)
    user_id = current_actor().id or 0
    digest = _request_digest()
    try:
        with host.db.transaction() as connection:
            stored = _stored(connection, user_id, key)
            if stored is not None:
                return _replay(stored, digest)
            _reserve(connection, user_id, key, digest)
            response = write(connection)
            _keep(connection, user_id, key, response)
            return response
    except _KeyTaken:
        with host.db.connect() as connection:
            stored = _stored(connection, user_id, key)
        if stored is None:
            raise
        return _replay(stored, digest)


def _key() -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= 200 or not key.isprintable() or not key.isascii():
        raise BadParameter(
            {HEADER: ["use 1 to 200 printable ASCII characters, e.g. a UUID"]}
        )
    return key


def _request_digest() -> str:
    """What makes two requests the same: method, path and the body's content."""
    body = request.get_data(cache=True)
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":")
        ).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    head = f"{request.method} {request.path}\n".encode()
    return hashlib.sha256(head + canonical).hexdigest()


def _stored(connection: Connection, user_id: int, key: str) -> Mapping[Any, Any] | None:
    return (
        connection.execute(select(i).where(i.c.user_id == user_id, i.c.key == key))
        .mappings()
        .first()
    )


def _reserve(connection: Connection, user_id: int, key: str, digest: str) -> None:
    try:
        with connection.begin_nested():
            connection.execute(
                i.insert().values(
                    user_id=user_id,
                    key=key,
                    request_digest=digest,
                    status=0,
                    body="",
                    headers={},
                    created_at=utcnow(),
                )
            )
    except IntegrityError:
        raise _KeyTaken(key) from None


def _keep(connection: Connection, user_id: int, key: str, response: Response) -> None:
    headers = {k: response.headers[k] for k in _KEPT_HEADERS if k in response.headers}
    connection.execute(
        i.update()
        .where(i.c.user_id == user_id, i.c.key == key)
        .values(
            status=response.status_code,
            body=response.get_data(as_text=True),
            headers=headers,
        )
    )


def _replay(stored: Mapping[str, Any], digest: str) -> Response:
    if stored["request_digest"] != digest:
        return problem(
            422,
            f"this {HEADER} was already used with another request; "
            "send a new key for a new request",
            errors={HEADER: ["already used with a different request"]},
        )
    response = current_app.response_class(
        stored["body"], status=stored["status"], headers=dict(stored["headers"])
    )
    response.headers["Idempotent-Replayed"] = "true"
    return response
