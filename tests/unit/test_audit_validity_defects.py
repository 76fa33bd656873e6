"""Regression tests for the validity holes of issue 9: each failed before its fix.

* vote for k: a card with more than one mark scored ½ for every pair, so {loser, other} helped
  the winner; and a pair's reported population had more cards than the contest when
  ``W + L > N``;
* a supermajority share exactly at ``f`` read as "the null is impossible" through rounding;
* a reported loser with no votes made BRAVO's sample size raise (``log 0``);
* a hybrid audit whose polled cards were all reported for the winner crashed (``η0 = 1``);
* ``Sha256Prng.random()`` could return 1.0.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from typer.testing import CliRunner

from papertally.audit.assertions import (
    NO_VOTE,
    PHANTOM,
    CardReading,
    check_sample_choices,
    plurality_assertions,
    score_card,
    supermajority_assertion,
)
from papertally.audit.contests import (
    AuditedCard,
    AuditType,
    ContestSpec,
    discrepancy_code,
    polling_choice,
)
from papertally.audit.hybrid import hybrid_risk, hybrid_sample_size, polling_values
from papertally.audit.martingale import decide_nulls
from papertally.audit.polling import (
    alpha_risk,
    alpha_settings,
    bravo_martingale,
    bravo_sample_size,
)
from papertally.audit.prng import HASH_BITS, Sha256Prng, unit_interval
from papertally.cli.audit import app
from papertally.errors import PapertallyError


def _tolerance(alpha: float, trials: int) -> float:
    return alpha + 3.0 * math.sqrt(alpha * (1 - alpha) / trials)


def test_supermajority_at_exactly_the_threshold_never_reads_as_impossible() -> None:
    # f = 0.55, N = 1,000 and the winner's true share exactly 55%: the null mean 1/2 is true.
    # Before the fix the null mean of the undrawn zeros came out a hair below 0 in about half
    # of all orders, T jumped to infinity and the audit stopped (47% of audits).
    assertion = supermajority_assertion({"Yes": 600, "No": 400}, "Yes", 0.55)
    settings = alpha_settings(assertion, 0.05)
    cards = np.array([assertion.upper_bound] * 550 + [0.0] * 450)
    rng = np.random.default_rng(2026)
    trials = 300
    stops = 0
    for _ in range(trials):
        measured = alpha_risk(rng.permutation(cards), settings, population=1000, risk_limit=0.05)
        assert measured.p_value > 0.0
        stops += measured.stop
    assert stops / trials <= _tolerance(0.05, trials)


def test_null_means_within_rounding_of_zero_are_zero() -> None:
    x = np.array([0.0, 0.0, 0.5])
    mu, impossible, certain = decide_nulls(
        x,
        np.array([-1e-13, 1e-13, -1e-13]),
        np.array([3.0, 2.0, 1.0]),
        population=3,
        upper_bound=1.0,
    )
    assert mu.tolist() == [0.0, 0.0, 0.0]
    assert impossible.tolist() == [False, False, True]
    assert not certain.any()


def test_bravo_with_a_zero_vote_loser() -> None:
    assert bravo_sample_size(1.0, 0.0, 0.1) == 4
    assert bravo_sample_size(0.55, 0.0, 0.1) == 11
    assert bravo_sample_size(0.55, 0.0, 0.1, loser_so_far=1, max_size=500) == 500
    path = bravo_martingale(np.array([1.0, 1.0, 0.5, 1.0, 1.0, 0.0]), 1.0)
    assert path == pytest.approx([2.0, 4.0, 4.0, 8.0, 16.0, 0.0])


def test_cli_sample_size_with_a_zero_vote_loser_prints_sizes() -> None:
    result = CliRunner().invoke(
        app,
        [
            "sample-size",
            "--type",
            "polling",
            "--risk-limit",
            "0.1",
            "--votes",
            "A=550",
            "--votes",
            "B=0",
            "--ballots",
            "1000",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert '"bravo_sample_size": 11' in result.output


HYBRID = {
    "votes_cvr_stratum": {"A": 600, "B": 400},
    "votes_no_cvr_stratum": {"A": 100, "B": 0},
    "cards_cvr": 1000,
    "cards_no_cvr": 100,
    "winner": "A",
    "loser": "B",
    "risk_limit": 0.05,
}


def test_hybrid_with_every_polled_card_reported_for_the_winner() -> None:
    measured = hybrid_risk(["0"] * 50, ["A"] * 20, **HYBRID)  # type: ignore[arg-type]
    assert 0.0 < measured.p_value < 0.05
    plan = hybrid_sample_size(**HYBRID)  # type: ignore[arg-type]
    assert plan.total > 0


def test_prng_draws_lie_in_the_unit_interval_even_at_the_largest_output() -> None:
    largest = 2**HASH_BITS - 1
    assert float(largest) * 2.0**-HASH_BITS == 1.0  # cryptorandom's scaling rounds up to 1
    assert unit_interval(largest) < 1.0
    assert unit_interval(largest) == math.nextafter(1.0, 0.0)
    assert unit_interval(0) == 0.0
    assert unit_interval(2**255) == 0.5
    prng = Sha256Prng("12345678901234567890")
    draws = prng.randoms(1000)
    assert ((draws >= 0.0) & (draws < 1.0)).all()


@pytest.mark.parametrize("value", [2**256 - 2**202, 2**256 - 2**203 + 1, 2**200 + 12345])
def test_unit_interval_matches_cryptorandom_below_one(value: int) -> None:
    scaled = float(value) * 2.0**-HASH_BITS
    assert unit_interval(value) == (scaled if scaled < 1.0 else math.nextafter(1.0, 0.0))


# -- vote for k: each card scored from its own marks ------------------------------------------


def test_score_card_counts_a_vote_for_the_loser_and_someone_else_against_the_winner() -> None:
    def score(reading: CardReading, allowed: int = 2) -> float:
        return score_card(reading, winner="W", loser="L", votes_allowed=allowed)

    assert score(("L", "X")) == 0.0  # was ½ before the fix: "more than one mark"
    assert score(("W", "X")) == 1.0
    assert score(("W", "L")) == 0.5
    assert score(("X", "Y")) == 0.5
    assert score(("W", "L", "X")) == 0.5  # three marks in a vote-for-2 contest: an overvote
    assert score(("W", "X"), allowed=1) == 0.5
    assert score("L") == 0.0
    assert score(None) == score(NO_VOTE) == score(()) == 0.5
    assert score(PHANTOM) == 0.0
    assert score_card(("Yes",), winner="Yes", loser=None, upper_bound=0.75) == 0.75
    assert score_card(("Yes", "No"), winner="Yes", loser=None, upper_bound=0.75) == 0.5


VOTE_FOR_TWO_TRUTH: list[tuple[str, ...]] = [
    *[("A", "C")] * 120,
    *[("B",)] * 60,
    *[("C",)] * 20,
]
"""200 cards of a vote-for-2 contest: truly A 120, C 140, B 60; B is reported as a winner."""


def _seated_loser_spec() -> ContestSpec:
    return ContestSpec(
        "Council",
        AuditType.BALLOT_POLLING,
        0.05,
        {"A": 120, "B": 140, "C": 60},
        len(VOTE_FOR_TWO_TRUTH),
        winners=2,
        votes_allowed=2,
    )


def test_polling_a_seated_loser_in_a_vote_for_two_contest_rarely_confirms() -> None:
    # Before the fix every card with two marks became "no vote", so B > C read 0.6 on cards whose
    # true mean is 0.3: the wrong outcome was confirmed in every audit.
    spec = _seated_loser_spec()
    assertions = spec.assertions()
    assert {a.name for a in assertions} == {"A > C", "B > C"}
    rng = np.random.default_rng(99)
    trials = 400
    confirmed = 0
    for _ in range(trials):
        order = rng.permutation(len(VOTE_FOR_TWO_TRUTH))
        cards = [
            AuditedCard(i + 1, None, {"Council": VOTE_FOR_TWO_TRUTH[j]}, False)
            for i, j in enumerate(order)
        ]
        readings = [polling_choice(card, spec) for card in cards]
        confirmed += all(
            alpha_risk(
                a.assort(readings),
                alpha_settings(a, spec.risk_limit),
                population=spec.cards,
                risk_limit=spec.risk_limit,
            ).stop
            for a in assertions
        )
    assert confirmed / trials <= _tolerance(0.05, trials)


def test_workflow_reading_of_a_vote_for_two_card() -> None:
    spec = _seated_loser_spec()
    by_name = {a.name: a for a in spec.assertions()}
    a_c, b_c = by_name["A > C"], by_name["B > C"]
    card = AuditedCard(1, {"Council": ["A", "C"]}, {"Council": ["A", "C"]}, False)
    assert b_c.assort([polling_choice(card, spec)]).tolist() == [0.0]
    assert a_c.assort([polling_choice(card, spec)]).tolist() == [0.5]
    over = AuditedCard(2, None, {"Council": ["A", "B", "C"]}, False)
    assert polling_choice(over, spec) == NO_VOTE
    assert polling_choice(AuditedCard(3, None, None, False), spec) == PHANTOM
    # comparison: CVR {B} but paper {A, C} overstates B > C by two votes
    misread = AuditedCard(4, {"Council": ["B"]}, {"Council": ["A", "C"]})
    assert discrepancy_code(misread, b_c, spec.votes_allowed) == "o2"


def test_reported_population_of_a_vote_for_two_pair_has_every_card() -> None:
    # A 80, B 70, C 40 on 100 vote-for-2 cards: A + C = 120, so at least 20 cards show both
    # A and C; the population of A > C had 120 cards before the fix, not 100.
    for assertion in plurality_assertions(
        {"A": 80, "B": 70, "C": 40}, 2, ballots=100, votes_allowed=2
    ):
        assert assertion.population.size == 100
    a_c = plurality_assertions({"A": 80, "B": 70, "C": 40}, 2, ballots=100)[0]
    assert a_c.name == "A > C"
    assert a_c.population.counts == (60, 20, 20)
    assert a_c.reported_mean == pytest.approx(0.5 + (80 - 40) / 200)


def test_hybrid_polled_stratum_scores_vote_for_two_cards_by_their_marks() -> None:
    assert polling_values(
        [("B", "C"), ("A", "C"), ("A", "B"), "A", PHANTOM], "A", "B", 2
    ).tolist() == [
        0.0,
        1.0,
        0.5,
        1.0,
        0.0,
    ]


def test_sample_readings_with_several_marks_are_checked_name_by_name() -> None:
    checked = check_sample_choices([("A", "C"), "B", None, PHANTOM], ["A", "B", "C"], source="s")
    assert checked == [("A", "C"), "B", None, PHANTOM]
    with pytest.raises(PapertallyError, match=r"s: draw 1 names 'Carl'.*did you mean 'Carol'"):
        check_sample_choices([("Alice", "Carl")], ["Alice", "Carol"], source="s")
    with pytest.raises(PapertallyError, match="draw 2 names '<phantom>'"):
        check_sample_choices(["A", ("A", PHANTOM)], ["A", "B"], source="s")
