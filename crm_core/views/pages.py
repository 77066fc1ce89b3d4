"""Saved views and bulk actions on the customer list page.

The list page includes ``crm/views/_list_tools.html``; the context it needs
is added here for that page only, and its forms post to the routes below,
which go back to the list with its parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, request, url_for
from sqlalchemy import Connection, select
from werkzeug.wrappers import Response

from ..auth import current_actor
from ..contributions import FieldType
from ..customers import Blocked, InvalidInput, NotFound
from ..security import Actor, PermissionDenied
from ..storage import schema
from ..web.shell import host, signed_in
from . import bulk_actions, saved_views
from .bulk import CORE_FIELDS, PERMISSIONS
from .saved import list_arguments

pages = Blueprint("views_pages", __name__, template_folder="templates")

LIST_ENDPOINT = "pages.customers"
ACTION_LABELS = {
    "assign_owner": "Assign owner",
    "set_field": "Set a field",
    "add_tag": "Add a tag",
    "remove_tag": "Remove a tag",
    "delete": "Delete",
}
_NOT_FILTERS = ("cursor", "limit")


@pages.app_context_processor
def list_tools() -> dict[str, Any]:
    """Saved views and bulk actions for the customer list, and nothing elsewhere."""
    actor = signed_in()
    if request.endpoint != LIST_ENDPOINT or actor is None:
        return {}
    with host().db.connect() as connection:
        return {"view_tools": _tools(connection, actor)}


def _tools(connection: Connection, actor: Actor) -> dict[str, Any]:
    actions = [
        (name, label)
        for name, label in ACTION_LABELS.items()
        if actor.can(PERMISSIONS[name])
    ]
    specs = host().fields.for_type(connection, "customer")
    fields = [*CORE_FIELDS, *(n for n, s in specs.items() if not s.sensitive)]
    u = schema.user
    owners = connection.execute(
        select(u.c.id, u.c.name).where(u.c.is_active.is_(True)).order_by(u.c.name)
    ).all()
    return {
        "views": saved_views(host()).list(connection, actor),
        "args": _list_args(request.args),
        "actions": actions,
        "can_bulk": bool(actions) and actor.can("customer.update"),
        "can_share": actor.can("view.share"),
        "fields": fields,
        "owners": owners,
    }


def _list_args(args: Mapping[str, str]) -> dict[str, str]:
    return {
        key: value
        for key, value in args.items()
        if value.strip() and key not in _NOT_FILTERS
    }


def _back(args: Mapping[str, str]) -> Response:
    query = f"?{urlencode(dict(args))}" if args else ""
    return redirect(url_for(LIST_ENDPOINT) + query)


@pages.route("/customers/views", methods=["POST"])
def save_view() -> Response:
    """Save the list's current filters and sort under a name."""
    actor = current_actor()
    args = _prefixed(request.form, "list.")
    data = {
        "name": request.form.get("name", "").strip(),
        "shared": request.form.get("shared") == "1",
        "filters": {k: v for k, v in args.items() if k != "sort"},
        "sort": args.get("sort"),
    }
    try:
        with host().db.transaction() as connection:
            made = saved_views(host()).create(connection, actor, data)
    except (InvalidInput, PermissionDenied) as error:
        flash(f"The view was not saved: {_reason(error)}", "error")
        return _back(args)
    flash(f"View {made['name']!r} saved.", "success")
    return _back(args)


@pages.route("/customers/views/<int:view_id>")
def open_view(view_id: int) -> Response:
    """The customer list as a saved view shows it."""
    with host().db.connect() as connection:
        try:
            found = saved_views(host()).get(connection, current_actor(), view_id)
        except NotFound:
            abort(404, f"There is no view {view_id} that you may see.")
    return _back(list_arguments(found))


@pages.route("/customers/views/<int:view_id>/delete", methods=["POST"])
def delete_view(view_id: int) -> Response:
    try:
        with host().db.transaction() as connection:
            saved_views(host()).delete(connection, current_actor(), view_id)
    except NotFound:
        abort(404, f"There is no view {view_id} that you may see.")
    except PermissionDenied as error:
        abort(403, str(error))
    flash("View deleted.", "success")
    return redirect(url_for(LIST_ENDPOINT))


@pages.route("/customers/bulk", methods=["POST"])
def bulk() -> Response:
    """Apply a bulk action to the ticked rows or to every customer the filters match."""
    actor = current_actor()
    args = _prefixed(request.form, "list.")
    data: dict[str, Any] = {"action": request.form.get("action", "")}
    if request.form.get("target") == "filter":
        data["filter"] = args
    else:
        ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
        if not ids:
            flash("Tick the customers to change, or choose every match.", "error")
            return _back(args)
        data["ids"] = ids
    try:
        data.update(_action_values(data["action"], request.form))
        with host().db.transaction() as connection:
            result = bulk_actions(host()).run(connection, actor, data)
    except (InvalidInput, PermissionDenied, Blocked) as error:
        flash(f"Nothing was changed: {_reason(error)}", "error")
        return _back(args)
    summary = f"{result.changed} changed, {result.unchanged} already so"
    if result.refused or result.blocked:
        summary += f", {result.refused + result.blocked} refused (outside your reach)"
    flash(summary + ".", "success")
    return _back(args)


def _action_values(action: str, form: Mapping[str, str]) -> dict[str, Any]:
    if action == "assign_owner":
        owner = form.get("owner_id", "")
        return {"owner_id": int(owner)} if owner.isdigit() else {}
    if action in ("add_tag", "remove_tag"):
        return {"tag": form.get("tag", "").strip()}
    if action == "set_field":
        name = form.get("field", "")
        return {"field": name, "value": _typed(name, form.get("value", "").strip())}
    return {}


def _typed(name: str, raw: str) -> Any:
    """A form's text as the field's type expects it (the service checks it)."""
    if raw == "":
        return None
    with host().db.connect() as connection:
        spec = host().fields.for_type(connection, "customer").get(name)
    if spec is None:
        return raw
    if spec.type is FieldType.INTEGER and raw.lstrip("-").isdigit():
        return int(raw)
    if spec.type is FieldType.BOOLEAN:
        return {"true": True, "yes": True, "false": False, "no": False}.get(
            raw.lower(), raw
        )
    return raw


def _prefixed(form: Mapping[str, str], prefix: str) -> dict[str, str]:
    return {
        key.removeprefix(prefix): value
        for key, value in form.items()
        if key.startswith(prefix) and value.strip()
    }


def _reason(error: Exception) -> str:
    if isinstance(error, InvalidInput):
        return "; ".join(
            f"{key}: {message}"
            for key, messages in error.errors.items()
            for message in (messages if isinstance(messages, list) else [messages])
        )
    return str(error)
