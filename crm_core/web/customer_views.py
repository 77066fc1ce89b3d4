"""The customer list and the customer page."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy import Connection, select
from werkzeug.wrappers import Response

from ..auth import current_actor
from ..contributions import FieldSpec, FieldType
from ..customers import InvalidInput, NotFound
from ..i18n import gettext, lazy_gettext
from ..listing import (
    ListSpec,
    Page,
    customer_list_spec,
    list_customers,
    parse_list_args,
)
from ..security import Actor, in_scope
from ..storage import schema
from . import customer_page
from .customer_form import KINDS, STAGES
from .shell import host, pages

#: Sortable columns of the list: (list field, heading).
COLUMNS = (
    ("display_name", lazy_gettext("Name")),
    ("kind", lazy_gettext("Kind")),
    ("email", lazy_gettext("E-mail")),
    ("phone", lazy_gettext("Phone")),
    ("owner_id", lazy_gettext("Owner")),
    ("lifecycle_stage", lazy_gettext("Stage")),
)
CORE_FILTERS = ("kind", "lifecycle_stage", "owner_id")


def require(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        abort(
            403,
            gettext(
                "Your role does not allow this (it needs '%(permission)s').",
                permission=permission,
            ),
        )


@pages.route("/")
def index() -> Response:
    return redirect(url_for("pages.customers"))


@pages.route("/customers")
def customers() -> Any:
    """Search, filter, sort and page through the customers the user may read."""
    actor = current_actor()
    require(actor, "customer.read")
    args = {k: v for k, v in request.args.items() if v.strip()}
    with host().db.connect() as connection:
        spec = customer_list_spec(host(), connection)
        filters = filter_fields(spec, host().fields.for_type(connection, "customer"))
        page, sort, errors = _one_page(connection, actor, spec, args)
        owners = active_users(connection)
    sort_url, page_url = _link_makers(args, sort)
    context = {
        "args": args,
        "errors": errors,
        "items": page.items if page else [],
        "next_cursor": page.next_cursor if page else None,
        "sort": sort,
        "sort_url": sort_url,
        "page_url": page_url,
        "columns": COLUMNS,
        "filters": filters,
        "owners": owners,
        "owner_names": {u["id"]: u["name"] for u in owners},
        "kinds": KINDS,
        "stages": STAGES,
        "can_create": actor.can("customer.create"),
    }
    status = 400 if errors else 200
    return render_template("crm/customers/list.html", **context), status


def _one_page(
    connection: Connection, actor: Actor, spec: ListSpec, args: Mapping[str, str]
) -> tuple[Page | None, tuple[str, bool], dict[str, list[str]]]:
    """The page the parameters ask for, its main sort, and what was wrong with them."""
    config = host().config
    try:
        query = parse_list_args(
            args,
            spec,
            page_max=config.page_size_max,
            page_default=config.page_size_default,
        )
    except InvalidInput as error:
        errors = {k: list(v) for k, v in error.errors.items()}
        return None, spec.default_sort[0], errors
    page = list_customers(host(), connection, actor, query, spec)
    return page, (query.sort or spec.default_sort)[0], {}


def _link_makers(
    args: Mapping[str, str], sort: tuple[str, bool]
) -> tuple[Callable[[str], str], Callable[[str | None], str]]:
    """Functions building the sort and page links, keeping the other parameters."""

    def link(**changes: str | None) -> str:
        merged: dict[str, Any] = {**args, **changes}
        return url_for("pages.customers", **{k: v for k, v in merged.items() if v})

    def sort_url(name: str) -> str:
        ascending = sort[0] == name and not sort[1]
        return link(sort=f"-{name}" if ascending else name, cursor=None)

    def page_url(cursor: str | None) -> str:
        return link(cursor=cursor)

    return sort_url, page_url


def filter_fields(spec: ListSpec, specs: Mapping[str, FieldSpec]) -> list[FieldSpec]:
    """Custom fields offered as list filters: the choice and yes/no ones."""
    offered = (FieldType.CHOICE, FieldType.BOOLEAN)
    return [
        field
        for name, field in specs.items()
        if field.type in offered and name in spec.fields and name not in CORE_FILTERS
    ]


def active_users(connection: Connection) -> list[dict[str, Any]]:
    u = schema.user
    rows = connection.execute(
        select(u.c.id, u.c.name, u.c.email)
        .where(u.c.is_active.is_(True))
        .order_by(u.c.name, u.c.id)
    ).mappings()
    return [dict(row) for row in rows]


@pages.route("/customers/<int:customer_id>")
def customer(customer_id: int) -> Any:
    """Everything about one customer: contact points, links, timeline, history."""
    actor = current_actor()
    require(actor, "customer.read")
    with host().db.connect() as connection:
        try:
            record = host().customers.get(connection, actor, customer_id)
        except NotFound:
            abort(
                404,
                gettext(
                    "There is no customer %(number)s that you may see.",
                    number=customer_id,
                ),
            )
        context = page_context(connection, actor, record)
    context["panels"] = customer_page.panels(record, actor)
    return render_template("crm/customers/detail.html", **context)


def page_context(
    connection: Connection, actor: Actor, record: Mapping[str, Any]
) -> dict[str, Any]:
    specs = host().fields.for_type(connection, "customer")
    if not actor.can("customer.read_sensitive"):
        specs = {n: s for n, s in specs.items() if not s.sensitive}
    activities = customer_page.timeline(connection, record["id"])
    names = customer_page.user_names(connection, [record.get("owner_id")])
    teams = customer_page.team_names(connection, [record.get("team_id")])
    context: dict[str, Any] = {
        "customer": record,
        "specs": specs,
        "owner_name": names.get(record.get("owner_id") or -1),
        "team_name": teams.get(record.get("team_id") or -1),
        "activities": activities[: customer_page.TIMELINE_LIMIT],
        "more_activities": len(activities) > customer_page.TIMELINE_LIMIT,
        "related": customer_page.relationships(connection, actor, record),
        "family": customer_page.family(connection, actor, record),
        "history": None,
        "can_edit": in_scope(actor, "customer.update", record),
    }
    if in_scope(actor, "audit.read", record):
        all_specs = host().fields.for_type(connection, "customer")
        context["history"] = customer_page.history(
            connection, actor, record["id"], all_specs
        )
    return context
