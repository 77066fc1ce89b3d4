"""``/api/v1/files``: upload to a record, list a record's files, download, delete."""

from __future__ import annotations

import base64
import binascii
import io
from pathlib import Path
from typing import Any

from flask import Response, request, send_file, url_for
from flask.views import MethodView
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from ..api.base import (
    ID,
    IDEMPOTENCY_KEY,
    LOCATION_HEADER,
    ApiBlueprint,
    BadParameter,
    crm_host,
    dumper,
    json_response,
    list_args,
    page_limits,
    request_body,
)
from ..api.idempotency import run_post
from ..auth import current_actor
from ..customers import InvalidInput
from ..linked import encode_cursor, load_input, parse_list_args
from . import files_service
from .content import FileRefused

#: Downloads are never rendered by the browser as a page of this site.
DOWNLOAD_HEADERS = {
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
}


class FileSchema(Schema):
    """A stored file: its name, type, size and digest (the bytes are separate)."""

    id = fields.Integer()
    record_type = fields.String()
    record_id = fields.String()
    name = fields.String(metadata={"description": "the name it was uploaded with"})
    content_type = fields.String(metadata={"description": "from the file's bytes"})
    size = fields.Integer(metadata={"description": "in bytes"})
    sha256 = fields.String(metadata={"description": "hex digest of the bytes"})
    uploaded_by = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    deleted_at = fields.DateTime(allow_none=True)


class FilePageSchema(Schema):
    items = fields.List(fields.Nested(FileSchema))
    next_cursor = fields.String(allow_none=True)


class FileListArgsSchema(Schema):
    record_type = fields.String(required=True, validate=validate.Length(1, 80))
    record_id = fields.String(required=True, validate=validate.Length(1, 64))
    include_deleted = fields.Boolean(load_default=False)
    limit = fields.Raw()
    cursor = fields.Raw()


LIST_PARAMETERS = [
    {
        "in": "query",
        "name": "record_type",
        "required": True,
        "schema": {"type": "string"},
    },
    {
        "in": "query",
        "name": "record_id",
        "required": True,
        "schema": {"type": "string"},
    },
    {"in": "query", "name": "include_deleted", "schema": {"type": "boolean"}},
    {"in": "query", "name": "cursor", "schema": {"type": "string"}},
    {"in": "query", "name": "limit", "schema": {"type": "integer", "minimum": 1}},
]


class Base64Field(fields.Field[bytes]):
    """Bytes sent as base64 text."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bytes:
        try:
            return base64.b64decode(str(value), validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("not base64 text") from None


class Base64UploadSchema(Schema):
    """An upload as JSON, for clients that cannot send a multipart form."""

    class Meta:
        unknown = RAISE

    record_type = fields.String(required=True, validate=validate.Length(1, 80))
    record_id = fields.String(required=True, validate=validate.Length(1, 64))
    name = fields.String(required=True, validate=validate.Length(1, 255))
    content = Base64Field(required=True, metadata={"type": "string", "format": "byte"})


UPLOAD_BODY = {
    "required": True,
    "description": "The file and the record it belongs to; multipart is the "
    "better choice for large files",
    "content": {
        "application/json": {"schema": Base64UploadSchema},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["record_type", "record_id", "file"],
                "properties": {
                    "record_type": {"type": "string", "example": "customer"},
                    "record_id": {"type": "string", "example": "42"},
                    "file": {"type": "string", "format": "binary"},
                },
            }
        },
    },
}


def make_blueprint() -> ApiBlueprint:
    blp = ApiBlueprint(
        "api_files",
        url_prefix="/files",
        description="Files attached to records; reachable by those who may see "
        "the record",
    )

    @blp.route("", endpoint="files")
    class Files(MethodView):
        @blp.doc(parameters=LIST_PARAMETERS)
        @blp.response(200, FilePageSchema)
        @blp.problems(400, 403, 404)
        def get(self) -> Response:
            """List the files on one record, oldest first"""
            try:
                args = parse_list_args(
                    list_args(), FileListArgsSchema(), cursor=[int], **page_limits()
                )
            except InvalidInput as error:
                raise BadParameter(error.errors) from None
            after = args.cursor[0] if args.cursor else 0
            with crm_host().db.connect() as connection:
                items = files_service(crm_host()).list(
                    connection,
                    current_actor(),
                    args.filters["record_type"],
                    args.filters["record_id"],
                    include_deleted=args.filters["include_deleted"],
                    after_id=after,
                    limit=args.limit + 1,
                )
            cursor = None
            if len(items) > args.limit:
                items = items[: args.limit]
                cursor = encode_cursor([items[-1]["id"]])
            page = {"items": items, "next_cursor": cursor}
            return json_response(dumper(FilePageSchema).dump(page))

        @blp.doc(parameters=[IDEMPOTENCY_KEY], requestBody=UPLOAD_BODY)
        @blp.response(201, FileSchema, headers=LOCATION_HEADER)
        @blp.problems(400, 403, 404, 422)
        def post(self) -> Response:
            """Upload a file to a record (a multipart form, or JSON with base64)"""
            upload = _upload()

            def write(connection: Any) -> Response:
                stored = files_service(crm_host()).store(
                    connection, current_actor(), **upload
                )
                location = url_for("api_files.file", file_id=stored["id"])
                body = dumper(FileSchema).dump(stored)
                return json_response(body, 201, {"Location": location})

            return run_post(write)

    @blp.route(f"/<{ID}:file_id>", endpoint="file")
    class OneFile(MethodView):
        @blp.response(200, FileSchema)
        @blp.problems(403, 404)
        def get(self, file_id: int) -> Response:
            """Describe one file"""
            with crm_host().db.connect() as connection:
                found = files_service(crm_host()).get(
                    connection, current_actor(), file_id
                )
            return json_response(dumper(FileSchema).dump(found))

        @blp.response(204)
        @blp.problems(403, 404, 409)
        def delete(self, file_id: int) -> Response:
            """Delete a file (it can be restored)"""
            with crm_host().db.transaction() as connection:
                files_service(crm_host()).delete(connection, current_actor(), file_id)
            return Response(status=204)

    @blp.route(f"/<{ID}:file_id>/content")
    @blp.response(200, description="The file's bytes, as an attachment")
    @blp.problems(403, 404)
    def file_content(file_id: int) -> Response:
        """Download a file's bytes"""
        with crm_host().db.connect() as connection:
            found, path = files_service(crm_host()).open(
                connection, current_actor(), file_id
            )
        return download(found, path)

    @blp.route(f"/<{ID}:file_id>/restore", methods=["POST"])
    @blp.doc(parameters=[IDEMPOTENCY_KEY])
    @blp.response(200, FileSchema)
    @blp.problems(403, 404, 409)
    def restore_file(file_id: int) -> Response:
        """Restore a deleted file"""

        def write(connection: Any) -> Response:
            found = files_service(crm_host()).restore(
                connection, current_actor(), file_id
            )
            return json_response(dumper(FileSchema).dump(found))

        return run_post(write)

    return blp


def _upload() -> dict[str, Any]:
    """The record and file of an upload, from a multipart form or a JSON body."""
    if request.mimetype == "application/json":
        data = load_input(Base64UploadSchema(), request_body())
        return {
            "record_type": data["record_type"],
            "record_id": data["record_id"],
            "name": data["name"],
            "stream": io.BytesIO(data["content"]),
        }
    if request.headers.get("Idempotency-Key"):
        # Read the body before the form parser drains it: the key's digest needs it.
        request.get_data(cache=True)
    upload = request.files.get("file")
    if upload is None:
        raise FileRefused("send the file in the multipart field 'file'")
    return {
        "record_type": request.form.get("record_type", ""),
        "record_id": request.form.get("record_id", ""),
        "name": upload.filename or "",
        "stream": upload.stream,
    }


def download(found: dict[str, Any], path: Path) -> Response:
    """The bytes of a file as an attachment under its original name."""
    response = send_file(
        path,
        mimetype=found["content_type"],
        as_attachment=True,
        download_name=found["name"],
        conditional=False,
        etag=found["sha256"],
        max_age=0,
    )
    response.headers.update(DOWNLOAD_HEADERS)
    return response
