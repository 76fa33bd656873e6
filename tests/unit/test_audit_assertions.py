"""SHANGRLA assertions: plurality pairs, supermajority, phantoms and input checks."""

from __future__ import annotations

import pytest

from papertally.audit.assertions import (
    NO_VOTE,
    PHANTOM,
    check_sample_choices,
    plurality_assertions,
    supermajority_assertion,
)
from papertally.errors import PapertallyError


def test_every_winner_against_every_loser() -> None:
    votes = {"A": 500, "B": 400, "C": 300, "D": 100}
    assertions = plurality_assertions(votes, winners=2, ballots=1000)
    assert sorted(a.name for a in assertions) == ["A > C", "A > D", "B > C", "B > D"]


def test_plurality_assorter_mean_and_margin() -> None:
    (a,) = plurality_assertions({"A": 600, "B": 300}, ballots=1000)
    # mean = (600 + 100/2)/1000
    assert a.reported_mean == pytest.approx(0.65)
    assert a.diluted_margin == pytest.approx(0.3)
    assert a.assort(["A", "B", None, NO_VOTE, PHANTOM]).tolist() == [1.0, 0.0, 0.5, 0.5, 0.0]


def test_phantoms_count_as_votes_for_the_loser() -> None:
    (a,) = plurality_assertions({"A": 600, "B": 400}, phantoms=100)
    assert a.population.size == 1100
    assert a.diluted_margin == pytest.approx((600 - 400 - 100) / 1100)


def test_supermajority_assorter() -> None:
    a = supermajority_assertion({"Yes": 700, "No": 300}, "Yes", 2 / 3, ballots=1100)
    assert a.upper_bound == pytest.approx(0.75)
    assert a.assort(["Yes", "No", None]).tolist() == [0.75, 0.0, 0.5]
    # mean > 1/2 exactly when Yes has more than 2/3 of the valid votes
    assert a.reported_mean > 0.5
    with pytest.raises(PapertallyError, match="not more than"):
        supermajority_assertion({"Yes": 600, "No": 400}, "Yes", 2 / 3)


def test_votes_more_than_ballots_allow() -> None:
    with pytest.raises(PapertallyError, match="add up to 1000"):
        plurality_assertions({"A": 600, "B": 400}, ballots=900)


def test_one_candidate_and_ties_are_refused() -> None:
    with pytest.raises(PapertallyError, match="at least two candidates"):
        plurality_assertions({"A": 10})
    with pytest.raises(PapertallyError, match="tied"):
        plurality_assertions({"A": 10, "B": 10})


def test_unknown_candidate_in_sample_names_draw_and_suggests() -> None:
    with pytest.raises(PapertallyError, match=r"draw 2 names 'Alise'.*did you mean 'Alice'"):
        check_sample_choices(["Bob", "Alise"], ["Alice", "Bob"], source="sample.txt")
