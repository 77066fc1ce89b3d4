"""The routes of a record reached through customers: activities and relationships.

Both have the same life cycle (create, read, change with ``If-Match``, soft
delete, restore, list), so one factory builds their blueprints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import attrs
from flask import Response, url_for
from flask.views import MethodView
from marshmallow import Schema
from sqlalchemy import Connection

from ..auth import current_actor
from ..customers import InvalidInput
from ..linked import ListArgs, RecordPage, parse_list_args
from ..security import Actor
from .base import (
    CREATED_HEADERS,
    ETAG_HEADER,
    ID,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    IF_MATCH_OPTIONAL,
    IF_NONE_MATCH,
    ApiBlueprint,
    BadParameter,
    as_conflict,
    crm_host,
    dumper,
    expected_version,
    if_match,
    json_body,
    json_response,
    list_args,
    not_modified,
    page_limits,
    record_response,
    request_body,
)
from .idempotency import run_post

if TYPE_CHECKING:
    from ..host import Host


class RecordService(Protocol):
    """What the routes need of a record's service."""

    def get(
        self,
        connection: Connection,
        actor: Actor,
        record_id: int,
        /,
        *,
        include_deleted: bool = False,
    ) -> dict[str, Any]: ...

    def list(
        self, connection: Connection, actor: Actor, args: ListArgs, /
    ) -> RecordPage: ...

    def create(
        self, connection: Connection, actor: Actor, data: Mapping[str, Any], /
    ) -> dict[str, Any]: ...

    def update(
        self,
        connection: Connection,
        actor: Actor,
        record_id: int,
        data: Mapping[str, Any],
        expected_version: int | None = None,
        /,
    ) -> dict[str, Any]: ...

    def delete(
        self,
        connection: Connection,
        actor: Actor,
        record_id: int,
        expected_version: int | None = None,
        /,
    ) -> None: ...

    def restore(
        self, connection: Connection, actor: Actor, record_id: int, /
    ) -> dict[str, Any]: ...


@attrs.frozen
class RecordKind:
    """One kind of record and the schemas of its routes."""

    name: str
    plural: str
    service: Callable[[Host], RecordService]
    schema: type[Schema]
    page_schema: type[Schema]
    new_schema: type[Schema]
    change_schema: type[Schema]
    list_args: type[Schema]
    cursor: tuple[type, ...]
    description: str

    @property
    def title(self) -> str:
        return self.name.capitalize()


def parse_args(
    args_schema: type[Schema], cursor: tuple[type, ...], **forced: Any
) -> ListArgs:
    """The list parameters of this request; a 400 names a bad one."""
    try:
        args = parse_list_args(
            list_args(), args_schema(), cursor=cursor, **page_limits()
        )
    except InvalidInput as error:
        raise BadParameter(error.errors) from None
    return attrs.evolve(args, filters={**args.filters, **forced})


def page_response(page_schema: type[Schema], page: RecordPage) -> Response:
    body = {"items": page.items, "next_cursor": page.next_cursor}
    return json_response(dumper(page_schema).dump(body))


def list_doc(args_schema: type[Schema]) -> dict[str, Any]:
    return {"parameters": [{"in": "query", "schema": args_schema}]}


def make_blueprint(kind: RecordKind) -> ApiBlueprint:
    """The blueprint of ``/api/v1/<plural>`` for ``kind``."""
    blp = ApiBlueprint(
        f"api_{kind.plural}",
        url_prefix=f"/{kind.plural}",
        description=kind.description,
        record_schema=kind.schema,
    )
    _collection(blp, kind)
    _item(blp, kind)
    _restore(blp, kind)
    return blp


def _collection(blp: ApiBlueprint, kind: RecordKind) -> None:
    @blp.route("", endpoint=f"{kind.title}List")
    class Collection(MethodView):
        @blp.doc(summary=f"List {kind.plural}", **list_doc(kind.list_args))
        @blp.response(200, kind.page_schema)
        @blp.problems(400)
        def get(self) -> Response:
            args = parse_args(kind.list_args, kind.cursor)
            host = crm_host()
            with host.db.connect() as connection:
                page = kind.service(host).list(connection, current_actor(), args)
            return page_response(kind.page_schema, page)

        @blp.doc(
            summary=f"Create {_article(kind.name)}",
            parameters=[IDEMPOTENCY_KEY],
            requestBody=json_body(kind.new_schema, f"The new {kind.name}"),
        )
        @blp.response(201, kind.schema, headers=CREATED_HEADERS)
        @blp.problems(400, 403, 409, 422)
        def post(self) -> Response:
            data = request_body()

            def write(connection: Connection) -> Response:
                service = kind.service(crm_host())
                created = service.create(connection, current_actor(), data)
                location = url_for(f"{blp.name}.{kind.title}", record_id=created["id"])
                return record_response(created, kind.schema, 201, location)

            return run_post(write)


def _item(blp: ApiBlueprint, kind: RecordKind) -> None:
    @blp.route(f"/<{ID}:record_id>", endpoint=kind.title)
    class Item(MethodView):
        @blp.doc(summary=f"Read {_article(kind.name)}", parameters=[IF_NONE_MATCH])
        @blp.response(200, kind.schema, headers=ETAG_HEADER)
        @blp.alt_response(304, description="Not Modified")
        @blp.problems(404)
        def get(self, record_id: int) -> Response:
            host = crm_host()
            with host.db.connect() as connection:
                found = kind.service(host).get(connection, current_actor(), record_id)
            return not_modified(found["version"]) or record_response(found, kind.schema)

        @blp.doc(
            summary=f"Change {_article(kind.name)}",
            parameters=[IF_MATCH],
            requestBody=json_body(kind.change_schema, "The fields to change"),
        )
        @blp.response(200, kind.schema, headers=ETAG_HEADER)
        @blp.problems(400, 403, 404, 412, 422, 428)
        def patch(self, record_id: int) -> Response:
            tags = if_match(required=True)
            data = request_body()
            host, actor = crm_host(), current_actor()
            service = kind.service(host)
            with host.db.transaction() as connection:
                expected = expected_version(
                    tags,
                    lambda: service.get(connection, actor, record_id)["version"],
                )
                changed = service.update(connection, actor, record_id, data, expected)
            return record_response(changed, kind.schema)

        @blp.doc(
            summary=f"Delete {_article(kind.name)} (it can be restored)",
            parameters=[IF_MATCH_OPTIONAL],
        )
        @blp.response(204)
        @blp.problems(400, 403, 404, 412)
        def delete(self, record_id: int) -> Response:
            tags = if_match(required=False)
            host, actor = crm_host(), current_actor()
            service = kind.service(host)
            with host.db.transaction() as connection:
                expected = expected_version(
                    tags,
                    lambda: service.get(connection, actor, record_id)["version"],
                )
                service.delete(connection, actor, record_id, expected)
            return Response(status=204)


def _restore(blp: ApiBlueprint, kind: RecordKind) -> None:
    @blp.route(
        f"/<{ID}:record_id>/restore", methods=["POST"], endpoint=f"{kind.title}Restore"
    )
    @blp.doc(summary=f"Restore a deleted {kind.name}", parameters=[IDEMPOTENCY_KEY])
    @blp.response(200, kind.schema, headers=ETAG_HEADER)
    @blp.problems(400, 403, 404, 409)
    def restore(record_id: int) -> Response:
        def write(connection: Connection) -> Response:
            service = kind.service(crm_host())
            try:
                restored = service.restore(connection, current_actor(), record_id)
            except InvalidInput as error:
                raise as_conflict(error) from None
            return record_response(restored, kind.schema)

        return run_post(write)


def _article(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"
