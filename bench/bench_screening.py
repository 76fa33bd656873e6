"""Benchmark of the screening (issue 14): a 100,000-unit synthetic state screened, the
permutation test's false-positive rate over synthetic states with no effect in least-favourable
scenarios, and the polling audits' chance of a second round simulated.

Aim: the whole screening of 100,000 units (ladder of six models, three permutation tests,
controls one at a time, statsmodels' full model, FDR outliers, distributions, absentee checks)
in at most 10 s; the test's rate of rejections at 5% with no planted effect at most 5% in every
scenario. Prints wall and CPU time (the CPU time shows the work when the 2-core machine is
shared), peak memory (``resource.getrusage`` max RSS), and per scenario the rejections (p <= 0.05
and enough counties to decide, :attr:`Estimate.permutation_rejects`), the rejections by the
p-value alone, the states where the test could not decide, the rate's 95% Wilson interval and
the one-sided binomial p-value of "rate <= 5%". Asserts nothing.

    .venv/bin/python bench/bench_screening.py [--units 100000] [--permutations 999]
        [--states 400] [--state-units 500] [--trials 200] [--smoke]

``--smoke`` screens 2,000 units with 99 permutations, runs 3 null states per scenario and
simulates 50 polling audits of a 10,000-ballot contest.
"""

from __future__ import annotations

import argparse
import math
import resource
import time
from typing import Any

from papertally.screening.analysis import ADJUSTED, screen
from papertally.screening.regression import estimate
from papertally.screening.synthetic import synthetic_state

SCENARIOS: list[tuple[str, dict[str, Any], bool]] = [
    ("72 equal counties, county effects", {}, True),
    ("72 equal counties", {}, False),
    ("30 counties, county effects", {"counties": 30}, True),
    ("12 counties", {"counties": 12}, False),
    ("8 counties (Webb weights)", {"counties": 8}, False),
    ("skewed sizes, unequal counties", {"size_sd": 2.0, "county_skew": 1.0}, False),
    ("heteroskedastic county shocks", {"shock_spread": 1.0, "county_skew": 1.0}, False),
    (
        "heteroskedastic, county effects",
        {"shock_spread": 1.0, "county_skew": 1.0},
        True,
    ),
    (
        "technology in 8 large counties",
        {"tech_counties": 8, "county_skew": 1.0, "shock_spread": 1.0},
        False,
    ),
    (
        "technology in 8 large counties, county effects",
        {"tech_counties": 8, "county_skew": 1.0, "shock_spread": 1.0},
        True,
    ),
    (
        "technology in 3 large counties",
        {"tech_counties": 3, "mix": 0.02, "county_skew": 1.0, "shock_spread": 1.0},
        False,
    ),
]
"""Null scenarios (no planted effect): name, :func:`synthetic_state` options, county effects."""
POWER = (
    "72 equal counties, county effects",
    "72 equal counties",
    "skewed sizes, unequal counties",
    "technology in 8 large counties",
)
"""Scenarios in which the rejection rate with 2 points planted (the power) is also measured."""
PLANTED = 0.02
WISCONSIN_2016 = {"Trump": 1_405_284, "Clinton": 1_382_536, "Others": 188_330}


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Return the 95% Wilson interval of a proportion ``k / n``."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--states", type=int, default=400)
    parser.add_argument("--state-units", type=int, default=500)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.units, args.permutations, args.states, args.state_units = 2_000, 99, 3, 300
        args.trials = 50
    screen(synthetic_state(500, seed=0), permutations=9)
    frame = synthetic_state(args.units, effect=0.0, seed=7)
    wall, cpu = time.perf_counter(), time.process_time()
    result = screen(frame, permutations=args.permutations)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"screening of {args.units:,} units, {args.permutations} permutations: "
        f"{wall:.2f} s wall, {cpu:.2f} s CPU, peak RSS {peak:,.0f} MB (aim: at most 10 s)"
    )
    print(f"  {result.verdict}")
    print(f"  {len(result.outliers)} outliers at FDR {result.outlier_fdr}")
    for name, options, county_effects in SCENARIOS:
        rejection_rate(name, options, county_effects, args.states, args.state_units)
    for name, options, county_effects in SCENARIOS:
        if name in POWER:
            rejection_rate(
                name, options, county_effects, args.states // 2, args.state_units, PLANTED
            )
    escalation(args.trials, smoke=args.smoke)


def rejection_rate(
    name: str,
    options: dict[str, Any],
    county_effects: bool,
    states: int,
    units: int,
    effect: float = 0.0,
) -> None:
    """Print the permutation test's rejection rate over ``states`` states with ``effect``
    planted: the false-positive rate with none, the power with some."""
    from scipy import stats

    rejections = alone = undecided = 0
    wall = time.perf_counter()
    for seed in range(states):
        state = synthetic_state(units, seed=10_000 + seed, effect=effect, **options)
        e = estimate(state, ADJUSTED, county_effects=county_effects, permutations=199)
        rejections += e.permutation_rejects
        alone += e.permutation_p is not None and e.permutation_p <= 0.05
        undecided += e.permutation_note is not None
    low, high = wilson(rejections, states)
    p_value = float(stats.binom.sf(rejections - 1, states, 0.05))
    kind = f"with {100 * effect:g} points planted" if effect else "null"
    print(
        f"{name}, {kind}: {rejections} of {states} states rejected "
        f"({100 * rejections / states:.1f}%, 95% interval {100 * low:.1f}-{100 * high:.1f}%, "
        f"one-sided p of 'rate <= 5%' {p_value:.2f}); by the p-value alone {alone}; "
        f"could not decide {undecided}; {time.perf_counter() - wall:.1f} s"
    )


def escalation(trials: int, *, smoke: bool) -> None:
    """Print the polling audits' simulated chance of a second round when the result is right."""
    from papertally.law import ContestResults
    from papertally.screening.desk import decide

    votes = {"A": 5_600, "B": 4_400} if smoke else WISCONSIN_2016
    wall = time.perf_counter()
    d = decide(
        ContestResults("PRESIDENT", votes),
        state=None,
        election_date=None,
        office=None,
        polling_trials=trials,
    )
    for audit in d.audits:
        print(
            f"{audit.kind} at {audit.risk_limit:.0%} risk, {d.ballots:,} ballots: first round "
            f"{audit.first_round:,}, chance of a second round if the result is right "
            f"{100 * audit.escalation_chance:.1f}%"
        )
    print(
        f"  ({trials} simulated polling audits per risk limit, {time.perf_counter() - wall:.1f} s)"
    )


if __name__ == "__main__":
    main()
