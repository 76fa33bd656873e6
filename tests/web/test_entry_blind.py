"""Recount data entry that prevents errors, through the app's pages (SQLite and PostgreSQL):
blind tally sheets, no figure pre-filled, votes checked against ballots before saving, blind
double entry with a correction, an edit conflict that keeps what was typed, forms that keep
their data, wards in natural order with a search."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from tests.web.support import WebSetup, county_url, sign_in, ward_url

from papertally.model import Choice, Contest, ContestCount, Election, ImportResult, ReportingUnit
from papertally.store import Store

WARD = "Town of Adams Ward 1"
"""Original canvass: Trump 300, Clinton 250, Scattering 1."""


def _open(web: WebSetup, admin: TestClient, **options: str) -> int:
    form = {
        "election_id": str(web.election_id),
        "contest": "President",
        "reason": "petition by a candidate",
        "deadline": "2099-12-12",
        **options,
    }
    response = admin.post("/admin/recounts", data=form)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def _version(web: WebSetup, recount: int, ward: str = WARD) -> int:
    return next(
        w.version for w in web.recounts.wards(recount, "Adams") if w.unit == f"Adams|{ward}"
    )


def _sheet(
    web: WebSetup, recount: int, label: str, votes: dict[str, int], **extra: str
) -> dict[str, str]:
    form = {f"votes::{c}": str(n) for c, n in votes.items()}
    return {**form, "label": label, "version": str(_version(web, recount)), **extra}


def _clients(web: WebSetup, *names: str) -> list[TestClient]:
    clients = []
    for name in names:
        client = web.client()
        sign_in(client, name)
        clients.append(client)
    return clients


VOTES = {"Trump": 301, "Clinton": 249, "Scattering": 1}


def test_a_tally_sheet_is_blind_until_saved_and_no_field_starts_at_zero(web: WebSetup) -> None:
    admin, clerk = _clients(web, "admin", "adams-clerk")
    recount = _open(web, admin)
    url = ward_url(web, recount, "Adams", WARD)
    page = clerk.get(url).text
    assert 'id="canvass-hidden"' in page and 'id="canvass-row"' not in page
    assert ">300<" not in page and ">250<" not in page
    fields = re.findall(r'<input type="number"[^>]*name="votes::[^"]*"[^>]*>', page)
    assert len(fields) == 3 and all('value=""' in f for f in fields), fields
    county = clerk.get(county_url(web, recount, "Adams")).text
    assert ">300<" not in county and "120" not in county
    assert (
        clerk.post(url + "/sheets", data=_sheet(web, recount, "sheet 1", VOTES)).status_code == 303
    )
    page = clerk.get(url).text
    assert 'id="canvass-row"' in page and ">300<" in page

    shown = _open(web, admin, show_canvass="yes")
    assert 'id="canvass-row"' in clerk.get(ward_url(web, shown, "Adams", WARD)).text


def test_an_empty_figure_is_refused_beside_its_field_and_the_form_kept(web: WebSetup) -> None:
    admin, clerk = _clients(web, "admin", "adams-clerk")
    recount = _open(web, admin)
    url = ward_url(web, recount, "Adams", WARD)
    form = _sheet(web, recount, "table 7", {"Trump": 301, "Clinton": 249}) | {
        "votes::Scattering": ""
    }
    refused = clerk.post(url + "/sheets", data=form)
    assert refused.status_code == 400
    assert 'id="error-votes::Scattering"' in refused.text
    assert 'value="301"' in refused.text and 'value="table 7"' in refused.text
    assert "Cannot do that" not in refused.text
    no_version = clerk.post(
        url + "/sheets", data=_sheet(web, recount, "t", VOTES) | {"version": "x"}
    )
    assert no_version.status_code == 400
    summary = no_version.text[no_version.text.index('id="error-summary"') :]
    assert "version: enter a whole number" in summary[: summary.index("</div>")]
    assert web.recounts.sheets(recount) == []


def test_votes_over_the_ballots_need_a_confirmation_before_saving(web: WebSetup) -> None:
    admin, clerk = _clients(web, "admin", "adams-clerk")
    recount = _open(web, admin)
    url = ward_url(web, recount, "Adams", WARD)
    records = {"version": str(_version(web, recount)), "ballots_counted": "500"}
    assert clerk.post(url + "/records", data=records).status_code == 303
    log = len(web.recounts.activity())
    warned = clerk.post(url + "/sheets", data=_sheet(web, recount, "sheet 1", VOTES))
    assert warned.status_code == 422
    assert "more than its 500 ballots counted" in warned.text
    assert 'name="confirmed"' in warned.text and 'value="301"' in warned.text
    assert web.recounts.sheets(recount) == [] and len(web.recounts.activity()) == log
    on_sheet = _sheet(web, recount, "sheet 1", {"Trump": 5, "Clinton": 4, "Scattering": 0})
    short = clerk.post(url + "/sheets", data=on_sheet | {"sheet_ballots": "8"})
    assert short.status_code == 422 and "9 votes but only 8 ballots" in short.text
    saved = clerk.post(
        url + "/sheets", data=_sheet(web, recount, "sheet 1", VOTES, confirmed="yes")
    )
    assert saved.status_code == 303
    assert web.recounts.sheets(recount)[0].votes == VOTES


def test_an_edit_conflict_keeps_what_was_typed_beside_the_newer_version(web: WebSetup) -> None:
    admin, clerk, board = _clients(web, "admin", "adams-clerk", "adams-board")
    recount = _open(web, admin)
    url = ward_url(web, recount, "Adams", WARD)
    stale = _sheet(web, recount, "sheet 1", {"Trump": 333, "Clinton": 222, "Scattering": 3})
    assert (
        board.post(url + "/sheets", data=_sheet(web, recount, "sheet 1", VOTES)).status_code == 303
    )
    conflict = clerk.post(url + "/sheets", data=stale | {"reason": "recounted table"})
    assert conflict.status_code == 409
    assert 'id="conflict-versions"' in conflict.text
    assert 'value="333"' in conflict.text and 'value="recounted table"' in conflict.text
    row = re.search(r"<tr><td>Trump</td>.*?</tr>", conflict.text)
    assert row is not None and "333" in row.group(0) and "301" in row.group(0)
    assert [s.votes for s in web.recounts.sheets(recount)] == [VOTES]
    records = {"version": str(_version(web, recount)), "ballots_counted": "551"}
    stale_records = records | {"ballots_counted": "600", "poll_book_voters": "601"}
    assert board.post(url + "/records", data=records).status_code == 303
    clash = clerk.post(url + "/records", data=stale_records)
    assert clash.status_code == 409 and 'value="601"' in clash.text
    row = re.search(r"<tr><td>Ballots counted</td>.*?</tr>", clash.text)
    assert row is not None and "600" in row.group(0) and "551" in row.group(0)


def test_blind_double_entry_with_a_correction(web: WebSetup) -> None:
    admin, clerk, board = _clients(web, "admin", "adams-clerk", "adams-board")
    recount = _open(web, admin, double_entry="yes")
    url = ward_url(web, recount, "Adams", WARD)
    assert (
        clerk.post(url + "/sheets", data=_sheet(web, recount, "sheet 1", VOTES)).status_code == 303
    )
    blind = board.get(url).text
    assert 'data-state="awaiting"' in blind and ">301<" not in blind and ">300<" not in blind
    assert 'class="check-form" data-sheet="sheet 1"' in blind
    own = clerk.post(url + "/checks", data=_sheet(web, recount, "sheet 1", VOTES))
    assert own.status_code == 400 and "another person" in own.text
    typo = {"Trump": 310, "Clinton": 249, "Scattering": 1}
    assert (
        board.post(url + "/checks", data=_sheet(web, recount, "sheet 1", typo)).status_code == 303
    )
    differs = clerk.get(url).text
    assert 'data-state="differs"' in differs and "≠ 310" in differs
    refused = clerk.post(county_url(web, recount, "Adams") + "/submit")
    assert refused.status_code == 400
    for ward in ("Town of Adams Ward 2",):
        other = ward_url(web, recount, "Adams", ward)
        form = {"votes::Trump": "120", "votes::Clinton": "80", "votes::Scattering": "1"}
        form |= {"label": "sheet 1", "version": str(_version(web, recount, ward))}
        assert clerk.post(other + "/sheets", data=form).status_code == 303
        assert (
            board.post(
                other + "/checks", data=form | {"version": str(_version(web, recount, ward))}
            ).status_code
            == 303
        )
    fixed = _sheet(web, recount, "sheet 1", typo, reason="second entry was right: 310")
    assert clerk.post(url + "/sheets", data=fixed).status_code == 303
    again = board.get(url).text
    assert 'data-state="awaiting"' in again
    assert (
        board.post(url + "/checks", data=_sheet(web, recount, "sheet 1", typo)).status_code == 303
    )
    settled = clerk.get(url).text
    assert 'data-state="checked"' in settled and ">310<" in settled
    assert clerk.post(county_url(web, recount, "Adams") + "/submit").status_code == 303
    actions = [e.action for e in web.recounts.activity()]
    assert actions.count("tally.check") == 3 and "tally.correct" in actions
    history = web.recounts.sheets(recount, unit=f"Adams|{WARD}", include_history=True)
    assert [s.votes["Trump"] for s in history] == [301, 310]
    assert web.recounts.verify_log().intact  # settings and second entries are in the log


def test_wards_come_in_natural_order_with_a_search(web: WebSetup) -> None:
    election = Election("Large county", state="WI")
    contest = Contest("Mayor", choices=[Choice("A"), Choice("B")])
    election.contests[contest.name] = contest
    count = ContestCount(contest="Mayor", name="original canvass")
    for n in range(30, 0, -1):
        unit = election.add_unit(ReportingUnit.of("Dane", f"City of Madison Ward {n}"))
        count.set_votes(unit.id, "A", n)
        count.set_votes(unit.id, "B", 1)
    election.counts.append(count)
    with Store(web.url) as store:
        election_id = store.save_import(ImportResult(election))
    admin, clerk = _clients(web, "admin", "dane-clerk")
    form = {
        "election_id": str(election_id),
        "contest": "Mayor",
        "reason": "r",
        "deadline": "2099-01-01",
    }
    response = admin.post("/admin/recounts", data=form)
    assert response.status_code == 303, response.text
    recount = int(response.headers["location"].rsplit("/", 1)[1])
    page = clerk.get(county_url(web, recount, "Dane")).text
    names = re.findall(r">City of Madison Ward (\d+)</a>", page)
    assert [int(n) for n in names] == list(range(1, 31))
    assert 'id="ward-search"' in page
    found = clerk.get(county_url(web, recount, "Dane") + "?q=ward 2").text
    names = re.findall(r">City of Madison Ward (\d+)</a>", found)
    assert names == ["2", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29"]
    hostile = clerk.get(county_url(web, recount, "Dane") + "?q=" + "%3Cscript%3E" * 50)
    assert hostile.status_code == 200 and "<script><script>" not in hostile.text
    assert "&lt;script&gt;" in hostile.text


def test_double_entry_through_the_api_stays_blind(web: WebSetup) -> None:
    admin, clerk, board = _clients(web, "admin", "adams-clerk", "adams-board")
    recount = _open(web, admin, double_entry="yes")
    api = "/api" + ward_url(web, recount, "Adams", WARD)
    body = {"label": "sheet 1", "votes": VOTES, "version": _version(web, recount)}
    assert clerk.post(api + "/sheets", json=body).status_code == 201
    wards = board.get(f"/api{county_url(web, recount, 'Adams')}/wards").json()
    mine = next(w for w in wards if w["unit"] == f"Adams|{WARD}")
    assert mine["recount"] is None and mine["awaiting_check"] is True
    typo = {
        "label": "sheet 1",
        "votes": VOTES | {"Clinton": 250},
        "version": _version(web, recount),
    }
    answer = board.post(api + "/checks", json=typo)
    assert answer.status_code == 201, answer.text
    assert answer.json()["matched"] is False
    assert answer.json()["differences"] == {"Clinton": [249, 250]}
    own = clerk.post(api + "/checks", json=body | {"version": _version(web, recount)})
    assert own.status_code == 400 and "another person" in own.json()["detail"]
    short = board.post(
        api + "/checks", json={"label": "sheet 1", "votes": {"Trump": 1}, "version": 0}
    )
    assert short.status_code == 422


def test_sheet_warnings_and_differences_are_pure_arithmetic() -> None:
    from papertally.model.recount import sheet_differences, sheet_warnings

    votes = {"A": 60, "B": 30}
    assert (
        sheet_warnings(
            votes, votes_allowed=1, sheet_ballots=90, ward_ballots=None, other_sheets_votes=0
        )
        == []
    )
    [under] = sheet_warnings(
        votes, votes_allowed=1, sheet_ballots=95, ward_ballots=None, other_sheets_votes=0
    )
    assert "5 ballots without a vote" in under
    [over] = sheet_warnings(
        votes, votes_allowed=1, sheet_ballots=80, ward_ballots=None, other_sheets_votes=0
    )
    assert "10 votes more than the ballots can hold" in over
    assert (
        sheet_warnings(
            votes, votes_allowed=2, sheet_ballots=50, ward_ballots=100, other_sheets_votes=100
        )
        == []
    )
    [ward] = sheet_warnings(
        votes, votes_allowed=1, sheet_ballots=None, ward_ballots=150, other_sheets_votes=61
    )
    assert "the ward has 151 votes, more than its 150 ballots" in ward
    assert sheet_differences({"A": 1, "B": 2}, {"A": 1, "B": 3, "C": 0}) == {"B": (2, 3)}
    assert sheet_differences({"A": 1}, {"A": 1, "C": 4}) == {"C": (0, 4)}
