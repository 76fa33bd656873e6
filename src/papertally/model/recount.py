"""The recount workflow: who may do what, county progress, tally sheets and pace.

A statewide recount is run by the state board and carried out by every county at once: clerks
and count boards enter tally sheets ward by ward, the county submits, the state administrator
returns it for correction or accepts it, and certifies once every county is accepted
(Wisconsin's model, Wis. Stat. § 9.01). Pure code: the web app and the store call it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from papertally.errors import PapertallyError
from papertally.types import ChoiceName, CountyName, ReportingUnitId


class Role(StrEnum):
    """What a signed-in user may do; the public needs no account."""

    ADMINISTRATOR = "administrator"
    """The state board's administrator: creates recounts, reviews counties, certifies."""
    CLERK = "clerk"
    """A county clerk: enters and corrects her own county's tallies, submits the county."""
    BOARD = "board"
    """A count board member: enters tally sheets for the wards of her county."""
    OBSERVER = "observer"
    """A campaign or press observer: reads everything, writes nothing."""


class CountyStatus(StrEnum):
    """Where a county stands in the recount."""

    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    SUBMITTED = "submitted"
    RETURNED = "returned for correction"
    ACCEPTED = "accepted"


class CountyAction(StrEnum):
    """The steps that move a county between statuses."""

    START = "start"
    SUBMIT = "submit"
    RETURN = "return"
    ACCEPT = "accept"


_TRANSITIONS: dict[tuple[CountyStatus, CountyAction], tuple[CountyStatus, frozenset[Role]]] = {
    (CountyStatus.NOT_STARTED, CountyAction.START): (
        CountyStatus.IN_PROGRESS,
        frozenset({Role.CLERK, Role.BOARD, Role.ADMINISTRATOR}),
    ),
    (CountyStatus.IN_PROGRESS, CountyAction.SUBMIT): (
        CountyStatus.SUBMITTED,
        frozenset({Role.CLERK}),
    ),
    (CountyStatus.RETURNED, CountyAction.SUBMIT): (CountyStatus.SUBMITTED, frozenset({Role.CLERK})),
    (CountyStatus.SUBMITTED, CountyAction.RETURN): (
        CountyStatus.RETURNED,
        frozenset({Role.ADMINISTRATOR}),
    ),
    (CountyStatus.SUBMITTED, CountyAction.ACCEPT): (
        CountyStatus.ACCEPTED,
        frozenset({Role.ADMINISTRATOR}),
    ),
    # The one way to reopen an accepted county (logged like every step): the administrator
    # returns it for correction, while the recount is not yet certified.
    (CountyStatus.ACCEPTED, CountyAction.RETURN): (
        CountyStatus.RETURNED,
        frozenset({Role.ADMINISTRATOR}),
    ),
}


def next_county_status(status: CountyStatus, action: CountyAction, role: Role) -> CountyStatus:
    """Return the status after ``action``, or raise a clear error if it is not allowed now."""
    step = _TRANSITIONS.get((status, action))
    if step is None:
        allowed = [a.value for (s, a) in _TRANSITIONS if s is status] or ["none"]
        raise PapertallyError(
            f"a county that is {status.value!r} cannot be sent to {action.value!r}; "
            f"possible now: {', '.join(allowed)}"
        )
    target, roles = step
    if role not in roles:
        raise PapertallyError(f"a {role.value} may not {action.value} a county")
    return target


def county_accepts_entries(status: CountyStatus) -> bool:
    """Return True while the county's tallies may still be entered or corrected."""
    return status in {CountyStatus.NOT_STARTED, CountyStatus.IN_PROGRESS, CountyStatus.RETURNED}


def may_certify(statuses: Iterable[CountyStatus]) -> bool:
    """Return True when every county has been accepted (and there is at least one)."""
    listed = list(statuses)
    return bool(listed) and all(s is CountyStatus.ACCEPTED for s in listed)


@dataclass(frozen=True)
class TallySheet:
    """One count team's tally of part of a ward (large wards are counted by several teams).

    Sheets are never overwritten: a correction is a new sheet that supersedes the old one.
    """

    unit: ReportingUnitId
    label: str
    """Which team's sheet, e.g. ``"table 2"``; several sheets of a ward have distinct labels."""
    votes: Mapping[ChoiceName, int]
    version: int = 1
    superseded: bool = False


def ward_totals_from_sheets(
    sheets: Iterable[TallySheet],
) -> dict[ReportingUnitId, dict[ChoiceName, int]]:
    """Sum the current (not superseded) sheets of each ward into its recount tally."""
    totals: dict[ReportingUnitId, dict[ChoiceName, int]] = {}
    for sheet in sheets:
        if sheet.superseded:
            continue
        ward = totals.setdefault(sheet.unit, {})
        for choice, votes in sheet.votes.items():
            ward[choice] = ward.get(choice, 0) + votes
    return totals


@dataclass(frozen=True)
class Pace:
    """A county's progress and where its current pace will take it."""

    county: CountyName
    wards_total: int
    wards_done: int
    projected_completion: datetime | None
    """None when nothing is done yet (no pace to project from)."""
    will_miss_deadline: bool

    @property
    def share_done(self) -> float:
        """Return the share of wards recounted, 0 to 1."""
        return self.wards_done / self.wards_total if self.wards_total else 1.0


def project_pace(
    county: CountyName,
    *,
    wards_total: int,
    wards_done: int,
    started: datetime,
    now: datetime,
    deadline: datetime,
) -> Pace:
    """Project when a county will finish at its pace so far (wards per hour since it started).

    A county that has recounted nothing yet is flagged once less than a day remains; the
    projection is linear, which is what boards check by hand with a calendar.
    """
    if wards_done >= wards_total:
        return Pace(county, wards_total, wards_done, now, now > deadline)
    if wards_done == 0 or now <= started:
        return Pace(county, wards_total, wards_done, None, deadline - now < timedelta(days=1))
    per_ward = (now - started) / wards_done
    finish = now + per_ward * (wards_total - wards_done)
    return Pace(county, wards_total, wards_done, finish, finish > deadline)


@dataclass(frozen=True)
class EntrySettings:
    """How a recount's tallies are entered and its times shown.

    Blind entry (``show_canvass`` false, the default) hides a ward's original canvass until its
    sheet is saved, so a board records what the paper shows rather than what it expects;
    ``double_entry`` has every sheet entered a second time, blind, by another person (the
    two-person check of data entry that election offices use for canvass reports).
    """

    time_zone: str = "UTC"
    show_canvass: bool = False
    double_entry: bool = False


def sheet_differences(
    first: Mapping[ChoiceName, int], second: Mapping[ChoiceName, int]
) -> dict[ChoiceName, tuple[int, int]]:
    """Return the choices whose figures differ between two entries of one sheet (a missing
    choice reads 0), each with both figures, in the order of ``first`` then ``second``."""
    choices = list(dict.fromkeys([*first, *second]))
    return {
        c: (first.get(c, 0), second.get(c, 0))
        for c in choices
        if first.get(c, 0) != second.get(c, 0)
    }


def sheet_warnings(
    votes: Mapping[ChoiceName, int],
    *,
    votes_allowed: int,
    sheet_ballots: int | None,
    ward_ballots: int | None,
    other_sheets_votes: int,
) -> list[str]:
    """Return what a clerk should confirm before a sheet is saved: its votes against the
    ballots it counted, and the ward's votes against the ballots counted in its paper records.

    A ballot gives at most ``votes_allowed`` votes in the contest, so more votes than that many
    times the ballots is an error of the sheet or of the records; fewer votes than ballots in a
    vote-for-one contest are undervotes, usual but worth a look when they are many.
    """
    total = sum(votes.values())
    found: list[str] = []
    if sheet_ballots is not None:
        most = sheet_ballots * votes_allowed
        if total > most:
            found.append(
                f"this sheet has {total:,} votes but only {sheet_ballots:,} ballots "
                f"({total - most:,} votes more than the ballots can hold)"
            )
        elif votes_allowed == 1 and total < sheet_ballots:
            found.append(
                f"this sheet has {total:,} votes for {sheet_ballots:,} ballots: "
                f"{sheet_ballots - total:,} ballots without a vote (undervotes)"
            )
    if ward_ballots is not None:
        ward_total = total + other_sheets_votes
        if ward_total > ward_ballots * votes_allowed:
            found.append(
                f"with this sheet the ward has {ward_total:,} votes, more than its "
                f"{ward_ballots:,} ballots counted (paper records) can hold"
            )
    return found
