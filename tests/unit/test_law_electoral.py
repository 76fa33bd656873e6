"""Which states would have to flip: the 2016 picture from a small table."""

from __future__ import annotations

import pytest

from papertally.errors import PapertallyError
from papertally.law import StateResult, electoral_picture

ROWS_2016 = [
    StateResult("WI", 10, "Trump", 22_748),
    StateResult("MI", 16, "Trump", 10_704),
    StateResult("PA", 20, "Trump", 44_292),
    StateResult("FL", 29, "Trump", 112_911),
    StateResult("AZ", 11, "Trump", 91_234),
    StateResult("NC", 15, "Trump", 173_315),
    StateResult("Other Trump states", 205, "Trump", 5_000_000),
    StateResult("Clinton states", 232, "Clinton", 3_000_000),
]


def test_2016_cheapest_set_is_wisconsin_michigan_pennsylvania() -> None:
    picture = electoral_picture(ROWS_2016)
    assert picture.winner == "Trump" and picture.electoral_votes["Trump"] == 306
    assert picture.majority == 270 and picture.needed == 38
    assert picture.cheapest is not None
    assert sorted(picture.cheapest.states) == ["MI", "PA", "WI"]
    assert picture.cheapest.ballots_to_switch == 11_375 + 5_353 + 22_147
    assert picture.alternatives[0].ballots_to_switch == picture.cheapest.ballots_to_switch
    for alt in picture.alternatives:
        assert alt.electoral_votes >= 38


def test_fewest_states() -> None:
    picture = electoral_picture(ROWS_2016)
    assert picture.fewest_states is not None and len(picture.fewest_states.states) == 1


def test_table_must_have_two_winners() -> None:
    with pytest.raises(PapertallyError, match="exactly two"):
        electoral_picture([StateResult("WI", 10, "A", 5)])


ROWS_2016_BY_STATE = [
    *ROWS_2016[:6],
    StateResult("GA", 16, "Trump", 211_141),
    StateResult("OH", 18, "Trump", 446_841),
    StateResult("IA", 6, "Trump", 147_314),
    StateResult("TX", 38, "Trump", 807_179),
    *(StateResult(f"Small {i}", 1, "Trump", 1_000 * i) for i in range(1, 22)),
    StateResult("Other Trump states", 106, "Trump", 5_000_000),
    StateResult("Clinton states", 232, "Clinton", 3_000_000),
]
"""Trump's 306 with Texas and more than 20 states cheaper to flip than it (the old search
looked only among the 20 cheapest)."""


def test_fewest_states_is_exact_texas_alone_reaches_the_majority() -> None:
    """Issue 12: the old search looked only among the cheapest states and said no combination
    reaches a majority, though Texas (38 electoral votes) alone does."""
    picture = electoral_picture(ROWS_2016_BY_STATE)
    assert picture.needed == 38
    assert picture.fewest_states is not None
    assert picture.fewest_states.states == ["TX"]
    assert picture.fewest_states.electoral_votes == 38


def test_fewest_states_prefers_the_cheaper_of_equal_sized_sets() -> None:
    rows = [
        StateResult("A", 20, "W", 1_000),
        StateResult("B", 20, "W", 10),
        StateResult("C", 30, "W", 100_000),
        StateResult("L", 60, "R", 5),
    ]
    picture = electoral_picture(rows)
    assert picture.needed == 6
    assert picture.fewest_states is not None and picture.fewest_states.states == ["B"]
