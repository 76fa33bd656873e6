"""A process killed in the middle of an import leaves the store as it was, on both backends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from select import select as wait_readable

from sqlalchemy import func, select

from papertally.model import Choice, Contest, ContestCount, Election, ImportResult, ReportingUnit
from papertally.store import Store
from papertally.store.schema import Base

CHILD = textwrap.dedent(
    """
    import sys, time
    from sqlalchemy import event
    from papertally.model import (
        Choice, Contest, ContestCount, Election, ImportResult, ReportingUnit
    )
    from papertally.store import Store

    election = Election("half-written")
    election.contests["C"] = Contest("C", choices=[Choice("A"), Choice("B")])
    for name in ("original canvass", "recount"):
        count = ContestCount("C", name)
        for i in range(2000):
            unit = election.add_unit(ReportingUnit.of("Adams", f"Ward {i}"))
            count.set_votes(unit.id, "A", i)
            count.set_votes(unit.id, "B", 1)
        election.counts.append(count)
    store = Store(sys.argv[1])
    started = []

    def stall(_conn, _cursor, statement, *_args):
        # The second count begins after the first count's tallies and votes are written.
        if statement.lstrip().upper().startswith("INSERT INTO COUNTS"):
            started.append(statement)
            if len(started) == 2:
                print("mid-import", flush=True)
                time.sleep(300)

    event.listen(store.engine, "before_cursor_execute", stall)
    store.save_import(ImportResult(election))
    print("finished", flush=True)
    """
)


def small_election() -> Election:
    """Return a one-count election of three units."""
    election = Election("kept")
    election.contests["C"] = Contest("C", choices=[Choice("A"), Choice("B")])
    count = ContestCount("C", "original canvass")
    for i in range(3):
        unit = election.add_unit(ReportingUnit.of("Adams", f"Ward {i}"))
        count.set_votes(unit.id, "A", 10 + i)
    election.counts.append(count)
    return election


def row_counts(store: Store) -> dict[str, int]:
    """Return the number of rows of every table of the store."""
    with store.engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in Base.metadata.sorted_tables
        }


def test_a_killed_import_leaves_the_store_as_it_was(db_url: str) -> None:
    with Store(db_url) as store:
        store.migrate()
        kept_id = store.save_import(ImportResult(small_election()))
        before = row_counts(store)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, db_url],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert child.stdout is not None
        ready, _, _ = wait_readable([child.stdout], [], [], 120)
        assert ready, "the importing process never reached the middle of its import"
        assert child.stdout.readline().strip() == "mid-import"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    with Store(db_url) as store:
        assert row_counts(store) == before
        assert [s.id for s in store.list_elections()] == [kept_id]
        assert store.load_election(kept_id) == small_election()
        again = store.save_import(ImportResult(small_election()), election_name="after the crash")
        assert [s.name for s in store.list_elections()] == ["kept", "after the crash"]
        assert store.load_election(again).counts == small_election().counts
