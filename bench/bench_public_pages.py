"""Page speed of the public results site: anonymous GETs on a 3,600-ward state (issue 13).

A synthetic statewide election (72 counties, 3,600 wards) in a SQLite store; a recount whose
first half of the counties is recounted in full and accepted by the state, plus one ward of every
other county entered (so every kind of public figure is there); a two-county ballot-polling
audit, complete (drawn but not read in the smoke run). The app runs in this process
(Starlette's test client: no network, no sign-in) and each public page is fetched by an
anonymous client:

* *cold*: the first answer after the store changed (the summary is built from the store);
* *warm*: later answers (the summary comes from the process cache, checked against the store's
  stamp, and the page is rendered);
* *304*: a revalidation with ``If-None-Match`` (the stamp queries alone).

Prints p50 and p99 in milliseconds for each page and kind, wall and CPU time.

    .venv/bin/python bench/bench_public_pages.py [--wards 3600] [--counties 72] [--requests 50]
    .venv/bin/python bench/bench_public_pages.py --smoke     # 3 counties, 30 wards, a few requests
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from papertally.demo import generate_statewide_election
from papertally.io.audit_export import AuditFiles, summarize_file
from papertally.model import ImportResult
from papertally.model.audit_records import AuditFile
from papertally.model.recount import CountyAction, Role
from papertally.store import Store
from papertally.store.audits import AuditStore
from papertally.store.recounts import RecountStore
from papertally.workflows.audit import close_round, start_audit

SEED = "80467318590712235619"


def prepare(url: str, counties: int, wards: int) -> tuple[int, int, int]:
    """Store the election, the recount and the audit; return (recount, a county id, audit)."""
    store = Store(url)
    store.migrate()
    election = generate_statewide_election(seed=2016, counties=counties, units=wards)
    election_id = store.save_import(ImportResult(election), actor="bench")
    contest = next(iter(election.contests.values()))
    base = election.count(contest.name, "original canvass")
    recount_votes = election.count(contest.name, "recount")
    units = {uid: election.units[uid].county for uid in base.units}
    recounts = RecountStore(store.engine)
    recount_id = recounts.open_recount(
        election_id=election_id,
        contest=contest.name,
        units=units,
        reason="page-speed benchmark",
        deadline=datetime(2099, 1, 1, tzinfo=UTC),
        actor="bench",
    )
    names = sorted(set(units.values()))
    accepted = set(names[: len(names) // 2 or 1])
    started = time.perf_counter()
    for county in names:
        stored = recounts.wards(recount_id, county)
        for ward in stored if county in accepted else stored[:1]:
            tally = recount_votes.units.get(ward.unit) or base.units[ward.unit]
            recounts.enter_tally_sheet(
                recount_id,
                ward.unit,
                "sheet 1",
                dict(tally.votes),
                expected_version=ward.version,
                actor="bench",
                county=county,
            )
        if county in accepted:
            if recounts.county(recount_id, county).status.value == "not started":
                recounts.county_step(
                    recount_id, county, CountyAction.START, actor="bench", role=Role.CLERK
                )
            for action, role in (
                (CountyAction.SUBMIT, Role.CLERK),
                (CountyAction.ACCEPT, Role.ADMINISTRATOR),
            ):
                recounts.county_step(recount_id, county, action, actor="bench", role=role)
    print(
        f"stored {len(units):,} wards, {len(accepted)} counties accepted in "
        f"{time.perf_counter() - started:.1f} s"
    )
    biggest = max(names, key=lambda c: sum(1 for u in units.values() if u == c))
    county_id = recounts.county(recount_id, biggest).id
    big = wards >= 1000
    audit_id = _audit(AuditStore(store.engine), names[:2], 5000 if big else 200, complete=big)
    store.close()
    return recount_id, county_id, audit_id


def _audit(audits: AuditStore, counties: list[str], cards: int, *, complete: bool) -> int:
    """A two-county ballot-polling audit of ``cards`` cards a county, 60% for the reported
    winner, with round 1 drawn; ``complete``: every card drawn read for her until it is."""
    audit_id = audits.create_audit("Benchmark RLA", counties, actor="bench")
    audits.add_contest(
        audit_id,
        "Contest",
        "ballot polling",
        0.1,
        reported={"A": 6 * cards // 5, "B": 4 * cards // 5},
        actor="bench",
    )
    for county in counties:
        rows = "".join(f"{county} {b},{cards // 10}\n" for b in range(1, 11))
        file = AuditFile(
            county, "manifest", "manifest.csv", f"Batch Name,Number of Ballots\n{rows}".encode()
        )
        audits.upload_file(audit_id, file, summarize_file(file), actor="bench")
    audit = audits.audit(audit_id)
    files = AuditFiles.read(audits.file_contents(audit_id), audit.counties)
    audits.publish(audit_id, actor="bench", findings=files.findings())
    start_audit(audits, audit_id, SEED, actor="bench")
    for _ in range(5 if complete else 0):
        number = audits.rounds(audit_id)[-1].number
        for card in audits.sample(audit_id):
            if card.round_number == number:
                audits.record_entry(
                    audit_id,
                    card.county,
                    card.sequence,
                    found=True,
                    votes={"Contest": ["A"]},
                    actor="bench",
                )
        if close_round(audits, audit_id, actor="bench"):
            break
    return audit_id


def timed(
    client: Any, path: str, times: int, headers: dict[str, str] | None = None
) -> tuple[list[float], float]:
    """Return each GET's wall time (ms) and the CPU time of all of them (ms)."""
    walls = []
    cpu = time.process_time()
    for _ in range(times):
        start = time.perf_counter()
        client.get(path, headers=headers or {})
        walls.append((time.perf_counter() - start) * 1000)
    return walls, (time.process_time() - cpu) * 1000


def p(values: list[float], q: float) -> float:
    """Return the ``q`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wards", type=int, default=3600)
    parser.add_argument("--counties", type=int, default=72)
    parser.add_argument("--requests", type=int, default=50, help="warm and 304 requests per page")
    parser.add_argument("--smoke", action="store_true", help="a tiny run, figures not judged")
    args = parser.parse_args()
    if args.smoke:
        args.wards, args.counties, args.requests = 30, 3, 3
    from fastapi.testclient import TestClient

    from papertally.web.app import create_app

    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault("PAPERTALLY_DATA_DIR", str(Path(folder) / "files"))
        url = f"sqlite:///{Path(folder) / 'public.db'}"
        recount, county, audit = prepare(url, args.counties, args.wards)
        client = TestClient(create_app(url, secret_key="bench"))
        pages = {
            "index /": "/",
            "recount": f"/public/recounts/{recount}",
            "county (largest)": f"/public/recounts/{recount}/counties/{county}",
            "wards.csv": f"/public/recounts/{recount}/wards.csv",
            "results.json": f"/public/recounts/{recount}/results.json",
            "audit": f"/public/audits/{audit}",
        }
        print(
            f"{'page':18} {'cold ms':>8} {'warm p50':>9} {'warm p99':>9} {'304 p50':>8} "
            f"{'304 p99':>8} {'warm CPU/req':>12} {'bytes':>9}"
        )
        failed = False
        for name, path in pages.items():
            cold, _ = timed(client, path, 1)
            answer = client.get(path)
            failed |= answer.status_code != 200 or "set-cookie" in answer.headers
            warm, warm_cpu = timed(client, path, args.requests)
            etag = answer.headers["etag"]
            revalidated, _ = timed(client, path, args.requests, {"if-none-match": etag})
            failed |= client.get(path, headers={"if-none-match": etag}).status_code != 304
            print(
                f"{name:18} {cold[0]:8.1f} {p(warm, 0.5):9.1f} {p(warm, 0.99):9.1f} "
                f"{p(revalidated, 0.5):8.1f} {p(revalidated, 0.99):8.1f} "
                f"{warm_cpu / args.requests:12.1f} {len(answer.content):9,}"
            )
    if failed:
        print("FAILED: a public page did not answer 200 without a cookie, or 304 when current")
        sys.exit(1)


if __name__ == "__main__":
    main()
