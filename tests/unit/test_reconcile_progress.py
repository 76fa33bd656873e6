"""The live figures of a recount in progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from papertally.model import ContestCount, ReportingUnit
from papertally.model.recount import CountyStatus
from papertally.reconcile.paper import PaperRecords
from papertally.reconcile.progress import recount_progress

START = datetime(2016, 12, 1, 9, tzinfo=UTC)


def test_progress_adds_up_recounted_wards_and_flags_imbalance_and_pace() -> None:
    base = ContestCount(contest="P", name="original canvass")
    units = {}
    for county, ward, a, b in [("A", "1", 100, 90), ("A", "2", 50, 60), ("B", "1", 10, 20)]:
        unit = ReportingUnit.of(county, f"Ward {ward}")
        units[unit.id] = unit
        base.set_votes(unit.id, "X", a)
        base.set_votes(unit.id, "Y", b)
    progress = recount_progress(
        base,
        units,
        recounted={"A|Ward 1": {"X": 101, "Y": 89}, "B|Ward 1": {"X": 10, "Y": 22}},
        paper_records={"B|Ward 1": PaperRecords(poll_book_voters=40, ballots_counted=32)},
        counties={
            "A": (CountyStatus.IN_PROGRESS, START),
            "B": (CountyStatus.SUBMITTED, START),
        },
        choices=["X", "Y"],
        votes_allowed=1,
        now=START + timedelta(days=3),
        deadline=START + timedelta(days=4),
        started=START,
    )
    assert (progress.wards_total, progress.wards_recounted) == (3, 2)
    assert progress.votes_recounted == 190 + 32
    assert progress.net_change == {"X": 1, "Y": 1}
    assert progress.before.totals == {"X": 160, "Y": 170}
    assert progress.so_far.totals == {"X": 161, "Y": 171}
    assert [b.unit for b in progress.unbalanced] == ["B|Ward 1"]
    county_a, county_b = progress.counties
    assert county_a.net_change == {"X": 1, "Y": -1}
    assert county_b.unbalanced_wards == 1
    assert progress.counties_reporting == 2
    assert [c.county for c in progress.counties_behind] == ["A"]
