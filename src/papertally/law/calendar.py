"""Deadlines as calendar dates: business days, holidays and the federal electors' dates.

Business days skip Saturdays, Sundays and the federal and state holidays that the ``holidays``
package knows for the state (Wisconsin's Thanksgiving, Christmas Eve, ...). Presidential
electors' dates follow 3 U.S.C. §§ 5 and 7: before the Electoral Count Reform Act of 2022
(Pub. L. 117-328, div. P), electors met on the first Monday after the second Wednesday in
December and a state's determination made at least six days earlier was conclusive ("safe
harbor"); from the 2024 election on, electors meet on the first Tuesday after the second
Wednesday in December and the governor's certificate of ascertainment is due six days earlier.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta

import holidays

from papertally.law.schema import Deadline

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

ECRA_FIRST_ELECTION = date(2022, 12, 29)
"""The Electoral Count Reform Act was signed on 2022-12-29; 2024 was its first election."""
TITLE_3_FROM = date(1948, 6, 25)
"""3 U.S.C. was enacted as positive law on 1948-06-25; earlier elections are not modelled."""


@functools.cache
def _holidays(state: str, year: int) -> holidays.HolidayBase:
    subdivisions = holidays.country_holidays("US").subdivisions
    subdiv = state if state in subdivisions else None
    return holidays.country_holidays("US", subdiv=subdiv, years=year)


def is_business_day(day: date, state: str) -> bool:
    """Say whether ``day`` is a weekday that is not a federal or ``state`` holiday."""
    return day.weekday() < 5 and day not in _holidays(state, day.year)


def add_days(start: date, days: int, count: str, state: str) -> date:
    """Return the day ``days`` days after ``start``, counted as ``count`` says.

    ``calendar`` counts every day; ``business`` skips weekends and holidays;
    ``calendar_no_sundays`` skips Sundays only (Kentucky's "Sundays excluded").
    """
    if count == "calendar":
        return start + timedelta(days=days)
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if count == "business":
            if is_business_day(day, state):
                left -= 1
        elif day.weekday() != 6:
            left -= 1
    return day


def nth_weekday_after(start: date, weekday: str, nth: int) -> date:
    """Return the ``nth`` given weekday strictly after ``start``."""
    target = WEEKDAYS.index(weekday)
    ahead = (target - start.weekday() - 1) % 7 + 1
    return start + timedelta(days=ahead + 7 * (nth - 1))


def resolve(deadline: Deadline, anchor_date: date, state: str) -> date:
    """Return the last day of ``deadline`` counted from ``anchor_date``."""
    if deadline.weekday is not None:
        return nth_weekday_after(anchor_date, deadline.weekday, deadline.nth)
    if deadline.hours is not None:
        if deadline.count == "business":
            return add_days(anchor_date, -(-deadline.hours // 24), "business", state)
        return anchor_date + timedelta(hours=deadline.hours)
    assert deadline.days is not None
    return add_days(anchor_date, deadline.days, deadline.count, state)


@dataclass(frozen=True)
class ElectorsDates:
    """The federal dates that bind a presidential recount."""

    meeting: date
    deadline: date
    deadline_name: str
    citation: str
    why: str


def electors_dates(election: date) -> ElectorsDates | None:
    """Return the electors' meeting day and the safe-harbor (or certificate) date, by law in force.

    ``None`` for elections before 3 U.S.C. was enacted (1948), which are not modelled.
    """
    if election < TITLE_3_FROM:
        return None
    second_wednesday = nth_weekday_after(
        date(election.year, 12, 1) - timedelta(days=1), "wednesday", 2
    )
    if election >= ECRA_FIRST_ELECTION:
        meeting = nth_weekday_after(second_wednesday, "tuesday", 1)
        deadline = meeting - timedelta(days=6)
        return ElectorsDates(
            meeting,
            deadline,
            "certificate of ascertainment due",
            "3 U.S.C. §§ 5(a)(1), 7 (as amended by the Electoral Count Reform Act of 2022)",
            f"electors meet on the first Tuesday after the second Wednesday in December "
            f"({meeting.isoformat()}); the governor must issue the certificate of ascertainment "
            f"no later than six days before ({deadline.isoformat()}), so a recount must be done "
            f"by then",
        )
    meeting = nth_weekday_after(second_wednesday, "monday", 1)
    deadline = meeting - timedelta(days=6)
    return ElectorsDates(
        meeting,
        deadline,
        "safe harbor",
        "3 U.S.C. §§ 5, 7 (1948-2022 text)",
        f"electors meet on the first Monday after the second Wednesday in December "
        f"({meeting.isoformat()}); a final determination of contests made at least six days "
        f"before ({deadline.isoformat()}) is conclusive in Congress (safe harbor)",
    )
