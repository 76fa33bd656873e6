"""Where a recount stands while it runs: wards recounted, votes, net change so far, balance, pace.

The live dashboard of the state board shows, per county and statewide, how many wards have
been recounted, the votes recounted, the net change per choice against the original canvass
in the wards recounted so far, the wards whose paper records do not balance
(:mod:`papertally.reconcile.paper`), and whether each county will finish by the deadline at
its present pace (:func:`papertally.model.recount.project_pace`). The standing "so far" is the
original canvass with every recounted ward replaced by its recount. Pure code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from papertally.model import ContestCount, ReportingUnit
from papertally.model.recount import CountyStatus, Pace, project_pace
from papertally.reconcile.compare import Standing, standing_of
from papertally.reconcile.paper import PaperRecords, WardBalance, reconcile_paper_records
from papertally.types import ChoiceName, CountyName, ReportingUnitId


@dataclass(frozen=True)
class CountyFigures:
    """One county's recount so far."""

    county: CountyName
    status: CountyStatus
    wards_total: int
    wards_recounted: int
    votes_recounted: int
    net_change: Mapping[ChoiceName, int]
    unbalanced_wards: int
    pace: Pace


@dataclass(frozen=True)
class RecountProgress:
    """The statewide recount so far."""

    counties: tuple[CountyFigures, ...]
    wards_total: int
    wards_recounted: int
    votes_recounted: int
    net_change: Mapping[ChoiceName, int]
    before: Standing
    """The original canvass."""
    so_far: Standing
    """The original canvass with every recounted ward replaced by its recount."""
    unbalanced: tuple[WardBalance, ...]
    """Wards whose paper records do not balance, largest imbalance first."""

    @property
    def counties_reporting(self) -> int:
        """Return how many counties have recounted at least one ward."""
        return sum(1 for c in self.counties if c.wards_recounted)

    @property
    def counties_behind(self) -> tuple[CountyFigures, ...]:
        """Return the counties that will miss the deadline at their present pace."""
        return tuple(c for c in self.counties if c.pace.will_miss_deadline)


def recount_progress(
    base: ContestCount,
    units: Mapping[ReportingUnitId, ReportingUnit],
    recounted: Mapping[ReportingUnitId, Mapping[ChoiceName, int]],
    paper_records: Mapping[ReportingUnitId, PaperRecords],
    counties: Mapping[CountyName, tuple[CountyStatus, datetime | None]],
    *,
    choices: Sequence[ChoiceName],
    votes_allowed: int,
    now: datetime,
    deadline: datetime,
    started: datetime,
) -> RecountProgress:
    """Add up the recount so far from the wards' summed tally sheets and paper records.

    ``recounted`` maps each ward recounted so far to its recount votes (its current tally
    sheets summed); ``counties`` gives each county's status and when it started (None: not yet,
    then the recount's own start ``started`` is used for its pace).
    """
    wards_by_county: dict[CountyName, list[ReportingUnitId]] = {c: [] for c in counties}
    for uid in base.units:
        county = units[uid].county if uid in units else uid.partition("|")[0]
        wards_by_county.setdefault(county, []).append(uid)

    before_totals = base.totals()
    so_far_totals = dict(before_totals)
    net_total: dict[ChoiceName, int] = dict.fromkeys(choices, 0)
    balances: list[WardBalance] = []
    figures: list[CountyFigures] = []
    for county, wards in wards_by_county.items():
        status, county_started = counties.get(county, (CountyStatus.NOT_STARTED, None))
        net: dict[ChoiceName, int] = dict.fromkeys(choices, 0)
        done = votes = unbalanced = 0
        for uid in wards:
            records = paper_records.get(uid)
            recount_votes = recounted.get(uid)
            if recount_votes is not None:
                done += 1
                votes += sum(recount_votes.values())
                original = base.units[uid].votes
                for choice in set(original) | set(recount_votes):
                    delta = recount_votes.get(choice, 0) - original.get(choice, 0)
                    net[choice] = net.get(choice, 0) + delta
                    so_far_totals[choice] = so_far_totals.get(choice, 0) + delta
            if records is not None:
                balance = reconcile_paper_records(
                    uid, county, records, recount_votes or {}, votes_allowed=votes_allowed
                )
                if not balance.balanced:
                    unbalanced += 1
                    balances.append(balance)
        for choice, delta in net.items():
            net_total[choice] = net_total.get(choice, 0) + delta
        pace = project_pace(
            county,
            wards_total=len(wards),
            wards_done=done,
            started=county_started or started,
            now=now,
            deadline=deadline,
        )
        figures.append(
            CountyFigures(county, status, len(wards), done, votes, net, unbalanced, pace)
        )
    balances.sort(key=lambda b: b.largest_imbalance, reverse=True)
    return RecountProgress(
        counties=tuple(figures),
        wards_total=sum(f.wards_total for f in figures),
        wards_recounted=sum(f.wards_recounted for f in figures),
        votes_recounted=sum(f.votes_recounted for f in figures),
        net_change=net_total,
        before=standing_of(before_totals, choices, votes_allowed),
        so_far=standing_of(so_far_totals, choices, votes_allowed),
        unbalanced=tuple(balances),
    )
