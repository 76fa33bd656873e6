"""OneAudit of a mixed election beside the SUITE hybrid: plan, choose, measure; the CLI's files.

A *mixed* election has counties (or batches) whose cards have linked CVRs and others whose cards
were counted in pools with only a reported tally (batch subtotals, a precinct's vote-by-mail, a
county's election-day total). Two ways to audit it from one uniform sample of the manifest:

* the SUITE hybrid (:mod:`papertally.audit.hybrid`): the CVR stratum compared, the rest polled,
  the two p-values combined over every split of the null;
* OneAudit (:mod:`papertally.audit.oneaudit`; Stark 2023): every pooled card gets its pool's
  mean as an ONE CVR and the whole contest is one card-level comparison.

:func:`method_choice` plans both for the same contest (SUITE by
:func:`~papertally.workflows.measure.hybrid_draws`, OneAudit by the drift estimate of
:func:`~papertally.audit.oneaudit.oneaudit_size_estimate`, milliseconds, or by simulation when
asked: mean and quantiles)
and picks the one needing fewer cards at the planning chance
:data:`~papertally.workflows.measure.PROBABILITY`. A spec with ``method="oneaudit"`` is measured by
:func:`measure_oneaudit` inside :func:`~papertally.workflows.measure.measure_rounds`, so the app,
the command line and ``papertally verify`` compute the same risks.

The pools of a spec (:attr:`~papertally.audit.contests.ContestSpec.pools`, plain JSON) each name
the manifest batches ``[county, batch]`` they hold; a pool without ``batches`` holds every card
outside the CVR stratum that no other pool holds (the app's hybrid: the no-CVR stratum with the
reported totals less the CVRs' tally, one pool). A pool without ``votes`` gets the ONE CVR
``u/2`` (:mod:`papertally.audit.oneaudit`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from papertally.audit.assertions import (
    NO_VOTE,
    PHANTOM,
    AssorterPopulation,
    CardReading,
    pair_population,
    reported_winners,
)
from papertally.audit.contests import AuditedCard, AuditType, ContestSpec
from papertally.audit.oneaudit import (
    OneAuditContest,
    OneAuditDraw,
    Pool,
    SupermajorityAssorter,
    assorter_of,
    draw_values,
    oneaudit_contest,
    oneaudit_risk,
    oneaudit_sample_sizes,
    oneaudit_size_estimate,
)
from papertally.audit.simulate import SizeDistribution
from papertally.errors import PapertallyError, closest_match_hint
from papertally.types import ChoiceName, ContestName, CountyName

if TYPE_CHECKING:
    from papertally.io.audit_export import AuditFiles
    from papertally.workflows.cvr_audit import ComparisonAudit
    from papertally.workflows.measure import AssertionMeasurement

ONEAUDIT = "oneaudit"
"""The :attr:`~papertally.audit.contests.ContestSpec.method` of a contest audited by OneAudit."""
PLANNING_TRIALS = 200
"""Simulated audits per assertion when a OneAudit is planned by simulation (fixed seed)."""


def spec_pools(spec: ContestSpec) -> list[Pool]:
    """Return the spec's pools; by default one pool of the no-CVR stratum's cards.

    Its tally is the reported votes less the CVRs' tally (:meth:`ContestSpec.strata`).
    """
    if spec.pools is None:
        _, rest, _, no_cvr_cards = spec.strata()
        return [Pool("cards without CVRs", no_cvr_cards, rest)] if no_cvr_cards else []
    return [
        Pool(
            str(p["name"]),
            int(p["cards"]),
            None if p.get("votes") is None else {str(k): int(v) for k, v in p["votes"].items()},
        )
        for p in spec.pools
    ]


def oneaudit_contests(
    spec: ContestSpec, *, supermajority: float | None = None
) -> list[OneAuditContest]:
    """Return the OneAudit of each (winner, loser) assertion of a mixed contest, or of its one
    supermajority assertion (the reported winner has more than a share ``supermajority`` of the
    valid votes, default the spec's :attr:`~ContestSpec.supermajority`; SHANGRLA §2.3).

    The CVR cards' values come from the CVRs' tally (only their sum enters ``v``; a card of the
    CVR stratum without a CVR is planned as a card without a vote and scores ``B = 0`` if
    drawn, which can only lower ``B``). Pools hold the rest; a spec whose pools do not add up to
    the no-CVR stratum's cards is refused.
    """
    cvr, _, cvr_cards, no_cvr_cards = spec.strata()
    pools = spec_pools(spec)
    pooled = sum(p.cards for p in pools)
    if pooled != no_cvr_cards:
        raise PapertallyError(
            f"contest {spec.name!r}: the pools hold {pooled:,} cards but {no_cvr_cards:,} cards "
            "have no CVR"
        )
    if supermajority is None:
        supermajority = spec.supermajority
    if supermajority is not None:
        if not 0.0 < supermajority < 1.0:
            raise PapertallyError(
                f"the supermajority share must lie between 0 and 1, got {supermajority:g}"
            )
        (winner,) = reported_winners(spec.votes, 1)
        share = SupermajorityAssorter(winner, supermajority)
        valid = sum(cvr.values())
        linked = AssorterPopulation(
            (share.upper_bound, 0.0, 0.5),
            (int(cvr.get(winner, 0)), valid - int(cvr.get(winner, 0)), cvr_cards - valid),
        )
        return [oneaudit_contest(share, linked, pools)]
    contests = []
    for assertion in spec.assertions():
        assorter = assorter_of(assertion)
        if assertion.loser is None:
            raise PapertallyError(f"{assertion.name}: mixed elections test winner-loser pairs")
        population = pair_population(
            int(cvr.get(assertion.winner, 0)), int(cvr.get(assertion.loser, 0)), cvr_cards
        )
        contests.append(oneaudit_contest(assorter, population, pools))
    return contests


def _pool_of(spec: ContestSpec) -> tuple[dict[tuple[CountyName, str], str], str | None]:
    """Return the pool of each listed batch, and the pool holding the other no-CVR cards."""
    by_batch: dict[tuple[CountyName, str], str] = {}
    others = None
    if spec.pools is None:
        return by_batch, "cards without CVRs"
    for pool in spec.pools:
        if pool.get("batches") is None:
            others = str(pool["name"])
            continue
        for county, batch in pool["batches"]:
            by_batch[(str(county), str(batch))] = str(pool["name"])
    return by_batch, others


def _reading(votes: Mapping[ContestName, Sequence[ChoiceName]] | None, contest: str) -> CardReading:
    """Return a card's reading of ``contest``: :data:`PHANTOM` for no card, no vote if absent."""
    if votes is None:
        return PHANTOM
    marked = tuple(dict.fromkeys(votes.get(contest) or ()))
    return marked or NO_VOTE


def oneaudit_draws_of(spec: ContestSpec, cards: Sequence[AuditedCard]) -> list[OneAuditDraw]:
    """Return each sampled card as a OneAudit draw: its pool (or linked CVR) and its paper."""
    by_batch, others = _pool_of(spec)
    draws = []
    for card in cards:
        pool = by_batch.get(card.batch) if card.batch is not None else None
        if pool is None and not card.cvr_stratum:
            pool = others
        cvr = NO_VOTE if pool is not None else _reading(card.cvr, spec.name)
        draws.append(OneAuditDraw(pool, cvr, _reading(card.paper, spec.name)))
    return draws


@dataclass(frozen=True)
class OneAuditPlan:
    """Planned OneAudit sizes of a contest: the assertion needing the most cards."""

    assertion: str
    sizes: SizeDistribution
    """Simulated sample sizes (every report right) of that assertion."""
    draws: int
    """Cards to draw to finish with chance :data:`~papertally.workflows.measure.PROBABILITY`."""


_PLANS: dict[str, OneAuditPlan] = {}
_PLANS_LOCK = threading.Lock()
PLAN_CACHE = 64
"""Plans kept per process (the oldest is dropped first): a round's measurement plans again."""


def oneaudit_plan(
    spec: ContestSpec, *, trials: int | None = None, supermajority: float | None = None
) -> OneAuditPlan:
    """Return the OneAudit plan of a mixed contest (cached per spec); ``supermajority``: of its
    supermajority assertion (:func:`oneaudit_contests`).

    ``trials`` ``None``: the drift estimate (:func:`oneaudit_size_estimate`, milliseconds; the
    app's seed request and every round). A number: that many simulated audits per assertion
    (seconds on large close contests; the command line's ``plan``, for its quantiles).
    """
    import json

    from papertally.workflows.measure import PROBABILITY

    key = json.dumps(spec.to_json(), sort_keys=True) + f"|{trials}|{supermajority}"
    with _PLANS_LOCK:
        if key in _PLANS:
            return _PLANS[key]
    best: OneAuditPlan | None = None
    for contest in oneaudit_contests(spec, supermajority=supermajority):
        if trials is None:
            summary = oneaudit_size_estimate(contest, risk_limit=spec.risk_limit)
            plan = OneAuditPlan(contest.assorter.name, summary, summary.p90)
        else:
            sizes = oneaudit_sample_sizes(contest, risk_limit=spec.risk_limit, trials=trials)
            draws = int(sizes[min(sizes.size - 1, int(np.ceil(PROBABILITY * sizes.size)) - 1)])
            plan = OneAuditPlan(
                contest.assorter.name, SizeDistribution.of(sizes, spec.cards), draws
            )
        if best is None or plan.draws > best.draws:
            best = plan
    if best is None:
        raise PapertallyError(f"contest {spec.name!r} has no assertion to audit")
    with _PLANS_LOCK:
        if len(_PLANS) >= PLAN_CACHE:
            del _PLANS[next(iter(_PLANS))]
        _PLANS[key] = best
    return best


@dataclass(frozen=True)
class MethodChoice:
    """SUITE and OneAudit planned for one mixed contest, and the one needing fewer cards."""

    contest: ContestName
    suite_draws: int
    """Cards the SUITE hybrid plans to draw (its tightest pair)."""
    oneaudit: OneAuditPlan
    chosen: str
    """``"oneaudit"`` or ``"suite"``."""

    def to_json(self) -> dict[str, Any]:
        """Return the choice as plain JSON data."""
        sizes = self.oneaudit.sizes
        return {
            "contest": self.contest,
            "suite_draws": self.suite_draws,
            "oneaudit_draws": self.oneaudit.draws,
            "oneaudit_mean": round(sizes.mean, 1),
            "oneaudit_p50": sizes.p50,
            "oneaudit_p90": sizes.p90,
            "oneaudit_p99": sizes.p99,
            "chosen": self.chosen,
        }


def method_choice(spec: ContestSpec, *, trials: int | None = None) -> MethodChoice:
    """Plan SUITE and OneAudit for a mixed (hybrid) contest; choose the one needing fewer cards.

    Both plans assume every report right and finish with the same chance; a tie keeps SUITE.
    ``trials``: OneAudit by the estimate (``None``) or by simulation (:func:`oneaudit_plan`).
    """
    from papertally.workflows.measure import hybrid_draws

    suite = max(hybrid_draws(spec, a) for a in spec.assertions())
    plan = oneaudit_plan(spec, trials=trials)
    chosen = ONEAUDIT if plan.draws < suite else "suite"
    return MethodChoice(spec.name, suite, plan, chosen)


def batch_pools(spec: ContestSpec, files: AuditFiles) -> tuple[dict[str, Any], ...] | None:
    """Return a hybrid contest's pools from the batch tallies of its no-CVR batches, if any.

    Each no-CVR batch with a tally of the contest is a pool of its own; the other no-CVR cards
    form one pool with the reported votes less the CVRs' and those batches' tallies (refused
    if a choice would go below 0). ``None`` without such tallies: one pool of every no-CVR card.
    """
    tallies = files.batch_tallies.get(spec.name, {})
    cards: dict[tuple[CountyName, str], int] = {}
    for batch in files.manifest.batches:
        if batch.has_cvrs is False and (batch.jurisdiction, batch.name) in tallies:
            key = (batch.jurisdiction, batch.name)
            cards[key] = cards.get(key, 0) + batch.ballots
    if not cards:
        return None
    _, rest, _, no_cvr_cards = spec.strata()
    left = dict(rest)
    pools: list[dict[str, Any]] = []
    for (county, name), size in sorted(cards.items()):
        votes = {str(c): int(n) for c, n in tallies[(county, name)].items()}
        for choice, n in votes.items():
            left[choice] = left.get(choice, 0) - n
        pools.append(
            {"name": f"{county}/{name}", "cards": size, "votes": votes, "batches": [[county, name]]}
        )
    short = sorted(c for c, n in left.items() if n < 0)
    if short:
        raise PapertallyError(
            f"contest {spec.name!r}: the batch tallies of the batches without CVRs give "
            f"{short[0]!r} more votes than the reported votes less the CVRs' tally"
        )
    others = no_cvr_cards - sum(cards.values())
    if others:
        pools.append({"name": "other cards without CVRs", "cards": others, "votes": left})
    return tuple(pools)


def with_method(spec: ContestSpec, method: str, files: AuditFiles | None = None) -> ContestSpec:
    """Return the hybrid spec measured by ``method``: ``oneaudit``, ``suite`` or ``fewest``.

    With ``files``, OneAudit's pools are the no-CVR batches' tallies where uploaded
    (:func:`batch_pools`), so ``fewest`` compares SUITE with that OneAudit.
    """
    from dataclasses import replace

    if method not in (ONEAUDIT, "suite", "fewest"):
        raise PapertallyError(f"unknown audit method {method!r}: oneaudit, suite or fewest")
    if spec.audit_type is not AuditType.HYBRID:
        return spec
    oneaudit = replace(
        spec, method=ONEAUDIT, pools=None if files is None else batch_pools(spec, files)
    )
    if method == "fewest":
        method = method_choice(oneaudit).chosen
    return oneaudit if method == ONEAUDIT else replace(spec, method=None, pools=None)


def measure_oneaudit(
    spec: ContestSpec, cards: Sequence[AuditedCard]
) -> tuple[list[AssertionMeasurement], int]:
    """Measure a OneAudit contest's assertions; return them and the further draws it needs.

    Each card's ``B`` comes from its CVR (or its pool's ONE CVR) and its paper
    (:func:`papertally.audit.oneaudit.draw_values`). While the sample is short of the plan
    (:func:`oneaudit_plan`) the next round completes it; once reached, it doubles.
    """
    from papertally.workflows.measure import AssertionMeasurement

    draws = oneaudit_draws_of(spec, cards)
    measured = []
    needed = 0
    for contest in oneaudit_contests(spec):
        values = draw_values(contest, draws)
        risk = oneaudit_risk(values, contest, risk_limit=spec.risk_limit)
        if not risk.stop:
            planned = oneaudit_plan(spec).draws
            needed = max(needed, planned - len(cards) if planned > len(cards) else len(cards))
        measured.append(
            AssertionMeasurement(
                contest.assorter.name,
                contest.diluted_margin,
                risk.p_value,
                risk.stop,
                _linked_discrepancies(contest, draws, values),
            )
        )
    return measured, needed


_CODES = {0.5: "o1", 1.0: "o2", -0.5: "u1", -1.0: "u2"}


def _linked_discrepancies(
    contest: OneAuditContest, draws: Sequence[OneAuditDraw], values: np.ndarray
) -> dict[str, int]:
    """Count the discrepancy codes of the sampled cards with linked CVRs (pooled cards have
    none: their ``B`` spreads around the no-error value by design)."""
    counts: dict[str, int] = {}
    for draw, b in zip(draws, values, strict=True):
        if draw.pool is not None:
            continue
        kappa = round(2.0 * (1.0 - float(b) / contest.noerror)) / 2.0
        code = _CODES.get(kappa)
        if code is not None:
            counts[code] = counts.get(code, 0) + 1
    return counts


def mixed_audit(
    cvrs: Sequence[tuple[CountyName | None, Path]],
    manifests: Sequence[tuple[CountyName | None, Path]],
    tallies: Sequence[tuple[CountyName | None, Path]],
    *,
    contest: ContestName,
    risk_limit: float,
    winners: int | None = None,
    supermajority: float | None = None,
) -> ComparisonAudit:
    """Read a mixed election's files and fix its contest as a OneAudit (the command line's);
    ``supermajority``: audit the winner's supermajority assertion instead of its pairs.

    Cards of batches whose manifest row says ``CVR`` = No, and of counties without CVR exports,
    are pooled: each such batch is a pool, with its tally from the county's batch tallies
    (Arlo's ``Batch Name`` and one column per choice) or, without one, the ONE CVR ``u/2``.
    The other cards are linked to their CVRs as in a comparison audit. The reported votes are
    the CVRs' tally plus the pools' tallies, over all the manifests' cards.
    """
    from papertally.io.audit_export import BATCH_TALLIES, read_batch_tallies
    from papertally.model.audit_records import AuditFile
    from papertally.workflows.cvr_audit import ComparisonAudit, _read_bytes, read_audit_files

    files, counties = read_audit_files(cvrs, manifests)
    cvr_votes, allowed = files.reported_votes(contest)
    pooled: dict[tuple[CountyName, str], int] = {}
    for batch in files.manifest.batches:
        if batch.has_cvrs is False or batch.jurisdiction not in files.cvrs:
            key = (batch.jurisdiction, batch.name)
            pooled[key] = pooled.get(key, 0) + batch.ballots
    reported: dict[tuple[CountyName, str], dict[ChoiceName, int]] = {}
    for given, path in tallies:
        county = given or path.stem
        if county not in counties:
            raise PapertallyError(
                f"{path.name}: batch tallies for {county!r}, which has no manifest; give them "
                f"as COUNTY=FILE{closest_match_hint(county, list(counties))}"
            )
        upload = AuditFile(county, BATCH_TALLIES, path.name, _read_bytes(path), contest)
        for name, votes in read_batch_tallies(upload).items():
            if (county, name) not in pooled:
                raise PapertallyError(
                    f"{path.name}: batch {name!r} of {county} is not a pooled batch (it has "
                    "CVRs, or is not in the manifest); tallies are for batches without CVRs"
                )
            reported[(county, name)] = dict(votes)
    votes = dict(cvr_votes)
    for tally in reported.values():
        for choice, n in tally.items():
            votes[choice] = votes.get(choice, 0) + int(n)
    pools = tuple(
        {
            "name": f"{county}/{name}",
            "cards": cards,
            "votes": reported.get((county, name)),
            "batches": [[county, name]],
        }
        for (county, name), cards in sorted(pooled.items())
    )
    total = files.manifest.total_ballots
    spec = ContestSpec(
        contest,
        AuditType.HYBRID,
        risk_limit,
        votes,
        total,
        winners or allowed,
        allowed,
        cvr_votes=dict(cvr_votes),
        cvr_cards=total - sum(pooled.values()),
        method=ONEAUDIT,
        pools=pools,
        supermajority=supermajority,
    )
    if supermajority is not None and not 0.0 < supermajority < 1.0:
        raise PapertallyError(
            f"the supermajority share must lie between 0 and 1, got {supermajority:g}"
        )
    if not spec.assertions():
        raise PapertallyError(f"{contest}: no reported loser (one choice with votes)")
    oneaudit_contests(spec)
    return ComparisonAudit(files, counties, (spec,))


# -- IRV: ranked CVRs and pools with ranking distributions -----------------------------------------

RANKED_POOL_COLUMNS = ("pool", "cards", "ranking", "count")
"""Columns of a ranked pools file: a pool's cards, and how many show each ranking (names
joined by ``>``, most preferred first; empty: a card ranking nobody)."""


def read_ranked_pools(path: Path, candidates: Sequence[ChoiceName]) -> list[Pool]:
    """Read pools and their ranking distributions (:data:`RANKED_POOL_COLUMNS`, CSV).

    A pool's rows repeat its ``cards``; a row with ``ranking`` and ``count`` both empty declares
    a pool whose rankings are unknown (its ONE CVR is neutral). Mistakes name the file, row and
    column.
    """
    import csv

    known = set(candidates)
    cards: dict[str, int] = {}
    rankings: dict[str, dict[tuple[ChoiceName, ...], int] | None] = {}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise PapertallyError(f"{path.name}: cannot be read: {error}") from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in RANKED_POOL_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise PapertallyError(f"{path.name}: row 1: no column {missing[0]!r}")
    for row_number, row in enumerate(reader, start=2):
        where = f"{path.name}: row {row_number}"
        name = (row["pool"] or "").strip()
        if not name:
            raise PapertallyError(f"{where}, column 'pool': empty")
        numbers: dict[str, int | None] = {}
        for column in ("cards", "count"):
            value = (row[column] or "").strip()
            if not value and column == "count":
                numbers[column] = None
                continue
            if not value.isdigit():
                raise PapertallyError(f"{where}, column {column!r}: {value!r} is not a count")
            numbers[column] = int(value)
        size = int(numbers["cards"] or 0)
        if cards.setdefault(name, size) != size:
            raise PapertallyError(
                f"{where}, column 'cards': {size:,}, but an earlier row gives {cards[name]:,}"
            )
        ranking_text = (row["ranking"] or "").strip()
        count = numbers["count"]
        if count is None:
            if ranking_text:
                raise PapertallyError(f"{where}, column 'count': empty")
            rankings.setdefault(name, None)
            continue
        ranking = tuple(part.strip() for part in ranking_text.split(">")) if ranking_text else ()
        unknown = [n for n in ranking if n not in known]
        if unknown:
            raise PapertallyError(
                f"{where}, column 'ranking': {unknown[0]!r} is no candidate"
                f"{closest_match_hint(unknown[0], list(candidates))}"
            )
        if len(set(ranking)) != len(ranking):
            raise PapertallyError(f"{where}, column 'ranking': a candidate ranked twice")
        counts = rankings.get(name) or {}
        counts[ranking] = counts.get(ranking, 0) + count
        rankings[name] = counts
    if not cards:
        raise PapertallyError(f"{path.name}: no pools")
    return [Pool(name, cards[name], None, rankings.get(name)) for name in cards]


@dataclass(frozen=True)
class IrvAssertionPlan:
    """One RAIRE assertion audited by OneAudit: its margin and planned sizes."""

    name: str
    diluted_margin: float
    sizes: SizeDistribution


@dataclass(frozen=True)
class IrvOneAuditPlan:
    """The OneAudit of an IRV contest with ranked CVRs and ranked pools."""

    winner: ChoiceName
    cards: int
    assertions: tuple[IrvAssertionPlan, ...]
    neutral_pools: tuple[str, ...]

    @property
    def hardest(self) -> IrvAssertionPlan:
        """The assertion needing the most cards (it sets the sample size)."""
        return max(self.assertions, key=lambda a: a.sizes.p90)


def irv_oneaudit_plan(
    ranked: Sequence[tuple[ChoiceName, ...]],
    candidates: Sequence[ChoiceName],
    pools: Sequence[Pool],
    *,
    risk_limit: float,
    winner: ChoiceName | None = None,
) -> IrvOneAuditPlan:
    """Plan the OneAudit of an IRV contest: RAIRE assertions, each an :class:`IrvAssorter`.

    ``ranked``: the linked cards' CVR rankings (names, most preferred first). The assertions are
    chosen (comparison audit, RAIRE) on the reported rankings of every card, the pools' included;
    a pool without a ranking distribution counts only in ``N`` and gets the neutral ONE CVR.
    Each assertion is planned by the estimate (:func:`oneaudit_size_estimate`).
    """
    from papertally.audit.irv.ballots import RankedBallots, tabulate
    from papertally.audit.irv.raire import find_assertions
    from papertally.audit.oneaudit import IrvAssorter

    lists: dict[tuple[ChoiceName, ...], int] = {}
    for ranking in ranked:
        lists[tuple(ranking)] = lists.get(tuple(ranking), 0) + 1
    for pool in pools:
        for ranking, count in (pool.rankings or {}).items():
            lists[tuple(ranking)] = lists.get(tuple(ranking), 0) + int(count)
        blank = pool.cards - sum((pool.rankings or {}).values()) if pool.rankings else 0
        lists[()] = lists.get((), 0) + blank
    ballots = RankedBallots.from_named(candidates, list(lists.items()))
    cards = len(ranked) + sum(p.cards for p in pools)
    chosen = winner or tabulate(ballots).winner
    result = find_assertions(ballots, chosen, kind="comparison", total_ballots=cards)
    plans = []
    neutral: set[str] = set()
    for scored in result.assertions:
        assorter = IrvAssorter(scored.assertion, tuple(candidates))
        contest = oneaudit_contest(assorter, list(ranked), pools)
        neutral.update(contest.neutral_pools)
        plans.append(
            IrvAssertionPlan(
                assorter.name,
                contest.diluted_margin,
                oneaudit_size_estimate(contest, risk_limit=risk_limit),
            )
        )
    return IrvOneAuditPlan(chosen, cards, tuple(plans), tuple(sorted(neutral)))
