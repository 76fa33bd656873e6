"""Blind double entry tried as a hostile second enterer, and the totals others see (issue 13):
only settled sheets count on the dashboards, exports and county pages; no route, page or
message shows a first entry to the person who is to enter it again; the API asks for the same
confirmation as the form."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.web.support import WebSetup, county_url, ward_url
from tests.web.test_entry_blind import WARD, _clients, _open, _sheet, _version

FIRST = {"Trump": 311, "Clinton": 247, "Scattering": 3}
"""The first entry: 561 votes, no figure of the canvass (300, 250, 1) or its sum (551)."""


def _api_ward(web: WebSetup, recount: int) -> str:
    return "/api" + ward_url(web, recount, "Adams", WARD)


def _figures(client: TestClient, recount: int) -> tuple[int, int]:
    progress = client.get(f"/api/recounts/{recount}/progress").json()
    return progress["wards_recounted"], progress["votes_recounted"]


def test_totals_count_only_settled_sheets_and_hide_the_first_entry(web: WebSetup) -> None:
    admin, observer, clerk, board = _clients(web, "admin", "observer", "adams-clerk", "adams-board")
    recount = _open(web, admin, double_entry="yes")
    url = ward_url(web, recount, "Adams", WARD)
    assert (
        clerk.post(url + "/sheets", data=_sheet(web, recount, "sheet 1", FIRST)).status_code == 303
    )
    for reader in (admin, observer):
        assert _figures(reader, recount) == (0, 0)
        dashboard = reader.get(f"/recounts/{recount}").text
        assert "561" not in dashboard and "311" not in dashboard
        for export in ("results.csv", "results.json", "err.json"):
            body = reader.get(f"/recounts/{recount}/export/{export}").text
            assert "311" not in body and "561" not in body, export
        assert reader.get(f"/recounts/{recount}/report.html").status_code == 400
    county = board.get(county_url(web, recount, "Adams")).text
    assert "561" not in county and "311" not in county
    wards = board.get("/api" + county_url(web, recount, "Adams") + "/wards").json()
    assert all(w["recount"] is None for w in wards)
    page = board.get(url).text
    assert ">311<" not in page and ">247<" not in page
    mine = {"Trump": 5, "Clinton": 4, "Scattering": 0}
    stale = _sheet(web, recount, "sheet 1", mine) | {"version": "0", "reason": "r"}
    conflict = board.post(url + "/sheets", data=stale)
    assert conflict.status_code == 409
    stored = conflict.text[conflict.text.index('id="conflict-versions"') :]
    assert "311" not in stored.split("</table>")[0] and "hidden until" in stored
    check = {"label": "sheet 1", "votes": FIRST, "version": _version(web, recount)}
    assert board.post(_api_ward(web, recount) + "/checks", json=check).json()["matched"]
    assert _figures(admin, recount) == (1, 561)
    assert "311" in admin.get(f"/recounts/{recount}/export/results.csv").text


def test_a_second_entry_that_differed_cannot_be_made_again_to_match(web: WebSetup) -> None:
    admin, clerk, board = _clients(web, "admin", "adams-clerk", "adams-board")
    recount = _open(web, admin, double_entry="yes")
    api = _api_ward(web, recount)
    first = {"label": "sheet 1", "votes": FIRST, "version": _version(web, recount)}
    assert clerk.post(api + "/sheets", json=first).status_code == 201
    guess = {"Trump": 0, "Clinton": 0, "Scattering": 0}
    probe = board.post(
        api + "/checks", json={**first, "votes": guess, "version": _version(web, recount)}
    )
    assert probe.status_code == 201 and probe.json()["differences"]["Trump"] == [311, 0]
    copied = board.post(api + "/checks", json={**first, "version": _version(web, recount)})
    assert copied.status_code == 400 and "correction" in copied.json()["detail"]
    form = board.post(
        ward_url(web, recount, "Adams", WARD) + "/checks",
        data=_sheet(web, recount, "sheet 1", FIRST),
    )
    assert form.status_code == 400
    assert _figures(admin, recount) == (0, 0)


def test_a_first_entry_corrected_before_its_check_stays_out_of_the_history(
    web: WebSetup,
) -> None:
    admin, clerk, board = _clients(web, "admin", "adams-clerk", "adams-board")
    recount = _open(web, admin, double_entry="yes")
    url = ward_url(web, recount, "Adams", WARD)
    assert (
        clerk.post(url + "/sheets", data=_sheet(web, recount, "sheet 1", FIRST)).status_code == 303
    )
    fixed = FIRST | {"Trump": 312}
    corrected = _sheet(web, recount, "sheet 1", fixed, reason="misread a stroke")
    assert clerk.post(url + "/sheets", data=corrected).status_code == 303
    blind = board.get(url).text
    assert ">311<" not in blind and ">312<" not in blind and ">247<" not in blind
    assert ">311<" in clerk.get(url).text  # her own history stays hers


def test_warnings_and_refusals_never_total_another_persons_first_entry(web: WebSetup) -> None:
    admin, clerk, board = _clients(web, "admin", "adams-clerk", "adams-board")
    recount = _open(web, admin, double_entry="yes")
    url = ward_url(web, recount, "Adams", WARD)
    records = {"version": str(_version(web, recount)), "ballots_counted": "565"}
    assert clerk.post(url + "/records", data=records).status_code == 303
    assert (
        clerk.post(url + "/sheets", data=_sheet(web, recount, "sheet 1", FIRST)).status_code == 303
    )
    small = {"Trump": 10, "Clinton": 5, "Scattering": 0}
    second = board.post(url + "/sheets", data=_sheet(web, recount, "sheet 2", small))
    assert second.status_code == 303, "a warning would have totalled the hidden sheet 1"
    api = _api_ward(web, recount)
    big = {"label": "sheet 3", "votes": {"Trump": 300, "Clinton": 0, "Scattering": 0}}
    saved = board.post(api + "/sheets", json=big | {"version": _version(web, recount)})
    assert "611" not in saved.text and "621" not in saved.text
    assert saved.status_code == 201, saved.text
    checks = [(clerk, "sheet 2", small), (board, "sheet 1", FIRST)]
    for person, label, votes in checks:
        check = {"label": label, "votes": votes, "version": _version(web, recount)}
        assert person.post(api + "/checks", json=check).json()["matched"]
    last = {**big, "version": _version(web, recount)}
    over = clerk.post(api + "/checks", json=last)
    assert over.status_code == 400 and "621 votes" in over.json()["detail"]


def test_the_api_asks_for_the_same_confirmation_as_the_form(web: WebSetup) -> None:
    admin, clerk = _clients(web, "admin", "adams-clerk")
    recount = _open(web, admin)
    url = ward_url(web, recount, "Adams", WARD)
    records = {"version": str(_version(web, recount)), "ballots_counted": "500"}
    assert clerk.post(url + "/records", data=records).status_code == 303
    api = _api_ward(web, recount)
    sheet = {"label": "sheet 1", "votes": FIRST, "version": _version(web, recount)}
    warned = clerk.post(api + "/sheets", json=sheet)
    assert warned.status_code == 422
    assert any(
        "more than its 500 ballots counted" in w for w in warned.json()["detail"]["warnings"]
    )
    short = clerk.post(
        api + "/sheets",
        json={"label": "t", "votes": {"Trump": 5, "Clinton": 4, "Scattering": 0}}
        | {"version": _version(web, recount), "sheet_ballots": 8},
    )
    assert short.status_code == 422
    assert "9 votes but only 8 ballots" in short.json()["detail"]["warnings"][0]
    assert web.recounts.sheets(recount) == []
    assert clerk.post(api + "/sheets", json=sheet | {"confirmed": True}).status_code == 201
    assert web.recounts.sheets(recount)[0].votes == FIRST


def test_an_administrator_who_reads_the_log_cannot_make_the_blind_second_entry(
    web: WebSetup,
) -> None:
    admin, clerk = _clients(web, "admin", "adams-clerk")
    recount = _open(web, admin, double_entry="yes")
    url = ward_url(web, recount, "Adams", WARD)
    assert (
        clerk.post(url + "/sheets", data=_sheet(web, recount, "sheet 1", FIRST)).status_code == 303
    )
    assert '"Trump": 311' in admin.get("/activity/export.json").text.replace("\n", " ")
    form = admin.post(url + "/checks", data=_sheet(web, recount, "sheet 1", FIRST))
    assert form.status_code == 400 and "activity log" in form.text
    check = {"label": "sheet 1", "votes": FIRST, "version": _version(web, recount)}
    api = admin.post(_api_ward(web, recount) + "/checks", json=check)
    assert api.status_code == 400 and "activity log" in api.json()["detail"]
    assert web.recounts.checks(recount) == {}
    assert clerk.get("/activity").status_code == 403
