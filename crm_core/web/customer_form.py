"""The customer form: stored values to form values, and a posted form to service input.

Form names are flat (``name``, ``emails``, ``addr-0-city``, ``attr-tier``);
the service names fields with dotted paths (``addresses.0.city``,
``attributes.tier``). :func:`errors_by_field` maps one onto the other so
each message lands next to its field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..contributions import FieldSpec, FieldType
from ..entities import CHANNELS, LIFECYCLE_STAGES, CustomerKind
from ..i18n import gettext, lazy_gettext
from . import formatting

ADDRESS_PARTS = ("street", "city", "region", "postcode", "country", "label")
KINDS = tuple(kind.value for kind in CustomerKind)
STAGES = LIFECYCLE_STAGES
PREFERRED_CHANNELS = CHANNELS
_ADDRESS_KEY = re.compile(r"addr-(\d+)-(\w+)")

#: Form names of the fields that are not custom fields, with their labels.
LABELS = {
    "kind": lazy_gettext("Kind"),
    "name": lazy_gettext("Name"),
    "emails": lazy_gettext("E-mail addresses"),
    "phones": lazy_gettext("Phone numbers"),
    "external_id": lazy_gettext("External id"),
    "owner": lazy_gettext("Owner"),
    "lifecycle_stage": lazy_gettext("Stage"),
    "tags": lazy_gettext("Tags"),
    "pref_language": lazy_gettext("Preferred language"),
    "pref_channel": lazy_gettext("Preferred channel"),
    "parent_id": lazy_gettext("Parent organisation"),
}


def attr_key(name: str) -> str:
    return f"attr-{name}"


def editable_fields(
    specs: Mapping[str, FieldSpec], see_sensitive: bool
) -> dict[str, FieldSpec]:
    """The custom fields on the form; sensitive ones only for those who may see them."""
    return {n: s for n, s in specs.items() if see_sensitive or not s.sensitive}


def form_values(
    customer: Mapping[str, Any], specs: Mapping[str, FieldSpec], owner: str
) -> dict[str, Any]:
    """The form's values for a stored customer (``owner`` is the owner's e-mail)."""
    preferences = customer.get("preferences") or {}
    values: dict[str, Any] = {
        "kind": customer.get("kind") or "person",
        "name": customer.get("name") or "",
        "emails": "\n".join(customer.get("emails") or []),
        "phones": "\n".join(customer.get("phones") or []),
        "external_id": customer.get("external_id") or "",
        "owner": owner,
        "lifecycle_stage": customer.get("lifecycle_stage") or "lead",
        "tags": ", ".join(customer.get("tags") or []),
        "pref_language": preferences.get("language") or "",
        "pref_channel": preferences.get("channel") or "",
        "parent_id": _text(customer.get("parent_id")),
        "addresses": [
            {part: address.get(part) or "" for part in ADDRESS_PARTS}
            for address in customer.get("addresses") or []
        ],
    }
    attributes = customer.get("attributes") or {}
    for name, spec in specs.items():
        values[attr_key(name)] = _stored_to_form(spec, attributes.get(name))
    return values


def _text(item: Any) -> str:
    return "" if item is None else str(item)


def _stored_to_form(spec: FieldSpec, stored: Any) -> Any:
    if spec.type is FieldType.BOOLEAN:
        return bool(stored)
    if stored is None:
        return ""
    if spec.type is FieldType.DATETIME:
        moment = formatting.as_datetime(stored)
        if moment is None:
            return str(stored)
        return moment.astimezone(formatting.reader_zone()).strftime("%Y-%m-%dT%H:%M")
    if isinstance(stored, Decimal):
        return format(stored, "f")
    return str(stored)


def posted_values(
    form: Mapping[str, str], specs: Mapping[str, FieldSpec]
) -> dict[str, Any]:
    """The values of a posted form, in the shape :func:`form_values` gives."""
    values: dict[str, Any] = {key: form.get(key, "") for key in LABELS}
    blocks: dict[int, dict[str, str]] = {}
    for key, item in form.items():
        match = _ADDRESS_KEY.fullmatch(key)
        if match and match.group(2) in ADDRESS_PARTS:
            blocks.setdefault(int(match.group(1)), {})[match.group(2)] = item
    # Empty blocks are dropped here so that a form shown again keeps one
    # blank block at the end, and error positions match the blocks shown.
    values["addresses"] = [
        {part: blocks[index].get(part, "") for part in ADDRESS_PARTS}
        for index in sorted(blocks)
        if any(blocks[index].get(part, "").strip() for part in ADDRESS_PARTS)
    ]
    for name, spec in specs.items():
        key = attr_key(name)
        if spec.type is FieldType.BOOLEAN:
            values[key] = key in form
        else:
            values[key] = form.get(key, "")
    return values


def to_input(
    values: Mapping[str, Any],
    specs: Mapping[str, FieldSpec],
    *,
    with_owner: bool,
) -> tuple[dict[str, Any], dict[str, list[str]], list[int]]:
    """Service input from form values.

    Returns the input, the errors found before the service sees it (keyed
    by form name), and for each address sent, the form block it came from.
    """
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {
        "kind": values["kind"] or "person",
        "name": _blank_none(values["name"]),
        "emails": _lines(values["emails"]),
        "phones": _lines(values["phones"]),
        "external_id": _blank_none(values["external_id"]),
        "lifecycle_stage": values["lifecycle_stage"] or "lead",
        "tags": [tag.strip() for tag in values["tags"].split(",") if tag.strip()],
        "preferences": _preferences(values),
    }
    if with_owner:
        data["owner"] = _blank_none(values["owner"])
    data["parent_id"] = _parent(values["parent_id"], errors)
    addresses, origin = _addresses(values["addresses"])
    data["addresses"] = addresses
    attributes = {}
    for name, spec in specs.items():
        key = attr_key(name)
        try:
            converted = _form_to_input(spec, values[key])
        except ValueError as error:
            errors[key] = [str(error)]
            continue
        if converted is not None:
            attributes[name] = converted
    data["attributes"] = attributes
    return data, errors, origin


def _preferences(values: Mapping[str, Any]) -> dict[str, str]:
    chosen = {
        "language": _blank_none(values["pref_language"]),
        "channel": _blank_none(values["pref_channel"]),
    }
    return {key: item for key, item in chosen.items() if item is not None}


def _blank_none(text: str) -> str | None:
    text = text.strip()
    return text or None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in re.split(r"[\n,;]", text) if line.strip()]


def _parent(text: str, errors: dict[str, list[str]]) -> int | None:
    text = text.strip().lstrip("#")
    if not text:
        return None
    if not text.isdigit():
        errors["parent_id"] = [gettext("%(text)r is not a customer number", text=text)]
        return None
    return int(text)


def _addresses(
    blocks: list[Mapping[str, str]],
) -> tuple[list[dict[str, str | None]], list[int]]:
    addresses, origin = [], []
    for index, block in enumerate(blocks):
        address = {part: _blank_none(block.get(part, "")) for part in ADDRESS_PARTS}
        if any(address[part] for part in ADDRESS_PARTS if part != "label"):
            addresses.append(address)
            origin.append(index)
    return addresses, origin


def _form_to_input(spec: FieldSpec, raw: Any) -> Any:
    if spec.type is FieldType.BOOLEAN:
        return bool(raw)
    text = str(raw).strip()
    if not text:
        return None
    if spec.type is FieldType.INTEGER:
        if not re.fullmatch(r"[-+]?\d+", text):
            raise ValueError(gettext("%(text)r is not a whole number", text=text))
        return int(text)
    if spec.type is FieldType.DATETIME:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                gettext("%(text)r is not a date and time", text=text)
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=formatting.reader_zone())
        return moment.isoformat()
    return text


def against_stored(
    data: dict[str, Any], customer: Mapping[str, Any], specs: Mapping[str, FieldSpec]
) -> None:
    """Turn the form's custom fields into a change of the stored ones.

    A field emptied on the form is cleared; a box left unticked on a field
    that was never set stays unset, as a checkbox cannot say "not set" and
    would otherwise record a "No" nobody chose.
    """
    stored = customer.get("attributes") or {}
    attributes = data.setdefault("attributes", {})
    for name, spec in specs.items():
        before = stored.get(name)
        if name not in attributes:
            if before is not None:
                attributes[name] = None
        elif spec.type is FieldType.BOOLEAN and not attributes[name] and before is None:
            del attributes[name]


def errors_by_field(
    messages: Mapping[str, Any], address_origin: list[int]
) -> tuple[dict[str, list[str]], list[str]]:
    """The service's errors keyed by form name, and the ones no field owns."""
    fields: dict[str, list[str]] = {}
    general: list[str] = []
    for path, found in messages.items():
        texts = _messages(found)
        key = _form_key(path, address_origin)
        if key is None:
            general += texts
        else:
            fields.setdefault(key, []).extend(texts)
    return fields, general


def _messages(found: Any) -> list[str]:
    if isinstance(found, str):
        return [found]
    if isinstance(found, Mapping):
        return [f"{k}: {m}" for k, v in found.items() for m in _messages(v)]
    return [str(item) for item in found]


def _form_key(path: str, address_origin: list[int]) -> str | None:
    head, _, rest = path.partition(".")
    if head in ("emails", "phones", "tags", "name", "kind", "external_id"):
        return head
    if head in ("owner", "owner_id"):
        return "owner"
    if head in ("lifecycle_stage", "parent_id"):
        return head
    if head == "preferences":
        return "pref_" + rest if rest in ("language", "channel") else "pref_language"
    if head == "attributes" and rest:
        return attr_key(rest)
    if head == "addresses":
        index, _, part = rest.partition(".")
        if index.isdigit() and int(index) < len(address_origin):
            return f"addr-{address_origin[int(index)]}-{part or 'street'}"
    return None


def differences(
    mine: Mapping[str, Any],
    saved: Mapping[str, Any],
    specs: Mapping[str, FieldSpec],
) -> list[dict[str, Any]]:
    """Fields where the form's values and the saved record's differ."""
    labels = dict(LABELS)
    labels.update({attr_key(n): s.label or n for n, s in specs.items()})
    found = []
    for key, label in labels.items():
        if key in mine and key in saved and mine[key] != saved[key]:
            found.append(
                {"key": key, "label": label, "mine": mine[key], "saved": saved[key]}
            )
    my_addresses = _address_text(mine.get("addresses") or [])
    saved_addresses = _address_text(saved.get("addresses") or [])
    if my_addresses != saved_addresses:
        found.append(
            {
                "key": "addresses",
                "label": gettext("Addresses"),
                "mine": my_addresses,
                "saved": saved_addresses,
            }
        )
    return found


def _address_text(blocks: list[Mapping[str, str]]) -> str:
    lines = [", ".join(v for v in block.values() if v) for block in blocks]
    return "\n".join(line for line in lines if line)
