"""$TIMEZONE and $TIMEZONE_OFFSET (pure).

Kerio's reference guide gives scripts the time zone as a tz database name ($TIMEZONE,
e.g. ``Europe/Prague``) and $TIMEZONE_OFFSET, the UTC offset in seconds.  The offset of a
named zone depends on the moment (daylight saving), so it is computed for the moment of
each request, unless the administrator pinned a number (TIMEZONE_OFFSET set to one).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

AUTO = "auto"


def valid_zone(name: str) -> bool:
    if not name or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return name in available_timezones() or name == "UTC"


def offset_at(zone: str, when: float) -> int:
    """UTC offset in seconds of `zone` at the POSIX time `when` (0 for no zone)."""
    if not zone:
        return 0
    delta = datetime.fromtimestamp(when, UTC).astimezone(ZoneInfo(zone)).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def effective_offset(settings: dict[str, str], when: float) -> int:
    """$TIMEZONE_OFFSET: the pinned number, or the zone's offset at `when`."""
    pinned = settings.get("TIMEZONE_OFFSET", AUTO)
    if pinned != AUTO:
        return int(pinned)
    return offset_at(settings.get("TIMEZONE", ""), when)
