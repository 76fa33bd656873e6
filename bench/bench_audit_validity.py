"""The validity grid: how often every risk measurement confirms a wrong outcome (issue 9).

For each method (ALPHA, BRAVO, CLCA, Kaplan-Markov, batch comparison/MACRO, hybrid/SUITE,
supermajority, vote for k, several winners, phantoms, and the audit workflow's own
``measure_rounds``) and each least-favourable population (true tie, loser seated by one vote,
every error a two-vote overstatement, undervotes, phantoms, zero-vote candidates, a supermajority
share exactly at ``f``, overvotes in a vote-for-2 contest), prints one row:

    case, method, α, trials, stops, rate, SE, verdict

Tiny populations are enumerated exactly (every order; SE 0); larger ones are simulated, each
trial drawing the whole population (or a long sequence with replacement), so a trial counts as a
stop when the risk falls to α at any point. A row is ``ok`` when the rate is at most
``α + 3·√(α(1 − α)/trials)`` (exact rows: at most α). See :mod:`papertally.audit.validity`.

    .venv/bin/python bench/bench_audit_validity.py [--trials 2000] [--smoke]

``--smoke`` runs tiny sizes and a few trials in a few seconds, to check that the script still
works (figures not judged).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial

import numpy as np

from papertally.audit.assertions import (
    NO_VOTE,
    PHANTOM,
    CardReading,
    plurality_assertions,
    supermajority_assertion,
)
from papertally.audit.batch import BatchContest, batch_error_bounds, total_error_bound
from papertally.audit.contests import AuditedCard, AuditType, ContestSpec
from papertally.audit.validity import (
    HybridCase,
    TypeOneError,
    batch_confirms,
    bravo_confirms,
    clca_confirms,
    exact_type_one,
    kaplan_markov_confirms,
    polling_confirms,
    simulated_hybrid_type_one,
    simulated_type_one,
)
from papertally.audit.validity_irv import irv_rows
from papertally.audit.validity_oneaudit import oneaudit_rows
from papertally.workflows.measure import measure_rounds

Row = Callable[[], TypeOneError]


def readings(**counts: int) -> list[CardReading]:
    """Cards of a vote-for-1 contest: ``readings(W=5, L=5, blank=2)``."""
    out: list[CardReading] = []
    for name, count in counts.items():
        out += [NO_VOTE if name == "blank" else PHANTOM if name == "phantom" else name] * count
    return out


def tie_codes(cards: int, margin_votes: int, kind: str, extra: int = 0) -> list[str]:
    """Discrepancy codes of ``cards`` CVRs whose reported margin (``margin_votes``) is wiped out
    (``extra`` more votes: a loser seated by that many). ``o2``: every error a two-vote
    overstatement; ``o1``: one-vote; ``mixed``: understatements offset by more o2 and phantoms."""
    need = margin_votes + extra
    if kind == "o2":
        bad = ["o2"] * -(-need // 2)
    elif kind == "o1":
        bad = ["o1"] * need
    else:
        under = cards // 10
        twos = -(-(need + 2 * under - 4) // 2)
        bad = ["u2"] * under + ["o2"] * twos + ["phantom"] * 2
    return bad + ["0"] * (cards - len(bad))


def polling_rows(alpha: float, big: int, trials: int, smoke: bool) -> list[Row]:
    """ALPHA and BRAVO on ties, seated losers, undervotes, phantoms, zero-vote candidates."""
    rows: list[Row] = []
    (tiny,) = plurality_assertions({"W": 7, "L": 3}, ballots=10)
    (tiny_blank,) = plurality_assertions({"W": 6, "L": 2}, ballots=11)
    exact_cases = [
        ("tie 5-5, N=10, reported 7-3", tiny, readings(W=5, L=5)),
        ("loser seated by 1: 5-6, N=11, reported 6-2", tiny_blank, readings(W=5, L=6)),
    ]
    if not smoke:
        (eleven,) = plurality_assertions({"W": 7, "L": 2}, ballots=11)
        exact_cases.append(
            ("tie 4-4 + 3 blank, N=11, reported 7-2", eleven, readings(W=4, L=4, blank=3))
        )
    for case, assertion, cards in exact_cases:
        rows.append(
            partial(
                exact_type_one,
                case,
                "ALPHA (exact)",
                alpha,
                cards,
                polling_confirms([assertion], alpha),
            )
        )
    (bravo_tiny,) = plurality_assertions({"W": 6, "L": 4})
    rows.append(
        lambda: exact_type_one(
            f"tie, {8 if smoke else 14} draws with replacement",
            "BRAVO (exact)",
            alpha,
            readings(W=1, L=1),
            bravo_confirms(bravo_tiny, alpha),
            draws=8 if smoke else 14,
        )
    )
    rows.append(
        lambda: exact_type_one(
            "tie 6-6, N=12, without replacement",
            "BRAVO (exact)",
            alpha,
            readings(W=6, L=6),
            bravo_confirms(bravo_tiny, alpha),
        )
    )
    half = big // 2
    (ten,) = plurality_assertions({"W": round(big * 0.55), "L": big - round(big * 0.55)})
    (two,) = plurality_assertions({"W": round(big * 0.51), "L": big - round(big * 0.51)})
    (blanks,) = plurality_assertions({"W": round(big * 0.45), "L": round(big * 0.35)}, ballots=big)
    (phantom,) = plurality_assertions(
        {"W": round(big * 0.55), "L": round(big * 0.40)},
        ballots=big - big // 20,
        phantoms=big // 20,
    )
    zero = plurality_assertions({"W": round(big * 0.6), "Z": 0, "L": big - round(big * 0.6)})
    (zero_loser,) = plurality_assertions({"W": round(big * 0.6), "Z": 0}, ballots=big)
    simulated: list[tuple[str, str, Sequence[CardReading], Callable[..., bool], int | None]] = [
        (
            f"tie, N={big:,}, reported 10%",
            "ALPHA",
            readings(W=half, L=half),
            polling_confirms([ten], alpha),
            None,
        ),
        (
            f"tie, N={big:,}, reported 2%",
            "ALPHA",
            readings(W=half, L=half),
            polling_confirms([two], alpha),
            None,
        ),
        (
            f"loser seated by 1 vote, N={big:,}",
            "ALPHA",
            readings(W=half - 1, L=half, blank=1),
            polling_confirms([ten], alpha),
            None,
        ),
        (
            f"tie + 40% blank, N={big:,}",
            "ALPHA",
            readings(W=round(big * 0.3), L=round(big * 0.3), blank=big - 2 * round(big * 0.3)),
            polling_confirms([blanks], alpha),
            None,
        ),
        (
            f"tie counting phantoms, N={big:,}",
            "ALPHA",
            readings(W=half, L=half - big // 20, phantom=big // 20),
            polling_confirms([phantom], alpha),
            None,
        ),
        (
            f"tie, zero-vote candidate, N={big:,}",
            "ALPHA",
            readings(W=half, L=half),
            polling_confirms(zero, alpha),
            None,
        ),
        (
            f"tie, {2 * big:,} draws with replacement",
            "ALPHA",
            readings(W=1, L=1),
            polling_confirms([ten], alpha, with_replacement=True),
            2 * big,
        ),
        (
            f"tie, {2 * big:,} draws with replacement",
            "BRAVO",
            readings(W=1, L=1),
            bravo_confirms(ten, alpha),
            2 * big,
        ),
        (
            f"tie, N={big:,}, without replacement",
            "BRAVO",
            readings(W=half, L=half),
            bravo_confirms(ten, alpha),
            None,
        ),
        (
            f"Z (reported 0 votes) ties W, {2 * big:,} draws",
            "BRAVO",
            readings(W=1, Z=1),
            bravo_confirms(zero_loser, alpha),
            2 * big,
        ),
    ]
    for number, (case, method, population, confirms, draws) in enumerate(simulated):
        rows.append(
            partial(
                simulated_type_one,
                case,
                method,
                alpha,
                population,
                confirms,
                trials=trials,
                seed=1000 * number + int(100 * alpha),
                draws=draws,
            )
        )
    return rows


def supermajority_rows(alpha: float, big: int, trials: int, smoke: bool) -> list[Row]:
    """ALPHA for a supermajority whose true share is exactly ``f``."""
    rows: list[Row] = []
    tiny = supermajority_assertion({"Yes": 8, "No": 2}, "Yes", 0.6)
    rows.append(
        lambda: exact_type_one(
            "share exactly 60%, N=10",
            "ALPHA supermajority (exact)",
            alpha,
            readings(Yes=6, No=4),
            polling_confirms([tiny], alpha),
        )
    )
    if not smoke:
        fifteen = supermajority_assertion({"Yes": 12, "No": 3}, "Yes", 0.6)
        rows.append(
            lambda: exact_type_one(
                "share exactly 60%, N=15",
                "ALPHA supermajority (exact)",
                alpha,
                readings(Yes=9, No=6),
                polling_confirms([fifteen], alpha),
            )
        )
    for (yes_part, whole), reported in (((11, 20), 0.6), ((2, 3), 0.72)):
        share = yes_part / whole
        # Valid votes a multiple of the share's denominator, so that the winner's true share is
        # exactly f: e.g. 550 of 1,000 for 55%, 666 of 999 for 2/3.
        valid = big - big % whole
        yes = valid * yes_part // whole
        assertion = supermajority_assertion(
            {"Yes": round(valid * reported), "No": valid - round(valid * reported)}, "Yes", share
        )
        blanks = big // 10
        valid_b = (big - blanks) - (big - blanks) % whole
        yes_b = valid_b * yes_part // whole
        blanks = big - valid_b
        with_blanks = supermajority_assertion(
            {"Yes": round(valid_b * reported), "No": valid_b - round(valid_b * reported)},
            "Yes",
            share,
            ballots=big,
        )
        for label, a, cards in (
            (
                f"share exactly f={share:.3g}, N={valid:,}",
                assertion,
                readings(Yes=yes, No=valid - yes),
            ),
            (
                f"share exactly f={share:.3g}, {blanks} of {big:,} blank",
                with_blanks,
                readings(Yes=yes_b, No=valid_b - yes_b, blank=blanks),
            ),
        ):
            rows.append(
                partial(
                    simulated_type_one,
                    label,
                    "ALPHA supermajority",
                    alpha,
                    cards,
                    polling_confirms([a], alpha),
                    trials=trials,
                    seed=7 + len(rows),
                )
            )
    return rows


def vote_for_k_rows(alpha: float, big: int, trials: int, smoke: bool) -> list[Row]:
    """Vote for 2: a loser seated by one vote, with overvotes and undervotes; two seats."""
    rows: list[Row] = []
    # Truly A 4, B 3, C 3 (one overvote, one blank); reported A 5, B 5, C 2.
    tiny_cards: list[CardReading] = [
        *[("A", "C")] * 3,
        *[("B",)] * (1 if smoke else 2),
        ("A", "B", "C"),
        NO_VOTE,
        ("A", "B"),
    ]
    tiny = plurality_assertions({"A": 5, "B": 5, "C": 2}, 2, ballots=len(tiny_cards))
    rows.append(
        lambda: exact_type_one(
            "vote for 2, B ties C (overvote, blank), N=8",
            "ALPHA vote for k (exact)",
            alpha,
            tiny_cards,
            polling_confirms(tiny, alpha),
        )
    )
    scale = max(1, big // 200)
    # Truly A 100s, C 80s, B 80s − 1 (s = scale); reported A 100s, B 90s, C 69s: B is seated.
    over: list[CardReading] = [
        *[("A", "C")] * 80 * scale,
        *[("A", "B")] * 20 * scale,
        *[("B",)] * (60 * scale - 1),
        *[("A", "B", "C")] * 20 * scale,
        *[NO_VOTE] * (20 * scale + 1),
    ]
    seated = plurality_assertions(
        {"A": 100 * scale, "B": 90 * scale, "C": 69 * scale}, 2, ballots=len(over)
    )
    two_seats: list[CardReading] = [
        *[("A", "C")] * 80 * scale,
        *[("A", "B")] * 20 * scale,
        *[("B",)] * (60 * scale - 1),
        *[NO_VOTE] * (40 * scale + 1),
    ]
    rows.append(
        lambda: simulated_type_one(
            f"vote for 2, B seated, C ahead by 1, overvotes, N={len(over):,}",
            "ALPHA vote for k",
            alpha,
            over,
            polling_confirms(seated, alpha),
            trials=trials,
            seed=21,
        )
    )
    rows.append(
        lambda: simulated_type_one(
            f"2 seats, B seated, C ahead by 1, N={len(two_seats):,}",
            "ALPHA several winners",
            alpha,
            two_seats,
            polling_confirms(seated, alpha),
            trials=trials,
            seed=22,
        )
    )
    return rows


def comparison_rows(alpha: float, big: int, trials: int, smoke: bool) -> list[Row]:
    """CLCA and Kaplan-Markov: CVRs hiding a tie or a seated loser, errors of one kind."""
    rows: list[Row] = []
    tiny = ["o2", "o2", "0", "0", "0", "0", "0", "0", "0", "0"]
    tiny_mixed = ["o2", "o1", "u1", "phantom", "0", "0", "0", "0", "0"]
    # A tie needs a mean overstatement (in units of u) of half the margin: 2/10 and 2/9.
    exact_cases = [(tiny, 0.4, "all o2, N=10")]
    if not smoke:
        exact_cases.append((tiny_mixed, 4 / 9, "o2+o1+u1+phantom, N=9"))
    for codes, margin, label in exact_cases:
        for name, confirms in (
            ("CLCA (exact)", clca_confirms(margin, alpha, len(codes))),
            ("Kaplan-Markov (exact)", kaplan_markov_confirms(margin, alpha, len(codes))),
        ):
            rows.append(partial(exact_type_one, f"tie, {label}", name, alpha, codes, confirms))
    rows.append(
        lambda: exact_type_one(
            f"tie, all o2, {4 if smoke else 7} draws with replacement",
            "CLCA (exact)",
            alpha,
            ["o2", "0", "0", "0", "0"],
            clca_confirms(0.4, alpha, None),
            draws=4 if smoke else 7,
        )
    )
    for margin in (0.1, 0.02):
        votes = round(margin * big)
        for kind, extra in (("o2", 0), ("o1", 1), ("o1", 0), ("mixed", 0)):
            codes = tie_codes(big, votes, kind, extra)
            truth = "tie" if not extra else "loser seated by 1"
            label = f"{truth}, {kind} errors, margin {margin:.0%}, N={big:,}"
            for name, confirms in (
                ("CLCA", clca_confirms(margin, alpha, big)),
                ("Kaplan-Markov", kaplan_markov_confirms(margin, alpha, big)),
            ):
                rows.append(
                    partial(
                        simulated_type_one,
                        label,
                        name,
                        alpha,
                        codes,
                        confirms,
                        trials=trials,
                        seed=300 + len(rows),
                    )
                )
        codes = tie_codes(big, votes, "o2")
        for name, confirms in (
            ("CLCA with replacement", clca_confirms(margin, alpha, None)),
            ("Kaplan-Markov with replacement", kaplan_markov_confirms(margin, alpha, None)),
        ):
            rows.append(
                partial(
                    simulated_type_one,
                    f"tie, o2 errors, margin {margin:.0%}, {2 * big:,} draws",
                    name,
                    alpha,
                    codes,
                    confirms,
                    trials=trials,
                    seed=400 + len(rows),
                    draws=2 * big,
                )
            )
    return rows


def batch_rows(alpha: float, big: int, trials: int, smoke: bool) -> list[Row]:
    """Batch comparison (MACRO, PPEB): the whole margin's error in one batch, or spread."""
    rows: list[Row] = []
    batches = max(10, big // 50)
    rng = np.random.default_rng(batches)
    cards = rng.integers(50, 300, size=batches)
    win = np.round(cards * 0.55).astype(int)
    lose = np.round(cards * 0.40).astype(int)
    keys = [f"b{i}" for i in range(batches)]
    contest = BatchContest(
        name="Governor",
        winners=("W",),
        losers=("L",),
        reported={k: {"W": int(w), "L": int(v)} for k, w, v in zip(keys, win, lose, strict=True)},
        ballots={k: int(c) for k, c in zip(keys, cards, strict=True)},
    )
    bounds = batch_error_bounds([contest])
    weights = np.array([bounds[k] for k in keys])
    u = total_error_bound(bounds)
    margin = int(win.sum() - lose.sum())
    # Spread: votes moved from W to L batch by batch until the true margin is 0.
    spread = np.zeros(batches)
    left = margin
    for i in rng.permutation(batches):
        if left <= 0:
            break
        move = min(int(win[i]), -(-left // 2))
        spread[i] = 2 * move / margin / weights[i]
        left -= 2 * move
    # Concentrated: the largest batches wholly wrong (taint 1), the last one partly, so that
    # their overstatements add up to exactly the margin (Σ e = 1): the least chance of drawing
    # a tainted batch, which makes KM's stop most likely.
    concentrated = np.zeros(batches)
    hidden = 0.0
    for i in np.argsort(-weights):
        if hidden >= 1.0:
            break
        concentrated[i] = min(1.0, (1.0 - hidden) / float(weights[i]))
        hidden += float(weights[i]) * concentrated[i]
    draws = 4 * int(np.log(1 / alpha) * u)
    for label, taints in (
        ("errors spread", spread),
        ("errors in the largest batches", concentrated),
    ):
        rows.append(
            partial(
                simulated_type_one,
                f"wrong outcome, {label}, {batches} batches, {draws} draws",
                "batch comparison (MACRO, PPEB)",
                alpha,
                [float(v) for v in taints],
                batch_confirms(u, alpha),
                trials=trials,
                seed=500,
                draws=draws,
                weights=weights,
            )
        )
    return rows


HYBRID_TRIALS = 500
"""Hybrid trials at most per row (about 0.1 s each at N = 1,000)."""
WORKFLOW_TRIALS = 1000
"""Workflow trials at most per row (five rounds, each planning the next: about 0.06 s)."""


def hybrid_rows(alpha: float, big: int, trials: int, smoke: bool) -> list[Row]:
    """Hybrid (SUITE): the tie hidden in the polled stratum, or in the CVRs."""
    trials = min(trials, HYBRID_TRIALS)
    n1, n2 = (3 * big) // 4, big // 4
    a1, a2 = round(n1 * 0.55), round(n2 * 0.55)
    # CVRs right (A a1 of n1, no errors); the polled stratum truly has A x of n2, x = N/2 − a1,
    # so that A and B tie over the contest.
    x = big // 2 - a1
    in_polled = HybridCase(
        votes_cvr_stratum={"A": a1, "B": n1 - a1},
        votes_no_cvr_stratum={"A": a2, "B": n2 - a2},
        codes=tuple(["0"] * n1),
        readings=tuple(["A"] * x + ["B"] * (n2 - x)),
        winner="A",
        loser="B",
    )
    # Polled stratum right; CVRs overstate A by two votes on enough cards to tie.
    need = (a1 + a2) - big // 2
    in_cvrs = HybridCase(
        votes_cvr_stratum={"A": a1, "B": n1 - a1},
        votes_no_cvr_stratum={"A": a2, "B": n2 - a2},
        codes=tuple(["o2"] * need + ["0"] * (n1 - need)),
        readings=tuple(["A"] * a2 + ["B"] * (n2 - a2)),
        winner="A",
        loser="B",
    )
    return [
        lambda: simulated_hybrid_type_one(
            f"tie hidden in the polled stratum, N={n1:,}+{n2:,}",
            in_polled,
            alpha,
            trials=trials,
            seed=600,
        ),
        lambda: simulated_hybrid_type_one(
            f"tie hidden by o2 CVRs, N={n1:,}+{n2:,}", in_cvrs, alpha, trials=trials, seed=601
        ),
    ]


def workflow_rows(alpha: float, big: int, trials: int, smoke: bool) -> list[Row]:
    """The audit workflow's own path (``measure_rounds``): rounds of a polling audit of a
    vote-for-2 contest with a seated loser, of a comparison audit whose CVRs hide a tie, and of
    a hybrid audit whose polled stratum hides one."""
    trials = min(trials, WORKFLOW_TRIALS)
    scale = max(1, big // 400)
    paper: list[tuple[str, ...]] = (
        [("A", "C")] * 80 * scale
        + [("A", "B")] * 20 * scale
        + [("B",)] * (60 * scale - 1)
        + [("A", "B", "C")] * 10 * scale
        + [()] * (30 * scale + 1)
    )
    n = len(paper)
    polling = ContestSpec(
        "Council",
        AuditType.BALLOT_POLLING,
        alpha,
        {"A": 110 * scale, "B": 90 * scale, "C": 60 * scale},
        n,
        winners=2,
        votes_allowed=2,
    )
    votes = n // 2
    comparison = ContestSpec(
        "Mayor",
        AuditType.BALLOT_COMPARISON,
        alpha,
        {"A": round(n * 0.55), "B": n - round(n * 0.55)},
        n,
    )
    cvr_a = round(n * 0.55)
    # CVRs: A on the first cvr_a cards; paper: A on exactly half (the rest of A's CVRs misread).
    cvrs = [("A",)] * cvr_a + [("B",)] * (n - cvr_a)
    paper_c = [("A",)] * votes + [("B",)] * (n - votes)
    ends = sorted({min(n, e) for e in (n // 20, n // 8, n // 4, n // 2, n)})
    # Hybrid: three quarters of the cards have CVRs (right, A 55%); the polled quarter is
    # reported A 55% but truly holds just enough B votes for a tie over the contest.
    cvr_cards, cvr_a = (3 * n) // 4, round(0.55 * ((3 * n) // 4))
    polled_a = n // 2 - cvr_a
    hybrid = ContestSpec(
        "Judge",
        AuditType.HYBRID,
        alpha,
        {"A": round(0.55 * n), "B": n - round(0.55 * n)},
        n,
        cvr_votes={"A": cvr_a, "B": cvr_cards - cvr_a},
        cvr_cards=cvr_cards,
    )
    hybrid_paper = (
        [("A",)] * cvr_a
        + [("B",)] * (cvr_cards - cvr_a)
        + [("A",)] * polled_a
        + [("B",)] * (n - cvr_cards - polled_a)
    )

    def run(
        spec: ContestSpec,
        cards: Callable[[np.ndarray], list[AuditedCard]],
        seed: int,
        at_most: int | None = None,
    ) -> TypeOneError:
        rng = np.random.default_rng(seed)
        stops = 0
        runs = trials if at_most is None else min(trials, at_most)
        for _ in range(runs):
            order = rng.permutation(n)
            rounds = measure_rounds([spec], cards(order), ends)
            stops += any(r.contests[0].confirmed for r in rounds)
        return TypeOneError(
            f"{spec.audit_type.value}{' (OneAudit)' if spec.method else ''}, rounds {ends}",
            "workflow measure_rounds",
            alpha,
            runs,
            stops,
            False,
        )

    return [
        lambda: run(
            polling,
            lambda order: [
                AuditedCard(i + 1, None, {"Council": paper[int(j)]}, True)
                for i, j in enumerate(order)
            ],
            700,
        ),
        lambda: run(
            comparison,
            lambda order: [
                AuditedCard(i + 1, {"Mayor": cvrs[int(j)]}, {"Mayor": paper_c[int(j)]}, True)
                for i, j in enumerate(order)
            ],
            701,
        ),
        lambda: run(
            hybrid,
            lambda order: [
                AuditedCard(
                    i + 1,
                    {"Judge": hybrid_paper[int(j)]} if int(j) < cvr_cards else None,
                    {"Judge": hybrid_paper[int(j)]},
                    int(j) < cvr_cards,
                )
                for i, j in enumerate(order)
            ],
            702,
            HYBRID_TRIALS // 2,
        ),
        lambda: run(
            replace(hybrid, method="oneaudit"),
            lambda order: [
                AuditedCard(
                    i + 1,
                    {"Judge": hybrid_paper[int(j)]} if int(j) < cvr_cards else None,
                    {"Judge": hybrid_paper[int(j)]},
                    int(j) < cvr_cards,
                )
                for i, j in enumerate(order)
            ],
            703,
            HYBRID_TRIALS // 2,
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Print the validity grid; return 1 if any row fails."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--trials", type=int, default=2000, help="simulated trials per row")
    parser.add_argument("--population", type=int, default=1000, help="cards in the larger cases")
    parser.add_argument(
        "--alpha", type=float, action="append", help="risk limit(s); default 5%% and 10%%"
    )
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check that it runs")
    args = parser.parse_args(argv)
    alphas = args.alpha or [0.05, 0.10]
    big, trials = (args.population, args.trials) if not args.smoke else (100, 5)
    if args.smoke:
        alphas = alphas[:1]
    builders = (
        polling_rows,
        supermajority_rows,
        vote_for_k_rows,
        comparison_rows,
        batch_rows,
        hybrid_rows,
        workflow_rows,
        oneaudit_rows,
        irv_rows,
    )
    header = ("case", "method", "α", "trials", "stops", "rate", "SE")
    print(
        f"{header[0]:<62} {header[1]:<30} {header[2]:>5} {header[3]:>7} {header[4]:>6} "
        f"{header[5]:>7} {header[6]:>7}  verdict"
    )
    failed = 0
    started = time.perf_counter()
    for alpha in alphas:
        for builder in builders:
            for row in builder(alpha, big, trials, args.smoke):
                result = row()
                verdict = "ok" if result.holds else "TOO HIGH"
                failed += not result.holds
                print(
                    f"{result.case:<62} {result.method:<30} {result.risk_limit:>5.2f} "
                    f"{result.trials:>7,} {result.stops:>6,} {result.rate:>7.4f} "
                    f"{result.standard_error:>7.4f}  {verdict}",
                    flush=True,
                )
    print(f"{failed} row(s) over the allowance; {time.perf_counter() - started:.1f} s")
    return 1 if failed and not args.smoke else 0


if __name__ == "__main__":
    sys.exit(main())
