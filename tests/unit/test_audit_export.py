"""The audit workflow's pure rounds, the export zip and its checks, and the audit report."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from papertally.audit.contests import (
    AuditedCard,
    AuditType,
    ContestSpec,
    batch_contests,
    discrepancy_code,
)
from papertally.errors import InputFileError, PapertallyError
from papertally.io.audit_export import (
    AuditFiles,
    build_export,
    draw_cards,
    open_export,
    summarize_file,
)
from papertally.model.audit_records import AuditFile, BoardRecord, SampledCard
from papertally.report.audit_report import (
    build_audit_report,
    render_audit_report_html,
    render_audit_report_pdf,
)
from papertally.store.audits import Audit, AuditContest, AuditRound, BoardEntry, StoredCard
from papertally.verify import verify_export
from papertally.workflows.measure import (
    first_batch_round_size,
    first_difference,
    first_round_size,
    measure_batch_rounds,
    measure_rounds,
    round_to_json,
)

C = "Mayor"
VOTES = {"Ann": 70, "Bob": 20, "Cy": 0}


def _spec(kind: AuditType, cards: int = 100, risk_limit: float = 0.1) -> ContestSpec:
    return ContestSpec(C, kind, risk_limit, VOTES, cards)


def _card(seq: int, cvr: list[str] | None, paper: list[str] | None) -> AuditedCard:
    return AuditedCard(
        seq, None if cvr is None else {C: cvr}, None if paper is None else {C: paper}
    )


@pytest.mark.parametrize(
    ("cvr", "paper", "code"),
    [
        (["Ann"], ["Ann"], "0"),
        (["Ann"], [], "o1"),
        (["Ann"], ["Bob"], "o2"),
        ([], ["Ann"], "u1"),
        (["Bob"], ["Ann"], "u2"),
        (["Ann", "Bob"], ["Ann"], "u1"),
        (None, ["Ann"], "phantom"),
        (["Ann"], None, "phantom"),
    ],
)
def test_discrepancy_codes_of_ann_over_bob(
    cvr: list[str] | None, paper: list[str] | None, code: str
) -> None:
    (ann_bob, _) = _spec(AuditType.BALLOT_COMPARISON).assertions()
    assert ann_bob.name == "Ann > Bob"
    assert discrepancy_code(_card(1, cvr, paper), ann_bob) == code


def test_a_clean_comparison_round_confirms_and_a_two_vote_overstatement_does_not() -> None:
    spec = _spec(AuditType.BALLOT_COMPARISON)
    n = first_round_size([spec])
    clean = [_card(i, ["Ann"], ["Ann"]) for i in range(1, n + 1)]
    (result,) = measure_rounds([spec], clean, [n])
    assert result.finished and result.contests[0].confirmed and result.next_round_size == 0
    wrong = [*clean[:1], _card(2, ["Ann"], ["Bob"]), *clean[2:]]
    (result,) = measure_rounds([spec], wrong, [n])
    assert not result.finished and result.next_round_size > 0
    (ann_bob, _) = result.contests[0].assertions
    assert dict(ann_bob.discrepancies) == {"o2": 1}


def test_polling_goes_to_a_full_hand_count_whose_tally_stands() -> None:
    spec = ContestSpec(C, AuditType.BALLOT_POLLING, 0.05, {"Ann": 16, "Bob": 14, "Cy": 0}, 30)
    cards = [_card(i, None, ["Bob"] if i % 3 else ["Ann"]) for i in range(1, 31)]
    first, last = measure_rounds([spec], cards, [10, 30])
    assert first.contests[0].full_hand_count and first.next_round_size == 20
    assert last.finished and not last.contests[0].confirmed
    assert last.contests[0].hand_count_winners == ("Bob",)
    assert last.contests[0].settled_in_round == 2


def test_first_difference_names_the_contest_and_assertion() -> None:
    spec = _spec(AuditType.BALLOT_COMPARISON)
    cards = [_card(i, ["Ann"], ["Ann"]) for i in range(1, 6)]
    (result,) = measure_rounds([spec], cards, [5])
    recorded = round_to_json(result)
    assert first_difference(recorded, round_to_json(result)) is None
    recorded["contests"][0]["assertions"][1]["p_value"] *= 1.001
    recorded["contests"][0]["risk"] = recorded["contests"][0]["risk"]
    message = first_difference(recorded, round_to_json(result))
    assert message is not None
    assert message.startswith("round 1, contest 'Mayor', assertion 'Ann > Cy': p_value")


def test_contests_over_different_manifests_are_refused() -> None:
    with pytest.raises(PapertallyError, match="share one manifest"):
        first_round_size([_spec(AuditType.BALLOT_POLLING, 10), _spec(AuditType.BALLOT_POLLING, 9)])


MANIFEST = b"Container,Tabulator,Batch Name,Number of Ballots\nBox 1,T1,B1,3\nBox 1,T1,B2,2\n"
CVRS = (
    b"Election,5.2.16.1,,,\n"
    b",,,,,,,,Mayor (Vote For=1),Mayor (Vote For=1)\n"
    b",,,,,,,,Ann,Bob\n"
    b"CvrNumber,TabulatorNum,BatchId,RecordId,ImprintedId,CountingGroup,PrecinctPortion,"
    b"BallotType,,\n"
    + b"".join(
        f"{i},T1,{b},{r},T1-{b}-{r},Election Day,p,s,1,0\n".encode()
        for i, (b, r) in enumerate([("B1", 1), ("B1", 2), ("B1", 3), ("B2", 1)])
    )
)


def test_audit_files_read_draw_and_match_cvrs() -> None:
    files = [
        AuditFile("Elm", "manifest", "Elm - ballot manifest.csv", MANIFEST),
        AuditFile("Elm", "cvrs", "Elm - cvrs.csv", CVRS),
    ]
    assert summarize_file(files[0]) == {"batches": 2, "ballots": 5}
    assert summarize_file(files[1])["cards"] == 4
    read = AuditFiles.read(files, ["Elm"])
    assert read.reported_votes("Mayor") == ({"Ann": 4, "Bob": 0}, 1)
    with pytest.raises(PapertallyError, match="did you mean 'Mayor'"):
        read.reported_votes("Mayr")
    cards = draw_cards(read, "12345678901234567890", 5, 0)
    assert sorted((c.batch, c.position) for c in cards) == [
        ("B1", 1),
        ("B1", 2),
        ("B1", 3),
        ("B2", 1),
        ("B2", 2),
    ]
    assert read.findings() == [
        "Elm: batch 'B2' of tabulator 'T1': the manifest lists 2 ballot(s), the CVRs 1 (1 fewer)"
    ]
    missing = next(c for c in cards if (c.batch, c.position) == ("B2", 2))
    assert missing.cvr is None and missing.imprinted_id is None
    present = next(c for c in cards if (c.batch, c.position) == ("B1", 2))
    assert present.cvr == {"Mayor": ["Ann"]} and present.imprinted_id == "T1-B1-2"
    assert draw_cards(read, "12345678901234567890", 2, 3) == [
        SampledCard(**{**c.__dict__}) for c in cards[3:]
    ]


def test_a_bad_manifest_upload_names_the_column() -> None:
    with pytest.raises(InputFileError, match="Number of Ballots"):
        summarize_file(AuditFile("Elm", "manifest", "m.csv", b"Batch Name,Count\nB1,3\n"))


def test_an_export_without_rounds_verifies_and_a_missing_member_is_named(tmp_path: Path) -> None:
    files = [
        AuditFile("Elm", "manifest", "Elm - ballot manifest.csv", MANIFEST),
        AuditFile("Elm", "cvrs", "Elm - cvrs.csv", CVRS),
    ]
    header = {
        "audit": {
            "id": 1,
            "name": "A",
            "status": "published",
            "sampling": "consistent",
            "seed": "12345678901234567890",
            "counties": ["Elm"],
            "published_at": "2026-01-01T00:00:00+00:00",
            "seed_entered_at": "2026-01-01T00:01:00+00:00",
            "completed_at": None,
        },
        "contests": [
            ContestSpec(C, AuditType.BALLOT_COMPARISON, 0.1, {"Ann": 4, "Bob": 0}, 5).to_json()
        ],
        "rounds": [],
    }
    record = BoardRecord(1, 1, "Elm", "current", True, {C: ["Ann"]}, "b", "now", "")
    data = build_export(header, files, [], [record])
    result = verify_export(data)
    assert result.ok, result.to_json()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        kept = {n: archive.read(n) for n in archive.namelist() if n != "audit.json"}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, value in kept.items():
            archive.writestr(name, value)
    with pytest.raises(InputFileError, match=r"audit\.json"):
        open_export(out.getvalue())
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    with pytest.raises(InputFileError, match=r"x\.zip: not a readable zip"):
        open_export(tmp_path / "x.zip")


def test_the_report_renders_in_html_and_pdf() -> None:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    spec = _spec(AuditType.BALLOT_COMPARISON)
    cards = [_card(1, ["Ann"], ["Bob"]), *(_card(i, ["Ann"], ["Ann"]) for i in range(2, 6))]
    (result,) = measure_rounds([spec], cards, [5])
    audit = Audit(
        1, "Test", "in progress", "consistent", "1" * 20, "a", now, now, now, None, ("Elm",)
    )
    stored = [
        StoredCard(
            c.sequence,
            1,
            c.sequence,
            "0.1",
            "Elm",
            None,
            "T1",
            "B1",
            c.sequence,
            None,
            {C: list(c.cvr[C])} if c.cvr else None,
        )
        for c in cards
    ]
    entries = [
        BoardEntry(
            c.sequence,
            c.sequence,
            c.sequence,
            "Elm",
            True,
            {C: list(c.paper[C])} if c.paper else {},
            {},
            "b",
            now,
            None,
            None,
            False,
        )
        for c in cards
    ]
    report = build_audit_report(
        audit,
        [AuditContest(C, "ballot comparison", 0.1, 1, spec.to_json())],
        [AuditRound(1, 5, 5, now, now, round_to_json(result))],
        stored,
        entries,
    )
    assert [d.sequence for d in report.discrepancies] == [1]
    assert report.contests[0].conclusion.startswith("not yet confirmed")
    html = render_audit_report_html(report)
    assert "two-vote overstatement" in html and "Ann &gt; Bob" in html
    pdf = render_audit_report_pdf(report)
    assert pdf.startswith(b"%PDF")


def _tallies(text: str) -> AuditFile:
    return AuditFile("Elm", "batch tallies", "Elm - Mayor - totals.csv", text.encode(), C)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Batch,Ann\nB1,3\n", "at least two choices"),
        ("Name,Ann,Bob\nB1,3,1\n", "missing the column 'Batch Name'"),
        ("Batch Name,Ann,Bob\nB1,3,x\n", r"row 2, column 'Bob': expected a whole number"),
        ("Batch Name,Ann,Bob\nB1,3,1\nB1,2,2\n", r"row 3.*listed twice \(first in row 2\)"),
    ],
)
def test_bad_batch_tallies_are_refused_naming_the_place(text: str, message: str) -> None:
    with pytest.raises(InputFileError, match=message):
        summarize_file(_tallies(text))


def test_batch_tallies_must_name_manifest_batches() -> None:
    manifest = AuditFile("Elm", "manifest", "m.csv", MANIFEST)
    with pytest.raises(InputFileError, match="'B3' is not in Elm's ballot manifest"):
        AuditFiles.read([manifest, _tallies("Batch Name,Ann,Bob\nB3,3,1\n")], ["Elm"])


def test_a_batch_not_found_sends_the_audit_to_a_full_hand_count() -> None:
    manifest = AuditFile("Elm", "manifest", "m.csv", MANIFEST)
    read = AuditFiles.read([manifest, _tallies("Batch Name,Ann,Bob\nB1,3,0\nB2,2,0\n")], ["Elm"])
    spec = ContestSpec(C, AuditType.BATCH_COMPARISON, 0.1, read.reported_batch_votes(C), 5)
    contests = batch_contests([spec], read.batch_tallies, read.ballots_by_batch())
    size = first_batch_round_size([spec], contests)
    draws = [b.key[::2] for b in read.manifest.batches] * size
    clean = {("Elm", "B1"): {C: {"Ann": 3, "Bob": 0}}, ("Elm", "B2"): {C: {"Ann": 2, "Bob": 0}}}
    (ok,) = measure_batch_rounds([spec], contests, draws[:size], clean, [size])
    assert ok.finished and ok.contests[0].confirmed
    lost = {**clean, ("Elm", "B2"): None}
    (bad,) = measure_batch_rounds([spec], contests, draws[:size], lost, [size])
    assert bad.finished and bad.contests[0].full_hand_count and not bad.contests[0].confirmed


def test_a_batch_missing_from_the_tallies_keeps_its_error_bound() -> None:
    manifest = AuditFile("Elm", "manifest", "m.csv", MANIFEST)
    read = AuditFiles.read([manifest, _tallies("Batch Name,Ann,Bob\nB1,3,0\n")], ["Elm"])
    spec = ContestSpec(C, AuditType.BATCH_COMPARISON, 0.1, read.reported_batch_votes(C), 5)
    (contest,) = batch_contests([spec], read.batch_tallies, read.ballots_by_batch())
    assert contest.ballots == {("Elm", "B1"): 3, ("Elm", "B2"): 2}
    assert contest.reported == {("Elm", "B1"): {"Ann": 3, "Bob": 0}}
