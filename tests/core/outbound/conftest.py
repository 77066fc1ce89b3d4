"""Fixtures for the outbound tests: a real HTTP server on 127.0.0.1, a socket spy."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import attrs
import pytest

from crm_core.jobs import Worker
from crm_core.outbound import outbound_sender
from crm_core.outbound import wiring as outbound_wiring
from crm_core.security import SYSTEM
from crm_core.settings import settings_service
from crm_core.tasks import wiring as tasks_wiring


@attrs.define
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@attrs.define
class Answer:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = attrs.field(factory=dict)
    delay: float = 0.0


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up is expected here


class Receiver:
    """An HTTP server in a thread that records requests and plays scripted answers."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: list[Answer] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append(
                    Received(self.command, self.path, dict(self.headers), body)
                )
                answer = receiver.script.pop(0) if receiver.script else Answer()
                time.sleep(answer.delay)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def answer(
        self,
        status: int = 200,
        body: bytes = b"ok",
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Queue the answer to the next request (200 "ok" when none is queued)."""
        self.script.append(Answer(status, body, headers or {}, delay))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP server listening on 127.0.0.1."""
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def sender(crm_host: Any) -> Any:
    return outbound_sender(crm_host)


@pytest.fixture
def worker(crm_host: Any) -> Worker:
    """A worker for the test host, with the shared services bound to it."""
    for wiring in (outbound_wiring, tasks_wiring):
        wiring.crm_host_started(crm_host)
    return Worker(crm_host.db, crm_host.events, crm_host.jobs)


@pytest.fixture
def allow(crm_host: Any) -> Any:
    """Store the outbound allow-list: ``allow("127.0.0.1", "hooks.test")``."""

    def store(*entries: str) -> None:
        with crm_host.db.transaction() as connection:
            settings_service(crm_host).set(
                connection, SYSTEM, "outbound.allowed_hosts", list(entries)
            )

    return store


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every outgoing TCP connection attempted during the test."""
    attempts: list[Any] = []
    create = socket.create_connection
    connect = socket.socket.connect

    def spy_create(address: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(address)
        return create(address, *args, **kwargs)

    def spy_connect(self: socket.socket, address: Any) -> Any:
        attempts.append(address)
        return connect(self, address)

    monkeypatch.setattr(socket, "create_connection", spy_create)
    monkeypatch.setattr(socket.socket, "connect", spy_connect)
    return attempts


@pytest.fixture
def resolve_as(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make names resolve as chosen: ``resolve_as({"a.test": "10.0.0.5"})``."""
    calls: list[str] = []

    def install(table: dict[str, str]) -> list[str]:
        real = socket.getaddrinfo

        def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            calls.append(host)
            if host in table:
                address = table[host]
                family = socket.AF_INET6 if ":" in address else socket.AF_INET
                return [(family, socket.SOCK_STREAM, 6, "", (address, port))]
            return real(host, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", fake)
        return calls

    return install
