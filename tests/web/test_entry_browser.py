"""Data entry in real headless Chromium (Debian's, through Playwright): a blind double entry of
a ward with a correction, an audit board reading cards with a sign-off, an edit conflict that
keeps what was typed, a past deadline refused. Screenshots go to the test's temp folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.web.public_fixtures import REPORTED, SEED, manifest
from tests.web.support import live_server, sign_in_page, small_election

from papertally.io.audit_export import AuditFiles, summarize_file
from papertally.model import ImportResult
from papertally.model.audit_records import AuditSettings
from papertally.model.recount import Role
from papertally.store import Store
from papertally.store.audits import AuditStore
from papertally.workflows.audit import start_audit

pytestmark = pytest.mark.browser

WARD = "Town of Adams Ward 1"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """Serve the small two-county election (imported) to an administrator and Adams's clerk
    and board member, over a fresh SQLite store."""
    url = f"sqlite:///{tmp_path / 'entry.db'}"
    with Store(url) as store:
        store.migrate()
        store.save_import(ImportResult(small_election()))
    users = [
        ("admin", Role.ADMINISTRATOR, None),
        ("adams-clerk", Role.CLERK, "Adams"),
        ("adams-board", Role.BOARD, "Adams"),
    ]
    with live_server(url, users, "entry-browser") as base:
        yield base


def _page(browser: Any, base: str, user: str) -> Any:
    page = browser.new_context().new_page()
    sign_in_page(page, base, user)
    return page


def _open_recount(admin: Any, base: str, *, double_entry: bool) -> None:
    admin.goto(f"{base}/admin")
    admin.select_option("#open-recount-form select[name=contest]", "President")
    admin.fill("#open-recount-form input[name=deadline]", "2099-12-12")
    if double_entry:
        admin.check("#open-recount-form input[name=double_entry]")
    admin.click("#open-recount-form button[type=submit]")
    assert "Recount of President" in admin.inner_text("h1")


def _fill(page: Any, form: str, votes: dict[str, int]) -> None:
    for choice, n in votes.items():
        page.fill(f'{form} input[name="votes::{choice}"]', str(n))


def test_a_blind_double_entry_of_a_ward_with_a_correction(
    server: str, browser: Any, tmp_path: Path
) -> None:
    admin = _page(browser, server, "admin")
    _open_recount(admin, server, double_entry=True)
    assert "Central" in admin.inner_text("#recount-deadline") or "CST" in admin.inner_text(
        "#recount-deadline"
    )
    clerk = _page(browser, server, "adams-clerk")
    clerk.click(f"text={WARD}")
    assert clerk.is_visible("#canvass-hidden")
    assert clerk.input_value('#sheet-form input[name="votes::Trump"]') == ""
    _fill(clerk, "#sheet-form", {"Trump": 301, "Clinton": 249, "Scattering": 1})
    clerk.click("#sheet-form button[type=submit]")
    assert clerk.get_attribute("#sheets tr[data-sheet='sheet 1']", "data-state") == "awaiting"

    board = _page(browser, server, "adams-board")
    board.click(f"text={WARD}")
    assert "301" not in board.inner_text("#sheets") and board.is_visible("#canvass-hidden")
    _fill(board, ".check-form", {"Trump": 310, "Clinton": 249, "Scattering": 1})
    board.click(".check-form button[type=submit]")
    assert board.get_attribute("#sheets tr[data-sheet='sheet 1']", "data-state") == "differs"
    assert "≠ 310" in board.inner_text("#sheets")
    board.screenshot(path=str(tmp_path / "double-entry-differs.png"), full_page=True)

    clerk.reload()
    _fill(clerk, "#sheet-form", {"Trump": 310, "Clinton": 249, "Scattering": 1})
    clerk.fill("#sheet-form input[name=label]", "sheet 1")
    clerk.fill("#sheet-form input[name=reason]", "the table's sheet says 310")
    clerk.click("#sheet-form button[type=submit]")
    board.reload()
    _fill(board, ".check-form", {"Trump": 310, "Clinton": 249, "Scattering": 1})
    board.click(".check-form button[type=submit]")
    assert board.get_attribute("#sheets tr[data-sheet='sheet 1']", "data-state") == "checked"
    assert board.is_visible("#canvass-row")
    assert board.inner_text('#sheets th[data-choice="Trump"]') == "310"
    assert "1 superseded" in board.inner_text("details summary")
    board.screenshot(path=str(tmp_path / "double-entry-settled.png"), full_page=True)


def test_an_edit_conflict_keeps_the_typed_values(server: str, browser: Any) -> None:
    admin = _page(browser, server, "admin")
    _open_recount(admin, server, double_entry=False)
    clerk = _page(browser, server, "adams-clerk")
    board = _page(browser, server, "adams-board")
    for page in (clerk, board):
        page.click(f"text={WARD}")
    _fill(board, "#sheet-form", {"Trump": 301, "Clinton": 249, "Scattering": 1})
    board.click("#sheet-form button[type=submit]")
    _fill(clerk, "#sheet-form", {"Trump": 333, "Clinton": 222, "Scattering": 3})
    clerk.fill("#sheet-form input[name=label]", "sheet 1")
    clerk.fill("#sheet-form input[name=reason]", "recounted the table")
    clerk.click("#sheet-form button[type=submit]")
    assert clerk.is_visible("#conflict")
    assert clerk.input_value('#sheet-form input[name="votes::Trump"]') == "333"
    assert clerk.input_value("#sheet-form input[name=reason]") == "recounted the table"
    versions = clerk.inner_text("#conflict-versions")
    assert "333" in versions and "301" in versions
    clerk.click("#sheet-form button[type=submit]")
    assert not clerk.is_visible("#conflict")
    assert clerk.inner_text('#sheets th[data-choice="Trump"]') == "333"


def test_a_past_deadline_is_refused_beside_its_field(server: str, browser: Any) -> None:
    admin = _page(browser, server, "admin")
    admin.goto(f"{server}/admin")
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    admin.select_option("#open-recount-form select[name=contest]", "President")
    admin.fill("#open-recount-form input[name=deadline]", yesterday)
    admin.fill("#open-recount-form input[name=deadline_time]", "17:00")
    admin.click("#open-recount-form button[type=submit]")
    error = admin.inner_text("#error-deadline")
    assert "in the past" in error and f"{yesterday} 5:00 pm C" in error
    assert admin.input_value("#open-recount-form select[name=contest]") == "President"
    assert admin.input_value("#open-recount-form input[name=deadline]") == yesterday
    assert "Cannot do that" not in admin.content()
    admin.fill("#open-recount-form input[name=deadline]", "2099-12-12")
    admin.click("#open-recount-form button[type=submit]")
    assert admin.inner_text("#recount-deadline") == "2099-12-12 5:00 pm CST"


def test_an_audit_board_reads_cards_with_a_sign_off(
    server: str, browser: Any, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'entry.db'}"
    with Store(url) as store:
        audits = AuditStore(store.engine)
        audit_id = audits.create_audit(
            "Board RLA", ["Adams", "Dane"], actor="admin", settings=AuditSettings(sign_off=True)
        )
        audits.add_contest(
            audit_id, "President", "ballot polling", 0.1, reported=REPORTED, actor="a"
        )
        for county in ("Adams", "Dane"):
            file = manifest(county, 6, 250)
            audits.upload_file(audit_id, file, summarize_file(file), actor="clerk")
        files = AuditFiles.read(audits.file_contents(audit_id), audits.audit(audit_id).counties)
        audits.publish(audit_id, actor="admin", findings=files.findings())
        start_audit(audits, audit_id, SEED, actor="admin")
        cards = [c.sequence for c in audits.sample(audit_id) if c.county == "Adams"][:2]

    board = _page(browser, server, "adams-board")
    board.goto(f"{server}/home")
    board.click("#tasks a")
    for sequence, reading in zip(cards, ("vote::Clinton", "blank"), strict=True):
        board.click(f'a.card-link[data-sequence="{sequence}"]')
        assert board.locator("#card-form input:checked").count() == 0
        board.check('#card-form input[name="reading::President"][value="vote::Trump"]')
        board.click("#card-form button[type=submit]")  # the card's state is required
        assert board.is_visible("#card-form") and "/review" not in board.url
        board.check("#card-form input[name=card][value=found]")
        board.check(f'#card-form input[name="reading::President"][value="{reading}"]')
        board.click("#card-form button[type=submit]")
        expected = "vote for Clinton" if reading.startswith("vote") else "blank (undervote)"
        assert expected in board.inner_text("#confirm-readings")
        board.screenshot(path=str(tmp_path / f"board-confirm-{sequence}.png"), full_page=True)
        board.click("#confirm-form button:not(.secondary)")
        assert "awaiting sign-off" in board.inner_text(f"#card-{sequence}")

    clerk = _page(browser, server, "adams-clerk")
    clerk.goto(board.url.split("#")[0])
    clerk.click(f'a.card-link[data-sequence="{cards[0]}"]')
    assert "Awaiting a second board member" in clerk.inner_text("#signoff-state")
    clerk.click("#signoff-form button")
    assert "awaiting sign-off" not in clerk.inner_text(f"#card-{cards[0]}")
    assert "recorded" in clerk.inner_text(f"#card-{cards[0]}")
    board.click(f'a.card-link[data-sequence="{cards[0]}"]')
    assert "Signed off by adams-clerk" in board.inner_text("#signoff-state")
    assert not board.is_visible("#signoff-form")
    board.screenshot(path=str(tmp_path / "board-signed-off.png"), full_page=True)
