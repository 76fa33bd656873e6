"""The recount's use-cases over the store: import a canvass, read a recount, its figures so far.

Shared by the web app (:mod:`papertally.web.service`) and any other door: each reads the store
afresh (no state in process memory), so several app processes over one PostgreSQL database see
the same recount. The figures are those of :func:`papertally.reconcile.progress.recount_progress`
over the wards' current tally sheets; the law engine's findings are those of
:func:`papertally.law.assess_recount`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from papertally.errors import PapertallyError
from papertally.model import Contest, ContestCount, Election, ImportResult
from papertally.model.recount import sheet_warnings, ward_totals_from_sheets
from papertally.reconcile.progress import RecountProgress, recount_progress
from papertally.store import Store
from papertally.store.engine import writing
from papertally.store.recounts import Recount, RecountStore
from papertally.store.writer import log_import, save_import
from papertally.types import ChoiceName, ElectionId, ReportingUnitId


@dataclass(frozen=True)
class RecountView:
    """A recount with the contest it recounts and its base count (the original canvass)."""

    recount: Recount
    election: Election
    contest: Contest
    base: ContestCount

    @property
    def choices(self) -> list[ChoiceName]:
        """Return the contest's choices in ballot order, as found in the base count."""
        names = self.contest.choice_names()
        for tally in self.base.units.values():
            for choice in tally.votes:
                if choice not in names:
                    names.append(choice)
        return names


def import_canvass(
    engine: Engine,
    result: ImportResult,
    *,
    actor: str,
    name: str | None,
    digests: Mapping[str, str],
) -> ElectionId:
    """Save an import and log it, in one transaction."""
    with writing(engine) as connection:
        election_id = save_import(
            connection,
            result,
            election_name=name,
            into=None,
            file_digests=digests,
            now=datetime.now(UTC),
        )
        log_import(connection, result, election_id, actor=actor, file_digests=digests)
    return election_id


def recount_view(
    store: Store,
    recounts: RecountStore,
    recount_id: int,
    *,
    load_election: Callable[[ElectionId], Election] | None = None,
) -> RecountView:
    """Return recount ``recount_id`` with its election, contest and base count.

    ``load_election`` reads the election (default: :meth:`Store.load_election`); the web app
    passes its validated cache, since every page of a recount needs the same canvass.
    """
    recount = recounts.recount(recount_id)
    election = (load_election or store.load_election)(recount.election_id)
    contest = election.contest(recount.contest)
    return RecountView(recount, election, contest, election.count(contest.name, recount.base_count))


def progress(
    recounts: RecountStore, view: RecountView, *, county: str | None = None
) -> RecountProgress:
    """Return the recount's figures so far, statewide or for one county, over settled sheets
    (:meth:`RecountStore.settled_sheets`: no first entry awaiting its blind second one)."""
    recount_id = view.recount.id
    sheets = recounts.settled_sheets(recount_id, county=county)
    recounted = ward_totals_from_sheets(s.as_sheet() for s in sheets)
    records = {r.unit: r.records for r in recounts.paper_records(recount_id, county=county)}
    counties = {
        c.county: (c.status, c.started_at)
        for c in recounts.counties(recount_id)
        if county is None or c.county == county
    }
    base = view.base
    if county is not None:
        base = ContestCount(
            base.contest,
            base.name,
            base.status,
            base.count_item_type,
            {
                uid: tally
                for uid, tally in base.units.items()
                if view.election.units[uid].county == county
            },
        )
    return recount_progress(
        base,
        view.election.units,
        recounted,
        records,
        counties,
        choices=view.choices,
        votes_allowed=view.contest.votes_allowed,
        now=datetime.now(UTC),
        deadline=view.recount.deadline,
        started=view.recount.opened_at,
    )


def recount_count(recounts: RecountStore, view: RecountView) -> ContestCount:
    """Return the recount as a count: every ward's settled sheets summed (under double entry a
    ward counts once each of its sheets has a matching second entry)."""
    sheets = recounts.settled_sheets(view.recount.id)
    totals = ward_totals_from_sheets(s.as_sheet() for s in sheets)
    count = ContestCount(view.contest.name, "recount")
    for uid, votes in totals.items():
        for choice, n in votes.items():
            count.set_votes(uid, choice, n)
    return count


def entry_warnings(
    recounts: RecountStore,
    view: RecountView,
    unit: ReportingUnitId,
    label: str,
    votes: Mapping[ChoiceName, int],
    *,
    sheet_ballots: int | None,
    actor: str,
) -> list[str]:
    """Return what the writer of a tally sheet confirms before it is saved
    (:func:`papertally.model.recount.sheet_warnings`), the same for the form and the API.

    The ward's other sheets count only where the writer may see them: under double entry a
    first entry of someone else awaiting its blind second one is left out, since the warning
    names the ward's total.
    """
    recount_id = view.recount.id
    others = [s for s in recounts.sheets(recount_id, unit=unit) if s.label != label]
    if recounts.settings(recount_id).double_entry:
        checks = recounts.checks(recount_id, unit=unit)
        others = [
            s
            for s in others
            if s.entered_by == actor or any(c.matched for c in checks.get(s.id, ()))
        ]
    county = view.election.units[unit].county
    records = next(
        (r.records for r in recounts.paper_records(recount_id, county=county) if r.unit == unit),
        None,
    )
    return sheet_warnings(
        votes,
        votes_allowed=view.contest.votes_allowed,
        sheet_ballots=sheet_ballots,
        ward_ballots=None if records is None else records.ballots_counted,
        other_sheets_votes=sum(sum(s.votes.values()) for s in others),
    )


def missing_wards(recounts: RecountStore, recount_id: int, county: str) -> list[ReportingUnitId]:
    """Return the county's wards that have no tally sheet yet."""
    done = {s.unit for s in recounts.sheets(recount_id, county=county)}
    return [u for u, _, _ in recounts.ward_units(recount_id, county) if u not in done]


def law_findings(
    election: Election, contest: Contest, base: ContestCount, office: str | None
) -> dict[str, Any] | None:
    """Return the law engine's findings for a recount of ``contest``, to keep with the recount.

    Needs the election's state and date and the kind of office; where the rules cannot answer
    (no rule in force on that date, say) the reason is kept instead, so nobody is misled.
    """
    if not office or not election.state or not election.date:
        return None
    from papertally.law import ContestResults, assess_recount

    try:
        assessment = assess_recount(
            ContestResults.from_count(contest, base), election.state, election.date, office
        )
    except PapertallyError as error:
        return {"lines": [f"The recount law could not be applied: {error}"]}
    lines = [f"{f.topic}: {f.conclusion} ({f.why})" for f in assessment.findings]
    lines.append(f"Rule: {assessment.citation} [{assessment.rule_range}]")
    lines += [f"Uncertain: {u}" for u in assessment.uncertain]
    return {"lines": lines, "tier": str(assessment.tier), "rule": assessment.rule_id}


def findings_summary(findings: Mapping[str, Any] | None) -> list[str]:
    """Return the law engine's findings as lines of text for the recount page."""
    if not findings:
        return []
    lines = findings.get("lines")
    if isinstance(lines, list):
        return [str(line) for line in lines]
    return [f"{key}: {value}" for key, value in findings.items()]
