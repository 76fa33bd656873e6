"""Unit statistics and vote-type breakdowns kept by the store (migration 0009) and covered by
``log verify``: what the readers give comes back from the store the same, and tampering with
the new tables is found."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from papertally.io import read_results
from papertally.store import Store
from papertally.store.recounts import RecountStore

GA = "openelections/ga"
OH_2018 = "openelections/oh/20180807__oh__special__general__precinct.csv"


def test_statistics_and_breakdowns_round_trip_and_are_verified(
    shared_data: Path, tmp_path: Path
) -> None:
    result = read_results(
        [shared_data / GA / "20160301__ga__primary__president__baker__precinct.csv"]
    )
    ohio = read_results([shared_data / OH_2018])
    path = tmp_path / "t.db"
    with Store(f"sqlite:///{path}") as store:
        store.migrate()
        georgia_id = store.save_import(result)
        ohio_id = store.save_import(ohio)
        loaded = store.load_election(georgia_id)
        for count in result.election.counts:
            again = loaded.count(count.contest, count.name)
            for uid, tally in count.units.items():
                assert again.units[uid].by_type == tally.by_type, uid
                assert again.units[uid].votes == tally.votes
        stored_ohio = store.load_election(ohio_id)
        assert stored_ohio.unit_statistics == ohio.election.unit_statistics
        assert len(stored_ohio.unit_statistics) == 591
        assert RecountStore(store.engine).verify_log().intact
    copy = tmp_path / "copy.db"
    shutil.copyfile(path, copy)
    for file, table, statement in (
        (path, "vote_breakdowns", "UPDATE vote_breakdowns SET votes = votes + 1"),
        (copy, "unit_statistics", "DELETE FROM unit_statistics"),
    ):
        with sqlite3.connect(file) as connection:
            where = f" WHERE rowid = (SELECT min(rowid) FROM {table})"
            assert connection.execute(statement + where).rowcount == 1
        with Store(f"sqlite:///{file}") as store:
            verdict = RecountStore(store.engine).verify_log()
        assert not verdict.intact
        assert [m.table for m in verdict.mismatches] == [table]
