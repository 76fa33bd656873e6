"""Time a two-county ballot-comparison audit in the store, from upload to verification.

Each county gets a synthetic Dominion-style CVR CSV (Arlo's layout) and a matching manifest;
the audit runs through the same functions as the web app (upload, publish, seed, record every
card as its CVR reads, close rounds) and its export is verified; then the command line's door
(:mod:`papertally.workflows.cvr_audit`) reads the same files and replays the rounds from the
same readings, and must give the same risks. Prints the time of each step and the export's
size; exits with status 1 when the export does not verify or the two doors differ. Files are
generated in a temporary folder; nothing is committed.

    .venv/bin/python bench/bench_audit_workflow.py [--cards-per-county 100000] [--smoke]

``--smoke`` runs 1,000 cards per county, to check that the script still works (figures not
judged).
"""

from __future__ import annotations

import argparse
import csv
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
from papertally.workflows.cvr_audit import comparison_audit, measure_mvrs
from papertally.workflows.measure import round_to_json

CONTEST = "Governor"
SEED = "31415926535897932384"
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
        paths = {}
        for county in counties:
            written = write_county(folder, county, args.cards_per_county, rng)
            paths[county] = written
            for kind, path in zip(("manifest", "cvrs"), written, strict=True):
                file = AuditFile(county, kind, path.name, path.read_bytes())
                audits.upload_file(audit_id, file, summarize_file(file), actor="bench")
        steps = {"upload (read, check, store)": time.perf_counter() - clock}
        clock = time.perf_counter()
        audits.publish(audit_id, actor="bench")
        steps["publish"] = time.perf_counter() - clock
        clock = time.perf_counter()
        size = start_audit(audits, audit_id, SEED, actor="bench")
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
        mvrs = folder / "mvrs.csv"
        with mvrs.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["county", "card_id", "contest", "choices"])
            for card in audits.sample(audit_id):
                assert card.cvr is not None and card.imprinted_id is not None
                choices = ";".join(card.cvr.get(CONTEST, [])) or "blank"
                writer.writerow([card.county, card.imprinted_id, CONTEST, choices])
        app_rounds = [r.measurement for r in audits.rounds(audit_id)]
        store.close()
        clock = time.perf_counter()
        audit = comparison_audit(
            [(c, paths[c][1]) for c in counties],
            [(c, paths[c][0]) for c in counties],
            risk_limit=0.05,
            contests=[CONTEST],
        )
        replayed = measure_mvrs(audit, SEED, mvrs)
        steps["command line: read the files, replay the rounds"] = time.perf_counter() - clock
        same = [round_to_json(r) for r in replayed.rounds] == app_rounds
    total = 2 * args.cards_per_county
    print(f"audit of {total:,} cards in 2 counties: verified = {result.ok}")
    print(f"  the command line's replay gives the app's risks: {same}")
    for step, seconds in steps.items():
        print(f"  {step:<55} {seconds:8.2f} s")
    print(f"  export size {len(export) / 1e6:.1f} MB")
    if not (result.ok and same):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
