"""The public side of web forms: showing, submitting, confirming, thanking."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for

from ..auth import csrf
from ..customers import InvalidInput
from ..i18n import current_locale, gettext
from ..web.shell import host
from . import submissions
from .confirmation import purpose_text
from .pages import form_context, forms_public, found_or_404, secret_key
from .submissions import ConfirmationInvalid, Refused, TooMany, Visitor


def _visitor() -> Visitor:
    return Visitor(request.remote_addr or "unknown", current_locale())


@forms_public.route("/f/<name>")
def form(name: str) -> str:
    """The form, for anyone."""
    with host().db.connect() as connection:
        found = found_or_404(connection, name)
        return render_template(
            "crm/forms/public.html", **form_context(connection, found)
        )


@forms_public.route("/f/<name>", methods=["POST"], endpoint="submit")
def submit(name: str) -> Any:
    """Take a submission from the page or from a copy on another site."""
    with host().db.connect() as connection:
        found = found_or_404(connection, name)
    posted = request.form.to_dict()
    visitor = _visitor()
    try:
        submissions.admit(host(), secret_key(), found, posted, visitor)
    except Refused:
        message = gettext(
            "This form could not be accepted. Please reload it and try again."
        )
        return render_template("crm/forms/refused.html", message=message), 400
    except TooMany as error:
        message = gettext(
            "Too many submissions came from your address; "
            "please try again in a few minutes."
        )
        page = render_template("crm/forms/refused.html", message=message)
        return page, 429, {"Retry-After": str(error.retry_after)}
    try:
        with host().db.transaction() as connection:
            outcome = submissions.submit(
                host(), connection, secret_key(), found, posted, visitor, _confirm_url
            )
    except InvalidInput as error:
        with host().db.connect() as connection:
            context = form_context(
                connection, found, values=posted, errors=error.errors
            )
        return render_template("crm/forms/public.html", **context), 400
    pending = outcome.status == submissions.PENDING
    target = found.spec.redirect_url
    if target is None or posted.get(submissions.ON_SITE):
        target = url_for(
            "forms_public.thanks", name=name, pending=1 if pending else None
        )
    return redirect(target, 303)


def _confirm_url(token: str) -> str:
    return url_for("forms_public.confirm", token=token, _external=True)


@forms_public.route("/f/<name>/thanks")
def thanks(name: str) -> str:
    """The thank-you page (or the "check your e-mail" one)."""
    with host().db.connect() as connection:
        found = found_or_404(connection, name)
    pending = request.args.get("pending") == "1"
    return render_template("crm/forms/thanks.html", spec=found.spec, pending=pending)


@forms_public.route("/f/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str) -> Any:
    """Confirm a held submission: shown first, stored only when the button is pressed.

    Mail scanners open links to check them; a button press is what a
    person does, so opening the link alone records nothing.
    """
    if request.method == "POST":
        csrf.protect()
        try:
            with host().db.transaction() as connection:
                submissions.confirm(host(), connection, secret_key(), token, _visitor())
        except ConfirmationInvalid as error:
            return render_template("crm/forms/confirm.html", problem=str(error)), 410
        return render_template("crm/forms/confirm.html", done=True)
    try:
        with host().db.connect() as connection:
            held = submissions.held_submission(connection, secret_key(), token)
            found = found_or_404(connection, held["form"])
    except ConfirmationInvalid as error:
        return render_template("crm/forms/confirm.html", problem=str(error)), 410
    return render_template(
        "crm/forms/confirm.html",
        purpose=purpose_text(host(), held["consent_purpose"], current_locale()),
        form_title=found.spec.title or found.spec.name,
    )
