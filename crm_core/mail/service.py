"""The mail service of one host: templates, sending, unsubscribing, receiving."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection

from ..contributions import FieldSpec, JobSpec
from ..customers import InvalidInput, NotFound
from . import consent, delivery, inbound, outbox
from .events import MailUnsubscribed
from .rendering import (
    BUILTIN_VARIABLES,
    RenderedMail,
    Renderer,
    check_template,
    customer_context,
    plugin_variables,
    sample_customer,
)
from .settings import MailSettings, load_settings
from .template_store import MailTemplate, TemplateStore
from .transport import SmtpTransport

if TYPE_CHECKING:
    from ..host import Host

log = logging.getLogger("crm_core.mail")

#: Where the public unsubscribe page lives; links in mail point here.
UNSUBSCRIBE_PATH = "/mail/unsubscribe/"
TEST_PREFIX = "[Test] "


class MailService:
    """Everything mail for one host; get it with :func:`~crm_core.mail.mail_service`."""

    def __init__(self, host: Host, settings: MailSettings | None = None) -> None:
        self.host = host
        self.settings = settings or load_settings(host.config)
        self.renderer = Renderer()
        self.templates = TemplateStore(self.check_template)
        self._tokens: consent.UnsubscribeTokens | None = None
        self.transport = SmtpTransport(self.settings)
        self._used: WeakKeyDictionary[Any, dict[str, MailTemplate]] = (
            WeakKeyDictionary()
        )
        # Deliveries queued through this host run with this service.
        host.jobs.specs[delivery.DELIVER_JOB] = JobSpec(
            delivery.DELIVER_JOB,
            partial(delivery.deliver, self),
            max_attempts=delivery.MAX_ATTEMPTS,
        )
        self._warned_http = False

    @property
    def tokens(self) -> consent.UnsubscribeTokens:
        """Signs unsubscribe links with the installation's secret key."""
        if self._tokens is None:
            self._tokens = consent.UnsubscribeTokens(_signing_key(self.host))
        return self._tokens

    # -- templates ------------------------------------------------------------

    def check_template(
        self, connection: Connection, parts: Mapping[str, str], variables: Sequence[str]
    ) -> None:
        """Refuse a template that prints what no recipient has (see ``rendering``)."""
        sample = sample_customer(self._fields(connection))
        extra = self.plugin_variables(sample, consent.MARKETING, "sample campaign")
        check_template(parts, variables, sample, extra)

    def preview(
        self,
        connection: Connection,
        template: MailTemplate,
        customer_id: int | None = None,
        context: Mapping[Any, Any] | None = None,
    ) -> RenderedMail:
        """``template`` as a customer (a sample one by default) would get it."""
        values = {name: f"[{name}]" for name in template.variables}
        values.update(context or {})
        if customer_id is None:
            customer = sample_customer(self._fields(connection))
        else:
            customer = customer_context(
                self._customer(connection, customer_id), self._fields(connection)
            )
        return self._render(
            template,
            customer,
            values,
            purpose=consent.MARKETING,
            campaign=None,
            message_id=None,
        )

    # -- sending --------------------------------------------------------------

    def send(
        self,
        connection: Connection,
        *,
        to_customer_id: int | None = None,
        to_address: str | None = None,
        template: str,
        context: Mapping[Any, Any] | None = None,
        purpose: str = consent.MARKETING,
        campaign: str | None = None,
        in_reply_to: str | None = None,
    ) -> int:
        """Queue one message in ``connection``'s transaction; returns its row id.

        The message is rendered now and delivered by a job after commit. A
        message that consent, suppression or a plugin forbids is stored as
        ``skipped`` with the reason, and no job is queued.
        """
        values = dict(context or {})
        outbox.check_request(
            to_customer_id=to_customer_id,
            to_address=to_address,
            purpose=purpose,
            purposes=consent.PURPOSES,
            context=values,
            reserved=BUILTIN_VARIABLES,
            in_reply_to=in_reply_to,
        )
        chosen = self._template(connection, template, values)
        row, address = self._recipient(connection, to_customer_id, to_address)
        personal = customer_context(row, self._fields(connection)) if row else {}
        if address and "email" not in personal:
            personal["email"] = address
        return self._queue(
            connection,
            chosen,
            personal,
            values,
            customer_id=row["id"] if row else None,
            address=address,
            purpose=purpose,
            campaign=campaign,
            in_reply_to=in_reply_to,
        )

    def send_test(
        self,
        connection: Connection,
        template: MailTemplate,
        to_address: str,
        customer_id: int | None = None,
        context: Mapping[Any, Any] | None = None,
    ) -> int:
        """Queue ``template`` to ``to_address`` as a customer (or a sample) gets it."""
        address = outbox.normalise_address(to_address)
        values = {name: f"[{name}]" for name in template.variables}
        values.update(context or {})
        fields = self._fields(connection)
        if customer_id is None:
            personal = sample_customer(fields)
        else:
            personal = customer_context(self._customer(connection, customer_id), fields)
        return self._queue(
            connection,
            template,
            personal,
            values,
            customer_id=None,
            address=address,
            purpose=consent.TRANSACTIONAL,
            campaign=None,
            in_reply_to=None,
            prefix=TEST_PREFIX,
        )

    def _queue(
        self,
        connection: Connection,
        template: MailTemplate,
        personal: Mapping[str, Any],
        values: Mapping[str, Any],
        *,
        customer_id: int | None,
        address: str | None,
        purpose: str,
        campaign: str | None,
        in_reply_to: str | None,
        prefix: str = "",
    ) -> int:
        message_id = outbox.new_message_id(self.settings.domain)
        rendered = self._render(
            template,
            personal,
            values,
            purpose=purpose,
            campaign=campaign,
            message_id=message_id,
        )
        refused = consent.refusal(
            connection,
            customer_id=customer_id,
            address=address,
            purpose=purpose,
            model=self.settings.marketing_consent,
        ) or self._vetoed(
            outbox.OutgoingMail(customer_id, address, template.name, purpose, campaign)
        )
        thread = outbox.find_thread(connection, [in_reply_to or ""])
        mail_id = outbox.queue_message(
            connection,
            {
                "message_id": message_id,
                "thread_id": thread or in_reply_to or message_id,
                "in_reply_to": in_reply_to,
                "customer_id": customer_id,
                "to_address": address,
                "template": template.name,
                "purpose": purpose,
                "campaign": campaign,
                "subject": (prefix + rendered.subject)[:500],
                "html_body": rendered.html,
                "text_body": rendered.text,
            },
            refused=refused,
        )
        if not refused:
            self.host.jobs.enqueue(
                delivery.DELIVER_JOB, connection=connection, mail_id=mail_id
            )
        return mail_id

    def deliver(self, mail_id: int) -> None:
        """Run one delivery of a queued message now (what the job does)."""
        delivery.deliver(self, mail_id)

    # -- unsubscribing ----------------------------------------------------------

    def unsubscribe_links(self, message_id: str) -> tuple[str, str]:
        """The one-click https link and the mailto link for a message."""
        token = self.tokens.make(message_id)
        url = f"{self.settings.base_url.rstrip('/')}{UNSUBSCRIBE_PATH}{token}"
        if not url.startswith("https://") and not self._warned_http:
            self._warned_http = True
            log.warning(
                "CRM_BASE_URL is not https; mail clients ignore one-click "
                "unsubscribe links that are not https"
            )
        mailto = (
            f"mailto:{self.settings.unsubscribe_mailbox}?subject=unsubscribe%20{token}"
        )
        return url, mailto

    def unsubscribe_target(
        self, connection: Connection, token: str
    ) -> Mapping[Any, Any] | None:
        """The message an unsubscribe token was made for, or ``None`` if forged."""
        message_id = self.tokens.read(token)
        if message_id is None:
            return None
        return outbox.message_by_message_id(connection, message_id)

    def unsubscribe_in(
        self, connection: Connection, token: str, method: str
    ) -> Mapping[Any, Any] | None:
        """Withdraw marketing consent for a token's message; ``None`` if forged."""
        message = self.unsubscribe_target(connection, token)
        if message is None:
            return None
        if consent.withdraw(connection, message, method):
            self.host.events.publish(
                connection,
                MailUnsubscribed(
                    mail_id=message["id"],
                    customer_id=message["customer_id"],
                    campaign=message["campaign"],
                ),
            )
        return message

    # -- receiving --------------------------------------------------------------

    def receive(self, raw: bytes, recipients: Sequence[str] = ()) -> inbound.Received:
        """Store one received message (see :mod:`crm_core.mail.inbound`)."""
        return inbound.receive(self, raw, recipients)

    def close(self) -> None:
        """Close the SMTP connections this service keeps open."""
        self.transport.close()

    # -- pieces -----------------------------------------------------------------

    def plugin_variables(
        self, customer: Mapping[str, Any], purpose: str, campaign: str | None
    ) -> dict[str, Any]:
        """What plugins add through ``crm_mail_variables``; clashes are refused."""
        return plugin_variables(self.host.plugins, customer, purpose, campaign)

    def _render(
        self,
        template: MailTemplate,
        customer: Mapping[str, Any],
        values: Mapping[str, Any],
        *,
        purpose: str,
        campaign: str | None,
        message_id: str | None,
    ) -> RenderedMail:
        if message_id is None:
            link = f"{self.settings.base_url.rstrip('/')}{UNSUBSCRIBE_PATH}preview"
        else:
            link = self.unsubscribe_links(message_id)[0]
        context: dict[str, Any] = {
            **self.plugin_variables(customer, purpose, campaign),
            **values,
            "customer": customer,
            "unsubscribe_url": link,
        }
        if campaign:
            context["campaign"] = campaign
        key = (template.id, template.version)
        return self.renderer.render(key, template.parts(), context)

    def _template(
        self, connection: Connection, name: str, values: Mapping[str, Any]
    ) -> MailTemplate:
        transaction = connection.get_transaction()
        # A campaign sends thousands of messages in one transaction: look the
        # template up once per transaction.
        seen = self._used.setdefault(transaction, {}) if transaction else {}
        chosen = seen.get(name)
        if chosen is None:
            try:
                chosen = seen[name] = self.templates.named(connection, name)
            except NotFound as error:
                raise InvalidInput({"template": [str(error)]}) from None
        missing = [v for v in chosen.variables if v not in values]
        if missing:
            raise InvalidInput(
                {
                    "context": [
                        f"template {chosen.name!r} needs {', '.join(missing)}; "
                        "pass them in context"
                    ]
                }
            )
        return chosen

    def _recipient(
        self,
        connection: Connection,
        customer_id: int | None,
        address: str | None,
    ) -> tuple[Mapping[Any, Any] | None, str | None]:
        if customer_id is not None:
            row = self._customer(connection, customer_id)
            return row, row["email"]
        assert address is not None
        clean = outbox.normalise_address(address)
        return outbox.customer_by_address(connection, clean), clean

    def _customer(self, connection: Connection, customer_id: int) -> Mapping[str, Any]:
        row = outbox.live_customer(connection, customer_id)
        if row is None:
            raise NotFound(f"customer {customer_id} not found")
        return row

    def _fields(self, connection: Connection) -> dict[str, FieldSpec]:
        return self.host.fields.for_type(connection, "customer")

    def _vetoed(self, mail: outbox.OutgoingMail) -> str | None:
        problems = self.host.plugins.veto("crm_mail_allowed", mail=mail)
        if not problems:
            return None
        return "; ".join(f"{p.value.message} (plugin {p.plugin})" for p in problems)


def _signing_key(host: Host) -> str:
    """The installation's secret key, as the web host uses it: links verify anywhere."""
    if host.config.secret_key:
        return host.config.secret_key
    from ..app import _secret_key  # the key kept in the data folder

    return _secret_key(host.config)
