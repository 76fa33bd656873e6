"""The store on SQLite and PostgreSQL: round trips, one transaction per import, clear refusals."""

from __future__ import annotations

import copy
import hashlib
import importlib
import pkgutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, func, insert, select, update
from sqlalchemy.exc import IntegrityError

import papertally.store
from papertally.errors import FileLocation, PapertallyError
from papertally.model import (
    SCATTERING,
    Choice,
    Contest,
    ContestCount,
    CountItemType,
    Election,
    ImportResult,
    ImportWarning,
    ReportingUnit,
    ReportingUnitType,
    ResultsStatus,
)
from papertally.store import Store
from papertally.store import migrate as migrations
from papertally.store.schema import UNITS, VOTES, Base

RESULTS_TABLES = {
    "elections",
    "imports",
    "import_files",
    "import_warnings",
    "contests",
    "choices",
    "reporting_units",
    "counts",
    "unit_tallies",
    "votes",
}
UNIT_1, UNIT_3 = "Adams|TOWN OF X1 Wards 1-2", "Adams|TOWN OF X3 Wards 1-2"


def make_election(
    units: int = 4, counts: tuple[str, ...] = ("original canvass", "recount")
) -> Election:
    """Return a small two-contest election with every field of the model set somewhere."""
    election = Election("Spring election", date(2011, 4, 5), "WI")
    justice = Contest(
        "Justice of the Supreme Court",
        office="Justice of the Supreme Court",
        choices=[Choice("Prosser"), Choice("Kloppenburg"), Choice(SCATTERING, is_write_in=True)],
    )
    board = Contest(
        "County Board District 3",
        office="County Board",
        district="3",
        votes_allowed=2,
        choices=[Choice("Ann Lee", "DEM"), Choice("Bo Stone", "REP"), Choice("Cy Park")],
    )
    election.contests = {justice.name: justice, board.name: board}
    for i in range(units):
        election.add_unit(
            ReportingUnit.of(
                "Adams" if i % 2 else "Ashland",
                f"TOWN OF X{i} Wards 1-2",
                municipality=f"TOWN OF X{i}",
                type=ReportingUnitType.WARD if i else ReportingUnitType.PRECINCT,
            )
        )
    for n, name in enumerate(counts):
        count = ContestCount(
            justice.name, name, status=ResultsStatus.RECOUNT if n else ResultsStatus.CERTIFIED
        )
        for i, uid in enumerate(election.units):
            count.set_votes(uid, "Prosser", 100 + i + n)
            count.set_votes(uid, "Kloppenburg", 90 + 2 * i)
            if i % 2:
                count.set_votes(uid, SCATTERING, 0)
            count.units[uid].ballots_cast = 200 + i if i != 1 else None
            count.units[uid].source = FileLocation("wi.xls", "Sheet1", 10 + i, "C") if i else None
        election.counts.append(count)
    board_count = ContestCount(
        board.name, "original canvass", count_item_type=CountItemType.ABSENTEE
    )
    for uid in list(election.units)[:2]:
        board_count.set_votes(uid, "Bo Stone", 7)
        board_count.set_votes(uid, "Ann Lee", 9)
    election.counts.append(board_count)
    return election


def make_result(election: Election, files: tuple[str, ...] = ("wi.xls",)) -> ImportResult:
    """Wrap ``election`` as an import of ``files`` with two warnings."""
    return ImportResult(
        election,
        files=list(files),
        formats=["wec-ward-report"] * len(files),
        warnings=[
            ImportWarning(FileLocation(files[0], "Sheet1", 40, "Prosser"), "county total 12 != 13"),
            ImportWarning(FileLocation(files[0]), "no ballots cast column"),
        ],
    )


@pytest.fixture
def store(db_url: str) -> Any:
    """Yield a migrated store on the test's backend."""
    with Store(db_url) as opened:
        opened.migrate()
        yield opened


def table_sizes(store: Store) -> dict[str, int]:
    """Return the number of rows in every results table."""
    with store.engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in Base.metadata.sorted_tables
            if table.name in RESULTS_TABLES
        }


def test_save_and_load_round_trip(store: Store) -> None:
    election = make_election()
    election_id = store.save_import(make_result(copy.deepcopy(election)))
    assert store.load_election(election_id) == election
    [summary] = store.list_elections()
    assert (summary.id, summary.name, summary.date, summary.state) == (
        election_id,
        "Spring election",
        date(2011, 4, 5),
        "WI",
    )
    assert (summary.contests, summary.units, summary.counts) == (2, 4, 3)
    assert [w.describe() for w in store.import_warnings(election_id)] == [
        "wi.xls, sheet 'Sheet1', row 40, column 'Prosser': county total 12 != 13",
        "wi.xls: no ballots cast column",
    ]


def test_an_empty_election_round_trips(store: Store) -> None:
    election_id = store.save_import(ImportResult(Election("Nothing yet")))
    assert store.load_election(election_id) == Election("Nothing yet")
    assert store.import_warnings(election_id) == []


def test_files_are_recorded_with_their_sha256(store: Store, tmp_path: Path) -> None:
    on_disk = tmp_path / "ward.csv"
    on_disk.write_bytes(b"county,ward\n")
    given = "AB" * 32
    result = make_result(make_election(), files=(str(on_disk), "upload.xls", "gone.xls"))
    election_id = store.save_import(result, file_digests={"upload.xls": given})
    files = store.imported_files(election_id)
    assert [(f.file_name, f.sha256, f.detected_format) for f in files] == [
        (str(on_disk), hashlib.sha256(b"county,ward\n").hexdigest(), "wec-ward-report"),
        ("upload.xls", given.lower(), "wec-ward-report"),
        ("gone.xls", None, "wec-ward-report"),
    ]


def test_bad_digest_is_refused(store: Store) -> None:
    with pytest.raises(PapertallyError, match=r"'x\.xls' is 'abc'; expected 64 hex digits"):
        store.save_import(make_result(make_election(), ("x.xls",)), file_digests={"x.xls": "abc"})
    assert store.list_elections() == []


def test_election_name_overrides_the_files_name(store: Store) -> None:
    election_id = store.save_import(make_result(make_election()), election_name="WI 2011 recount")
    assert store.load_election(election_id).name == "WI 2011 recount"


def test_import_into_an_election_adds_to_it_like_merge(store: Store) -> None:
    first = make_election(units=3, counts=("original canvass",))
    second = make_election(units=5, counts=("recount",))
    second.counts = [c for c in second.counts if c.contest.startswith("Justice")]
    second.contests["Justice of the Supreme Court"].choices.append(
        Choice("Write-in Smith", is_write_in=True)
    )
    second.counts[0].set_votes(UNIT_3, "Write-in Smith", 2)
    election_id = store.save_import(make_result(copy.deepcopy(first)))
    assert (
        store.save_import(make_result(copy.deepcopy(second), ("b.xls",)), into=election_id)
        == election_id
    )
    expected = copy.deepcopy(first)
    expected.merge(copy.deepcopy(second))
    assert store.load_election(election_id) == expected
    assert len(store.import_warnings(election_id)) == 4
    [summary] = store.list_elections()
    assert (summary.units, summary.counts) == (5, 3)


def test_a_count_already_there_is_refused_and_nothing_written(store: Store) -> None:
    election = make_election()
    election_id = store.save_import(make_result(copy.deepcopy(election)))
    before = table_sizes(store)
    again = make_election(units=6)
    with pytest.raises(
        PapertallyError,
        match=r"election \d+ \('Spring election'\) already has count 'original canvass' of "
        r"contest 'Justice of the Supreme Court'; nothing was imported",
    ):
        store.save_import(make_result(again), into=election_id)
    assert table_sizes(store) == before
    assert store.load_election(election_id) == election


def test_a_count_twice_in_one_import_is_refused(store: Store) -> None:
    election = make_election()
    election.counts.append(copy.deepcopy(election.counts[0]))
    with pytest.raises(PapertallyError, match="appears twice in the import"):
        store.save_import(make_result(election))
    assert store.list_elections() == []


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda e: e.counts[1].set_votes(UNIT_3, "Prosser", -3), "-3 votes for 'Prosser'"),
        (lambda e: e.counts[0].set_votes(UNIT_1, "Nobody", 1), "'Nobody', which is not a choice"),
        (lambda e: e.counts[0].set_votes("Nowhere|1", "Prosser", 1), "'Nowhere|1'.*not among"),
        (
            lambda e: setattr(e.counts[0], "contest", "Mayor"),
            "'Mayor', which the election does not",
        ),
        (lambda e: e.counts[0].set_votes(UNIT_1, "Prosser", 2**31), "expected a whole number"),
    ],
)
def test_bad_figures_are_refused_before_anything_is_written(
    store: Store, spoil: Any, message: str
) -> None:
    election = make_election()
    spoil(election)
    with pytest.raises(PapertallyError, match=message):
        store.save_import(make_result(election))
    assert set(table_sizes(store).values()) == {0}


def test_the_message_names_the_file_row(store: Store) -> None:
    election = make_election()
    election.counts[0].set_votes(UNIT_3, "Prosser", -1)
    with pytest.raises(PapertallyError, match=r"\(wi.xls, sheet 'Sheet1', row 13, column 'C'\)"):
        store.save_import(make_result(election))


def test_a_failure_mid_insert_rolls_back_everything(store: Store) -> None:
    kept = make_election()
    kept_id = store.save_import(make_result(copy.deepcopy(kept)))
    before = table_sizes(store)
    counts_started: list[str] = []

    def fail_on_second_count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO COUNTS"):
            counts_started.append(statement)
            if len(counts_started) == 2:
                raise RuntimeError("disk unplugged")

    # By the second count, the election, its import, contests, units and the whole first count
    # (tallies and votes) are written in the transaction.
    event.listen(store.engine, "before_cursor_execute", fail_on_second_count)
    try:
        with pytest.raises(RuntimeError, match="disk unplugged"):
            store.save_import(make_result(make_election(units=8)), election_name="second")
    finally:
        event.remove(store.engine, "before_cursor_execute", fail_on_second_count)
    assert len(counts_started) == 2
    assert table_sizes(store) == before
    assert [s.id for s in store.list_elections()] == [kept_id]
    assert store.load_election(kept_id) == kept


def test_the_database_itself_refuses_negative_votes_and_duplicate_units(store: Store) -> None:
    election_id = store.save_import(make_result(make_election()))
    with store.engine.connect() as connection:
        with pytest.raises(IntegrityError, match=r"(?i)check"):
            connection.execute(update(VOTES).values(votes=-1))
        connection.rollback()
        duplicate = {
            "election_id": election_id,
            "external_id": UNIT_1,
            "name": "x",
            "county": "Adams",
        }
        with pytest.raises(IntegrityError, match=r"(?i)unique"):
            connection.execute(insert(UNITS), {**duplicate, "type": "ward"})
        connection.rollback()
        with pytest.raises(IntegrityError, match=r"(?i)check"):
            connection.execute(insert(UNITS), {**duplicate, "external_id": "new", "type": "hamlet"})
        connection.rollback()


def test_unknown_election_names_the_ids_there_are(store: Store) -> None:
    with pytest.raises(PapertallyError, match=r"no election with id 7 .*elections are: none"):
        store.load_election(7)
    first = store.save_import(make_result(make_election()))
    second = store.save_import(make_result(make_election()))
    listed = rf"no election with id 99 in the store; elections are: {first}, {second}$"
    with pytest.raises(PapertallyError, match=listed):
        store.load_election(99)
    with pytest.raises(PapertallyError, match=listed):
        store.import_warnings(99)
    with pytest.raises(PapertallyError, match=listed):
        store.delete_election(99)
    with pytest.raises(PapertallyError, match=listed):
        store.save_import(make_result(make_election()), into=99)


def test_delete_election_leaves_the_others(store: Store) -> None:
    gone = store.save_import(make_result(make_election()))
    kept = make_election(units=3)
    kept_id = store.save_import(make_result(copy.deepcopy(kept)))
    store.delete_election(gone)
    assert [s.id for s in store.list_elections()] == [kept_id]
    assert store.load_election(kept_id) == kept
    with pytest.raises(PapertallyError, match=f"elections are: {kept_id}$"):
        store.load_election(gone)
    store.delete_election(kept_id)
    assert set(table_sizes(store).values()) == {0}


def test_migrate_is_idempotent_and_keeps_data(db_url: str) -> None:
    with Store(db_url) as store:
        store.migrate()
        election_id = store.save_import(make_result(make_election()))
        store.migrate()
        assert migrations.current_revision(store.engine) == migrations.head_revision()
    with Store(db_url) as again:
        again.migrate()
        assert again.load_election(election_id) == make_election()


def test_migrations_go_down_and_up_again(db_url: str) -> None:
    with Store(db_url) as store:
        store.migrate()
        migrations.downgrade_to_base(store.engine)
        assert migrations.current_revision(store.engine) is None
        store.migrate()
        assert store.list_elections() == []


def test_the_migrations_build_exactly_the_schema(store: Store) -> None:
    for module in pkgutil.iter_modules(papertally.store.__path__):
        if module.name.endswith("schema"):
            importlib.import_module(f"papertally.store.{module.name}")
    assert set(Base.metadata.tables) >= RESULTS_TABLES
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_a_store_never_migrated_is_refused_with_advice(db_url: str) -> None:
    with (
        Store(db_url) as store,
        pytest.raises(PapertallyError, match=r"has no papertally tables.*migrate"),
    ):
        store.list_elections()


def test_only_sqlite_and_postgresql_are_accepted() -> None:
    with pytest.raises(PapertallyError, match="not 'mysql'"):
        Store("mysql://user:secret@db/x")


def test_a_bare_path_is_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "plain.db"
    with Store(str(path)) as store:
        store.migrate()
        store.save_import(make_result(make_election()))
    assert path.is_file()
    with Store(f"sqlite:///{path}") as store:
        assert store.engine.dialect.name == "sqlite"
        assert [s.units for s in store.list_elections()] == [4]


def test_the_first_import_time_is_the_elections_creation_time(store: Store) -> None:
    election_id = store.save_import(make_result(make_election()))
    [summary] = store.list_elections()
    [imported] = store.imported_files(election_id)
    assert summary.created_at.tzinfo is not None
    assert imported.imported_at == summary.created_at


@pytest.mark.postgres
def test_the_test_server_listens_on_loopback_only(postgres_url: str) -> None:
    with Store(postgres_url) as server, server.engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW listen_addresses").scalar_one() == "127.0.0.1"
        socket_dir = connection.exec_driver_sql("SHOW unix_socket_directories").scalar_one()
        assert "papertally-pg-" in socket_dir


def test_numpy_integers_are_stored_as_plain_numbers_and_booleans_refused(store: Store) -> None:
    import numpy as np

    election = make_election()
    election.counts[0].set_votes(UNIT_1, "Prosser", np.int64(41))  # type: ignore[arg-type]
    election_id = store.save_import(make_result(election))
    loaded = store.load_election(election_id).counts[0].units[UNIT_1].votes["Prosser"]
    assert (loaded, type(loaded)) == (41, int)
    election.counts[1].set_votes(UNIT_1, "Prosser", True)
    with pytest.raises(PapertallyError, match="True votes for 'Prosser'"):
        store.save_import(make_result(election))


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda r: setattr(r.election, "name", "bad\x00name"), "the election's name holds a NUL"),
        (
            lambda r: r.election.units.update(
                {UNIT_1: ReportingUnit(UNIT_1, "Ward\x001", "Adams")}
            ),
            "reporting unit 'Adams|TOWN OF X1 Wards 1-2' holds a NUL",
        ),
        (
            lambda r: setattr(
                r.election.counts[0].units[UNIT_3], "source", FileLocation("f\x00.xls")
            ),
            r"the source of count 'original canvass'.*unit 'Adams\|TOWN OF X3 Wards 1-2'",
        ),
        (
            lambda r: setattr(r.election, "state", "State of Wisconsin, USA"),
            "expected a postal code",
        ),
    ],
)
def test_text_the_store_cannot_keep_is_refused(store: Store, spoil: Any, message: str) -> None:
    result = make_result(make_election())
    spoil(result)
    with pytest.raises(PapertallyError, match=message):
        store.save_import(result)
    assert store.list_elections() == []


def test_several_processes_may_migrate_at_once(db_url: str) -> None:
    start = "import sys; from papertally.store import Store; Store(sys.argv[1]).migrate()"
    starting = [
        subprocess.Popen([sys.executable, "-c", start, db_url], stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in starting]
    assert [p.returncode for p in starting] == [0] * 4, errors
    with Store(db_url) as store:
        assert migrations.current_revision(store.engine) == migrations.head_revision()
        assert store.list_elections() == []


def test_contradictory_requests_are_refused(store: Store) -> None:
    election_id = store.save_import(make_result(make_election()))
    before = table_sizes(store)
    with pytest.raises(PapertallyError, match="either a name for a new election or an election"):
        store.save_import(make_result(make_election()), election_name="x", into=election_id)
    with pytest.raises(PapertallyError, match=r"SHA-256 given for files not in the import: b\.xls"):
        store.save_import(make_result(make_election()), file_digests={"b.xls": "0" * 64})
    board = make_election()
    board.contests["County Board District 3"].votes_allowed = 1
    board.counts = [c for c in board.counts if c.contest == "County Board District 3"]
    board.counts[0].name = "recount"
    with pytest.raises(
        PapertallyError, match=r"allows 2 votes in election \d+ but 1 in the import"
    ):
        store.save_import(make_result(board), into=election_id)
    assert table_sizes(store) == before


def test_a_store_that_cannot_be_opened_says_which(tmp_path: Path) -> None:
    missing = tmp_path / "no such folder" / "store.db"
    with (
        Store(str(missing)) as store,
        pytest.raises(PapertallyError, match="cannot open the store"),
    ):
        store.migrate()
    with (
        Store("postgresql+psycopg://clerk:secret@127.0.0.1:1/results") as store,
        pytest.raises(PapertallyError, match=r"cannot open the store .*clerk:\*\*\*@127") as error,
    ):
        store.list_elections()
    assert "secret" not in str(error.value)
