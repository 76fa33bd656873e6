"""The throw-away PostgreSQL server of the tests and benchmarks: where it is missing, say so."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertally.store import pgserver


def test_missing_binaries_are_reported_with_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(pgserver, "POSTGRES_BIN_ROOT", tmp_path / "postgresql")
    assert pgserver.find_postgres_bin() is None
    with pytest.raises(
        pgserver.PostgresUnavailable, match="install the Debian package 'postgresql'"
    ):
        pgserver.TemporaryPostgres("t").start()


def test_the_newest_installed_version_is_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    for version in ("9", "15", "13"):
        folder = tmp_path / "postgresql" / version / "bin"
        folder.mkdir(parents=True)
        (folder / "initdb").touch()
        (folder / "pg_ctl").touch()
    monkeypatch.setattr(pgserver, "POSTGRES_BIN_ROOT", tmp_path / "postgresql")
    assert pgserver.find_postgres_bin() == tmp_path / "postgresql" / "15" / "bin"


def test_a_stopped_server_refuses_to_create_databases() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        pgserver.TemporaryPostgres("t").create_database("x")
