"""Apply a state's recount law to a contest's results: triggers, eligibility, fee and deadlines.

:func:`assess_recount` takes the totals of one contest (:class:`ContestResults`), the state, the
election date, the office and election type, and optionally the candidate who would petition and
the dates of the canvass or certification. It picks the rule in force on the election date (a
date no rule covers is an error, never a guess) and answers, each with a plain-words "why":
whether a recount is automatic and at which stage, who may ask and whether this candidate may,
free or paid and the fee with its arithmetic, the refund conditions, every deadline as a date
where the anchor date is known, and, for president, the federal electors' dates.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any, Literal

from papertally.errors import PapertallyError, closest_match_hint
from papertally.law.calendar import electors_dates, resolve
from papertally.law.fees import FeeQuote, quote_fee
from papertally.law.margins import ContestResults, Standing, describe, evaluate
from papertally.law.rules import STATE_NAMES, rule_for, state_code
from papertally.law.schema import (
    OFFICE_NAMES,
    Anchor,
    Deadline,
    ElectionType,
    OfficeType,
    RequestRoute,
    Rule,
    covers_office,
)

Tier = Literal["automatic", "free_on_request", "paid_on_request", "barred"]

_OFFICE_ALIASES = {
    "senate": "us_senate",
    "u.s. senate": "us_senate",
    "house": "us_house",
    "congress": "us_house",
    "u.s. house": "us_house",
    "assembly": "state_house",
    "measure": "question",
    "referendum": "question",
    "proposition": "question",
    "municipal": "local",
    "judicial": "statewide",
    "supreme_court": "statewide",
}


def parse_office(name: str | None) -> OfficeType:
    """Return the office type for a name such as ``president`` or ``us-senate``."""
    if name is None or not name.strip():
        raise PapertallyError(
            "the office is missing: give --office, one of " + ", ".join(o.value for o in OfficeType)
        )
    folded = name.strip().casefold()
    folded = _OFFICE_ALIASES.get(folded, folded).replace("-", "_").replace(" ", "_")
    folded = _OFFICE_ALIASES.get(folded, folded)
    try:
        return OfficeType(folded)
    except ValueError:
        known = [o.value for o in OfficeType]
        raise PapertallyError(
            f"unknown office {name!r}{closest_match_hint(folded, known)}; offices are: "
            + ", ".join(known)
        ) from None


def parse_election_type(name: str) -> ElectionType:
    """Return ``general`` or ``primary``; a special election counts as general."""
    folded = name.strip().casefold()
    if folded == "special":
        return ElectionType.GENERAL
    try:
        return ElectionType(folded)
    except ValueError:
        raise PapertallyError(
            f"unknown election type {name!r}; use general, primary or special"
        ) from None


@dataclass(frozen=True)
class Finding:
    """One conclusion and the reason for it, in plain words."""

    topic: str
    conclusion: str
    why: str


@dataclass(frozen=True)
class StageResult:
    """Whether one automatic stage is triggered."""

    name: str
    triggered: bool
    why: str
    waivable: bool
    method: str


@dataclass(frozen=True)
class DeadlineResult:
    """A deadline of the rule, as a date where its anchor date is known."""

    event: str
    text: str
    date: date | None
    time: str | None
    why: str
    uncertain: bool


@dataclass(frozen=True)
class RequestResult:
    """Who may ask for a recount, whether this candidate may, and at what cost."""

    available: bool
    who: str
    petitioner: str | None
    may_request: bool
    why: str
    free: bool
    why_free: str
    fee: FeeQuote | None
    refund: str
    petition: Literal["may", "may_not", "contested"] = "may"
    """``contested``: the margin allows it, but a court held such a petitioner lacks standing."""
    standing: list[str] = field(default_factory=list)
    """Standing conditions of the law and, where contested, the ruling."""
    partial: str = "unknown"
    """Whether the law lets a petition cover only some counties, wards or precincts."""
    units: str = ""
    """Which units the fee was counted on, and where their number came from."""
    contested_by: str = ""
    """The ruling that makes standing contested, in a few words."""


@dataclass(frozen=True)
class UnitCount:
    """The number of precincts or wards a per-unit fee is counted on, and where it came from."""

    count: int
    kind: str
    how: str


@dataclass
class RecountAssessment:
    """Everything papertally can say about a recount of one contest under one state's law."""

    state: str
    state_name: str
    election_date: date
    office: OfficeType
    election_type: ElectionType
    contest: str
    rule_id: str
    rule_range: str
    citation: str
    sources: list[str]
    winner: str
    runner_up: str
    margin_votes: int
    margin_pct_of_office: float
    tier: Tier
    automatic: list[StageResult]
    request: RequestResult
    deadlines: list[DeadlineResult]
    findings: list[Finding]
    uncertain: list[str] = field(default_factory=list)
    counties: list[str] = field(default_factory=list)
    """The counties a targeted petition covers (empty: the whole contest)."""
    wards: list[str] = field(default_factory=list)
    """The wards or precincts a targeted petition names (empty: the whole contest)."""

    @property
    def automatic_stages(self) -> list[str]:
        """Return the names of the automatic stages that are triggered."""
        return [s.name for s in self.automatic if s.triggered]

    def deadline(self, event: str) -> DeadlineResult | None:
        """Return the first deadline for ``event`` (``request``, ``finish``, ``safe_harbor``...)."""
        return next((d for d in self.deadlines if d.event == event), None)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary."""
        data = asdict(self)
        data["automatic_stages"] = self.automatic_stages
        return data


def _route_for(rule: Rule, office: OfficeType, election: ElectionType) -> RequestRoute | None:
    for route in rule.requests:
        if covers_office(route.offices, office) and election in route.elections:
            return route
    return None


def _stages(
    rule: Rule, office: OfficeType, election: ElectionType, s: Standing
) -> list[StageResult]:
    results: list[StageResult] = []
    for stage in rule.automatic:
        if not covers_office(stage.offices, office) or election not in stage.elections:
            why = (
                f"does not apply to a {election.value} election for {office.value} "
                f"(covers {', '.join(stage.offices)}; "
                f"{', '.join(e.value for e in stage.elections)})"
            )
            results.append(StageResult(stage.name, False, why, stage.waivable, stage.method))
            continue
        if stage.after_previous and not (results and results[-1].triggered):
            why = "only follows the previous stage, which is not triggered"
            results.append(StageResult(stage.name, False, why, stage.waivable, stage.method))
            continue
        verdict = evaluate(stage.trigger, s)
        why = verdict.why
        if stage.after_previous:
            why += (
                " (measured here on the margin in the results given; by law it is the margin "
                "left after the previous stage)"
            )
        results.append(StageResult(stage.name, verdict.passed, why, stage.waivable, stage.method))
    for stage, result in zip(rule.automatic, list(results), strict=True):
        if not result.triggered:
            continue
        for i, earlier in enumerate(results):
            if earlier.name in stage.supersedes and earlier.triggered:
                results[i] = StageResult(
                    earlier.name,
                    False,
                    f"{earlier.why}; replaced by the {stage.name}, which the law orders instead",
                    earlier.waivable,
                    earlier.method,
                )
    return results


def _request(
    rule: Rule,
    route: RequestRoute | None,
    office: OfficeType,
    election: ElectionType,
    results: ContestResults,
    petitioner: Standing,
    named: bool,
    units: UnitCount | None = None,
    automatic: StageResult | None = None,
    method: str = "machine",
) -> RequestResult:
    who_name = petitioner.other if named else None
    if route is None:
        return RequestResult(
            False,
            "no one",
            who_name,
            False,
            f"the rule has no way to request a recount for {office.value} in a "
            f"{election.value} election",
            False,
            "",
            None,
            "",
            petition="may_not",
        )
    if not route.available:
        return RequestResult(
            False, route.who_text, who_name, False, route.who_text, False, "", None, "",
            petition="may_not",
        )  # fmt: skip
    may, reasons = True, []
    if petitioner.petitioner_is_winner:
        if "candidate" not in route.who:
            may = False
            reasons.append(f"{petitioner.other if not named else 'this candidate'} won the contest")
        else:
            reasons.append("the law lets any candidate voted for ask, winners included")
    if route.eligibility is not None:
        verdict = evaluate(route.eligibility, petitioner)
        reasons.append(
            f"to ask, {route.eligibility_text or describe(route.eligibility)}: {verdict.why}"
        )
        may = may and verdict.passed
    if not reasons:
        reasons.append("no margin limit applies to who may ask")
    petition, standing, ruling = _standing(route, petitioner, may)
    reasons += standing
    subject = petitioner.other
    who_reason = (
        f"{subject} ({_ordinal(petitioner.other_rank)}, {petitioner.margin:,} votes behind "
        f"{petitioner.leader})"
    )
    why = f"{who_reason}: " + "; ".join(reasons)
    free, why_free = False, ""
    if automatic is not None:
        stage = next(st for st in rule.automatic if st.name == automatic.name)
        free = True
        why_free = (
            f"the {automatic.name} is automatic: {stage.cost_text} No petition or fee is needed "
            "for it"
        )
    elif route.fee.kind == "none":
        free, why_free = True, route.fee.text
    elif route.free_when is not None:
        verdict = evaluate(route.free_when, petitioner)
        free = verdict.passed
        why_free = f"free {route.free_text or describe(route.free_when)}: {verdict.why}"
    else:
        why_free = "the law has no free tier for this contest"
    count, units_words = _unit_count(rule, route, results, units)
    fee = (
        None
        if free
        else quote_fee(route.fee, petitioner, office, count, results.ballots_cast, method)
    )
    if fee is not None and units_words:
        fee = replace(fee, arithmetic=f"{fee.arithmetic} [{units_words}]")
    return RequestResult(
        True, route.who_text, subject, may, why, free, why_free, fee, route.refund.text,
        petition=petition, standing=standing, partial=route.partial, units=units_words,
        contested_by=ruling,
    )  # fmt: skip


def _standing(
    route: RequestRoute, petitioner: Standing, may: bool
) -> tuple[Literal["may", "may_not", "contested"], list[str], str]:
    """Apply the route's standing conditions (aggrieved, could have won...) with their rulings."""
    if not may:
        return "may_not", [], ""
    words: list[str] = []
    ruling = ""
    status: Literal["may", "may_not", "contested"] = "may"
    share = (
        100.0 * petitioner.other_votes / petitioner.office_total if petitioner.office_total else 0
    )
    for cond in route.standing:
        below = cond.applies_below_rank is None or petitioner.other_rank > cond.applies_below_rank
        small = cond.max_share_pct is None or share <= cond.max_share_pct
        if cond.status == "contested" and below and small:
            status, ruling = "contested", cond.ruling
            words.append(
                f"standing is contested: {cond.text} ({cond.ruling}; {cond.ruling_source})"
            )
        else:
            words.append(f"the petition must show standing: {cond.text}")
    return status, words, ruling


def _unit_count(
    rule: Rule, route: RequestRoute, results: ContestResults, given: UnitCount | None
) -> tuple[int, str]:
    """Return the number of units a per-precinct or per-ward fee counts, and where it came from.

    The results' own count is used only when the results are at that level; otherwise the
    count given by the user, else the state's published count in the rule file (issue 12:
    Michigan's $125 per precinct on a county-level file).
    """
    per = {b.per for b in [*route.fee.bands, *(x for v in route.fee.by_office.values() for x in v)]}
    wanted = next((p for p in ("precinct", "ward") if p in per), None)
    if wanted is None:
        return results.units, ""
    if given is not None:
        return given.count, given.how
    if results.unit_level == wanted and results.units > 0:
        return results.units, f"{results.units:,} {wanted}s in the results file"
    if results.unit_level is None and results.units > 0:
        return results.units, (
            f"{results.units:,} units in the results, whose level was not given: counted as "
            f"{wanted}s (give --precincts N if they are not)"
        )
    published = rule.published_units.get(wanted)
    if published is not None:
        return published, (
            f"{published:,} {wanted}s: the state's published count "
            f"({' '.join(rule.published_units_source.split()) or 'rule file'}), because the "
            "results are not "
            f"{wanted}-level; give --precincts N to override"
        )
    level = results.unit_level or "unknown"
    return 0, f"the results are {level}-level, not {wanted}-level: give --precincts N"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _deadlines(
    rule: Rule,
    state: str,
    election_date: date,
    office: OfficeType,
    election: ElectionType,
    tier: Tier,
    anchors: dict[Anchor, date],
) -> tuple[list[DeadlineResult], list[str]]:
    known: dict[Anchor, date] = {"election": election_date}
    notes: list[str] = []
    for record in rule.known_dates:
        if record.election == election_date and record.anchor not in anchors:
            known[record.anchor] = record.date
            flag = " (uncertain)" if record.uncertain else ""
            notes.append(f"{record.anchor} date {record.date.isoformat()}: {record.text}{flag}")
    known.update(anchors)
    wanted = {"any", "automatic"} if tier == "automatic" else {"any", "requested"}
    out: list[DeadlineResult] = []
    for deadline in rule.deadlines:
        if deadline.applies_to not in wanted:
            continue
        if not covers_office(deadline.offices, office) or election not in deadline.elections:
            continue
        out.append(_resolve(deadline, state, known))
    return out, notes


def _resolve(deadline: Deadline, state: str, known: dict[Anchor, date]) -> DeadlineResult:
    anchor = known.get(deadline.anchor)
    if anchor is None:
        option = {"canvass": "--canvass-date", "certification": "--certification-date"}.get(
            deadline.anchor, f"the {deadline.anchor} date"
        )
        return DeadlineResult(
            deadline.event,
            deadline.text,
            None,
            deadline.time,
            f"counted from the {deadline.anchor}, whose date is not known: give {option}",
            deadline.uncertain,
        )
    day = resolve(deadline, anchor, state)
    if deadline.weekday is not None:
        how = f"the {_ordinal(deadline.nth)} {deadline.weekday.title()} after"
    elif deadline.hours is not None:
        how = f"{deadline.hours} hours ({deadline.count.replace('_', ' ')}) after"
    else:
        how = f"{deadline.days} {deadline.count.replace('_', ' ')} days after"
    skip = " (weekends and federal/state holidays skipped)" if deadline.count == "business" else ""
    return DeadlineResult(
        deadline.event,
        deadline.text,
        day,
        deadline.time,
        f"{how} the {deadline.anchor} on {anchor.isoformat()}{skip}",
        deadline.uncertain,
    )


def assess_recount(
    results: ContestResults,
    state: str,
    election_date: date,
    office: OfficeType | str | None,
    election_type: ElectionType | str = ElectionType.GENERAL,
    candidate: str | None = None,
    anchors: dict[Anchor, date] | None = None,
    units: UnitCount | None = None,
    counties: list[str] | None = None,
    method: str | None = None,
    wards: list[str] | None = None,
) -> RecountAssessment:
    """Answer every recount question for one contest under the law in force on ``election_date``.

    ``candidate`` is the would-be petitioner (default: the runner-up). ``anchors`` gives known
    dates of the canvass, certification, request or order, to turn deadlines into dates; the rule
    files also record such dates for some past elections. ``units`` is the number of precincts
    or wards a per-unit fee counts (see :func:`_unit_count`); ``counties`` limits a petition to
    those counties where the state allows partial recounts, ``wards`` to named wards or
    precincts; ``method`` (``machine`` or ``manual``) picks the per-ballot rate where the fee
    depends on it.
    """
    code = state_code(state)
    office_type = office if isinstance(office, OfficeType) else parse_office(office)
    election = (
        election_type
        if isinstance(election_type, ElectionType)
        else parse_election_type(election_type)
    )
    rule = rule_for(code, election_date)
    results.check_contestable()
    runner = results.standing()
    petitioner = results.standing(candidate) if candidate else runner
    stages = _stages(rule, office_type, election, runner)
    route = _route_for(rule, office_type, election)
    if counties and route is not None and route.partial == "none":
        raise PapertallyError(
            f"{STATE_NAMES[code]} does not allow a recount petition for only some counties "
            f"({rule.citation}); leave out --counties"
        )
    if wards and route is not None and route.partial in {"none", "counties"}:
        raise PapertallyError(
            f"{STATE_NAMES[code]} does not allow a recount petition for named wards or precincts "
            f"({rule.citation}); leave out --wards"
        )
    moot = {st.name for st in rule.automatic if st.replaces_requests}
    triggered = next((st for st in stages if st.triggered and st.name in moot), None)
    request = _request(
        rule, route, office_type, election, results, petitioner, bool(candidate), units,
        triggered, method or "machine",
    )  # fmt: skip
    tier: Tier
    if any(s.triggered for s in stages):
        tier = "automatic"
    elif request.available and request.may_request:
        tier = "free_on_request" if request.free else "paid_on_request"
    else:
        tier = "barred"
    deadlines, date_notes = _deadlines(
        rule, code, election_date, office_type, election, tier, anchors or {}
    )
    if office_type is OfficeType.PRESIDENT:
        electors = electors_dates(election_date)
        if electors is not None:
            deadlines.append(
                DeadlineResult(
                    "safe_harbor", electors.deadline_name, electors.deadline, None,
                    f"{electors.why} [{electors.citation}]", False,
                )
            )  # fmt: skip
    end = rule.effective_to.isoformat() if rule.effective_to else "now"
    findings = _findings(rule, stages, request, tier, deadlines, runner)
    uncertain = list(rule.uncertain) + [f"deadline: {d.text}" for d in deadlines if d.uncertain]
    uncertain += [n for n in date_notes if "uncertain" in n]
    findings += [Finding("dates used", n, "recorded in the rule file") for n in date_notes]
    return RecountAssessment(
        state=code,
        state_name=STATE_NAMES[code],
        election_date=election_date,
        office=office_type,
        election_type=election,
        contest=results.contest,
        rule_id=rule.id,
        rule_range=f"{rule.effective_from.isoformat()} to {end}",
        citation=rule.citation,
        sources=list(rule.sources),
        winner=runner.leader,
        runner_up=runner.other,
        margin_votes=runner.margin,
        margin_pct_of_office=runner.share("office_total"),
        tier=tier,
        automatic=stages,
        request=request,
        deadlines=deadlines,
        findings=findings,
        uncertain=uncertain,
        counties=list(counties or []),
        wards=list(wards or []),
    )


def _findings(
    rule: Rule,
    stages: list[StageResult],
    request: RequestResult,
    tier: Tier,
    deadlines: list[DeadlineResult],
    runner: Standing,
) -> list[Finding]:
    found = [
        Finding(
            "rule",
            f"{rule.id}: {rule.summary}",
            f"in force for this election date; {rule.citation}",
        )
    ]
    if not rule.automatic:
        found.append(Finding("automatic recount", "none", "this state has no automatic recount"))
    for stage in stages:
        found.append(
            Finding(
                f"automatic: {stage.name}",
                "triggered" if stage.triggered else "not triggered",
                stage.why + (" (the trailing candidate may waive it)" if stage.waivable else ""),
            )
        )
    found.append(Finding("who may request", request.who, request.why))
    if request.available:
        verb = {
            "may": "may request",
            "may_not": "may NOT request",
            "contested": "may petition: contested",
        }[request.petition]
        if request.contested_by:
            verb += f" ({request.contested_by})"
        found.append(Finding("petitioner", f"{request.petitioner or runner.other} {verb}",
                             request.why))  # fmt: skip
        found.append(Finding("cost", "free" if request.free else "paid", request.why_free))
        if request.fee is not None:
            amount = (
                f"${request.fee.amount:,.2f}"
                if request.fee.amount is not None
                else "see arithmetic"
            )
            found.append(Finding("fee", f"{request.fee.text} ({amount})", request.fee.arithmetic))
        found.append(Finding("refund", request.refund, "as the rule states"))
    words = {
        "automatic": "a recount happens without a request",
        "free_on_request": "a recount is available on request at public cost",
        "paid_on_request": "a recount is available on request; the petitioner pays",
        "barred": "no recount is available for this contest and petitioner",
    }
    found.append(Finding("tier", tier, words[tier]))
    for d in deadlines:
        when = d.date.isoformat() if d.date else "date unknown"
        found.append(Finding(f"deadline: {d.event}", f"{when} {d.time or ''}".strip(), d.why))
    return found


def known_offices() -> tuple[str, ...]:
    """Return every office and office-group name the rule files may use."""
    return OFFICE_NAMES
