"""OneAudit's promise, checked: how often it confirms a wrong outcome (issue 15).

The adversarial cases of :mod:`papertally.audit.validity` for OneAudit (Stark 2023, ONEAudit):
the cards' paper shows a tie or a loss, but the reported CVRs and pool tallies say the reported
winner won. The errors sit where OneAudit cannot see them card by card:

* pools whose tallies are wrong, the error spread over every pool or all in one pool, as
  one-vote (winner → blank) or two-vote (winner → loser) changes; a loser seated by one vote;
* the largest error a pooled card can carry: a pool reported all for the winner that is all for
  the loser (``B = 0`` for each of its cards);
* errors in CVRs and pools at once, with phantoms;
* a pool with no tally (ONE CVR ``u/2``), a ranked pool whose ranking distribution is unknown
  (an IRV NEB assertion, RAIRE; Blom, Stuckey & Teague 2019), and one whose reported rankings
  are wrong (an NEN assertion), scored by :class:`~papertally.audit.oneaudit.IrvAssorter`;
* a supermajority whose true share is exactly ``f``, the error in the pools;
* vote for 2, pools that hide a tie among cards marked for both, overvotes and blanks.

In each case the paper's assorter mean is exactly ½ (or below it), the least favourable point
of the null. A trial draws every card in a random order and counts as a stop when the risk ever
falls to ``α``; the rate must stay within ``α + 3·SE``. ``bench/bench_audit_validity.py``
prints these rows with the others; the tests run small ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from papertally.audit.assertions import NO_VOTE, PHANTOM, CardReading
from papertally.audit.irv.raire import IrvAssertion
from papertally.audit.oneaudit import (
    Assorter,
    IrvAssorter,
    OneAuditContest,
    OneAuditDraw,
    PairAssorter,
    Pool,
    SupermajorityAssorter,
    draw_values,
    one_prior,
    oneaudit_contest,
    oneaudit_risk,
)
from papertally.audit.validity import TypeOneError, exact_type_one, simulated_type_one

Row = Callable[[], TypeOneError]


@dataclass(frozen=True)
class PooledElection:
    """A contest's reported CVRs and pools, and what every card's paper really shows."""

    assorter: Assorter
    cvrs: tuple[CardReading, ...]
    """The linked cards' CVRs."""
    cvr_papers: tuple[CardReading, ...]
    """What each linked card's paper shows (same order as ``cvrs``)."""
    pools: tuple[Pool, ...]
    pool_papers: tuple[tuple[CardReading, ...], ...]
    """What each pool's cards show."""
    phantoms: int = 0

    def contest(self) -> OneAuditContest:
        """Return the OneAudit built from the reports (not from the paper)."""
        return oneaudit_contest(self.assorter, self.cvrs, self.pools, phantoms=self.phantoms)

    def true_values(self) -> list[float]:
        """Return ``B`` of every card (linked, pooled, phantom) against its real paper."""
        draws = [
            OneAuditDraw(None, cvr, paper)
            for cvr, paper in zip(self.cvrs, self.cvr_papers, strict=True)
        ]
        for pool, papers in zip(self.pools, self.pool_papers, strict=True):
            draws += [OneAuditDraw(pool.name, None, paper) for paper in papers]
        draws += [OneAuditDraw(None, PHANTOM, PHANTOM)] * self.phantoms
        return [round(float(b), 12) for b in draw_values(self.contest(), draws)]

    def paper_mean(self) -> float:
        """The paper's assorter mean over all cards (≤ ½: the reported outcome is wrong)."""
        papers = [*self.cvr_papers, *(p for pool in self.pool_papers for p in pool)]
        total = sum(self.assorter.score(p) for p in papers)
        return total / (len(papers) + self.phantoms)


def oneaudit_confirms(
    contest: OneAuditContest, risk_limit: float
) -> Callable[[Sequence[float]], bool]:
    """Return whether a OneAudit drawing the cards' ``B`` values in this order ever confirms."""
    prior = one_prior(contest)

    def confirms(order: Sequence[float]) -> bool:
        values = np.asarray(order, dtype=np.float64)
        return oneaudit_risk(values, contest, risk_limit=risk_limit, prior=prior).stop

    return confirms


def _cards(**counts: int) -> tuple[CardReading, ...]:
    """Vote-for-1 readings: ``_cards(W=5, L=5, blank=2)``."""
    out: list[CardReading] = []
    for name, count in counts.items():
        out += [NO_VOTE if name == "blank" else name] * count
    return tuple(out)


def pooled_cases(big: int) -> list[tuple[str, PooledElection]]:
    """Return the adversarial elections of about ``big`` cards (see the module notes)."""
    pair = PairAssorter("W", "L")
    s = max(1, big // 1000)
    cases: list[tuple[str, PooledElection]] = []
    # 400s linked cards right (W 200s, L 200s); 6 pools of 100s reported 65/35 for W.
    linked = _cards(W=200 * s, L=200 * s)
    pools = tuple(Pool(f"p{i}", 100 * s, {"W": 65 * s, "L": 35 * s}) for i in range(6))
    spread = tuple(_cards(W=50 * s, L=50 * s) for _ in pools)
    cases.append(
        (
            f"pools 65/35 really 50/50 (two-vote errors), N={1000 * s:,}",
            PooledElection(pair, linked, linked, pools, spread),
        )
    )
    one_vote = tuple(_cards(W=35 * s, L=35 * s, blank=30 * s) for _ in pools)
    cases.append(
        (
            f"pools 65/35 really 35/35 + 30 blank (one-vote), N={1000 * s:,}",
            PooledElection(pair, linked, linked, pools, one_vote),
        )
    )
    # All the error in one pool: it is reported 100% W and really 100% L (B = 0 for each card).
    lopsided = (
        Pool("all-W", 100 * s, {"W": 100 * s}),
        Pool("rest", 500 * s, {"W": 250 * s, "L": 250 * s}),
    )
    cases.append(
        (
            f"one pool reported 100% W is 100% L (B = 0), N={1000 * s:,}",
            PooledElection(
                pair,
                _cards(W=200 * s, L=200 * s),
                _cards(W=200 * s, L=200 * s),
                lopsided,
                (_cards(L=100 * s), _cards(W=300 * s, L=200 * s)),
            ),
        )
    )
    seated = (
        *tuple(_cards(W=50 * s, L=50 * s) for _ in pools[:-1]),
        _cards(W=50 * s - 1, L=50 * s, blank=1),
    )
    cases.append(
        (
            f"loser seated by 1 vote, errors in pools, N={1000 * s:,}",
            PooledElection(pair, linked, linked, pools, seated),
        )
    )
    # CVR errors and pool errors at once, with phantoms.
    cvr_reported = _cards(W=240 * s, L=160 * s)
    cvr_paper = _cards(W=190 * s, L=200 * s, blank=10 * s)
    mixed_pools = tuple(Pool(f"m{i}", 100 * s, {"W": 55 * s, "L": 45 * s}) for i in range(5))
    phantoms = 10 * s
    # W on paper 190 + 4·41 + 96 = 450 = L 200 + 4·59 + 4 + the phantoms (taken as L) 10
    mixed_papers = (*tuple(_cards(W=41 * s, L=59 * s) for _ in range(4)), _cards(W=96 * s, L=4 * s))
    cases.append(
        (
            f"CVR and pool errors, {phantoms} phantoms, N={900 * s + phantoms:,}",
            PooledElection(
                pair, cvr_reported, cvr_paper, mixed_pools, mixed_papers, phantoms=phantoms
            ),
        )
    )
    # A pool with no tally: ONE CVR ½ for each card.
    unknown = (Pool("no tally", 300 * s), Pool("tallied", 300 * s, {"W": 200 * s, "L": 100 * s}))
    cases.append(
        (
            f"pool without a tally (ONE CVR ½), N={1000 * s:,}",
            PooledElection(
                pair,
                _cards(W=220 * s, L=180 * s),
                _cards(W=220 * s, L=180 * s),
                unknown,
                (_cards(W=130 * s, L=170 * s), _cards(W=150 * s, L=150 * s)),
            ),
        )
    )
    # A ranked pool without its ranking distribution (IRV NEB assorter), true tie.
    neb = IrvAssorter(IrvAssertion("NEB", 0, 1), ("A", "B", "C"))
    ranked_cvrs: tuple[CardReading, ...] = (
        *[("A", "B")] * (250 * s),
        *[("B", "A")] * (150 * s),
    )
    ranked_pools = (
        Pool("ranked, no rankings", 300 * s),
        Pool("ranked", 300 * s, rankings={("A", "C"): 200 * s, ("B",): 100 * s}),
    )
    ranked_papers = (
        (*[("A",)] * (50 * s), *[("C", "A")] * (200 * s), *[("B",)] * (50 * s)),
        (*[("A", "C")] * (100 * s), *[("C", "B")] * (200 * s)),
    )
    cases.append(
        (
            f"IRV NEB, ranked pool without rankings, tie, N={1000 * s:,}",
            PooledElection(neb, ranked_cvrs, ranked_cvrs, ranked_pools, ranked_papers),
        )
    )
    # IRV NEN(A beats B | A, B continue): a ranked pool whose reported rankings favour A is tied.
    nen = IrvAssorter(IrvAssertion("NEN", 0, 1, frozenset({0, 1})), ("A", "B", "C"))
    nen_cvrs: tuple[CardReading, ...] = (*[("A",)] * (200 * s), *[("B",)] * (200 * s))
    nen_pool = Pool("ranked", 600 * s, rankings={("C", "A"): 400 * s, ("B",): 200 * s})
    nen_paper = (*[("C", "A")] * (300 * s), *[("C", "B")] * (300 * s))
    cases.append(
        (
            f"IRV NEN, ranked pool's rankings wrong, tie, N={1000 * s:,}",
            PooledElection(nen, nen_cvrs, nen_cvrs, (nen_pool,), (nen_paper,)),
        )
    )
    # Supermajority 60%: the pools report Yes 80/20, the valid votes are Yes exactly 60%.
    sup = SupermajorityAssorter("Yes", 0.6)
    sup_cvrs = _cards(Yes=240 * s, No=160 * s)
    sup_pools = tuple(Pool(f"s{i}", 100 * s, {"Yes": 80 * s, "No": 20 * s}) for i in range(6))
    sup_papers = tuple(_cards(Yes=60 * s, No=40 * s) for _ in sup_pools)
    cases.append(
        (
            f"supermajority 60%, pools 80/20 really 60/40, N={1000 * s:,}",
            PooledElection(sup, sup_cvrs, sup_cvrs, sup_pools, sup_papers),
        )
    )
    # Vote for 2: pools report W 140, L 60 of 200 cards; the paper ties W and L, with cards
    # marked for both, overvotes (3 marks) and blanks, all ½.
    two = PairAssorter("W", "L", votes_allowed=2)
    two_linked: tuple[CardReading, ...] = (*[("W", "X")] * (200 * s), *[("L", "X")] * (200 * s))
    two_pools = tuple(
        Pool(f"v{i}", 200 * s, {"W": 140 * s, "L": 60 * s, "X": 150 * s}) for i in range(3)
    )
    two_paper: tuple[CardReading, ...] = (
        *[("W", "L")] * (50 * s),
        *[("W", "X")] * (50 * s),
        *[("L", "X")] * (50 * s),
        *[("W", "L", "X")] * (30 * s),
        *[NO_VOTE] * (20 * s),
    )
    cases.append(
        (
            f"vote for 2, pools W 140 L 60 really tied, overvotes, N={1000 * s:,}",
            PooledElection(two, two_linked, two_linked, two_pools, (two_paper,) * 3),
        )
    )
    return cases


def exact_case() -> tuple[str, PooledElection]:
    """A tiny election for exact enumeration: 2 linked cards, 2 pools of 3, a true tie."""
    pools = (Pool("a", 3, {"W": 3}), Pool("b", 3, {"W": 1, "L": 1}))
    return (
        "tie 4-4: a pool of 3 reported all W is 1 W 2 L, N=8",
        PooledElection(
            PairAssorter("W", "L"),
            _cards(W=1, L=1),
            _cards(W=1, L=1),
            pools,
            (_cards(W=1, L=2), _cards(W=2, L=1)),
        ),
    )


def oneaudit_rows(alpha: float, big: int, trials: int, smoke: bool) -> list[Row]:
    """Rows for ``bench/bench_audit_validity.py``: every case above, exact and simulated."""
    rows: list[Row] = []
    label, tiny = exact_case()
    rows.append(
        partial(
            exact_type_one,
            label,
            "OneAudit (exact)",
            alpha,
            tiny.true_values(),
            oneaudit_confirms(tiny.contest(), alpha),
        )
    )
    for number, (case, election) in enumerate(pooled_cases(100 if smoke else big)):
        rows.append(
            partial(
                simulated_type_one,
                case,
                "OneAudit",
                alpha,
                election.true_values(),
                oneaudit_confirms(election.contest(), alpha),
                trials=trials,
                seed=1500 + 10 * number + int(100 * alpha),
            )
        )
    return rows
