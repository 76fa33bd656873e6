"""Statewide-sized saves: many rows per statement, and a refusal deep in a bulk insert."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from papertally.demo import generate_statewide_election
from papertally.errors import PapertallyError
from papertally.model import Election, ImportResult
from papertally.store import Store

REFUSED = 424_242
"""A vote figure the test's database trigger refuses, as a constraint would."""

SQLITE_TRIGGER = f"""
CREATE TRIGGER refuse_figure BEFORE INSERT ON votes WHEN NEW.votes = {REFUSED}
BEGIN SELECT RAISE(ABORT, 'figure refused'); END
"""
POSTGRES_TRIGGER = [
    f"""
    CREATE FUNCTION refuse_figure() RETURNS trigger AS $$
    BEGIN
        IF NEW.votes = {REFUSED} THEN
            RAISE EXCEPTION 'figure refused' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    "CREATE TRIGGER refuse_figure BEFORE INSERT ON votes "
    "FOR EACH ROW EXECUTE FUNCTION refuse_figure()",
]


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """Yield a migrated store on each backend."""
    with Store(db_url) as opened:
        opened.migrate()
        yield opened


def state(units: int = 301) -> Election:
    """Return a synthetic state whose counts do not fill the last multi-row insert evenly."""
    return generate_statewide_election(5, counties=7, units=units)


def test_a_state_saves_and_loads_equal_in_order(store: Store) -> None:
    election = state()
    election_id = store.save_import(ImportResult(election, [], [], []))
    loaded = store.load_election(election_id)
    assert loaded == election
    assert list(loaded.units) == list(election.units)
    for saved, back in zip(election.counts, loaded.counts, strict=True):
        assert list(back.units) == list(saved.units)


@pytest.mark.parametrize("position", [0, 150, 300])
def test_a_refusal_deep_in_a_bulk_insert_saves_nothing(store: Store, position: int) -> None:
    kept = state(units=20)
    kept_id = store.save_import(ImportResult(kept, [], [], []))
    with store.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            for statement in POSTGRES_TRIGGER:
                connection.execute(text(statement))
        else:
            connection.execute(text(SQLITE_TRIGGER))
    election = state()
    recount = election.counts[1]
    tally = list(recount.units.values())[position]
    tally.votes[next(iter(tally.votes))] = REFUSED
    with pytest.raises(PapertallyError, match=r"refused the import.*figure refused"):
        store.save_import(ImportResult(election, [], [], []), election_name="second")
    assert [s.id for s in store.list_elections()] == [kept_id]
    assert store.load_election(kept_id) == kept
