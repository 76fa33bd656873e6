"""Time a two-county ballot-comparison audit in the store, from upload to verification.

Each county gets a synthetic Dominion-style CVR CSV (Arlo's layout) and a matching manifest;
the audit runs through the same functions as the web app (upload, publish, seed, record every
card as its CVR reads, close rounds) and its export is verified. Prints the time of each step
and the export's size. Files are generated in a temporary folder; nothing is committed.

    .venv/bin/python bench/bench_audit_workflow.py [--cards-per-county 100000] [--smoke]

``--smoke`` runs 1,000 cards per county, to check that the script still works (figures not
judged).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from papertally.io.audit_export import audit_export_zip, summarize_file
from papertally.model.audit_records import AuditFile
from papertally.store import Store
from papertally.store.audits import AuditStore
from papertally.verify import verify_export
from papertally.workflows.audit import close_round, start_audit

CONTEST = "Governor"
CHOICES = ("Ada", "Ben")
BATCH = 250


def write_county(folder: Path, county: str, cards: int, rng: random.Random) -> tuple[Path, Path]:
    """Write a county's CVR CSV (Dominion export layout, as Arlo reads it) and manifest."""
    cvrs = folder / f"{county} - cvrs.csv"
    manifest = folder / f"{county} - ballot manifest.csv"
    batches = (cards + BATCH - 1) // BATCH
    with cvrs.open("w") as out:
        out.write("Election,5.2.16.1,,,,,,,,\n")
        out.write(",,,,,,,," + ",".join([f"{CONTEST} (Vote For=1)"] * 2) + "\n")
        out.write(",,,,,,,," + ",".join(CHOICES) + "\n")
        out.write(
            "CvrNumber,TabulatorNum,BatchId,RecordId,ImprintedId,CountingGroup,"
            "PrecinctPortion,BallotType,,\n"
        )
        number = 0
        for b in range(1, batches + 1):
            for r in range(1, min(BATCH, cards - (b - 1) * BATCH) + 1):
                vote = "1,0" if rng.random() < 0.55 else "0,1"
                out.write(f"{number},T1,B{b},{r},T1-B{b}-{r},Election Day,p,s,{vote}\n")
                number += 1
    with manifest.open("w") as out:
        out.write("Tabulator,Batch Name,Number of Ballots\n")
        for b in range(1, batches + 1):
            out.write(f"T1,B{b},{min(BATCH, cards - (b - 1) * BATCH)}\n")
    return manifest, cvrs


def main() -> None:
    """Run the audit and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cards-per-county", type=int, default=100_000)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check it runs")
    args = parser.parse_args()
    if args.smoke:
        args.cards_per_county = 1_000
    rng = random.Random(2024)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        store = Store(f"sqlite:///{folder / 'audit.db'}")
        store.migrate()
        audits = AuditStore(store.engine)
        counties = ["North", "South"]
        audit_id = audits.create_audit("Bench", counties, actor="bench")
        audits.add_contest(audit_id, CONTEST, "ballot comparison", 0.05, actor="bench")
        clock = time.perf_counter()
        for county in counties:
            written = write_county(folder, county, args.cards_per_county, rng)
            for kind, path in zip(("manifest", "cvrs"), written, strict=True):
                file = AuditFile(county, kind, path.name, path.read_bytes())
                audits.upload_file(audit_id, file, summarize_file(file), actor="bench")
        steps = {"upload (read, check, store)": time.perf_counter() - clock}
        clock = time.perf_counter()
        audits.publish(audit_id, actor="bench")
        steps["publish"] = time.perf_counter() - clock
        clock = time.perf_counter()
        size = start_audit(audits, audit_id, "31415926535897932384", actor="bench")
        steps[f"seed: size and draw round 1 ({size} cards)"] = time.perf_counter() - clock
        recorded = 0
        clock = time.perf_counter()
        while audits.audit(audit_id).status == "in progress":
            number = audits.rounds(audit_id)[-1].number
            for card in audits.sample(audit_id):
                if card.round_number == number and card.cvr is not None:
                    votes = {CONTEST: card.cvr.get(CONTEST, [])}
                    audits.record_entry(
                        audit_id, card.county, card.sequence, found=True, votes=votes, actor="b"
                    )
                    recorded += 1
            close_round(audits, audit_id, actor="bench")
        steps[f"record {recorded} cards and close {len(audits.rounds(audit_id))} round(s)"] = (
            time.perf_counter() - clock
        )
        clock = time.perf_counter()
        export = audit_export_zip(audits.export_contents(audit_id))
        steps["export"] = time.perf_counter() - clock
        clock = time.perf_counter()
        result = verify_export(export)
        steps["verify"] = time.perf_counter() - clock
        store.close()
    total = 2 * args.cards_per_county
    print(f"audit of {total:,} cards in 2 counties: verified = {result.ok}")
    for step, seconds in steps.items():
        print(f"  {step:<55} {seconds:8.2f} s")
    print(f"  export size {len(export) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
