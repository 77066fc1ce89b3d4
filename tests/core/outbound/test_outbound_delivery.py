"""Delivering through the guard: signed, pinned, logged, and retried as jobs."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from crm_core.outbound import SIGNATURE_HEADER, TIMESTAMP_HEADER, OutboundError, verify
from crm_core.outbound.tables import delivery, payload
from crm_core.security import SYSTEM
from crm_core.settings import settings_service
from crm_core.storage.types import utcnow


def _log(crm_host):
    """The delivery log, oldest first."""
    with crm_host.db.connect() as connection:
        return [dict(r) for r in connection.execute(select(delivery)).mappings()]


def test_a_signed_call_reaches_an_allowed_local_server(
    sender, receiver, allow, crm_host
):
    """An allow-listed 127.0.0.1 gets the body, signed so its receiver verifies."""
    allow("127.0.0.1")
    response = sender.post_json(receiver.url("/hook?token=abc"), {"event": "ping"})
    assert response.status_code == 200 and response.content == b"ok"
    (request,) = receiver.requests
    assert json.loads(request.body) == {"event": "ping"}
    assert request.path == "/hook?token=abc"
    secret = settings_service(crm_host).get("outbound.signing_secret")
    assert secret and verify(secret, request.headers, request.body)
    assert not verify(secret, request.headers, request.body + b" ")
    assert request.headers[TIMESTAMP_HEADER].isdigit()
    assert request.headers[SIGNATURE_HEADER].startswith("v1=")


def test_the_log_keeps_the_target_and_outcome_but_never_the_body(
    sender, receiver, allow, crm_host
):
    """The delivery log has where, how and how long; not the body nor the query."""
    allow("127.0.0.1")
    sender.send("POST", receiver.url("/hook?token=abc"), body=b"private words")
    (row,) = _log(crm_host)
    assert row["target"] == f"http://127.0.0.1:{receiver.port}/hook"
    assert (row["status"], row["response_status"], row["attempts"]) == (
        "delivered",
        200,
        1,
    )
    assert row["duration_ms"] is not None
    assert "private words" not in repr(row) and "token" not in repr(row)


def test_the_connection_goes_to_the_checked_address(
    sender, receiver, allow, resolve_as
):
    """The name is resolved once; the request goes to that address with its Host."""
    calls = resolve_as({"hooks.example": "127.0.0.1"})
    allow("hooks.example")
    sender.send("GET", receiver.url("/ping", host="hooks.example"))
    assert calls.count("hooks.example") == 1
    assert set(calls) <= {"hooks.example", "127.0.0.1"}
    assert receiver.requests[0].headers["Host"] == f"hooks.example:{receiver.port}"


def test_redirects_are_not_followed(sender, receiver, allow):
    """A redirect comes back as the answer; its target is never called."""
    allow("127.0.0.1")
    receiver.answer(302, b"", {"Location": receiver.url("/elsewhere")})
    response = sender.send("GET", receiver.url("/start"))
    assert response.status_code == 302
    assert [r.path for r in receiver.requests] == ["/start"]


def test_a_slow_target_times_out(sender, receiver, allow, crm_host):
    """A target slower than outbound.timeout_seconds fails the call, logged."""
    allow("127.0.0.1")
    with crm_host.db.transaction() as connection:
        settings_service(crm_host).set(
            connection, SYSTEM, "outbound.timeout_seconds", 1
        )
    receiver.answer(delay=2.0)
    with pytest.raises(OutboundError, match="did not answer within 1 seconds"):
        sender.send("GET", receiver.url("/slow"))
    assert _log(crm_host)[0]["status"] == "failed"


def test_a_queued_call_is_retried_with_backoff_until_delivered(
    sender, receiver, allow, crm_host, worker
):
    """5xx answers are retried as jobs with growing pauses; the body waits."""
    allow("127.0.0.1")
    for status in (503, 503, 200):
        receiver.answer(status)
    with crm_host.db.transaction() as connection:
        delivery_id = sender.deliver_later(
            connection, "POST", receiver.url(), body=b'{"n":1}'
        )
    worker.run_once()
    first = _log(crm_host)[0]
    assert (first["status"], first["attempts"], first["response_status"]) == (
        "retrying",
        1,
        503,
    )
    pause = first["next_attempt_at"] - first["last_attempt_at"]
    assert timedelta(seconds=29) < pause < timedelta(seconds=31)
    worker.run_once(now=utcnow() + timedelta(seconds=10))
    assert _log(crm_host)[0]["attempts"] == 1
    worker.run_once(now=utcnow() + timedelta(minutes=1))
    worker.run_once(now=utcnow() + timedelta(minutes=10))
    final = _log(crm_host)[0]
    assert (final["status"], final["attempts"]) == ("delivered", 3)
    assert [r.body for r in receiver.requests] == [b'{"n":1}'] * 3
    with crm_host.db.connect() as connection:
        assert connection.execute(select(payload)).all() == []
    assert sender.run_delivery(delivery_id) == "delivered"


@pytest.mark.parametrize(
    ("status", "headers", "message"),
    [
        (404, {}, "the target answered 404"),
        (301, {"Location": "/x"}, "redirects are not followed"),
    ],
)
def test_a_client_error_or_redirect_ends_a_queued_call(
    sender, receiver, allow, crm_host, worker, status, headers, message
):
    """A 4xx (other than 408, 425, 429) or a redirect is not retried."""
    allow("127.0.0.1")
    receiver.answer(status, b"", headers)
    with crm_host.db.transaction() as connection:
        sender.deliver_later(connection, "POST", receiver.url())
    worker.run_once()
    (row,) = _log(crm_host)
    assert (row["status"], row["attempts"]) == ("failed", 1)
    assert message in row["last_error"]


def test_a_queued_call_gives_up_after_its_attempts(
    sender, receiver, allow, crm_host, worker
):
    """After outbound.max_attempts failures the call is failed and its body dropped."""
    allow("127.0.0.1")
    with crm_host.db.transaction() as connection:
        settings_service(crm_host).set(connection, SYSTEM, "outbound.max_attempts", 2)
        sender.deliver_later(connection, "POST", receiver.url(), body=b"x")
    for status in (500, 500, 200):
        receiver.answer(status)
    worker.run_once()
    worker.run_once(now=utcnow() + timedelta(hours=1))
    (row,) = _log(crm_host)
    assert (row["status"], row["attempts"]) == ("failed", 2)
    assert len(receiver.requests) == 2
    with crm_host.db.connect() as connection:
        assert connection.execute(select(payload)).all() == []


def test_a_queued_call_to_a_refused_target_is_not_retried(sender, crm_host, worker):
    """A refused target ends the delivery at once, with nothing sent."""
    with crm_host.db.transaction() as connection:
        sender.deliver_later(connection, "POST", "http://10.0.0.5/hook")
    worker.run_once()
    (row,) = _log(crm_host)
    assert row["status"] == "refused"
    assert "10.0.0.5, a private address" in row["last_error"]


def test_a_rolled_back_transaction_queues_nothing(
    sender, receiver, allow, crm_host, worker
):
    """deliver_later writes in the caller's transaction."""
    allow("127.0.0.1")
    with pytest.raises(RuntimeError), crm_host.db.transaction() as connection:
        sender.deliver_later(connection, "POST", receiver.url())
        raise RuntimeError("the caller changes its mind")
    worker.run_once()
    assert _log(crm_host) == [] and receiver.requests == []


def test_the_signing_secret_is_made_once_and_kept_secret(sender, crm_api):
    """The first call makes a secret; the API only says that one is set."""
    first = sender.signing_secret()
    assert len(first) >= 32 and sender.signing_secret() == first
    shown = crm_api("admin").get("/api/v1/settings/outbound.signing_secret")
    assert shown.get_json() | {"value": None, "is_set": True} == shown.get_json()


def test_verify_accepts_a_rotated_secret_and_refuses_old_timestamps():
    """Receivers accept any listed signature and refuse stale or forged ones."""
    from crm_core.outbound.signing import signed_headers

    body = b'{"a":1}'
    headers = signed_headers("new", body, timestamp=1_700_000_000)
    old = signed_headers("old", body, timestamp=1_700_000_000)[SIGNATURE_HEADER]
    rotated = {**headers, SIGNATURE_HEADER: f"{old}, {headers[SIGNATURE_HEADER]}"}
    assert verify("new", rotated, body, now=1_700_000_100)
    assert verify("old", rotated, body, now=1_700_000_100)
    assert not verify("new", headers, body, now=1_700_000_400)
    assert not verify("other", headers, body, now=1_700_000_000)
    assert not verify("new", {}, body)


def test_administrators_read_the_delivery_log(sender, receiver, allow, crm_api):
    """The log is listed newest first, for administrators only."""
    allow("127.0.0.1")
    sender.send("POST", receiver.url("/one"), body=b"a")
    sender.send("POST", receiver.url("/two"), body=b"b")
    client = crm_api("admin")
    page = client.get("/api/v1/outbound/deliveries?limit=1").get_json()
    assert page["items"][0]["target"].endswith("/two") and page["next_cursor"]
    following = client.get(
        f"/api/v1/outbound/deliveries?cursor={page['next_cursor']}"
    ).get_json()
    assert following["items"][0]["target"].endswith("/one")
    one = client.get(f"/api/v1/outbound/deliveries/{page['items'][0]['id']}")
    assert one.get_json()["status"] == "delivered"
    assert crm_api("manager").get("/api/v1/outbound/deliveries").status_code == 403


def test_https_keeps_the_host_name_for_tls(sender, allow, resolve_as, monkeypatch):
    """Over https the IP is dialled while SNI and the certificate check use the name."""
    import httpx

    seen = []

    def capture(client, request, **kwargs):
        seen.append(request)
        return httpx.Response(204, request=request)

    monkeypatch.setattr(httpx.Client, "send", capture)
    resolve_as({"secure.example": "127.0.0.1"})
    allow("secure.example")
    assert sender.send("GET", "https://secure.example/status").status_code == 204
    (request,) = seen
    assert request.url.host == "127.0.0.1" and request.url.scheme == "https"
    assert request.extensions["sni_hostname"] == "secure.example"
    assert request.headers["Host"] == "secure.example"
