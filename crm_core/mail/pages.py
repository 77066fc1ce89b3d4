"""Mail pages: the message log, the template list, editor and preview, and the
public unsubscribe page.

The unsubscribe page (endpoint ``mail_pages.unsubscribe``) needs no sign-in:
GET only shows a button, so link scanners that fetch it change nothing; POST
(the button, or a mail client's one-click request) records the withdrawal.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response

from ..auth import current_actor
from ..customers import InvalidInput, NotFound, VersionConflict
from ..i18n import N_, gettext
from ..linked import parse_list_args
from ..security import Actor, PermissionDenied
from ..web.shell import host
from . import mail_service, messages
from .rendering import PARTS
from .template_store import MailTemplate

pages = Blueprint(
    "mail_pages", __name__, url_prefix="/mail", template_folder="templates"
)

#: The preview of a template's HTML: shown framed, with no scripts and no origin.
PREVIEW_POLICY = (
    "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; sandbox"
)
FORM_FIELDS = ("name", "description", *PARTS, "variables")
STALE = N_(
    "Someone else saved this template while you were editing it; nothing was "
    "saved. Reload it to see their version, then make your change again."
)


@pages.record
def _start_service(state: BlueprintSetupState) -> None:
    # The web process delivers mail through its in-process worker.
    mail_service(state.app.extensions["crm"])


def _require(actor: Actor, *permissions: str) -> None:
    if not any(actor.can(name) for name in permissions):
        abort(403, f"Your role does not allow this (it needs '{permissions[0]}').")


@pages.route("/", endpoint="messages")
def messages_page() -> Any:
    """The message log, newest first, with filters."""
    actor = current_actor()
    _require(actor, "mail.read")
    raw = {k: v for k, v in request.args.items() if v.strip()}
    config = host().config
    errors: dict[str, Any] = {}
    page = None
    try:
        args = parse_list_args(
            raw,
            messages.MessageFilterSchema(),
            page_max=config.page_size_max,
            page_default=config.page_size_default,
            cursor=(int,),
        )
        with host().db.connect() as connection:
            page = messages.list_messages(connection, actor, args)
    except InvalidInput as error:
        errors = error.errors
    context = {
        "args": raw,
        "errors": errors,
        "items": page.items if page else [],
        "next_cursor": page.next_cursor if page else None,
        "statuses": messages.STATUSES,
        "can_templates": actor.can("mail.templates") or actor.can("mail.send"),
    }
    return render_template("mail/messages.html", **context), 400 if errors else 200


@pages.route("/messages/<int:mail_id>")
def message_page(mail_id: int) -> Any:
    """One message: its status, reason and text."""
    actor = current_actor()
    _require(actor, "mail.read")
    try:
        with host().db.connect() as connection:
            found = messages.get_message(connection, actor, mail_id)
    except NotFound:
        abort(404, f"There is no message {mail_id} that you may see.")
    return render_template("mail/message.html", message=found)


@pages.route("/templates")
def templates() -> Any:
    actor = current_actor()
    _require(actor, "mail.templates", "mail.send")
    service = mail_service(host())
    with host().db.connect() as connection:
        found = service.templates.list(connection)
    return render_template(
        "mail/templates.html",
        templates=found,
        can_edit=actor.can("mail.templates"),
    )


@pages.route("/templates/new", methods=["GET", "POST"])
def template_new() -> Any:
    actor = current_actor()
    _require(actor, "mail.templates")
    if request.method == "GET":
        return _editor(None, {name: "" for name in FORM_FIELDS})
    values = _posted()
    service = mail_service(host())
    try:
        with host().db.transaction() as connection:
            made = service.templates.create(connection, actor, _as_input(values))
    except InvalidInput as error:
        return _editor(None, values, error.errors), 400
    flash(gettext("Template %(name)s was saved.", name=made.name), "success")
    return redirect(url_for("mail_pages.template_edit", template_id=made.id))


@pages.route("/templates/<int:template_id>", methods=["GET", "POST"])
def template_edit(template_id: int) -> Any:
    actor = current_actor()
    _require(actor, "mail.templates")
    service = mail_service(host())
    with host().db.connect() as connection:
        current = _template(connection, template_id)
    if request.method == "GET":
        return _editor(current, _form_of(current))
    values = _posted()
    version = request.form.get("version", type=int)
    try:
        with host().db.transaction() as connection:
            service.templates.update(
                connection, actor, template_id, _as_input(values), version
            )
    except InvalidInput as error:
        return _editor(current, values, error.errors), 400
    except VersionConflict:
        stale = {"_record": [gettext(STALE)]}
        return _editor(current, values, stale), 409
    flash(gettext("Template %(name)s was saved.", name=values["name"]), "success")
    return redirect(url_for("mail_pages.template_edit", template_id=template_id))


@pages.route("/templates/<int:template_id>/delete", methods=["POST"])
def template_delete(template_id: int) -> Response:
    actor = current_actor()
    _require(actor, "mail.templates")
    service = mail_service(host())
    with host().db.transaction() as connection:
        found = _template(connection, template_id)
        service.templates.delete(connection, actor, template_id)
    flash(gettext("Template %(name)s was deleted.", name=found.name), "success")
    return redirect(url_for("mail_pages.templates"))


@pages.route("/templates/<int:template_id>/preview")
def template_preview(template_id: int) -> Any:
    """The subject and text of a template for a customer, the HTML framed."""
    actor = current_actor()
    _require(actor, "mail.templates", "mail.send")
    customer_id = request.args.get("customer_id", type=int)
    with host().db.connect() as connection:
        template = _template(connection, template_id)
        rendered = _rendered(connection, actor, template, customer_id)
    return render_template(
        "mail/preview.html",
        template=template,
        rendered=rendered,
        customer_id=customer_id,
    )


@pages.route("/templates/<int:template_id>/preview/html")
def template_preview_html(template_id: int) -> Response:
    """The rendered HTML alone, sandboxed: no scripts, no forms, no origin."""
    actor = current_actor()
    _require(actor, "mail.templates", "mail.send")
    customer_id = request.args.get("customer_id", type=int)
    with host().db.connect() as connection:
        template = _template(connection, template_id)
        rendered = _rendered(connection, actor, template, customer_id)
    response = Response(rendered.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@pages.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> Any:
    """Confirm (GET) and record (POST) an unsubscribe; no sign-in needed."""
    service = mail_service(host())
    if request.method == "GET":
        with host().db.connect() as connection:
            found = service.unsubscribe_target(connection, token)
        status = 200 if found is not None else 404
        return render_template("mail/unsubscribe.html", found=found, done=False), status
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    with host().db.transaction() as connection:
        found = service.unsubscribe_in(connection, token, _method(one_click))
    if found is None:
        return render_template("mail/unsubscribe.html", found=None, done=False), 404
    return render_template("mail/unsubscribe.html", found=found, done=True)


def _method(one_click: bool) -> str:
    return "one-click" if one_click else "unsubscribe page"


# -- pieces ------------------------------------------------------------------


def _template(connection: Any, template_id: int) -> MailTemplate:
    try:
        return mail_service(host()).templates.get(connection, template_id)
    except NotFound:
        abort(404, f"There is no mail template {template_id}.")


def _rendered(
    connection: Any, actor: Actor, template: MailTemplate, customer_id: int | None
) -> Any:
    service = mail_service(host())
    try:
        if customer_id is not None:
            host().customers.get(connection, actor, customer_id)
        return service.preview(connection, template, customer_id)
    except NotFound:
        abort(404, f"There is no customer {customer_id} that you may see.")
    except (InvalidInput, PermissionDenied) as error:
        abort(400, str(error))


def _posted() -> dict[str, str]:
    return {name: request.form.get(name, "") for name in FORM_FIELDS}


def _as_input(values: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {name: values[name] for name in FORM_FIELDS}
    data["name"] = data["name"].strip()
    data["variables"] = [v.strip() for v in values["variables"].split(",") if v.strip()]
    return data


def _form_of(template: MailTemplate) -> dict[str, str]:
    values = {name: str(getattr(template, name)) for name in FORM_FIELDS[:-1]}
    values["variables"] = ", ".join(template.variables)
    return values


def _editor(
    template: MailTemplate | None,
    values: Mapping[str, str],
    errors: Mapping[str, Any] | None = None,
) -> str:
    return render_template(
        "mail/template_form.html",
        template=template,
        values=values,
        errors=dict(errors or {}),
        conflict={},
    )
