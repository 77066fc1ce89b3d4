"""Which addresses the product may call: resolving a target and refusing internal ones.

A host is resolved once; if any of its addresses is loopback, private,
link-local, multicast, reserved, unspecified or otherwise not public, the
call is refused before a packet is sent. IPv4 addresses inside IPv6 ones
(IPv4-mapped, 6to4, NAT64, Teredo) are judged by the IPv4 address they
carry. The ``outbound.allowed_hosts`` setting lets chosen hosts and networks
through (an intranet service, a test server); cloud metadata addresses are
refused even then.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import TypeAlias

import attrs

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Instance metadata services of cloud providers (AWS, ECS, Alibaba, GCP, Azure).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(text)
    for text in ("169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
ALLOW_SETTING = "outbound.allowed_hosts"


class OutboundError(RuntimeError):
    """A call to another system failed; the message says how."""


class OutboundRefused(OutboundError):
    """A call refused before anything was sent; the message names the address."""


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries, if it is one of the known forms."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def why_refused(address: IPAddress) -> str | None:
    """Why ``address`` may not be called (``"loopback"``, ...), or ``None``."""
    inner = embedded_ipv4(address)
    if inner is not None:
        reason = why_refused(inner)
        return f"{reason} (carried in {address})" if reason else None
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    for reason, flag in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
    ):
        if flag:
            return f"a {reason} address"
    if not address.is_global:
        return "not a public address"
    return None


@attrs.frozen
class AllowList:
    """Hosts and networks an administrator lets through despite their addresses."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> AllowList:
        hosts, networks = set(), []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows(self, host: str, address: IPAddress) -> bool:
        if address in METADATA_ADDRESSES:
            return False
        if host.lower().rstrip(".") in self.hosts:
            return True
        return any(
            address.version == net.version and address in net for net in self.networks
        )


def literal_address(host: str) -> IPAddress | None:
    """``host`` as an IP address when it is written as one (``[::1]`` too)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to, in the resolver's order."""
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise OutboundError(f"cannot resolve host {host!r} ({error})") from None
    addresses: list[IPAddress] = []
    for *_ignored, sockaddr in found:
        # Link-local IPv6 answers carry a zone ("fe80::1%eth0").
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise OutboundError(f"host {host!r} has no address")
    return addresses


def checked_addresses(host: str, port: int, allowed: AllowList) -> list[IPAddress]:
    """The addresses of ``host``, or :class:`OutboundRefused` if any is internal."""
    addresses = resolve(host, port)
    for address in addresses:
        reason = why_refused(address)
        if reason is not None and not allowed.allows(host, address):
            listed = (
                ""
                if address in METADATA_ADDRESSES
                else f"; if it is meant to be reached, add it to {ALLOW_SETTING!r}"
            )
            raise OutboundRefused(
                f"refused to call {host!r}: it resolves to {address}, {reason}{listed}"
            )
    return addresses
