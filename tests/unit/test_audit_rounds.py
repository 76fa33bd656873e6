"""Audit rounds: per-contest, per-assertion state, escalation and the full hand count."""

from __future__ import annotations

import numpy as np
import pytest

from papertally.audit.rounds import ContestUnderAudit, assess_contest, run_rounds
from papertally.errors import PapertallyError


def _cards(n: int, seed: int = 3) -> list[dict[str, str | None]]:
    rng = np.random.default_rng(seed)
    mayor = rng.choice(["A", "B"], size=n, p=[0.6, 0.4])
    council = rng.choice(["X", "Y", "Z", "-"], size=n, p=[0.3, 0.26, 0.2, 0.24])
    return [
        {"Mayor": str(m), "Council": None if c == "-" else str(c)}
        for m, c in zip(mayor, council, strict=True)
    ]


def test_shared_sample_each_contest_its_own_risk_limit() -> None:
    mayor = ContestUnderAudit.plurality("Mayor", {"A": 6000, "B": 4000}, 0.05)
    council = ContestUnderAudit.plurality(
        "Council", {"X": 3000, "Y": 2600, "Z": 2000}, 0.1, ballots=10_000
    )
    cards = _cards(3000)
    rounds = run_rounds([mayor, council], cards, [50, 400, 3000])
    first, second, last = rounds
    assert not first.finished and first.next_round_size > 0
    by_name = {c.contest: c for c in second.contests}
    assert by_name["Mayor"].confirmed and by_name["Mayor"].risk <= 0.05
    assert {a.name for a in by_name["Council"].assertions} == {"X > Y", "X > Z"}
    assert last.finished and all(c.confirmed for c in last.contests)
    # a confirmed contest keeps the status it had when confirmed
    assert {c.contest: c for c in last.contests}["Mayor"] == by_name["Mayor"]


def test_contest_not_met_gets_a_next_round_size() -> None:
    contest = ContestUnderAudit.plurality("Mayor", {"A": 5200, "B": 4800}, 0.05)
    status = assess_contest(contest, [{"Mayor": "A"}, {"Mayor": "B"}] * 20)
    assert not status.confirmed and not status.full_hand_count
    assert status.next_round_size == status.assertions[0].next_round_size > 0


def test_full_hand_count_when_the_sample_cannot_finish() -> None:
    contest = ContestUnderAudit.plurality("Tiny", {"A": 11, "B": 9}, 0.05)
    status = assess_contest(contest, [{"Tiny": "B"}] * 5)
    assert status.full_hand_count and status.next_round_size == 0 and not status.confirmed


def test_unknown_candidate_and_bad_round_ends() -> None:
    contest = ContestUnderAudit.plurality("Mayor", {"Alice": 60, "Bob": 40}, 0.1)
    with pytest.raises(PapertallyError, match="did you mean 'Alice'"):
        assess_contest(contest, [{"Mayor": "Alise"}])
    with pytest.raises(PapertallyError, match="round ends"):
        run_rounds([contest], [{"Mayor": "Alice"}], [1, 1])
