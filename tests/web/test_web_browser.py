"""A statewide recount in real headless Chromium, from the canvass upload to the public page."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.web.support import WARDS, live_server, sign_in_page

from papertally.model.recount import Role

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """Serve the app over a fresh SQLite store with an administrator and two county clerks."""
    users = [
        ("admin", Role.ADMINISTRATOR, None),
        ("adams-clerk", Role.CLERK, "Adams"),
        ("dane-clerk", Role.CLERK, "Dane"),
    ]
    with live_server(f"sqlite:///{tmp_path / 'recount.db'}", users, "browser-test") as base:
        yield base


def _canvass_file(folder: Path) -> Path:
    """Write the small two-county canvass as a generic CSV, as a county might make one."""
    path = folder / "canvass.csv"
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["county", "reporting_unit", "contest", "count", "choice", "votes"])
        for county, wards in WARDS.items():
            for name, trump, clinton in wards:
                writer.writerow([county, name, "President", "original canvass", "Trump", trump])
                writer.writerow([county, name, "President", "original canvass", "Clinton", clinton])
    return path


def _enter_sheet(page: object, label: str, votes: dict[str, int]) -> None:
    page.fill("#sheet-form input[name=label]", label)  # type: ignore[attr-defined]
    for choice, n in votes.items():
        page.fill(f'#sheet-form input[name="votes::{choice}"]', str(n))  # type: ignore[attr-defined]
    page.click("#sheet-form button[type=submit]")  # type: ignore[attr-defined]


def test_a_statewide_recount_in_the_browser(server: str, browser: object, tmp_path: Path) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    admin_context = browser.new_context()  # type: ignore[attr-defined]
    admin = admin_context.new_page()
    sign_in_page(admin, server, "admin")
    admin.set_input_files("#import-form input[name=files]", str(_canvass_file(tmp_path)))
    admin.fill("#import-form input[name=name]", "2016 General Election")
    admin.click("#import-form button[type=submit]")
    assert "Imported election 1" in admin.inner_text("#admin-message")
    admin.select_option("#open-recount-form select[name=contest]", "President")
    admin.fill("#open-recount-form input[name=deadline]", "2099-12-12")
    admin.click("#open-recount-form button[type=submit]")
    assert "Recount of President" in admin.inner_text("h1")
    admin.screenshot(path=str(shots / "1-recount-opened.png"), full_page=True)

    adams = browser.new_context().new_page()  # type: ignore[attr-defined]
    sign_in_page(adams, server, "adams-clerk")
    assert "Adams County" in adams.inner_text("h1")
    adams.click("text=Town of Adams Ward 1")
    _enter_sheet(adams, "table 1", {"Trump": 200, "Clinton": 150})
    _enter_sheet(adams, "table 2", {"Trump": 101, "Clinton": 100})
    assert adams.inner_text('#sheets th[data-choice="Trump"]') == "301"
    adams.screenshot(path=str(shots / "2-ward-with-two-sheets.png"), full_page=True)
    adams.click("text=← Adams County")
    adams.click("text=Town of Adams Ward 2")
    _enter_sheet(adams, "sheet 1", {"Trump": 120, "Clinton": 80})
    adams.click("text=← Adams County")
    adams.click("#submit-form button")
    assert adams.inner_text("#county-status") == "submitted"

    dane = browser.new_context().new_page()  # type: ignore[attr-defined]
    sign_in_page(dane, server, "dane-clerk")
    dane.click("text=City of Madison Ward 1")
    _enter_sheet(dane, "sheet 1", {"Trump": 200, "Clinton": 602})
    dane.click("text=← Dane County")
    dane.click("text=City of Madison Ward 2")
    _enter_sheet(dane, "sheet 1", {"Trump": 150, "Clinton": 550})
    dane.fill("#records-form input[name=poll_book_voters]", "750")
    dane.fill("#records-form input[name=ballots_counted]", "700")
    dane.click("#records-form button[type=submit]")
    assert "poll book vs ballots counted" in dane.inner_text("#balance")
    dane.screenshot(path=str(shots / "3-unbalanced-ward.png"), full_page=True)
    dane.click("text=← Dane County")
    dane.click("#submit-form button")

    admin.goto(f"{server}/recounts/1")
    assert admin.inner_text("#fig-wards") == "4 / 4"
    assert admin.inner_text("#fig-unbalanced") == "1"
    assert admin.inner_text('#net-change td[data-choice="Trump"]') == "771"
    assert admin.inner_text('#net-change td[data-choice="Clinton"]') == "1,482"
    assert "City of Madison Ward 2" in admin.inner_text("#unbalanced")
    admin.screenshot(path=str(shots / "4-dashboard.png"), full_page=True)
    for _ in range(2):
        admin.click("#review button[value=accept]")
    admin.click("#certify-form button")
    assert admin.inner_text("#recount-status") == "certified"

    public = browser.new_context().new_page()  # type: ignore[attr-defined]
    public.goto(server)
    published = public.inner_text("#certified-1")
    assert "Recount certified" in published and "Clinton" in published
    public.screenshot(path=str(shots / "5-public.png"), full_page=True)
    assert len(list(shots.glob("*.png"))) == 5


def test_the_main_pages_raise_no_content_security_policy_violation(
    browser: object, tmp_path: Path
) -> None:
    """Every main page, as the administrator and a clerk, with nothing refused by the CSP."""
    from datetime import UTC, datetime

    from tests.web.support import small_election

    from papertally.model import ImportResult
    from papertally.store import Store
    from papertally.store.recounts import RecountStore

    url = f"sqlite:///{tmp_path / 'csp.db'}"
    store = Store(url)
    store.migrate()
    election = small_election()
    election_id = store.save_import(ImportResult(election))
    recounts = RecountStore(store.engine)
    units = {uid: unit.county for uid, unit in election.units.items()}
    recount = recounts.open_recount(
        election_id=election_id,
        contest="President",
        units=units,
        reason="petition",
        deadline=datetime(2099, 1, 1, tzinfo=UTC),
        actor="setup",
    )
    adams = recounts.county(recount, "Adams").id
    ward = recounts.wards(recount, "Adams")[0].id
    store.close()
    users = [("admin", Role.ADMINISTRATOR, None), ("adams-clerk", Role.CLERK, "Adams")]
    with live_server(url, users, "csp-test") as base:
        county = f"/recounts/{recount}/counties/{adams}"
        pages = {
            "admin": ["/admin", f"/recounts/{recount}", "/activity", "/audits", county],
            "adams-clerk": ["/", county, f"{county}/wards/{ward}", "/my-audits", "/nope"],
        }
        for username, paths in pages.items():
            page = browser.new_context().new_page()  # type: ignore[attr-defined]
            refused: list[str] = []
            page.on(
                "console",
                lambda message, found=refused: (
                    found.append(message.text)
                    if "Content Security Policy" in message.text
                    else None
                ),
            )
            sign_in_page(page, base, username)
            for path in paths:
                page.goto(f"{base}{path}")
                page.wait_for_load_state("load")
            assert refused == [], f"{username}: {refused}"
            page.goto(f"{base}/recounts/{recount}")
            if username == "admin":
                page.wait_for_timeout(5500)  # one refresh of the live figures (fetch, same origin)
                assert refused == [], refused
