"""The audit workflow through the app's routes, on SQLite and PostgreSQL: two counties, ballot
comparison, one discrepancy that forces a second round, corrections with history, county
scoping, the export verified, the activity log."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.web.support import WebSetup, audit_county_url, sign_in

from papertally.errors import PapertallyError
from papertally.io.audit_export import summarize_file
from papertally.model.audit_records import AuditFile
from papertally.store.audits import AuditStore
from papertally.store.engine import make_engine
from papertally.verify import verify_export
from papertally.workflows.audit import close_round, start_audit

ARLO = "arlo-small-election"
CONTEST = "Minister of Farming"
SEED = "32108237620450897013"
COUNTIES = {"Adams": "Mount Olive", "Dane": "Siletz"}
"""The fixture's counties carry two counties' files of Arlo's small election."""


def _upload(client: TestClient, audit_id: int, county: str, data: Path) -> None:
    source = COUNTIES[county]
    for kind, name in (("manifest", "ballot manifest"), ("cvrs", "cvrs")):
        path = data / ARLO / f"{source} - {name}.csv"
        response = client.post(
            audit_county_url(client, audit_id, county) + "/files",
            data={"kind": kind},
            files={"file": (path.name, path.read_bytes(), "text/csv")},
        )
        assert response.status_code == 303, response.text


def _record(client: TestClient, audit_id: int, county: str, sequence: int, **form: str) -> int:
    response = client.post(
        audit_county_url(client, audit_id, county) + f"/cards/{sequence}", data=form
    )
    return response.status_code


def _record_round(
    client: TestClient, audits: AuditStore, audit_id: int, round_number: int, wrong: int | None
) -> None:
    """Record every card of a round as its CVR says (an overvote as no vote), except draw
    ``wrong``, read as a vote for Alex Hall."""
    for card in audits.sample(audit_id):
        if card.round_number != round_number:
            continue
        assert card.cvr is not None
        votes = card.cvr.get(CONTEST, [])
        choice = "Alex Hall" if card.sequence == wrong else (votes[0] if len(votes) == 1 else "")
        field = {f"contest::{CONTEST}": choice}
        assert _record(client, audit_id, card.county, card.sequence, **field) == 303


def test_a_two_county_comparison_audit_through_the_routes(web: WebSetup, shared_data: Path) -> None:
    admin = web.client()
    sign_in(admin, "admin")
    response = admin.post("/audits", data={"name": "Test RLA", "counties": "Adams, Dane"})
    assert response.status_code == 303
    audit_id = int(response.headers["location"].rsplit("/", 1)[1])
    response = admin.post(
        f"/audits/{audit_id}/contests",
        data={"name": CONTEST, "audit_type": "ballot comparison", "risk_limit": "10%"},
    )
    assert response.status_code == 303

    adams = web.client()
    sign_in(adams, "adams-clerk")
    dane = web.client()
    sign_in(dane, "dane-clerk")
    assert dane.get(audit_county_url(admin, audit_id, "Adams")).status_code == 403
    refused = dane.post(
        audit_county_url(admin, audit_id, "Adams") + "/files",
        data={"kind": "manifest"},
        files={"file": ("m.csv", b"Batch Name,Number of Ballots\nB1,3\n", "text/csv")},
    )
    assert refused.status_code == 403
    bad = adams.post(
        audit_county_url(adams, audit_id, "Adams") + "/files",
        data={"kind": "manifest"},
        files={"file": ("m.csv", b"Batch,Ballots counted\nB1,3\n", "text/csv")},
    )
    assert bad.status_code == 400 and "Number of Ballots" in bad.text
    _upload(adams, audit_id, "Adams", shared_data)
    _upload(dane, audit_id, "Dane", shared_data)

    early = admin.post(f"/audits/{audit_id}/seed", data={"seed": SEED})
    assert early.status_code == 400 and "publish" in early.text
    assert admin.post(f"/audits/{audit_id}/publish").status_code == 303
    assert "CVRs match its manifest batch by batch" in admin.get(f"/audits/{audit_id}").text
    late = _upload_once_more(adams, audit_id, shared_data)
    assert late.status_code == 400 and "setup" in late.text
    short = admin.post(f"/audits/{audit_id}/seed", data={"seed": "12345"})
    assert short.status_code == 400 and "20" in short.text
    assert admin.post(f"/audits/{audit_id}/seed", data={"seed": SEED}).status_code == 303

    audits = AuditStore(make_engine(web.url))
    (first,) = audits.rounds(audit_id)
    assert first.size == 5
    sample = audits.sample(audit_id)
    assert {c.county for c in sample} <= {"Adams", "Dane"}
    csv_text = adams.get(audit_county_url(adams, audit_id, "Adams") + "/retrieval.csv").text
    assert csv_text.splitlines()[0].startswith("Container,Tabulator,Batch Name,Ballot Number")
    assert len(csv_text.splitlines()) == 1 + sum(c.county == "Adams" for c in sample)

    wrong = sample[1].sequence
    _record_round(admin, audits, audit_id, 1, wrong)
    card = sample[0]
    again = _record(admin, audit_id, card.county, card.sequence, **{f"contest::{CONTEST}": ""})
    assert again == 400
    corrected = _record(
        admin,
        audit_id,
        card.county,
        card.sequence,
        **{f"contest::{CONTEST}": "Alex Hall", "reason": "misread"},
    )
    assert corrected == 303
    void = admin.post(
        audit_county_url(admin, audit_id, card.county) + f"/cards/{card.sequence}/void",
        data={"reason": "wrong card pulled"},
    )
    assert void.status_code == 303
    closing = admin.post(f"/audits/{audit_id}/rounds/close")
    assert closing.status_code == 400 and "no reading" in closing.text
    marked = card.cvr.get(CONTEST, []) if card.cvr else []
    expected = marked[0] if len(marked) == 1 else ""
    assert (
        _record(admin, audit_id, card.county, card.sequence, **{f"contest::{CONTEST}": expected})
        == 303
    )
    history = audits.entries(audit_id, sequence=card.sequence, include_history=True)
    assert [e.status for e in history] == ["superseded", "voided", "current"]

    assert admin.post(f"/audits/{audit_id}/rounds/close").status_code == 303
    rounds = audits.rounds(audit_id)
    assert len(rounds) == 2 and rounds[0].measurement is not None
    assert not rounds[0].measurement["finished"]
    assert rounds[1].size == rounds[0].measurement["next_round_size"] > 0
    closed_card = _record(
        admin, audit_id, card.county, card.sequence, **{f"contest::{CONTEST}": "", "reason": "x"}
    )
    assert closed_card == 400
    _record_round(admin, audits, audit_id, 2, None)
    assert admin.post(f"/audits/{audit_id}/rounds/close").status_code == 303
    assert audits.audit(audit_id).status == "complete"

    observer = web.client()
    sign_in(observer, "observer")
    assert "Everything matches" in observer.get(f"/audits/{audit_id}/verify").text
    export = observer.get(f"/audits/{audit_id}/export.zip").content
    assert verify_export(export).ok
    report = json.loads(observer.get(f"/audits/{audit_id}/report.json").text)
    assert report["status"] == "complete"
    assert report["contests"][0]["conclusion"].startswith("confirmed")
    assert [d["sequence"] for d in report["discrepancies"]] == [wrong], report["discrepancies"]
    assert "o2" in report["discrepancies"][0]["codes"].values()
    rows = observer.get(f"/audits/{audit_id}/report.csv").text.splitlines()
    assert rows[0].startswith("round,size,cards_drawn") and len(rows) > 2
    actions = [e.action for e in web.recounts.activity() if e.subject.startswith("audit/")]
    for action in ("audit.create", "audit.publish", "audit.seed", "audit.card.void"):
        assert action in actions
    assert actions.count("audit.round.close") == 2 and actions[-1] == "audit.complete"
    assert web.recounts.verify_log().chain.intact
    with zipfile.ZipFile(io.BytesIO(export)) as archive:
        names = set(archive.namelist())
    assert {"audit.json", "sample.csv", "audit-board.csv", "SHA256SUMS.txt"} <= names
    assert "files/Adams/cvrs-Mount Olive - cvrs.csv" in names


def _upload_once_more(client: TestClient, audit_id: int, data: Path) -> object:
    path = data / ARLO / "Mount Olive - ballot manifest.csv"
    return client.post(
        audit_county_url(client, audit_id, "Adams") + "/files",
        data={"kind": "manifest"},
        files={"file": (path.name, path.read_bytes(), "text/csv")},
    )


def test_every_audit_route_declares_a_rule_and_counties_are_scoped(web: WebSetup) -> None:
    admin = web.client()
    sign_in(admin, "admin")
    board = web.client()
    sign_in(board, "adams-board")
    assert "No audit names Adams" in board.get("/my-audits").text
    audit_id = AuditStore(make_engine(web.url)).create_audit("A", ["Adams"], actor="admin")
    assert board.get("/my-audits").headers["location"] == audit_county_url(board, audit_id, "Adams")
    assert admin.get("/my-audits").headers["location"] == "/audits"
    assert board.get(f"/audits/{audit_id}").status_code == 403
    assert board.post(f"/audits/{audit_id}/publish").status_code == 403
    assert board.get(audit_county_url(board, audit_id, "Adams")).status_code == 200
    anonymous = web.client()
    assert anonymous.get(f"/audits/{audit_id}/export.zip").status_code == 303


def _started_polling_audit(web: WebSetup, shared_data: Path) -> tuple[AuditStore, int]:
    """Start a ballot-polling audit of Adams (carrying Mount Olive's files) in the store."""
    audits = AuditStore(make_engine(web.url))
    audit_id = audits.create_audit("Polling", ["Adams"], actor="admin")
    audits.add_contest(audit_id, CONTEST, "ballot polling", 0.1, actor="admin")
    for kind, name in (("manifest", "ballot manifest"), ("cvrs", "cvrs")):
        path = shared_data / ARLO / f"Mount Olive - {name}.csv"
        file = AuditFile("Adams", kind, path.name, path.read_bytes())
        audits.upload_file(audit_id, file, summarize_file(file), actor="admin")
    audits.publish(audit_id, actor="admin")
    start_audit(audits, audit_id, SEED, actor="admin")
    return audits, audit_id


def test_two_boards_recording_one_card_at_once_make_one_reading(
    web: WebSetup, shared_data: Path
) -> None:
    audits, audit_id = _started_polling_audit(web, shared_data)
    sequence = audits.sample(audit_id)[0].sequence
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def record(board: str) -> None:
        start.wait()
        try:
            audits.record_entry(
                audit_id, "Adams", sequence, found=True, votes={CONTEST: []}, actor=board
            )
            outcomes.append("saved")
        except PapertallyError as error:
            outcomes.append(str(error))

    threads = [threading.Thread(target=record, args=(b,)) for b in ("board 1", "board 2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes)[1] == "saved"
    assert "already has a reading" in sorted(outcomes)[0]
    assert len(audits.entries(audit_id, sequence=sequence)) == 1


def test_a_round_measured_on_stale_entries_is_not_closed(web: WebSetup, shared_data: Path) -> None:
    audits, audit_id = _started_polling_audit(web, shared_data)
    for card in audits.sample(audit_id):
        audits.record_entry(
            audit_id, "Adams", card.sequence, found=True, votes={CONTEST: []}, actor="b"
        )
    seen = {e.sequence: e.id for e in audits.entries(audit_id)}
    first = audits.sample(audit_id)[0].sequence
    audits.record_entry(
        audit_id, "Adams", first, found=False, votes={}, actor="b", reason="not in the box"
    )
    with pytest.raises(PapertallyError, match=f"card {first} was recorded again"):
        audits.close_round(audit_id, 1, {}, None, based_on=seen, actor="admin")
    assert close_round(audits, audit_id, actor="admin") is False
    (_, second) = audits.rounds(audit_id)
    assert second.size > 0


def test_a_batch_comparison_audit_through_the_routes(web: WebSetup, shared_data: Path) -> None:
    admin = web.client()
    sign_in(admin, "admin")
    audits = AuditStore(make_engine(web.url))
    audit_id = audits.create_audit("Batches", ["Adams", "Dane"], actor="admin")
    form = {"name": CONTEST, "audit_type": "batch comparison", "risk_limit": "0.1"}
    assert admin.post(f"/audits/{audit_id}/contests", data=form).status_code == 303
    mixed = {"name": "Master of Magic", "audit_type": "ballot polling", "risk_limit": "5"}
    refused = admin.post(f"/audits/{audit_id}/contests", data=mixed)
    assert refused.status_code == 400 and "either ballot cards or whole batches" in refused.text
    reported: dict[tuple[str, str], dict[str, int]] = {}
    for county, source in COUNTIES.items():
        for kind, name in (
            ("manifest", "ballot manifest"),
            ("batch tallies", f"{CONTEST} - candidate totals by batch"),
        ):
            path = shared_data / ARLO / f"{source} - {name}.csv"
            response = admin.post(
                audit_county_url(admin, audit_id, county) + "/files",
                data={"kind": kind, "contest": CONTEST},
                files={"file": (path.name, path.read_bytes(), "text/csv")},
            )
            assert response.status_code == 303, response.text
        tallies = summarize_file(
            AuditFile(county, "batch tallies", "t.csv", path.read_bytes(), CONTEST)
        )
        assert tallies["contest"] == CONTEST
        for line in path.read_text().splitlines()[1:]:
            batch, erin, alex, write_in = line.split(",")
            reported[(county, batch)] = {
                "Erin George": int(erin),
                "Alex Hall": int(alex),
                "Write-In": int(write_in),
            }
    assert admin.post(f"/audits/{audit_id}/publish").status_code == 303
    assert admin.post(f"/audits/{audit_id}/seed", data={"seed": SEED}).status_code == 303
    while audits.audit(audit_id).status == "in progress":
        number = audits.rounds(audit_id)[-1].number
        counted: set[tuple[str, str]] = set()
        for card in audits.sample(audit_id):
            key = (card.county, card.batch)
            if key in counted:
                repeat = admin.post(
                    audit_county_url(admin, audit_id, card.county) + f"/cards/{card.sequence}",
                    data={},
                )
                assert repeat.status_code == 400 and "counted once" in repeat.text
                continue
            counted.add(key)
            if card.round_number != number:
                continue
            fields = {f"tally::{CONTEST}::{c}": str(n) for c, n in reported[key].items()}
            status = _record(admin, audit_id, card.county, card.sequence, **fields)
            assert status == 303
        assert admin.post(f"/audits/{audit_id}/rounds/close").status_code == 303
    assert audits.audit(audit_id).status == "complete"
    assert all(card.position == 0 for card in audits.sample(audit_id))
    assert verify_export(admin.get(f"/audits/{audit_id}/export.zip").content).ok
    report = json.loads(admin.get(f"/audits/{audit_id}/report.json").text)
    assert report["contests"][0]["conclusion"].startswith("confirmed")
    assert report["discrepancies"] == []


def test_a_polling_audit_without_cvrs_takes_typed_reported_votes(
    web: WebSetup, shared_data: Path
) -> None:
    admin = web.client()
    sign_in(admin, "admin")
    audits = AuditStore(make_engine(web.url))
    audit_id = audits.create_audit("Polling", ["Adams"], actor="admin")
    form = {"name": CONTEST, "audit_type": "ballot polling", "risk_limit": "10%"}
    typo = admin.post(f"/audits/{audit_id}/contests", data={**form, "reported": "Erin 30"})
    assert typo.status_code == 400 and "Choice = votes" in typo.text
    wrong_type = {**form, "audit_type": "ballot comparison", "reported": "Erin George = 30"}
    assert admin.post(f"/audits/{audit_id}/contests", data=wrong_type).status_code == 400
    typed = {**form, "reported": "Erin George = 30\nAlex Hall = 1\n"}
    assert admin.post(f"/audits/{audit_id}/contests", data=typed).status_code == 303
    path = shared_data / ARLO / "Mount Olive - ballot manifest.csv"
    response = admin.post(
        audit_county_url(admin, audit_id, "Adams") + "/files",
        data={"kind": "manifest"},
        files={"file": (path.name, path.read_bytes(), "text/csv")},
    )
    assert response.status_code == 303
    assert admin.post(f"/audits/{audit_id}/publish").status_code == 303
    assert admin.post(f"/audits/{audit_id}/seed", data={"seed": SEED}).status_code == 303
    (contest,) = audits.contests(audit_id)
    assert contest.spec is not None
    assert contest.spec["votes"] == {"Erin George": 30, "Alex Hall": 1}
    sample = audits.sample(audit_id)
    assert sample and all(card.cvr is None for card in sample)
    for card in sample:
        assert (
            _record(
                admin, audit_id, "Adams", card.sequence, **{f"contest::{CONTEST}": "Erin George"}
            )
            == 303
        )
    assert admin.post(f"/audits/{audit_id}/rounds/close").status_code == 303
    assert verify_export(admin.get(f"/audits/{audit_id}/export.zip").content).ok


def test_more_reported_votes_than_cards_are_refused_at_the_seed(
    web: WebSetup, shared_data: Path
) -> None:
    audits = AuditStore(make_engine(web.url))
    audit_id = audits.create_audit("Too many", ["Adams"], actor="admin")
    votes = {"Erin George": 30, "Alex Hall": 10}
    audits.add_contest(audit_id, CONTEST, "ballot polling", 0.1, reported=votes, actor="admin")
    path = shared_data / ARLO / "Mount Olive - ballot manifest.csv"
    file = AuditFile("Adams", "manifest", path.name, path.read_bytes())
    audits.upload_file(audit_id, file, summarize_file(file), actor="admin")
    audits.publish(audit_id, actor="admin")
    with pytest.raises(PapertallyError, match="add up to 40, more than the 31 cards"):
        start_audit(audits, audit_id, SEED, actor="admin")
    assert audits.audit(audit_id).status == "published"
