"""Every benchmark in ``bench/`` runs in its smoke mode (tiny sizes, figures not judged), so
none can rot: each ``bench/bench_*.py --smoke`` must exit 0 in a subprocess."""

from __future__ import annotations

import os
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


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_benchmark_runs_in_smoke_mode(
    script: Path, environment: dict[str, str], tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, str(script), "--smoke"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{script.name} --smoke:\n{result.stdout}\n{result.stderr}"
    assert result.stdout.strip(), f"{script.name} --smoke printed no figures"
