"""Start-up of the ``papertally`` command: wall and CPU time of quick commands (issue 11 asks
``papertally --help`` and ``papertally version`` in 0.3 s or less).

Each command runs in a fresh process, ``--runs`` times (9 by default); the best and the median
wall and CPU (user + system, from ``getrusage``) times are printed beside a bare
``python -c pass``. On a machine shared with other work the wall times swing with the load; the
best CPU time is the steadier figure. ``law rules`` legitimately loads and validates the one
state's rule file. With the shared data present, ``inspect`` of the 2011 Wisconsin recount file
(issue 11: 1 s or less) is timed too. Then ``python -X importtime`` totals: what the quick
commands spend importing, and the modules that cost most.

    .venv/bin/python bench/bench_cli_start.py [--runs 9]
    .venv/bin/python bench/bench_cli_start.py --smoke      # each command once, importtime of --help
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

SHARED_FILE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "wi"
    / "2011-04-05_supreme-court_original-and-recount_ward.xls"
)
HEAVY = ("scipy", "numpy", "sqlalchemy", "alembic", "matplotlib", "weasyprint", "fastapi")
ENTRY = "import sys; from papertally.cli.main import main; sys.argv[0] = 'papertally'; main()"
"""The console script's entry point, run through ``python -c`` (for ``-X importtime``)."""


def _papertally() -> list[str]:
    """The console script beside this Python, else the same entry point through ``-c``."""
    script = Path(sys.executable).with_name("papertally")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", ENTRY]


def _run_once(command: list[str]) -> tuple[float, float]:
    """Run ``command``; return its wall and CPU (user + system) seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _import_times(arguments: list[str]) -> tuple[int, list[tuple[int, str]]]:
    """Microseconds ``papertally ARGUMENTS`` spends importing, and its costliest top-level
    imports (cumulative microseconds, name), from ``python -X importtime``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", ENTRY, *arguments],
        check=True,
        capture_output=True,
        text=True,
    )
    total = 0
    top: list[tuple[int, str]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        total += int(own)
        if not name.startswith("  "):
            top.append((int(cumulative), name.strip()))
    return total, sorted(top, reverse=True)


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
    parser.add_argument("--runs", type=int, default=9, help="Runs per command.")
    parser.add_argument("--smoke", action="store_true", help="Each command once.")
    options = parser.parse_args()
    runs = 1 if options.smoke else max(options.runs, 1)
    cli = _papertally()
    quick = [["--help"], ["version"], ["audit", "--help"], ["inspect", "--help"]]
    commands: list[tuple[str, list[str]]] = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        *((f"papertally {' '.join(a)}", [*cli, *a]) for a in quick),
        (
            "papertally law rules --state WI --date 2016-11-08",
            [*cli, "law", "rules", "--state", "WI", "--date", "2016-11-08"],
        ),
    ]
    if not options.smoke and SHARED_FILE.is_file():
        commands.append(
            ("papertally inspect <2011 WI recount .xls>", [*cli, "inspect", str(SHARED_FILE)])
        )
    print(f"CLI start-up: {runs} run(s) each, a fresh process per run; milliseconds")
    print(f"{'command':50} {'wall best':>9} {'median':>7} {'CPU best':>9} {'median':>7}")
    for label, command in commands:
        timings = [_run_once(command) for _ in range(runs)]
        walls = [t[0] * 1000 for t in timings]
        cpus = [t[1] * 1000 for t in timings]
        print(
            f"{label:50} {min(walls):9.0f} {statistics.median(walls):7.0f}"
            f" {min(cpus):9.0f} {statistics.median(cpus):7.0f}"
        )
    print("python -X importtime (one run each): time spent importing, and the costliest imports")
    for arguments in quick[:1] if options.smoke else quick:
        total, top = _import_times(arguments)
        costliest = ", ".join(f"{name} {us / 1000:.0f}" for us, name in top[:4])
        print(f"  papertally {' '.join(arguments):14} {total / 1000:6.0f} ms   ({costliest})")
    heavy = _heavy_after_import()
    print(f"heavy libraries loaded by importing the CLI: {', '.join(heavy) or 'none'}")
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
