"""Load benchmark of the recount app: 72 county clerks entering 3,600 ward tallies at once.

A throw-away PostgreSQL server (``papertally.store.pgserver``) holds a synthetic statewide
election (72 counties, 3,600 wards); the app runs as two ``papertally serve`` processes on their
own loopback ports over that one database (as behind a load balancer: no state lives in an app
process), the clerks split between them; 72 clients, one per county clerk, sign in one after
another (before the clock starts: a clerk signs in once, sign-in is slow on purpose, Argon2id,
and all come from one address) and then enter a tally sheet for every ward of their county.
Traffic goes only to 127.0.0.1, the number of requests is fixed (3,600 sheets per phase) and
the run gives up after ``--timeout`` s.

Two phases, each on its own recount: *paced*, each clerk spreading her wards over
``--duration`` seconds (3,600 tallies in two minutes is far faster than boards count), and
*burst*, every clerk sending the next tally the moment the last is answered (the most the app
can take). Prints tally writes per second and p50/p99 latency of the writes for each, then
checks in the store that every write is there with the votes sent and that the activity log
(every chain, every state row) verifies. Aim (issue 10): paced p99 under 200 ms, nothing lost.

    .venv/bin/python bench/bench_web_load.py [--wards 3600] [--counties 72] [--processes 2]
    .venv/bin/python bench/bench_web_load.py --smoke     # 3 clerks, 30 wards, a few seconds
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from papertally.demo import generate_statewide_election
from papertally.model import ImportResult
from papertally.model.recount import Role, ward_totals_from_sheets
from papertally.store import Store
from papertally.store.pgserver import TemporaryPostgres, free_port
from papertally.store.recounts import RecountStore
from papertally.store.users import UserStore
from papertally.web.security import CSRF_HEADER, hash_password

PASSWORD = "load test password"


@dataclass(frozen=True)
class County:
    """A county of one recount as the API names it: its id and its wards (id, unit id)."""

    name: str
    id: int
    wards: list[tuple[int, str]]


def prepare(
    url: str, counties: int, wards: int, recounts_wanted: int
) -> tuple[list[tuple[int, list[County]]], list[str]]:
    """Store the election, the clerks and open recounts; return each with its counties."""
    store = Store(url)
    store.migrate()
    election = generate_statewide_election(seed=2016, counties=counties, units=wards)
    election_id = store.save_import(ImportResult(election), actor="bench")
    contest = next(iter(election.contests.values()))
    base = election.count(contest.name, "original canvass")
    units = {uid: election.units[uid].county for uid in base.units}
    recounts = RecountStore(store.engine)
    users = UserStore(store.engine)
    password_hash = hash_password(PASSWORD)
    for county in sorted(set(units.values())):
        users.add_user(f"clerk-{county}", password_hash, Role.CLERK, county, actor="bench")
    opened: list[tuple[int, list[County]]] = []
    for _ in range(recounts_wanted):
        recount_id = recounts.open_recount(
            election_id=election_id,
            contest=contest.name,
            units=units,
            reason="load benchmark",
            deadline=datetime(2099, 1, 1, tzinfo=UTC),
            actor="bench",
        )
        stored = recounts.wards(recount_id)
        opened.append(
            (
                recount_id,
                [
                    County(c.county, c.id, [(w.id, w.unit) for w in stored if w.county == c.county])
                    for c in recounts.counties(recount_id)
                ],
            )
        )
    store.close()
    return opened, contest.choice_names()


def votes_for(unit: str, choices: list[str]) -> dict[str, int]:
    """Return deterministic votes for a ward, so the check can tell what was sent."""
    seed = sum(map(ord, unit))
    return {choice: (seed * (i + 7)) % 900 for i, choice in enumerate(choices)}


async def sign_in(base: str, county: str) -> httpx.AsyncClient:
    """Return a client signed in as the county's clerk, its CSRF header set.

    All clerks come from one address here, so the per-address sign-in throttle may ask one to
    wait (429 with Retry-After): she waits and tries again, as a browser user would.
    """
    client = httpx.AsyncClient(base_url=base, timeout=60)
    client.headers[CSRF_HEADER] = (await client.get("/api/session")).json()["csrf_token"]
    while True:
        signed = await client.post(
            "/api/session", json={"username": f"clerk-{county}", "password": PASSWORD}
        )
        if signed.status_code != 429:
            break
        await asyncio.sleep(float(signed.headers.get("Retry-After", "1")))
    signed.raise_for_status()
    client.headers[CSRF_HEADER] = signed.json()["csrf_token"]
    return client


async def clerk(
    client: httpx.AsyncClient,
    recount_id: int,
    county: County,
    choices: list[str],
    duration: float | None,
) -> tuple[list[float], int]:
    """Enter one sheet per ward of the county; return latencies and errors.

    With ``duration`` the clerk spreads her wards evenly over that many seconds (as people
    entering tally sheets do); without it she sends the next one as soon as the last is answered.
    """
    latencies: list[float] = []
    errors = 0
    interval = None if duration is None else duration / len(county.wards)
    offset = random.Random(county.name).uniform(0, interval or 0)
    begun = time.perf_counter()
    for number, (ward_id, unit) in enumerate(county.wards):
        if interval is not None:
            await asyncio.sleep(max(0.0, begun + offset + number * interval - time.perf_counter()))
        path = f"/api/recounts/{recount_id}/counties/{county.id}/wards/{ward_id}/sheets"
        body = {"label": "sheet 1", "votes": votes_for(unit, choices), "version": 0}
        started = time.perf_counter()
        response = await client.post(path, json=body)
        latencies.append(time.perf_counter() - started)
        if response.status_code != 201:
            errors += 1
            print(f"  {response.status_code} {unit}: {response.text[:200]}", file=sys.stderr)
    return latencies, errors


async def run_phases(
    bases: list[str],
    recounts: list[tuple[int, list[County]]],
    choices: list[str],
    phases: list[tuple[str, float | None]],
) -> list[tuple[list[float], int, float]]:
    """Sign every clerk in, then run each phase on its own recount; return its figures."""
    counties = recounts[0][1]
    clients = [await sign_in(bases[i % len(bases)], c.name) for i, c in enumerate(counties)]
    figures = []
    try:
        for (_, duration), (recount_id, phase_counties) in zip(phases, recounts, strict=True):
            started = time.perf_counter()
            results = await asyncio.gather(
                *(
                    clerk(client, recount_id, county, choices, duration)
                    for client, county in zip(clients, phase_counties, strict=True)
                )
            )
            elapsed = time.perf_counter() - started
            latencies = [x for lat, _ in results for x in lat]
            figures.append((latencies, sum(e for _, e in results), elapsed))
    finally:
        for client in clients:
            await client.aclose()
    return figures


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
    print(f"{phase}: {len(latencies)} tally writes in {elapsed:.1f} s = {rate:.0f} writes/s")
    print(f"  latency p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms (aim: p99 under 200 ms)")
    print(f"  errors {errors}; writes missing or wrong in the store {lost}")
    return not errors and not lost


def check_store(url: str, recount_id: int, counties: list[County], choices: list[str]) -> int:
    """Return how many wards' stored tallies differ from what the clerks sent."""
    store = Store(url)
    sheets = RecountStore(store.engine).sheets(recount_id)
    store.close()
    stored = ward_totals_from_sheets(s.as_sheet() for s in sheets)
    expected = {u: votes_for(u, choices) for c in counties for _, u in c.wards}
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
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument(
        "--smoke", action="store_true", help="a tiny run (3 clerks, 30 wards, 3 s) to check it runs"
    )
    args = parser.parse_args()
    if args.smoke:
        args.wards, args.counties, args.processes, args.duration = 30, 3, 1, 3.0

    with TemporaryPostgres("web-load") as server_pg:
        url = server_pg.url
        recounts, choices = prepare(url, args.counties, args.wards, 2)
        env = {**os.environ, "PAPERTALLY_SECRET_KEY": "load-benchmark-key"}
        ports = [free_port() for _ in range(args.processes)]
        command = [str(Path(sys.executable).parent / "papertally"), "serve", "--db", url]
        servers = [
            subprocess.Popen([*command, "--port", str(port), "--keep-alive", "120"], env=env)
            for port in ports
        ]
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        phases = [
            (f"paced over {args.duration:.0f} s", args.duration),
            ("burst, no pause between writes", None),
        ]
        ok = True
        try:
            for base, server in zip(bases, servers, strict=True):
                wait_until_up(base, server)
            print(
                f"{len(recounts[0][1])} clerks, {args.wards} wards, {args.processes} app processes"
            )
            figures = asyncio.run(
                asyncio.wait_for(run_phases(bases, recounts, choices, phases), args.timeout)
            )
            for (phase, _), (latencies, errors, elapsed), (recount_id, counties) in zip(
                phases, figures, recounts, strict=True
            ):
                lost = check_store(url, recount_id, counties, choices)
                ok = report(phase, latencies, errors, elapsed, lost) and ok
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=30)
        store = Store(url)
        started = time.perf_counter()
        verification = RecountStore(store.engine).verify_log()
        took = time.perf_counter() - started
        store.close()
    entries = verification.chain.entries_checked
    print(
        f"activity log verifies: {verification.intact} ({entries} entries in every chain, "
        f"every state row checked, in {took:.1f} s)"
    )
    for problem in verification.altered_sheets[:5]:
        print(f"  {problem}")
    if not ok or not verification.intact:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
