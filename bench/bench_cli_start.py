"""Start-up of the ``papertally`` command: wall and CPU time of quick commands (issue 11 asks
``papertally --help`` and ``papertally version`` in 0.3 s or less).

Each command runs in a fresh process, ``--runs`` times (5 by default); the medians are printed
beside a bare ``python -c pass``. ``law rules`` legitimately loads and validates the one state's
rule file. With the shared data present, ``inspect`` of the 2011 Wisconsin recount file (issue
11: 1 s or less) is timed too.

    .venv/bin/python bench/bench_cli_start.py [--runs 5]
    .venv/bin/python bench/bench_cli_start.py --smoke      # each command once
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

SHARED_FILE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "wi"
    / "2011-04-05_supreme-court_original-and-recount_ward.xls"
)
HEAVY = ("scipy", "numpy", "sqlalchemy", "alembic", "matplotlib", "weasyprint", "fastapi")


def _papertally() -> list[str]:
    """The console script beside this Python, else the same entry point through ``-c``."""
    script = Path(sys.executable).with_name("papertally")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from papertally.cli.main import main; main()"]


def _run_once(command: list[str]) -> tuple[float, float]:
    """Run ``command``; return its wall and CPU (user + system) seconds."""
    before = os.times()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return after.elapsed - before.elapsed, cpu


def _heavy_after_import() -> list[str]:
    """Heavy libraries a fresh ``import papertally.cli.main`` loads (should be none)."""
    listing = subprocess.run(
        [sys.executable, "-c", "import papertally.cli.main, sys; print(*sys.modules)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return sorted({m.split(".")[0] for m in listing} & set(HEAVY))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="Runs per command (median shown).")
    parser.add_argument("--smoke", action="store_true", help="Each command once.")
    options = parser.parse_args()
    runs = 1 if options.smoke else options.runs
    cli = _papertally()
    inspect = ("papertally inspect <2011 WI recount .xls>", [*cli, "inspect", str(SHARED_FILE)])
    commands: list[tuple[str, list[str]]] = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("papertally --help", [*cli, "--help"]),
        ("papertally version", [*cli, "version"]),
        ("papertally audit --help", [*cli, "audit", "--help"]),
        (
            "papertally law rules --state WI --date 2016-11-08",
            [*cli, "law", "rules", "--state", "WI", "--date", "2016-11-08"],
        ),
    ]
    if not options.smoke and SHARED_FILE.is_file():
        commands.append(inspect)
    print(f"CLI start-up: median of {runs} run(s) each, fresh process per run")
    print(f"{'command':52} {'wall ms':>9} {'CPU ms':>9} {'× python':>9}")
    reference: float | None = None
    for label, command in commands:
        timings = [_run_once(command) for _ in range(runs)]
        wall = statistics.median(t[0] for t in timings)
        cpu = statistics.median(t[1] for t in timings)
        reference = reference or wall
        print(f"{label:52} {wall * 1000:9.0f} {cpu * 1000:9.0f} {wall / reference:9.1f}")
    heavy = _heavy_after_import()
    print(f"heavy libraries loaded by importing the CLI: {', '.join(heavy) or 'none'}")
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
