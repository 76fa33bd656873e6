"""Recount cost: county estimates, modelled gaps and the refund or balance after the recount."""

from __future__ import annotations

import pytest

from papertally.errors import PapertallyError
from papertally.law import CountyCost, estimate_cost, settle


def test_wisconsin_2016_refund() -> None:
    result = settle(paid=3_499_689, actual=2_005_603)
    assert result.refund == 1_494_086 and result.balance_due == 0
    assert "refunded" in result.arithmetic


def test_balance_due_when_actual_exceeds_paid() -> None:
    result = settle(paid=100, actual=250)
    assert result.balance_due == 150 and result.refund == 0


def test_submitted_estimates_and_model_fill_the_gaps() -> None:
    counties = [
        CountyCost("Dane", estimate=200_000),
        CountyCost("Milwaukee", ballots=400_000),
        CountyCost("Iron", units=12),
    ]
    result = estimate_cost(counties, per_ballot=0.5, per_unit=100)
    assert [line.estimate for line in result.lines] == [200_000, 200_000, 1_200]
    assert result.submitted_total == 200_000 and result.total == 401_200
    assert result.settlement is None


def test_history_median_fills_gaps_and_says_so() -> None:
    result = estimate_cost([CountyCost("A", ballots=1_000_000)])
    assert result.total == pytest.approx(375_000)
    assert any("median cost per vote" in a for a in result.assumptions)


def test_settlement_once_every_county_has_actual_cost() -> None:
    counties = [
        CountyCost("A", estimate=2_000_000, actual=1_200_000),
        CountyCost("B", estimate=1_499_689, actual=805_603),
    ]
    result = estimate_cost(counties)
    assert result.total == 3_499_689
    assert result.settlement is not None and result.settlement.refund == 1_494_086


def test_a_county_without_anything_to_go_on_is_named() -> None:
    with pytest.raises(PapertallyError, match="'Forest'"):
        estimate_cost([CountyCost("Forest")])
