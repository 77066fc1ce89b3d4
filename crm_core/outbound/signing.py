"""Signing outbound requests so receivers can tell they came from this installation.

Every request carries two headers:

``X-Strata-Timestamp``
    The Unix time (seconds) the request was signed.
``X-Strata-Signature``
    ``v1=`` and the hex HMAC-SHA256, keyed with the shared secret, of the
    timestamp, a dot and the raw body bytes: ``f"{timestamp}.".encode() + body``.

A receiver recomputes the HMAC over the body exactly as received, compares it
in constant time, and refuses timestamps more than five minutes away from its
own clock (a replayed request). While a secret is being rotated the header may
hold several signatures separated by commas; one match is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

TIMESTAMP_HEADER = "X-Strata-Timestamp"
SIGNATURE_HEADER = "X-Strata-Signature"
VERSION = "v1"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``v1=<hex>`` signature of ``body`` sent at ``timestamp``."""
    message = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
    return f"{VERSION}={digest}"


def signed_headers(
    secret: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    """The timestamp and signature headers for ``body``."""
    moment = int(time.time()) if timestamp is None else timestamp
    return {
        TIMESTAMP_HEADER: str(moment),
        SIGNATURE_HEADER: signature(secret, moment, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """Whether ``headers`` carry a fresh, valid signature of ``body``.

    What a receiver of Strata's requests does, given here for tests and for
    Python receivers. Header names are matched without regard to case.
    """
    found = {key.lower(): value for key, value in headers.items()}
    stamp = found.get(TIMESTAMP_HEADER.lower(), "")
    if not stamp.isdigit():
        return False
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > tolerance:
        return False
    expected = signature(secret, int(stamp), body)
    offered = found.get(SIGNATURE_HEADER.lower(), "").split(",")
    return any(hmac.compare_digest(expected, part.strip()) for part in offered)
