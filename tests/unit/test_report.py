"""The reconciliation report: self-contained HTML, the per-unit CSV, and writing files whole."""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from papertally.demo import generate_statewide_election
from papertally.errors import PapertallyError
from papertally.model import SCATTERING, Contest, ContestCount, Election, ReportingUnit
from papertally.reconcile import Reconciliation, reconcile_election
from papertally.report import (
    render_html_report,
    unit_difference_header,
    write_html_report,
    write_unit_differences_csv,
)


@pytest.fixture(scope="module")
def demo_rec() -> Reconciliation:
    """Return the reconciliation of a small synthetic state."""
    return reconcile_election(generate_statewide_election(5, counties=12, units=400))


def small_rec() -> Reconciliation:
    """Return a reconciliation with a changed unit and one unit only in each count."""
    election = Election("Spring <2031>")
    election.contests["Judge"] = Contest("Judge")
    old, new = ContestCount("Judge", "original canvass"), ContestCount("Judge", "recount")
    for county, ward in (("Adams", "Ward 1"), ("Adams", "Ward 2"), ("Brown", "Ward 1")):
        election.add_unit(ReportingUnit.of(county, ward, municipality="TOWN OF X"))
    for count, rows in (
        (old, {"Adams|Ward 1": (10, 8, 0), "Adams|Ward 2": (5, 5, 0)}),
        (new, {"Adams|Ward 1": (11, 8, 1), "Brown|Ward 1": (3, 4, 0)}),
    ):
        for uid, (a, b, s) in rows.items():
            count.set_votes(uid, "Ann <A>", a)
            count.set_votes(uid, "Bo", b)
            count.set_votes(uid, SCATTERING, s)
    election.counts += [old, new]
    return reconcile_election(election)


def test_html_is_self_contained_and_tells_the_story(demo_rec: Reconciliation) -> None:
    html = render_html_report(
        demo_rec,
        election_name="Demo",
        sources=["demo.xlsx"],
        generated_at=datetime(2031, 4, 20, 9, 30, tzinfo=UTC),
    )
    assert html.count("<svg") == 2
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # no external assets
    assert "<link" not in html and "<script" not in html
    assert "The outcome stands." in html
    assert f"{demo_rec.before.margin:,}" in html and f"{demo_rec.after.margin:,}" in html
    assert "Prepared 2031-04-20 09:30 UTC" in html and "demo.xlsx" in html
    for county in demo_rec.counties:
        assert county.county in html
    for unit in demo_rec.flagged_units:
        assert unit.unit.name in html


def test_html_escapes_names_and_lists_one_sided_units(tmp_path: Path) -> None:
    rec = small_rec()
    path = write_html_report(rec, tmp_path / "out" / "report.html")
    html = path.read_text(encoding="utf-8")
    assert "Ann &lt;A&gt;" in html and "Ann <A>" not in html
    assert "Units in only one count" in html
    assert not list(path.parent.glob(".*.tmp"))


def test_html_says_when_the_outcome_changed() -> None:
    election = Election("flip")
    election.contests["J"] = Contest("J")
    for name, (a, b) in (("original canvass", (10, 9)), ("recount", (9, 10))):
        count = ContestCount("J", name)
        count.set_votes("X|1", "A", a)
        count.set_votes("X|1", "B", b)
        election.counts.append(count)
    assert "The outcome changed." in render_html_report(reconcile_election(election))


def test_csv_has_a_row_per_unit_with_before_after_and_change(tmp_path: Path) -> None:
    rec = small_rec()
    path = write_unit_differences_csv(rec, tmp_path / "diff.csv")
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == unit_difference_header(rec)
    assert [r["present"] for r in rows] == ["both", "before only", "after only"]
    first = rows[0]
    assert (first["before:Ann <A>"], first["after:Ann <A>"], first["change:Ann <A>"]) == (
        "10",
        "11",
        "1",
    )
    assert first["votes_changed"] == "2" and first["margin_change"] == "1"
    assert first["flagged"] == "yes"  # 2 of 18 votes is over the 5 % share
    assert rows[1]["unit_id"] == "Adams|Ward 2" and rows[1]["votes_changed"] == ""
    assert rows[2]["county"] == "Brown" and rows[2]["municipality"] == "TOWN OF X"


def test_an_unwritable_place_is_a_user_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(PapertallyError, match="cannot write"):
        write_unit_differences_csv(small_rec(), blocker / "diff.csv")
