"""IRV audits: RAIRE assertion-generation time and sample sizes, beside published figures.

For each contest: candidates, ballots, our assertions (after the greedy cover, and after
dropping redundant ones), the hardest difficulty (``N/margin``) beside the figure the other
tool's published assertions give on the same ballots, the search time, and the CLCA sample
size at 5% if the CVRs are right. Contests: the Guide to RAIRE's example, Arlo's Berkeley 2010
and Aspen 2009 inputs (Aspen's reported winners are wrong, so it is run for its true winners: the
council contest has 11 candidates), the NSW 2021 mayoral contests (``../shared/data/irv/``),
and synthetic contests of 6–11 candidates and 100,000 ballots (random rankings, fixed seed).
``--smoke`` runs the small ones once.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from papertally.audit.irv.audit import sample_sizes
from papertally.audit.irv.ballots import SAN_FRANCISCO, RankedBallots, tabulate
from papertally.audit.irv.raire import (
    IrvAssertion,
    find_assertions,
    score_assertions,
    verify_assertions,
)
from papertally.io.cvr import read_cvrs
from papertally.io.raire_formats import (
    read_arlo_assertions,
    read_arlo_raire,
    read_raire_assertions_json,
    read_raire_json,
)
from papertally.workflows.irv import ranked_from_cards

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "irv"


def synthetic(candidates: int, ballots: int, seed: int, spread: float = 2.0) -> RankedBallots:
    """Random rankings of random length; the candidates' support is drawn from a Dirichlet
    with parameter ``spread`` (2: similar candidates, the hard case; 0.5: a few strong ones
    and many weak, as in most real contests). Fixed seed."""
    rng = np.random.default_rng(seed)
    support = rng.dirichlet(np.ones(candidates) * spread)
    counts: dict[tuple[int, ...], int] = {}
    lengths = rng.integers(1, candidates + 1, size=ballots)
    for length in lengths:
        ranking = tuple(
            int(c) for c in rng.choice(candidates, size=length, replace=False, p=support)
        )
        counts[ranking] = counts.get(ranking, 0) + 1
    names = [f"C{i + 1}" for i in range(candidates)]
    return RankedBallots.from_lists(names, counts)


def row(
    label: str,
    ballots: RankedBallots,
    winner: str,
    total: int | None,
    published: tuple[int, float] | None,
) -> None:
    """Print one contest's line."""
    started = time.perf_counter()
    result = find_assertions(ballots, winner, total_ballots=total)
    seconds = time.perf_counter() - started
    check = verify_assertions(
        [a.assertion for a in result.assertions], result.winner, len(ballots.candidates)
    )
    size = max(sample_sizes(result, ballots, risk_limit=0.05).values())
    theirs = "—" if published is None else f"{published[0]} / {published[1]:.4g}"
    print(
        f"{label:<34} {len(ballots.candidates):>3} {ballots.total:>8,} "
        f"{result.before_pruning:>5} {len(result.assertions):>5} {result.difficulty:>9.4g} "
        f"{theirs:>16} {seconds:>8.3f} {size:>7,}  {'ok' if check.ok else 'OPEN ORDERS'}",
        flush=True,
    )


def published_difficulty(
    ballots: RankedBallots, assertions: Sequence[IrvAssertion], total: int | None
) -> float:
    """The hardest difficulty of another tool's assertions, scored on the same ballots."""
    return max(s.difficulty for s in score_assertions(assertions, ballots, total_ballots=total))


def cvr_reading(cards: int) -> None:
    """Time reading a ranked contest from a generic CVR CSV into preference lists."""
    contest = synthetic(8, cards, seed=1, spread=0.5)
    names = contest.candidates
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cvrs.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                ["Card ID", "Tabulator", "Batch", "Record ID"]
                + [f"Mayor (Ranks=8) | {name}" for name in names]
            )
            number = 0
            for ranking, count in zip(contest.rankings, contest.counts, strict=True):
                cells = ["0"] * len(names)
                for rank, c in enumerate(ranking, start=1):
                    cells[c] = str(rank)
                for _ in range(count):
                    number += 1
                    writer.writerow([number, "T1", number // 1000, number, *cells])
        started = time.perf_counter()
        collection = read_cvrs([path])
        reading = time.perf_counter() - started
        started = time.perf_counter()
        found = ranked_from_cards(collection, None, SAN_FRANCISCO)
        seconds = time.perf_counter() - started
    assert found.ballots.total == cards
    print(
        f"reading {cards:,} ranked CVRs (generic CSV, 8 candidates): {reading:.2f} s; into "
        f"{len(found.ballots.rankings):,} distinct preference lists (in bulk): {seconds:.2f} s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--smoke", action="store_true", help="the small contests, once")
    args = parser.parse_args(argv)
    print(
        f"{'contest':<34} {'cand':>3} {'ballots':>8} {'cover':>5} {'kept':>5} {'difficulty':>9} "
        f"{'published n / d':>16} {'search s':>8} {'CLCA 5%':>7}  verified"
    )
    if DATA.is_dir():
        guide = DATA / "guide"
        for name in ("guide", "NEB_assertions", "one_candidate_dominates"):
            found = read_raire_json(guide / f"a_guide_to_RAIRE_eg_{name}.input.json")
            n = len(found.ballots.candidates)
            _, theirs = read_raire_assertions_json(
                guide / f"a_guide_to_RAIRE_eg_{name}.assertions.json", n
            )
            assert found.winner is not None
            published = (
                len(theirs),
                published_difficulty(found.ballots, theirs, found.total_ballots),
            )
            row(f"Guide: {name}", found.ballots, found.winner, found.total_ballots, published)
        arlo = DATA / "arlo"
        contests = read_arlo_raire(arlo / "Berkeley_2010.raire")
        theirs_by = read_arlo_assertions(arlo / "Berkeley_2010.raire.out", contests)
        for c in contests:
            assert c.winner is not None
            theirs = theirs_by[c.name]
            published = (len(theirs), published_difficulty(c.ballots, theirs, None))
            row(f"Berkeley 2010 contest {c.name}", c.ballots, c.winner, None, published)
        for c in read_arlo_raire(arlo / "Aspen_2009_wrong_winner.raire"):
            true_winner = tabulate(c.ballots).winner
            row(
                f"Aspen 2009 #{c.name} (true winner {true_winner})",
                c.ballots,
                true_winner,
                None,
                None,
            )
        nsw = DATA / "nsw2021"
        for name in ("Ballina", "Bellingen", "Burwood") + (() if args.smoke else ("Byron",)):
            found = read_raire_json(nsw / f"{name}_Mayoral.json")
            n = len(found.ballots.candidates)
            _, theirs = read_raire_assertions_json(nsw / f"{name}_Mayoral_out.json", n)
            assert found.winner is not None
            published = (
                len(theirs),
                published_difficulty(found.ballots, theirs, found.total_ballots),
            )
            row(
                f"NSW 2021 {name} mayoral",
                found.ballots,
                found.winner,
                found.total_ballots,
                published,
            )
    else:
        print(f"(shared data not found at {DATA}: published contests skipped)")
    sizes = (
        ((6, 2_000, 2.0),)
        if args.smoke
        else ((6, 100_000, 2.0), (8, 100_000, 2.0), (10, 100_000, 2.0), (11, 100_000, 0.5))
    )
    for candidates, ballots, spread in sizes:
        contest = synthetic(candidates, ballots, seed=candidates, spread=spread)
        winner = tabulate(contest).winner
        kind = "similar" if spread >= 1 else "few strong"
        row(f"synthetic {candidates} cand. ({kind})", contest, winner, None, None)
    cvr_reading(2_000 if args.smoke else 200_000)
    print(
        "published n / d: the other tool's assertion count and hardest difficulty (N/margin) "
        "on the same ballots; cover: assertions after the greedy cover, kept: after dropping "
        "redundant ones"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
