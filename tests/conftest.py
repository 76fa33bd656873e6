"""Shared test fixtures: where the real public data lives, and skipping cleanly without it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Return ``../shared/data``; skip the test, saying why, where that folder is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"shared test data not found at {SHARED_DATA} (it sits beside the project root)"
        )
    return SHARED_DATA


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Start a throw-away PostgreSQL server for this test session; yield its superuser URL.

    initdb runs in a fresh temp dir; the server listens only on 127.0.0.1 (a free port) with
    its unix socket in that dir (see :class:`papertally.store.pgserver.TemporaryPostgres`; as
    root it runs as the ``postgres`` user). Each pytest-xdist worker starts its own server;
    it is stopped and removed at session end. Skipped, saying why, where PostgreSQL is not
    installed (``make test`` installs it), but failed where the environment variable CI is set.
    """
    from papertally.store.pgserver import PostgresUnavailable, TemporaryPostgres

    server = TemporaryPostgres(os.environ.get("PYTEST_XDIST_WORKER", "main"))
    try:
        server.start()
    except PostgresUnavailable as missing:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required when CI is set: {missing}", pytrace=False)
        pytest.skip(str(missing))
    except RuntimeError as failed:
        pytest.fail(str(failed), pytrace=False)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def uploads_in_tmp_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep every test's uploaded files in its ``tmp_path``, never in the working directory."""
    monkeypatch.setenv("PAPERTALLY_DATA_DIR", str(tmp_path / "files"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield an empty database's URL: a SQLite file in ``tmp_path``, or a fresh PostgreSQL database.

    Tests that take this fixture run once on each backend. Uploaded files go to
    ``tmp_path/files`` (``$PAPERTALLY_DATA_DIR``), never into the working directory; the app
    reads them in a thread and answers once read (no worker processes to start in every test:
    ``tests/web/test_web_uploads.py`` covers those).
    """
    monkeypatch = request.getfixturevalue("monkeypatch")
    monkeypatch.setenv("PAPERTALLY_DATA_DIR", str(tmp_path / "files"))
    monkeypatch.setenv("PAPERTALLY_PARSE_WORKERS", "0")
    monkeypatch.setenv("PAPERTALLY_UPLOAD_ANSWER_SECONDS", "120")
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(request.getfixturevalue("postgres_url"))
    name = f"test_{uuid.uuid4().hex[:16]}"
    admin = {
        "host": server.host,
        "port": server.port,
        "user": server.username,
        "dbname": "postgres",
    }
    with psycopg.connect(**admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield server.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(**admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
