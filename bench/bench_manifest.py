"""Benchmark of the ballot manifest reader: a synthetic Arlo manifest of millions of batches.

Aim (issue 10, availability): a 132 MB CSV manifest of 3,700,000 batches is read in well under
a minute (15 s on the 2-core reference machine; the CPU time shows it when the machine is
shared) and in well under 1 GB of memory (4 times the
file's size). The manifest (Arlo's columns ``Container``, ``Tabulator``, ``Batch Name``,
``Number of Ballots``, ``CVR``) is written to a temporary folder and deleted afterwards. The
reading runs in its own process, so that its peak resident memory (``resource.getrusage`` max
RSS) is the reader's alone; a second reading under ``tracemalloc`` gives the peak of Python's
own allocations. The batches, ballots and one located ballot are checked against what was
written. Prints its figures; asserts nothing.

    .venv/bin/python bench/bench_manifest.py [--batches 3700000] [--no-tracemalloc] [--smoke]

``--smoke`` reads 20,000 batches, to check that the script still works.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = "Container,Tabulator,Batch Name,Number of Ballots,CVR\n"


def ballots_of(index: int) -> int:
    """Return the synthetic number of ballots of batch ``index`` (between 50 and 499)."""
    return 50 + (index * 7919) % 450


def write_manifest(path: Path, batches: int) -> int:
    """Write a manifest of ``batches`` rows to ``path``, streaming; return its total ballots."""
    total = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        lines: list[str] = []
        for index in range(batches):
            ballots = ballots_of(index)
            total += ballots
            cvr = "N" if index % 10 == 0 else "Y"
            lines.append(
                f"Box {index // 500},TAB-{index % 97:03d},Batch {index:08d},{ballots},{cvr}\n"
            )
            if len(lines) == 100_000:
                out.write("".join(lines))
                lines.clear()
        out.write("".join(lines))
    return total


def read_and_report(path: Path, batches: int, total: int, trace: bool) -> None:
    """Read the manifest at ``path`` and print time, memory and whether it matches."""
    from papertally.io.manifests import read_manifest

    before = resource.getrusage(resource.RUSAGE_SELF)
    baseline = before.ru_maxrss / 1024
    started = time.perf_counter()
    manifest = read_manifest(path, "Bench County")
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    middle = batches // 2
    first_of_middle = sum(ballots_of(i) for i in range(middle))
    location = manifest.location(first_of_middle)
    size = path.stat().st_size / 2**20
    print(f"file:                  {size:,.1f} MiB, {batches:,} batches")
    print(f"read time:             {seconds:.1f} s ({batches / seconds:,.0f} batches/s)")
    print(f"CPU time:              {cpu:.1f} s (the read time less any wait for a shared core)")
    print(f"peak RSS:              {peak:,.0f} MiB ({baseline:,.0f} MiB before reading)")
    print(f"peak RSS / file size:  {peak / size:.1f}")
    ok = (
        len(manifest) == batches
        and manifest.total_ballots == total
        and location.batch.name == f"Batch {middle:08d}"
        and location.position == 1
    )
    print(f"batches, ballots, a located ballot match: {ok}")
    del manifest
    if trace:
        import tracemalloc

        tracemalloc.start()
        started = time.perf_counter()
        kept = read_manifest(path, "Bench County")
        traced_seconds = time.perf_counter() - started
        current, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"tracemalloc:           peak {traced_peak / 2**20:,.0f} MiB, kept "
            f"{current / 2**20:,.0f} MiB for {len(kept):,} batches ({traced_seconds:.1f} s traced)"
        )


def main() -> None:
    """Write the manifest, read it in a child process, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=3_700_000)
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the traced reading")
    parser.add_argument("--smoke", action="store_true", help="20,000 batches")
    parser.add_argument("--read", nargs=3, metavar=("PATH", "BATCHES", "TOTAL"), help="internal")
    args = parser.parse_args()
    if args.read:
        path, batches, total = args.read
        read_and_report(Path(path), int(batches), int(total), not args.no_tracemalloc)
        return
    batches = 20_000 if args.smoke else args.batches
    with tempfile.TemporaryDirectory(prefix="bench-manifest-") as folder:
        path = Path(folder) / "Bench County - ballot manifest.csv"
        started = time.perf_counter()
        total = write_manifest(path, batches)
        print(f"written in:            {time.perf_counter() - started:.1f} s")
        command = [sys.executable, __file__, "--read", str(path), str(batches), str(total)]
        if args.no_tracemalloc:
            command.append("--no-tracemalloc")
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
