"""What the customer page shows besides the record itself.

Relationships, the timeline and the history are read here with the reader's
scope applied to every customer they name, so the page never reveals a
record its reader could not open.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup
from sqlalchemy import Connection, select

from .. import audit
from ..contributions import CustomerPanel, FieldSpec
from ..i18n import lazy_gettext
from ..security import Actor, scope_clause
from ..storage import schema
from . import formatting
from .shell import host

log = logging.getLogger("crm_core.web")

TIMELINE_LIMIT = 50

c = schema.customer


def visible_customers(actor: Actor) -> Any:
    """Live customers within ``actor``'s read scope."""
    return c.c.deleted_at.is_(None) & scope_clause(actor, "customer.read", c)


def relationships(
    connection: Connection, actor: Actor, customer: Mapping[str, Any]
) -> dict[str, list[dict[str, Any]]]:
    """People at an organisation, or the organisations a person works at."""
    r = schema.relationship
    if customer["kind"] == "organisation":
        mine, theirs = r.c.organisation_id, r.c.person_id
    else:
        mine, theirs = r.c.person_id, r.c.organisation_id
    rows = connection.execute(
        select(c.c.id, c.c.display_name, c.c.kind, r.c.role)
        .select_from(r.join(c, c.c.id == theirs))
        .where(mine == customer["id"], r.c.deleted_at.is_(None), r.c.ended_on.is_(None))
        .where(visible_customers(actor))
        .order_by(c.c.display_name, c.c.id)
    ).mappings()
    key = "people" if customer["kind"] == "organisation" else "organisations"
    return {key: [dict(row) for row in rows]}


def family(
    connection: Connection, actor: Actor, customer: Mapping[str, Any]
) -> dict[str, Any]:
    """An organisation's parent and its subsidiaries, as far as the reader sees."""
    parent = None
    if customer.get("parent_id") is not None:
        parent = (
            connection.execute(
                select(c.c.id, c.c.display_name).where(
                    c.c.id == customer["parent_id"], visible_customers(actor)
                )
            )
            .mappings()
            .first()
        )
    children = connection.execute(
        select(c.c.id, c.c.display_name)
        .where(c.c.parent_id == customer["id"], visible_customers(actor))
        .order_by(c.c.display_name, c.c.id)
    ).mappings()
    return {
        "parent": dict(parent) if parent else None,
        "subsidiaries": [dict(row) for row in children],
    }


def timeline(connection: Connection, customer_id: int) -> list[dict[str, Any]]:
    """The newest activities first, with the name of who recorded each."""
    a, u = schema.activity, schema.user
    rows = connection.execute(
        select(
            a.c.id,
            a.c.channel,
            a.c.kind,
            a.c.occurred_at,
            a.c.subject,
            a.c.body,
            u.c.name.label("actor_name"),
        )
        .select_from(a.outerjoin(u, u.c.id == a.c.actor_id))
        .where(a.c.customer_id == customer_id, a.c.deleted_at.is_(None))
        .order_by(a.c.occurred_at.desc(), a.c.id.desc())
        .limit(TIMELINE_LIMIT + 1)
    ).mappings()
    return [dict(row) for row in rows]


def user_names(connection: Connection, ids: Iterable[Any]) -> dict[int, str]:
    wanted = sorted({int(i) for i in ids if isinstance(i, int)})
    if not wanted:
        return {}
    u = schema.user
    rows = connection.execute(select(u.c.id, u.c.name).where(u.c.id.in_(wanted)))
    return {int(row.id): str(row.name) for row in rows}


def team_names(connection: Connection, ids: Iterable[Any]) -> dict[int, str]:
    wanted = sorted({int(i) for i in ids if isinstance(i, int)})
    if not wanted:
        return {}
    t = schema.team
    rows = connection.execute(select(t.c.id, t.c.name).where(t.c.id.in_(wanted)))
    return {int(row.id): str(row.name) for row in rows}


#: Labels of the audited core fields, in the order the history lists them.
FIELD_LABELS = {
    "name": lazy_gettext("Name"),
    "kind": lazy_gettext("Kind"),
    "external_id": lazy_gettext("External id"),
    "emails": lazy_gettext("E-mail addresses"),
    "phones": lazy_gettext("Phone numbers"),
    "addresses": lazy_gettext("Addresses"),
    "owner_id": lazy_gettext("Owner"),
    "team_id": lazy_gettext("Team"),
    "lifecycle_stage": lazy_gettext("Stage"),
    "tags": lazy_gettext("Tags"),
    "preferences": lazy_gettext("Preferences"),
    "parent_id": lazy_gettext("Parent organisation"),
    "deleted_at": lazy_gettext("Deleted"),
}


def history(
    connection: Connection,
    actor: Actor,
    customer_id: int,
    specs: Mapping[str, FieldSpec],
) -> list[dict[str, Any]]:
    """Audit entries, newest first, one line per changed field.

    Custom fields are shown one by one under their labels; sensitive ones
    only to readers allowed to see them.
    """
    entries = list(reversed(audit.history(connection, "customer", customer_id)))
    owners = user_names(connection, _sides(entries, "owner_id"))
    teams = team_names(connection, _sides(entries, "team_id"))
    hidden = set()
    if not actor.can("customer.read_sensitive"):
        hidden = {name for name, spec in specs.items() if spec.sensitive}
    result = []
    for entry in entries:
        lines = []
        for field, (before, after) in sorted(entry["changes"].items(), key=_order):
            if formatting.blank(before) and formatting.blank(after):
                continue
            if field == "attributes":
                lines += _attribute_lines(before or {}, after or {}, specs, hidden)
                continue
            names = owners if field == "owner_id" else teams
            if field in ("owner_id", "team_id"):
                before, after = names.get(before, before), names.get(after, after)
            lines.append(
                {
                    "field": FIELD_LABELS.get(field, field),
                    "before": before,
                    "after": after,
                }
            )
        result.append({**entry, "lines": lines})
    return result


def _order(item: tuple[str, Any]) -> tuple[int, str]:
    fields = list(FIELD_LABELS)
    return (fields.index(item[0]) if item[0] in fields else len(fields), item[0])


def _sides(entries: list[dict[str, Any]], field: str) -> list[Any]:
    found = []
    for entry in entries:
        found += list(entry["changes"].get(field) or [])
    return found


def _attribute_lines(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    specs: Mapping[str, FieldSpec],
    hidden: set[str],
) -> list[dict[str, Any]]:
    lines = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new or (formatting.blank(old) and formatting.blank(new)):
            continue
        spec = specs.get(name)
        label = (spec.label if spec and spec.label else name) or name
        if name in hidden:
            lines.append({"field": label, "hidden": True})
        else:
            lines.append({"field": label, "before": old, "after": new})
    return lines


def panels(customer: Mapping[str, Any], actor: Actor) -> list[dict[str, Any]]:
    """The plugins' panels for this customer, in order; a failing one is skipped.

    A panel's HTML is trusted as the hook promises it is escaped; a panel
    that raises is logged with its plugin's name and left out.
    """
    found = host().plugins.collect("crm_customer_panels")
    shown = []
    for contribution in sorted(found, key=lambda c: (c.value.order, c.value.title)):
        panel: CustomerPanel = contribution.value
        if panel.permission and not actor.can(panel.permission):
            continue
        try:
            html = panel.render(customer, actor)
        except Exception:
            log.exception(
                "plugin %r failed to render its customer panel %r",
                contribution.plugin,
                panel.title,
            )
            shown.append({"title": panel.title, "failed": True})
            continue
        if html:
            shown.append({"title": panel.title, "html": Markup(html)})
    return shown
