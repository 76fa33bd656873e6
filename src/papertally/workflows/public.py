"""The public results site's content: what voters and reporters may see of recounts and audits.

Shared by the web app's public pages, their CSV and JSON downloads and the page-speed bench.
Only published information leaves here:

* a recount's statewide and county figures so far (canvass beside recount and the change), as
  the results page always showed them; a ward's recount figures once the state board has
  accepted its county's recount (or certified the whole), so a tally still under the county's
  own review is never shown ward by ward;
* an audit once its files' hashes are published (Lindeman & Stark 2012, "A gentle introduction
  to risk-limiting audits", section 4: commit to the data before the seed): contests, risk
  limits, the files' SHA-256, each round's size and measured risk, the counties' progress as
  counts, and the discrepancies of closed rounds. The seed and the sampled cards are published
  with the result, once the audit is complete, so nobody outside the audit boards knows which
  ballots are wanted while they are being retrieved; the export for ``papertally verify`` then
  withholds the CVR files (ballot secrecy; their hashes stay, see
  :mod:`papertally.io.audit_export`).

Shapes follow what election-night sites show (Clarity/Enhanced Voting): per choice the votes and
share of each count, the margin, a county table sorted by the change, drill-down to wards.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from papertally.audit.sampling import natural_key
from papertally.model.recount import CountyStatus, ward_totals_from_sheets
from papertally.reconcile.compare import Standing
from papertally.reconcile.progress import RecountProgress
from papertally.report.audit_report import ContestLine, Discrepancy
from papertally.store.audits import AuditStore
from papertally.store.recounts import CountyProgress, RecountStore
from papertally.types import ChoiceName, CountyName
from papertally.workflows.audit import audit_report
from papertally.workflows.recount import RecountView

PUBLISHED_COUNTY = CountyStatus.ACCEPTED
"""A county's wards are shown one by one once the state board has accepted its recount."""
PUBLIC_AUDIT_STATUSES = frozenset({"published", "in progress", "complete"})
"""An audit in ``setup`` has published nothing, not even that it exists."""


def share(votes: int, total: int) -> float:
    """Return ``votes`` as a fraction of ``total`` (0 for an empty count)."""
    return votes / total if total > 0 else 0.0


def margin_pair(standing: Standing) -> tuple[ChoiceName, ChoiceName] | None:
    """Return the last winner and the first loser of ``standing`` (whose lead is the margin)."""
    if not standing.winners:
        return None
    losers = [c for c in standing.totals if c not in standing.winners and c != "Scattering"]
    if not losers:
        return None
    runner_up = max(losers, key=lambda c: standing.totals[c])
    return standing.winners[-1], runner_up


def _lead(votes: Mapping[ChoiceName, int], pair: tuple[ChoiceName, ChoiceName] | None) -> int:
    return 0 if pair is None else votes.get(pair[0], 0) - votes.get(pair[1], 0)


@dataclass(frozen=True)
class ChoiceLine:
    """One choice: its votes and share in the canvass and in the recount, and the change."""

    choice: ChoiceName
    canvass: int
    canvass_share: float
    recount: int
    recount_share: float
    change: int


def choice_lines(
    choices: Sequence[ChoiceName], before: Mapping[ChoiceName, int], after: Mapping[ChoiceName, int]
) -> list[ChoiceLine]:
    """Return one line per choice, in ballot order, with shares of each count's total votes."""
    total_before, total_after = sum(before.values()), sum(after.values())
    return [
        ChoiceLine(
            c,
            before.get(c, 0),
            share(before.get(c, 0), total_before),
            after.get(c, 0),
            share(after.get(c, 0), total_after),
            after.get(c, 0) - before.get(c, 0),
        )
        for c in choices
    ]


@dataclass(frozen=True)
class CountyLine:
    """One county of a recount: how far it is and what changed there."""

    id: int
    """The county's row id in the recount (what paths name)."""
    county: CountyName
    status: str
    wards_total: int
    wards_recounted: int
    canvass: dict[ChoiceName, int]
    """The county's original canvass per choice."""
    recount: dict[ChoiceName, int]
    """The canvass with every ward recounted so far replaced by its recount."""
    net_change: dict[ChoiceName, int]
    votes_changed: int
    """Votes gained plus votes lost, over every choice."""
    margin_change: int
    """Change of the original margin (last winner over first loser) in this county."""
    wards_published: bool


@dataclass(frozen=True)
class PublicRecount:
    """A recount as the public sees it."""

    id: int
    contest: str
    election: str
    status: str
    opened_at: datetime
    deadline: datetime
    certified_at: datetime | None
    last_updated: datetime | None
    time_zone: str
    """The zone times are shown in (the recount's, from the state's law rules)."""
    wards_total: int
    wards_recounted: int
    counties_total: int
    counties_reporting: int
    choices: list[ChoiceLine]
    total_canvass: int
    total_recount: int
    winners_canvass: list[ChoiceName]
    winners_recount: list[ChoiceName]
    tied_recount: bool
    margin_canvass: int
    margin_recount: int
    margin_pair: list[ChoiceName] | None
    outcome_changed: bool
    counties: list[CountyLine]
    """Sorted by the change: largest margin change first, then most votes changed."""

    @property
    def certified(self) -> bool:
        """Return True once the statewide result is certified."""
        return self.status == "certified"


def by_change(line: CountyLine) -> tuple[int, int, tuple[tuple[int, int, str], ...]]:
    """Sort key of the county table: largest change of the margin first, then votes changed."""
    return (-abs(line.margin_change), -line.votes_changed, natural_key(line.county))


def county_canvass(view: RecountView) -> dict[CountyName, dict[ChoiceName, int]]:
    """Return each county's original canvass per choice (every choice, in ballot order)."""
    choices = view.choices
    totals: dict[CountyName, dict[ChoiceName, int]] = {}
    for uid, tally in view.base.units.items():
        county = totals.setdefault(view.election.units[uid].county, dict.fromkeys(choices, 0))
        for choice, votes in tally.votes.items():
            county[choice] = county.get(choice, 0) + votes
    return totals


def public_recount(
    view: RecountView,
    progress: RecountProgress,
    counties: Sequence[CountyProgress],
    last_updated: datetime | None,
    time_zone: str = "UTC",
) -> PublicRecount:
    """Return the public summary of a recount from its figures so far."""
    pair = margin_pair(progress.before)
    canvass = county_canvass(view)
    ids = {c.county: c for c in counties}
    certified = view.recount.status == "certified"
    lines = []
    for figures in progress.counties:
        part = ids.get(figures.county)
        if part is None:
            continue
        net = dict(figures.net_change)
        county_before = canvass.get(figures.county, {})
        lines.append(
            CountyLine(
                id=part.id,
                county=figures.county,
                status=figures.status.value,
                wards_total=figures.wards_total,
                wards_recounted=figures.wards_recounted,
                canvass=county_before,
                recount={c: n + net.get(c, 0) for c, n in county_before.items()},
                net_change=net,
                votes_changed=sum(abs(v) for v in net.values()),
                margin_change=_lead(net, pair),
                wards_published=certified or part.status is PUBLISHED_COUNTY,
            )
        )
    lines.sort(key=by_change)
    before, after = progress.before, progress.so_far
    return PublicRecount(
        id=view.recount.id,
        contest=view.contest.name,
        election=view.election.name,
        status=view.recount.status,
        opened_at=view.recount.opened_at,
        deadline=view.recount.deadline,
        certified_at=view.recount.certified_at,
        last_updated=last_updated,
        time_zone=time_zone,
        wards_total=progress.wards_total,
        wards_recounted=progress.wards_recounted,
        counties_total=len(progress.counties),
        counties_reporting=progress.counties_reporting,
        choices=choice_lines(view.choices, before.totals, after.totals),
        total_canvass=before.total_votes,
        total_recount=after.total_votes,
        winners_canvass=list(before.winners),
        winners_recount=list(after.winners),
        tied_recount=after.tied,
        margin_canvass=before.margin,
        margin_recount=after.margin,
        margin_pair=None if pair is None else list(pair),
        outcome_changed=set(before.winners) != set(after.winners) or before.tied != after.tied,
        counties=lines,
    )


@dataclass(frozen=True)
class WardLine:
    """One ward: its canvass, and its recount once published (None until then or if not yet
    recounted)."""

    name: str
    county: CountyName
    canvass: dict[ChoiceName, int]
    recount: dict[ChoiceName, int] | None
    change: dict[ChoiceName, int] | None


def public_wards(
    recounts: RecountStore,
    view: RecountView,
    counties: Sequence[CountyLine],
) -> list[WardLine]:
    """Return the wards of ``counties`` in natural order (Ward 2 before Ward 10), county by
    county, with recount figures only for counties whose wards are published."""
    wanted = {c.county: c for c in counties}
    published = [c.county for c in counties if c.wards_published]
    recounted: dict[str, dict[ChoiceName, int]] = {}
    if len(published) == 1:
        sheets = recounts.sheets(view.recount.id, county=published[0])
        recounted = ward_totals_from_sheets(s.as_sheet() for s in sheets)
    elif published:
        sheets = recounts.sheets(view.recount.id)
        recounted = ward_totals_from_sheets(s.as_sheet() for s in sheets if s.county in published)
    units = view.election.units
    choices = view.choices  # a property that walks every ward: read it once
    wards = []
    for uid, tally in view.base.units.items():
        unit = units[uid]
        if unit.county not in wanted:
            continue
        votes = recounted.get(uid)
        canvass = {c: tally.votes.get(c, 0) for c in choices}
        after = None if votes is None else {c: votes.get(c, 0) for c in choices}
        wards.append(
            WardLine(
                name=unit.name,
                county=unit.county,
                canvass=canvass,
                recount=after,
                change=None if after is None else {c: after[c] - canvass[c] for c in choices},
            )
        )
    wards.sort(key=lambda w: (natural_key(w.county), natural_key(w.name)))
    return wards


def recount_json(recount: PublicRecount, wards: Sequence[WardLine]) -> dict[str, Any]:
    """Return the whole public recount as plain JSON data (the JSON download)."""
    data = asdict(recount)
    for key in ("opened_at", "deadline", "certified_at", "last_updated"):
        moment = data[key]
        data[key] = None if moment is None else moment.isoformat()
    data["wards"] = [asdict(w) for w in wards]
    data["ward_figures"] = (
        "a ward's recount is shown once the state has accepted its county's recount"
    )
    return data


# -- audits --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicFile:
    """A county's file of an audit, as published before the seed: its name and SHA-256."""

    county: CountyName
    kind: str
    contest: str | None
    filename: str
    sha256: str
    size: int


@dataclass(frozen=True)
class PublicRound:
    """One round: how many cards it drew, and the risk measured once it closed."""

    number: int
    size: int
    cards_drawn: int
    started_at: datetime
    closed_at: datetime | None
    risks: dict[str, float]
    """Contest → risk measured after this round (empty while the round is open)."""
    confirmed: dict[str, bool]


@dataclass(frozen=True)
class CountyAuditProgress:
    """A county's part of the open round: cards drawn and cards read so far."""

    county: CountyName
    cards: int
    recorded: int


@dataclass(frozen=True)
class PublicAudit:
    """An audit as the public sees it."""

    id: int
    name: str
    status: str
    counties: list[CountyName]
    published_at: datetime | None
    seed_entered_at: datetime | None
    completed_at: datetime | None
    last_updated: datetime | None
    time_zone: str
    """The zone times are shown in (the audit's)."""
    seed: str | None
    """Published with the result (None until the audit is complete)."""
    contests: list[ContestLine]
    files: list[PublicFile]
    rounds: list[PublicRound]
    progress: list[CountyAuditProgress]
    cards_drawn: int
    cards_recorded: int
    discrepancies: list[Discrepancy]
    """Of closed rounds only."""
    conclusion: str

    @property
    def complete(self) -> bool:
        """Return True once the audit has its result (seed, sample and export published)."""
        return self.status == "complete"


def is_public_audit(status: str) -> bool:
    """Return True when an audit with ``status`` has published anything."""
    return status in PUBLIC_AUDIT_STATUSES


def public_audit(audits: AuditStore, audit_id: int, last_updated: datetime | None) -> PublicAudit:
    """Return the public view of audit ``audit_id`` (published, in progress or complete)."""
    audit = audits.audit(audit_id)
    report = audit_report(audits, audit_id)
    rounds = audits.rounds(audit_id)
    sample = audits.sample(audit_id)
    entered = {e.sequence for e in audits.entries(audit_id)}
    closed = {r.number for r in rounds if r.closed_at is not None}
    round_of = {c.sequence: c.round_number for c in sample}
    open_round = rounds[-1].number if rounds and rounds[-1].closed_at is None else None
    progress = []
    for county in audit.counties:
        mine = [c for c in sample if c.county == county and c.round_number == open_round]
        progress.append(
            CountyAuditProgress(county, len(mine), sum(c.sequence in entered for c in mine))
        )
    public_rounds = []
    for info in rounds:
        measured = (info.measurement or {}).get("contests", [])
        public_rounds.append(
            PublicRound(
                number=info.number,
                size=info.size,
                cards_drawn=info.cards_drawn,
                started_at=info.started_at,
                closed_at=info.closed_at,
                risks={m["contest"]: float(m["risk"]) for m in measured},
                confirmed={m["contest"]: bool(m["confirmed"]) for m in measured},
            )
        )
    complete = audit.status == "complete"
    return PublicAudit(
        id=audit.id,
        name=audit.name,
        status=audit.status,
        counties=list(audit.counties),
        published_at=audit.published_at,
        seed_entered_at=audit.seed_entered_at,
        completed_at=audit.completed_at,
        last_updated=last_updated,
        time_zone=audits.settings(audit_id).time_zone,
        seed=audit.seed if complete else None,
        contests=report.contests,
        files=[
            PublicFile(f.county, f.kind, f.contest, f.filename, f.sha256, f.size)
            for f in audits.files(audit_id)
        ],
        rounds=public_rounds,
        progress=progress,
        cards_drawn=len(sample),
        cards_recorded=sum(c.sequence in entered for c in sample),
        discrepancies=[
            d for d in report.discrepancies if complete or round_of.get(d.sequence) in closed
        ],
        conclusion=report.conclusion,
    )


def audit_json(audit: PublicAudit) -> dict[str, Any]:
    """Return the public audit as plain JSON data (the JSON download)."""
    data = asdict(audit)
    for key in ("published_at", "seed_entered_at", "completed_at", "last_updated"):
        moment = data[key]
        data[key] = None if moment is None else moment.isoformat()
    for line in data["rounds"]:
        for key in ("started_at", "closed_at"):
            line[key] = None if line[key] is None else line[key].isoformat()
    data["export"] = (
        f"/public/audits/{audit.id}/export.zip"
        if audit.complete
        else "published with the result, once the audit is complete"
    )
    return data
