"""Load benchmark of the recount app: 72 county clerks entering 3,600 ward tallies at once.

A throw-away PostgreSQL server (``papertally.store.pgserver``) holds a synthetic statewide
election (72 counties, 3,600 wards); the app runs as two ``papertally serve`` processes on their
own loopback ports over that one database (as behind a load balancer: no state lives in an app
process), the clerks split between them; 72 clients, one per county clerk, each sign in and
enter a tally sheet for every ward of their county, all at once. Traffic goes only to
127.0.0.1, the number of requests is fixed (3,600 sheets plus sign-ins) and the run gives up
after ``--timeout`` s.

Two phases, each on its own recount: *paced*, each clerk spreading her wards over
``--duration`` seconds (3,600 tallies in two minutes is far faster than boards count), and
*burst*, every clerk sending the next tally the moment the last is answered (the most the app
can take). Prints requests per second and p50/p99 latency of the tally writes for each, then
checks in the store that every write is there with the votes sent and that the activity log
verifies. Aim (issue 5): p99 under 200 ms, nothing lost.

    .venv/bin/python bench/bench_web_load.py [--wards 3600] [--counties 72] [--processes 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx

from papertally.demo import generate_statewide_election
from papertally.model import ImportResult
from papertally.model.recount import Role, ward_totals_from_sheets
from papertally.store import Store
from papertally.store.pgserver import TemporaryPostgres
from papertally.store.recounts import RecountStore
from papertally.store.users import UserStore
from papertally.web.security import CSRF_HEADER, hash_password

PASSWORD = "load test password"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def prepare(
    url: str, counties: int, wards: int, recounts_wanted: int
) -> tuple[list[int], dict[str, list[str]], list[str]]:
    """Store the election, the clerks and open recounts; return their ids, wards and choices."""
    store = Store(url)
    store.migrate()
    election = generate_statewide_election(seed=2016, counties=counties, units=wards)
    election_id = store.save_import(ImportResult(election))
    contest = next(iter(election.contests.values()))
    base = election.count(contest.name, "original canvass")
    units = {uid: election.units[uid].county for uid in base.units}
    recounts = RecountStore(store.engine)
    password_hash = hash_password(PASSWORD)
    by_county: dict[str, list[str]] = {}
    for uid, county in units.items():
        by_county.setdefault(county, []).append(uid)
    for county in by_county:
        UserStore(store.engine).add_user(
            f"clerk-{county}", password_hash, Role.CLERK, county, actor="bench"
        )
    recount_ids = [
        recounts.open_recount(
            election_id=election_id,
            contest=contest.name,
            units=units,
            reason="load benchmark",
            deadline=datetime(2099, 1, 1, tzinfo=UTC),
            actor="bench",
        )
        for _ in range(recounts_wanted)
    ]
    store.close()
    return recount_ids, by_county, contest.choice_names()


def votes_for(unit: str, choices: list[str]) -> dict[str, int]:
    """Return deterministic votes for a ward, so the check can tell what was sent."""
    seed = sum(map(ord, unit))
    return {choice: (seed * (i + 7)) % 900 for i, choice in enumerate(choices)}


async def clerk(
    base: str,
    recount_id: int,
    county: str,
    units: list[str],
    choices: list[str],
    duration: float | None,
) -> tuple[list[float], int]:
    """Sign in as the county's clerk and enter one sheet per ward; return latencies and errors.

    With ``duration`` the clerk spreads her wards evenly over that many seconds (as people
    entering tally sheets do); without it she sends the next one as soon as the last is answered.
    """
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        client.headers[CSRF_HEADER] = (await client.get("/api/session")).json()["csrf_token"]
        signed = await client.post(
            "/api/session", json={"username": f"clerk-{county}", "password": PASSWORD}
        )
        signed.raise_for_status()
        client.headers[CSRF_HEADER] = signed.json()["csrf_token"]
        interval = None if duration is None else duration / len(units)
        offset = random.Random(county).uniform(0, interval or 0)
        begun = time.perf_counter()
        for number, unit in enumerate(units):
            if interval is not None:
                await asyncio.sleep(
                    max(0.0, begun + offset + number * interval - time.perf_counter())
                )
            path = (
                f"/api/recounts/{recount_id}/counties/{quote(county, safe='')}"
                f"/wards/{quote(unit, safe='')}/sheets"
            )
            body = {"label": "sheet 1", "votes": votes_for(unit, choices), "version": 0}
            started = time.perf_counter()
            response = await client.post(path, json=body)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 201:
                errors += 1
                print(f"  {response.status_code} {unit}: {response.text[:200]}", file=sys.stderr)
    return latencies, errors


async def run_clients(
    bases: list[str],
    recount_id: int,
    by_county: dict[str, list[str]],
    choices: list[str],
    duration: float | None,
) -> tuple[list[float], int, float]:
    started = time.perf_counter()
    results = await asyncio.gather(
        *(
            clerk(bases[i % len(bases)], recount_id, c, units, choices, duration)
            for i, (c, units) in enumerate(by_county.items())
        )
    )
    elapsed = time.perf_counter() - started
    latencies = [x for lat, _ in results for x in lat]
    return latencies, sum(e for _, e in results), elapsed


def wait_until_up(base: str, server: subprocess.Popen[bytes], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/api/session", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within {timeout:.0f} s")


def report(phase: str, latencies: list[float], errors: int, elapsed: float, lost: int) -> bool:
    """Print one phase's figures; return whether it lost nothing and had no errors."""
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    p50 = statistics.median(ordered)
    rate = len(latencies) / elapsed
    print(f"{phase}: {len(latencies)} tally writes in {elapsed:.1f} s = {rate:.0f} req/s")
    print(f"  latency p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms (aim: p99 under 200 ms)")
    print(f"  errors {errors}; writes missing or wrong in the store {lost}")
    return not errors and not lost


def check_store(
    url: str, recount_id: int, by_county: dict[str, list[str]], choices: list[str]
) -> int:
    """Return how many wards' stored tallies differ from what the clerks sent."""
    store = Store(url)
    sheets = RecountStore(store.engine).sheets(recount_id)
    store.close()
    stored = ward_totals_from_sheets(s.as_sheet() for s in sheets)
    expected = {u: votes_for(u, choices) for units in by_county.values() for u in units}
    return sum(1 for u in expected if stored.get(u) != expected[u])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wards", type=int, default=3600)
    parser.add_argument("--counties", type=int, default=72)
    parser.add_argument(
        "--processes", type=int, default=2, help="app processes, each on its own port"
    )
    parser.add_argument(
        "--duration", type=float, default=120.0, help="seconds the paced phase spreads writes over"
    )
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check that it runs")
    args = parser.parse_args()
    if args.smoke:
        args.wards, args.counties, args.duration, args.timeout = 24, 3, 1.0, 120.0

    with TemporaryPostgres("web-load") as server_pg:
        url = server_pg.url
        (paced_id, burst_id), by_county, choices = prepare(url, args.counties, args.wards, 2)
        env = {**os.environ, "PAPERTALLY_SECRET_KEY": "load-benchmark-key"}
        ports = [_free_port() for _ in range(args.processes)]
        servers = [
            subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "papertally"),
                    "serve",
                    "--db",
                    url,
                    "--port",
                    str(port),
                    "--keep-alive",
                    "120",
                ],
                env=env,
            )
            for port in ports
        ]
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        ok = True
        try:
            for base, server in zip(bases, servers, strict=True):
                wait_until_up(base, server)
            print(f"{len(by_county)} clerks, {args.wards} wards, {args.processes} app processes")
            for phase, recount_id, duration in (
                (f"paced over {args.duration:.0f} s", paced_id, args.duration),
                ("burst, no pause between writes", burst_id, None),
            ):
                latencies, errors, elapsed = asyncio.run(
                    asyncio.wait_for(
                        run_clients(bases, recount_id, by_county, choices, duration), args.timeout
                    )
                )
                lost = check_store(url, recount_id, by_county, choices)
                ok = report(phase, latencies, errors, elapsed, lost) and ok
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=30)
        store = Store(url)
        verification = RecountStore(store.engine).verify_log()
        store.close()
    entries = verification.chain.entries_checked
    print(f"activity log verifies: {verification.intact} ({entries} entries)")
    if not ok or not verification.intact:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
