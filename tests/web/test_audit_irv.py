"""An IRV contest audited through the store and the app's workflow (issue 15).

A synthetic two-county ranked-choice election (generic CVR CSVs with ``(Ranks=4)`` columns,
one manifest per county): the seed fixes the contest with its RAIRE assertions, the rounds
measure every assertion by CLCA, the export carries them and ``papertally verify`` checks the
assertions against the CVRs and recomputes every risk; a tampered reading, a tampered margin
and a dropped assertion are each caught, naming what is wrong.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path

import pytest
from tests.web.support import WebSetup
from typer.testing import CliRunner

from papertally.audit.contests import ContestSpec
from papertally.audit.irv.raire import IrvAssertion, verify_assertions
from papertally.cli.main import app
from papertally.errors import PapertallyError
from papertally.io.audit_export import audit_export_zip, summarize_file
from papertally.model.audit_records import AuditExportContents, AuditFile
from papertally.store.audits import AuditStore
from papertally.store.engine import make_engine
from papertally.verify import verify_export
from papertally.workflows.audit import audit_report, close_round, start_audit

CONTEST = "Mayor"
CANDIDATES = ("Alice", "Bob", "Chuan", "Diego")
SEED = "32108237620450897013"
BALLOTS: list[tuple[list[list[str]], int]] = [
    ([["Alice"], ["Bob"]], 400),
    ([["Bob"], ["Alice"]], 250),
    ([["Chuan"], ["Alice"]], 150),
    ([["Diego"], ["Bob"], ["Chuan"]], 100),
    ([["Chuan"], ["Diego"]], 50),
    ([["Alice", "Bob"], ["Chuan"]], 10),
    ([["Bob"], [], ["Alice"]], 20),
]
"""980 ballots: Alice wins (Diego, then Chuan out); 10 overvoted at rank 1 (exhausted at
once) and 20 with a skipped ranking (San Francisco's rules pass it: Bob, then Alice)."""


def _county_files(
    county: str, ballots: list[list[list[str]]], ranked: bool = True
) -> list[AuditFile]:
    """A county's manifest (batches of 100 on tabulator T1) and generic CVR CSV (``ranked``
    False: the contest as vote-for-one, each card marking its first choice)."""
    header = ["Card ID", "Tabulator", "Batch", "Record ID"]
    label = "(Ranks=4)" if ranked else "(Vote For=1)"
    header += [f"{CONTEST} {label} | {name}" for name in CANDIDATES]
    cvrs = io.StringIO()
    writer = csv.writer(cvrs)
    writer.writerow(header)
    for i, rankings in enumerate(ballots):
        cells = dict.fromkeys(CANDIDATES, "0")
        for rank, names in enumerate(rankings if ranked else rankings[:1], start=1):
            for name in names:
                cells[name] = str(rank)
        batch, position = divmod(i, 100)
        writer.writerow([f"{county}-{i}", "T1", f"B{batch + 1}", position + 1, *cells.values()])
    sizes = [min(100, len(ballots) - start) for start in range(0, len(ballots), 100)]
    manifest = "Tabulator,Batch Name,Number of Ballots\n" + "".join(
        f"T1,B{b + 1},{n}\n" for b, n in enumerate(sizes)
    )
    return [
        AuditFile(county, "manifest", f"{county} manifest.csv", manifest.encode()),
        AuditFile(county, "cvrs", f"{county} cvrs.csv", cvrs.getvalue().encode()),
    ]


FIRST_CHOICES = {"Alice": 400, "Bob": 270, "Chuan": 200, "Diego": 100}


def _published(
    web: WebSetup, audit_type: str = "ballot comparison", *, dane_ranked: bool = True
) -> tuple[AuditStore, int]:
    every = [rankings for rankings, count in BALLOTS for _ in range(count)]
    audits = AuditStore(make_engine(web.url))
    audit_id = audits.create_audit("IRV", ["Adams", "Dane"], actor="admin")
    reported = FIRST_CHOICES if audit_type == "hybrid" else None
    audits.add_contest(audit_id, CONTEST, audit_type, 0.05, reported=reported, actor="admin")
    half = len(every) // 2
    for county, part in (("Adams", every[::2]), ("Dane", every[1::2])):
        assert len(part) == half
        for file in _county_files(county, part, county == "Adams" or dane_ranked):
            audits.upload_file(audit_id, file, summarize_file(file), actor="admin")
    audits.publish(audit_id, actor="admin")
    return audits, audit_id


def _run(audits: AuditStore, audit_id: int, wrong: int | None = None) -> None:
    """Record every drawn card as its CVR's preference list (draw ``wrong``: as Bob only),
    round after round, until the audit completes."""
    for number in range(1, 6):
        for card in audits.sample(audit_id):
            if card.round_number != number:
                continue
            assert card.cvr is not None
            votes = {CONTEST: ["Bob"] if card.sequence == wrong else list(card.cvr[CONTEST])}
            audits.record_entry(
                audit_id, card.county, card.sequence, found=True, votes=votes, actor="board"
            )
        if close_round(audits, audit_id, actor="admin"):
            return
    raise AssertionError("the audit did not complete in five rounds")


def _export(contents: AuditExportContents) -> bytes:
    return audit_export_zip(contents)


def test_an_irv_audit_runs_stores_its_assertions_and_verifies(
    web: WebSetup, tmp_path: Path
) -> None:
    audits, audit_id = _published(web)
    start_audit(audits, audit_id, SEED, actor="admin")
    (contest,) = audits.contests(audit_id)
    assert contest.spec is not None
    spec = ContestSpec.from_json(contest.spec)
    assert spec.irv is not None and spec.irv["winner"] == "Alice"
    assert spec.cards == 980 and spec.irv["rules"] == "san-francisco"
    listed = [IrvAssertion.from_json(a["assertion"], 4) for a in spec.irv["assertions"]]
    assert listed and verify_assertions(listed, 0, 4).ok
    cvrs = {tuple(c.cvr[CONTEST]) for c in audits.sample(audit_id) if c.cvr is not None}
    assert ("Alice", "Bob", "Chuan") not in cvrs, "an overvoted first ranking is exhausted"
    (first,) = audits.rounds(audit_id)

    wrong = audits.sample(audit_id)[0]
    assert wrong.cvr is not None and wrong.cvr[CONTEST] != ["Bob"]
    _run(audits, audit_id, wrong.sequence)
    assert audits.audit(audit_id).status == "complete"
    measured = audits.rounds(audit_id)[0].measurement
    assert measured is not None
    (result,) = measured["contests"]
    names = [a["name"] for a in result["assertions"]]
    assert names == [a["name"] for a in spec.irv["assertions"]]
    assert result["risk"] == max(a["p_value"] for a in result["assertions"])
    assert any(a["discrepancies"] for a in result["assertions"]), "the misread card counts"
    assert first.size > 0
    report = audit_report(audits, audit_id)
    (reported,) = report.contests
    assert reported.conclusion.startswith("confirmed")
    assert reported.winners == ["Alice"]
    smallest = min(a["margin"] for a in spec.irv["assertions"])
    assert reported.margin == pytest.approx(smallest / 980)
    assert {line.assertion for line in report.rounds} == set(names)
    (found,) = report.discrepancies
    assert found.sequence == wrong.sequence and set(found.codes) <= set(names)

    contents = audits.export_contents(audit_id)
    verification = verify_export(_export(contents))
    assert verification.ok, verification.to_json()
    assert any(c.name == "IRV assertions" and c.ok for c in verification.checks)
    exported = tmp_path / "export.zip"
    exported.write_bytes(_export(contents))
    result = CliRunner().invoke(app, ["verify", str(exported), "--json"])
    assert result.exit_code == 0, result.output
    assert "IRV assertions" in {c["name"] for c in json.loads(result.stdout)["checks"]}

    # One reading changed: the recomputed risk of some assertion differs, and it is named.
    records = [
        dataclasses.replace(r, votes={CONTEST: ["Diego"]})
        if r.status == "current" and r.sequence == audits.sample(audit_id)[1].sequence
        else r
        for r in contents.records
    ]
    bad = verify_export(_export(dataclasses.replace(contents, records=records)))
    assert not bad.ok and bad.first_mismatch is not None
    assert bad.first_mismatch.name == "risk"
    assert bad.first_mismatch.detail.startswith(f"round 1, contest '{CONTEST}'")
    logged = next(c for c in bad.checks if c.name == "activity log")
    assert not logged.ok and f"(draw {records[1].sequence})" in logged.detail

    # A margin that the CVRs do not give, and an assertion dropped, are each named.
    header = json.loads(json.dumps(contents.header))
    header["contests"][0]["irv"]["assertions"][0]["margin"] += 1
    bad = verify_export(_export(dataclasses.replace(contents, header=header)))
    assert bad.first_mismatch is not None and bad.first_mismatch.name == "IRV assertions"
    assert "the CVRs give" in bad.first_mismatch.detail
    header = json.loads(json.dumps(contents.header))
    header["contests"][0]["irv"]["assertions"].pop(0)
    bad = verify_export(_export(dataclasses.replace(contents, header=header)))
    assert bad.first_mismatch is not None and bad.first_mismatch.name == "IRV assertions"
    assert "open" in bad.first_mismatch.detail
    unreadable = json.loads(json.dumps(contents.header))
    unreadable["contests"][0]["irv"]["assertions"][0]["assertion"]["loser"] = 99
    bad = verify_export(_export(dataclasses.replace(contents, header=unreadable)))
    assert bad.first_mismatch is not None and bad.first_mismatch.name == "IRV assertions"
    assert (
        "cannot be read" in bad.first_mismatch.detail
        and "outside 0..3" in bad.first_mismatch.detail
    )
    exported.write_bytes(_export(dataclasses.replace(contents, header=header)))
    result = CliRunner().invoke(app, ["verify", str(exported), "--json"])
    assert result.exit_code == 1
    assert "leave the elimination order" in json.loads(result.stdout)["first_mismatch"]


@pytest.mark.parametrize(
    ("audit_type", "dane_ranked", "message"),
    [
        ("ballot polling", True, "audits it by ballot comparison"),
        ("hybrid", True, "audits it by ballot comparison"),
        ("ballot comparison", False, "but not in Dane's"),
    ],
)
def test_an_irv_contest_the_app_cannot_audit_is_refused_and_nothing_changes(
    web: WebSetup, audit_type: str, dane_ranked: bool, message: str
) -> None:
    audits, audit_id = _published(web, audit_type, dane_ranked=dane_ranked)
    with pytest.raises(PapertallyError, match=message):
        start_audit(audits, audit_id, SEED, actor="admin")
    assert audits.audit(audit_id).status == "published"
