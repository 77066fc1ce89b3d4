"""What a web form is: the record type it feeds, its fields, consent and thanks.

Plugins declare forms with the ``crm_forms`` hook; administrators store
more on the Forms page. Both are :class:`FormSpec` objects. A form's fields
are fields of its record type's import schema (``email``, ``name``,
``phone``, ``city``, ...) or custom fields of that type, so a submission is
checked by exactly the rules an import of that record type applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from ..entities import CONSENT_PURPOSES

NAME_PATTERN = r"[a-z0-9][a-z0-9_-]{0,79}"
#: Import fields a public form may not fill: they need a signed-in user's rights.
FORBIDDEN_FIELDS = frozenset({"owner", "parent"})
#: Names the form itself uses, which no field may take.
RESERVED_NAMES = frozenset(
    {"consent", "form_token", "website", "csrf_token", "on_site"}
)


def _field(value: Any) -> FormField:
    if isinstance(value, FormField):
        return value
    if isinstance(value, str):
        return FormField(value)
    if isinstance(value, Mapping):
        return FormField(**value)
    raise TypeError(f"a form field is a name, a mapping or a FormField, not {value!r}")


def _fields(values: Iterable[Any]) -> tuple[FormField, ...]:
    return tuple(_field(value) for value in values)


def _constants(value: Mapping[str, Any] | None) -> Mapping[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()}


def _check_purpose(_instance: Any, _attribute: Any, value: str | None) -> None:
    if value is not None and value not in CONSENT_PURPOSES:
        raise ValueError(
            f"consent purpose {value!r} is not one of {', '.join(CONSENT_PURPOSES)}"
        )


def _check_url(_instance: Any, _attribute: Any, value: str | None) -> None:
    if value is None:
        return
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError(
            f"redirect URL {value!r} must be absolute, such as "
            "https://www.example.com/thank-you"
        )


@attrs.frozen
class FormField:
    """One field of a form: a field name of the record type, its label, required."""

    name: str = attrs.field(
        validator=attrs.validators.matches_re(r"[A-Za-z_][\w.\-]{0,119}")
    )
    label: str = ""
    required: bool = False
    hint: str = ""


@attrs.frozen
class FormSpec:
    """A web form.

    :param name: the form's address (``/f/<name>``) and its consent source
        (``form:<name>``).
    :param record_type: the import record type submissions become
        (``customers``); customers are matched on their e-mail address.
    :param fields: :class:`FormField` objects, or plain field names.
    :param consent_purpose: one of the core's consent purposes
        (``email_marketing``, ...); the form then offers a consent box, and a
        ticked box is confirmed by e-mail before anything is stored.
    :param consent_required: whether the box must be ticked (a newsletter
        sign-up form).
    :param constants: values every submission gets, checked like fields
        (``{"lifecycle_stage": "lead", "tags": "webinar"}``).
    :param redirect_url: where the browser goes after a submission, instead
        of the thank-you page (an embedding site's own page).
    """

    name: str = attrs.field(validator=attrs.validators.matches_re(NAME_PATTERN))
    record_type: str = "customers"
    fields: tuple[FormField, ...] = attrs.field(default=(), converter=_fields)
    title: str = ""
    intro: str = ""
    submit_label: str = ""
    consent_purpose: str | None = attrs.field(default=None, validator=_check_purpose)
    consent_label: str = ""
    consent_required: bool = False
    thanks: str = ""
    redirect_url: str | None = attrs.field(default=None, validator=_check_url)
    constants: Mapping[str, str] = attrs.field(factory=dict, converter=_constants)

    def __attrs_post_init__(self) -> None:
        names = [field.name for field in self.fields]
        if not names:
            raise ValueError(f"form {self.name!r} needs at least one field")
        if len(set(names)) != len(names):
            raise ValueError(f"form {self.name!r} names a field twice")
        taken = (set(names) | set(self.constants)) & (FORBIDDEN_FIELDS | RESERVED_NAMES)
        if taken:
            raise ValueError(
                f"form {self.name!r} may not use {', '.join(sorted(taken))}; "
                "public forms cannot set owners, parents or reserved names"
            )
        if self.consent_required and self.consent_purpose is None:
            raise ValueError(
                f"form {self.name!r} requires consent but names no consent_purpose"
            )

    def as_dict(self) -> dict[str, Any]:
        """The spec as JSON-ready data (how stored forms are kept)."""
        data = attrs.asdict(self)
        data["fields"] = [attrs.asdict(field) for field in self.fields]
        data["constants"] = dict(self.constants)
        return data


def spec_from(data: Mapping[str, Any]) -> FormSpec:
    """A :class:`FormSpec` from stored or posted data; :class:`ValueError` if wrong."""
    known = {field.name for field in attrs.fields(FormSpec)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"forms have no setting {', '.join(sorted(unknown))}")
    return FormSpec(**dict(data))
