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
