"""The promise of an RLA, checked for IRV: how often a wrong IRV winner is confirmed.

The cases of :mod:`papertally.audit.validity`, for RAIRE's assertions (Blom, Stuckey & Teague
2019) audited by :mod:`papertally.audit.irv.audit`. A *wrong winner seated by one elimination*:
the paper ballots elect ``B`` — ``C`` has one vote fewer than ``B`` in round 1, is eliminated,
and ``C``'s ballots carry ``B`` past ``A`` — while a few CVRs record a ``B`` ballot as
``C, A``, so that the CVRs eliminate ``B`` first and elect ``A``. The assertions are chosen
from the CVRs, as in a real audit; at least one of them is false on paper (by one vote), so
every confirmation is a type-I error, which must happen with chance at most ``α``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from papertally.audit.irv.audit import CardRanking, comparison_risk, polling_risk
from papertally.audit.irv.ballots import RankedBallots, tabulate
from papertally.audit.irv.raire import RaireResult, find_assertions
from papertally.audit.validity import Confirms, TypeOneError, simulated_type_one

Pair = tuple[CardRanking, CardRanking]
"""A card's CVR and what its paper shows."""
A, B, C = 0, 1, 2
CANDIDATES = ("A", "B", "C")


@dataclass(frozen=True)
class WrongIrvWinner:
    """Paper ballots electing ``B``, CVRs electing ``A`` (see the module notes)."""

    a_votes: int
    c_votes: int
    """``C``'s first preferences (all ``C, B``); ``B`` has one more, all bullet votes."""
    flipped: int
    """``B`` ballots whose CVR reads ``C, A``."""
    missing: int = 0
    """Cards with no CVR (phantoms, scored as the worst case)."""

    def pairs(self) -> list[Pair]:
        """Every card: its CVR and its paper."""
        b_votes = self.c_votes + 1
        cards: list[Pair] = [((A,), (A,))] * self.a_votes
        cards += [((C, B), (C, B))] * self.c_votes
        cards += [((B,), (B,))] * (b_votes - self.flipped)
        cards += [((C, A), (B,))] * self.flipped
        cards += [(None, (B,))] * self.missing
        return cards

    def cvr_ballots(self) -> RankedBallots:
        """The CVRs as a contest (cards without a CVR left out)."""
        return RankedBallots.from_lists(
            CANDIDATES, [(cvr, 1) for cvr, _ in self.pairs() if cvr is not None]
        )

    def paper_ballots(self) -> RankedBallots:
        return RankedBallots.from_lists(
            CANDIDATES, [(paper, 1) for _, paper in self.pairs() if paper is not None]
        )

    def assertions(self, kind: str = "comparison") -> RaireResult:
        """RAIRE's assertions for the CVRs' winner ``A`` (over every card, phantoms included)."""
        return find_assertions(
            self.cvr_ballots(),
            "A",
            kind="polling" if kind == "polling" else "comparison",
            total_ballots=len(self.pairs()),
        )

    def label(self) -> str:
        extra = f", {self.missing} without CVR" if self.missing else ""
        return f"IRV wrong winner: {self.flipped} bad CVR(s){extra}, N={len(self.pairs()):,}"


def check_case(case: WrongIrvWinner) -> None:
    """Raise unless the paper elects ``B`` and the CVRs elect ``A`` (the case is what it says)."""
    assert tabulate(case.paper_ballots()).winner == "B"
    assert tabulate(case.cvr_ballots()).winner == "A"


def comparison_confirms(case: WrongIrvWinner, risk_limit: float) -> Confirms[Pair]:
    """Return the IRV comparison audit of the case's assertions over cards in draw order."""
    result = case.assertions()
    ballots = case.cvr_ballots()

    def confirms(order: Sequence[Pair]) -> bool:
        cvrs = [cvr for cvr, _ in order]
        papers = [paper for _, paper in order]
        return comparison_risk(result, ballots, cvrs, papers, risk_limit=risk_limit).confirmed

    return confirms


def polling_confirms(case: WrongIrvWinner, risk_limit: float) -> Confirms[CardRanking]:
    """Return the IRV ballot-polling audit (ALPHA) of the case's assertions."""
    result = case.assertions("polling")
    ballots = case.cvr_ballots()

    def confirms(order: Sequence[CardRanking]) -> bool:
        return polling_risk(result, ballots, order, risk_limit=risk_limit).confirmed

    return confirms


def cases(big: int) -> list[WrongIrvWinner]:
    """The cases, scaled to about ``big`` cards: one wrong CVR, a few, and missing CVRs."""
    c = max(big * 3 // 10, 10)
    a = c + max(big // 15, 3)
    return [
        WrongIrvWinner(a_votes=a, c_votes=c, flipped=1),
        WrongIrvWinner(a_votes=a, c_votes=c, flipped=max(2, big // 200)),
        WrongIrvWinner(a_votes=a, c_votes=c, flipped=max(2, big // 200), missing=2),
    ]


def irv_rows(alpha: float, big: int, trials: int, smoke: bool) -> list[Callable[[], TypeOneError]]:
    """Rows for ``bench/bench_audit_validity.py``: each case by comparison and by polling."""
    rows: list[Callable[[], TypeOneError]] = []
    for seed, case in enumerate(cases(big), start=900):
        check_case(case)
        pairs = case.pairs()
        rows.append(
            partial(
                simulated_type_one,
                case.label(),
                "IRV comparison (RAIRE + CLCA)",
                alpha,
                pairs,
                comparison_confirms(case, alpha),
                trials=trials,
                seed=seed,
            )
        )
        rows.append(
            partial(
                simulated_type_one,
                case.label(),
                "IRV polling (RAIRE + ALPHA)",
                alpha,
                [paper for _, paper in pairs],
                polling_confirms(case, alpha),
                trials=trials,
                seed=seed + 50,
            )
        )
    return rows
