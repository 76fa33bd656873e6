"""The HTML reconciliation report says why two forced files may not be comparable."""

from __future__ import annotations

from datetime import date

from papertally.model import Contest, ContestCount, Election, ReportingUnit
from papertally.reconcile import reconcile_election, reconcile_elections
from papertally.report import render_html_report


def one_file(day: date, wards: tuple[str, ...], count_name: str) -> Election:
    """Return a one-contest election of ``wards`` (Ann 10, Bo 8 each) held on ``day``."""
    election = Election(f"Spring {day.year}", date=day)
    election.contests["Judge"] = Contest("Judge")
    count = ContestCount("Judge", count_name)
    for ward in wards:
        uid = election.add_unit(ReportingUnit.of("Adams", ward)).id
        count.set_votes(uid, "Ann", 10)
        count.set_votes(uid, "Bo", 8)
    election.counts.append(count)
    return election


def test_forced_comparison_shows_each_reason_in_the_html() -> None:
    before = one_file(date(2016, 11, 8), ("Ward 1", "Ward 2", "Ward 3"), "original canvass")
    after = one_file(date(2020, 11, 3), ("Ward 1", "Ward 7", "Ward 8"), "recount")
    rec = reconcile_elections(before, after, force=True)
    assert len(rec.warnings) == 2
    html = render_html_report(rec)
    assert "Not comparable" in html and "--force" in html
    for warning in rec.warnings:
        assert warning.replace("'", "&#39;") in html
    assert "2016-11-08 and 2020-11-03" in html
    assert "only 1 of 5 reporting units are in both files" in html


def test_comparable_counts_have_no_warning_block() -> None:
    election = one_file(date(2016, 11, 8), ("Ward 1", "Ward 2"), "original canvass")
    recount = ContestCount("Judge", "recount")
    for uid in election.units:
        recount.set_votes(uid, "Ann", 11)
        recount.set_votes(uid, "Bo", 8)
    election.counts.append(recount)
    html = render_html_report(reconcile_election(election))
    assert "Not comparable" not in html
