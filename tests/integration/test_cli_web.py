"""The recount app's commands: adding a user, verifying and exporting the activity log."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from papertally.cli.main import app
from papertally.model import Choice, Contest, ContestCount, Election, ImportResult, ReportingUnit
from papertally.store import Store
from papertally.store.engine import writing
from papertally.store.recounts import RecountStore

runner = CliRunner()


def test_log_verify_detects_a_tally_altered_directly_in_the_database(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    added = runner.invoke(
        app,
        [
            "user",
            "add",
            "admin",
            "--role",
            "administrator",
            "--password",
            "a long password",
            "--db",
            db,
        ],
    )
    assert added.exit_code == 0, added.output
    store = Store(db)
    election = Election("E")
    election.contests["C"] = Contest("C", choices=[Choice("X")])
    count = ContestCount("C", "original canvass")
    count.set_votes(election.add_unit(ReportingUnit.of("A", "1")).id, "X", 5)
    election.counts.append(count)
    store.save_import(ImportResult(election))
    recounts = RecountStore(store.engine)
    recount = recounts.open_recount(
        election_id=1,
        contest="C",
        units={"A|1": "A"},
        reason="test",
        deadline=datetime(2099, 1, 1, tzinfo=UTC),
        actor="admin",
    )
    recounts.enter_tally_sheet(recount, "A|1", "t", {"X": 5}, expected_version=0, actor="admin")

    clean = runner.invoke(app, ["log", "verify", "--db", db, "--json"])
    assert clean.exit_code == 0, clean.output
    verified = json.loads(clean.output)
    assert verified["intact"] and verified["entries_checked"] == 5

    exported = tmp_path / "log.json"
    assert runner.invoke(app, ["log", "export", str(exported), "--db", db]).exit_code == 0
    head = json.loads(exported.read_text())["head_hash"]
    anchored = runner.invoke(app, ["log", "verify", "--db", db, "--head", head, "--json"])
    assert json.loads(anchored.output)["head_hash"] == head

    with writing(store.engine) as connection:
        connection.execute(text("UPDATE tally_sheets SET votes = :v"), {"v": '{"X":50}'})
    tampered = runner.invoke(app, ["log", "verify", "--db", db])
    assert tampered.exit_code == 1
    assert "differs from what the log recorded" in tampered.output
    assert runner.invoke(app, ["log", "verify", "--db", db, "--head", head]).exit_code == 1


def test_a_short_password_or_a_clerk_without_county_is_refused(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    short = runner.invoke(
        app, ["user", "add", "a", "--role", "observer", "--password", "short", "--db", db]
    )
    assert short.exit_code == 2 and "at least 10" in short.output
    clerk = runner.invoke(
        app, ["user", "add", "c", "--role", "clerk", "--password", "a long password", "--db", db]
    )
    assert clerk.exit_code == 2 and "must be given a county" in clerk.output
