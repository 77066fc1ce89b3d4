"""Rendering templates in Jinja's sandbox, and checking them before they are saved.

A template sees ``customer`` (the recipient's name, e-mail, stage, tags and
non-sensitive custom fields), ``unsubscribe_url``, ``campaign``, what plugins
add through ``crm_mail_variables``, and the variables the sender passes.

Before a template is saved it is rendered against a sample customer; any
value it prints that no customer can have (a misspelt or undeclared field, a
variable nobody passes) refuses the save, naming the field, unless the
template gives a fallback with ``default``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
from jinja2 import TemplateError, TemplateSyntaxError, Undefined
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from ..contributions import FieldSpec, FieldType
from ..customers import InvalidInput

if TYPE_CHECKING:
    from ..plugins import PluginManager

#: Variables every template may use, besides ``customer``.
BUILTIN_VARIABLES = ("customer", "unsubscribe_url", "campaign")
PARTS = ("subject", "html_body", "text_body")
_CUSTOMER_FIELDS = (
    "id",
    "kind",
    "display_name",
    "name",
    "email",
    "phone",
    "lifecycle_stage",
    "tags",
)
SAMPLE_CUSTOMER: Mapping[str, Any] = {
    "id": 0,
    "kind": "person",
    "display_name": "Ada Lovelace",
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "phone": "+44 20 7946 0000",
    "lifecycle_stage": "customer",
    "tags": ["sample"],
}
_SAMPLE_VALUES: Mapping[FieldType, Any] = {
    FieldType.TEXT: "sample text",
    FieldType.INTEGER: 42,
    FieldType.DECIMAL: Decimal("9.99"),
    FieldType.BOOLEAN: True,
    FieldType.DATE: date(2024, 1, 31),
    FieldType.DATETIME: datetime(2024, 1, 31, 9, 30),
}


class TemplateProblem(InvalidInput):
    """A template cannot be saved or rendered; ``errors`` names each part and field."""


@attrs.frozen
class RenderedMail:
    """A template rendered for one recipient."""

    subject: str
    html: str
    text: str


class _Named(dict[str, Any]):
    """A sample mapping that knows its dotted path, to name missing fields."""

    def __init__(self, path: str, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self.path = path


class _Recording(Undefined):
    """Notes every missing value a template prints, loops over or reads into."""

    __slots__ = ()
    found: ClassVar[list[str]]

    def _note(self) -> None:
        if issubclass(self._undefined_exception, SecurityError):
            self.found.append(f"is refused: {self._undefined_hint}")
            return
        parent = self._undefined_obj
        name = self._undefined_name or "?"
        if isinstance(parent, _Named):
            name = f"{parent.path}.{name}"
        self.found.append(_explain(name))

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
        self._note()
        return self

    def __str__(self) -> str:
        self._note()
        return ""

    def __iter__(self) -> Any:
        self._note()
        return iter(())


def customer_context(
    row: Mapping[str, Any], specs: Mapping[str, FieldSpec]
) -> dict[str, Any]:
    """What a template sees as ``customer``: set values only, so ``default`` applies.

    Custom fields appear by name beside the built-in ones; sensitive fields
    never reach a template.
    """
    found = {name: row.get(name) for name in _CUSTOMER_FIELDS}
    attributes = row.get("attributes") or {}
    for name, spec in specs.items():
        if not spec.sensitive and name not in found:
            found[name] = attributes.get(name)
    return {key: value for key, value in found.items() if value not in (None, "", [])}


def plugin_variables(
    plugins: PluginManager,
    customer: Mapping[str, Any],
    purpose: str,
    campaign: str | None,
) -> dict[str, Any]:
    """The variables plugins add through ``crm_mail_variables``.

    A plugin taking a name the service sets, or one another plugin took, is
    refused with both named.
    """
    found: dict[str, Any] = {}
    owners: dict[str, str] = {}
    for answer in plugins.collect(
        "crm_mail_variables", customer=customer, purpose=purpose, campaign=campaign
    ):
        if not isinstance(answer.value, Mapping):
            raise TypeError(
                f"plugin {answer.plugin!r} returned {type(answer.value).__name__} "
                "from crm_mail_variables; return a mapping of names to values"
            )
        for name, value in answer.value.items():
            if name in BUILTIN_VARIABLES:
                raise ValueError(
                    f"plugin {answer.plugin!r} adds mail variable {name!r}, which "
                    "the mail service sets; rename it"
                )
            if name in owners:
                raise ValueError(
                    f"plugins {owners[name]!r} and {answer.plugin!r} both add mail "
                    f"variable {name!r}; one of them must rename it"
                )
            owners[name] = answer.plugin
            found[name] = value
    return found


def sample_customer(specs: Mapping[str, FieldSpec]) -> dict[str, Any]:
    """A customer with every field set, for checking and previewing templates."""
    sample = dict(SAMPLE_CUSTOMER)
    for name, spec in specs.items():
        if spec.sensitive or name in sample:
            continue
        if spec.type is FieldType.CHOICE:
            sample[name] = spec.choices[0]
        else:
            sample[name] = _SAMPLE_VALUES[spec.type]
    return sample


class Renderer:
    """Compiles templates once per version and renders them in the sandbox."""

    def __init__(self) -> None:
        self._html = SandboxedEnvironment(autoescape=True)
        self._plain = SandboxedEnvironment(autoescape=False)
        self._compiled: dict[tuple[object, str], Any] = {}

    def render(
        self, key: object, parts: Mapping[str, str], context: Mapping[str, Any]
    ) -> RenderedMail:
        """Render ``parts`` (subject, html_body, text_body) with ``context``.

        ``key`` identifies the template version, so each is compiled once.
        """
        out: dict[str, str] = {}
        errors: dict[str, list[str]] = {}
        for part in PARTS:
            try:
                out[part] = self._template(key, part, parts[part]).render(context)
            except TemplateError as error:
                errors[part] = [f"cannot be rendered: {error}"]
        if errors:
            raise TemplateProblem(errors)
        return RenderedMail(
            subject=" ".join(out["subject"].split()),
            html=out["html_body"],
            text=out["text_body"],
        )

    def _template(self, key: object, part: str, source: str) -> Any:
        compiled = self._compiled.get((key, part))
        if compiled is None:
            environment = self._html if part == "html_body" else self._plain
            compiled = environment.from_string(source)
            if len(self._compiled) > 500:
                self._compiled.clear()
            self._compiled[(key, part)] = compiled
        return compiled


def check_template(
    parts: Mapping[str, str],
    variables: Sequence[str],
    customer: Mapping[str, Any],
    extra: Mapping[str, Any],
) -> None:
    """Refuse a template that prints a value no recipient can have.

    ``customer`` is the sample customer, ``extra`` the plugin variables and
    ``variables`` the names the sender promises to pass. Raises
    :class:`TemplateProblem` naming each part and field.
    """
    recorder = type("Recorder", (_Recording,), {"found": []})
    context: dict[str, Any] = {
        **extra,
        "customer": _Named("customer", customer),
        "unsubscribe_url": "https://crm.example.com/mail/unsubscribe/sample",
        "campaign": "sample campaign",
    }
    for name in variables:
        context[name] = _Anything()
    errors: dict[str, list[str]] = {}
    for part in PARTS:
        problems = _check_part(part, parts[part], context, recorder)
        if problems:
            errors[part] = problems
    if errors:
        raise TemplateProblem(errors)


def _check_part(
    part: str, source: str, context: Mapping[str, Any], recorder: type[Undefined]
) -> list[str]:
    environment = SandboxedEnvironment(
        autoescape=part == "html_body", undefined=recorder
    )
    found: list[str] = recorder.found  # type: ignore[attr-defined]
    found.clear()
    try:
        environment.from_string(source).render(context)
    except TemplateSyntaxError as error:
        return [f"line {error.lineno}: {error.message}"]
    except TemplateError as error:
        return [f"cannot be rendered: {error}"]
    return list(dict.fromkeys(found))


def _explain(name: str) -> str:
    if name.startswith("customer."):
        return (
            f"uses {name}, which is not a customer field; declare the custom "
            f"field, fix the name, or give a fallback: "
            f'{{{{ {name} | default("...") }}}}'
        )
    return (
        f"uses {name!r}, which is not a known variable; list it under "
        f"'variables' if the sender passes it, or give a fallback: "
        f'{{{{ {name} | default("...") }}}}'
    )


class _Anything:
    """Stands for a variable the sender passes: any field of it may be used."""

    def __getattr__(self, name: str) -> _Anything:
        if name.startswith("__"):
            raise AttributeError(name)
        return self

    def __getitem__(self, key: object) -> _Anything:
        return self

    def __iter__(self) -> Any:
        return iter(())

    def __str__(self) -> str:
        return "sample"

    def __html__(self) -> Markup:
        return Markup("sample")

    def __call__(self, *args: Any, **kwargs: Any) -> _Anything:
        return self
