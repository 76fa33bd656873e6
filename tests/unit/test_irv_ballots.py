"""Ranked ballots under each jurisdiction's rules, and the round-by-round IRV count."""

from __future__ import annotations

import pytest

from papertally.audit.irv.ballots import (
    MAINE,
    SAN_FRANCISCO,
    BallotRules,
    RankedBallots,
    ballot_rules,
    preference_list,
    tabulate,
)
from papertally.errors import PapertallyError

A, B, C, D = 0, 1, 2, 3


@pytest.mark.parametrize(
    ("marks", "maine", "san_francisco"),
    [
        ([{A}, {B}, {C}], (A, B, C), (A, B, C)),
        # one skipped ranking: both go on to the next choice
        ([{A}, set(), {B}], (A, B), (A, B)),
        # two skipped rankings in a row: Maine exhausts (21-A M.R.S. §723-A(1)(D)), SF does not
        ([{A}, set(), set(), {B}], (A,), (A, B)),
        ([set(), set(), {B}], (), (B,)),
        # an overvote exhausts the ballot in both
        ([{A}, {B, C}, {D}], (A,), (A,)),
        ([{A, B}, {C}], (), ()),
        # a repeated candidate counts once; in Maine a repeat then a blank is two skips
        ([{A}, {A}, {B}], (A, B), (A, B)),
        ([{A}, {A}, set(), {B}], (A,), (A, B)),
        # trailing blanks are not skips
        ([{A}, set(), set()], (A,), (A,)),
    ],
)
def test_preference_lists_under_maine_and_san_francisco_rules(
    marks: list[set[int]], maine: tuple[int, ...], san_francisco: tuple[int, ...]
) -> None:
    assert preference_list(marks, MAINE) == maine
    assert preference_list(marks, SAN_FRANCISCO) == san_francisco


def test_overvote_skip_rule_passes_over_the_ranking() -> None:
    rules = BallotRules("skip-overvotes", overvote="skip")
    assert preference_list([{A, B}, {C}], rules) == (C,)


def test_unknown_rules_name_is_a_clear_error() -> None:
    assert ballot_rules("Maine") is MAINE
    with pytest.raises(PapertallyError, match=r"unknown ballot rules 'main'.*maine"):
        ballot_rules("main")


def paper_example_1() -> RankedBallots:
    """Blom, Stuckey & Teague (2019), Table 1: 60,000 ballots over c1..c4."""
    return RankedBallots.from_lists(
        ["c1", "c2", "c3", "c4"],
        [
            ([1, 2], 4000),
            ([0], 20000),
            ([2, 3], 9000),
            ([1, 2, 3], 6000),
            ([3, 0, 1], 15000),
            ([0, 2], 6000),
        ],
    )


def test_round_by_round_tally_of_the_raire_paper_example() -> None:
    result = tabulate(paper_example_1(), reported_winner="c4")
    assert [r.tallies for r in result.rounds] == [
        {"c1": 26000, "c2": 10000, "c3": 9000, "c4": 15000},
        {"c1": 26000, "c2": 10000, "c4": 24000},
        {"c1": 26000, "c4": 30000},
    ]
    assert [r.eliminated for r in result.rounds] == [("c3",), ("c2",), ("c1",)]
    assert result.rounds[-1].exhausted == 4000
    assert result.winner == "c4"
    assert result.elimination_order == ("c3", "c2", "c1", "c4")


def test_reported_winner_who_loses_the_count_is_an_error() -> None:
    with pytest.raises(PapertallyError, match=r"reported winner 'c1' does not win.*'c4' does"):
        tabulate(paper_example_1(), reported_winner="c1")


def test_tie_for_last_place_that_decides_the_winner_is_an_error() -> None:
    # A and B tie for last; eliminating A elects C, eliminating B elects D
    ballots = RankedBallots.from_named(
        ["A", "B", "C", "D"],
        [(["A", "C"], 10), (["B", "D"], 10), (["C"], 12), (["D"], 12)],
    )
    with pytest.raises(PapertallyError, match="'A', 'B' are tied for last place with 10 votes"):
        tabulate(ballots)


def test_tie_for_last_place_that_changes_nothing_is_broken_and_marked() -> None:
    ballots = RankedBallots.from_named(
        ["A", "B", "C"], [(["A"], 50), (["B", "A"], 10), (["C", "A"], 10)]
    )
    result = tabulate(ballots)
    assert result.winner == "A"
    assert result.rounds[0].tie_broken


def test_final_tie_is_an_error() -> None:
    ballots = RankedBallots.from_named(["A", "B"], [(["A"], 5), (["B"], 5)])
    with pytest.raises(PapertallyError, match="tied for the final round"):
        tabulate(ballots)


def test_zero_vote_candidates_leave_together_and_blank_ballots_count_as_exhausted() -> None:
    ballots = RankedBallots.from_named(
        ["A", "B", "W1", "W2"], [(["A"], 6), (["B", "A"], 3), ([], 2)]
    )
    result = tabulate(ballots)
    assert result.rounds[0].eliminated == ("W1", "W2")
    assert result.rounds[0].exhausted == 2
    assert result.winner == "A"
    assert ballots.total == 11


def test_bad_ballots_are_refused() -> None:
    with pytest.raises(PapertallyError, match="repeats a candidate"):
        RankedBallots(("A", "B"), ((0, 0),), (1,))
    with pytest.raises(PapertallyError, match=r"unknown candidate 'Bobb'.*'Bob'"):
        RankedBallots.from_named(["Alice", "Bob"], [(["Bobb"], 1)])
    with pytest.raises(PapertallyError, match="named twice"):
        RankedBallots(("A", "A"), (), ())
