"""One HTTP attempt to a checked address.

The connection goes to the address that was checked, never to a second
lookup of the name: the URL is rewritten to the IP address, while the
``Host`` header and the TLS server name (SNI, and so the certificate check)
keep the original host. A name whose DNS answer changes between the check
and the connection (DNS rebinding) therefore cannot redirect the call.
Redirects are not followed and proxies from the environment are not used.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import attrs
import httpx

from .addresses import IPAddress, OutboundError

USER_AGENT = "Strata-CRM"
MAX_RESPONSE_BYTES = 1024 * 1024
_DEFAULT_PORTS = {"http": 80, "https": 443}


@attrs.frozen
class Target:
    """Where a call goes, parsed from its URL."""

    url: httpx.URL
    scheme: str
    host: str
    port: int

    @property
    def logged(self) -> str:
        """``scheme://host[:port]/path``: what the delivery log keeps."""
        return f"{self.scheme}://{self.authority}{self.url.path}"

    @property
    def authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = _DEFAULT_PORTS[self.scheme] == self.port
        return host if default else f"{host}:{self.port}"


@attrs.frozen
class OutboundResponse:
    """What the other system answered (the body read up to a limit)."""

    status_code: int
    headers: dict[str, str]
    content: bytes
    duration_ms: int
    delivery_id: int | None = None


def parse_target(url: str) -> Target:
    """The target of ``url``; only http and https, without credentials."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as error:
        raise OutboundError(f"{url!r} is not a URL ({error})") from None
    if parsed.scheme not in _DEFAULT_PORTS:
        raise OutboundError(
            f"{parsed.scheme or 'no'!r} scheme: only http and https URLs can be called"
        )
    if parsed.userinfo:
        raise OutboundError(
            "the URL carries credentials; send them in a header instead"
        )
    host = parsed.raw_host.decode("ascii").lower()
    if not host:
        raise OutboundError(f"{url!r} names no host")
    port = parsed.port or _DEFAULT_PORTS[parsed.scheme]
    return Target(parsed, parsed.scheme, host, port)


def perform(
    target: Target,
    addresses: Sequence[IPAddress],
    method: str,
    body: bytes,
    headers: Mapping[str, str],
    timeout: float,
) -> OutboundResponse:
    """Send one request, trying the checked addresses in order until one connects."""
    started = time.monotonic()
    failure: Exception | None = None
    for address in addresses:
        try:
            return _request(target, address, method, body, headers, timeout, started)
        except httpx.ConnectError as error:
            failure = error
        except httpx.TimeoutException:
            raise OutboundError(
                f"{target.authority} did not answer within {timeout:g} seconds"
            ) from None
        except httpx.TransportError as error:
            raise OutboundError(f"{target.authority}: {error}") from None
    raise OutboundError(f"cannot connect to {target.authority} ({failure})")


def _request(
    target: Target,
    address: IPAddress,
    method: str,
    body: bytes,
    headers: Mapping[str, str],
    timeout: float,
    started: float,
) -> OutboundResponse:
    pinned = target.url.copy_with(host=str(address))
    sent = {"User-Agent": USER_AGENT, **headers, "Host": target.authority}
    limits = httpx.Timeout(timeout, connect=min(timeout, 5.0))
    with httpx.Client(
        timeout=limits, follow_redirects=False, trust_env=False
    ) as client:
        request = client.build_request(
            method,
            pinned,
            content=body,
            headers=sent,
            extensions={"sni_hostname": target.host},
        )
        response = client.send(request, stream=True)
        try:
            content = _read_limited(response, target)
        finally:
            response.close()
    return OutboundResponse(
        status_code=response.status_code,
        headers=dict(response.headers),
        content=content,
        duration_ms=int((time.monotonic() - started) * 1000),
    )


def _read_limited(response: httpx.Response, target: Target) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise OutboundError(
                f"{target.authority} answered with more than "
                f"{MAX_RESPONSE_BYTES // 1024} KB; the answer was not read"
            )
        chunks.append(chunk)
    return b"".join(chunks)
