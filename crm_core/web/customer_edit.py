"""Creating and changing customers through the form.

The form carries the version it was read at; saving over someone else's
newer change is refused and the page shows both sides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import Connection, select

from ..auth import current_actor
from ..customers import InvalidInput, NotFound, VersionConflict
from ..i18n import gettext, lazy_gettext, term
from ..security import Actor, PermissionDenied
from ..storage import schema
from . import customer_form as cf
from .customer_views import active_users, require
from .shell import host, pages

CONFLICT = lazy_gettext(
    "Someone else saved this customer while you were editing it. Your changes "
    "are not saved yet: the saved values are shown below and beside each field. "
    "Check them, then save again to keep yours."
)


@pages.route("/customers/new", methods=["GET", "POST"])
def customer_new() -> Any:
    """A form for a new person or organisation."""
    actor = current_actor()
    require(actor, "customer.create")
    with host().db.connect() as connection:
        specs = _form_specs(connection, actor)
    if request.method == "GET":
        kind = request.args.get("kind", "person")
        values = cf.form_values(
            {"kind": kind if kind in cf.KINDS else "person"},
            specs,
            actor.user.email if actor.user else "",
        )
        return _render(actor, specs, values, mode="new")
    values = cf.posted_values(request.form, specs)
    data, errors, origin = cf.to_input(values, specs, with_owner=_assigns(actor))
    if errors:
        return _render(actor, specs, values, mode="new", errors=errors), 400
    try:
        with host().db.transaction() as connection:
            created = host().customers.create(connection, actor, data)
    except InvalidInput as error:
        errors, general = cf.errors_by_field(error.errors, origin)
        page = _render(actor, specs, values, mode="new", errors=errors, general=general)
        return page, 400
    except PermissionDenied as error:
        abort(403, str(error))
    flash(gettext("%(name)s was created.", name=created["display_name"]), "success")
    return redirect(url_for("pages.customer", customer_id=created["id"]))


@pages.route("/customers/<int:customer_id>/edit", methods=["GET", "POST"])
def customer_edit(customer_id: int) -> Any:
    """Change a customer; a stale form is refused with the saved values shown."""
    actor = current_actor()
    require(actor, "customer.update")
    with host().db.connect() as connection:
        specs = _form_specs(connection, actor)
        current = _readable(connection, actor, customer_id)
        saved = cf.form_values(current, specs, _owner_email(connection, current))
    if request.method == "GET":
        return _render(actor, specs, saved, mode="edit", customer=current)
    values = cf.posted_values(request.form, specs)
    version = _posted_version()
    data, errors, origin = cf.to_input(values, specs, with_owner=_assigns(actor))
    if errors:
        page = _render(
            actor,
            specs,
            values,
            mode="edit",
            customer=current,
            errors=errors,
            version=version,
        )
        return page, 400
    cf.against_stored(data, current, specs)
    try:
        with host().db.transaction() as connection:
            updated = host().customers.update(
                connection, actor, customer_id, data, expected_version=version
            )
    except VersionConflict as conflict:
        return _conflict(actor, specs, values, conflict.current), 409
    except InvalidInput as error:
        errors, general = cf.errors_by_field(error.errors, origin)
        page = _render(
            actor,
            specs,
            values,
            mode="edit",
            customer=current,
            errors=errors,
            general=general,
            version=version,
        )
        return page, 400
    except NotFound:
        abort(404, _no_customer(customer_id))
    except PermissionDenied as error:
        abort(403, str(error))
    if updated["version"] == version:
        flash(gettext("Nothing was changed."), "info")
    else:
        flash(gettext("%(name)s was saved.", name=updated["display_name"]), "success")
    return redirect(url_for("pages.customer", customer_id=customer_id))


def _conflict(
    actor: Actor,
    specs: Mapping[str, Any],
    values: Mapping[str, Any],
    current: Mapping[str, Any],
) -> str:
    with host().db.connect() as connection:
        saved = cf.form_values(current, specs, _owner_email(connection, current))
    differences = cf.differences(values, saved, specs)
    return _render(
        actor,
        specs,
        values,
        mode="edit",
        customer=current,
        general=[CONFLICT],
        conflict={d["key"]: d for d in differences},
        version=current["version"],
    )


def _readable(connection: Connection, actor: Actor, customer_id: int) -> Any:
    try:
        return host().customers.get(connection, actor, customer_id)
    except NotFound:
        abort(404, _no_customer(customer_id))


def _no_customer(customer_id: int) -> str:
    return gettext(
        "There is no customer %(number)s that you may change.", number=customer_id
    )


def _posted_version() -> int:
    raw = request.form.get("version", "")
    if not raw.isdigit():
        abort(
            400,
            gettext("The form is missing the version it was read at; reload the page."),
        )
    return int(raw)


def _assigns(actor: Actor) -> bool:
    return actor.can("customer.assign_owner")


def _form_specs(connection: Connection, actor: Actor) -> dict[str, Any]:
    specs = host().fields.for_type(connection, "customer")
    return cf.editable_fields(specs, actor.can("customer.read_sensitive"))


def _owner_email(connection: Connection, record: Mapping[str, Any]) -> str:
    owner_id = record.get("owner_id")
    if owner_id is None:
        return ""
    u = schema.user
    email = connection.execute(select(u.c.email).where(u.c.id == owner_id)).scalar()
    return str(email or "")


def _render(
    actor: Actor,
    specs: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    mode: str,
    customer: Mapping[str, Any] | None = None,
    errors: Mapping[str, list[str]] | None = None,
    general: list[str] | None = None,
    conflict: Mapping[str, Any] | None = None,
    version: int | None = None,
) -> str:
    owners: list[tuple[str, str]] = []
    if _assigns(actor):
        with host().db.connect() as connection:
            owners = [(u["email"], u["name"]) for u in active_users(connection)]
    if version is None and customer is not None:
        version = customer["version"]
    return render_template(
        "crm/customers/form.html",
        mode=mode,
        customer=customer,
        values=values,
        specs=specs,
        errors=errors or {},
        general=general or [],
        conflict=conflict or {},
        version=version,
        owners=owners,
        kinds=cf.KINDS,
        stage_options=[(stage, term(stage)) for stage in cf.STAGES],
        channel_options=[(channel, term(channel)) for channel in cf.PREFERRED_CHANNELS],
        labels=cf.LABELS,
    )
