"""Task pages: "My tasks", the task form, status buttons and the customer panel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ..auth import current_actor
from ..customers import InvalidInput, NotFound, VersionConflict
from ..security import Actor, PermissionDenied
from ..web.customer_views import active_users
from ..web.shell import host, page_error
from . import tasks_service
from .agenda import attention_count, customer_tasks, my_agenda, visible_tasks
from .records import OPEN, STATUSES
from .service import DEFAULT_REMIND_SETTING
from .times import local_text, zone_named

pages = Blueprint("tasks_pages", __name__, template_folder="templates")
pages.register_error_handler(HTTPException, page_error)

FORM_FIELDS = ("title", "notes", "assignee_id", "due_local", "remind_before")


class MyTasksLabel(str):
    """The "My tasks" navigation label, with the count of tasks needing attention.

    The navigation takes a label, so the count is worked out when the label
    is turned into text for a signed-in user's page.
    """

    def __str__(self) -> str:
        base = str.__str__(self)
        actor = g.get("actor") if _in_request() else None
        if actor is None or actor.user is None:
            return base
        with host().db.connect() as connection:
            count = attention_count(host(), connection, actor)
        return f"{_translated(base)} ({count})" if count else base


def _in_request() -> bool:
    from flask import has_request_context

    return has_request_context()


def _translated(text: str) -> str:
    try:
        from ..i18n import gettext
    except ImportError:
        return text
    return gettext(text)


@pages.route("/tasks")
def mine() -> str:
    """The signed-in user's open tasks: overdue, due soon, later, undated."""
    actor = _reader()
    with host().db.connect() as connection:
        groups = my_agenda(host(), connection, actor)
    return render_template("crm/tasks/mine.html", groups=groups, when=_when)


@pages.route("/tasks/all")
def visible() -> str:
    """Every task the user may see, by due time; ``?status=`` picks open, done..."""
    actor = _reader()
    status = request.args.get("status", OPEN)
    if status not in STATUSES:
        abort(400, f"{status!r} is not a task status ({', '.join(STATUSES)}).")
    with host().db.connect() as connection:
        items = visible_tasks(host(), connection, actor, status)
    return render_template(
        "crm/tasks/all.html",
        tasks=items,
        status=status,
        statuses=STATUSES,
        when=_when,
        can_update=actor.can("task.update"),
    )


@pages.route("/tasks/new", methods=["GET", "POST"])
def task_new() -> Any:
    """A form for a new task, optionally on a customer (``?customer_id=``)."""
    actor = current_actor()
    _require(actor, "task.create")
    customer_id = request.values.get("customer_id", "").strip() or None
    if request.method == "GET":
        values = {"assignee_id": str(actor.id or ""), "remind_before": _default()}
        return _form(values, customer_id=customer_id)
    values = _posted()
    data = _as_input(values, customer_id)
    try:
        with host().db.transaction() as connection:
            made = tasks_service(host()).create(connection, actor, data)
    except (InvalidInput, PermissionDenied) as error:
        return _form(values, customer_id=customer_id, error=error), 400
    flash(f"The task {made['title']!r} was created.", "success")
    return _back(made)


@pages.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
def task_edit(task_id: int) -> Any:
    """Change a task; the form carries the version it was read at."""
    actor = current_actor()
    _require(actor, "task.update")
    service = tasks_service(host())
    with host().db.connect() as connection:
        try:
            current = service.get(connection, actor, task_id)
        except NotFound:
            abort(404, f"There is no task {task_id} that you may see.")
    if request.method == "GET":
        return _form(_stored_values(current), task=current)
    values = _posted()
    data = {**_as_input(values, None), "status": request.form.get("status", "open")}
    data.pop("customer_id", None)
    version = request.form.get("version", type=int)
    try:
        with host().db.transaction() as connection:
            changed = service.update(connection, actor, task_id, data, version)
    except VersionConflict:
        flash("Someone changed this task meanwhile; here it is as saved now.", "error")
        return redirect(url_for("tasks_pages.task_edit", task_id=task_id))
    except (InvalidInput, PermissionDenied) as error:
        return _form(values, task=current, error=error), 400
    flash(f"The task {changed['title']!r} was saved.", "success")
    return _back(changed)


@pages.route("/tasks/<int:task_id>/status", methods=["POST"])
def task_status(task_id: int) -> Response:
    """Mark a task done, cancelled or open again, then go back."""
    actor = current_actor()
    status = request.form.get("status", "")
    if status not in STATUSES:
        abort(400, f"{status!r} is not a task status ({', '.join(STATUSES)}).")
    try:
        with host().db.transaction() as connection:
            changed = tasks_service(host()).update(
                connection, actor, task_id, {"status": status}
            )
    except NotFound:
        abort(404, f"There is no task {task_id} that you may see.")
    except PermissionDenied as error:
        abort(403, str(error))
    flash(f"The task {changed['title']!r} is {status} now.", "success")
    return _back(changed)


def customer_tasks_panel(customer: Mapping[str, Any], actor: Actor) -> str:
    """The customer's tasks with a link to add one."""
    with host().db.connect() as connection:
        items = customer_tasks(host(), connection, actor, customer["id"])
    return render_template(
        "crm/tasks/panel.html",
        customer=customer,
        tasks=items,
        can_create=actor.can("task.create"),
        can_update=actor.can("task.update"),
        when=_when,
    )


# -- helpers -------------------------------------------------------------------


def _reader() -> Actor:
    actor = current_actor()
    _require(actor, "task.read")
    return actor


def _require(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        abort(403, f"Your role does not allow this (it needs '{permission}').")


def _when(item: Mapping[str, Any]) -> str:
    """A task's due time in its assignee's zone, with the zone's abbreviation."""
    return local_text(item["due_at"], zone_named(item["timezone"])) or "—"


def _default() -> str:
    from ..settings import settings_service

    value = settings_service(host()).get(DEFAULT_REMIND_SETTING)
    return "" if value is None else str(value)


def _posted() -> dict[str, str]:
    return {key: request.form.get(key, "").strip() for key in FORM_FIELDS}


def _as_input(values: Mapping[str, str], customer_id: str | None) -> dict[str, Any]:
    """Form text as the service's input: blank means none."""
    data: dict[str, Any] = {
        key: (value or None) for key, value in values.items() if key != "notes"
    }
    data["notes"] = values.get("notes", "")
    if not data.get("title"):
        data.pop("title", None)
    if customer_id is not None:
        data["customer_id"] = customer_id
    return data


def _stored_values(task: Mapping[str, Any]) -> dict[str, str]:
    local = task["due_local"]
    return {
        "title": task["title"],
        "notes": task["notes"],
        "assignee_id": str(task["assignee_id"]),
        "due_local": local.strftime("%Y-%m-%dT%H:%M") if local else "",
        "remind_before": ""
        if task["remind_before"] is None
        else str(task["remind_before"]),
    }


def _form(
    values: Mapping[str, str],
    *,
    customer_id: str | None = None,
    task: Mapping[str, Any] | None = None,
    error: Exception | None = None,
) -> str:
    errors: dict[str, list[str]] = {}
    general = None
    if isinstance(error, InvalidInput):
        errors = {key: list(map(str, msgs)) for key, msgs in error.errors.items()}
    elif error is not None:
        general = str(error)
    with host().db.connect() as connection:
        users = active_users(connection)
        zones = _zones(connection)
    return render_template(
        "crm/tasks/form.html",
        values=values,
        task=task,
        customer_id=customer_id,
        users=users,
        zones=zones,
        errors=errors,
        general=general,
        statuses=STATUSES,
    )


def _zones(connection: Any) -> dict[int, str]:
    from sqlalchemy import select

    from ..storage import schema

    u = schema.user
    rows = connection.execute(select(u.c.id, u.c.timezone).where(u.c.is_active))
    return {int(row.id): str(row.timezone) for row in rows}


def _back(task: Mapping[str, Any]) -> Response:
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return redirect(target)
    if task.get("customer_id"):
        return redirect(url_for("pages.customer", customer_id=task["customer_id"]))
    return redirect(url_for("tasks_pages.mine"))
