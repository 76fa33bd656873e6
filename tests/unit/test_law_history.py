"""The outcome analysis reproduces the history table's facts and states its assumptions."""

from __future__ import annotations

import pytest

from papertally.errors import PapertallyError
from papertally.law import flip_outlook, history_facts, load_history
from papertally.law.history import model_cases, votes_to_flip


def test_history_has_22_recounts_each_with_a_source() -> None:
    cases = load_history()
    assert len(cases) == 22
    assert all(c.sources and all(s.startswith("http") for s in c.sources) for c in cases)
    assert {c.year for c in cases} >= {2000, 2024}


def test_the_three_reversals_all_started_under_006_percent() -> None:
    reversed_cases = [c for c in load_history() if c.outcome_changed]
    assert [(c.year, c.state) for c in reversed_cases] == [(2004, "WA"), (2006, "VT"), (2008, "MN")]
    assert all(c.original_margin_pct is not None and c.original_margin_pct < 0.06
               for c in reversed_cases)  # fmt: skip
    assert all(
        c.final_margin_votes is not None and c.final_margin_votes < 0 for c in reversed_cases
    )
    facts = history_facts()
    assert facts["max_reversed_margin_pct"] == 0.0546
    assert facts["max_reversed_margin_votes"] == 261


def test_shift_arithmetic_matches_the_table() -> None:
    checked = 0
    for c in model_cases():
        if c.original_margin_votes is not None and c.final_margin_votes is not None:
            assert c.shift_votes is not None
            assert c.original_margin_votes + c.shift_votes == c.final_margin_votes, c.label
            checked += 1
    assert checked == 17


def test_wisconsin_2016_cost_facts() -> None:
    wi = next(c for c in load_history() if c.year == 2016 and c.state == "WI")
    assert wi.cost_usd == 2_005_603 and wi.shift_votes == 131


def test_votes_to_flip() -> None:
    assert votes_to_flip(0) == (1, 1)
    assert votes_to_flip(22_617) == (22_618, 11_309)


def test_flip_outlook_for_wisconsin_2016_is_small_and_explained() -> None:
    outlook = flip_outlook(22_617, 2_975_753)
    assert outlook.empirical_count == 0 and outlook.empirical_n == len(model_cases()) == 17
    assert outlook.model_chance < 0.02
    low, high = outlook.model_interval
    assert low <= outlook.model_chance <= high
    assert any("not a random sample" in a for a in outlook.assumptions)
    assert any("left out" in a for a in outlook.assumptions)
    assert "0.0546%" in outlook.largest_reversed


def test_closer_margins_are_likelier_to_flip() -> None:
    chances = [flip_outlook(m, 3_000_000).model_chance for m in (100, 1_000, 10_000, 30_000)]
    assert chances == sorted(chances, reverse=True)
    assert chances[0] > 0.1 > chances[-1]
    again = flip_outlook(1_000, 3_000_000)
    assert again.model_interval == flip_outlook(1_000, 3_000_000).model_interval


def test_flip_outlook_refuses_nonsense() -> None:
    with pytest.raises(PapertallyError):
        flip_outlook(5, 0)
    with pytest.raises(PapertallyError):
        flip_outlook(-5, 100)
