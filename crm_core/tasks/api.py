"""``/api/v1/tasks``: create, read, change and delete tasks; list them by filter."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import ColumnElement

from ..api.base import (
    CREATED_HEADERS,
    ETAG_HEADER,
    ID,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    IF_MATCH_OPTIONAL,
    IF_NONE_MATCH,
    ApiBlueprint,
    BadParameter,
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
from ..api.idempotency import run_post
from ..auth import current_actor
from ..customers import InvalidInput
from ..linked import ID_RANGE, encode_cursor, parse_list_args
from . import tasks_service
from .records import STATUSES, TaskInputSchema, public
from .tables import task


class TaskSchema(Schema):
    """A task as the API shows it."""

    id = fields.Integer()
    title = fields.String()
    notes = fields.String()
    customer_id = fields.Integer(allow_none=True)
    record_type = fields.String(allow_none=True)
    record_id = fields.String(allow_none=True)
    assignee_id = fields.Integer()
    assignee_name = fields.String(allow_none=True)
    team_id = fields.Integer(allow_none=True)
    created_by = fields.Integer(allow_none=True)
    status = fields.String(metadata={"description": "open, done or cancelled"})
    due_at = fields.DateTime(allow_none=True, metadata={"description": "in UTC"})
    due_local = fields.NaiveDateTime(
        allow_none=True, metadata={"description": "in the assignee's time zone"}
    )
    timezone = fields.String(metadata={"description": "the assignee's time zone"})
    remind_before = fields.Integer(
        allow_none=True, metadata={"description": "minutes before due_at"}
    )
    remind_at = fields.DateTime(allow_none=True)
    reminded_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    version = fields.Integer(metadata={"description": "also sent as the ETag"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    deleted_at = fields.DateTime(allow_none=True)


class TaskPageSchema(Schema):
    items = fields.List(fields.Nested(TaskSchema))
    next_cursor = fields.String(allow_none=True)


class TaskListArgsSchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    assignee_id = fields.Integer(validate=ID_RANGE)
    customer_id = fields.Integer(validate=ID_RANGE)
    record_type = fields.String(validate=validate.Length(1, 80))
    record_id = fields.String(validate=validate.Length(1, 64))
    mine = fields.Boolean()
    due_before = fields.AwareDateTime()
    limit = fields.Raw()
    cursor = fields.Raw()


LIST_PARAMETERS = [
    {"in": "query", "name": name, "schema": {"type": kind}}
    for name, kind in (
        ("status", "string"),
        ("assignee_id", "integer"),
        ("customer_id", "integer"),
        ("record_type", "string"),
        ("record_id", "string"),
        ("mine", "boolean"),
        ("due_before", "string"),
        ("cursor", "string"),
        ("limit", "integer"),
    )
]
DUE_HELP = (
    "Give due_at with its offset (2025-03-31T09:00:00+02:00), or due_local as "
    "the assignee's wall-clock time (2025-03-31T09:00). A local time skipped "
    "by a summer-time change is refused; one that happens twice means the "
    "first."
)


def make_blueprint() -> ApiBlueprint:
    blp = ApiBlueprint(
        "api_tasks",
        url_prefix="/tasks",
        description="Tasks: to-dos with a due time and a reminder",
        record_schema=TaskSchema,
    )
    # Bind the reminder jobs to the host as the app starts.
    blp.record_once(lambda state: tasks_service(state.app.extensions["crm"]))

    @blp.route("", endpoint="tasks")
    class Tasks(MethodView):
        @blp.doc(parameters=LIST_PARAMETERS)
        @blp.response(200, TaskPageSchema)
        @blp.problems(400, 403)
        def get(self) -> Response:
            """List the tasks you may see, oldest first"""
            return _list()

        @blp.doc(
            parameters=[IDEMPOTENCY_KEY],
            description=DUE_HELP,
            requestBody=json_body(TaskInputSchema, "The new task"),
        )
        @blp.response(201, TaskSchema, headers=CREATED_HEADERS)
        @blp.problems(400, 403, 409, 422)
        def post(self) -> Response:
            """Create a task"""
            data = request_body()

            def write(connection: Any) -> Response:
                service = tasks_service(crm_host())
                made = service.create(connection, current_actor(), data)
                location = url_for("api_tasks.task", task_id=made["id"])
                return record_response(made, TaskSchema, 201, location)

            return run_post(write)

    @blp.route(f"/<{ID}:task_id>", endpoint="task")
    class OneTask(MethodView):
        @blp.doc(parameters=[IF_NONE_MATCH])
        @blp.response(200, TaskSchema, headers=ETAG_HEADER)
        @blp.alt_response(304, description="Not Modified")
        @blp.problems(404)
        def get(self, task_id: int) -> Response:
            """Read a task"""
            with crm_host().db.connect() as connection:
                found = tasks_service(crm_host()).get(
                    connection, current_actor(), task_id
                )
            return not_modified(found["version"]) or record_response(found, TaskSchema)

        @blp.doc(
            parameters=[IF_MATCH],
            description=DUE_HELP,
            requestBody=json_body(TaskInputSchema, "The fields to change"),
        )
        @blp.response(200, TaskSchema, headers=ETAG_HEADER)
        @blp.problems(400, 403, 404, 412, 422, 428)
        def patch(self, task_id: int) -> Response:
            """Change a task (status done or cancelled finishes it)"""
            tags = if_match(required=True)
            data = request_body()
            service, actor = tasks_service(crm_host()), current_actor()
            with crm_host().db.transaction() as connection:
                version = expected_version(
                    tags, lambda: service.get(connection, actor, task_id)["version"]
                )
                changed = service.update(connection, actor, task_id, data, version)
            return record_response(changed, TaskSchema)

        @blp.doc(parameters=[IF_MATCH_OPTIONAL])
        @blp.response(204)
        @blp.problems(400, 403, 404, 412)
        def delete(self, task_id: int) -> Response:
            """Delete a task"""
            tags = if_match(required=False)
            service, actor = tasks_service(crm_host()), current_actor()
            with crm_host().db.transaction() as connection:
                version = expected_version(
                    tags, lambda: service.get(connection, actor, task_id)["version"]
                )
                service.delete(connection, actor, task_id, version)
            return Response(status=204)

    return blp


def _list() -> Response:
    actor = current_actor()
    actor.require("task.read")
    try:
        args = parse_list_args(
            list_args(), TaskListArgsSchema(), cursor=[int], **page_limits()
        )
    except InvalidInput as error:
        raise BadParameter(error.errors) from None
    query = tasks_service(crm_host()).query(actor)
    for name, value in args.filters.items():
        query = query.where(_filter(name, value, actor.id))
    if args.cursor:
        query = query.where(task.c.id > args.cursor[0])
    query = query.order_by(task.c.id).limit(args.limit + 1)
    with crm_host().db.connect() as connection:
        items = [public(row) for row in connection.execute(query).mappings()]
    cursor = None
    if len(items) > args.limit:
        items = items[: args.limit]
        cursor = encode_cursor([items[-1]["id"]])
    page = {"items": items, "next_cursor": cursor}
    return json_response(dumper(TaskPageSchema).dump(page))


def _filter(name: str, value: Any, actor_id: int | None) -> ColumnElement[bool]:
    if name == "mine":
        mine = task.c.assignee_id == actor_id
        return mine if value else ~mine
    if name == "due_before":
        return task.c.due_at < value
    column: Any = task.c[name]
    return column == value
