"""Benchmark of the foundation: import, reconcile, memory, and a 100,000-unit state end to end.

Prints its figures; asserts nothing. Aims (issue 2): import of the 2011 Wisconsin recount file
under 2 s, its reconciliation under 0.2 s, a synthetic 100,000-unit state (generate, write, import,
store, reconcile) under 30 s, on a 2-core machine.

    .venv/bin/python bench/bench_foundation.py [--units N] [--skip-large] [--smoke]

``--smoke`` runs a 500-unit state only, to check that the script still works (figures not
judged).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from papertally.demo import generate_statewide_election
from papertally.io import read_results, read_results_file, write_generic_csv, write_wec_report
from papertally.model import Election
from papertally.reconcile import reconcile_election
from papertally.report import write_html_report, write_unit_differences_csv
from papertally.store import Store

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
WI_2011 = DATA / "wi" / "2011-04-05_supreme-court_original-and-recount_ward.xls"

T = TypeVar("T")


def timed(work: Callable[[], T], repeat: int = 1) -> tuple[float, T]:
    """Run ``work`` ``repeat`` times; return the median wall-clock seconds and the last result.

    The CPU seconds of the median run are kept in ``CPU[-1]``: on a busy machine they show what
    the code costs when the wall clock also counts other processes' turns.
    """
    runs = []
    result: T
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    runs.sort()
    wall_seconds, cpu_seconds = runs[len(runs) // 2]
    CPU.append(cpu_seconds)
    return wall_seconds, result


CPU: list[float] = []


def peak_mib(work: Callable[[], object]) -> float:
    """Return the peak Python heap (MiB, tracemalloc) while ``work`` runs."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def line(label: str, value: str, aim: str = "") -> None:
    """Print one figure, aligned."""
    print(f"  {label:<44} {value:>12}  {aim}")


def seconds_line(label: str, seconds: float, aim: str = "", digits: int = 3) -> None:
    """Print a wall-clock time with the CPU time of the same run beside it."""
    line(label, f"{seconds:.{digits}f} s", f"(cpu {CPU[-1]:.{digits}f} s) {aim}".rstrip())


def bench_2011() -> None:
    """Import and reconcile the 2011 Wisconsin Supreme Court recount file."""
    if not WI_2011.is_file():
        print(f"(skipped: {WI_2011} not found)")
        return
    print(f"2011 Wisconsin Supreme Court recount ({WI_2011.name})")
    seconds, result = timed(lambda: read_results_file(WI_2011), repeat=3)
    seconds_line("import (read + check, median of 3)", seconds, "aim < 2 s")
    election = result.election
    seconds, rec = timed(lambda: reconcile_election(election), repeat=5)
    seconds_line("reconcile (median of 5)", seconds, "aim < 0.2 s")
    line("units / changed / margin", f"{rec.reporting_units} / {len(rec.changed_units)}")
    line("", f"{rec.before.margin} → {rec.after.margin}")
    line(
        "peak heap, import (tracemalloc)", f"{peak_mib(lambda: read_results_file(WI_2011)):.1f} MiB"
    )
    line(
        "peak heap, reconcile (tracemalloc)",
        f"{peak_mib(lambda: reconcile_election(election)):.1f} MiB",
    )
    with tempfile.TemporaryDirectory() as folder:
        seconds, _ = timed(lambda: write_html_report(rec, Path(folder) / "r.html"))
        seconds_line("HTML report with figures", seconds)


def bench_state(units: int) -> None:
    """Generate, write, import, store, load, reconcile and report a synthetic state."""
    print(f"Synthetic state: {units:,} reporting units, 72 counties")
    total = total_cpu = 0.0
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        steps: list[tuple[str, Callable[[], object]]] = []
        state: dict[str, object] = {}

        def generate() -> None:
            state["election"] = generate_statewide_election(1, 72, units)

        def write() -> None:
            write_wec_report(state["election"], here / "state.csv")  # type: ignore[arg-type]

        def read() -> None:
            state["result"] = read_results([here / "state.csv"])

        def save() -> None:
            with Store(f"sqlite:///{here / 'state.db'}") as store:
                store.migrate()
                state["id"] = store.save_import(state["result"])  # type: ignore[arg-type]

        def load() -> None:
            with Store(f"sqlite:///{here / 'state.db'}") as store:
                state["stored"] = store.load_election(state["id"])  # type: ignore[arg-type]

        def reconcile() -> None:
            state["rec"] = reconcile_election(state["stored"])  # type: ignore[arg-type]

        def report() -> None:
            rec = state["rec"]
            write_html_report(rec, here / "r.html")  # type: ignore[arg-type]
            write_unit_differences_csv(rec, here / "r.csv")  # type: ignore[arg-type]

        steps = [
            ("generate", generate),
            ("write (WEC side-by-side layout, CSV)", write),
            ("import (read + check)", read),
            ("store (SQLite, one transaction)", save),
            ("load from the store", load),
            ("reconcile", reconcile),
        ]
        for label, step in steps:
            seconds, _ = timed(step)
            total += seconds
            total_cpu += CPU[-1]
            seconds_line(label, seconds, digits=2)
        CPU.append(total_cpu)
        seconds_line("end to end", total, "aim < 30 s", digits=2)
        seconds, _ = timed(report)
        seconds_line("HTML report + per-unit CSV (extra)", seconds, digits=2)
        size = (here / "state.csv").stat().st_size / 2**20
        line("results file size", f"{size:.1f} MiB")
        bench_other_files(state["election"], here)  # type: ignore[arg-type]


def bench_other_files(election: Election, here: Path) -> None:
    """Write and read the same state as an .xlsx workbook and as a generic CSV."""
    for label, path, write in (
        (".xlsx (WEC layout)", here / "state.xlsx", write_wec_report),
        ("generic CSV", here / "generic.csv", write_generic_csv),
    ):
        seconds, _ = timed(partial(write, election, path))
        seconds_line(f"write as {label} (extra)", seconds, digits=2)
        seconds, _ = timed(partial(read_results, [path]))
        size = path.stat().st_size / 2**20
        seconds_line(f"import the {label}, {size:.0f} MiB (extra)", seconds, digits=2)


def main() -> None:
    """Run the benchmarks and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check that it runs")
    args = parser.parse_args()
    if args.smoke:
        bench_state(500)
        return
    bench_2011()
    if not args.skip_large:
        bench_state(args.units)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    line("peak resident memory of this process", f"{rss:.0f} MiB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
