"""``papertally verify`` on the export of a two-county comparison audit run to completion in the
store: it passes as exported and fails, naming the first mismatch, when one record is altered."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papertally.cli.main import app
from papertally.io.audit_export import audit_export_zip, summarize_file
from papertally.model.audit_records import AuditFile
from papertally.store import Store
from papertally.store.audits import AuditStore
from papertally.workflows.audit import close_round, start_audit

CONTEST = "Minister of Farming"
SEED = "80452913776209131457"


def _one_vote(votes: list[str]) -> list[str]:
    """What a board records for a card whose CVR shows ``votes``: an overvote as no vote."""
    return votes if len(votes) == 1 else []


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> tuple[str, int]:
    """Run a comparison audit of Mount Olive and Siletz: one discrepancy, two rounds.

    Returns the store's URL and the audit's id.
    """
    url = f"sqlite:///{tmp_path_factory.mktemp('verify') / 'audit.db'}"
    store = Store(url)
    store.migrate()
    audits = AuditStore(store.engine)
    audit_id = audits.create_audit("RLA", ["Mount Olive", "Siletz"], actor="admin")
    audits.add_contest(audit_id, CONTEST, "ballot comparison", 0.1, actor="admin")
    for county in ("Mount Olive", "Siletz"):
        for kind, name in (("manifest", "ballot manifest"), ("cvrs", "cvrs")):
            path = shared_data / "arlo-small-election" / f"{county} - {name}.csv"
            file = AuditFile(county, kind, path.name, path.read_bytes())
            audits.upload_file(audit_id, file, summarize_file(file), actor="admin")
    audits.publish(audit_id, actor="admin")
    start_audit(audits, audit_id, SEED, actor="admin")
    wrong = None
    while audits.audit(audit_id).status == "in progress":
        number = audits.rounds(audit_id)[-1].number
        for card in audits.sample(audit_id):
            if card.round_number != number:
                continue
            assert card.cvr is not None
            votes = _one_vote(card.cvr.get(CONTEST, []))
            if wrong is None and votes == ["Erin George"]:
                wrong, votes = card.sequence, ["Alex Hall"]
            if card.sequence == 1:
                audits.record_entry(audit_id, card.county, 1, found=False, votes={}, actor="b")
            audits.record_entry(
                audit_id,
                card.county,
                card.sequence,
                found=True,
                votes={CONTEST: votes},
                actor="b",
                reason="found it after all" if card.sequence == 1 else None,
            )
        close_round(audits, audit_id, actor="admin")
    assert len(audits.rounds(audit_id)) == 2
    store.close()
    return url, audit_id


def _export(audited: tuple[str, int], *, withhold_cvrs: bool) -> bytes:
    url, audit_id = audited
    store = Store(url)
    data = audit_export_zip(
        AuditStore(store.engine).export_contents(audit_id), withhold_cvrs=withhold_cvrs
    )
    store.close()
    return data


@pytest.fixture(scope="module")
def export(audited: tuple[str, int]) -> bytes:
    """The audit's public export."""
    return _export(audited, withhold_cvrs=False)


def _verify(tmp_path: Path, data: bytes) -> tuple[int, dict[str, object]]:
    path = tmp_path / "export.zip"
    path.write_bytes(data)
    result = CliRunner().invoke(app, ["verify", str(path), "--json"])
    return result.exit_code, json.loads(result.stdout)


def _altered(data: bytes, name: str, change: object, *, fix_sums: bool) -> bytes:
    """Return the export with member ``name`` passed through ``change`` (bytes → bytes)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members[name] = change(members[name])  # type: ignore[operator]
    if fix_sums:
        members["SHA256SUMS.txt"] = "".join(
            f"{hashlib.sha256(v).hexdigest()}  {n}\n"
            for n, v in members.items()
            if n != "SHA256SUMS.txt"
        ).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for n, v in members.items():
            archive.writestr(n, v)
    return out.getvalue()


def _first_discrepancy_read_as_cvr(board: bytes) -> bytes:
    """Change the record reading Alex Hall (the one discrepancy) back to Erin George."""
    rows = list(csv.reader(io.StringIO(board.decode())))
    for row in rows[1:]:
        if "Alex Hall" in row[5]:
            row[5] = row[5].replace("Alex Hall", "Erin George")
            break
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def test_verify_passes_on_the_export(export: bytes, tmp_path: Path) -> None:
    code, result = _verify(tmp_path, export)
    assert code == 0, result
    assert result["ok"] is True and result["first_mismatch"] is None
    names = [c["name"] for c in result["checks"]]  # type: ignore[union-attr,index]
    assert names == [
        "hashes",
        "published files",
        "seed",
        "reported results",
        "sample",
        "risk",
        "activity log",
    ]


def test_verify_prints_a_table_and_the_verdict(export: bytes, tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    path.write_bytes(export)
    result = CliRunner().invoke(app, ["verify", str(path)])
    assert result.exit_code == 0
    assert "verified" in result.output and "matches in every check" in result.output


def test_an_altered_record_fails_the_hash_check_first(export: bytes, tmp_path: Path) -> None:
    altered = _altered(export, "audit-board.csv", _first_discrepancy_read_as_cvr, fix_sums=False)
    code, result = _verify(tmp_path, altered)
    assert code == 1
    assert str(result["first_mismatch"]).startswith("hashes: audit-board.csv: its SHA-256 differs")


def test_an_altered_record_with_new_hashes_fails_the_risk(export: bytes, tmp_path: Path) -> None:
    altered = _altered(export, "audit-board.csv", _first_discrepancy_read_as_cvr, fix_sums=True)
    code, result = _verify(tmp_path, altered)
    assert code == 1
    first = str(result["first_mismatch"])
    assert first.startswith(f"risk: round 1, contest '{CONTEST}'"), first
    assert "recorded" in first and "recomputed" in first


def test_an_altered_superseded_record_fails_against_the_log(export: bytes, tmp_path: Path) -> None:
    def change(board: bytes) -> bytes:
        rows = list(csv.reader(io.StringIO(board.decode())))
        superseded = next(r for r in rows[1:] if r[3] == "superseded")
        superseded[4] = "yes"
        superseded[5] = json.dumps({CONTEST: ["Alex Hall"]})
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue().encode()

    code, result = _verify(tmp_path, _altered(export, "audit-board.csv", change, fix_sums=True))
    assert code == 1
    first = str(result["first_mismatch"])
    assert first.startswith("activity log: audit-board.csv: record 1 (draw 1) differs"), first


def test_a_changed_ticket_fails_the_sample(export: bytes, tmp_path: Path) -> None:
    def change(sample: bytes) -> bytes:
        lines = sample.decode().splitlines()
        cells = lines[1].split(",")
        cells[2] = "0.000000000000000001"
        lines[1] = ",".join(cells)
        return ("\n".join(lines) + "\n").encode()

    code, result = _verify(tmp_path, _altered(export, "sample.csv", change, fix_sums=True))
    assert code == 1
    assert str(result["first_mismatch"]).startswith("sample: sample.csv, draw 1: ticket recorded")


def test_not_an_export_is_refused_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "notes.zip"
    path.write_text("hello")
    result = CliRunner().invoke(app, ["verify", str(path)])
    assert result.exit_code == 2
    assert "notes.zip" in result.output and "zip" in result.output


@pytest.fixture(scope="module")
def withheld(audited: tuple[str, int]) -> bytes:
    """The same audit's export with the CVR files withheld (hashes and sampled CVRs only)."""
    return _export(audited, withhold_cvrs=True)


def test_an_export_withholding_the_cvrs_still_verifies_the_risk(
    withheld: bytes, tmp_path: Path
) -> None:
    with zipfile.ZipFile(io.BytesIO(withheld)) as archive:
        names = archive.namelist()
    assert "sampled-cvrs.json" in names and not any(n.endswith("cvrs.csv") for n in names)
    code, result = _verify(tmp_path, withheld)
    assert code == 0, result
    details = {c["name"]: c["detail"] for c in result["checks"]}  # type: ignore[union-attr]
    assert "withheld" in details["published files"]
    assert "cannot be checked" in details["reported results"]

    def swap(data: bytes) -> bytes:
        sampled = json.loads(data)
        first = next(k for k, v in sampled.items() if v and v[CONTEST] == ["Erin George"])
        sampled[first] = {CONTEST: ["Alex Hall"]}
        return json.dumps(sampled).encode()

    code, result = _verify(tmp_path, _altered(withheld, "sampled-cvrs.json", swap, fix_sums=True))
    assert code == 1 and str(result["first_mismatch"]).startswith("risk: round 1")
