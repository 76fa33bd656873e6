"""Every benchmark in ``bench/`` runs in its smoke mode (tiny sizes, figures not judged), so
none can rot: each ``bench/bench_*.py --smoke`` must exit 0 in a subprocess."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPTS = sorted(BENCH.glob("bench_*.py"))
NEEDS_POSTGRES = {"bench_store.py": "PAPERTALLY_BENCH_PG"}
"""Scripts that take an empty PostgreSQL database through an environment variable."""


@pytest.fixture
def environment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The script's environment: a fresh PostgreSQL database for those that take one."""
    env = {**os.environ, "PAPERTALLY_DATA_DIR": str(tmp_path / "files")}
    variable = NEEDS_POSTGRES.get(request.node.callspec.params["script"].name)
    if variable is None:
        yield env
        return
    import psycopg
    from sqlalchemy.engine import make_url

    server = make_url(request.getfixturevalue("postgres_url"))
    name = f"bench_{uuid.uuid4().hex[:16]}"
    admin = {"host": server.host, "port": server.port, "user": server.username}
    with psycopg.connect(**admin, dbname="postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield {**env, variable: server.set(database=name).render_as_string(hide_password=False)}
    with psycopg.connect(**admin, dbname="postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_every_benchmark_is_covered() -> None:
    assert len(SCRIPTS) >= 8, [s.name for s in SCRIPTS]


def _run(script: Path, env: dict[str, str], folder: Path) -> tuple[int, str]:
    """Run ``script --smoke`` in its own process group; return its exit status and output.

    Output goes to a file, not a pipe, so a server the script started and left behind cannot
    hold the test up; whatever is left of the group afterwards is stopped.
    """
    log = folder / "output.txt"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(script), "--smoke"],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = process.wait(timeout=300)
        except subprocess.TimeoutExpired:
            code = -1
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait()
    return code, log.read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_benchmark_runs_in_smoke_mode(
    script: Path, environment: dict[str, str], tmp_path: Path
) -> None:
    code, output = _run(script, environment, tmp_path)
    assert code == 0, f"{script.name} --smoke (exit {code}, -1: over 300 s):\n{output}"
    assert output.strip(), f"{script.name} --smoke printed no figures"
