"""The segment pages: the list of segments and the rule editor with a live count.

The editor works without scripts (the rules are a JSON text); ``segments.js``
adds a builder that writes that text and asks the API for the live count.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import Connection
from werkzeug.wrappers import Response

from ..auth import current_actor
from ..customers import InvalidInput, NotFound
from ..security import Actor
from ..web.shell import host
from . import segment_members, segment_service
from .tables import DYNAMIC, STATIC

pages = Blueprint(
    "segments_pages",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/crm-segments",
)
PREVIEW = 50
STARTER: dict[str, list[Any]] = {"all": []}


def _require(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        abort(403, f"Your role does not allow this (it needs '{permission}').")


@pages.route("/segments")
def index() -> str:
    """Every segment with its size at the last refresh."""
    actor = current_actor()
    _require(actor, "segment.read")
    with host().db.connect() as connection:
        items = segment_service(host()).list(connection, actor)
    return render_template(
        "crm/segments/list.html",
        items=items,
        can_manage=actor.can("segment.manage"),
    )


@pages.route("/segments/new", methods=["GET", "POST"])
def new() -> Any:
    """The editor for a new segment."""
    actor = current_actor()
    _require(actor, "segment.manage")
    form = {"name": "", "description": "", "kind": DYNAMIC, "rules": STARTER}
    errors: dict[str, Any] = {}
    if request.method == "POST":
        form, errors = _read_form(creating=True)
        if not errors:
            try:
                with host().db.transaction() as connection:
                    made = segment_service(host()).create(connection, actor, form)
            except InvalidInput as error:
                errors = error.errors
            else:
                flash(f"Segment {made['name']!r} saved.", "success")
                return redirect(url_for("segments_pages.edit", segment_id=made["id"]))
    return _editor(None, form, errors, [])


@pages.route("/segments/<int:segment_id>", methods=["GET", "POST"])
def edit(segment_id: int) -> Any:
    """A segment's editor, with the first of its members."""
    actor = current_actor()
    _require(actor, "segment.read")
    with host().db.connect() as connection:
        found = _found(connection, actor, segment_id)
        members, _ = segment_members(host()).page(
            connection, actor, segment_id, None, PREVIEW
        )
    form: dict[str, Any] = dict(found)
    errors: dict[str, Any] = {}
    if request.method == "POST":
        _require(actor, "segment.manage")
        form, errors = _read_form(creating=False, kind=found["kind"])
        if not errors:
            try:
                with host().db.transaction() as connection:
                    segment_service(host()).update(connection, actor, segment_id, form)
            except InvalidInput as error:
                errors = error.errors
            else:
                flash("Segment saved.", "success")
                return redirect(url_for("segments_pages.edit", segment_id=segment_id))
        form["kind"] = found["kind"]
    return _editor(found, form, errors, members)


@pages.route("/segments/<int:segment_id>/delete", methods=["POST"])
def delete(segment_id: int) -> Response:
    actor = current_actor()
    _require(actor, "segment.manage")
    with host().db.transaction() as connection:
        found = _found(connection, actor, segment_id)
        segment_service(host()).delete(connection, actor, segment_id)
    flash(f"Segment {found['name']!r} deleted.", "success")
    return redirect(url_for("segments_pages.index"))


@pages.route("/segments/<int:segment_id>/refresh", methods=["POST"])
def refresh(segment_id: int) -> Response:
    actor = current_actor()
    _require(actor, "segment.manage")
    with host().db.transaction() as connection:
        _found(connection, actor, segment_id)
        moved = segment_members(host()).refresh(connection, segment_id)
    flash(
        f"Refreshed: {len(moved.entered)} entered, {len(moved.left)} left.", "success"
    )
    return redirect(url_for("segments_pages.edit", segment_id=segment_id))


def _found(connection: Connection, actor: Actor, segment_id: int) -> dict[str, Any]:
    try:
        return segment_service(host()).get(connection, actor, segment_id)
    except NotFound:
        abort(404, f"There is no segment {segment_id}.")


def _read_form(
    *, creating: bool, kind: str = DYNAMIC
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The submitted segment, and what is wrong with its rules text."""
    form: dict[str, Any] = {
        "name": request.form.get("name", "").strip(),
        "description": request.form.get("description", "").strip(),
    }
    if creating:
        form["kind"] = request.form.get("kind", DYNAMIC)
        kind = form["kind"]
    if kind == STATIC:
        return form, {}
    text = request.form.get("rules", "").strip() or json.dumps(STARTER)
    try:
        form["rules"] = json.loads(text)
    except json.JSONDecodeError as error:
        form["rules"] = text
        return form, {"rules": [f"the rules are not valid JSON ({error.msg})"]}
    return form, {}


def _editor(
    found: dict[str, Any] | None,
    form: dict[str, Any],
    errors: dict[str, Any],
    members: list[dict[str, Any]],
) -> tuple[str, int]:
    rules = form.get("rules")
    text = rules if isinstance(rules, str) else json.dumps(rules or STARTER, indent=2)
    context = {
        "segment": found,
        "form": form,
        "rules_text": text,
        "errors": errors,
        "members": members,
        "preview": PREVIEW,
        "can_manage": current_actor().can("segment.manage"),
    }
    return render_template("crm/segments/edit.html", **context), 422 if errors else 200
