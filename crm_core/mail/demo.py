"""Demo data of the mail service: a welcome message and a newsletter."""

from __future__ import annotations

from typing import Any

WELCOME = {
    "name": "welcome",
    "description": "Sent when someone becomes a customer",
    "subject": "Welcome, {{ customer.name | default('and thank you') }}",
    "text_body": (
        "Hello {{ customer.name | default('there') }},\n\n"
        "thank you for choosing us. Reply to this message whenever you need "
        "anything; it reaches your account team directly.\n"
    ),
    "html_body": (
        "<p>Hello {{ customer.name | default('there') }},</p>"
        "<p>thank you for choosing us. Reply to this message whenever you need "
        "anything; it reaches your account team directly.</p>"
    ),
    "variables": [],
}

NEWSLETTER = {
    "name": "newsletter",
    "description": "The monthly newsletter; marketing mail with an unsubscribe link",
    "subject": "{{ campaign | default('News') }} for {{ customer.display_name }}",
    "text_body": (
        "Hello {{ customer.name | default('there') }},\n\n"
        "here is what is new this month.\n\n"
        "No longer interested? Unsubscribe: {{ unsubscribe_url }}\n"
    ),
    "html_body": (
        "<p>Hello {{ customer.name | default('there') }},</p>"
        "<p>here is what is new this month.</p>"
        '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
    ),
    "variables": [],
}


def demo_templates(demo: Any) -> None:
    """Add the two demo templates (the demo is loaded once, into an empty database)."""
    from . import mail_service

    service = mail_service(demo.host)
    with demo.host.db.transaction() as connection:
        for data in (WELCOME, NEWSLETTER):
            service.templates.create(connection, demo.actor, data)
