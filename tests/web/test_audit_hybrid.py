"""A hybrid audit through the store and the workflow: a manifest whose third batch has no CVRs,
the contest's reported totals typed in, rounds to completion, and the export verified."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from tests.web.support import WebSetup

from papertally.errors import PapertallyError
from papertally.io.audit_export import BOARD_CSV, audit_export_zip, summarize_file
from papertally.model.audit_records import AuditFile
from papertally.store.audits import AuditStore
from papertally.store.engine import make_engine
from papertally.verify import verify_export
from papertally.workflows.audit import audit_report, close_round, start_audit

ARLO = "arlo-small-election"
CONTEST = "Minister of Farming"
SEED = "32108237620450897013"
NO_CVR_BATCH = "Batch 3"
REPORTED = {"Erin George": 31 + 25, "Alex Hall": 10}
"""Mount Olive's CVRs give Erin George all 31 cards; the 40 cards without CVRs add 25 and 10."""


def _hybrid_manifest(data: Path) -> bytes:
    """Mount Olive's manifest with a ``CVR`` column and a third batch of 40 cards without CVRs."""
    text = (data / ARLO / "Mount Olive - ballot manifest.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*rows[0], "CVR"])
    writer.writerows([*row, "Yes"] for row in rows[1:] if row)
    writer.writerow(["Tabulator C", NO_CVR_BATCH, "40", "No"])
    return out.getvalue().encode("utf-8")


def _published(web: WebSetup, data: Path, reported: dict[str, int]) -> tuple[AuditStore, int]:
    audits = AuditStore(make_engine(web.url))
    audit_id = audits.create_audit("Hybrid", ["Adams"], actor="admin")
    audits.add_contest(audit_id, CONTEST, "hybrid", 0.1, reported=reported, actor="admin")
    cvrs = data / ARLO / "Mount Olive - cvrs.csv"
    for file in (
        AuditFile("Adams", "manifest", "hybrid manifest.csv", _hybrid_manifest(data)),
        AuditFile("Adams", "cvrs", cvrs.name, cvrs.read_bytes()),
    ):
        audits.upload_file(audit_id, file, summarize_file(file), actor="admin")
    audits.publish(audit_id, actor="admin")
    return audits, audit_id


def test_a_hybrid_audit_runs_to_completion_and_verifies(web: WebSetup, shared_data: Path) -> None:
    audits, audit_id = _published(web, shared_data, REPORTED)
    start_audit(audits, audit_id, SEED, actor="admin")
    (contest,) = audits.contests(audit_id)
    assert contest.spec is not None
    assert contest.spec["cvr_cards"] == 31 and contest.spec["cards"] == 71
    assert contest.spec["cvr_votes"]["Erin George"] == 31
    alex = None
    wrong: list[int] = []
    for number in range(1, 6):
        for card in audits.sample(audit_id):
            if card.round_number != number:
                continue
            if card.batch == NO_CVR_BATCH:
                assert card.cvr is None
                choice = "Alex Hall" if alex is None else "Erin George"
                alex = card.sequence if alex is None else alex
                votes = {CONTEST: [choice]}
            else:
                assert card.cvr is not None
                votes = {CONTEST: list(card.cvr[CONTEST])}
                if len(wrong) < 2:
                    wrong.append(card.sequence)
                    votes = {CONTEST: ["Alex Hall"]}
            audits.record_entry(
                audit_id, "Adams", card.sequence, found=True, votes=votes, actor="board"
            )
        if close_round(audits, audit_id, actor="admin"):
            break
    assert audits.audit(audit_id).status == "complete"
    sample = audits.sample(audit_id)
    assert {c.batch == NO_CVR_BATCH for c in sample} == {True, False}, "both strata sampled"
    measured = audits.rounds(audit_id)[-1].measurement
    assert measured is not None
    (result,) = measured["contests"]
    assert result["audit_type"] == "hybrid" and result["confirmed"]
    assert len(audits.rounds(audit_id)) == 2, "the overstatement forces a second round"
    assert result["assertions"][0]["discrepancies"] == {"o2": 2}
    assert result["risk"] <= 0.1

    report = audit_report(audits, audit_id)
    (reported,) = report.contests
    assert reported.audit_type == "hybrid" and reported.conclusion.startswith("confirmed")
    assert sorted(d.sequence for d in report.discrepancies) == sorted(wrong)

    export = audit_export_zip(audits.export_contents(audit_id))
    verification = verify_export(export)
    assert verification.ok, verification.to_json()

    assert alex is not None
    tampered = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(export)) as source,
        zipfile.ZipFile(tampered, "w") as target,
    ):
        for name in source.namelist():
            data = source.read(name)
            if name == BOARD_CSV:
                rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
                for row in rows:
                    if int(row["sequence"]) == alex and row["status"] == "current":
                        row["votes"] = json.dumps({CONTEST: ["Erin George"]})
                out = io.StringIO()
                writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows)
                data = out.getvalue().encode("utf-8")
            target.writestr(name, data)
    checks = {c.name: c for c in verify_export(tampered.getvalue()).checks}
    assert not checks["risk"].ok and "risk recorded" in checks["risk"].detail


def test_reported_totals_below_the_cvrs_tally_are_refused(web: WebSetup, shared_data: Path) -> None:
    audits, audit_id = _published(web, shared_data, {"Erin George": 20, "Alex Hall": 10})
    with pytest.raises(PapertallyError, match="fewer than the CVRs' tally"):
        start_audit(audits, audit_id, SEED, actor="admin")
    assert audits.audit(audit_id).status == "published"
    with pytest.raises(PapertallyError, match="needs the contest's reported votes"):
        audits.add_contest(
            audits.create_audit("No totals", ["Adams"], actor="admin"),
            CONTEST,
            "hybrid",
            0.1,
            actor="admin",
        )
