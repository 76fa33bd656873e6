"""80-column output (issue 11): no table cell wraps over more than two lines at the terminal's
width; ``--wide`` shows every column in full; ``log export`` prints the whole head hash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.table import Table
from typer.testing import CliRunner

from papertally.cli import common
from papertally.cli.main import app
from papertally.model import Choice, Contest, ContestCount, Election, ImportResult, ReportingUnit
from papertally.store import Store

runner = CliRunner()
WI_2011 = "wi/2011-04-05_supreme-court_original-and-recount_ward.xls"


@pytest.fixture(autouse=True)
def eighty_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common.console, "width", 80)


def _row_heights(output: str) -> list[int]:
    """Return how many lines each body row of every table takes (its first cell starts it)."""
    heights: list[int] = []
    in_body = False
    for line in output.splitlines():
        if line.startswith(("┡", "├")):
            in_body = True
        elif line.startswith(("└", "┏", "┌")):
            in_body = False
        elif in_body and line.startswith("│"):
            first = line[1:].split("│", 1)[0]
            if first.strip():
                heights.append(1)
            else:
                heights[-1] += 1
    return heights


def test_reconcile_tables_fit_80_columns_two_lines_a_cell(shared_data: Path) -> None:
    result = runner.invoke(app, ["reconcile", str(shared_data / WI_2011)])
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    heights = _row_heights(result.output)
    assert len(heights) == 4 + 10 and max(heights) <= 2, result.output
    assert "Votes moved" in result.output and "--wide" in result.output


def test_reconcile_wide_shows_every_choice_unwrapped(shared_data: Path) -> None:
    result = runner.invoke(app, ["reconcile", str(shared_data / WI_2011), "--wide", "--top", "3"])
    assert result.exit_code == 0, result.output
    assert "JOANNE F. KLOPPENBURG" in result.output
    assert "VILLAGE OF SUSSEX WARDS 3, 10, 11, 14, 16, 17, 21, 22 ⚑" in result.output
    assert max(_row_heights(result.output)) == 1


def test_a_long_name_is_shortened_to_two_lines() -> None:
    table = Table("County", "Reporting unit", "Votes")
    name = "VILLAGE OF " + ", ".join(f"WARD {n}" for n in range(1, 80))
    table.add_row("WAUKESHA", name, "1,234")
    table.add_row("DANE", "CITY OF MADISON Ward 1", "5")
    with common.console.capture() as captured:
        common.print_table(table, flexible=1)
    output = captured.get()
    assert _row_heights(output) == [2, 1], output
    assert "…" in output and "CITY OF MADISON Ward 1" in output
    assert max(len(line) for line in output.splitlines()) <= 80


def test_elections_list_fits_80_columns(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    election = Election("A very long election name " * 6)
    election.contests["C"] = Contest("C", choices=[Choice("X")])
    count = ContestCount("C", "original canvass")
    count.set_votes(election.add_unit(ReportingUnit.of("A", "1")).id, "X", 5)
    election.counts.append(count)
    store = Store(db)
    store.migrate()
    store.save_import(ImportResult(election))
    result = runner.invoke(app, ["elections", "--db", db])
    assert result.exit_code == 0, result.output
    assert _row_heights(result.output) == [2], result.output


def test_log_export_prints_the_whole_head_hash(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    added = runner.invoke(
        app,
        ["user", "add", "admin", "--role", "administrator", "--password", "a long password",
         "--db", db],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    exported = tmp_path / "log.json"
    result = runner.invoke(app, ["log", "export", str(exported), "--db", db])
    assert result.exit_code == 0, result.output
    head = json.loads(exported.read_text())["head_hash"]
    assert f"head hash: {head}" in result.output.splitlines()
