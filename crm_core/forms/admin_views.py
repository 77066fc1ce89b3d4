"""Administrators' Forms pages: every form, the copy to embed, the form editor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import Connection, func, select
from werkzeug.wrappers import Response

from ..auth import current_actor
from ..customers import InvalidInput, NotFound
from ..entities import CONSENT_PURPOSES
from ..i18n import gettext
from ..importing.pipeline import ATTRIBUTE
from ..importing.rules import ValueOptions, schema_rules
from ..security import Actor
from ..web.shell import host
from . import registry
from .confirmation import PURPOSES
from .pages import FIELD_LABELS, embed_code, forms_pages
from .spec import FORBIDDEN_FIELDS
from .tables import submission


def _admin() -> Actor:
    actor = current_actor()
    if not actor.can("admin.forms"):
        abort(
            403,
            gettext(
                "Your role does not allow this (it needs '%(permission)s').",
                permission="admin.forms",
            ),
        )
    return actor


@forms_pages.route("/admin/forms")
def forms() -> str:
    """Every web form, with its address and whether it waits for confirmations."""
    _admin()
    with host().db.connect() as connection:
        found = registry.every(host(), connection)
        waiting: dict[str, int] = dict(
            connection.execute(
                select(submission.c.form, func.count())
                .where(submission.c.status == "pending")
                .group_by(submission.c.form)
            ).all()
        )
    return render_template("crm/forms/list.html", forms=found, waiting=waiting)


@forms_pages.route("/admin/forms/<name>")
def form_detail(name: str) -> str:
    """One form: its public address and the HTML to paste into another site."""
    _admin()
    with host().db.connect() as connection:
        try:
            found = registry.find(host(), connection, name)
            code = embed_code(connection, found)
        except NotFound:
            abort(404, gettext("There is no such form."))
        except InvalidInput as error:
            abort(409, "; ".join(str(m) for ms in error.errors.values() for m in ms))
    return render_template("crm/forms/detail.html", found=found, code=code)


def available_fields(connection: Connection, record_type: str) -> list[tuple[str, str]]:
    """(field, label) a form of ``record_type`` may offer: import and custom fields."""
    types = host().record_types()
    chosen = types.get(record_type)
    if chosen is None:
        return []
    names = [
        n
        for n in schema_rules(chosen.schema, ValueOptions())
        if n not in FORBIDDEN_FIELDS
    ]
    offered = [(name, str(FIELD_LABELS.get(name, name))) for name in names]
    if chosen.custom_fields:
        for name, spec in (
            host().fields.for_type(connection, chosen.custom_fields).items()
        ):
            offered.append((ATTRIBUTE + name, spec.label or name))
    return offered


def posted_spec(
    form: Mapping[str, str], offered: list[tuple[str, str]]
) -> dict[str, Any]:
    """Form-editor input as :class:`~crm_core.forms.FormSpec` data."""
    fields = [
        {
            "name": name.removeprefix(ATTRIBUTE),
            "label": form.get(f"label-{name}", "").strip(),
            "required": f"required-{name}" in form,
        }
        for name, _label in offered
        if f"use-{name}" in form
    ]
    constants = {}
    for line in form.get("constants", "").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            constants[key.strip()] = value.strip()
    return {
        "name": form.get("name", "").strip(),
        "record_type": form.get("record_type", "customers"),
        "title": form.get("title", "").strip(),
        "intro": form.get("intro", "").strip(),
        "submit_label": form.get("submit_label", "").strip(),
        "fields": fields,
        "consent_purpose": form.get("consent_purpose") or None,
        "consent_label": form.get("consent_label", "").strip(),
        "consent_required": "consent_required" in form,
        "thanks": form.get("thanks", "").strip(),
        "redirect_url": form.get("redirect_url", "").strip() or None,
        "constants": constants,
    }


def _editor(
    data: Mapping[str, Any], errors: Mapping[str, Any], stored_name: str | None
) -> str:
    with host().db.connect() as connection:
        offered = available_fields(
            connection, str(data.get("record_type", "customers"))
        )
    names = {name for name, _label in offered}
    chosen = {}
    for field in data.get("fields", []):
        name = str(field["name"])
        key = name if name in names else ATTRIBUTE + name.removeprefix(ATTRIBUTE)
        chosen[key] = field
    return render_template(
        "crm/forms/edit.html",
        data=data,
        errors=errors,
        offered=offered,
        chosen=chosen,
        stored_name=stored_name,
        record_types=sorted(host().record_types()),
        purposes=[(p, gettext(PURPOSES[p])) for p in CONSENT_PURPOSES],
    )


@forms_pages.route("/admin/forms/new", methods=["GET", "POST"])
def new_form() -> Any:
    """Make a form to put on a website."""
    return _edit(None)


@forms_pages.route("/admin/forms/<name>/edit", methods=["GET", "POST"])
def edit_form(name: str) -> Any:
    """Change a stored form (forms plugins declare are changed in their code)."""
    return _edit(name)


def _edit(name: str | None) -> Any:
    actor = _admin()
    if request.method == "GET":
        data: dict[str, Any] = {
            "record_type": "customers",
            "fields": [{"name": "email", "required": True}],
        }
        if name is not None:
            with host().db.connect() as connection:
                found = _stored_or_404(connection, name)
            data = found.spec.as_dict()
        return _editor(data, {}, name)
    with host().db.connect() as connection:
        offered = available_fields(
            connection, request.form.get("record_type", "customers")
        )
    data = posted_spec(request.form, offered)
    try:
        with host().db.transaction() as connection:
            spec = registry.save(host(), connection, actor, data, name)
    except InvalidInput as error:
        return _editor(data, error.errors, name), 400
    flash(gettext("The form %(name)s was saved.", name=spec.name), "success")
    return redirect(url_for("forms_pages.form_detail", name=spec.name))


def _stored_or_404(connection: Connection, name: str) -> registry.FoundForm:
    try:
        found = registry.find(host(), connection, name)
    except NotFound:
        abort(404, gettext("There is no such form."))
    if not found.stored:
        abort(
            404, gettext("This form is declared by a plugin and changed in its code.")
        )
    return found


@forms_pages.route("/admin/forms/<name>/delete", methods=["POST"])
def delete_form(name: str) -> Response:
    """Remove a stored form."""
    actor = _admin()
    try:
        with host().db.transaction() as connection:
            registry.delete(connection, actor, name)
    except NotFound:
        abort(404, gettext("There is no such form."))
    flash(gettext("The form %(name)s was removed.", name=name), "success")
    return redirect(url_for("forms_pages.forms"))


@forms_pages.route("/admin/forms/<name>/renew", methods=["POST"])
def renew_key(name: str) -> Response:
    """Give a stored form a new key; copies pasted elsewhere must be pasted again."""
    actor = _admin()
    try:
        with host().db.transaction() as connection:
            registry.renew_key(connection, actor, name)
    except NotFound:
        abort(404, gettext("There is no such form."))
    flash(
        gettext("The form has a new key; paste its new copy where it is embedded."),
        "success",
    )
    return redirect(url_for("forms_pages.form_detail", name=name))
