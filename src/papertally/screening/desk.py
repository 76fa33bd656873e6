"""The decision desk: what the law allows, what history says a recount does, what the screening
found, and the options side by side with their cost, time and chance of changing anything.

Pure code over :mod:`papertally.law` (rules, fee, deadlines, flip outlook, cost model) and
:mod:`papertally.audit` (risk-limiting audit sample sizes). The options:

* a full recount: cost from the law's cost model (past recounts' median cost per vote unless a
  rate is given), days from the rule's start and finish deadlines, and the chance it changes
  the outcome from the history of statewide recounts (:func:`papertally.law.flip_outlook`);
* a targeted hand count of the units the screening flagged: ballots and votes covered, cost;
* a ballot-comparison risk-limiting audit at 5% and 1% risk (Lindeman & Stark 2012; sizes from
  :func:`papertally.audit.comparison.clca_sample_size_distribution`) and a ballot-polling one
  (BRAVO, :func:`papertally.audit.polling.bravo_sample_size`), with the chance of escalating
  beyond the first round although the reported result is right: simulated for comparison
  audits; for polling audits the first round is sized to stop at least 90% of the time, so the
  chance is at most 10%, and ``polling_trials`` simulates it (audits drawn without replacement
  from cards showing the reported votes, :func:`papertally.audit.polling.simulate_stopping`;
  about 10-20 s per risk limit for 200 trials of a 3-million-ballot contest, hence off by
  default).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np

from papertally.law.margins import ContestResults

RISK_LIMITS = (0.05, 0.01)
AUDIT_ERROR_RATES = {"o1": 0.001, "o2": 0.0001}
"""Discrepancy rates planned for comparison audits: one one-vote overstatement per 1,000 cards
and one two-vote overstatement per 10,000 (the rates Lindeman & Stark 2012 plan with)."""
DEFAULT_AUDIT_COST_PER_BALLOT = 5.0
"""Dollars per audited ballot (retrieval, reading, board time); say yours with ``--audit-rate``."""


@dataclass(frozen=True)
class AuditOption:
    """One risk-limiting audit: sizes, cost, chance of escalating when the result is right."""

    kind: str
    risk_limit: float
    first_round: int
    expected_ballots: float
    cost_first_round: float
    escalation_chance: float
    full_count_chance: float
    note: str


@dataclass
class Decision:
    """The law, the flip outlook, the screening summary and every option."""

    contest: str
    winner: str
    runner_up: str
    margin_votes: int
    total_votes: int
    ballots: int
    law: dict[str, Any] | None
    law_error: str | None
    flip: dict[str, Any]
    recount: dict[str, Any]
    targeted: dict[str, Any]
    audits: list[AuditOption]
    screening_summary: str | None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary."""
        data = dict(self.__dict__)
        data["audits"] = [asdict(a) for a in self.audits]
        return data


def _recount_days(law: dict[str, Any] | None) -> int | None:
    if law is None:
        return None
    dates = {d["event"]: d["date"] for d in law["deadlines"] if d.get("date")}
    start, finish = dates.get("start"), dates.get("finish")
    if isinstance(start, date) and isinstance(finish, date):
        return (finish - start).days
    return None


def _comparison(margin: float, ballots: int, risk: float, rate: float) -> AuditOption:
    from papertally.audit.comparison import (
        ErrorRates,
        clca_sample_size,
        clca_sample_size_distribution,
    )

    rates = ErrorRates(**AUDIT_ERROR_RATES)
    first = int(clca_sample_size(margin, risk_limit=risk, population=ballots, error_rates=rates))
    sizes = clca_sample_size_distribution(
        margin, risk_limit=risk, population=ballots, error_rates=rates, trials=1000
    )
    return AuditOption(
        kind="ballot comparison (CLCA)",
        risk_limit=risk,
        first_round=first,
        expected_ballots=float(np.mean(sizes)),
        cost_first_round=first * rate,
        escalation_chance=float(np.mean(sizes > first)),
        full_count_chance=float(np.mean(sizes >= ballots)),
        note=(
            "needs a cast-vote record per ballot; planned with one one-vote overstatement per "
            "1,000 ballots and one two-vote per 10,000; first round sized to finish 90% of the "
            "time"
        ),
    )


def _polling(
    results: ContestResults, ballots: int, risk: float, rate: float, trials: int
) -> AuditOption:
    from papertally.audit.assertions import plurality_assertions
    from papertally.audit.polling import (
        bravo_asn,
        bravo_sample_size,
        bravo_share,
        simulate_stopping,
    )
    from papertally.audit.simulate import tightest

    counts = sorted(results.totals.values(), reverse=True)
    p_w, p_l = counts[0] / ballots, counts[1] / ballots
    first = min(ballots, bravo_sample_size(p_w, p_l, risk, 0.9, max_size=ballots))
    asn = min(float(ballots), bravo_asn(p_w, p_l, risk))
    escalation = 0.1 if first < ballots else 0.0
    how = "at most one audit in ten goes on"
    if trials > 0 and first < ballots:
        tight = tightest(plurality_assertions(results.totals, 1, ballots=ballots))
        sizes = simulate_stopping(
            tight.population, risk, winner_share=bravo_share(tight), trials=trials
        )
        escalation = float(np.mean(sizes > first))
        how = f"{100 * escalation:.1f}% of {trials} simulated audits went on"
    return AuditOption(
        kind="ballot polling (BRAVO)",
        risk_limit=risk,
        first_round=first,
        expected_ballots=asn,
        cost_first_round=first * rate,
        escalation_chance=escalation,
        full_count_chance=0.0 if first < ballots else 1.0,
        note=(
            "needs only a ballot manifest; first round sized to finish at least 90% of the "
            f"time, so {how} to a second round although the result is right"
        ),
    )


def decide(
    results: ContestResults,
    *,
    state: str | None,
    election_date: date | None,
    office: str | None,
    targeted_ballots: int = 0,
    targeted_votes_at_stake: int = 0,
    targeted_units: int = 0,
    screening_summary: str | None = None,
    recount_cost_per_ballot: float | None = None,
    audit_cost_per_ballot: float = DEFAULT_AUDIT_COST_PER_BALLOT,
    risk_limits: tuple[float, ...] = RISK_LIMITS,
    polling_trials: int = 0,
    progress: Callable[[str], None] | None = None,
) -> Decision:
    """Return the decision desk for one contest (see the module's notes); ``polling_trials``
    above 0 simulates the polling audits' chance of a second round instead of bounding it, and
    ``progress(description)`` is called before each such simulation (the slow part)."""
    from papertally.errors import PapertallyError
    from papertally.law import CountyCost, assess_recount, estimate_cost, flip_outlook

    results.check_contestable()
    standing = results.standing()
    total = results.office_total
    ballots = results.ballots_cast or total
    law: dict[str, Any] | None = None
    law_error = None
    if state and election_date:
        try:
            law = assess_recount(results, state, election_date, office).to_dict()
        except PapertallyError as error:
            law_error = f"{error} (say which with --state and --office)"
    else:
        law_error = "no state or election date given, so the law was not consulted"
    outlook = flip_outlook(standing.margin, total).to_dict()
    cost = estimate_cost([CountyCost("all", ballots=ballots)], per_ballot=recount_cost_per_ballot)
    per_ballot = cost.total / ballots if ballots else 0.0
    recount = {
        "cost": cost.total,
        "cost_basis": cost.assumptions or [f"${per_ballot:,.3f} per ballot (given)"],
        "days": _recount_days(law),
        "flip_chance_model": outlook["model_chance"],
        "flip_chance_interval": outlook["model_interval"],
        "flip_history": f"{outlook['empirical_count']} of {outlook['empirical_n']} past statewide "
        "recounts moved the margin toward the trailer by at least this margin",
    }
    targeted = {
        "units": targeted_units,
        "ballots": targeted_ballots,
        "votes_at_stake": targeted_votes_at_stake,
        "cost": targeted_ballots * per_ballot,
        "covers_margin": targeted_votes_at_stake > standing.margin,
        "note": (
            "a hand count of the flagged units only; it can show those units were counted "
            "right, but says nothing of the units not flagged and cannot confirm the outcome"
        ),
    }
    margin = standing.margin / ballots
    audits: list[AuditOption] = []
    audit_note = None
    try:
        for risk in risk_limits:
            audits.append(_comparison(margin, ballots, risk, audit_cost_per_ballot))
            if polling_trials > 0 and progress is not None:
                progress(f"simulating {polling_trials} polling audits at {risk:.0%} risk")
            audits.append(_polling(results, ballots, risk, audit_cost_per_ballot, polling_trials))
    except PapertallyError as error:
        audits = []
        audit_note = f"No risk-limiting audit can be planned: {error}"
    return Decision(
        contest=results.contest,
        winner=standing.leader,
        runner_up=standing.other,
        margin_votes=standing.margin,
        total_votes=total,
        ballots=ballots,
        law=law,
        law_error=law_error,
        flip=outlook,
        recount=recount,
        targeted=targeted,
        audits=audits,
        screening_summary=screening_summary,
        notes=[
            "A full recount recounts every ballot and settles the count, at the highest cost; "
            "a risk-limiting audit checks the outcome (not every vote) from a random sample "
            "of paper ballots and goes to a full hand count if the sample does not confirm it.",
            "A targeted hand count looks where the screening points; it cannot confirm the "
            "outcome on its own.",
            f"Audit costs at ${audit_cost_per_ballot:,.2f} per ballot; recount cost as stated.",
            *([audit_note] if audit_note else []),
        ],
    )
