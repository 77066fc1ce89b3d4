"""Setting up: settings, migrations, demo templates, the ``crm mail`` commands."""

from __future__ import annotations

import os
import random
import signal
import smtplib
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import attrs
import pytest
from sqlalchemy import create_engine, inspect, select

from crm_core.config import Config
from crm_core.demo import DemoContext
from crm_core.mail import MailSettingsError, tables
from crm_core.mail.demo import demo_templates
from crm_core.mail.settings import load_settings
from crm_core.security import SYSTEM
from crm_core.storage import migrations

CRM = str(Path(sys.executable).parent / "crm")


def test_settings_come_from_the_configuration_and_the_environment(monkeypatch):
    """Unknown CRM_* settings are read from the config; the environment wins."""
    config = Config(extra={"smtp_host": "mail.example.com", "smtp_port": "2525"})
    monkeypatch.setenv("CRM_SMTP_PORT", "587")
    monkeypatch.setenv("CRM_MAIL_RATE_PER_MINUTE", "120")
    settings = load_settings(config)
    assert (settings.smtp_host, settings.smtp_port) == ("mail.example.com", 587)
    assert settings.rate_per_minute == 120
    assert settings.marketing_consent == "opt-out"


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"smtp_port": "twenty-five"}, "CRM_SMTP_PORT must be a number"),
        ({"smtp_security": "ssl3"}, "use one of none, starttls, tls"),
        ({"mail_from": "nobody"}, "CRM_MAIL_FROM is 'nobody'"),
        ({"mail_marketing_consent": "maybe"}, "CRM_MAIL_MARKETING_CONSENT"),
        ({"smtp_host": "relay.example.com", "smtp_username": "crm"}, "in clear"),
    ],
)
def test_unusable_settings_are_refused_naming_the_variable(extra, words):
    """A bad mail setting stops the service with the variable and the remedy named."""
    with pytest.raises(MailSettingsError, match=words):
        load_settings(Config(extra=extra))


def test_the_mail_tables_roll_back_and_apply_again(crm_host):
    """The core_mail revisions downgrade to nothing and upgrade again."""
    [source] = [s for s in crm_host.migration_sources() if s.owner == "core_mail"]
    migrations.downgrade(crm_host.db, source)
    names = set(inspect(crm_host.db.engine).get_table_names())
    assert not {t.name for t in tables.TABLES} & names
    crm_host.upgrade()
    assert {t.name for t in tables.TABLES} <= set(
        inspect(crm_host.db.engine).get_table_names()
    )


def test_demo_data_adds_a_welcome_and_a_newsletter(crm_host, mail):
    """The demo loader stores two templates that pass the check."""
    demo_templates(DemoContext(host=crm_host, random=random.Random(7), actor=SYSTEM))
    with crm_host.db.connect() as connection:
        names = [t.name for t in mail.templates.list(connection)]
        preview = mail.preview(
            connection, mail.templates.named(connection, "newsletter")
        )
    assert names == ["newsletter", "welcome"]
    assert "/mail/unsubscribe/" in preview.text


@pytest.fixture
def crm_cli(tmp_path):
    """Run ``crm`` in a subprocess against a fresh SQLite database."""
    url = f"sqlite:///{tmp_path}/crm.sqlite3"
    env = {
        **os.environ,
        "CRM_DATABASE_URL": url,
        "CRM_DATA_DIR": str(tmp_path / "data"),
        "CRM_PLUGINS": "",
    }
    subprocess.run([CRM, "db", "upgrade"], env=env, check=True, capture_output=True)
    return attrs.make_class("Cli", ["env", "url", "folder"])(env, url, tmp_path)


def _stored(url):
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(tables.inbound.c.subject)).scalars().all()
    finally:
        engine.dispose()


def _message(subject):
    message = EmailMessage()
    message["From"] = "someone@example.org"
    message["To"] = "crm@localhost"
    message["Subject"] = subject
    message["Message-ID"] = f"<{subject.replace(' ', '-')}@example.org>"
    message.set_content("hello")
    return message.as_bytes()


def test_crm_mail_receive_stores_a_message_from_a_pipe(crm_cli):
    """``crm mail receive`` reads a message on standard input and stores it."""
    done = subprocess.run(
        [CRM, "mail", "receive"],
        input=_message("piped in"),
        env=crm_cli.env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().startswith("message <piped-in@example.org>")
    assert _stored(crm_cli.url) == ["piped in"]


def test_crm_mail_listen_receives_over_smtp_until_stopped(crm_cli):
    """``crm mail listen`` accepts mail on 127.0.0.1 and stops cleanly on SIGTERM."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [CRM, "mail", "listen", "--port", str(port)],
        env=crm_cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
                    client.sendmail(
                        "someone@example.org", ["crm@localhost"], _message("over smtp")
                    )
                break
            except OSError:
                assert time.monotonic() < deadline, process.stderr
                time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert b"listening for mail on 127.0.0.1" in out
    assert _stored(crm_cli.url) == ["over smtp"]
