"""OneAudit beside SUITE for a mixed contest: the plan, the choice, and the rounds it measures."""

from __future__ import annotations

import random

import pytest

from papertally.audit.contests import AuditedCard, AuditType, ContestSpec
from papertally.errors import PapertallyError
from papertally.workflows.measure import first_round_size, measure_rounds
from papertally.workflows.oneaudit import (
    ONEAUDIT,
    method_choice,
    oneaudit_contests,
    oneaudit_draws_of,
    with_method,
)

SPEC = ContestSpec(
    "Mayor",
    AuditType.HYBRID,
    0.05,
    {"A": 5300, "B": 4700},
    10_000,
    cvr_votes={"A": 4300, "B": 3700},
    cvr_cards=8000,
)


def _cards(n: int, *, share: float, seed: int, flip_pooled: bool = False) -> list[AuditedCard]:
    """Sampled cards: 80% linked (CVR right), the rest pooled; ``flip_pooled``: every pooled
    card's paper shows B."""
    rng = random.Random(seed)
    cards = []
    for i in range(1, n + 1):
        linked = rng.random() < 0.8
        vote = "A" if rng.random() < share else "B"
        paper = "B" if flip_pooled and not linked else vote
        cards.append(
            AuditedCard(i, {"Mayor": [vote]} if linked else None, {"Mayor": [paper]}, linked)
        )
    return cards


def test_default_pool_is_the_no_cvr_stratum() -> None:
    (contest,) = oneaudit_contests(SPEC)
    assert contest.cards == 10_000
    assert contest.pool_mean("cards without CVRs") == pytest.approx(0.5)  # A 1,000, B 1,000
    assert contest.margin == pytest.approx(600 / 10_000)


def test_choice_plans_both_and_picks_fewer() -> None:
    choice = method_choice(SPEC)
    data = choice.to_json()
    assert data["suite_draws"] > 0 and data["oneaudit_draws"] > 0
    assert data["oneaudit_p50"] <= data["oneaudit_p90"] <= data["oneaudit_p99"]
    assert choice.chosen == (
        "oneaudit" if data["oneaudit_draws"] < data["suite_draws"] else "suite"
    )
    assert with_method(SPEC, "fewest").method == (ONEAUDIT if choice.chosen == ONEAUDIT else None)
    with pytest.raises(PapertallyError, match="unknown audit method"):
        with_method(SPEC, "bravo")


def test_spec_round_trips_with_method_and_pools() -> None:
    spec = with_method(SPEC, ONEAUDIT)
    assert ContestSpec.from_json(spec.to_json()) == spec
    assert "method" not in SPEC.to_json()


def test_rounds_confirm_a_right_outcome_and_escalate_a_wrong_one() -> None:
    spec = with_method(SPEC, ONEAUDIT)
    size = first_round_size([spec])
    assert 0 < size < 10_000
    right = measure_rounds([spec], _cards(3 * size, share=0.53, seed=1), [size, 3 * size])
    assert right[-1].contests[0].confirmed
    wrong = measure_rounds([spec], _cards(size, share=0.53, seed=2, flip_pooled=True), [size])
    contest = wrong[0].contests[0]
    assert not contest.confirmed and contest.next_round_size > 0


def test_cards_map_to_pools_by_batch_or_stratum() -> None:
    pools = (
        {
            "name": "east/b1",
            "cards": 1000,
            "votes": {"A": 700, "B": 300},
            "batches": [["east", "b1"]],
        },
        {"name": "rest", "cards": 1000, "votes": {"A": 300, "B": 400}, "batches": None},
    )
    spec = ContestSpec(
        "Mayor",
        AuditType.HYBRID,
        0.05,
        {"A": 5300, "B": 4700},
        10_000,
        cvr_votes={"A": 4300, "B": 4000},
        cvr_cards=8000,
        method=ONEAUDIT,
        pools=pools,
    )
    cards = [
        AuditedCard(1, None, {"Mayor": ["A"]}, True, ("east", "b1")),
        AuditedCard(2, None, {"Mayor": ["B"]}, False, ("west", "b9")),
        AuditedCard(3, {"Mayor": ["A"]}, None, True, ("north", "b2")),
        AuditedCard(4, None, {"Mayor": ["A"]}, True, ("north", "b3")),
    ]
    draws = oneaudit_draws_of(spec, cards)
    assert [d.pool for d in draws] == ["east/b1", "rest", None, None]
    (contest,) = oneaudit_contests(spec)
    assert contest.pool_mean("east/b1") == pytest.approx(0.7)
    bad = ContestSpec.from_json(spec.to_json() | {"pools": [pools[0]]})
    with pytest.raises(PapertallyError, match="the pools hold 1,000 cards but 2,000"):
        oneaudit_contests(bad)


def test_supermajority_contest_of_a_mixed_spec() -> None:
    """A wins 5,300 of 10,000 valid votes: "A > 52%" has u = 1/1.04 and v = 2·0.53·u − 1,
    from the CVRs' tally and the pool's alike; a share A does not reach leaves no margin."""
    (contest,) = oneaudit_contests(SPEC, supermajority=0.52)
    u = 1 / 1.04
    assert contest.upper_bound == pytest.approx(u)
    assert contest.margin == pytest.approx(2 * 0.53 * u - 1)
    assert contest.pool_mean("cards without CVRs") == pytest.approx(0.5 * u)
    assert contest.reported_population().mean == pytest.approx(contest.noerror)
    with pytest.raises(PapertallyError, match="no margin"):
        oneaudit_contests(SPEC, supermajority=0.55)
    with pytest.raises(PapertallyError, match="between 0 and 1"):
        oneaudit_contests(SPEC, supermajority=0.0)
