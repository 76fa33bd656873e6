"""A two-county ballot-comparison audit in real headless Chromium, from the upload of the
counties' manifests and CVRs to completion: one discrepancy forces a second round; the report
and the observer's verification page are checked. Screenshots go to the test's temp folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.web.support import live_server, sign_in_page

from papertally.io.cvr import read_cvrs
from papertally.model.cards import CardCollection
from papertally.model.recount import Role

pytestmark = pytest.mark.browser

CONTEST = "Minister of Farming"
SEED = "50839128374650192837"
COUNTIES = {"Adams": "Mount Olive", "Dane": "Siletz"}
"""The audit's two counties carry the files of two counties of Arlo's small election."""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """Serve the app over a fresh SQLite store with an administrator, two clerks, an observer."""
    users = [
        ("admin", Role.ADMINISTRATOR, None),
        ("adams-clerk", Role.CLERK, "Adams"),
        ("dane-clerk", Role.CLERK, "Dane"),
        ("observer", Role.OBSERVER, None),
    ]
    with live_server(f"sqlite:///{tmp_path / 'audit.db'}", users, "audit-browser") as base:
        yield base


def _record_open_round(
    page: object, base: str, county: str, cvrs: CardCollection, state: dict[str, int]
) -> int:
    """Record every card of the county's open round as its CVR reads, except the first card
    with one vote for Erin George, read as Alex Hall (the discrepancy); return cards recorded."""
    county_id = {"Adams": 1, "Dane": 2}[county]  # rows of audit 1, the store's first, in order
    page.goto(f"{base}/audits/1/counties/{county_id}")  # type: ignore[attr-defined]
    todo = []
    for row in page.query_selector_all("#retrieval tbody tr"):  # type: ignore[attr-defined]
        cells = [c.inner_text().strip() for c in row.query_selector_all("td")]
        if cells[-1] == "record":
            todo.append((cells[1], cells[2], cells[3], cells[6]))
    for tabulator, batch, position, sequence in todo:
        (index,) = cvrs.find_cards(tabulator, batch, position)[:1]
        entry = cvrs.card(index).contest(CONTEST)
        votes = list(entry.choices()) if entry else []
        choice = votes[0] if len(votes) == 1 else ""
        if "wrong" not in state and choice == "Erin George":
            state["wrong"] = int(sequence)
            choice = "Alex Hall"
        reading = f"vote::{choice}" if choice else ("overvote" if votes else "blank")
        page.click(f'a.card-link[data-sequence="{sequence}"]')  # type: ignore[attr-defined]
        page.check("#card-form input[name=card][value=found]")  # type: ignore[attr-defined]
        page.check(f'#card-form input[name="reading::{CONTEST}"][value="{reading}"]')  # type: ignore[attr-defined]
        page.click("#card-form button[type=submit]")  # type: ignore[attr-defined]
        page.click("#confirm-form button:not(.secondary)")  # type: ignore[attr-defined]
        row = page.inner_text(f"#card-{sequence}")  # type: ignore[attr-defined]
        assert "recorded" in row
    return len(todo)


def test_a_two_county_comparison_audit_in_the_browser(
    server: str, browser: object, tmp_path: Path, shared_data: Path
) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    files = shared_data / "arlo-small-election"
    cvrs = {
        county: read_cvrs([files / f"{source} - cvrs.csv"], name=county, workers=1)
        for county, source in COUNTIES.items()
    }
    admin = browser.new_context().new_page()  # type: ignore[attr-defined]
    sign_in_page(admin, server, "admin")
    admin.click("#audits-link")
    admin.fill("#create-audit-form input[name=name]", "Small Election RLA")
    admin.fill("#create-audit-form textarea[name=counties]", "Adams\nDane")
    admin.uncheck("#create-audit-form input[name=sign_off]")  # one clerk per county here
    admin.click("#create-audit-form button[type=submit]")
    assert "Small Election RLA" in admin.inner_text("h1")
    admin.fill("#contest-form input[name=name]", CONTEST)
    admin.select_option("#contest-form select[name=audit_type]", "ballot comparison")
    admin.fill("#contest-form input[name=risk_limit]", "10%")
    admin.click("#contest-form button[type=submit]")
    assert CONTEST in admin.inner_text("#contests")

    clerks = {}
    for county, source in COUNTIES.items():
        clerk = browser.new_context().new_page()  # type: ignore[attr-defined]
        sign_in_page(clerk, server, f"{county.lower()}-clerk")
        clerk.click("#nav-audits")
        assert clerk.inner_text("h1").startswith(f"{county}: Small Election RLA")
        clerk.set_input_files(
            "#manifest-form input[name=file]", str(files / f"{source} - ballot manifest.csv")
        )
        clerk.click("#manifest-form button[type=submit]")
        clerk.set_input_files("#cvrs-form input[name=file]", str(files / f"{source} - cvrs.csv"))
        clerk.click("#cvrs-form button[type=submit]")
        assert "cvrs" in clerk.inner_text("#county-files")
        clerks[county] = clerk
    clerks["Adams"].screenshot(path=str(shots / "1-county-uploads.png"), full_page=True)

    admin.goto(f"{server}/audits/1")
    admin.click("#publish-form button")
    assert admin.inner_text("#audit-status") == "published"
    assert len(admin.query_selector_all("#files code.sha")) == 4
    admin.fill("#seed-form input[name=seed]", SEED)
    admin.click("#seed-form button")
    assert "Round 1 drew" in admin.inner_text("#audit-message")
    admin.screenshot(path=str(shots / "2-round-1-drawn.png"), full_page=True)

    state: dict[str, int] = {}
    recorded = sum(_record_open_round(clerks[c], server, c, cvrs[c], state) for c in COUNTIES)
    assert recorded > 0 and "wrong" in state
    clerks["Dane"].screenshot(path=str(shots / "3-retrieval-list.png"), full_page=True)
    admin.goto(f"{server}/audits/1")
    admin.click("#close-round-form button")
    assert "a new round started" in admin.inner_text("#audit-message")
    assert "not confirmed" in admin.inner_text("#round-1")
    admin.screenshot(path=str(shots / "4-second-round.png"), full_page=True)

    second = sum(_record_open_round(clerks[c], server, c, cvrs[c], state) for c in COUNTIES)
    assert second > 0
    admin.goto(f"{server}/audits/1")
    admin.click("#close-round-form button")
    assert "The audit is complete." in admin.inner_text("#audit-message")
    assert admin.inner_text("#audit-status") == "complete"
    assert "confirmed" in admin.inner_text("#round-2")

    admin.click("#report-link")
    assert admin.inner_text("#conclusion").startswith("The audit is complete")
    assert "confirmed" in admin.inner_text('#contests tr[data-contest="Minister of Farming"]')
    discrepancies = admin.query_selector_all("#discrepancies tbody tr")
    assert len(discrepancies) == 1
    assert "Alex Hall" in discrepancies[0].inner_text()
    admin.screenshot(path=str(shots / "5-report.png"), full_page=True)

    observer = browser.new_context().new_page()  # type: ignore[attr-defined]
    sign_in_page(observer, server, "observer")
    observer.goto(f"{server}/audits/1/verify")
    assert observer.inner_text("#verify-result") == "Everything matches."
    observer.screenshot(path=str(shots / "6-verified.png"), full_page=True)
    assert len(list(shots.glob("*.png"))) == 6
