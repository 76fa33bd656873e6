"""The results model: counts, totals, contest look-up and merging."""

from __future__ import annotations

import dataclasses

import pytest

from papertally.errors import FileLocation, PapertallyError
from papertally.model import (
    Contest,
    ContestCount,
    Election,
    ReportingUnit,
    UnitTally,
    standard_count_name,
)
from papertally.model.results import TallyTable


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


def test_merge_refuses_a_unit_of_one_count_twice() -> None:
    first, second = Election("x"), Election("x")
    for e in (first, second):
        uid = e.add_unit(ReportingUnit.of("Adams", "Ward 1")).id
        count = ContestCount(contest="C", name="recount")
        count.set_votes(uid, "Ann", 3)
        e.counts.append(count)
    with pytest.raises(PapertallyError, match="more than one file"):
        first.merge(second)


def test_merge_joins_one_count_published_per_county() -> None:
    first, second = Election("x"), Election("x")
    for e, county, votes in ((first, "Adams", 3), (second, "Brown", 4)):
        uid = e.add_unit(ReportingUnit.of(county, "Ward 1")).id
        count = ContestCount(contest="C", name="recount")
        count.set_votes(uid, "Ann", votes)
        count.units[uid].statistics["under votes"] = votes + 1
        e.counts.append(count)
    first.merge(second)
    (count,) = first.counts
    assert count.totals() == {"Ann": 7}
    assert count.units["Brown|Ward 1"].statistics == {"under votes": 5}


@pytest.mark.parametrize(
    ("label", "expected"),
    [("Original Canvass", "original canvass"), ("Recount Canvass Certification", "recount")],
)
def test_standard_count_names(label: str, expected: str) -> None:
    assert standard_count_name(label) == expected


def test_tallies_live_in_the_count_table_and_write_through() -> None:
    count = ContestCount(contest="C", name="recount")
    tally = UnitTally(source=FileLocation("f.csv", None, 7))
    count.units["A|1"] = tally
    tally.votes["Ann"] = 3
    tally.statistics["under votes"] = 2
    tally.by_type.setdefault("absentee", {})["Ann"] = 1
    tally.ballots_cast = 9
    again = count.units["A|1"]
    assert dict(again.votes) == {"Ann": 3}
    assert again.statistics == {"under votes": 2}
    assert {k: dict(v) for k, v in again.by_type.items()} == {"absentee": {"Ann": 1}}
    assert (again.ballots_cast, again.source) == (9, FileLocation("f.csv", None, 7))
    assert again == UnitTally(
        {"Ann": 3}, 9, FileLocation("f.csv", None, 7), {"under votes": 2}, {"absentee": {"Ann": 1}}
    )
    copy = dataclasses.replace(again, source=None)
    assert copy.source is None and dict(copy.votes) == {"Ann": 3}
    assert count.units["A|1"].source == FileLocation("f.csv", None, 7)


def test_a_unit_without_a_choice_has_no_figure_not_zero() -> None:
    count = ContestCount(contest="C", name="recount")
    count.set_votes("A|1", "Ann", 0)
    count.set_votes("A|2", "Bo", 4)
    assert dict(count.units["A|1"].votes) == {"Ann": 0}
    assert "Bo" not in count.units["A|1"].votes and count.units["A|1"].votes.get("Bo") is None
    assert count.totals() == {"Ann": 0, "Bo": 4}


@pytest.mark.parametrize("votes", [2**31, -(2**31), 2**63, -(2**63), 10**30])
def test_figures_beyond_32_bits_are_kept_exactly(votes: int) -> None:
    count = ContestCount(contest="C", name="recount")
    count.set_votes("A|1", "Ann", 5)
    count.set_votes("A|2", "Ann", votes)
    count.set_votes("A|3", "Bo", 1)
    assert count.units["A|2"].votes["Ann"] == votes
    assert count.totals() == {"Ann": 5 + votes, "Bo": 1}
    assert "Ann" not in count.units["A|3"].votes


def test_a_boolean_or_numpy_figure_is_kept_as_given_for_the_store_to_check() -> None:
    count = ContestCount(contest="C", name="recount")
    count.set_votes("A|1", "Ann", 5)
    count.set_votes("A|2", "Ann", True)
    assert count.units["A|2"].votes["Ann"] is True


def test_replacing_and_deleting_tallies() -> None:
    count = ContestCount(contest="C", name="recount")
    count.set_votes("A|1", "Ann", 5)
    count.set_votes("A|2", "Ann", 6)
    count.units["A|1"] = UnitTally({"Bo": 2})
    assert dict(count.units["A|1"].votes) == {"Bo": 2}
    del count.units["A|2"]
    assert list(count.units) == ["A|1"] and count.totals() == {"Bo": 2}
    count.units["A|2"] = UnitTally({"Ann": 1})
    assert count.totals() == {"Bo": 2, "Ann": 1} and list(count.units) == ["A|1", "A|2"]
    other = ContestCount(contest="C", name="recount", units={"B|1": UnitTally({"Ann": 4})})
    assert isinstance(other.units, TallyTable) and other.totals() == {"Ann": 4}
    count.units.update(other.units)
    assert count.total_votes == 7 and other.total_votes == 4


def test_a_tally_takes_tens_of_bytes_in_its_count() -> None:
    count = ContestCount(contest="C", name="recount")
    for unit in range(20_000):
        for choice in ("Ann", "Bo", "Cy"):
            count.set_votes(f"A|{unit}", choice, unit % 500)
    table = count.table
    columns = sum(c.buffer_info()[1] * c.itemsize for c in table._votes.values())  # type: ignore[union-attr]
    assert columns <= 20_000 * 3 * 4 * 1.2
