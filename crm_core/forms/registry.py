"""Finding forms (declared by plugins or stored by administrators) and their tokens.

Every form page and embedded copy carries the form's token: the form's name
and key signed with the installation's secret. The public endpoint acts for
nobody (it uses no account and no session), so a forged cross-site post can
do no more than anyone filling in the form; the token shows the post comes
from a form this installation published, works from any site (it needs no
cookie), and stops working when an administrator gives the form a new key.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Connection, select

from .. import audit
from ..customers import InvalidInput, NotFound
from ..i18n import gettext
from ..security import Actor
from ..storage.types import utcnow
from .spec import FormSpec, spec_from
from .tables import form

if TYPE_CHECKING:
    from ..host import Host

#: The key of forms declared in code; a new secret key renews their tokens.
DECLARED_KEY = "declared"


@attrs.frozen
class FoundForm:
    """A form, whether administrators may change it, and its token key."""

    spec: FormSpec
    stored: bool
    token_key: str
    plugin: str = "core"


def declared(host: Host) -> dict[str, FoundForm]:
    """The forms plugins declare, by name (two plugins claiming one stop the host)."""
    found: dict[str, FoundForm] | None = host.extensions.get("forms.declared")
    if found is None:
        from ..host import Host as HostType

        answers = HostType.unique(
            host.plugins.collect("crm_forms"), lambda spec: spec.name, "web form"
        )
        found = {}
        for answer in answers:
            if not isinstance(answer.value, FormSpec):
                raise TypeError(
                    f"plugin {answer.plugin!r} answered crm_forms with "
                    f"{answer.value!r}; return FormSpec objects"
                )
            found[answer.value.name] = FoundForm(
                answer.value, False, DECLARED_KEY, answer.plugin
            )
        host.extensions["forms.declared"] = found
    return found


def _stored(row: Mapping[Any, Any]) -> FoundForm:
    return FoundForm(spec_from(row["spec"]), True, row["token_key"], "admin")


def find(host: Host, connection: Connection, name: str) -> FoundForm:
    """The form called ``name``, or :class:`NotFound`."""
    found = declared(host).get(name)
    if found is not None:
        return found
    row = connection.execute(select(form).where(form.c.name == name)).mappings()
    stored = row.first()
    if stored is None:
        raise NotFound(f"no web form is named {name!r}")
    return _stored(stored)


def every(host: Host, connection: Connection) -> list[FoundForm]:
    """Declared and stored forms, by name."""
    rows = connection.execute(select(form).order_by(form.c.name)).mappings()
    found = [*declared(host).values(), *(_stored(row) for row in rows)]
    return sorted(found, key=lambda item: item.spec.name)


def save(
    host: Host,
    connection: Connection,
    actor: Actor,
    data: Mapping[str, Any],
    name: str | None = None,
) -> FormSpec:
    """Store a new form, or replace stored form ``name``; checked as declared ones."""
    actor.require("admin.forms")
    try:
        spec = spec_from(data)
    except (TypeError, ValueError) as error:
        raise InvalidInput({"_form": [str(error)]}) from None
    from .intake import form_rules

    form_rules(host, connection, spec)
    if spec.name in declared(host):
        raise InvalidInput({"name": [gettext("A plugin already declares this name.")]})
    now = utcnow()
    existing = None
    if name is not None:
        existing = connection.execute(select(form).where(form.c.name == name)).first()
        if existing is None:
            raise NotFound(f"no stored web form is named {name!r}")
    taken = connection.execute(
        select(form.c.id).where(form.c.name == spec.name)
    ).first()
    if taken is not None and (existing is None or taken.id != existing.id):
        raise InvalidInput({"name": [gettext("Another form already has this name.")]})
    values = {"name": spec.name, "spec": spec.as_dict(), "updated_at": now}
    if existing is None:
        connection.execute(
            form.insert().values(
                **values,
                token_key=secrets.token_hex(16),
                created_by=actor.id,
                created_at=now,
            )
        )
        audit.record(
            connection,
            actor,
            "form",
            spec.name,
            "create",
            {"spec": [None, values["spec"]]},
        )
    else:
        connection.execute(
            form.update().where(form.c.id == existing.id).values(**values)
        )
        change = {"spec": [existing.spec, values["spec"]]}
        audit.record(connection, actor, "form", spec.name, "update", change)
    return spec


def delete(connection: Connection, actor: Actor, name: str) -> None:
    """Remove stored form ``name``; its held submissions can no longer be confirmed."""
    actor.require("admin.forms")
    row = connection.execute(select(form).where(form.c.name == name)).first()
    if row is None:
        raise NotFound(f"no stored web form is named {name!r}")
    connection.execute(form.delete().where(form.c.id == row.id))
    audit.record(connection, actor, "form", name, "delete", {"spec": [row.spec, None]})


def renew_key(connection: Connection, actor: Actor, name: str) -> None:
    """Give stored form ``name`` a new key: copies embedded elsewhere stop working."""
    actor.require("admin.forms")
    result = connection.execute(
        form.update()
        .where(form.c.name == name)
        .values(token_key=secrets.token_hex(16), updated_at=utcnow())
    )
    if result.rowcount != 1:
        raise NotFound(f"no stored web form is named {name!r}")
    audit.record(
        connection, actor, "form", name, "update", {"token_key": ["old", "new"]}
    )


def _signer(secret_key: str | bytes) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="crm.forms.embed")


def form_token(secret_key: str | bytes, found: FoundForm) -> str:
    """The token a copy of ``found`` posts along."""
    return str(_signer(secret_key).dumps([found.spec.name, found.token_key]))


def token_fits(secret_key: str | bytes, found: FoundForm, token: str) -> bool:
    """Whether ``token`` was made for this form with its current key."""
    try:
        name, key = _signer(secret_key).loads(token)
    except (BadSignature, TypeError, ValueError):
        return False
    if not isinstance(key, str) or name != found.spec.name:
        return False
    return secrets.compare_digest(key, found.token_key)
