"""Speed of the audit statistics against issue 9's targets (N = 1,000,000 cards unless stated).

* every sample-size call ≤ 10 ms: ALPHA and BRAVO (polling), CLCA with and without expected
  errors, Kaplan-Markov, hybrid (80% of the cards with CVRs), margins 20% … 0.5% (hybrid 20% …
  2%), α = 5% and 10%;
* every risk measurement over 100,000 draws ≤ 20 ms: ALPHA, BRAVO, CLCA, Kaplan-Markov;
* a hybrid risk measurement ≤ 100 ms, on the sample its own plan asks for.

Each figure is the best wall time of three runs after a warm-up, on whatever else the machine is
doing (compare figures from one run). Run ``.venv/bin/python bench/bench_audit_speed.py``
(``--smoke``: tiny sizes, a few seconds, figures not judged).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from papertally.audit.assertions import plurality_assertions
from papertally.audit.comparison import ErrorRates, clca_risk, clca_sample_size
from papertally.audit.hybrid import hybrid_risk, hybrid_sample_size
from papertally.audit.kaplan_markov import kaplan_markov_risk, kaplan_markov_sample_size
from papertally.audit.polling import (
    alpha_risk,
    alpha_sample_size,
    alpha_settings,
    bravo_risk,
    bravo_sample_size,
)

MARGINS = (0.20, 0.10, 0.05, 0.02, 0.01, 0.005)
HYBRID_MARGINS = (0.20, 0.10, 0.05, 0.02)
RISK_LIMITS = (0.10, 0.05)
SIZE_TARGET_MS = 10.0
RISK_TARGET_MS = 20.0
HYBRID_RISK_TARGET_MS = 100.0
RATES = ErrorRates(o1=1e-3, o2=1e-4)


def best_ms(action: Callable[[], object], repeats: int = 3) -> float:
    """Best wall time of ``repeats`` runs after one warm-up, in milliseconds."""
    action()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000.0)
    return min(times)


def verdict(ms: float, target: float) -> str:
    """``ok`` or how far over the target."""
    return "ok" if ms <= target else f"{ms / target:.1f}× target"


def hybrid_strata(cards: int, margin: float) -> dict[str, object]:
    """A contest with 80% of its cards in the CVR stratum, the same margin in both strata."""
    n1 = int(0.8 * cards)
    n2 = cards - n1
    w1, w2 = round(n1 * (1 + margin) / 2), round(n2 * (1 + margin) / 2)
    return {
        "votes_cvr_stratum": {"A": w1, "B": n1 - w1},
        "votes_no_cvr_stratum": {"A": w2, "B": n2 - w2},
        "cards_cvr": n1,
        "cards_no_cvr": n2,
        "winner": "A",
        "loser": "B",
    }


def sample_sizes(cards: int, margins: tuple[float, ...], hybrid_margins: tuple[float, ...]) -> None:
    """Time every sample-size computation; print the slowest case per method."""
    worst: dict[str, tuple[float, str]] = {}
    for margin in margins:
        w = round(cards * (1 + margin) / 2)
        (assertion,) = plurality_assertions({"A": w, "B": cards - w})
        p_w = w / cards
        for alpha in RISK_LIMITS:
            cases: dict[str, Callable[[], object]] = {
                "ALPHA": lambda a=assertion, r=alpha: alpha_sample_size(a, r, 0.9),
                "BRAVO": lambda r=alpha, p=p_w: bravo_sample_size(p, 1 - p, r, 0.9, max_size=cards),
                "CLCA, no errors": lambda m=margin, r=alpha: clca_sample_size(
                    m, risk_limit=r, population=cards
                ),
                "CLCA, o1 1e-3 o2 1e-4": lambda m=margin, r=alpha: clca_sample_size(
                    m, risk_limit=r, population=cards, error_rates=RATES
                ),
                "Kaplan-Markov": lambda m=margin, r=alpha: kaplan_markov_sample_size(
                    m, risk_limit=r, error_rates=RATES
                ),
            }
            if margin in hybrid_margins:
                strata = hybrid_strata(cards, margin)
                cases["hybrid (80% CVR)"] = lambda s=strata, r=alpha: hybrid_sample_size(
                    **s,  # type: ignore[arg-type]
                    risk_limit=r,
                )
            for name, action in cases.items():
                ms = best_ms(action)
                if ms > worst.get(name, (-1.0, ""))[0]:
                    worst[name] = (ms, f"margin {margin:.1%}, α {alpha:.0%}")
    print(f"Sample sizes, N = {cards:,} (slowest case per method; target ≤ {SIZE_TARGET_MS:g} ms)")
    for name, (ms, label) in worst.items():
        print(f"  {name:<24} {ms:9.1f} ms  {verdict(ms, SIZE_TARGET_MS):<14} ({label})")


def risk_measurements(cards: int, draws: int) -> None:
    """Time risk measurements over ``draws`` sampled cards."""
    rng = np.random.default_rng(1)
    print(f"Risk over {draws:,} draws, N = {cards:,} (target ≤ {RISK_TARGET_MS:g} ms)")
    margin = 0.005
    w = round(cards * (1 + margin) / 2)
    (assertion,) = plurality_assertions({"A": w, "B": cards - w})
    settings = alpha_settings(assertion, 0.05)
    x = (rng.random(draws) < w / cards).astype(np.float64)
    codes = [str(c) for c in rng.choice(["0", "o1", "u1"], size=draws, p=[0.998, 0.001, 0.001])]
    cases: dict[str, Callable[[], object]] = {
        "ALPHA": lambda: alpha_risk(x, settings, population=cards, risk_limit=0.05),
        "BRAVO": lambda: bravo_risk(x, w / cards, risk_limit=0.05),
        "CLCA": lambda: clca_risk(codes, margin=margin, population=cards, risk_limit=0.05),
        "Kaplan-Markov": lambda: kaplan_markov_risk(
            codes, margin=margin, risk_limit=0.05, population=cards
        ),
    }
    for name, action in cases.items():
        ms = best_ms(action)
        print(f"  {name:<24} {ms:9.1f} ms  {verdict(ms, RISK_TARGET_MS)}")


def hybrid_measurements(cards: int, margins: tuple[float, ...]) -> None:
    """Time hybrid risk measurements on the samples their plans ask for."""
    rng = np.random.default_rng(2)
    print(f"Hybrid risk, N = {cards:,}, 80% with CVRs (target ≤ {HYBRID_RISK_TARGET_MS:g} ms)")
    for margin in margins:
        strata = hybrid_strata(cards, margin)
        plan = hybrid_sample_size(**strata, risk_limit=0.05)  # type: ignore[arg-type]
        codes = ["0"] * plan.comparison
        share = (1 + margin) / 2
        polled = [str(c) for c in rng.choice(["A", "B"], size=plan.polling, p=[share, 1 - share])]
        result = hybrid_risk(codes, polled, **strata, risk_limit=0.05)  # type: ignore[arg-type]
        ms = best_ms(lambda s=strata, c=codes, p=polled: hybrid_risk(c, p, **s, risk_limit=0.05))
        print(
            f"  margin {margin:>5.1%}: {plan.comparison:>6} + {plan.polling:>6} cards, "
            f"{result.cells:>5} cells: {ms:9.1f} ms  {verdict(ms, HYBRID_RISK_TARGET_MS)}"
        )


def main() -> None:
    """Print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check that it runs")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.smoke:
        sample_sizes(10_000, (0.2,), ())
        risk_measurements(10_000, 1_000)
        hybrid_measurements(10_000, (0.2,))
    else:
        sample_sizes(1_000_000, MARGINS, HYBRID_MARGINS)
        risk_measurements(1_000_000, 100_000)
        risk_measurements(10_000_000, 100_000)
        hybrid_measurements(1_000_000, HYBRID_MARGINS)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
