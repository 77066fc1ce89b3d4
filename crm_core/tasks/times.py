"""Due times: entered and shown in the assignee's time zone, stored in UTC.

A local time the clocks skip (02:30 on the night summer time starts) does
not exist and is refused. A local time that happens twice (02:30 on the
night summer time ends) means its first occurrence, the earlier instant.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LOCAL_FORMAT = "%Y-%m-%d %H:%M"


class NonexistentLocalTime(ValueError):
    """A wall-clock time that does not happen in a zone (skipped by a DST change)."""


def zone_named(name: str | None) -> ZoneInfo:
    """The zone called ``name``; UTC when it is empty or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of the wall-clock time ``local`` (naive) in ``zone``.

    Raises :class:`NonexistentLocalTime` for a skipped time; an ambiguous
    time gives the earlier of its two instants.
    """
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    first = local.replace(tzinfo=zone, fold=0)
    second = local.replace(tzinfo=zone, fold=1)
    back = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if back != local:
        raise NonexistentLocalTime(
            f"{local.strftime(LOCAL_FORMAT)} does not exist in {zone.key}: the "
            "clocks skip that hour when summer time starts; choose a time before "
            "or after the change"
        )
    return min(first.astimezone(UTC), second.astimezone(UTC))


def utc_to_local(moment: datetime, zone: ZoneInfo) -> datetime:
    """``moment`` as a naive wall-clock time in ``zone``."""
    return moment.astimezone(zone).replace(tzinfo=None)


def local_text(moment: datetime | None, zone: ZoneInfo) -> str:
    """``2025-03-31 09:00 CEST``: a moment as the assignee reads it."""
    if moment is None:
        return ""
    local = moment.astimezone(zone)
    return f"{local.strftime(LOCAL_FORMAT)} {local.tzname()}"
