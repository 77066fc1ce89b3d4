"""The forms service's page blueprints, and how a form's fields are shown.

``forms_public`` serves each form at ``/f/<name>`` to anyone, takes its
submissions and confirmations; ``forms_pages`` holds the administrators'
Forms pages. A form's markup comes from one template, so the page and the
copy to embed elsewhere (``crm/forms/embed.html``) show the same fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from flask import Blueprint, abort, current_app, render_template, url_for
from sqlalchemy import Connection

from ..customers import InvalidInput, NotFound
from ..i18n import gettext, lazy_gettext
from ..web.shell import host
from . import registry
from .confirmation import CONSENT_LABEL, PURPOSES
from .intake import form_rules
from .registry import FoundForm
from .submissions import CONSENT, HONEYPOT, ON_SITE, TOKEN

forms_public = Blueprint("forms_public", __name__, template_folder="templates")
forms_pages = Blueprint("forms_pages", __name__, template_folder="templates")

#: Labels of the customer import fields a form may show.
FIELD_LABELS: Mapping[str, Any] = {
    "email": lazy_gettext("E-mail address"),
    "name": lazy_gettext("Name"),
    "phone": lazy_gettext("Phone"),
    "kind": lazy_gettext("Kind"),
    "street": lazy_gettext("Street"),
    "city": lazy_gettext("City"),
    "region": lazy_gettext("Region"),
    "postcode": lazy_gettext("Postcode"),
    "country": lazy_gettext("Country"),
    "tags": lazy_gettext("Tags"),
    "language": lazy_gettext("Preferred language"),
    "channel": lazy_gettext("Preferred channel"),
    "lifecycle_stage": lazy_gettext("Stage"),
    "external_id": lazy_gettext("External id"),
}
INPUT_TYPES = {
    "email": "email",
    "phone": "tel",
    "integer": "number",
    "date": "date",
    "datetime": "datetime-local",
}


@attrs.frozen
class ShownField:
    """One field as the form's markup needs it."""

    name: str
    label: str
    kind: str
    required: bool
    choices: tuple[str, ...] = ()
    hint: str = ""

    @property
    def input_type(self) -> str:
        return INPUT_TYPES.get(self.kind, "text")


def secret_key() -> str | bytes:
    key: str | bytes = current_app.secret_key or ""
    return key


def found_or_404(connection: Connection, name: str) -> FoundForm:
    try:
        return registry.find(host(), connection, name)
    except NotFound:
        abort(404, gettext("There is no such form."))


def shown_fields(connection: Connection, found: FoundForm) -> list[ShownField]:
    """The visible fields of a form with their labels in the reader's language."""
    rules = form_rules(host(), connection, found.spec)
    kind = rules.record_type.custom_fields
    custom = host().fields.for_type(connection, kind) if kind else {}
    shown = []
    for field in found.spec.fields:
        rule = rules.rules[rules.targets[field.name]]
        name = field.name.removeprefix("attributes.")
        default = FIELD_LABELS.get(name) or (
            custom[name].label if name in custom else name
        )
        shown.append(
            ShownField(
                name=field.name,
                label=gettext(field.label) if field.label else str(default),
                kind=rule.format.kind,
                required=rule.format.required,
                choices=tuple(rule.format.choices),
                hint=gettext(field.hint) if field.hint else "",
            )
        )
    return shown


def consent_label(found: FoundForm) -> str:
    spec = found.spec
    if spec.consent_label:
        return gettext(spec.consent_label)
    purpose = PURPOSES.get(spec.consent_purpose or "", "")
    return gettext(CONSENT_LABEL, purpose=gettext(purpose))


def form_context(
    connection: Connection,
    found: FoundForm,
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, Any] | None = None,
    absolute: bool = False,
) -> dict[str, Any]:
    """What ``crm/forms/_fields.html`` needs to show ``found``."""
    spec = found.spec
    return {
        "spec": spec,
        "fields": shown_fields(connection, found),
        "values": values or {},
        "errors": errors or {},
        "action": url_for("forms_public.submit", name=spec.name, _external=absolute),
        "token": registry.form_token(secret_key(), found),
        "consent_label": consent_label(found) if spec.consent_purpose else "",
        "submit_label": gettext(spec.submit_label)
        if spec.submit_label
        else gettext("Send"),
        "names": {
            "consent": CONSENT,
            "honeypot": HONEYPOT,
            "token": TOKEN,
            "on_site": ON_SITE,
        },
    }


def embed_code(connection: Connection, found: FoundForm) -> str:
    """The plain HTML to paste into another site to show the form there."""
    context = form_context(connection, found, absolute=True)
    return render_template("crm/forms/embed.html", **context).strip() + "\n"


def problem_messages(error: InvalidInput) -> list[str]:
    return [str(m) for messages in error.errors.values() for m in messages]
