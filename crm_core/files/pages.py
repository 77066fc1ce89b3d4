"""The files panel on the customer page, and the page routes behind it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ..auth import current_actor
from ..customers import Blocked, InvalidInput, NotFound
from ..security import Actor, PermissionDenied
from ..web.shell import host, page_error
from . import files_service
from .access import CUSTOMER
from .api import download

pages = Blueprint("files_pages", __name__, template_folder="templates")
pages.register_error_handler(HTTPException, page_error)


def customer_files_panel(customer: Mapping[str, Any], actor: Actor) -> str:
    """The customer's files, with an upload form for those allowed to add one."""
    service = files_service(host())
    with host().db.connect() as connection:
        items = service.list(connection, actor, CUSTOMER, customer["id"])
        limit_mb = service.max_bytes(connection) // (1024 * 1024)
    return render_template(
        "crm/files/panel.html",
        customer=customer,
        files=items,
        can_upload=actor.can("file.upload"),
        can_delete=actor.can("file.delete"),
        limit_mb=limit_mb,
    )


@pages.route("/files/<int:file_id>/download")
def file_download(file_id: int) -> Response:
    """Send a file's bytes to someone who may see its record."""
    actor = current_actor()
    try:
        with host().db.connect() as connection:
            found, path = files_service(host()).open(connection, actor, file_id)
    except (NotFound, PermissionDenied):
        abort(404, f"There is no file {file_id} that you may see.")
    return download(found, path)


@pages.route("/customers/<int:customer_id>/files", methods=["POST"])
def customer_file_upload(customer_id: int) -> Response:
    """Attach the uploaded file to a customer, then go back to the customer."""
    actor = current_actor()
    upload = request.files.get("file")
    back = redirect(url_for("pages.customer", customer_id=customer_id))
    if upload is None or not upload.filename:
        flash("Choose a file to upload first.", "error")
        return back
    try:
        with host().db.transaction() as connection:
            stored = files_service(host()).store(
                connection,
                actor,
                record_type=CUSTOMER,
                record_id=customer_id,
                name=upload.filename,
                stream=upload.stream,
            )
    except InvalidInput as error:
        flash(_first_message(error), "error")
        return back
    except PermissionDenied as error:
        abort(403, str(error))
    except NotFound:
        abort(404, f"There is no customer {customer_id} that you may see.")
    flash(f"{stored['name']} was uploaded.", "success")
    return back


@pages.route("/files/<int:file_id>/delete", methods=["POST"])
def file_delete(file_id: int) -> Response:
    """Delete a file and go back to where the form was."""
    actor = current_actor()
    service = files_service(host())
    try:
        with host().db.transaction() as connection:
            found = service.get(connection, actor, file_id)
            service.delete(connection, actor, file_id)
    except NotFound:
        abort(404, f"There is no file {file_id} that you may see.")
    except PermissionDenied as error:
        abort(403, str(error))
    except Blocked as error:
        abort(409, str(error))
    flash(f"{found['name']} was deleted.", "success")
    if found["record_type"] == CUSTOMER:
        customer_id = int(found["record_id"])
        return redirect(url_for("pages.customer", customer_id=customer_id))
    return redirect(url_for("pages.index"))


def _first_message(error: InvalidInput) -> str:
    for messages in error.errors.values():
        for message in messages:
            return str(message)
    return "The file was not accepted."
