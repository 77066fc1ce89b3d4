"""The outbound guard: internal addresses are refused before any packet is sent."""

from __future__ import annotations

import ipaddress

import pytest
from sqlalchemy import select

from crm_core.outbound import OutboundError, OutboundRefused
from crm_core.outbound.addresses import why_refused
from crm_core.outbound.tables import delivery


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/hook",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/hook",
        "http://localhost:{port}/hook",
        "http://[::ffff:127.0.0.1]:{port}/hook",
        "http://0.0.0.0:{port}/hook",
        "http://[fd00:ec2::254]/latest/meta-data/",
    ],
)
def test_internal_targets_are_refused_without_a_packet_sent(
    sender, receiver, connections, crm_host, target
):
    """Loopback, private, metadata and names resolving to them never get a request."""
    url = target.format(port=receiver.port)
    with pytest.raises(OutboundRefused, match="refused to call"):
        sender.send("POST", url, body=b"{}")
    assert connections == []
    assert receiver.requests == []
    with crm_host.db.connect() as connection:
        logged = connection.execute(
            select(delivery.c.status, delivery.c.attempts)
        ).one()
    assert tuple(logged) == ("refused", 1)


def test_a_name_resolving_to_a_private_address_is_refused(
    sender, resolve_as, connections
):
    """A public-looking name is judged by the addresses it resolves to."""
    resolve_as({"intranet.example": "10.0.0.5"})
    with pytest.raises(OutboundRefused, match="10.0.0.5, a private address"):
        sender.send("GET", "https://intranet.example/api")
    assert connections == []


def test_one_internal_address_among_public_ones_is_enough_to_refuse(
    sender, monkeypatch, connections
):
    """Every resolved address is checked, not only the first."""
    import socket

    answers = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443)),
        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", 443, 0, 0)),
    ]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: answers)
    with pytest.raises(OutboundRefused, match="::1, a loopback address"):
        sender.send("GET", "https://mixed.example/")
    assert connections == []


def test_metadata_addresses_stay_refused_even_when_allowed(sender, allow, connections):
    """Allow-listing a link-local network does not open the metadata service."""
    allow("169.254.0.0/16", "fd00::/8")
    with pytest.raises(OutboundRefused, match="cloud metadata"):
        sender.send("GET", "http://169.254.169.254/latest/meta-data/")
    assert connections == []


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.10.10", "link-local"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "not a public address"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("ff02::1", "multicast"),
        ("::ffff:10.0.0.5", "private address (carried in ::ffff:a00:5)"),
        ("64:ff9b::7f00:1", "loopback address (carried in 64:ff9b::7f00:1)"),
        ("2002:7f00:1::1", "loopback address (carried in 2002:7f00:1::1)"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
    ],
)
def test_why_an_address_is_refused(address, reason):
    """Each class of internal address, IPv4 and IPv6, has its reason."""
    assert reason in why_refused(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111"])
def test_public_addresses_may_be_called(address):
    """Global unicast addresses are not refused."""
    assert why_refused(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://files.example/x", "only http and https"),
        ("https://user:pw@hooks.example/x", "carries credentials"),
        ("not a url at all", "only http and https"),
    ],
)
def test_urls_other_than_plain_http_are_refused(sender, url, message):
    """Other schemes and credentials in the URL are refused before anything else."""
    with pytest.raises(OutboundError, match=message):
        sender.send("GET", url)
