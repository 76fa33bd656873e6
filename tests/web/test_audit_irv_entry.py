"""Board entry of an IRV contest's card through the app's routes (issue 15): the candidate at
each rank, read under San Francisco's rules (a skipped rank passes, a repeat counts once, an
overvoted rank ends the ranking); a hostile or incomplete form is a 400 with the message,
never a 500, and nothing is recorded."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.web.support import WebSetup, audit_county_url, sign_in
from tests.web.test_audit_irv import CONTEST, SEED, _published

from papertally.store.audits import AuditStore
from papertally.workflows.audit import start_audit


def _started(web: WebSetup) -> tuple[AuditStore, int, TestClient, list[str]]:
    """A started IRV audit, a board member of Adams signed in, and Adams's cards' pages."""
    audits, audit_id = _published(web)
    start_audit(audits, audit_id, SEED, actor="admin")
    board = web.client()
    sign_in(board, "adams-board")
    county = audit_county_url(board, audit_id, "Adams")
    urls = [f"{county}/cards/{c.sequence}" for c in audits.sample(audit_id) if c.county == "Adams"]
    return audits, audit_id, board, urls


def _ranked(*marks: str) -> dict[str, str]:
    form = {"card": "found", f"reading::{CONTEST}": "ranked"}
    form |= {f"rank::{CONTEST}::{rank}": mark for rank, mark in enumerate(marks, start=1)}
    return form


RANKED = [
    (("Alice", "Bob"), ["Alice", "Bob"]),
    (("", "Bob", "", "Alice"), ["Bob", "Alice"]),
    (("Alice", "Alice", "Bob"), ["Alice", "Bob"]),
    (("Chuan", "overvote", "Bob"), ["Chuan"]),
    (("overvote", "Bob"), []),
]
"""What the board reads at rank 1, 2, ... and the preference list recorded."""
HOSTILE = [
    (_ranked("Zed"), "not a candidate"),
    (_ranked("", ""), "choose the candidate at rank 1"),
    ({"card": "found", f"reading::{CONTEST}": "vote::Alice"}, "not a reading of a ranking"),
    ({"card": "found", f"reading::{CONTEST}": "overvote"}, "not a reading of a ranking"),
    ({"card": "found"}, "choose what the card shows"),
    (_ranked("x" * 5000), "not a candidate"),
]


def test_ranked_readings_are_recorded_as_preference_lists_and_hostile_ones_refused(
    web: WebSetup,
) -> None:
    audits, audit_id, board, urls = _started(web)
    assert len(urls) > len(RANKED)
    admin = web.client()
    sign_in(admin, "admin")
    assert "RAIRE assertions, Alice wins the CVRs' count" in admin.get(f"/audits/{audit_id}").text
    page = board.get(urls[0])
    assert page.status_code == 200 and f'name="rank::{CONTEST}::4"' in page.text
    for form, message in HOSTILE:
        for target in (urls[0] + "/review", urls[0]):
            response = board.post(target, data=form)
            assert response.status_code == 400, response.text[:300]
            assert message in response.text
    assert audits.entries(audit_id, county="Adams") == []
    for url, (marks, stored) in zip(urls, RANKED, strict=False):
        review = board.post(url + "/review", data=_ranked(*marks))
        assert review.status_code == 200
        words = "ranking " + " &gt; ".join(stored) if stored else "no ranking counts"
        assert words in review.text
        assert board.post(url, data=_ranked(*marks)).status_code == 303
    recorded = [e.votes for e in audits.entries(audit_id, county="Adams")]
    assert recorded == [{CONTEST: stored} for _, stored in RANKED]
    blank = board.post(urls[len(RANKED)], data={"card": "found", f"reading::{CONTEST}": "blank"})
    assert blank.status_code == 303
    assert audits.entries(audit_id, county="Adams")[-1].votes == {CONTEST: []}
