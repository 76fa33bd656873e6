"""Benchmark of the screening (issue 14): a 100,000-unit synthetic state screened, and the
permutation test's false-positive rate over many synthetic states with no effect.

Aim: the whole screening of 100,000 units (ladder of six models, three permutation tests,
controls one at a time, statsmodels' full model, FDR outliers, distributions, absentee checks)
in at most 10 s; the test's rate of rejections at 5% with no planted effect at most 5%. Prints
wall and CPU time (the CPU time shows the work when the 2-core machine is shared), peak memory
(``resource.getrusage`` max RSS) and the rate with its 95% Wilson interval. Asserts nothing.

    .venv/bin/python bench/bench_screening.py [--units 100000] [--permutations 999]
        [--states 500] [--state-units 800] [--smoke]

``--smoke`` screens 2,000 units with 99 permutations and runs 5 null states.
"""

from __future__ import annotations

import argparse
import math
import resource
import time

from papertally.screening.analysis import ADJUSTED, screen
from papertally.screening.regression import estimate
from papertally.screening.synthetic import synthetic_state


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
    parser.add_argument("--states", type=int, default=500)
    parser.add_argument("--state-units", type=int, default=800)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.units, args.permutations, args.states, args.state_units = 2_000, 99, 5, 300
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
    rejections = 0
    wall = time.perf_counter()
    for seed in range(args.states):
        state = synthetic_state(args.state_units, seed=10_000 + seed)
        e = estimate(state, ADJUSTED, county_effects=True, permutations=199)
        rejections += e.permutation_p is not None and e.permutation_p <= 0.05
    low, high = wilson(rejections, args.states)
    print(
        f"false-positive rate at 5%, no planted effect: {rejections} of {args.states} states "
        f"({100 * rejections / args.states:.1f}%, 95% interval {100 * low:.1f}-{100 * high:.1f}%; "
        f"{args.state_units} units, 72 counties, 199 sign-flip draws each; aim at most 5%) "
        f"in {time.perf_counter() - wall:.1f} s"
    )


if __name__ == "__main__":
    main()
