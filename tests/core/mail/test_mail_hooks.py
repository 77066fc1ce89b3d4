"""The mail service's hooks, answered by a temporary plugin."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_core import Problem
from crm_core.mail import OutgoingMail, TemplateProblem, tables
from crm_core.security import SYSTEM
from crm_core.testing import make_plugin

seen: list[OutgoingMail] = []
extra: dict[str, object] = {}


def _variables(customer, purpose, campaign):
    return {
        "account_manager": "Mira",
        "greeting": f"{purpose}:{campaign or '-'}",
        **extra,
    }


def _allowed(mail):
    seen.append(mail)
    if mail.campaign == "too-often":
        return [Problem("three messages this week already")]
    return None


@pytest.fixture
def crm_plugin_names():
    return ("mailtest",)


@pytest.fixture
def crm_extra_plugins():
    return [
        make_plugin(
            "mailtest", crm_mail_variables=_variables, crm_mail_allowed=_allowed
        )
    ]


def _template(host, mail, **values):
    values = {"name": "hooked", "subject": "S", "text_body": "B", **values}
    with host.db.transaction() as connection:
        return mail.templates.create(connection, SYSTEM, values)


def test_hook_crm_mail_variables_adds_to_every_template(
    crm_host, mail, worker, smtp_server, add_customers
):
    """A plugin's variables may be printed without a fallback and reach each message."""
    _template(crm_host, mail, text_body="{{ account_manager }} / {{ greeting }}")
    [customer] = add_customers(1)
    with crm_host.db.transaction() as connection:
        mail.send(
            connection, to_customer_id=customer, template="hooked", campaign="may"
        )
    worker.run_once()
    [message] = smtp_server.messages()
    assert message.get_content().strip() == "Mira / marketing:may"


def test_hook_crm_mail_variables_may_not_take_a_service_name(mail, monkeypatch):
    """A plugin adding 'customer' is refused with the plugin named."""
    monkeypatch.setitem(extra, "customer", 1)
    with pytest.raises(
        ValueError, match="plugin 'mailtest' adds mail variable 'customer'"
    ):
        mail.plugin_variables({}, "marketing", None)


def test_hook_crm_mail_allowed_can_refuse_a_message(crm_host, mail, add_customers):
    """A plugin's problem skips the message with the problem as its reason."""
    _template(crm_host, mail)
    seen.clear()
    ok, capped = add_customers(2)
    with crm_host.db.transaction() as connection:
        sent = mail.send(connection, to_customer_id=ok, template="hooked")
        held = mail.send(
            connection, to_customer_id=capped, template="hooked", campaign="too-often"
        )
    m = tables.message
    with crm_host.db.connect() as connection:
        rows = dict(
            connection.execute(
                select(m.c.id, m.c.reason).where(m.c.id.in_([sent, held]))
            ).all()
        )
    assert rows == {
        sent: None,
        held: "three messages this week already (plugin mailtest)",
    }
    assert [(s.customer_id, s.template, s.purpose) for s in seen] == [
        (ok, "hooked", "marketing"),
        (capped, "hooked", "marketing"),
    ]


def test_a_template_using_a_variable_no_plugin_gives_is_refused(crm_host, mail):
    """Only names a plugin actually gives count as known."""
    with pytest.raises(TemplateProblem):
        _template(crm_host, mail, text_body="{{ loyalty_points }}")
