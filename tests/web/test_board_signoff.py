"""Audit boards through the app's pages (SQLite and PostgreSQL): no reading pre-selected, each
contest's reading chosen, a confirm step, the two-person sign-off, corrections by the same path
kept in history, and each role's landing page saying what to do next."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from tests.web.public_fixtures import REPORTED, SEED, manifest
from tests.web.support import WebSetup, audit_county_url, sign_in

from papertally.io.audit_export import AuditFiles, summarize_file
from papertally.model.audit_records import AuditSettings
from papertally.store.audits import AuditStore
from papertally.workflows.audit import start_audit


def _audit(web: WebSetup, *, sign_off: bool = True, seeded: bool = True) -> int:
    """A two-county ballot-polling audit, published and (with ``seeded``) drawn."""
    audits = AuditStore(web.recounts.engine)
    audit_id = audits.create_audit(
        "Board RLA",
        ["Adams", "Dane"],
        actor="admin",
        settings=AuditSettings("America/Chicago", sign_off=sign_off),
    )
    audits.add_contest(audit_id, "President", "ballot polling", 0.1, reported=REPORTED, actor="a")
    for county in ("Adams", "Dane"):
        file = manifest(county, 6, 250)
        audits.upload_file(audit_id, file, summarize_file(file), actor="clerk")
    files = AuditFiles.read(audits.file_contents(audit_id), audits.audit(audit_id).counties)
    audits.publish(audit_id, actor="admin", findings=files.findings())
    if seeded:
        start_audit(audits, audit_id, SEED, actor="admin")
    return audit_id


def _client(web: WebSetup, name: str) -> TestClient:
    client = web.client()
    sign_in(client, name)
    return client


def _first_card(web: WebSetup, audit_id: int, county: str = "Adams") -> int:
    audits = AuditStore(web.recounts.engine)
    return next(c.sequence for c in audits.sample(audit_id) if c.county == county)


def test_a_reading_is_chosen_confirmed_and_signed_off_by_a_second_member(web: WebSetup) -> None:
    audit_id = _audit(web)
    board, clerk, admin = (_client(web, n) for n in ("adams-board", "adams-clerk", "admin"))
    card = f"{audit_county_url(board, audit_id, 'Adams')}/cards/{_first_card(web, audit_id)}"
    form_page = board.get(card).text
    form = form_page[form_page.index('id="card-form"') :]
    form = form[: form.index("</form>")]
    assert "checked" not in form and "selected" not in form
    for value in ("vote::Clinton", "vote::Trump", "blank", "overvote", "absent"):
        assert f'value="{value}"' in form

    missing = board.post(card + "/review", data={"card": "found"})
    assert missing.status_code == 400 and 'id="error-reading::President"' in missing.text
    assert 'value="found" required checked' in missing.text

    reading = {"card": "found", "reading::President": "vote::Clinton"}
    review = board.post(card + "/review", data=reading)
    assert review.status_code == 200 and "vote for Clinton" in review.text
    assert AuditStore(web.recounts.engine).entries(audit_id) == []
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', review.text))
    assert hidden["reading::President"] == "vote::Clinton" and hidden["card"] == "found"
    changed = board.post(card + "/edit", data=reading)
    assert 'value="vote::Clinton" checked' in changed.text

    assert board.post(card, data=reading).status_code == 303
    assert "Awaiting a second board member" in board.get(card).text
    own = board.post(card + "/signoff")
    assert own.status_code == 400 and "second board member" in own.text
    refused = admin.post(f"/audits/{audit_id}/rounds/close")
    assert refused.status_code == 400

    assert 'id="signoff-form"' in clerk.get(card).text
    assert clerk.post(card + "/signoff").status_code == 303
    assert "Signed off by adams-clerk" in board.get(card).text
    again = clerk.post(card + "/signoff")
    assert again.status_code == 400

    correction = {"card": "found", "reading::President": "overvote", "reason": "two marks"}
    assert board.post(card, data=correction).status_code == 303
    page = board.get(card).text
    assert "Awaiting a second board member" in page
    history = page[page.index('id="history"') :]
    assert "President: overvote" in history and "President: vote for Clinton" in history
    assert "adams-clerk" in history and "superseded" in history
    actions = [e.action for e in web.recounts.activity()]
    assert actions.count("audit.card.signoff") == 1 and "audit.card.correct" in actions
    assert web.recounts.verify_log().intact  # settings and sign-off rows are in the log


def test_every_reading_is_stored_as_the_measurement_reads_it(web: WebSetup) -> None:
    audit_id = _audit(web, sign_off=False)
    board = _client(web, "adams-board")
    audits = AuditStore(web.recounts.engine)
    cards = [c.sequence for c in audits.sample(audit_id) if c.county == "Adams"][:4]
    base = audit_county_url(board, audit_id, "Adams")
    readings = [
        {"card": "found", "reading::President": "blank"},
        {"card": "found", "reading::President": "overvote"},
        {"card": "found", "reading::President": "absent"},
        {"card": "not found"},
    ]
    for sequence, reading in zip(cards, readings, strict=True):
        assert board.post(f"{base}/cards/{sequence}", data=reading).status_code == 303
    stored = {e.sequence: (e.found, e.votes) for e in audits.entries(audit_id)}
    assert [stored[s] for s in cards] == [
        (True, {"President": []}),
        (True, {"President": ["Clinton", "Trump"]}),
        (True, {}),
        (False, {}),
    ]


def test_hostile_readings_get_a_4xx_with_a_message(web: WebSetup) -> None:
    audit_id = _audit(web)
    board = _client(web, "adams-board")
    card = f"{audit_county_url(board, audit_id, 'Adams')}/cards/{_first_card(web, audit_id)}"
    for form, named in [
        ({"card": "maybe"}, "found"),
        ({"card": "found", "reading::President": "vote::Nobody"}, "Nobody"),
        ({"card": "found", "reading::President": "votes"}, "tick"),
        ({"card": "found", "reading::President": "x" * 5000}, "not a reading"),
    ]:
        for path in (card, card + "/review"):
            response = board.post(path, data=form)
            assert response.status_code == 400, (form, response.status_code)
            assert named in response.text
    dane = audit_county_url(board, audit_id, "Dane")
    assert (
        board.post(f"{dane}/cards/{_first_card(web, audit_id, 'Dane')}/signoff").status_code == 403
    )
    assert AuditStore(web.recounts.engine).entries(audit_id) == []


def test_each_role_lands_on_a_page_saying_what_to_do_next(web: WebSetup) -> None:
    board = _client(web, "adams-board")
    empty = board.get("/home")
    assert empty.status_code == 200 and "Nothing to do yet" in empty.text
    audit_id = _audit(web, seeded=False)
    landing = board.get("/home")
    assert landing.status_code == 200
    assert audit_county_url(board, audit_id, "Adams") in landing.text
    assert "wait for the state to enter the seed" in landing.text
    observer = _client(web, "observer").get("/home")
    assert observer.status_code == 200 and f"/audits/{audit_id}" in observer.text
    admin = _client(web, "admin")
    assert admin.get("/home").headers["location"] == "/admin"
    desk = admin.get("/admin").text
    assert 'id="next-steps"' in desk and "Open a recount of a contest" in desk
