"""Unit-by-unit reconciliation of two counts: changes, margins, ties, flags, counties."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from papertally.errors import PapertallyError
from papertally.io import read_results_file
from papertally.model import SCATTERING, Choice, Contest, ContestCount, Election, ReportingUnit
from papertally.reconcile import (
    reconcile_counts,
    reconcile_election,
    reconcile_elections,
    standing_of,
)
from papertally.reconcile.compare import unit_key

CONTEST = "Justice"


def make_election(
    before: dict[str, dict[str, int]], after: dict[str, dict[str, int]], votes_allowed: int = 1
) -> Election:
    """Build an election with the ``original canvass`` and ``recount`` given as unit → votes."""
    election = Election("test")
    names = list(dict.fromkeys(c for votes in before.values() for c in votes))
    election.contests[CONTEST] = Contest(
        CONTEST, votes_allowed=votes_allowed, choices=[Choice(n) for n in names]
    )
    for count_name, units in (("original canvass", before), ("recount", after)):
        count = ContestCount(CONTEST, count_name)
        for uid, votes in units.items():
            unit = election.add_unit(ReportingUnit.of(*uid.split("|")))
            for choice, n in votes.items():
                count.set_votes(unit.id, choice, n)
        election.counts.append(count)
    return election


def test_changes_margins_and_counties() -> None:
    election = make_election(
        {
            "Adams|Ward 1": {"A": 100, "B": 90, SCATTERING: 1},
            "Adams|Ward 2": {"A": 50, "B": 60, SCATTERING: 0},
            "Brown|Ward 1": {"A": 10, "B": 5, SCATTERING: 0},
        },
        {
            "Adams|Ward 1": {"A": 101, "B": 88, SCATTERING: 1},
            "Adams|Ward 2": {"A": 50, "B": 60, SCATTERING: 0},
            "Brown|Ward 1": {"A": 10, "B": 7, SCATTERING: 2},
        },
    )
    rec = reconcile_election(election)
    assert rec.before.totals == {"A": 160, "B": 155, SCATTERING: 1}
    assert rec.after.totals == {"A": 161, "B": 155, SCATTERING: 3}
    assert (rec.before.margin, rec.after.margin) == (5, 6)
    assert rec.before.winner == rec.after.winner == "A"
    assert not rec.outcome_changed
    assert rec.net_change == {"A": 1, "B": 0, SCATTERING: 2}
    assert [u.unit.id for u in rec.changed_units] == ["Adams|Ward 1", "Brown|Ward 1"]
    ward1 = rec.units[0]
    assert ward1.change == {"A": 1, "B": -2, SCATTERING: 0}
    assert (ward1.votes_changed, ward1.net_votes, ward1.margin_change) == (3, -1, 3)
    adams, brown = rec.counties
    assert (adams.county, adams.reporting_units, adams.changed_units) == ("Adams", 2, 1)
    assert adams.net_change == {"A": 1, "B": -2, SCATTERING: 0}
    assert brown.margin_change == -2
    assert rec.margin_change == 1 == rec.after.margin - rec.before.margin
    # Brown ward 1 moved 4 votes of 15: over the 5 % share tolerance; Adams ward 1 moved 3 of 191.
    assert [u.unit.id for u in rec.flagged_units] == ["Brown|Ward 1"]
    assert rec.largest_changes[0].unit.id == "Brown|Ward 1"


def test_outcome_change_and_tie_are_reported() -> None:
    before = {"X|1": {"A": 10, "B": 9}}
    flipped = reconcile_election(make_election(before, {"X|1": {"A": 9, "B": 10}}))
    assert flipped.outcome_changed
    assert (flipped.before.winner, flipped.after.winner) == ("A", "B")
    tied = reconcile_election(make_election(before, {"X|1": {"A": 10, "B": 10}}))
    assert tied.outcome_changed
    assert tied.after.tied and tied.after.winner is None and tied.after.margin == 0


def test_multi_winner_margin_is_between_last_winner_and_first_loser() -> None:
    votes = {"A": 50, "B": 40, "C": 35, "D": 10}
    standing = standing_of(votes, list(votes), votes_allowed=2)
    assert standing.winners == ("A", "B")
    assert standing.winner is None
    assert standing.margin == 5
    rec = reconcile_election(
        make_election({"X|1": votes}, {"X|1": {**votes, "C": 41}}, votes_allowed=2)
    )
    assert rec.margin_pair == ("B", "C")
    assert rec.outcome_changed
    assert set(rec.after.winners) == {"A", "C"}


def test_scattering_never_wins() -> None:
    standing = standing_of({"A": 1, SCATTERING: 5}, ["A", SCATTERING])
    assert standing.winners == ("A",)


def test_units_in_only_one_count_are_listed_and_counted_in_totals() -> None:
    election = make_election(
        {"X|1": {"A": 5, "B": 3}, "X|2": {"A": 4, "B": 4}},
        {"X|1": {"A": 5, "B": 3}, "Y|9": {"A": 1, "B": 0}},
    )
    rec = reconcile_election(election)
    assert [u.id for u in rec.only_in_before] == ["X|2"]
    assert [u.id for u in rec.only_in_after] == ["Y|9"]
    assert rec.reporting_units == 3
    assert rec.changed_units == ()
    assert rec.net_change == {"A": -3, "B": -4}
    assert {c.county: c.net_change["A"] for c in rec.counties} == {"X": -4, "Y": 1}


def test_unknown_unit_is_named_from_its_id() -> None:
    old, new = ContestCount(CONTEST, "a"), ContestCount(CONTEST, "b")
    old.set_votes("Dane|Ward 7", "A", 1)
    new.set_votes("Dane|Ward 7", "A", 2)
    rec = reconcile_counts(old, new, {})
    assert (rec.units[0].unit.county, rec.units[0].unit.name) == ("Dane", "Ward 7")
    assert rec.contest == CONTEST


def test_json_has_the_documented_keys_and_is_serialisable() -> None:
    rec = reconcile_election(make_election({"X|1": {"A": 5, "B": 3}}, {"X|1": {"A": 6, "B": 3}}))
    data = rec.to_json()
    for key in (
        "contest",
        "from",
        "to",
        "reporting_units",
        "changed_units",
        "before",
        "after",
        "net_change",
        "outcome_changed",
        "counties",
        "largest_changes",
        "flagged_units",
        "only_in_before",
        "only_in_after",
    ):
        assert key in data
    for side in ("before", "after"):
        assert {"totals", "total_votes", "winner", "margin"} <= set(data[side])
    assert set(data["largest_changes"][0]) >= {"unit", "county", "change"}
    assert (data["from"], data["to"]) == ("original canvass", "recount")
    json.dumps(data)


def test_count_names_are_matched_loosely_and_mistakes_explained() -> None:
    election = make_election({"X|1": {"A": 5, "B": 3}}, {"X|1": {"A": 6, "B": 3}})
    rec = reconcile_election(election, "justice", "Recount", "Original Canvass")
    assert (rec.from_count, rec.to_count) == ("recount", "original canvass")
    with pytest.raises(PapertallyError, match="counts are"):
        reconcile_election(election, from_count="audit")
    with pytest.raises(PapertallyError, match="same count"):
        reconcile_election(election, from_count="recount", to_count="recount")
    single = Election("one")
    single.contests[CONTEST] = Contest(CONTEST)
    single.counts.append(ContestCount(CONTEST, "original canvass"))
    with pytest.raises(PapertallyError, match="needs two"):
        reconcile_election(single)


def test_several_contests_need_a_choice() -> None:
    election = make_election({"X|1": {"A": 5, "B": 3}}, {"X|1": {"A": 6, "B": 3}})
    other = make_election({"X|1": {"C": 5, "D": 3}}, {"X|1": {"C": 6, "D": 3}})
    other.contests = {"Governor": Contest("Governor")}
    for count in other.counts:
        count.contest = "Governor"
    election.merge(other)
    with pytest.raises(PapertallyError, match="--contest"):
        reconcile_election(election)
    assert reconcile_election(election, "Governor").net_change == {"C": 1, "D": 0}


def test_two_elections_one_count_each() -> None:
    canvass = make_election({"X|1": {"A": 5, "B": 3}}, {"X|1": {"A": 6, "B": 3}})
    canvass.counts.pop()  # only the original canvass
    recount = make_election({"X|1": {"A": 5, "B": 3}}, {"X|1": {"A": 4, "B": 3}})
    recount.counts.pop(0)  # only the recount
    rec = reconcile_elections(canvass, recount)
    assert (rec.from_count, rec.to_count) == ("original canvass", "recount")
    assert rec.net_change == {"A": -1, "B": 0}
    both = make_election({"X|1": {"A": 5, "B": 3}}, {"X|1": {"A": 6, "B": 3}})
    assert reconcile_elections(both, both, to_count="original canvass").changed_units == ()
    both.counts.append(ContestCount(CONTEST, "audit"))
    several = Election("several", contests=both.contests)
    several.counts = [c for c in both.counts if c.name != "recount"]
    with pytest.raises(PapertallyError, match="--to NAME"):
        reconcile_elections(canvass, several)


def one_count(name: str, units: dict[str, dict[str, int]], count: str) -> Election:
    """Return an election (a file) holding one count of ``CONTEST`` over ``units``."""
    election = make_election(units, units)
    election.name = name
    election.counts = [c for c in election.counts if c.name == count]
    return election


def test_units_match_across_spellings_of_case_spaces_and_ward_ranges() -> None:
    canvass = one_count(
        "canvass",
        {"ADAMS|TOWN OF X Wards 1-3": {"A": 5}, "ADAMS|TOWN OF Y Wards 1 & 2": {"A": 4}},
        "original canvass",
    )
    recount = one_count(
        "recount",
        {"Adams|Town of X  WARDS 1 - 3": {"A": 6}, "Adams|TOWN OF Y Ward 1-2": {"A": 4}},
        "recount",
    )
    rec = reconcile_elections(canvass, recount)
    assert (rec.reporting_units, len(rec.units), rec.warnings) == (2, 2, ())
    assert [u.unit.id for u in rec.changed_units] == ["ADAMS|TOWN OF X Wards 1-3"]
    assert rec.net_change == {"A": 1}
    assert unit_key("A|X Wds. 1, 2, 3 & 5") == unit_key("a|x ward 1-3,5")


def test_files_sharing_few_units_or_differing_contests_are_refused_unless_forced() -> None:
    canvass = one_count(
        "c", {"A|W1": {"A": 5}, "A|W2": {"A": 5}, "A|W3": {"A": 1}}, "original canvass"
    )
    other = one_count("r", {"A|W1": {"A": 5}, "B|W1": {"A": 9}, "B|W2": {"A": 9}}, "recount")
    with pytest.raises(PapertallyError, match="only 1 of 5 reporting units are in both"):
        reconcile_elections(canvass, other)
    forced = reconcile_elections(canvass, other, force=True)
    assert forced.warnings == ("only 1 of 5 reporting units are in both files (fewer than 50%)",)
    assert forced.to_json()["warnings"] == list(forced.warnings)
    renamed = one_count("r", {"A|W1": {"A": 5}, "A|W2": {"A": 5}}, "recount")
    renamed.contests = {"Mayor": Contest("Mayor", choices=[Choice("A")])}
    renamed.counts[0].contest = "Mayor"
    with pytest.raises(PapertallyError, match="the contests differ"):
        reconcile_elections(canvass, renamed)


def test_2012_against_2016_is_refused_not_an_outcome_change(shared_data: Path) -> None:
    before = read_results_file(shared_data / "wi/screening/2012-11-06_president_ward.csv")
    after = read_results_file(shared_data / "wi/2016-11-08_president_recount-canvass_ward.csv")
    with pytest.raises(PapertallyError) as caught:
        reconcile_elections(before.election, after.election)
    assert "different elections (2012-11-06 and 2016-11-08)" in str(caught.value)
    forced = reconcile_elections(before.election, after.election, force=True)
    assert forced.warnings == ("the files are of different elections (2012-11-06 and 2016-11-08)",)
    # unit names folded: 3,333 of 3,844 units match (934 of 6,243 before folding)
    assert (len(forced.units), forced.reporting_units) == (3333, 3844)
