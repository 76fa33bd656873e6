"""The 2011 Wisconsin Supreme Court recount file, read, saved and loaded back unchanged."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import pytest

from papertally.io import read_results
from papertally.model import ImportResult
from papertally.store import Store

WI_2011 = "wi/2011-04-05_supreme-court_original-and-recount_ward.xls"


@pytest.fixture(scope="module")
def wisconsin_2011(shared_data: Path) -> ImportResult:
    """Return the 2011 file as read by the importer (read once for both backends)."""
    return read_results([shared_data / WI_2011])


def test_the_2011_recount_round_trips_through_the_store(
    db_url: str, wisconsin_2011: ImportResult, shared_data: Path
) -> None:
    result = copy.deepcopy(wisconsin_2011)
    path = shared_data / WI_2011
    with Store(db_url) as store:
        store.migrate()
        election_id = store.save_import(result)
        loaded = store.load_election(election_id)
        [summary] = store.list_elections()
        [imported] = store.imported_files(election_id)
        warnings = store.import_warnings(election_id)
    assert loaded == wisconsin_2011.election
    assert (summary.units, len(loaded.counties()), summary.counts) == (3602, 72, 2)
    contest = next(iter(loaded.contests))
    before, after = (loaded.count(contest, c.name) for c in loaded.counts_of(contest))
    assert sorted(before.totals().values()) == [1_550, 745_007, 752_323]
    assert sorted(after.totals().values()) == [1_729, 745_690, 752_694]
    assert imported.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert imported.detected_format == wisconsin_2011.formats[0]
    assert warnings == wisconsin_2011.warnings
