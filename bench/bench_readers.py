"""Benchmark of the OpenElections reader on a large synthetic statewide precinct CSV.

Aim (issue 11, "Every reader streams"): a 1 GB OpenElections CSV imports in bounded memory,
that is memory that grows with the election's units and contests (what the import must keep),
not with the file: the file is never held whole, nor as a list of rows, and each count keeps
its tallies in columns of machine integers (:class:`papertally.model.results.TallyTable`).
The CSV (``county, precinct, office, district, party, candidate, votes`` and four vote-type
columns, with registered-voters and ballots-cast rows per precinct, as Georgia's and Ohio's
files have) is written to a temporary folder, read through :func:`papertally.io.read_results`
in a child process (so its peak resident memory is the reader's alone) and deleted. The totals
are checked against what was written. Prints rows/s, peak RSS, the RSS per kept tally and the
peak a 1 GiB file of the same density would reach; asserts nothing.

    .venv/bin/python bench/bench_readers.py [--megabytes 1024] [--smoke]

``--smoke`` writes and reads about 2 MB, to check that the script still works.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = (
    "county,precinct,office,district,party,candidate,votes,"
    "absentee,election_day,early_voting,provisional\n"
)
OFFICES = (
    ("President", "", (("REP", "Ann Lee"), ("DEM", "Bo Diaz"), ("LIB", "Cy Moe"))),
    ("U.S. House", "7", (("REP", "Di Roe"), ("DEM", "Ed Poe"))),
    ("State Senate", "12", (("REP", "Fay Kim"), ("DEM", "Gus Orr"))),
    ("State House", "44", (("REP", "Hal Ng"), ("DEM", "Ida Ma"))),
    ("Sheriff", "", (("REP", "Jo Fox"), ("DEM", "Kit Lu"))),
)
ROWS_PER_PRECINCT = 2 + sum(len(c) for _, _, c in OFFICES)


def votes_of(precinct: int, column: int) -> tuple[int, int, int, int]:
    """Return the synthetic absentee, election-day, early and provisional votes of a cell."""
    seed = (precinct * 7919 + column * 104729) % 1000
    return seed % 40, seed % 300, seed % 120, seed % 3


def write_csv(path: Path, megabytes: int) -> tuple[int, int, int]:
    """Write precincts until the file reaches ``megabytes``; return precincts, rows, votes."""
    limit = megabytes * 2**20
    written = rows = total = precinct = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        while written < limit:
            county = f"County {precinct // 400:03d}"
            name = f"Precinct {precinct:07d}"
            lines = [
                f"{county},{name},Registered Voters,,,,{900 + precinct % 700},,,,\n",
                f"{county},{name},Ballots Cast,,,,{500 + precinct % 400},,,,\n",
            ]
            column = 0
            for office, district, choices in OFFICES:
                for party, candidate in choices:
                    parts = votes_of(precinct, column)
                    column += 1
                    total += sum(parts)
                    numbers = ",".join(map(str, parts))
                    lines.append(
                        f"{county},{name},{office},{district},{party},{candidate},"
                        f"{sum(parts)},{numbers}\n"
                    )
            chunk = "".join(lines)
            out.write(chunk)
            written += len(chunk)
            rows += len(lines)
            precinct += 1
    return precinct, rows, total


def read_and_report(path: Path, precincts: int, rows: int, total: int) -> None:
    """Read the CSV at ``path`` and print time, memory and whether the totals match."""
    from papertally.io import read_results

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    result = read_results([path])
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    peak = after.ru_maxrss / 1024
    election = result.election
    tallies = sum(len(c.units) for c in election.counts)
    size = path.stat().st_size / 2**20
    ok = (
        len(election.units) == precincts
        and sum(c.total_votes for c in election.counts) == total
        and len(election.unit_statistics) == precincts
        and not result.warnings
    )
    print(f"file:                  {size:,.1f} MiB, {rows:,} rows, {precincts:,} precincts")
    print(f"read time:             {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")
    print(f"CPU time:              {cpu:.1f} s (the read time less any wait for a shared core)")
    print(f"peak RSS:              {peak:,.0f} MiB ({baseline:,.0f} MiB before reading)")
    print(f"peak RSS / file size:  {peak / size:.2f}")
    print(f"kept:                  {tallies:,} tallies, {(peak - baseline) * 2**20 / tallies:,.0f}")
    print("                       bytes of RSS per tally (units x contests, 2-3 choices each)")
    gigabyte = baseline + (peak - baseline) * 1024 / size
    print(f"a 1 GiB file like it:  about {gigabyte:,.0f} MiB peak RSS (scaled from this file;")
    print("                       a file under ~100 MiB overstates it: fixed costs dominate)")
    print(f"units, votes, statistics match what was written: {ok}")


def main() -> None:
    """Write the CSV, read it in a child process, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=1024, help="size of the CSV")
    parser.add_argument("--smoke", action="store_true", help="about 2 MB")
    parser.add_argument("--read", nargs=4, metavar=("PATH", "UNITS", "ROWS", "VOTES"))
    args = parser.parse_args()
    if args.read:
        path, precincts, rows, total = args.read
        read_and_report(Path(path), int(precincts), int(rows), int(total))
        return
    megabytes = 2 if args.smoke else args.megabytes
    with tempfile.TemporaryDirectory(prefix="bench-readers-") as folder:
        path = Path(folder) / "20201103__xx__general__precinct.csv"
        started = time.perf_counter()
        precincts, rows, total = write_csv(path, megabytes)
        print(f"written in:            {time.perf_counter() - started:.1f} s")
        command = [sys.executable, __file__, "--read", str(path), str(precincts), str(rows)]
        subprocess.run([*command, str(total)], check=True)


if __name__ == "__main__":
    main()
