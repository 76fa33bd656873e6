"""Names shared by the readers: municipalities, choices, count status, dates in titles."""

from __future__ import annotations

import re
from datetime import date, datetime

from papertally.model import SCATTERING, Choice, ResultsStatus
from papertally.model.results import RECOUNT
from papertally.types import CountName

_WARD_MARKER = re.compile(
    r"\s+(?:wards?|wds?\.?|precincts?|pcts?\.?|districts?|dist\.?)(?=[\s\d#:]|$)", re.IGNORECASE
)
_MUNICIPAL_PREFIX = re.compile(r"^(?:town|city|village)\s+of\s+\S", re.IGNORECASE)
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_LONG_DATE = re.compile(rf"\b({_MONTHS})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})\b", re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")


def municipality_of(unit_name: str) -> str | None:
    """Return the municipality a Wisconsin-style unit name starts with, or ``None``.

    ``"TOWN OF ADAMS Wards 1 & 2"`` → ``"TOWN OF ADAMS"``; a bare ``"VILLAGE OF X"`` is its own
    municipality; a name with neither a ward part nor a town/city/village prefix gives ``None``.
    """
    name = " ".join(unit_name.split())
    marker = _WARD_MARKER.search(name)
    if marker and marker.start() > 0:
        return name[: marker.start()].strip(" ,-")
    if _MUNICIPAL_PREFIX.match(name):
        return name
    return None


def is_scattering(name: str) -> bool:
    """Return whether a choice name is Wisconsin's scattering line (any capitalisation)."""
    return name.strip().casefold() == SCATTERING.casefold()


def make_choice(name: str, party: str | None = None, is_write_in: bool | None = None) -> Choice:
    """Return a :class:`Choice`, naming scattering :data:`SCATTERING` and marking write-ins.

    Scattering (Wisconsin's line for votes for people who are not registered write-in candidates)
    and names marked ``(write-in)`` are write-ins unless ``is_write_in`` says otherwise.
    """
    clean = " ".join(name.split())
    if is_scattering(clean):
        clean = SCATTERING
    if is_write_in is None:
        is_write_in = clean == SCATTERING or "write-in" in clean.casefold()
    return Choice(clean, party or None, is_write_in)


def default_status(count: CountName) -> ResultsStatus:
    """Return the status a count gets where a file does not say: recount or certified canvass."""
    return ResultsStatus.RECOUNT if count == RECOUNT else ResultsStatus.CERTIFIED


def normalize_header(text: str) -> str:
    """Return a column header folded for matching: lower case, ``_``/``-`` as spaces."""
    return " ".join(text.replace("_", " ").replace("-", " ").lower().split())


def date_in_text(text: str) -> date | None:
    """Return the first date written in ``text`` (``April 5, 2011``, ``4/5/2011``), or ``None``."""
    long = _LONG_DATE.search(text)
    if long:
        try:
            return datetime.strptime(
                f"{long.group(1)[:3]} {long.group(2)} {long.group(3)}", "%b %d %Y"
            ).date()
        except ValueError:
            pass
    numeric = _NUMERIC_DATE.search(text)
    if numeric:
        month, day, year = (int(g) for g in numeric.groups())
        try:
            return date(year, month, day)
        except ValueError:
            pass
    return None


def date_in_file_name(stem: str) -> date | None:
    """Return the ISO date (``2011-04-05``, ``20110405``) a file name starts with, or ``None``."""
    match = _ISO_DATE.match(stem)
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None
