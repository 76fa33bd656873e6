"""Efficiency of papertally's audits next to the statistical limits, Kaplan-Markov and peers.

Issue 9 targets (α = 5%, N = 1,000,000 cards, margins 20% … 0.5%):

(a) card-level comparison (CLCA), no errors: sample size / the floor ``ln(1/α)/ln(2/(2 − v))``
    at most 1.005 (whole cards: also shown against the floor rounded up);
(b) CLCA with one-vote overstatements in 1 of 1,000 cards and two-vote ones in 1 of 10,000:
    mean size paired with Kaplan-Markov (γ = 1.03905) on the same draws (difference ± standard
    error; target ≤ 0) and over the oracle, the best fixed bet knowing the true rates (≤ 1.05);
(c) ballot polling (ALPHA), the reported result true: mean / ``ln(1/α)/KL`` (≤ 1.02), and
    over the oracle test (BRAVO's SPRT at the true shares, same draws);
(d) polling, the true margin half the reported one: mean / the oracle test for the true margin
    (BRAVO's SPRT at the true shares, same draws without replacement; ≤ 1.3);
(e) hybrid plans (100,000 cards): how many audits simulated at each plan stop (planned 90%).

Published figures beside them (docs/audit-api.md): the floor is 598 cards at a 1% margin and
α = 5%; SHANGRLA's CLCA 599, rlauxe's 618; Arlo's super-simple initial size 536 at 1% with
α = 10%. Run ``.venv/bin/python bench/bench_audit_efficiency.py [--quick] [--smoke]``
(``--smoke``: tiny sizes, a few seconds, figures not judged).
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from papertally.audit.assertions import AssorterPopulation, plurality_assertions
from papertally.audit.comparison import (
    clca_limit_sample_size,
    clca_martingale,
    clca_sample_size,
    noerror_value,
    null_mean,
)
from papertally.audit.hybrid import hybrid_risk, hybrid_sample_size
from papertally.audit.kaplan_markov import (
    SUPER_SIMPLE_RATES,
    kaplan_markov_bet,
    kaplan_markov_sample_size,
)
from papertally.audit.martingale import null_means
from papertally.audit.polling import alpha_settings, limit_sample_size, simulate_stopping

MARGINS = (0.20, 0.10, 0.05, 0.02, 0.01, 0.005)
ALPHA = 0.05
O1, O2 = 1e-3, 1e-4
HYBRID_CASES = (
    (0.8, 0.05, 0.20),
    (0.8, 0.05, 0.10),
    (0.8, 0.05, 0.05),
    (0.8, 0.05, 0.02),
    (0.5, 0.10, 0.10),
    (0.5, 0.10, 0.05),
    (0.5, 0.10, 0.02),
)
"""(share of cards with CVRs, α, margin) of the hybrid plans checked by simulated audits."""
PUBLISHED = (
    ("floor ln(1/α)/ln(2/(2−v)), 1%, α 5%", 598),
    ("SHANGRLA CLCA, 1%, α 5%", 599),
    ("rlauxe CLCA, 1%, α 5%", 618),
    ("Arlo super-simple initial size, 1%, α 10%", 536),
)


def first_crossing(log_t: NDArray[np.float64], threshold: float) -> NDArray[np.int64]:
    """Return, per row, the 1-based draw at which ``log_t`` first reaches ``threshold``."""
    hit = log_t >= threshold
    return np.where(hit.any(axis=1), hit.argmax(axis=1) + 1, log_t.shape[1] + 1).astype(np.int64)


def oracle_bet(clean: float) -> float:
    """The fixed bet that maximises ``E log(1 + λ(X − ½))`` at the true rates (grid search)."""
    values = clean * np.array([1.0, 0.5, 0.0])
    chances = np.array([1.0 - O1 - O2, O1, O2])
    grid = np.linspace(0.0, 2.0 * (1.0 - 1e-6), 200_001)
    growth = np.log1p(grid[:, None] * (values[None, :] - 0.5)) @ chances
    return float(grid[int(np.argmax(growth))])


def comparison_with_errors(margin: float, trials: int, seed: int) -> tuple[float, ...]:
    """Return (ours mean, KM mean, paired difference, its s.e., oracle mean) on shared draws."""
    clean = noerror_value(margin)
    floor = clca_limit_sample_size(margin, risk_limit=ALPHA)
    horizon = int(8 * floor) + 200
    rng = np.random.default_rng(seed)
    u = rng.random((trials, horizon))
    kappa = np.where(u < O1, 0.5, np.where(u < O1 + O2, 1.0, 0.0))
    x = (1.0 - kappa) * clean
    threshold = math.log(1.0 / ALPHA)
    ours = np.empty(trials, dtype=np.int64)
    for r in range(trials):
        with np.errstate(divide="ignore"):
            path = np.log(clca_martingale(x[r], margin=margin, population=1_000_000))
        ours[r] = first_crossing(path[None, :], threshold)[0]
    mu0 = null_mean(1_000_000)
    mu = np.vstack([null_means(row, population=1_000_000, mu0=mu0) for row in x])
    fixed: dict[str, NDArray[np.int64]] = {}
    for name, bet in (("km", kaplan_markov_bet(margin)), ("oracle", oracle_bet(clean))):
        bets = np.minimum(bet, 1.0 / mu)
        fixed[name] = first_crossing(np.cumsum(np.log1p(bets * (x - mu)), axis=1), threshold)
    difference = (ours - fixed["km"]).astype(np.float64)
    return (
        float(ours.mean()),
        float(fixed["km"].mean()),
        float(difference.mean()),
        float(difference.std(ddof=1) / math.sqrt(trials)),
        float(fixed["oracle"].mean()),
    )


def comparison_rows(trials: int, margins: tuple[float, ...]) -> None:
    """Print (a) and (b)."""
    print(f"Card-level comparison, N = 1,000,000, α = {ALPHA:.0%}")
    header = (
        f"{'margin':>7} {'floor':>7} | {'(a) size':>8} {'/floor':>7} {'/⌈floor⌉':>8} | "
        f"{'(b) ours':>8} {'KM':>7} {'ours−KM':>14} {'oracle':>7} {'/oracle':>7} {'/floor':>7}"
    )
    print(header)
    print("-" * len(header))
    for margin in margins:
        floor = clca_limit_sample_size(margin, risk_limit=ALPHA)
        size = clca_sample_size(margin, risk_limit=ALPHA, population=1_000_000)
        ours, km, diff, se, oracle = comparison_with_errors(
            margin, trials, seed=round(1e4 * margin)
        )
        print(
            f"{margin:>7.1%} {floor:>7.1f} | {size:>8d} {size / floor:>7.4f} "
            f"{size / math.ceil(floor):>8.4f} | {ours:>8.1f} {km:>7.1f} "
            f"{diff:>+7.1f} ± {se:<4.1f} {oracle:>7.1f} {ours / oracle:>7.3f} {ours / floor:>7.3f}",
            flush=True,
        )
    print(
        f"  trials per margin: {trials}; KM planning size (super-simple rates), 1%, α 10%: "
        f"{kaplan_markov_sample_size(0.01, risk_limit=0.1, error_rates=SUPER_SIMPLE_RATES)}"
    )


def two_candidates(cards: int, winner_share: float) -> AssorterPopulation:
    """The cards of a two-candidate contest with the given winner share."""
    w = round(cards * winner_share)
    return AssorterPopulation((1.0, 0.0, 0.5), (w, cards - w, 0))


def polling_rows(cards: int, trials: int, margins: tuple[float, ...]) -> None:
    """Print (c) and (d)."""
    print(f"Ballot polling (ALPHA), N = {cards:,}, α = {ALPHA:.0%}, without replacement")
    header = (
        f"{'margin':>7} | {'(c) mean':>9} {'KL bound':>9} {'/bound':>7} {'oracle':>9} "
        f"{'/oracle':>8} | "
        f"{'(d) mean':>9} {'oracle':>9} {'/oracle':>8}"
    )
    print(header)
    print("-" * len(header))
    for margin in margins:
        reported = two_candidates(cards, (1 + margin) / 2)
        (assertion,) = plurality_assertions({"A": reported.counts[0], "B": reported.counts[1]})
        settings = alpha_settings(assertion, ALPHA)
        used = 5 * trials if margin >= 0.05 else trials if margin >= 0.02 else max(20, trials // 4)
        c = simulate_stopping(reported, ALPHA, settings=settings, trials=used, seed=1)
        bound = limit_sample_size(reported, ALPHA)
        c_oracle = simulate_stopping(
            reported, ALPHA, winner_share=(1 + margin) / 2, trials=used, seed=1
        )
        half_share = (1 + margin / 2) / 2
        half = two_candidates(cards, half_share)
        d = simulate_stopping(half, ALPHA, settings=settings, trials=used, seed=3)
        oracle = simulate_stopping(half, ALPHA, winner_share=half_share, trials=used, seed=3)
        print(
            f"{margin:>7.1%} | {c.mean():>9.0f} {bound:>9.0f} {c.mean() / bound:>7.3f} "
            f"{c_oracle.mean():>9.0f} {c.mean() / c_oracle.mean():>8.3f} | "
            f"{d.mean():>9.0f} {oracle.mean():>9.0f} {d.mean() / oracle.mean():>8.3f}",
            flush=True,
        )


def hybrid_rows(cards: int, audits: int, cases: tuple[tuple[float, float, float], ...]) -> None:
    """Print hybrid plans and how many audits simulated at each plan stop (planned: 90%)."""
    print(f"Hybrid plans, {cards:,} cards; audits simulated at each plan (CVRs right, polled")
    print("cards drawn without replacement from the reported votes)")
    rng = np.random.default_rng(5)
    for share_cvr, alpha, margin in cases:
        n1 = int(share_cvr * cards)
        n2 = cards - n1
        w1, w2 = round(n1 * (1 + margin) / 2), round(n2 * (1 + margin) / 2)
        strata: dict[str, Any] = {
            "votes_cvr_stratum": {"A": w1, "B": n1 - w1},
            "votes_no_cvr_stratum": {"A": w2, "B": n2 - w2},
            "cards_cvr": n1,
            "cards_no_cvr": n2,
            "winner": "A",
            "loser": "B",
        }
        plan = hybrid_sample_size(**strata, risk_limit=alpha)
        pool = np.array(["A"] * w2 + ["B"] * (n2 - w2))
        stopped = 0
        for _ in range(audits):
            polled = [str(c) for c in rng.choice(pool, size=plan.polling, replace=False)]
            risk = hybrid_risk(["0"] * plan.comparison, polled, **strata, risk_limit=alpha)
            stopped += risk.stop
        print(
            f"  {share_cvr:.0%} with CVRs, α {alpha:.0%}, margin {margin:.0%}: "
            f"{plan.comparison} + {plan.polling} = {plan.total} cards; "
            f"{stopped} of {audits} stopped"
        )


def main() -> None:
    """Print the tables, the published figures and the time they took."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer trials")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check that it runs")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.smoke:
        comparison_rows(5, (0.2,))
        polling_rows(10_000, 5, (0.2,))
        hybrid_rows(10_000, 2, ((0.8, 0.05, 0.2),))
    else:
        comparison_rows(300 if args.quick else 1500, MARGINS)
        print()
        polling_rows(1_000_000, 100 if args.quick else 400, MARGINS)
        print()
        hybrid_rows(100_000, 20 if args.quick else 60, HYBRID_CASES)
    print("\nPublished figures (docs/audit-api.md):")
    for label, figure in PUBLISHED:
        print(f"  {label:<45} {figure:>5}")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
