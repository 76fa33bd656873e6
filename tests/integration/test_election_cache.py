"""The web app's cache of imported elections: served only while the store says it is current."""

from __future__ import annotations

from pathlib import Path

from papertally.demo import generate_statewide_election
from papertally.model import ImportResult
from papertally.web.service import ELECTIONS_CACHED, Services


def _services(tmp_path: Path) -> Services:
    services = Services(f"sqlite:///{tmp_path / 'store.db'}")
    services.store.migrate()
    return services


def test_an_election_is_read_once_while_it_is_unchanged(tmp_path: Path) -> None:
    services = _services(tmp_path)
    election = generate_statewide_election(seed=1, counties=3, units=30)
    election_id = services.store.save_import(ImportResult(election), actor="test")
    first = services.election(election_id)
    assert services.election(election_id) is first
    assert first.units.keys() == election.units.keys()


def test_a_deleted_and_reimported_election_is_read_again(tmp_path: Path) -> None:
    """SQLite may give the new election the old id: the version, not the id, decides."""
    services = _services(tmp_path)
    old = generate_statewide_election(seed=1, counties=3, units=30)
    election_id = services.store.save_import(ImportResult(old), actor="test")
    cached = services.election(election_id)
    services.store.delete_election(election_id, actor="test")
    new = generate_statewide_election(seed=2, counties=4, units=40)
    new_id = services.store.save_import(ImportResult(new), actor="test")
    fresh = services.election(new_id)
    assert fresh is not cached
    assert fresh.units.keys() == new.units.keys()


def test_the_cache_keeps_only_the_latest_elections(tmp_path: Path) -> None:
    services = _services(tmp_path)
    ids = [
        services.store.save_import(
            ImportResult(generate_statewide_election(seed=seed, counties=2, units=10)),
            election_name=f"election {seed}",
            actor="test",
        )
        for seed in range(ELECTIONS_CACHED + 1)
    ]
    first = services.election(ids[0])
    for election_id in ids[1:]:
        services.election(election_id)
    assert services.election(ids[0]) is not first
