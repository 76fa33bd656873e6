"""The audit report: what was audited, how, what the boards found, and what it proves.

For people (HTML, and PDF through WeasyPrint) and for programs (JSON, CSV): every contest with
its risk limit, reported votes and diluted margin, the sample size and measured risk of each
round, each discrepancy between a CVR and its paper card with its effect on each assertion
(the overstatement codes of Lindeman & Stark 2012), and the conclusion: confirmed at the risk
limit, or decided by a full hand count.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from papertally import __version__
from papertally.audit.contests import AuditedCard, AuditType, ContestSpec, discrepancy_code
from papertally.audit.irv.spec import irv_assertions, irv_card_codes
from papertally.csv_safe import csv_writer
from papertally.store.audits import Audit, AuditContest, AuditRound, BoardEntry, StoredCard

EFFECTS = {
    "o1": "one-vote overstatement of the margin: weakens the evidence",
    "o2": "two-vote overstatement: weakens the evidence most",
    "u1": "one-vote understatement: strengthens the evidence",
    "u2": "two-vote understatement: strengthens the evidence",
    "phantom": "card not found or without CVR: counted as a two-vote overstatement",
}
"""What each discrepancy code means for the reported winner (Lindeman & Stark 2012)."""


@dataclass(frozen=True)
class ContestLine:
    """One contest in the report."""

    name: str
    audit_type: str
    risk_limit: float
    votes: dict[str, int]
    winners: list[str]
    cards: int
    margin: float | None
    """The smallest diluted margin of the contest's assertions."""
    risk: float | None
    conclusion: str


@dataclass(frozen=True)
class RoundLine:
    """One contest in one round."""

    round: int
    size: int
    cards_drawn: int
    contest: str
    assertion: str
    p_value: float | None
    met: bool | None
    status: str


@dataclass(frozen=True)
class Discrepancy:
    """A sampled card whose paper differs from its CVR in an audited contest."""

    sequence: int
    county: str
    place: str
    contest: str
    cvr: str
    paper: str
    codes: dict[str, str]
    """Assertion → discrepancy code."""
    effect: str


@dataclass(frozen=True)
class AuditReport:
    """Everything the audit report shows."""

    audit_id: int
    name: str
    status: str
    seed: str | None
    counties: list[str]
    published_at: str | None
    seed_entered_at: str | None
    completed_at: str | None
    contests: list[ContestLine]
    rounds: list[RoundLine]
    discrepancies: list[Discrepancy]
    conclusion: str
    generated_at: str


def _votes_text(votes: Sequence[str] | None, found: bool = True) -> str:
    if not found:
        return "card not found"
    if votes is None:
        return "no CVR"
    return ", ".join(votes) if votes else "no vote"


def _tally_text(votes: Mapping[str, int]) -> str:
    return ", ".join(f"{choice} {n}" for choice, n in votes.items()) or "no votes"


def _conclusion(contest: AuditContest, rounds: Sequence[AuditRound]) -> tuple[float | None, str]:
    for info in reversed(rounds):
        if info.measurement is None:
            continue
        for measured in info.measurement["contests"]:
            if measured["contest"] != contest.name:
                continue
            risk = float(measured["risk"])
            if measured["confirmed"]:
                return risk, (
                    f"confirmed: the measured risk {risk:.4f} is within the risk limit "
                    f"{contest.risk_limit:.0%} (round {measured['settled_in_round']})"
                )
            if measured["hand_count_winners"] is not None:
                return risk, (
                    "decided by a full hand count: winners "
                    + ", ".join(measured["hand_count_winners"])
                )
            if measured["full_hand_count"]:
                return risk, f"risk {risk:.4f}: going to a full hand count"
            return risk, f"not yet confirmed: risk {risk:.4f} after round {info.number}"
    return None, "not measured yet"


def _winners(spec: ContestSpec | None) -> list[str]:
    """The reported winners (an IRV contest's: its CVRs' IRV count, fixed at the seed)."""
    if spec is None:
        return []
    return [str(spec.irv["winner"])] if spec.irv is not None else spec.reported_winners()


def _margin(spec: ContestSpec | None) -> float | None:
    """The smallest diluted margin of the contest's assertions (RAIRE's for an IRV contest)."""
    if spec is None:
        return None
    if spec.irv is not None:
        return min((m for _, _, m in irv_assertions(spec)), default=None)
    return min(a.diluted_margin for a in spec.assertions())


def build_audit_report(
    audit: Audit,
    contests: Sequence[AuditContest],
    rounds: Sequence[AuditRound],
    sample: Sequence[StoredCard],
    entries: Sequence[BoardEntry],
    reported_batches: Mapping[str, Mapping[tuple[str, str], Mapping[str, int]]] | None = None,
) -> AuditReport:
    """Gather the report's content from the audit's stored state (current entries only).

    ``reported_batches`` (batch comparison audits) holds the reported votes per contest and
    batch ``(county, batch name)``, to compare with the boards' hand counts.
    """
    specs = {c.name: ContestSpec.from_json(c.spec) for c in contests if c.spec is not None}
    lines = []
    for contest in contests:
        spec = specs.get(contest.name)
        risk, conclusion = _conclusion(contest, rounds)
        lines.append(
            ContestLine(
                name=contest.name,
                audit_type=contest.audit_type,
                risk_limit=contest.risk_limit,
                votes=dict(spec.votes) if spec else {},
                winners=_winners(spec),
                cards=spec.cards if spec else 0,
                margin=_margin(spec),
                risk=risk,
                conclusion=conclusion,
            )
        )
    round_lines = []
    for info in rounds:
        if info.measurement is None:
            round_lines.append(
                RoundLine(info.number, info.size, info.cards_drawn, "", "", None, None, "open")
            )
            continue
        for measured in info.measurement["contests"]:
            for assertion in measured["assertions"]:
                round_lines.append(
                    RoundLine(
                        info.number,
                        info.size,
                        info.cards_drawn,
                        measured["contest"],
                        assertion["name"],
                        float(assertion["p_value"]),
                        bool(assertion["met"]),
                        "confirmed" if measured["confirmed"] else "not confirmed",
                    )
                )
    by_sequence = {e.sequence: e for e in entries}
    found_discrepancies = []
    for card in sample:
        entry = by_sequence.get(card.sequence)
        if entry is None:
            continue
        paper = entry.votes if entry.found else None
        audited = AuditedCard(card.sequence, card.cvr, paper)
        for spec in specs.values():
            compared = spec.audit_type is AuditType.BALLOT_COMPARISON or (
                spec.audit_type is AuditType.HYBRID and card.cvr is not None
            )
            if not compared or card.position == 0:
                continue
            codes = (
                irv_card_codes(spec, audited)
                if spec.irv is not None
                else {
                    a.name: discrepancy_code(audited, a, spec.votes_allowed)
                    for a in spec.assertions()
                }
            )
            changed = {k: v for k, v in codes.items() if v != "0"}
            if not changed:
                continue
            worst = max(changed.values(), key=lambda c: list(EFFECTS).index(c))
            found_discrepancies.append(
                Discrepancy(
                    sequence=card.sequence,
                    county=card.county,
                    place=f"{card.tabulator or ''} {card.batch} #{card.position}".strip(),
                    contest=spec.name,
                    cvr=_votes_text(None if card.cvr is None else card.cvr.get(spec.name, [])),
                    paper=_votes_text(
                        None if paper is None else paper.get(spec.name, []), entry.found
                    ),
                    codes=changed,
                    effect=EFFECTS[worst],
                )
            )
    counted: set[tuple[str, str]] = set()
    for card in sample:
        entry = by_sequence.get(card.sequence)
        key = (card.county, card.batch)
        if card.position != 0 or entry is None or key in counted or not reported_batches:
            continue
        counted.add(key)
        for name, by_batch in reported_batches.items():
            reported = dict(by_batch.get(key, {}))
            counted_votes = entry.tallies.get(name, {}) if entry.found else None
            if counted_votes is not None and all(
                counted_votes.get(c, 0) == n for c, n in reported.items()
            ):
                continue
            found_discrepancies.append(
                Discrepancy(
                    sequence=card.sequence,
                    county=card.county,
                    place=f"{card.tabulator or ''} {card.batch} (whole batch)".strip(),
                    contest=name,
                    cvr=_tally_text(reported),
                    paper="batch not found"
                    if counted_votes is None
                    else _tally_text(counted_votes),
                    codes={"MACRO": "phantom" if counted_votes is None else "taint"},
                    effect="hand count differs from the reported tally: the batch's taint "
                    "weakens the evidence when it overstates the winners' margins"
                    if counted_votes is not None
                    else EFFECTS["phantom"],
                )
            )
    if audit.status == "complete":
        overall = "The audit is complete: " + "; ".join(f"{c.name} {c.conclusion}" for c in lines)
    else:
        overall = f"The audit is {audit.status}; no conclusion yet."
    return AuditReport(
        audit_id=audit.id,
        name=audit.name,
        status=audit.status,
        seed=audit.seed,
        counties=list(audit.counties),
        published_at=None if audit.published_at is None else audit.published_at.isoformat(),
        seed_entered_at=None
        if audit.seed_entered_at is None
        else audit.seed_entered_at.isoformat(),
        completed_at=None if audit.completed_at is None else audit.completed_at.isoformat(),
        contests=lines,
        rounds=round_lines,
        discrepancies=found_discrepancies,
        conclusion=overall,
        generated_at=datetime.now().astimezone().isoformat(timespec="seconds"),
    )


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("papertally.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
    )
    environment.filters["pct"] = lambda v: "" if v is None else f"{100 * v:.2f}%"
    environment.filters["risk"] = lambda v: "" if v is None else f"{v:.4f}"
    return environment


def render_audit_report_html(report: AuditReport) -> str:
    """Return the report as one self-contained HTML page."""
    template = _environment().get_template("audit_report.html.j2")
    return template.render(report=report, version=__version__)


def render_audit_report_pdf(report: AuditReport) -> bytes:
    """Return the report as PDF, rendered from the HTML by WeasyPrint."""
    import weasyprint

    pdf: bytes = weasyprint.HTML(string=render_audit_report_html(report)).write_pdf()
    return pdf


def audit_report_json(report: AuditReport) -> str:
    """Return the report as JSON (every field of :class:`AuditReport`)."""
    data: dict[str, Any] = asdict(report)
    return json.dumps(data, indent=1, ensure_ascii=False)


CSV_COLUMNS = (
    "round",
    "size",
    "cards_drawn",
    "contest",
    "assertion",
    "p_value",
    "met",
    "status",
)


def audit_report_csv(report: AuditReport) -> str:
    """Return one CSV row per round, contest and assertion (columns :data:`CSV_COLUMNS`)."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in report.rounds:
        writer.writerow(
            [
                line.round,
                line.size,
                line.cards_drawn,
                line.contest,
                line.assertion,
                "" if line.p_value is None else repr(line.p_value),
                "" if line.met is None else ("yes" if line.met else "no"),
                line.status,
            ]
        )
    return out.getvalue()
