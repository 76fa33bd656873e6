"""The results model: counts, totals, contest look-up and merging."""

from __future__ import annotations

import pytest

from papertally.errors import PapertallyError
from papertally.model import Contest, ContestCount, Election, ReportingUnit, standard_count_name


def test_count_totals_sum_units() -> None:
    count = ContestCount(contest="Justice", name="recount")
    count.set_votes("A|1", "Prosser", 10)
    count.set_votes("A|2", "Prosser", 5)
    count.set_votes("A|2", "Kloppenburg", 7)
    assert count.totals() == {"Prosser": 15, "Kloppenburg": 7}
    assert count.total_votes == 22


def test_contest_lookup_is_forgiving_but_never_ambiguous() -> None:
    election = Election("x")
    election.contests["Justice of the Supreme Court"] = Contest("Justice of the Supreme Court")
    election.contests["President - DEM"] = Contest("President - DEM")
    election.contests["President - REP"] = Contest("President - REP")
    assert election.contest("justice").name == "Justice of the Supreme Court"
    with pytest.raises(PapertallyError, match="several"):
        election.contest("President")
    with pytest.raises(PapertallyError, match="contests are"):
        election.contest("Governor")


def test_merge_refuses_a_count_twice() -> None:
    first, second = Election("x"), Election("x")
    for e in (first, second):
        e.add_unit(ReportingUnit.of("Adams", "Ward 1"))
        e.counts.append(ContestCount(contest="C", name="recount"))
    with pytest.raises(PapertallyError, match="more than one file"):
        first.merge(second)


@pytest.mark.parametrize(
    ("label", "expected"),
    [("Original Canvass", "original canvass"), ("Recount Canvass Certification", "recount")],
)
def test_standard_count_names(label: str, expected: str) -> None:
    assert standard_count_name(label) == expected
