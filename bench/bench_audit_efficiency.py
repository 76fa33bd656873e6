"""Efficiency of papertally's audits next to BRAVO and the statistical limits (issue 3 acceptance).

Two-candidate contests of 1,000,000 ballots, margins 20% … 0.5%, risk limits 5% and 10%:

(a) ballot polling (ALPHA), the reported margin true;
(b) ballot polling, the true margin half the reported one;
(c) card-level comparison, no errors;
(d) card-level comparison, one-vote overstatements at 1 in 1,000 cards and two-vote ones at
    1 in 10,000.

Mean and 90th percentile of the simulated sample sizes (draws without replacement; a full hand
count counts as 1,000,000). BRAVO is simulated on the same contests (with replacement, its design);
"limit" is ln(1/α)/KL(true shares ‖ tie) for polling and ln(1/α)/ln(2/(2 − margin)) for comparison.
It first prints the validity check (how often a wrong outcome is confirmed). Run:
``.venv/bin/python bench/bench_audit_efficiency.py [--quick]``.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from papertally.audit.assertions import AssorterPopulation, plurality_assertions
from papertally.audit.polling import (
    alpha_settings,
    limit_sample_size,
    simulate_stopping,
)
from papertally.audit.simulate import comparison_module, simulate_comparison

BALLOTS = 1_000_000
MARGINS = (0.20, 0.10, 0.05, 0.02, 0.01, 0.005)
RISK_LIMITS = (0.10, 0.05)


def trials_for(margin: float, quick: bool) -> int:
    """Fewer trials where each audit is long, so the whole table runs in minutes."""
    base = 2000 if margin >= 0.05 else 600 if margin >= 0.02 else 250 if margin >= 0.01 else 120
    return max(50, base // 4) if quick else base


def two_candidates(winner_share: float) -> AssorterPopulation:
    """The cards of a two-candidate contest with the given winner share."""
    w = round(BALLOTS * winner_share)
    return AssorterPopulation((1.0, 0.0, 0.5), (w, BALLOTS - w, 0))


def summary(sizes: np.ndarray) -> tuple[float, int]:
    """Mean and 90th percentile."""
    return float(sizes.mean()), int(np.quantile(sizes, 0.9, method="higher"))


def polling_rows(quick: bool) -> None:
    """Print the polling part of the table: (a) and (b) with BRAVO and the limits."""
    header = (
        f"{'margin':>7} {'α':>5} | {'(a) ALPHA mean/p90':>19} {'BRAVO mean/p90':>16} "
        f"{'limit':>8} {'a/lim':>6} | {'(b) ALPHA mean/p90':>19} {'BRAVO mean/p90':>18} "
        f"{'limit':>8}"
    )
    print(header)
    print("-" * len(header))
    for margin in MARGINS:
        for alpha in RISK_LIMITS:
            trials = trials_for(margin, quick)
            share = (1 + margin) / 2
            reported = two_candidates(share)
            (assertion,) = plurality_assertions({"A": reported.counts[0], "B": reported.counts[1]})
            settings = alpha_settings(assertion, alpha)
            half = two_candidates((1 + margin / 2) / 2)
            a = summary(
                simulate_stopping(reported, alpha, settings=settings, trials=trials, seed=1)
            )
            bravo_a = summary(
                simulate_stopping(
                    reported, alpha, winner_share=share, trials=trials, seed=2,
                    with_replacement=True, max_draws=BALLOTS,
                )
            )  # fmt: skip
            b = summary(simulate_stopping(half, alpha, settings=settings, trials=trials, seed=3))
            bravo_b = summary(
                simulate_stopping(
                    half, alpha, winner_share=share, trials=max(40, trials // 10), seed=4,
                    with_replacement=True, max_draws=BALLOTS,
                )
            )  # fmt: skip
            lim_a = limit_sample_size(reported, alpha)
            lim_b = limit_sample_size(half, alpha)
            print(
                f"{margin:>7.1%} {alpha:>5.0%} | {a[0]:>10.0f}/{a[1]:<8d} "
                f"{bravo_a[0]:>8.0f}/{bravo_a[1]:<7d} {lim_a:>8.0f} {a[0] / lim_a:>6.3f} | "
                f"{b[0]:>10.0f}/{b[1]:<8d} {bravo_b[0]:>9.0f}/{bravo_b[1]:<8d} {lim_b:>8.0f}",
                flush=True,
            )


def comparison_rows() -> None:
    """Print the comparison part of the table: (c) and (d) with the no-error limit."""
    try:
        comparison = comparison_module()
    except Exception as error:  # the comparison helper's module has not landed
        print(f"comparison: not available ({error})")
        return
    header = (
        f"{'margin':>7} {'α':>5} | {'(c) no errors mean/p90':>23} {'limit':>8} {'c/lim':>6} | "
        f"{'(d) o1 1e-3, o2 1e-4 mean/p90':>30} {'d/c':>5}"
    )
    print(header)
    print("-" * len(header))
    for margin in MARGINS:
        for alpha in RISK_LIMITS:
            c = simulate_comparison(margin, alpha, population=BALLOTS)
            d = simulate_comparison(
                margin, alpha, population=BALLOTS, error_rates={"o1": 1e-3, "o2": 1e-4}
            )
            limit = comparison.clca_limit_sample_size(margin, risk_limit=alpha)
            print(
                f"{margin:>7.1%} {alpha:>5.0%} | {c.mean:>14.0f}/{c.p90:<8d} {limit:>8.0f} "
                f"{c.mean / limit:>6.3f} | {d.mean:>21.0f}/{d.p90:<8d} {d.mean / c.mean:>5.2f}",
                flush=True,
            )


def validity_rows(quick: bool) -> None:
    """Print how often ALPHA wrongly confirms a 10%-margin report when the truth is a tie or loss.

    The larger version of tests/unit/test_audit_validity_polling.py: the share must stay at or
    below α (up to binomial noise; "3 s.e." is α plus three standard errors).
    """
    trials = 2000 if quick else 10_000
    print(f"{'cards':>8} {'true share':>10} {'α':>5} {'draws':>8} {'stopped':>8} {'3 s.e.':>7}")
    for population in (500, 5_000):
        reported_w = round(population * 0.55)
        (assertion,) = plurality_assertions({"A": reported_w, "B": population - reported_w})
        for share in (0.5, 0.49):
            true_w = round(population * share)
            truth = AssorterPopulation((1.0, 0.0, 0.5), (true_w, population - true_w, 0))
            for alpha in RISK_LIMITS:
                for with_replacement in (False, True):
                    limit = population
                    sizes = simulate_stopping(
                        truth, alpha, settings=alpha_settings(assertion, alpha), trials=trials,
                        seed=7, with_replacement=with_replacement, max_draws=limit,
                    )  # fmt: skip
                    rate = float((sizes < limit).mean())
                    bound = alpha + 3 * math.sqrt(alpha * (1 - alpha) / trials)
                    print(
                        f"{population:>8,} {share:>10.2f} {alpha:>5.0%} "
                        f"{'with' if with_replacement else 'w/o':>8} {rate:>8.4f} {bound:>7.4f}"
                        + ("" if rate <= bound else "  EXCEEDS"),
                        flush=True,
                    )


def main() -> None:
    """Print the tables and the time they took."""
    quick = "--quick" in sys.argv
    started = time.perf_counter()
    print("Validity: reported margin 10%, the truth a tie or a loss; share of audits that stopped")
    validity_rows(quick)
    print()
    print(f"Ballot polling, {BALLOTS:,} ballots, without replacement (BRAVO: with replacement)")
    polling_rows(quick)
    print()
    print(f"Card-level comparison, {BALLOTS:,} ballots")
    comparison_rows()
    print(
        f"\n({time.perf_counter() - started:.0f} s; limits: polling ln(1/α)/KL, comparison "
        f"ln(1/α)/ln(2/(2 − margin)); e.g. {math.log(10) / math.log(2 / 1.99):.0f} at 1%, α=10%)"
    )


if __name__ == "__main__":
    main()
