"""Store benchmark: save and load a synthetic statewide election on SQLite and PostgreSQL.

A 100,000-unit election with one contest of four choices and two counts (original canvass and
recount: 800,000 vote figures) is saved with :meth:`Store.save_import` and loaded back with
:meth:`Store.load_election`. Each backend runs in its own child process, so the peak resident
memory printed is that backend's alone. Aim (issue 2): save and load well under 30 s each.

    .venv/bin/python bench/bench_store.py [--units N] [--backend sqlite|postgresql] [--smoke]

``--smoke`` stores 300 units, to check that the script still works (figures not judged).

PostgreSQL: a throw-away server is started (``papertally.store.pgserver``) unless
``$PAPERTALLY_BENCH_PG`` gives a URL of an empty database to use.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from papertally.errors import FileLocation
from papertally.model import (
    SCATTERING,
    Choice,
    Contest,
    ContestCount,
    Election,
    ImportResult,
    ReportingUnit,
    ResultsStatus,
)
from papertally.store import Store
from papertally.store.pgserver import PostgresUnavailable, TemporaryPostgres

CHOICES = ["Alice Able", "Bob Baker", "Carol Cole", SCATTERING]
CONTEST = "Justice of the Supreme Court"


def synthetic_election(units: int, seed: int = 2011) -> ImportResult:
    """Return a seeded election of ``units`` wards in 72 counties, canvass and recount."""
    rng = random.Random(seed)
    election = Election("Synthetic statewide", state="WI")
    election.contests[CONTEST] = Contest(
        CONTEST, office=CONTEST, choices=[Choice(n, is_write_in=n == SCATTERING) for n in CHOICES]
    )
    canvass = ContestCount(CONTEST, "original canvass")
    recount = ContestCount(CONTEST, "recount", status=ResultsStatus.RECOUNT)
    for i in range(units):
        county = f"County {i % 72:02d}"
        unit = election.add_unit(
            ReportingUnit.of(county, f"CITY OF C{i // 72} Ward {i}", municipality=f"C{i // 72}")
        )
        for row, count in enumerate((canvass, recount)):
            for choice in CHOICES:
                votes = rng.randint(0, 400) if choice != SCATTERING else rng.randint(0, 3)
                count.set_votes(unit.id, choice, votes + (row and rng.randint(0, 1)))
            tally = count.units[unit.id]
            tally.ballots_cast = tally.total_votes + rng.randint(0, 5)
            tally.source = FileLocation("synthetic.xlsx", "Sheet1", i + 12, None)
    election.counts = [canvass, recount]
    return ImportResult(election, files=["synthetic.xlsx"], formats=["synthetic"])


def peak_rss_mb() -> float:
    """Return this process's peak resident memory so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(url: str, units: int) -> None:
    """Save and load the synthetic election at ``url`` and print the figures."""
    result = synthetic_election(units)
    votes = sum(len(t.votes) for c in result.election.counts for t in c.units.values())
    built_mb = peak_rss_mb()
    with Store(url) as store:
        store.migrate()
        started, cpu = time.perf_counter(), time.process_time()
        election_id = store.save_import(result)
        saved, saved_cpu = time.perf_counter() - started, time.process_time() - cpu
        save_mb = peak_rss_mb()
        started, cpu = time.perf_counter(), time.process_time()
        loaded = store.load_election(election_id)
        load, load_cpu = time.perf_counter() - started, time.process_time() - cpu
        same = loaded == result.election
        started = time.perf_counter()
        store.delete_election(election_id)
        deleted = time.perf_counter() - started
    print(
        f"  {units:,} units, {votes:,} vote figures: save {saved:.2f} s (this process's CPU "
        f"{saved_cpu:.2f} s), load {load:.2f} s (CPU {load_cpu:.2f} s), delete {deleted:.2f} s; "
        f"loaded equals saved: {same}"
    )
    print(
        f"  peak RSS: {built_mb:.0f} MB after building the election, {save_mb:.0f} MB after "
        f"saving, {peak_rss_mb():.0f} MB after loading (both elections in memory)"
    )
    if not same:
        raise SystemExit("the loaded election differs from the saved one")


def run_backend(backend: str, units: int) -> None:
    """Measure one backend in this process (the child side of :func:`main`)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="papertally-bench-") as folder:
            path = Path(folder) / "bench.db"
            measure(f"sqlite:///{path}", units)
            size = sum(p.stat().st_size for p in Path(folder).iterdir())
            print(f"  SQLite file (with write-ahead log) after delete: {size / 1e6:.1f} MB")
        return
    given = os.environ.get("PAPERTALLY_BENCH_PG")
    if given:
        measure(given, units)
        return
    try:
        with TemporaryPostgres("bench") as server:
            measure(server.create_database("bench"), units)
    except PostgresUnavailable as missing:
        print(f"  skipped: {missing}")


def main() -> None:
    """Run each backend in a child process and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check that it runs")
    args = parser.parse_args()
    if args.smoke:
        args.units = 300
    if args.backend:
        run_backend(args.backend, args.units)
        return
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    for backend in ("sqlite", "postgresql"):
        print(f"store on {backend}:", flush=True)
        child = [sys.executable, __file__, "--backend", backend, "--units", str(args.units)]
        subprocess.run(child, check=True)


if __name__ == "__main__":
    main()
