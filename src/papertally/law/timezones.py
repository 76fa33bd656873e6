"""Each state's time zone, and deadlines read and shown in it.

A recount's or audit's deadlines are set by state law in the state's own clock (a deadline "by
5 p.m." of a Wisconsin canvass is Central time, Wis. Stat. § 9.01), so the app keeps each
recount's and audit's IANA zone and reads and shows every time in it. States spanning two
zones take the zone of their capital, where the filing office sits (e.g. Florida, Tallahassee:
Eastern; Idaho, Boise: Mountain; Oregon, Salem: Pacific); a recount may override it.
Pure code (the standard library's ``zoneinfo``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from papertally.errors import PapertallyError

_EASTERN, _CENTRAL, _MOUNTAIN, _PACIFIC = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
)

STATE_TIME_ZONES: Mapping[str, str] = {
    "AL": _CENTRAL,
    "AK": "America/Anchorage",
    "AZ": "America/Phoenix",
    "AR": _CENTRAL,
    "CA": _PACIFIC,
    "CO": _MOUNTAIN,
    "CT": _EASTERN,
    "DE": _EASTERN,
    "DC": _EASTERN,
    "FL": _EASTERN,
    "GA": _EASTERN,
    "HI": "Pacific/Honolulu",
    "ID": "America/Boise",
    "IL": _CENTRAL,
    "IN": "America/Indiana/Indianapolis",
    "IA": _CENTRAL,
    "KS": _CENTRAL,
    "KY": _EASTERN,
    "LA": _CENTRAL,
    "ME": _EASTERN,
    "MD": _EASTERN,
    "MA": _EASTERN,
    "MI": "America/Detroit",
    "MN": _CENTRAL,
    "MS": _CENTRAL,
    "MO": _CENTRAL,
    "MT": _MOUNTAIN,
    "NE": _CENTRAL,
    "NV": _PACIFIC,
    "NH": _EASTERN,
    "NJ": _EASTERN,
    "NM": _MOUNTAIN,
    "NY": _EASTERN,
    "NC": _EASTERN,
    "ND": _CENTRAL,
    "OH": _EASTERN,
    "OK": _CENTRAL,
    "OR": _PACIFIC,
    "PA": _EASTERN,
    "RI": _EASTERN,
    "SC": _EASTERN,
    "SD": _CENTRAL,
    "TN": _CENTRAL,
    "TX": _CENTRAL,
    "UT": _MOUNTAIN,
    "VT": _EASTERN,
    "VA": _EASTERN,
    "WA": _PACIFIC,
    "WV": _EASTERN,
    "WI": _CENTRAL,
    "WY": _MOUNTAIN,
}
"""The 50 states and DC → the IANA zone of the capital."""

DEFAULT_ZONE = "UTC"
"""The zone of a recount or audit whose election names no state."""

END_OF_DAY = time(23, 59)
"""A deadline given as a day alone is the end of that day, in the state's time."""


def state_time_zone(state: str | None) -> str:
    """Return the IANA zone of a state's two-letter code (``UTC`` when none is given)."""
    if not state or not state.strip():
        return DEFAULT_ZONE
    found = STATE_TIME_ZONES.get(state.strip().upper())
    if found is None:
        raise PapertallyError(f"state {state[:20]!r}: not a US state or DC, so it has no zone")
    return found


@cache
def _zone_names() -> frozenset[str]:
    """The IANA zones of this server, read once (``available_timezones`` walks the whole zone
    database: tens of milliseconds, for every timestamp shown on a page)."""
    return frozenset(available_timezones())


def known_zone(name: str) -> ZoneInfo:
    """Return the zone named ``name`` (IANA, e.g. ``America/Chicago``), else a user error."""
    cleaned = name.strip()
    if cleaned not in _zone_names() and cleaned != DEFAULT_ZONE:
        raise PapertallyError(
            f"time zone: {name[:60]!r} is not an IANA time zone such as America/Chicago"
        )
    try:
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError):
        raise PapertallyError(f"time zone: {name[:60]!r} is not known on this server") from None


def local_deadline(day: date, at: time | None, zone: str) -> datetime:
    """Return the moment (UTC) of ``day`` at ``at`` (default 23:59) on the clock of ``zone``."""
    local = datetime.combine(day, at or END_OF_DAY, tzinfo=known_zone(zone))
    return local.astimezone(UTC)


def local_time(moment: datetime, zone: str) -> datetime:
    """Return ``moment`` (naive: UTC) on the clock of ``zone``."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(known_zone(zone))


def format_local(moment: datetime | None, zone: str) -> str:
    """Return ``moment`` as people read it in ``zone``, to the minute with the zone's
    abbreviation: ``2016-12-12 5:59 pm CST``; an empty string for ``None``."""
    if moment is None:
        return ""
    local = local_time(moment, zone)
    hour = local.hour % 12 or 12
    half = "am" if local.hour < 12 else "pm"
    return f"{local:%Y-%m-%d} {hour}:{local:%M} {half} {local.tzname()}"
