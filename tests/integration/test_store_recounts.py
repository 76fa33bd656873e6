"""The recount in the store, on SQLite and PostgreSQL: workflow, history, locking, the log."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from papertally.errors import PapertallyError
from papertally.model import Choice, Contest, ContestCount, Election, ImportResult, ReportingUnit
from papertally.model.recount import CountyAction, CountyStatus, Role
from papertally.reconcile.paper import ChallengedBallot, PaperRecords
from papertally.store import Store
from papertally.store.engine import writing
from papertally.store.recounts import RecountStore, StaleWriteError

UNITS = {"Adams|Ward 1": "Adams", "Adams|Ward 2": "Adams", "Dane|Ward 1": "Dane"}
DEADLINE = datetime(2016, 12, 12, 20, tzinfo=UTC)


@pytest.fixture
def recounts(db_url: str) -> RecountStore:
    store = Store(db_url)
    store.migrate()
    election = Election("Test")
    election.contests["President"] = Contest("President", choices=[Choice("A")])
    count = ContestCount("President", "original canvass")
    for unit_id in UNITS:
        county, _, name = unit_id.partition("|")
        count.set_votes(election.add_unit(ReportingUnit.of(county, name)).id, "A", 1)
    election.counts.append(count)
    store.save_import(ImportResult(election))
    return RecountStore(store.engine)


def open_recount(recounts: RecountStore) -> int:
    return recounts.open_recount(
        election_id=1,
        contest="President",
        units=UNITS,
        reason="petition by a candidate",
        deadline=DEADLINE,
        actor="admin",
    )


def test_a_recount_runs_from_opening_to_certification(recounts: RecountStore) -> None:
    recount_id = open_recount(recounts)
    assert [c.county for c in recounts.counties(recount_id)] == ["Adams", "Dane"]
    recounts.enter_tally_sheet(
        recount_id, "Adams|Ward 1", "table 1", {"A": 10}, expected_version=0, actor="c"
    )
    recounts.enter_tally_sheet(
        recount_id, "Adams|Ward 1", "table 2", {"A": 5}, expected_version=1, actor="c"
    )
    assert recounts.county(recount_id, "Adams").status is CountyStatus.IN_PROGRESS
    recounts.county_step(recount_id, "Dane", CountyAction.START, actor="c", role=Role.CLERK)
    for county in ("Adams", "Dane"):
        recounts.county_step(recount_id, county, CountyAction.SUBMIT, actor="c", role=Role.CLERK)
        recounts.county_step(
            recount_id, county, CountyAction.ACCEPT, actor="a", role=Role.ADMINISTRATOR
        )
    recounts.certify(recount_id, actor="admin", totals={"A": 15})
    assert recounts.recount(recount_id).status == "certified"
    with pytest.raises(PapertallyError, match="certified"):
        recounts.enter_tally_sheet(
            recount_id, "Dane|Ward 1", "t", {"A": 1}, expected_version=0, actor="c"
        )
    assert recounts.verify_log().intact


def test_certification_waits_for_every_county(recounts: RecountStore) -> None:
    recount_id = open_recount(recounts)
    with pytest.raises(PapertallyError, match="2 counties are not accepted"):
        recounts.certify(recount_id, actor="admin", totals={})


def test_a_correction_supersedes_and_keeps_history(recounts: RecountStore) -> None:
    recount_id = open_recount(recounts)
    recounts.enter_tally_sheet(
        recount_id, "Dane|Ward 1", "t1", {"A": 10}, expected_version=0, actor="c"
    )
    with pytest.raises(PapertallyError, match="say why"):
        recounts.enter_tally_sheet(
            recount_id, "Dane|Ward 1", "t1", {"A": 11}, expected_version=1, actor="c"
        )
    recounts.enter_tally_sheet(
        recount_id, "Dane|Ward 1", "t1", {"A": 11}, expected_version=1, actor="d", reason="miscount"
    )
    current = recounts.sheets(recount_id, unit="Dane|Ward 1")
    history = recounts.sheets(recount_id, unit="Dane|Ward 1", include_history=True)
    assert [s.votes for s in current] == [{"A": 11}]
    assert [(s.votes, s.entered_by, s.reason) for s in history] == [
        ({"A": 10}, "c", None),
        ({"A": 11}, "d", "miscount"),
    ]
    assert history[0].superseded_by == history[1].id


def test_a_stale_writer_is_told_and_nothing_is_lost(recounts: RecountStore) -> None:
    recount_id = open_recount(recounts)
    recounts.enter_tally_sheet(
        recount_id, "Adams|Ward 2", "t1", {"A": 1}, expected_version=0, actor="c1"
    )
    with pytest.raises(StaleWriteError) as stale:
        recounts.enter_tally_sheet(
            recount_id, "Adams|Ward 2", "t2", {"A": 2}, expected_version=0, actor="c2"
        )
    assert stale.value.current == 1
    assert len(recounts.sheets(recount_id, unit="Adams|Ward 2")) == 1


def test_two_concurrent_writers_on_one_ward_lose_no_update(recounts: RecountStore) -> None:
    recount_id = open_recount(recounts)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def write(label: str) -> None:
        barrier.wait()
        try:
            recounts.enter_tally_sheet(
                recount_id, "Adams|Ward 1", label, {"A": 1}, expected_version=0, actor=label
            )
            outcomes.append("written")
        except StaleWriteError:
            outcomes.append("stale")

    threads = [threading.Thread(target=write, args=(f"t{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["stale", "written"]
    assert len(recounts.sheets(recount_id, unit="Adams|Ward 1")) == 1


def test_paper_records_round_trip_and_are_superseded(recounts: RecountStore) -> None:
    recount_id = open_recount(recounts)
    first = PaperRecords(poll_book_voters=307, ballots_counted=52)
    second = PaperRecords(
        poll_book_voters=307, ballots_counted=52, challenged=(ChallengedBallot("torn", 1, True),)
    )
    recounts.enter_paper_records(recount_id, "Dane|Ward 1", first, expected_version=0, actor="c")
    recounts.enter_paper_records(
        recount_id, "Dane|Ward 1", second, expected_version=1, actor="c", reason="add"
    )
    (stored,) = recounts.paper_records(recount_id)
    assert stored.records == second


def test_bad_votes_and_unknown_wards_are_refused(recounts: RecountStore) -> None:
    recount_id = open_recount(recounts)
    with pytest.raises(PapertallyError, match="at least 0"):
        recounts.enter_tally_sheet(
            recount_id, "Dane|Ward 1", "t", {"A": -1}, expected_version=0, actor="c"
        )
    with pytest.raises(PapertallyError, match="not a choice"):
        recounts.enter_tally_sheet(
            recount_id, "Dane|Ward 1", "t", {"Z": 1}, expected_version=0, actor="c"
        )
    with pytest.raises(PapertallyError, match=re.escape("no ward 'Nowhere|1' in recount")):
        recounts.enter_tally_sheet(
            recount_id, "Nowhere|1", "t", {"A": 1}, expected_version=0, actor="c"
        )


def test_log_verify_detects_a_tally_altered_in_the_database(recounts: RecountStore) -> None:
    recount_id = open_recount(recounts)
    sheet = recounts.enter_tally_sheet(
        recount_id, "Dane|Ward 1", "t", {"A": 7}, expected_version=0, actor="c"
    )
    assert recounts.verify_log().intact
    with writing(recounts.engine) as connection:
        connection.execute(
            text("UPDATE tally_sheets SET votes = :v WHERE id = :id"),
            {"v": '{"A":70}', "id": sheet},
        )
    result = recounts.verify_log()
    assert not result.intact
    assert result.chain.intact
    assert "differs from what the log recorded" in result.altered_sheets[0]


def test_log_verify_detects_an_altered_log_entry(recounts: RecountStore) -> None:
    recount_id = open_recount(recounts)
    recounts.enter_tally_sheet(
        recount_id, "Dane|Ward 1", "t", {"A": 7}, expected_version=0, actor="c"
    )
    with writing(recounts.engine) as connection:
        connection.execute(
            text("UPDATE activity_log SET actor = 'someone else' WHERE sequence = 1")
        )
    result = recounts.verify_log()
    assert result.chain.first_break == 1
