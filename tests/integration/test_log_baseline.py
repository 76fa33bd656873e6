"""A store from before migration 0007 (whose log lists no rows) verifies once baselined.

The store is built at revision 0006 with the rows and log entries a 0006-era papertally wrote
(users, an imported canvass, a recount with corrected tally sheets and paper records, an audit;
entries without row lines), then upgraded to the newest revision, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Connection, insert
from typer.testing import CliRunner

from papertally.cli.main import app
from papertally.errors import PapertallyError
from papertally.model import Choice, Contest, ContestCount, Election, ImportResult, ReportingUnit
from papertally.model.activity import ActivityEntry, link_entry
from papertally.model.recount import Role
from papertally.store import Store
from papertally.store import writer as canvass_writer
from papertally.store.engine import writing
from papertally.store.integrity import BASELINE_ACTION, table_of
from papertally.store.migrate import alembic_config
from papertally.store.recounts import RecountStore
from papertally.store.users import UserStore
from papertally.web.app import create_app
from papertally.web.security import CSRF_HEADER, hash_password

runner = CliRunner()

MOMENT = datetime(2026, 11, 3, 9, tzinfo=UTC)
UNITS = {"Adams|Ward 1": "Adams", "Adams|Ward 2": "Adams", "Dane|Ward 1": "Dane"}

_LOG_0006 = sa.table(
    "activity_log",
    *(
        sa.column(name)
        for name in (
            "sequence",
            "recorded_at",
            "actor",
            "action",
            "subject",
            "details",
            "previous_hash",
            "entry_hash",
        )
    ),
)
"""The activity log as revision 0006 had it: one chain, no ``chain`` column."""


class _OldLog:
    """Appends entries the way papertally did before migration 0007: details only, no rows."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.last: ActivityEntry | None = None

    def append(self, actor: str, action: str, subject: str, details: dict[str, Any]) -> None:
        at = MOMENT + timedelta(minutes=0 if self.last is None else self.last.sequence)
        head = None if self.last is None else (self.last.sequence, self.last.entry_hash)
        entry = link_entry(
            head, actor=actor, action=action, subject=subject, details=details, recorded_at=at
        )
        self.connection.execute(
            insert(_LOG_0006).values(
                sequence=entry.sequence,
                recorded_at=entry.recorded_at,
                actor=actor,
                action=action,
                subject=subject,
                details=json.dumps(details, sort_keys=True, separators=(",", ":")),
                previous_hash=entry.previous_hash,
                entry_hash=entry.entry_hash,
            )
        )
        self.last = entry


def _add(connection: Connection, table: str, **values: Any) -> int:
    """Insert one row with ``values`` and return its id."""
    target = table_of(table)
    return int(
        connection.execute(insert(target).values(**values).returning(target.c.id)).scalar_one()
    )


def build_0006_store(url: str) -> None:
    """Create the store at revision 0006 with a 0006-era recount and audit, then upgrade it."""
    store = Store(url)
    with writing(store.engine) as connection:
        command.upgrade(alembic_config(connection), "0006")
    election = Election("Test")
    election.contests["President"] = Contest("President", choices=[Choice("A"), Choice("B")])
    count = ContestCount("President", "original canvass")
    for unit_id in UNITS:
        county, _, name = unit_id.partition("|")
        unit = election.add_unit(ReportingUnit.of(county, name)).id
        count.set_votes(unit, "A", 10)
        count.set_votes(unit, "B", 7)
    election.counts.append(count)
    with writing(store.engine) as connection:
        log = _OldLog(connection)
        election_id = canvass_writer.save_import(
            connection,
            ImportResult(election),
            election_name=None,
            into=None,
            file_digests={},
            now=MOMENT,
        )
        log.append("admin", "import", f"election/{election_id}", {"files": []})
        accounts: list[tuple[str, str, str | None]] = [
            ("admin", "administrator", None),
            ("clerk", "clerk", "Adams"),
            ("board", "board", "Dane"),
        ]
        for name, role, home in accounts:
            _add(
                connection,
                "users",
                username=name,
                password_hash=f"hash-{name}",
                role=role,
                county=home,
                created_at=MOMENT,
                disabled=False,
            )
            log.append("admin", "user.create", f"user/{name}", {"role": role})
        recount = _add(
            connection,
            "recounts",
            election_id=election_id,
            contest="President",
            base_count="original canvass",
            reason="petition",
            deadline=MOMENT + timedelta(days=30),
            status="open",
            opened_by="admin",
            opened_at=MOMENT,
        )
        log.append("admin", "recount.open", f"recount/{recount}", {"election_id": election_id})
        for county in ("Adams", "Dane"):
            _add(
                connection,
                "recount_counties",
                recount_id=recount,
                county=county,
                method="hand",
                status="not started",
                version=0,
            )
        wards = {
            unit: _add(
                connection,
                "recount_wards",
                recount_id=recount,
                unit_key=unit,
                county=county,
                version=0,
            )
            for unit, county in UNITS.items()
        }
        first = _add(
            connection,
            "tally_sheets",
            ward_id=wards["Adams|Ward 1"],
            label="t1",
            votes='{"A":10,"B":7}',
            entered_by="clerk",
            entered_at=MOMENT,
            voided=False,
        )
        log.append("clerk", "tally.enter", "recount/1/Adams|Ward 1", {"sheet_id": first})
        second = _add(
            connection,
            "tally_sheets",
            ward_id=wards["Adams|Ward 1"],
            label="t1",
            votes='{"A":11,"B":7}',
            entered_by="clerk",
            entered_at=MOMENT,
            reason="miscount",
            voided=False,
        )
        connection.execute(
            sa.update(table_of("tally_sheets"))
            .where(table_of("tally_sheets").c.id == first)
            .values(superseded_by=second)
        )
        log.append("clerk", "tally.correct", "recount/1/Adams|Ward 1", {"sheet_id": second})
        record = _add(
            connection,
            "paper_records",
            ward_id=wards["Adams|Ward 1"],
            content='{"poll_book_voters":40}',
            entered_by="clerk",
            entered_at=MOMENT,
        )
        log.append("clerk", "records.enter", "recount/1/Adams|Ward 1", {"record_id": record})
        audit = _add(
            connection,
            "audits",
            name="RLA",
            status="setup",
            sampling="ballot",
            created_by="admin",
            created_at=MOMENT,
        )
        for county in ("Mount Olive", "Siletz"):
            _add(connection, "audit_counties", audit_id=audit, county=county)
        log.append("admin", "audit.create", f"audit/{audit}", {"name": "RLA"})
        _add(
            connection,
            "audit_contests",
            audit_id=audit,
            name="Minister of Farming",
            audit_type="ballot comparison",
            risk_limit=0.1,
            winners=1,
        )
        log.append("admin", "audit.contest", f"audit/{audit}", {"contest": "Minister of Farming"})
    store.migrate()
    store.close()


PRE_0007_ROWS = {
    "users": 3,
    "recounts": 1,
    "recount_counties": 2,
    "recount_wards": 3,
    "tally_sheets": 2,
    "paper_records": 1,
    "audits": 1,
    "audit_counties": 2,
    "audit_contests": 1,
    "votes": 6,
}


def _verify(url: str) -> Any:
    store = Store(url)
    try:
        return RecountStore(store.engine).verify_log()
    finally:
        store.close()


def _sql(url: str, statement: str) -> None:
    store = Store(url)
    with writing(store.engine) as connection:
        assert connection.exec_driver_sql(statement).rowcount >= 1, statement
    store.close()


def test_an_upgraded_store_fails_verify_with_the_hint_then_verifies_after_its_baseline(
    db_url: str,
) -> None:
    build_0006_store(db_url)
    upgraded = _verify(db_url)
    assert upgraded.chain.intact and upgraded.predates_integrity
    assert {m.table for m in upgraded.mismatches} >= {"users", "tally_sheets", "audits"}
    assert all("is not in the log" in m.message for m in upgraded.mismatches)
    before = runner.invoke(app, ["log", "verify", "--db", db_url])
    assert before.exit_code == 1, before.output
    assert "users row 1 is not in the log" in before.output
    [hint] = [line for line in before.output.splitlines() if "papertally log baseline" in line]
    assert "before the integrity log" in hint
    as_json = json.loads(runner.invoke(app, ["log", "verify", "--db", db_url, "--json"]).output)
    assert as_json["baseline_needed"] is True

    done = runner.invoke(app, ["log", "baseline", "--db", db_url, "--actor", "admin"])
    assert done.exit_code == 0, done.output
    cells = [[c for c in line.split() if c != "│"] for line in done.output.splitlines()]
    for table, rows in PRE_0007_ROWS.items():
        assert [table, str(rows)] in cells, done.output
    assert "attests" in done.output and "cannot be detected" in done.output

    after = runner.invoke(app, ["log", "verify", "--db", db_url])
    assert after.exit_code == 0, after.output
    entries = [e for e in RecountStore(Store(db_url).engine).activity() if e.actor == "admin"]
    assert entries[-1].action == BASELINE_ACTION
    assert entries[-1].details["covered"]["tally_sheets"] == 2

    _sql(db_url, 'UPDATE tally_sheets SET votes = \'{"A":99,"B":7}\' WHERE id = 2')
    tampered = _verify(db_url)
    [mismatch] = tampered.mismatches
    assert (mismatch.table, mismatch.key, mismatch.column) == ("tally_sheets", "2", "votes")
    assert BASELINE_ACTION in mismatch.message and not tampered.predates_integrity
    shown = runner.invoke(app, ["log", "verify", "--db", db_url])
    assert shown.exit_code == 1 and "tally_sheets row 2" in shown.output
    assert "papertally log baseline" not in shown.output


def test_rows_written_by_the_app_after_the_upgrade_stay_proven_by_their_own_entries(
    db_url: str,
) -> None:
    build_0006_store(db_url)
    store = Store(db_url)
    users = UserStore(store.engine)
    users.add_user("observer", "hash-o", Role.OBSERVER, None, actor="admin")
    users.set_role(users.user_named("clerk").id, Role.BOARD, "Adams", actor="admin")
    baseline = RecountStore(store.engine).baseline("admin")
    store.close()
    assert baseline.covered["users"] == 2  # admin and board; clerk and observer were logged
    assert _verify(db_url).intact
    _sql(db_url, "UPDATE users SET county = 'Dane' WHERE username = 'clerk'")
    [mismatch] = _verify(db_url).mismatches
    assert mismatch.table == "users" and "user.role" in mismatch.message


def test_a_second_baseline_is_refused_and_rows_forged_after_it_stay_unproven(
    db_url: str,
) -> None:
    build_0006_store(db_url)
    first = runner.invoke(app, ["log", "baseline", "--db", db_url])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["log", "baseline", "--db", db_url])
    assert again.exit_code == 2
    assert "nothing to baseline" in again.output and "Traceback" not in again.output
    _sql(db_url, "INSERT INTO audit_counties (audit_id, county) VALUES (1, 'Elsewhere')")
    forged = _verify(db_url)
    assert not forged.intact and not forged.predates_integrity
    refused = runner.invoke(app, ["log", "baseline", "--db", db_url])
    assert refused.exit_code == 2 and "baselined already" in refused.output
    assert len(refused.output.strip().splitlines()) == 1


def test_a_baseline_is_refused_while_a_logged_row_differs(db_url: str) -> None:
    build_0006_store(db_url)
    store = Store(db_url)
    UserStore(store.engine).add_user("observer", "hash-o", Role.OBSERVER, None, actor="admin")
    store.close()
    _sql(db_url, "UPDATE users SET role = 'administrator' WHERE username = 'observer'")
    assert not _verify(db_url).predates_integrity
    refused = runner.invoke(app, ["log", "baseline", "--db", db_url])
    assert refused.exit_code == 2 and "differ from what the log recorded" in refused.output


def test_a_baseline_of_a_store_created_since_the_integrity_log_is_refused(db_url: str) -> None:
    store = Store(db_url)
    store.migrate()
    fresh = runner.invoke(app, ["log", "baseline", "--db", db_url])
    assert fresh.exit_code == 2 and "nothing to baseline" in fresh.output
    UserStore(store.engine).add_user("admin", "hash-a", Role.ADMINISTRATOR, None, actor="setup")
    with pytest.raises(PapertallyError, match="nothing to baseline"):
        RecountStore(store.engine).baseline("admin")
    assert not RecountStore(store.engine).awaits_baseline()
    store.close()
    _sql(
        db_url,
        "INSERT INTO users (username, password_hash, role, created_at, disabled) "
        "VALUES ('forger', 'x', 'administrator', '2026-01-01 00:00:00', false)",
    )
    forged = _verify(db_url)
    assert [m.table for m in forged.mismatches] == ["users"] and not forged.predates_integrity
    shown = runner.invoke(app, ["log", "verify", "--db", db_url])
    assert shown.exit_code == 1 and "papertally log baseline" not in shown.output
    refused = runner.invoke(app, ["log", "baseline", "--db", db_url])
    assert refused.exit_code == 2 and "written outside the app" in refused.output


def test_the_administrators_desk_warns_until_the_store_is_baselined(db_url: str) -> None:
    build_0006_store(db_url)
    store = Store(db_url)
    password = "correct horse battery"
    UserStore(store.engine).add_user(
        "chief", hash_password(password), Role.ADMINISTRATOR, None, actor="admin"
    )
    client = TestClient(create_app(db_url, secret_key="test-secret"), follow_redirects=False)
    client.headers[CSRF_HEADER] = client.get("/api/session").json()["csrf_token"]
    signed = client.post("/api/session", json={"username": "chief", "password": password})
    assert signed.status_code == 200, signed.text
    client.headers[CSRF_HEADER] = signed.json()["csrf_token"]
    desk = client.get("/admin")
    assert desk.status_code == 200 and 'id="baseline-warning"' in desk.text
    RecountStore(store.engine).baseline("chief")
    store.close()
    assert 'id="baseline-warning"' not in client.get("/admin").text


def test_a_baseline_over_a_broken_chain_is_refused(db_url: str) -> None:
    build_0006_store(db_url)
    _sql(db_url, "UPDATE activity_log SET actor = 'forger' WHERE sequence = 3")
    broken = _verify(db_url)
    assert broken.chain.first_break == 3 and not broken.predates_integrity
    refused = runner.invoke(app, ["log", "baseline", "--db", db_url])
    assert refused.exit_code == 2 and "broken at entry 3" in refused.output
    assert (
        "papertally log baseline"
        not in runner.invoke(app, ["log", "verify", "--db", db_url]).output
    )
