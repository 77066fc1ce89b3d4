"""Templates: checked against a sample customer when saved, rendered in the sandbox."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_core import FieldSpec
from crm_core.customers import InvalidInput
from crm_core.mail import TemplateProblem, tables
from crm_core.security import SYSTEM
from crm_core.storage import schema


def _create(host, mail, **values):
    values.setdefault("name", "t")
    values.setdefault("subject", "Hello")
    values.setdefault("text_body", "Body")
    with host.db.transaction() as connection:
        return mail.templates.create(connection, SYSTEM, values)


def _declare(host, spec):
    with host.db.transaction() as connection:
        host.fields.declare(connection, spec, "test")
    host.fields.invalidate()


def test_a_field_no_customer_has_is_refused_naming_it(crm_host, mail):
    """Printing customer.nickname without a fallback is refused with the field named."""
    with pytest.raises(TemplateProblem) as caught:
        _create(crm_host, mail, subject="Hi {{ customer.nickname }}")
    [message] = caught.value.errors["subject"]
    assert "customer.nickname" in message and "default" in message
    with crm_host.db.connect() as connection:
        assert connection.execute(select(tables.template.c.id)).first() is None


def test_a_fallback_makes_an_unknown_field_acceptable(crm_host, mail):
    """A default filter, an if-guard or an is-defined test keeps the check quiet."""
    made = _create(
        crm_host,
        mail,
        subject="Hi {{ customer.nickname | default('friend') }}",
        html_body=(
            "{% if customer.vip %}VIP{% endif %}"
            "{% if customer.x is defined %}x{% endif %}"
        ),
    )
    assert made.version == 1 and made.name == "t"


def test_an_unknown_variable_is_refused_unless_declared(crm_host, mail):
    """A top-level name must be declared under variables to be used."""
    with pytest.raises(TemplateProblem) as caught:
        _create(crm_host, mail, text_body="Order {{ order.number }}")
    assert "'order'" in caught.value.errors["text_body"][0]
    made = _create(
        crm_host, mail, text_body="Order {{ order.number }}", variables=["order"]
    )
    assert made.variables == ("order",)


def test_declared_custom_fields_are_usable_and_sensitive_ones_are_not(crm_host, mail):
    """A custom field may be printed; a sensitive one never reaches a template."""
    _declare(crm_host, FieldSpec("tier", "choice", choices=("gold", "silver")))
    _declare(crm_host, FieldSpec("tax_id", "text", sensitive=True))
    _create(crm_host, mail, subject="Your {{ customer.tier }} status")
    with pytest.raises(TemplateProblem) as caught:
        _create(crm_host, mail, name="u", subject="{{ customer.tax_id }}")
    assert "customer.tax_id" in caught.value.errors["subject"][0]


@pytest.mark.parametrize(
    ("part", "source", "words"),
    [
        ("text_body", "{% if %}", "line 1"),
        ("html_body", "{{ customer.__class__ }}", "unsafe"),
        ("subject", "{{ ''.__class__.__mro__ }}", "unsafe"),
    ],
)
def test_broken_or_unsafe_templates_are_refused(crm_host, mail, part, source, words):
    """Syntax errors say the line; the sandbox refuses reaching into Python."""
    with pytest.raises(TemplateProblem) as caught:
        _create(crm_host, mail, **{part: source})
    assert words in caught.value.errors[part][0]


def test_a_template_needs_a_body_and_a_free_name(crm_host, mail):
    """Empty bodies and a taken name are refused with the field named."""
    with pytest.raises(InvalidInput) as caught:
        _create(crm_host, mail, text_body="", html_body=" ")
    assert "text_body" in caught.value.errors
    _create(crm_host, mail)
    with pytest.raises(InvalidInput) as caught:
        _create(crm_host, mail)
    assert caught.value.errors["name"] == [
        "a template named 't' exists; choose another name"
    ]


def test_changes_are_checked_versioned_and_audited(crm_host, mail):
    """An update is checked like a new template, bumps the version and is audited."""
    made = _create(crm_host, mail)
    with crm_host.db.transaction() as connection:
        with pytest.raises(TemplateProblem):
            mail.templates.update(
                connection, SYSTEM, made.id, {"subject": "{{ customer.nope }}"}
            )
    with crm_host.db.transaction() as connection:
        changed = mail.templates.update(connection, SYSTEM, made.id, {"subject": "New"})
    assert changed.version == 2 and changed.subject == "New"
    a = schema.audit
    with crm_host.db.connect() as connection:
        actions = (
            connection.execute(
                select(a.c.action)
                .where(a.c.record_type == "mail_template")
                .order_by(a.c.id)
            )
            .scalars()
            .all()
        )
    assert actions == ["create", "update"]


def test_customer_values_are_escaped_in_html_but_not_in_text(
    crm_host, mail, worker, smtp_server, add_customers
):
    """A name with markup is escaped in the HTML part and kept in the text part."""
    _create(
        crm_host,
        mail,
        name="hi",
        html_body="<p>{{ customer.name }}</p>",
        text_body="{{ customer.name }}",
    )
    [customer] = add_customers(1, name="<b>Bob</b>")
    with crm_host.db.transaction() as connection:
        mail.send(
            connection, to_customer_id=customer, template="hi", purpose="transactional"
        )
    worker.run_once()
    [message] = smtp_server.messages()
    assert "&lt;b&gt;Bob&lt;/b&gt;" in message.get_body(("html",)).get_content()
    assert "<b>Bob</b>" in message.get_body(("plain",)).get_content()


def test_a_preview_uses_a_sample_customer_or_a_real_one(crm_host, mail, add_customers):
    """Without a customer the preview shows the sample; with one, that customer."""
    made = _create(
        crm_host, mail, subject="Hi {{ customer.name }}", variables=["order"]
    )
    [customer] = add_customers(1)
    with crm_host.db.connect() as connection:
        sample = mail.preview(connection, made)
        real = mail.preview(connection, made, customer)
    assert sample.subject == "Hi Ada Lovelace" and real.subject == "Hi Customer 0"
