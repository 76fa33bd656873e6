"""OneAudit beside SUITE for a mixed contest: the plan, the choice, and the rounds it measures."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from papertally.audit.contests import AuditedCard, AuditType, ContestSpec
from papertally.audit.oneaudit import IrvAssorter, Pool, oneaudit_contest, oneaudit_sample_sizes
from papertally.errors import PapertallyError
from papertally.workflows.measure import first_round_size, measure_rounds
from papertally.workflows.oneaudit import (
    ONEAUDIT,
    irv_oneaudit_plan,
    method_choice,
    oneaudit_contests,
    oneaudit_draws_of,
    read_ranked_pools,
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


IRV_CANDIDATES = ("Alice", "Bob", "Chuan")
IRV_LINKED = (
    [("Alice", "Bob")] * 400
    + [("Bob", "Alice")] * 300
    + [("Chuan", "Alice")] * 150
    + [("Chuan", "Bob")] * 100
    + [()] * 50
)
IRV_POOLS = [
    Pool("p1", 1000, None, {("Alice",): 600, ("Bob", "Chuan"): 300, ("Chuan", "Alice"): 100}),
    Pool("p2", 500, None, {("Bob",): 300, ("Alice", "Chuan"): 150, ("Chuan", "Bob"): 50}),
    Pool("p3", 300),
]


def test_irv_oneaudit_plan_tracks_simulation() -> None:
    """RAIRE assertions over linked and pooled rankings; each assertion's estimate agrees with
    simulated OneAudits of its IrvAssorter; the pool without rankings is neutral."""
    plan = irv_oneaudit_plan(IRV_LINKED, IRV_CANDIDATES, IRV_POOLS, risk_limit=0.05)
    assert plan.winner == "Alice" and plan.cards == 2800 and plan.neutral_pools == ("p3",)
    assert {a.name.split(":")[0] for a in plan.assertions} <= {"NEB", "NEN"}
    hardest = plan.hardest
    assert hardest.sizes.p90 == max(a.sizes.p90 for a in plan.assertions)
    from papertally.audit.irv.ballots import RankedBallots, tabulate
    from papertally.audit.irv.raire import find_assertions

    lists: dict[tuple[str, ...], int] = {}
    for r in IRV_LINKED:
        lists[r] = lists.get(r, 0) + 1
    for pool in IRV_POOLS[:2]:
        for r, n in (pool.rankings or {}).items():
            lists[r] = lists.get(r, 0) + n
    ballots = RankedBallots.from_named(IRV_CANDIDATES, list(lists.items()))
    assert tabulate(ballots).winner == "Alice"
    scored = find_assertions(ballots, "Alice", total_ballots=2800).assertions
    for assertion, planned in zip(scored, plan.assertions, strict=True):
        contest = oneaudit_contest(
            IrvAssorter(assertion.assertion, IRV_CANDIDATES), IRV_LINKED, IRV_POOLS
        )
        sizes = oneaudit_sample_sizes(contest, risk_limit=0.05, trials=60)
        assert planned.diluted_margin == pytest.approx(contest.diluted_margin)
        assert planned.sizes.mean == pytest.approx(float(np.mean(sizes)), rel=0.3)


def test_ranked_pools_file(tmp_path: Path) -> None:
    """Rows per ranking, a row without ranking and count declares an unknown pool; mistakes
    name file, row and column."""
    good = tmp_path / "pools.csv"
    good.write_text(
        "pool,cards,ranking,count\np1,10,Alice>Bob,6\np1,10,,2\np1,10,Chuan,1\np2,5,,\n"
    )
    p1, p2 = read_ranked_pools(good, IRV_CANDIDATES)
    assert p1 == Pool("p1", 10, None, {("Alice", "Bob"): 6, (): 2, ("Chuan",): 1})
    assert p2 == Pool("p2", 5, None, None)
    for body, message in (
        ("pool,cards,ranking,count\np1,10,Alicia,3\n", "row 2, column 'ranking': 'Alicia'"),
        ("pool,cards,ranking,count\np1,10,Alice,3\np1,9,Bob,1\n", "row 3, column 'cards'"),
        ("pool,cards,ranking,count\np1,x,Alice,3\n", "row 2, column 'cards'"),
        ("pool,cards,ranking,count\np1,10,Alice>Alice,3\n", "ranked twice"),
        ("pool,cards,ranking\np1,10,Alice\n", "no column 'count'"),
        ("pool,cards,ranking,count\np1,2,Alice,3\n", "3 ranked cards reported"),
    ):
        bad = tmp_path / "bad.csv"
        bad.write_text(body)
        with pytest.raises(PapertallyError, match=message):
            read_ranked_pools(bad, IRV_CANDIDATES)
