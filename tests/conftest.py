"""Shared test fixtures: where the real public data lives, and skipping cleanly without it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
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


POSTGRES_BIN_ROOT = Path("/usr/lib/postgresql")
"""Where Debian's ``postgresql`` package puts ``initdb`` and ``pg_ctl`` (one folder per version)."""


def _postgres_bin_dir() -> Path | None:
    """Return the folder of the newest ``initdb``/``pg_ctl`` installed, or ``None``."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).parent
    found = [
        p.parent for p in POSTGRES_BIN_ROOT.glob("*/bin/pg_ctl") if (p.parent / "initdb").exists()
    ]
    found.sort(key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0)
    return found[-1] if found else None


def _postgres_unavailable(reason: str) -> None:
    """Skip, saying why; but fail loudly under CI, where PostgreSQL must be there."""
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required when CI is set: {reason}", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Start a throw-away PostgreSQL server for this test session; yield its superuser URL.

    initdb runs in a fresh temp dir; the server listens only on 127.0.0.1 (a free port) with
    its unix socket in that dir, trusts loopback, and skips fsync (test data only). As root
    it runs as the ``postgres`` system user, since initdb refuses root. Each pytest-xdist
    worker starts its own server. Stopped and removed at the end of the session. Skipped with
    the reason where PostgreSQL is not installed (``make test`` installs it), failed under CI.
    """
    bin_dir = _postgres_bin_dir()
    if bin_dir is None:
        _postgres_unavailable(
            f"PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or under "
            f"{POSTGRES_BIN_ROOT}; install the Debian package 'postgresql' (make test does)"
        )
        raise AssertionError("unreachable")
    prefix: list[str] = []
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    root = Path(tempfile.mkdtemp(prefix=f"papertally-pg-{worker}-"))
    if os.geteuid() == 0:
        try:
            shutil.chown(root, user="postgres", group="postgres")
        except LookupError:
            shutil.rmtree(root)
            _postgres_unavailable("running as root and there is no 'postgres' user to run initdb")
        prefix = ["runuser", "-u", "postgres", "--"]
    data, log = root / "data", root / "server.log"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=120)

    initdb = run(
        str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
        "--encoding=UTF8", "--no-locale", "--no-sync",
    )  # fmt: skip
    if initdb.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"initdb failed: {initdb.stderr or initdb.stdout}", pytrace=False)
    port, started = 0, None
    for _attempt in range(5):
        port = _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        started = run(
            str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
            "-o", options, "start",
        )  # fmt: skip
        if started.returncode == 0:
            break
    if started is None or started.returncode != 0:
        server_log = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {server_log}", pytrace=False)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Yield an empty database's URL: a SQLite file in ``tmp_path``, or a fresh PostgreSQL database.

    Tests that take this fixture run once on each backend.
    """
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
