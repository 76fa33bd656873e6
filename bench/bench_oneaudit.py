"""OneAudit (Stark 2023) against the SUITE hybrid on the same mixed elections, and Table 2.

Part 1, mixed elections: ``N`` cards, a share with linked CVRs, the rest in pools; reported
results right. For each election it prints the cards each method plans for a 90% chance to
finish (SUITE: the engine's planner, :func:`papertally.workflows.measure.hybrid_draws`;
OneAudit: the 90% quantile of simulated audits, with their mean, median and 99th percentile),
the milliseconds to plan, and the milliseconds to measure the risk of one sample of the planned
size; beside them the estimate without simulating that the app plans with
(:func:`~papertally.audit.oneaudit.oneaudit_size_estimate`: its 90% size and milliseconds, and the
app's whole plan of both methods, :func:`~papertally.workflows.oneaudit.method_choice`, in
milliseconds). OneAudit is given the same information as SUITE (the no-CVR cards as one pool
with their reported total), and then batch pools (100 cards each, homogeneous precincts) that
SUITE cannot use.

Part 2, ONEAudit's Table 2 on the layout we assumed before the paper's was found (20,000 cards,
margin 5%, α = 5%): full CVRs, one contest-wide pool
(ballot polling), 900/100 pools and 990/10 pools (10 pools of 1,000 cards at that split for the
winner, 9 the other way round, one mixed so that the totals are 10,500 to 9,500), each as the
mean ± standard error of simulated sample sizes, beside the paper's figures and the statistical
limit ``ln(1/α)/KL`` of the layout (no valid test's mean is far below it) and the estimate's
mean.

Part 3, Table 2 with the paper's own design (its numerical example: 10,000 linked CVRs and 10
precincts of 1,000 cards) and its bets (ALPHA truncated shrinkage, c = ½, for d = 100, 300,
1000), beside our Kelly bets and the planning estimate: the paper's figures are matched within
simulation error at some d (docs/oneaudit.md).

    .venv/bin/python bench/bench_oneaudit.py [--trials 300] [--smoke]

``--smoke`` runs a few trials of small elections, to check that the script still works.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import replace

import numpy as np

from papertally.audit.assertions import AssorterPopulation
from papertally.audit.contests import AuditedCard, AuditType, ContestSpec
from papertally.audit.hybrid import hybrid_risk
from papertally.audit.martingale import measure_risk
from papertally.audit.oneaudit import (
    OneAuditContest,
    PairAssorter,
    Pool,
    draw_values,
    oneaudit_contest,
    oneaudit_risk,
    oneaudit_sample_sizes,
    oneaudit_size_estimate,
)
from papertally.audit.polling import AlphaSettings, alpha_martingale, limit_sample_size
from papertally.audit.simulate import SizeDistribution
from papertally.workflows.measure import hybrid_draws
from papertally.workflows.oneaudit import (
    ONEAUDIT,
    method_choice,
    oneaudit_contests,
    oneaudit_draws_of,
    oneaudit_plan,
)

PAPER_TABLE_2 = {"full CVRs": 125, "one pool (polling)": 2300, "900/100": 800, "990/10": 170}


def mixed_spec(cards: int, linked: float, margin: float, pools: int) -> ContestSpec:
    """A two-candidate mixed contest: ``linked`` of the cards with CVRs; the pooled cards in
    ``pools`` pools of equal size, alternately 80/20 for A and for B (one pool: its total)."""
    cvr_cards = round(cards * linked)
    pooled = cards - cvr_cards
    a_total = round(cards * (1 + margin) / 2)
    if pools <= 1:
        a_pool = round(pooled * (1 + margin) / 2)
        tallies = [{"A": a_pool, "B": pooled - a_pool}]
        sizes = [pooled]
    else:
        size = pooled // pools
        sizes = [size] * (pools - 1) + [pooled - size * (pools - 1)]
        tallies = [
            {"A": round(0.8 * s), "B": s - round(0.8 * s)}
            if i % 2 == 0
            else {"A": s - round(0.8 * s), "B": round(0.8 * s)}
            for i, s in enumerate(sizes)
        ]
        a_pool = sum(t["A"] for t in tallies)
    a_cvr = a_total - a_pool
    cvr_votes = {"A": a_cvr, "B": cvr_cards - a_cvr}
    votes = {"A": a_total, "B": cards - a_total}
    spec_pools = (
        None
        if pools <= 1
        else tuple(
            {"name": f"p{i}", "cards": s, "votes": t, "batches": []}
            for i, (s, t) in enumerate(zip(sizes, tallies, strict=True))
        )
    )
    return ContestSpec(
        "Contest",
        AuditType.HYBRID,
        0.05,
        votes,
        cards,
        cvr_votes=cvr_votes,
        cvr_cards=cvr_cards,
        method=ONEAUDIT,
        pools=spec_pools,
    )


def _sample(spec: ContestSpec, n: int, rng: np.random.Generator) -> list[AuditedCard]:
    """``n`` cards drawn without replacement, every report right (pooled cards: one pool)."""
    cvr, rest, cvr_cards, _ = spec.strata()
    pooled_a = rest["A"] / max(1, spec.cards - cvr_cards)
    cards = []
    for i, index in enumerate(rng.choice(spec.cards, size=n, replace=False), start=1):
        linked = index < cvr_cards
        share = cvr["A"] / cvr_cards if linked else pooled_a
        vote = ["A" if rng.random() < share else "B"]
        cards.append(
            AuditedCard(i, {"Contest": vote} if linked else None, {"Contest": vote}, linked)
        )
    return cards


def mixed_rows(cases: list[tuple[int, float, float]], trials: int) -> None:
    """Print part 1."""
    print("Part 1: OneAudit vs SUITE hybrid, reported results right, α = 5%, 90% to finish")
    print(
        f"{'N':>8} {'CVRs':>5} {'margin':>6} {'pools':>6} | {'SUITE':>6} {'plan ms':>8} "
        f"{'risk ms':>8} | {'OneAudit':>8} {'mean':>7} {'p50':>6} {'p99':>6} {'plan ms':>8} "
        f"{'risk ms':>8} | {'est p90':>7} {'est ms':>6} {'app ms':>6}"
    )
    rng = np.random.default_rng(5)
    for cards, linked, margin in cases:
        suite_spec = mixed_spec(cards, linked, margin, 1)
        started = time.perf_counter()
        (assertion,) = suite_spec.assertions()
        suite = hybrid_draws(suite_spec, assertion)
        suite_plan_ms = 1000 * (time.perf_counter() - started)
        cvr, rest, cvr_cards, no_cvr = suite_spec.strata()
        sample = _sample(suite_spec, max(suite, 1), rng)
        codes = ["0" for c in sample if c.cvr_stratum]
        polled = [c.paper["Contest"][0] for c in sample if not c.cvr_stratum and c.paper]
        started = time.perf_counter()
        hybrid_risk(
            codes,
            polled,
            votes_cvr_stratum=cvr,
            votes_no_cvr_stratum=rest,
            cards_cvr=cvr_cards,
            cards_no_cvr=no_cvr,
            winner="A",
            loser="B",
            risk_limit=0.05,
        )
        suite_risk_ms = 1000 * (time.perf_counter() - started)
        for pools in (1, max(2, round(cards * (1 - linked) / 100))):
            spec = suite_spec if pools == 1 else mixed_spec(cards, linked, margin, pools)
            started = time.perf_counter()
            plan = oneaudit_plan(spec, trials=trials)  # simulated, as the CLI
            plan_ms = 1000 * (time.perf_counter() - started)
            risk_ms = math.nan
            if pools == 1:
                (contest,) = oneaudit_contests(spec)
                drawn = _sample(spec, max(plan.draws, 1), rng)
                started = time.perf_counter()
                values = draw_values(contest, oneaudit_draws_of(spec, drawn))
                oneaudit_risk(values, contest, risk_limit=0.05)
                risk_ms = 1000 * (time.perf_counter() - started)
            contests = oneaudit_contests(spec)
            started = time.perf_counter()
            estimates = [oneaudit_size_estimate(c, risk_limit=0.05) for c in contests]
            estimate_ms = 1000 * (time.perf_counter() - started)
            started = time.perf_counter()
            method_choice(replace(spec, risk_limit=0.0499))  # not cached: a new spec
            app_ms = 1000 * (time.perf_counter() - started)
            sizes = plan.sizes
            suite_cells = (
                f"{suite:>6,} {suite_plan_ms:>8.1f} {suite_risk_ms:>8.1f}"
                if pools == 1
                else f"{'':>6} {'':>8} {'':>8}"
            )
            print(
                f"{cards:>8,} {linked:>5.0%} {margin:>6.0%} {pools:>6} | {suite_cells} | "
                f"{plan.draws:>8,} {sizes.mean:>7.1f} {sizes.p50:>6,} {sizes.p99:>6,} "
                f"{plan_ms:>8.0f} {risk_ms:>8.1f} | {max(e.p90 for e in estimates):>7,} "
                f"{estimate_ms:>6.1f} {app_ms:>6.1f}",
                flush=True,
            )


def table2_contest(kind: str, cards: int) -> tuple[OneAuditContest, AssorterPopulation]:
    """Return Table 2's contest of one kind and the reported distribution of ``B``."""
    scale = cards // 20_000
    a_votes, b_votes = 10_500 * scale, 9_500 * scale
    pair = PairAssorter("Alice", "Bob")
    if kind == "full CVRs":
        contest = oneaudit_contest(pair, AssorterPopulation((1.0, 0.0), (a_votes, b_votes)), [])
    elif kind == "one pool (polling)":
        contest = oneaudit_contest(
            pair, [], [Pool("all", cards, {"Alice": a_votes, "Bob": b_votes})]
        )
    else:
        high = 900 if kind == "900/100" else 990
        size = 1000 * scale
        high, low = high * scale, size - high * scale
        pools = [Pool(f"A{i}", size, {"Alice": high, "Bob": low}) for i in range(10)]
        pools += [Pool(f"B{i}", size, {"Alice": low, "Bob": high}) for i in range(9)]
        rest = a_votes - 10 * high - 9 * low
        pools.append(Pool("mixed", size, {"Alice": rest, "Bob": size - rest}))
        contest = oneaudit_contest(pair, [], pools)
    return contest, contest.reported_population()


def table2_rows(trials: int, cards: int) -> None:
    """Print part 2."""
    print(f"\nPart 2: ONEAudit Table 2 ({cards:,} cards, margin 5%, α = 5%), {trials} trials")
    print(
        f"{'layout':<20} {'paper':>6} {'mean':>8} {'± SE':>6} {'p50':>6} {'p90':>6} "
        f"{'p99':>6} {'KL limit':>9} {'s':>6} {'estimate':>9} {'ms':>5}"
    )
    for kind, paper in PAPER_TABLE_2.items():
        contest, population = table2_contest(kind, cards)
        started = time.perf_counter()
        runs = 1 if kind == "full CVRs" else trials
        sizes = oneaudit_sample_sizes(contest, risk_limit=0.05, trials=runs)
        seconds = time.perf_counter() - started
        summary = SizeDistribution.of(sizes, cards)
        se = float(np.std(sizes, ddof=1) / math.sqrt(sizes.size)) if sizes.size > 1 else 0.0
        limit = limit_sample_size(population, 0.05)
        started = time.perf_counter()
        estimate = oneaudit_size_estimate(contest, risk_limit=0.05)
        estimate_ms = 1000 * (time.perf_counter() - started)
        print(
            f"{kind:<20} {paper:>6,} {summary.mean:>8.1f} {se:>6.1f} {summary.p50:>6,} "
            f"{summary.p90:>6,} {summary.p99:>6,} {limit:>9.0f} {seconds:>6.1f} "
            f"{estimate.mean:>9.0f} {estimate_ms:>5.1f}",
            flush=True,
        )


PAPER_D = (100, 300, 1000)
"""ALPHA's shrinkage weights ``d`` run for Part 3 (the paper's design uses truncated shrinkage
with ``c = ½``; its notebook reports d = 100 … 500)."""


def paper_contest(kind: str) -> OneAuditContest:
    """Table 2's contest as the paper builds it (ONEAudit's numerical example): 20,000 cards;
    10,000 with linked CVRs (5,000 Alice, 4,000 Bob, 1,000 undervotes); 10 precincts of 1,000
    cards, 5 at 900/100 (990/10) for Alice and 5 the other way round. Full CVRs: every card
    linked (10,000, 9,000, 1,000); polling: one pool of all 20,000 cards."""
    pair = PairAssorter("Alice", "Bob")
    if kind == "full CVRs":
        return oneaudit_contest(
            pair, AssorterPopulation((1.0, 0.0, 0.5), (10_000, 9_000, 1_000)), []
        )
    if kind == "one pool (polling)":
        return oneaudit_contest(pair, [], [Pool("all", 20_000, {"Alice": 10_000, "Bob": 9_000})])
    high = 900 if kind == "900/100" else 990
    pools = [Pool(f"A{i}", 1000, {"Alice": high, "Bob": 1000 - high}) for i in range(5)]
    pools += [Pool(f"B{i}", 1000, {"Alice": 1000 - high, "Bob": high}) for i in range(5)]
    linked = AssorterPopulation((1.0, 0.0, 0.5), (5_000, 4_000, 1_000))
    return oneaudit_contest(pair, linked, pools)


def alpha_sizes(values: np.ndarray, settings: AlphaSettings, trials: int) -> np.ndarray:
    """Cards each of ``trials`` ALPHA audits needs, the values drawn in random order."""
    rng = np.random.default_rng(11)
    sizes = np.empty(trials, dtype=np.int64)
    for trial in range(trials):
        path = alpha_martingale(rng.permutation(values), settings, population=values.size)
        sizes[trial] = measure_risk(path, 0.05).stopped_at or values.size
    return sizes


def paper_table2_rows(trials: int) -> None:
    """Print part 3: Table 2 with the paper's design, its bets (ALPHA) and ours."""
    print(f"\nPart 3: Table 2 with the paper's design and bets, {trials} trials (mean ± SE)")
    head = " ".join(f"{'ALPHA d=' + str(d):>14}" for d in PAPER_D)
    print(f"{'layout':<20} {'paper':>6} {head} {'ours (Kelly)':>14} {'estimate':>9}")
    for kind, paper in PAPER_TABLE_2.items():
        contest = paper_contest(kind)
        if kind == "one pool (polling)":  # ALPHA on the assorter values, η0 = Ā = 0.525
            values = np.repeat([1.0, 0.0, 0.5], [10_000, 9_000, 1_000])
            upper, eta0 = 1.0, 0.525
        else:  # ALPHA on B, η0 = its upper bound 2u/(2u − v), as the paper's notebook
            population = contest.reported_population()
            values = np.repeat(population.values, population.counts)
            upper, eta0 = contest.b_upper_bound, contest.b_upper_bound
        cells = []
        for d in PAPER_D:
            settings = AlphaSettings(eta0=eta0, d=d, c=0.5, upper_bound=upper, cap_bets=False)
            sizes = alpha_sizes(values, settings, 1 if kind == "full CVRs" else trials)
            se = float(np.std(sizes) / math.sqrt(sizes.size))
            cells.append(f"{f'{sizes.mean():,.0f} ± {se:.0f}':>14}")
        runs = 1 if kind == "full CVRs" else trials
        ours = oneaudit_sample_sizes(contest, risk_limit=0.05, trials=runs)
        ours_cell = f"{ours.mean():,.0f} ± {float(np.std(ours) / math.sqrt(ours.size)):.0f}"
        estimate = oneaudit_size_estimate(contest, risk_limit=0.05)
        print(
            f"{kind:<20} {paper:>6,} {' '.join(cells)} {ours_cell:>14} {estimate.mean:>9,.0f}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    """Run both parts; ``--smoke``: a few trials of small elections."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--trials", type=int, default=300, help="simulated audits per row")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check that it runs")
    args = parser.parse_args(argv)
    if args.smoke:
        mixed_rows([(10_000, 0.8, 0.1)], trials=5)
        table2_rows(trials=3, cards=20_000)
        paper_table2_rows(trials=3)
        return 0
    mixed_rows(
        [
            (10_000, 0.95, 0.05),
            (10_000, 0.8, 0.05),
            (10_000, 0.5, 0.05),
            (100_000, 0.8, 0.02),
            (100_000, 0.5, 0.10),
        ],
        trials=args.trials,
    )
    table2_rows(trials=args.trials, cards=20_000)
    paper_table2_rows(trials=args.trials)
    return 0


if __name__ == "__main__":
    sys.exit(main())
