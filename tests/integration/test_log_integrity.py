"""``log verify`` proves the whole state: every state table, tampered with directly in SQLite and
PostgreSQL, fails verification naming the table (store API and ``papertally log verify``).

A realistic workflow (users, an imported canvass, a recount with sheets, corrections, paper
records, review and certification; a comparison audit of two counties with two rounds, a
corrected and a voided board entry) is built once per backend as a template; every test
tampers with a fresh copy.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from papertally.cli.main import app
from papertally.io.audit_export import summarize_file
from papertally.model import Choice, Contest, ContestCount, Election, ImportResult, ReportingUnit
from papertally.model.activity import ANCHORS_KEY, link_entry, verify_chains
from papertally.model.audit_records import AuditFile
from papertally.model.recount import CountyAction, Role
from papertally.reconcile.paper import ChallengedBallot, PaperRecords
from papertally.store import Store
from papertally.store.audits import AuditStore
from papertally.store.engine import writing
from papertally.store.integrity import append_entry
from papertally.store.recounts import RecountStore
from papertally.store.users import UserStore
from papertally.workflows.audit import close_round, start_audit

runner = CliRunner()

UNITS = {"Adams|Ward 1": "Adams", "Adams|Ward 2": "Adams", "Dane|Ward 1": "Dane"}
AUDIT_CONTEST = "Minister of Farming"
SEED = "80452913776209131457"


def build_workflow(url: str, shared_data: Path) -> None:
    """Run a recount and an audit to their end in the store at ``url`` (migrated here)."""
    store = Store(url)
    store.migrate()
    users = UserStore(store.engine)
    users.add_user("admin", "hash-a", Role.ADMINISTRATOR, None, actor="setup")
    clerk = users.add_user("clerk", "hash-c", Role.CLERK, "Adams", actor="admin")
    board = users.add_user("board", "hash-b", Role.BOARD, "Dane", actor="admin")
    users.set_role(board.id, Role.OBSERVER, None, actor="admin")
    users.set_disabled(board.id, True, actor="admin")
    users.set_password(clerk.id, "hash-c2", actor="admin", reset=True)

    election = Election("Test")
    election.contests["President"] = Contest("President", choices=[Choice("A"), Choice("B")])
    count = ContestCount("President", "original canvass")
    for unit_id in UNITS:
        county, _, name = unit_id.partition("|")
        unit = election.add_unit(ReportingUnit.of(county, name)).id
        count.set_votes(unit, "A", 10)
        count.set_votes(unit, "B", 7)
    election.counts.append(count)
    election_id = store.save_import(ImportResult(election), actor="admin")

    recounts = RecountStore(store.engine)
    recount = recounts.open_recount(
        election_id=election_id,
        contest="President",
        units=UNITS,
        reason="petition",
        deadline=datetime(2099, 1, 1, tzinfo=UTC),
        actor="admin",
    )
    recounts.set_county_plan(recount, "Adams", actor="clerk", method="machine", note="plan")
    recounts.enter_tally_sheet(
        recount, "Adams|Ward 1", "t1", {"A": 10, "B": 7}, expected_version=0, actor="clerk"
    )
    recounts.enter_tally_sheet(
        recount,
        "Adams|Ward 1",
        "t1",
        {"A": 11, "B": 7},
        expected_version=1,
        actor="clerk",
        reason="miscount",
    )
    recounts.enter_tally_sheet(
        recount, "Adams|Ward 2", "t1", {"A": 9, "B": 8}, expected_version=0, actor="clerk"
    )
    recounts.enter_tally_sheet(
        recount, "Dane|Ward 1", "t1", {"A": 10, "B": 7}, expected_version=0, actor="clerk"
    )
    records = PaperRecords(40, 40, 39, 5, 5, (ChallengedBallot("signature", 1, rejected=True),))
    recounts.enter_paper_records(recount, "Adams|Ward 1", records, expected_version=2, actor="c")
    recounts.enter_paper_records(
        recount, "Adams|Ward 1", records, expected_version=3, actor="c", reason="recounted"
    )
    for county in ("Adams", "Dane"):
        recounts.county_step(recount, county, CountyAction.SUBMIT, actor="c", role=Role.CLERK)
    recounts.county_step(recount, "Dane", CountyAction.RETURN, actor="a", role=Role.ADMINISTRATOR)
    recounts.county_step(recount, "Dane", CountyAction.SUBMIT, actor="c", role=Role.CLERK)
    for county in ("Adams", "Dane"):
        recounts.county_step(
            recount, county, CountyAction.ACCEPT, actor="a", role=Role.ADMINISTRATOR
        )
    recounts.certify(recount, actor="admin", totals={"A": 30, "B": 22})

    audits = AuditStore(store.engine)
    audit_id = audits.create_audit("RLA", ["Mount Olive", "Siletz"], actor="admin")
    audits.add_contest(audit_id, AUDIT_CONTEST, "ballot comparison", 0.1, actor="admin")
    for county in ("Mount Olive", "Siletz"):
        for kind, name in (("manifest", "ballot manifest"), ("cvrs", "cvrs")):
            path = shared_data / "arlo-small-election" / f"{county} - {name}.csv"
            file = AuditFile(county, kind, path.name, path.read_bytes())
            audits.upload_file(audit_id, file, summarize_file(file), actor="admin")
    audits.publish(audit_id, actor="admin")
    start_audit(audits, audit_id, SEED, actor="admin")
    wrong = None
    while audits.audit(audit_id).status == "in progress":
        number = audits.rounds(audit_id)[-1].number
        for card in audits.sample(audit_id):
            if card.round_number != number:
                continue
            assert card.cvr is not None
            votes = card.cvr.get(AUDIT_CONTEST, [])
            votes = votes if len(votes) == 1 else []
            if wrong is None and votes == ["Erin George"]:
                wrong, votes = card.sequence, ["Alex Hall"]
            if card.sequence == 1:
                audits.record_entry(audit_id, card.county, 1, found=False, votes={}, actor="b")
                audits.void_entry(audit_id, card.county, 1, actor="b", reason="wrong card")
            audits.record_entry(
                audit_id,
                card.county,
                card.sequence,
                found=True,
                votes={AUDIT_CONTEST: votes},
                actor="b",
            )
        close_round(audits, audit_id, actor="admin")
    assert len(audits.rounds(audit_id)) == 2
    store.close()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def template(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    shared_data: Path,
) -> Iterator[tuple[str, str]]:
    """Yield the backend and where the finished workflow's database is (file or URL)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("integrity") / "template.db"
        build_workflow(f"sqlite:///{path}", shared_data)
        yield "sqlite", str(path)
        return
    server = request.getfixturevalue("postgres_url")
    name = f"tpl_{uuid.uuid4().hex[:12]}"
    _pg_admin(server, f'CREATE DATABASE "{name}"')
    url = _pg_database(server, name)
    build_workflow(url, shared_data)
    yield "postgresql", name
    _pg_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_database(server: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(server).set(database=name).render_as_string(hide_password=False)


def _pg_admin(server: str, statement: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(server)
    with psycopg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, dbname="postgres", autocommit=True
    ) as connection:
        connection.execute(statement)


@pytest.fixture
def workflow_url(
    template: tuple[str, str], tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """Yield the URL of a fresh copy of the finished workflow's database."""
    backend, where = template
    if backend == "sqlite":
        copy = tmp_path / "copy.db"
        shutil.copy(where, copy)
        yield f"sqlite:///{copy}"
        return
    server = request.getfixturevalue("postgres_url")
    name = f"copy_{uuid.uuid4().hex[:12]}"
    _pg_admin(server, f'CREATE DATABASE "{name}" TEMPLATE "{where}"')
    yield _pg_database(server, name)
    _pg_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


TAMPERING = [
    ("users", "UPDATE users SET role = 'administrator' WHERE username = 'clerk'"),
    ("users", "UPDATE users SET disabled = false WHERE username = 'board'"),
    ("users", "UPDATE users SET password_hash = 'mine' WHERE username = 'admin'"),
    ("users", "DELETE FROM users WHERE username = 'board'"),
    ("recounts", "UPDATE recounts SET status = 'open', certified_by = NULL, certified_at = NULL"),
    ("recount_counties", "UPDATE recount_counties SET status = 'submitted' WHERE county = 'Dane'"),
    ("recount_counties", "UPDATE recount_counties SET cost_estimate_cents = 1"),
    ("recount_wards", "UPDATE recount_wards SET county = 'Dane' WHERE unit_key = 'Adams|Ward 2'"),
    ("tally_sheets", "UPDATE tally_sheets SET votes = '{\"A\":99,\"B\":7}' WHERE label = 't1'"),
    ("tally_sheets", "DELETE FROM tally_sheets WHERE superseded_by IS NOT NULL"),
    ("tally_sheets", "UPDATE tally_sheets SET voided = true WHERE id = 3"),
    ("tally_sheets", "UPDATE tally_sheets SET superseded_by = NULL"),
    ("tally_sheets", "UPDATE tally_sheets SET ward_id = 3 WHERE id = 3"),
    (
        "tally_sheets",
        "INSERT INTO tally_sheets (ward_id, label, votes, superseded_by, entered_by, entered_at,"
        " reason, voided) VALUES (3, 't2', '{\"A\":5}', NULL, 'clerk',"
        " '2026-01-01 00:00:00.000000', NULL, false)",
    ),
    ("paper_records", "UPDATE paper_records SET content = '{}' WHERE superseded_by IS NULL"),
    ("paper_records", "DELETE FROM paper_records WHERE superseded_by IS NULL"),
    ("audits", "UPDATE audits SET seed = '12345678901234567890'"),
    ("audit_counties", "INSERT INTO audit_counties (audit_id, county) VALUES (1, 'Elsewhere')"),
    ("audit_contests", "UPDATE audit_contests SET risk_limit = 0.5"),
    ("audit_files", "UPDATE audit_files SET sha256 = repeat('0', 64) WHERE id = 1"),
    ("audit_rounds", "UPDATE audit_rounds SET measurement = '{}' WHERE number = 1"),
    ("audit_sample", "UPDATE audit_sample SET ticket = '0.000001' WHERE sequence = 2"),
    ("audit_entries", "UPDATE audit_entries SET content = '{\"found\":false}' WHERE id = 5"),
    ("audit_entries", "UPDATE audit_entries SET voided = false"),
    ("audit_entries", "DELETE FROM audit_entries WHERE id = 6"),
    ("elections", "UPDATE elections SET name = 'Another'"),
    ("imports", "UPDATE imports SET imported_at = '2000-01-01 00:00:00.000000'"),
    (
        "import_files",
        "INSERT INTO import_files (import_id, position, file_name) VALUES (1, 0, 'forged.csv')",
    ),
    (
        "import_warnings",
        "INSERT INTO import_warnings (import_id, position, file, message) "
        "VALUES (1, 99, 'f', 'forged')",
    ),
    ("contests", "UPDATE contests SET office = 'Dogcatcher'"),
    ("choices", "UPDATE choices SET party = 'X' WHERE name = 'A'"),
    ("reporting_units", "UPDATE reporting_units SET county = 'Dane' WHERE name = 'Ward 2'"),
    ("counts", "UPDATE counts SET name = 'recount'"),
    ("unit_tallies", "UPDATE unit_tallies SET ballots_cast = 1"),
    ("votes", "UPDATE votes SET votes = votes + 1 WHERE unit_id = 1 AND choice_id = 1"),
    ("votes", "DELETE FROM votes WHERE unit_id = 2 AND choice_id = 2"),
    ("activity_rows", "DELETE FROM activity_rows WHERE table_name = 'tally_sheets'"),
]


def _tamper(url: str, statement: str) -> None:
    store = Store(url)
    if store.engine.dialect.name == "sqlite":
        statement = statement.replace("repeat('0', 64)", "'" + "0" * 64 + "'")
    with writing(store.engine) as connection:
        assert connection.exec_driver_sql(statement).rowcount >= 1, statement
    store.close()


def test_the_untouched_workflow_verifies_intact(workflow_url: str) -> None:
    store = Store(workflow_url)
    result = RecountStore(store.engine).verify_log()
    store.close()
    assert result.intact, result.altered_sheets[:5]
    assert result.chain.entries_checked > 40


@pytest.mark.parametrize(("table", "statement"), TAMPERING, ids=[t for t, _ in TAMPERING])
def test_tampering_with_a_table_fails_verify_naming_it(
    workflow_url: str, table: str, statement: str
) -> None:
    _tamper(workflow_url, statement)
    store = Store(workflow_url)
    result = RecountStore(store.engine).verify_log()
    store.close()
    assert result.chain.intact
    assert not result.intact
    assert table in {m.table for m in result.mismatches}, result.altered_sheets
    assert result.mismatches[0].table == table, result.altered_sheets


def test_a_changed_column_is_named_with_the_log_entry(workflow_url: str) -> None:
    _tamper(workflow_url, "UPDATE recount_counties SET note = 'forged' WHERE county = 'Adams'")
    store = Store(workflow_url)
    result = RecountStore(store.engine).verify_log()
    store.close()
    [mismatch] = result.mismatches
    assert (mismatch.table, mismatch.column) == ("recount_counties", "note")
    assert "county.accept" in mismatch.message and "'forged'" in mismatch.message


@pytest.mark.parametrize(
    ("table", "statement"),
    [TAMPERING[0], TAMPERING[9], TAMPERING[22], TAMPERING[34]],
    ids=["users", "tally_sheets", "audit_entries", "votes"],
)
def test_the_command_fails_naming_the_table(workflow_url: str, table: str, statement: str) -> None:
    clean = runner.invoke(app, ["log", "verify", "--db", workflow_url, "--json"])
    assert clean.exit_code == 0, clean.output
    _tamper(workflow_url, statement)
    tampered = runner.invoke(app, ["log", "verify", "--db", workflow_url])
    assert tampered.exit_code == 1
    assert table in tampered.output
    as_json = runner.invoke(app, ["log", "verify", "--db", workflow_url, "--json"])
    found = json.loads(as_json.output)
    assert not found["intact"] and found["mismatches"][0]["table"] == table


def test_a_side_chain_cut_short_or_altered_is_named(workflow_url: str) -> None:
    store = Store(workflow_url)
    with writing(store.engine) as connection:
        chain, last = connection.execute(
            text(
                "SELECT chain, max(sequence) FROM activity_log WHERE chain <> '' "
                "GROUP BY chain ORDER BY chain LIMIT 1"
            )
        ).one()
        for table in ("activity_rows", "activity_log"):
            connection.execute(
                text(f"DELETE FROM {table} WHERE chain = :c AND sequence = :s"),
                {"c": chain, "s": last},
            )
    cut = RecountStore(store.engine).verify_log()
    assert cut.chain.broken_chain == chain  # a later main-chain entry anchored the cut entry
    assert cut.chain.reason is not None and "rewritten" in cut.chain.reason
    assert cut.mismatches[0].table == "activity_heads" and chain in cut.mismatches[0].message
    with writing(store.engine) as connection:
        connection.execute(
            text("UPDATE activity_log SET actor = 'forger' WHERE chain = :c AND sequence = 1"),
            {"c": chain},
        )
    altered = RecountStore(store.engine).verify_log()
    store.close()
    assert (altered.chain.broken_chain, altered.chain.first_break) == (chain, 1)


def test_a_side_chain_rewritten_consistently_fails_its_anchor() -> None:
    moment = datetime(2026, 11, 3, 9, tzinfo=UTC)
    side = [link_entry(None, actor="c", action="tally.enter", subject="w", chain="s")]
    main = [
        link_entry(
            None,
            actor="a",
            action="log.anchor",
            subject="log",
            details={ANCHORS_KEY: {"s": [1, side[0].entry_hash]}},
            recorded_at=moment,
        )
    ]
    assert verify_chains(main + side).intact
    forged = [link_entry(None, actor="c", action="tally.enter", subject="other", chain="s")]
    result = verify_chains(main + forged)
    assert (result.broken_chain, result.first_break) == ("s", 1)
    assert result.reason is not None and "rewritten" in result.reason


@pytest.mark.postgres
def test_writers_of_different_chains_do_not_wait_for_each_other(postgres_url: str) -> None:
    name = f"locks_{uuid.uuid4().hex[:12]}"
    _pg_admin(postgres_url, f'CREATE DATABASE "{name}"')
    store = Store(_pg_database(postgres_url, name))
    store.migrate()
    try:
        with writing(store.engine) as holding:
            append_entry(holding, "a", "tally.enter", "w", chain="county-a")
            with writing(store.engine) as other:
                other.execute(text("SET LOCAL lock_timeout = '1s'"))
                append_entry(other, "b", "tally.enter", "w", chain="county-b")
            with (
                pytest.raises(OperationalError, match="lock timeout"),
                writing(store.engine) as same,
            ):
                same.execute(text("SET LOCAL lock_timeout = '200ms'"))
                append_entry(same, "c", "tally.enter", "w", chain="county-a")
    finally:
        store.close()
        _pg_admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
