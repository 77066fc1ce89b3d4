"""``crm mail``: listen for mail, or take one message from a file or a pipe."""

from __future__ import annotations

import signal
import sys
import threading
from typing import BinaryIO

import click

from . import mail_service
from .listener import DEFAULT_PORT, LOOPBACK, listener


@click.group()
def mail() -> None:
    """Inbound mail."""


@mail.command("listen")
@click.option(
    "--port",
    default=DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port on 127.0.0.1 to listen on.",
)
def listen(port: int) -> None:
    """Receive mail over SMTP on 127.0.0.1 until stopped (Ctrl-C)."""
    from ..cli import load_host, migrated

    with migrated(load_host()) as host:
        controller = listener(mail_service(host), port)
        stop = threading.Event()
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: stop.set())
        controller.start()
        click.echo(f"listening for mail on {LOOPBACK}:{port}")
        try:
            stop.wait()
        finally:
            controller.stop()
            click.echo("stopped")


@mail.command("receive")
@click.argument("source", type=click.File("rb"), default="-")
def receive(source: BinaryIO) -> None:
    """Store one message read from SOURCE (a file, or - for standard input).

    Suits a mail server's pipe delivery: ``| crm mail receive``.
    """
    from ..cli import load_host, migrated

    with migrated(load_host()) as host:
        result = mail_service(host).receive(source.read())
    click.echo(f"{result.kind} {result.message_id}")
    sys.exit(0)
