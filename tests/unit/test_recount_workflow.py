"""The recount workflow: county transitions by role, summing tally sheets, projected pace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from papertally.errors import PapertallyError
from papertally.model.recount import (
    CountyAction,
    CountyStatus,
    Role,
    TallySheet,
    may_certify,
    next_county_status,
    project_pace,
    ward_totals_from_sheets,
)


def test_a_county_goes_from_entry_to_acceptance_by_the_right_roles() -> None:
    status = next_county_status(CountyStatus.NOT_STARTED, CountyAction.START, Role.BOARD)
    status = next_county_status(status, CountyAction.SUBMIT, Role.CLERK)
    status = next_county_status(status, CountyAction.RETURN, Role.ADMINISTRATOR)
    assert status is CountyStatus.RETURNED
    status = next_county_status(status, CountyAction.SUBMIT, Role.CLERK)
    assert (
        next_county_status(status, CountyAction.ACCEPT, Role.ADMINISTRATOR) is CountyStatus.ACCEPTED
    )


@pytest.mark.parametrize("role", [Role.BOARD, Role.OBSERVER, Role.ADMINISTRATOR])
def test_only_a_clerk_submits(role: Role) -> None:
    with pytest.raises(PapertallyError, match="may not submit"):
        next_county_status(CountyStatus.IN_PROGRESS, CountyAction.SUBMIT, role)


def test_an_accepted_county_cannot_be_submitted_again() -> None:
    with pytest.raises(PapertallyError, match="possible now: return"):
        next_county_status(CountyStatus.ACCEPTED, CountyAction.SUBMIT, Role.CLERK)


def test_only_the_administrator_reopens_an_accepted_county() -> None:
    reopened = next_county_status(CountyStatus.ACCEPTED, CountyAction.RETURN, Role.ADMINISTRATOR)
    assert reopened is CountyStatus.RETURNED
    for role in (Role.CLERK, Role.BOARD, Role.OBSERVER):
        with pytest.raises(PapertallyError, match="may not return"):
            next_county_status(CountyStatus.ACCEPTED, CountyAction.RETURN, role)


def test_certification_needs_every_county_accepted() -> None:
    assert may_certify([CountyStatus.ACCEPTED] * 3)
    assert not may_certify([CountyStatus.ACCEPTED, CountyStatus.SUBMITTED])
    assert not may_certify([])


def test_current_sheets_of_a_ward_are_summed_and_superseded_ones_ignored() -> None:
    sheets = [
        TallySheet("A|1", "table 1", {"X": 100, "Y": 90}),
        TallySheet("A|1", "table 2", {"X": 50, "Y": 60}, version=1, superseded=True),
        TallySheet("A|1", "table 2", {"X": 51, "Y": 60}, version=2),
        TallySheet("A|2", "table 1", {"X": 7}),
    ]
    assert ward_totals_from_sheets(sheets) == {"A|1": {"X": 151, "Y": 150}, "A|2": {"X": 7}}


def test_a_slow_county_is_flagged_and_a_fast_one_is_not() -> None:
    start = datetime(2016, 12, 1, 9, tzinfo=UTC)
    deadline = datetime(2016, 12, 12, 20, tzinfo=UTC)
    now = start + timedelta(days=2)
    slow = project_pace(
        "Dane", wards_total=300, wards_done=30, started=start, now=now, deadline=deadline
    )
    fast = project_pace(
        "Iron", wards_total=30, wards_done=20, started=start, now=now, deadline=deadline
    )
    assert slow.will_miss_deadline and slow.projected_completion == start + timedelta(days=20)
    assert not fast.will_miss_deadline
    assert fast.share_done == pytest.approx(2 / 3)
    idle = project_pace(
        "Vilas", wards_total=10, wards_done=0, started=start, now=now, deadline=deadline
    )
    assert idle.projected_completion is None and not idle.will_miss_deadline
