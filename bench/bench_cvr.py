"""Benchmark of the CVR readers: 5,000,000 synthetic Dominion-style CVRs, read and tallied.

Aim (issue 11): reading 5,000,000 Dominion-style CVRs takes 45 s or less on a 2-core machine
and 2 GB or less of memory (issue 6 asked 2 minutes and 4 GB). On a shared machine, run
``--cards 1000000`` and read the idle estimate (reading CPU time / cores) beside the wall time.
The exports (5.10 layout, multi-card sessions, zips of many ``CvrExport_N.json`` files
with manifests, as real exports are) are generated in a temporary folder by
``make_dominion_cvrs.py`` and deleted afterwards. The reading runs in its own process so its
peak memory (``resource.getrusage`` max RSS, of the reader and of its worker processes) is
not mixed with the generator's. The cards read and the tallies are checked against what the
generator wrote. Prints its figures; asserts nothing.

    .venv/bin/python bench/bench_cvr.py [--cards 5000000] [--workers N] [--data DIR] [--smoke]

``--smoke`` reads 2,000 cards with one worker, to check that the script still works.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _cpu_seconds() -> float:
    """Return the CPU time (user + system) of this process and its finished children."""
    return sum(
        u.ru_utime + u.ru_stime
        for u in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )


def read_and_report(folder: Path, workers: int | None) -> None:
    """Read every zip in ``folder``, tally, check against ``expected.json`` and print figures."""
    from papertally.io.cvr import read_cvrs

    zips = sorted(folder.glob("*.zip"))
    cpu_before = _cpu_seconds()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    cards = read_cvrs(zips, workers=workers)
    read_seconds = time.perf_counter() - started
    read_cpu = _cpu_seconds() - cpu_before
    after_read = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    totals = cards.choice_totals()
    tally_seconds = time.perf_counter() - started
    expected = json.loads((folder / "expected.json").read_text())
    by_key = {choice.key: int(totals[code]) for code, choice in enumerate(cards.choices)}
    tallies_ok = all(by_key.get(k) == n for k, n in expected["first_choice_tallies"].items())
    own_usage = resource.getrusage(resource.RUSAGE_SELF)
    child_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = own_usage.ru_maxrss / 1024
    children = child_usage.ru_maxrss / 1024
    cpu = sum(u.ru_utime + u.ru_stime for u in (own_usage, child_usage))
    print(f"cards read:            {len(cards):,} (expected {expected['cards']:,})")
    print(f"tallies match:         {tallies_ok}")
    print(f"read time:             {read_seconds:.1f} s ({len(cards) / read_seconds:,.0f} cards/s)")
    print(f"tally time:            {tally_seconds:.2f} s")
    print(f"CPU time, all:         {cpu:.1f} s (reader and workers, reading and tally)")
    workers_used = workers or min(os.cpu_count() or 1, 4)
    cores = min(os.cpu_count() or 1, workers_used)
    per_million = read_cpu / len(cards) * 1e6
    print(f"CPU time, reading:     {read_cpu:.1f} s ({per_million:.1f} s per million cards)")
    print(
        f"idle estimate:         {read_cpu / cores:.1f} s on {cores} idle core(s); "
        f"5,000,000 cards ≈ {5 * per_million / cores:.0f} s "
        "(reading CPU / cores: the machine may be shared, so wall time is not the figure)"
    )
    print(f"card columns in RAM:   {cards.memory_bytes() / 2**20:,.0f} MiB")
    print(f"peak RSS, reader:      {after_read:,.0f} MiB reading, {own:,.0f} MiB with the tally")
    print(f"peak RSS, one worker:  {children:,.0f} MiB")
    bound = own + workers_used * children
    print(f"peak RSS, upper bound: {bound:,.0f} MiB (reader + {workers_used} workers)")
    scale = 5_000_000 / max(len(cards), 1)
    reading_peak = rss_before + (after_read - rss_before) * scale + workers_used * children
    tally_peak = rss_before + (own - rss_before) * scale
    print(
        f"5,000,000 cards ≈      {reading_peak:,.0f} MiB peak reading (reader + workers), "
        f"{tally_peak:,.0f} MiB with the tally (the reader's growth scaled)"
    )


def main() -> None:
    """Generate the exports, then read them in a separate process and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cards", type=int, default=5_000_000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--data", type=Path, help="reuse (or keep) the generated exports here")
    parser.add_argument("--read-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check that it runs")
    args = parser.parse_args()
    if args.smoke:
        args.cards, args.workers = 2_000, 1
    if args.read_only:
        read_and_report(args.read_only, args.workers)
        return
    with tempfile.TemporaryDirectory(prefix="papertally-cvr-bench-") as temporary:
        folder = args.data or Path(temporary)
        if not (folder / "expected.json").exists():
            started = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    str(HERE / "make_dominion_cvrs.py"),
                    str(folder),
                    "--cards",
                    str(args.cards),
                ],
                check=True,
            )
            print(f"generation:            {time.perf_counter() - started:.1f} s")
        zips = sorted(folder.glob("*.zip"))
        compressed = sum(z.stat().st_size for z in zips)
        raw = 0
        files = 0
        for path in zips:
            with zipfile.ZipFile(path) as archive:
                raw += sum(i.file_size for i in archive.infolist())
                files += len(archive.infolist())
        print(
            f"exports:               {len(zips)} zips, {files:,} files, "
            f"{compressed / 2**20:,.0f} MiB zipped, {raw / 2**30:,.1f} GiB of JSON"
        )
        print(
            f"machine:               {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
        )
        command = [sys.executable, __file__, "--read-only", str(folder)]
        if args.workers:
            command += ["--workers", str(args.workers)]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
