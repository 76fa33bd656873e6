"""An audit's rounds from start to finish: sizes, risk per contest, and what comes next.

The round measurement shared by the web app, the command line, the benchmarks and the public
verifier: each calls :func:`first_round_size` and :func:`measure_rounds` with the same plain data,
so that anyone who holds the published files recomputes exactly the numbers the app showed. The
cards are scored by :mod:`papertally.audit.contests`; the risk functions are those of
:mod:`papertally.audit`.

All contests of an audit share one sample of ballot cards drawn from the audit's whole manifest
(the union of the counties' manifests), ``N`` cards. Every contest is audited over those ``N``
cards: a card that does not show the contest has assorter value ½ on paper and in its CVR, so the
margins are *diluted* over ``N`` (SHANGRLA, Stark 2020, §3.2; one sample for several contests as
in Stark 2008, "Auditing a collection of races simultaneously").

* **Ballot comparison** (card-level comparison, CLCA): each sampled card's cast vote record is
  compared with the audit board's reading; the overstatement ``ω = A(CVR) − A(paper)`` of each
  (winner, loser) assertion is coded ``0``, ``o1``, ``o2``, ``u1``, ``u2``; a card without a CVR or
  not found is a ``phantom`` (two-vote overstatement, the worst case: Bañuelos & Stark 2012).
  Risk from :func:`papertally.audit.comparison.clca_risk`.
* **Ballot polling**: only the paper is read; risk by ALPHA (Stark 2023) through
  :func:`papertally.audit.rounds.assess_contest`; a card not found counts for the loser.
* **Hybrid**: the cards of manifest batches with CVRs form one stratum, compared as above; the
  cards of batches without CVRs form the other, polled. Each pair's risk is the SUITE
  combination of :func:`papertally.audit.hybrid.hybrid_risk` (Ottoboni, Stark, Lindeman &
  McBurnett 2018). The one uniform sample of the manifest, split by stratum in draw order, is a
  uniform random order of each stratum, so each stratum is sampled without replacement.

After each round every contest not yet confirmed gets a next-round size; when the sample would
reach every card the contest goes to a full hand count, whose tally of the paper stands
(Lindeman & Stark 2012, "A gentle introduction to risk-limiting audits", §4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from papertally.audit.assertions import Assertion
from papertally.audit.batch import (
    BatchContest,
    batch_comparison_next_round_size,
    batch_comparison_risk,
    batch_comparison_sample_size,
    batch_error_bounds,
    batch_taint,
    total_error_bound,
)
from papertally.audit.comparison import (
    ErrorRates,
    clca_next_round_size,
    clca_risk,
    clca_sample_size,
)
from papertally.audit.contests import (
    AuditedCard,
    AuditType,
    BatchId,
    BatchTallies,
    ContestSpec,
    discrepancy_code,
    polling_choice,
)
from papertally.audit.hybrid import hybrid_risk, hybrid_sample_size
from papertally.audit.polling import alpha_sample_size
from papertally.audit.rounds import ContestUnderAudit, assess_contest
from papertally.errors import PapertallyError
from papertally.types import ChoiceName, ContestName

PROBABILITY = 0.9
"""Each round is sized to finish the audit with this chance if the reported results are right."""
PLANNING_RATES = ErrorRates(o1=1e-3, o2=1e-4)
"""Discrepancy rates assumed of the cards not yet drawn when sizing comparison rounds: the
conventional planning rates of "super-simple" audits (Lindeman & Stark 2012), 1 in 1,000 and
1 in 10,000. Only the sizes depend on them; the risk is measured from what was seen."""
RISK_TOLERANCE = 1e-9
"""Relative difference under which a recomputed risk equals a recorded one (rounding only)."""


@dataclass(frozen=True)
class AssertionMeasurement:
    """The risk of one assertion after a round."""

    name: str
    margin: float
    """The diluted margin ``v`` (winner's minus loser's votes over ``N``); for MACRO (batch
    comparison), ``1/U``, the share of the total error bound the outcome can absorb."""
    p_value: float
    met: bool
    discrepancies: Mapping[str, int] = field(default_factory=dict)
    """Comparison audits: how many sampled cards had each discrepancy code (``0`` excluded)."""


@dataclass(frozen=True)
class ContestMeasurement:
    """Where one contest stands after a round."""

    contest: ContestName
    audit_type: AuditType
    risk_limit: float
    risk: float
    """The largest p-value of the contest's assertions."""
    confirmed: bool
    full_hand_count: bool
    """The sample was (or is to be) extended to every card; the paper's tally stands."""
    next_round_size: int
    """Further draws this contest needs (0 when confirmed or counted in full)."""
    settled_in_round: int | None
    """The round in which the contest was confirmed or fully counted, else ``None``."""
    hand_count_winners: tuple[ChoiceName, ...] | None = None
    """After a full hand count: the winners by the paper's tally."""
    assertions: tuple[AssertionMeasurement, ...] = ()

    @property
    def settled(self) -> bool:
        """Whether the contest needs no more draws."""
        return self.settled_in_round is not None


@dataclass(frozen=True)
class RoundMeasurement:
    """The state of the audit after one round."""

    round_number: int
    cards_drawn: int
    """Draws made so far, over all rounds."""
    contests: tuple[ContestMeasurement, ...]
    next_round_size: int
    """Further draws for the next round (0 when every contest is settled)."""

    @property
    def finished(self) -> bool:
        """Whether every contest is confirmed or decided by a full hand count."""
        return all(c.settled for c in self.contests)


def _check_specs(specs: Sequence[ContestSpec]) -> int:
    """Return the shared ``N``; refuse an empty audit or contests over different manifests."""
    if not specs:
        raise PapertallyError("the audit has no contest: add at least one contest to audit")
    if any(s.audit_type is AuditType.BATCH_COMPARISON for s in specs):
        raise PapertallyError(
            "batch comparison contests sample batches, not cards: see measure_batch_rounds"
        )
    sizes = {s.cards for s in specs}
    if len(sizes) != 1:
        raise PapertallyError(f"contests of one audit must share one manifest; got N = {sizes}")
    return sizes.pop()


def first_round_size(specs: Sequence[ContestSpec]) -> int:
    """Return the first round's size: the most any contest needs to finish with chance 90%.

    Comparison: :func:`~papertally.audit.comparison.clca_sample_size` at the planning rates;
    polling: :func:`~papertally.audit.polling.alpha_sample_size`; hybrid:
    :func:`hybrid_draws`. Never more than ``N``.
    """
    cards = _check_specs(specs)
    needed = 0
    for spec in specs:
        if spec.method == "oneaudit":
            from papertally.workflows.oneaudit import oneaudit_plan

            needed = max(needed, oneaudit_plan(spec).draws)
            continue
        if spec.irv is not None:
            from papertally.audit.irv.spec import irv_assertions

            for _, _, margin in irv_assertions(spec):
                size = clca_sample_size(
                    margin,
                    risk_limit=spec.risk_limit,
                    population=cards,
                    error_rates=PLANNING_RATES,
                    probability=PROBABILITY,
                )
                needed = max(needed, size)
            continue
        for assertion in spec.assertions():
            if spec.audit_type is AuditType.HYBRID:
                size = hybrid_draws(spec, assertion)
            elif spec.audit_type is AuditType.BALLOT_COMPARISON:
                size = clca_sample_size(
                    assertion.diluted_margin,
                    risk_limit=spec.risk_limit,
                    population=cards,
                    error_rates=PLANNING_RATES,
                    probability=PROBABILITY,
                )
            else:
                size = alpha_sample_size(assertion, spec.risk_limit, PROBABILITY)
            needed = max(needed, size)
    return min(max(needed, 1), cards)


def _pair(assertion: Assertion) -> tuple[ChoiceName, ChoiceName]:
    """Return a plurality assertion's (winner, loser); hybrid audits test pairs only."""
    if assertion.loser is None:
        raise PapertallyError(f"{assertion.name}: hybrid audits test winner-loser pairs only")
    return assertion.winner, assertion.loser


def hybrid_draws(spec: ContestSpec, assertion: Assertion) -> int:
    """Return the uniform draws of the whole manifest that give a hybrid pair its planned sample.

    :func:`~papertally.audit.hybrid.hybrid_sample_size` plans ``n1`` compared and ``n2`` polled
    cards (reported results right, chance :data:`PROBABILITY`). The sample is one uniform sample
    of all ``N`` cards, so a stratum of ``N_k`` cards gets about ``N_k/N`` of the draws: the plan
    needs ``max(n1·N/N1, n2·N/N2)`` draws.
    """
    cvr, rest, cards_cvr, cards_no_cvr = spec.strata()
    winner, loser = _pair(assertion)
    plan = hybrid_sample_size(
        votes_cvr_stratum=cvr,
        votes_no_cvr_stratum=rest,
        cards_cvr=cards_cvr,
        cards_no_cvr=cards_no_cvr,
        winner=winner,
        loser=loser,
        risk_limit=spec.risk_limit,
        probability=PROBABILITY,
    )
    draws = 0
    for planned, stratum in ((plan.comparison, cards_cvr), (plan.polling, cards_no_cvr)):
        if planned and stratum:
            draws = max(draws, -(-planned * spec.cards // stratum))
    return min(draws, spec.cards)


def _hand_count(spec: ContestSpec, cards: Sequence[AuditedCard]) -> tuple[ChoiceName, ...]:
    """Return the winners by the paper of every card (a full hand count)."""
    tally = dict.fromkeys(spec.votes, 0)
    for card in cards:
        votes = [] if card.paper is None else list(card.paper.get(spec.name) or ())
        if len(votes) <= spec.votes_allowed:
            for choice in votes:
                tally[choice] = tally.get(choice, 0) + 1
    ranked = sorted(tally, key=lambda name: -tally[name])
    return tuple(ranked[: spec.winners])


def _measure_contest(
    spec: ContestSpec, cards: Sequence[AuditedCard], round_number: int
) -> ContestMeasurement:
    """Measure one contest from the cards drawn so far (in draw order)."""
    drawn = len(cards)
    if spec.audit_type is AuditType.BALLOT_POLLING:
        contest = ContestUnderAudit.plurality(
            spec.name,
            spec.votes,
            spec.risk_limit,
            winners=spec.winners,
            ballots=spec.cards,
            votes_allowed=spec.votes_allowed,
        )
        status = assess_contest(
            contest, [{spec.name: polling_choice(c, spec)} for c in cards], probability=PROBABILITY
        )
        margins = {a.name: a.diluted_margin for a in contest.assertions}
        measured = tuple(
            AssertionMeasurement(a.name, margins[a.name], a.p_value, a.met)
            for a in status.assertions
        )
        needed = max((a.next_round_size for a in status.assertions), default=0)
    elif spec.method == "oneaudit":
        from papertally.workflows.oneaudit import measure_oneaudit

        measured_oneaudit, needed = measure_oneaudit(spec, cards)
        measured = tuple(measured_oneaudit)
    elif spec.audit_type is AuditType.HYBRID:
        measured, needed = _measure_hybrid(spec, cards)
    elif spec.irv is not None:
        from papertally.audit.irv.spec import irv_codes

        measured, needed = _measure_comparison(spec, irv_codes(spec, cards))
    else:
        measured, needed = _measure_comparison(
            spec,
            [
                (
                    a.name,
                    a.diluted_margin,
                    [discrepancy_code(c, a, spec.votes_allowed) for c in cards],
                )
                for a in spec.assertions()
            ],
        )
    confirmed = all(a.met for a in measured)
    everything = drawn >= spec.cards
    full_count = not confirmed and (everything or drawn + needed >= spec.cards)
    winners = None
    if full_count and everything:
        if spec.irv is not None:
            from papertally.workflows.irv import irv_hand_count

            winners = irv_hand_count(spec, cards)
        else:
            winners = _hand_count(spec, cards)
    settled = confirmed or (full_count and everything)
    return ContestMeasurement(
        contest=spec.name,
        audit_type=spec.audit_type,
        risk_limit=spec.risk_limit,
        risk=max(a.p_value for a in measured),
        confirmed=confirmed,
        full_hand_count=full_count,
        next_round_size=0 if settled else (spec.cards - drawn if full_count else needed),
        settled_in_round=round_number if settled else None,
        hand_count_winners=winners,
        assertions=measured,
    )


def _measure_comparison(
    spec: ContestSpec, assertions: Sequence[tuple[str, float, Sequence[str]]]
) -> tuple[tuple[AssertionMeasurement, ...], int]:
    """Measure a card-level comparison (CLCA) of each assertion from its name, diluted margin
    and the drawn cards' discrepancy codes; return them and the further draws needed."""
    measured = []
    needed = 0
    for name, margin, codes in assertions:
        risk = clca_risk(codes, margin=margin, population=spec.cards, risk_limit=spec.risk_limit)
        if not risk.stop:
            needed = max(
                needed,
                clca_next_round_size(
                    codes,
                    margin=margin,
                    risk_limit=spec.risk_limit,
                    population=spec.cards,
                    error_rates=PLANNING_RATES,
                    probability=PROBABILITY,
                ),
            )
        counts: dict[str, int] = {}
        for code in codes:
            if code != "0":
                counts[code] = counts.get(code, 0) + 1
        measured.append(AssertionMeasurement(name, margin, risk.p_value, risk.stop, counts))
    return tuple(measured), needed


def _measure_hybrid(
    spec: ContestSpec, cards: Sequence[AuditedCard]
) -> tuple[tuple[AssertionMeasurement, ...], int]:
    """Measure a hybrid contest's pairs; return them and the further draws it needs.

    Cards of the CVR stratum give discrepancy codes, the others the paper's choice, each in
    draw order (:func:`~papertally.audit.hybrid.hybrid_risk`). The plan
    (:func:`hybrid_draws`) assumes no errors: while the sample is short of it the next round
    completes it, and once reached (errors found) the next round doubles the sample.
    """
    cvr, rest, cards_cvr, cards_no_cvr = spec.strata()
    measured = []
    needed = 0
    compared = [c for c in cards if c.cvr_stratum]
    polled = [polling_choice(c, spec) for c in cards if not c.cvr_stratum]
    for assertion in spec.assertions():
        codes = [discrepancy_code(c, assertion, spec.votes_allowed) for c in compared]
        winner, loser = _pair(assertion)
        risk = hybrid_risk(
            codes,
            polled,
            votes_cvr_stratum=cvr,
            votes_no_cvr_stratum=rest,
            cards_cvr=cards_cvr,
            cards_no_cvr=cards_no_cvr,
            winner=winner,
            loser=loser,
            risk_limit=spec.risk_limit,
            votes_allowed=spec.votes_allowed,
        )
        if not risk.stop:
            planned = hybrid_draws(spec, assertion)
            needed = max(needed, planned - len(cards) if planned > len(cards) else len(cards))
        counts: dict[str, int] = {}
        for code in codes:
            if code != "0":
                counts[code] = counts.get(code, 0) + 1
        measured.append(
            AssertionMeasurement(
                assertion.name, assertion.diluted_margin, risk.p_value, risk.stop, counts
            )
        )
    return tuple(measured), needed


def measure_rounds(
    specs: Sequence[ContestSpec], cards: Sequence[AuditedCard], round_ends: Sequence[int]
) -> list[RoundMeasurement]:
    """Measure every contest after each round; ``round_ends`` are cumulative draw counts.

    ``cards`` are all sampled cards in draw order. A contest settled in one round keeps that
    round's measurement afterwards. The next round's size is the most any unsettled contest
    needs, and reaches every card when any of them goes to a full hand count.
    """
    total = _check_specs(specs)
    if list(round_ends) != sorted(set(round_ends)) or (round_ends and round_ends[-1] > len(cards)):
        raise PapertallyError(
            f"round ends must increase and not exceed the {len(cards)} cards sampled, got "
            f"{list(round_ends)}"
        )
    results: list[RoundMeasurement] = []
    settled: dict[ContestName, ContestMeasurement] = {}
    for number, end in enumerate(round_ends, start=1):
        measured = []
        for spec in specs:
            if spec.name in settled:
                measured.append(settled[spec.name])
                continue
            status = _measure_contest(spec, cards[:end], number)
            if status.settled:
                settled[spec.name] = status
            measured.append(status)
        next_size = max((m.next_round_size for m in measured), default=0)
        results.append(RoundMeasurement(number, end, tuple(measured), min(next_size, total - end)))
    return results


def round_to_json(result: RoundMeasurement) -> dict[str, Any]:
    """Return a round's measurement as plain JSON data (for the store, export and report)."""
    return {
        "round": result.round_number,
        "cards_drawn": result.cards_drawn,
        "next_round_size": result.next_round_size,
        "finished": result.finished,
        "contests": [
            {
                "contest": c.contest,
                "audit_type": c.audit_type.value,
                "risk_limit": c.risk_limit,
                "risk": c.risk,
                "confirmed": c.confirmed,
                "full_hand_count": c.full_hand_count,
                "next_round_size": c.next_round_size,
                "settled_in_round": c.settled_in_round,
                "hand_count_winners": None
                if c.hand_count_winners is None
                else list(c.hand_count_winners),
                "assertions": [
                    {
                        "name": a.name,
                        "margin": a.margin,
                        "p_value": a.p_value,
                        "met": a.met,
                        "discrepancies": dict(a.discrepancies),
                    }
                    for a in c.assertions
                ],
            }
            for c in result.contests
        ],
    }


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= RISK_TOLERANCE * max(1.0, abs(a), abs(b))


def first_difference(recorded: Mapping[str, Any], recomputed: Mapping[str, Any]) -> str | None:
    """Return a sentence naming the first difference between two rounds' JSON, or ``None``.

    The contests' risks come first, then the round's next size. Numbers compare within
    :data:`RISK_TOLERANCE` (relative); everything else exactly.
    """
    where = f"round {recomputed.get('round')}"
    if recorded.get("cards_drawn") != recomputed.get("cards_drawn"):
        return (
            f"{where}: cards drawn recorded {recorded.get('cards_drawn')!r}, "
            f"recomputed {recomputed.get('cards_drawn')!r}"
        )
    old = {c["contest"]: c for c in recorded.get("contests", [])}
    for contest in recomputed["contests"]:
        name = contest["contest"]
        mine = old.get(name)
        if mine is None:
            return f"{where}: contest {name!r} is missing from the recorded measurement"
        for key, value in contest.items():
            if key == "assertions":
                continue
            theirs = mine.get(key)
            same = (
                _close(float(theirs), float(value))
                if isinstance(value, float) and isinstance(theirs, (int, float))
                else theirs == value
            )
            if not same:
                return (
                    f"{where}, contest {name!r}: {key.replace('_', ' ')} recorded {theirs!r}, "
                    f"recomputed {value!r}"
                )
        recorded_assertions = {a["name"]: a for a in mine.get("assertions", [])}
        for assertion in contest["assertions"]:
            theirs_a = recorded_assertions.get(assertion["name"])
            if theirs_a is None:
                return f"{where}, contest {name!r}: assertion {assertion['name']!r} is missing"
            for key in ("margin", "p_value"):
                if not _close(float(theirs_a[key]), float(assertion[key])):
                    return (
                        f"{where}, contest {name!r}, assertion {assertion['name']!r}: {key} "
                        f"recorded {theirs_a[key]!r}, recomputed {assertion[key]!r}"
                    )
            for key in ("met", "discrepancies"):
                if theirs_a.get(key) != assertion[key]:
                    return (
                        f"{where}, contest {name!r}, assertion {assertion['name']!r}: {key} "
                        f"recorded {theirs_a.get(key)!r}, recomputed {assertion[key]!r}"
                    )
    for key in ("next_round_size", "finished"):
        if recorded.get(key) != recomputed.get(key):
            return (
                f"{where}: {key.replace('_', ' ')} recorded {recorded.get(key)!r}, "
                f"recomputed {recomputed.get(key)!r}"
            )
    return None


# -- batch comparison ----------------------------------------------------------------------------

MACRO = "MACRO over all contests"
"""The one assertion of a batch comparison audit: the total error cannot change any outcome."""


def first_batch_round_size(
    specs: Sequence[ContestSpec], contests: Sequence[BatchContest[BatchId]]
) -> int:
    """Return the PPEB draws that finish a batch comparison with no errors (Stark 2009).

    All contests are tested together by MACRO at the smallest of their risk limits.
    """
    risk_limit = min(s.risk_limit for s in specs)
    return batch_comparison_sample_size(batch_error_bounds(contests), risk_limit=risk_limit)


def measure_batch_rounds(
    specs: Sequence[ContestSpec],
    contests: Sequence[BatchContest[BatchId]],
    draws: Sequence[BatchId],
    audited: Mapping[BatchId, BatchTallies | None],
    round_ends: Sequence[int],
) -> list[RoundMeasurement]:
    """Measure a batch comparison audit after each round (Kaplan-Markov on MACRO taints).

    ``draws`` are the PPEB draws in order (repeats included); ``audited`` holds each drawn
    batch's hand count (``None``: not found, fully tainted). When the audit can no longer stop
    (a fully tainted batch), every contest goes to a full hand count of all batches, done
    outside the sample: the audit ends there and says so.
    """
    if not specs:
        raise PapertallyError("the audit has no contest: add at least one contest to audit")
    risk_limit = min(s.risk_limit for s in specs)
    bounds = batch_error_bounds(contests)
    total = total_error_bound(bounds)
    taint_of: dict[BatchId, float] = {}
    for batch in dict.fromkeys(draws):
        if batch not in audited:
            raise PapertallyError(f"batch {batch[1]!r} of {batch[0]} has no hand count")
        taint_of[batch] = batch_taint(contests, batch, audited[batch])
    results = []
    settled: RoundMeasurement | None = None
    for number, end in enumerate(round_ends, start=1):
        if settled is not None:
            results.append(RoundMeasurement(number, end, settled.contests, 0))
            continue
        taints = [taint_of[b] for b in draws[:end]]
        risk = batch_comparison_risk(taints, total_error_bound=total, risk_limit=risk_limit)
        counts: dict[str, int] = {}
        for t in taints:
            key = "untainted" if t <= 0 else ("fully tainted" if t >= 1 else "tainted")
            if key != "untainted":
                counts[key] = counts.get(key, 0) + 1
        full = False
        needed = 0
        if not risk.stop:
            try:
                needed = batch_comparison_next_round_size(
                    taints, total_error_bound=total, risk_limit=risk_limit
                )
            except PapertallyError:
                full = True
        done = risk.stop or full
        measured = tuple(
            ContestMeasurement(
                contest=spec.name,
                audit_type=AuditType.BATCH_COMPARISON,
                risk_limit=spec.risk_limit,
                risk=risk.p_value,
                confirmed=risk.p_value <= spec.risk_limit,
                full_hand_count=full,
                next_round_size=0 if done else needed,
                settled_in_round=number if done else None,
                assertions=(
                    AssertionMeasurement(MACRO, 1.0 / total, risk.p_value, risk.stop, counts),
                ),
            )
            for spec in specs
        )
        result = RoundMeasurement(number, end, measured, 0 if done else needed)
        if done:
            settled = result
        results.append(result)
    return results
