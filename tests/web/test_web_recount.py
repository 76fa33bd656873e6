"""The recount through the web app's pages and API, on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.web.support import WebSetup, county_url, sign_in, ward_url

from papertally.web.security import CSRF_HEADER


def open_recount(web: WebSetup, admin: TestClient) -> int:
    response = admin.post(
        "/admin/recounts",
        data={
            "election_id": str(web.election_id),
            "contest": "President",
            "reason": "petition by a candidate",
            "deadline": "2099-12-12",
        },
    )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_a_recount_from_opening_to_the_public_page(web: WebSetup) -> None:
    admin, adams, dane, public = web.client(), web.client(), web.client(), web.client()
    sign_in(admin, "admin")
    sign_in(adams, "adams-clerk")
    sign_in(dane, "dane-clerk")
    recount = open_recount(web, admin)

    entries = [
        (adams, "Adams", "Town of Adams Ward 1", "table 1", {"Trump": 200, "Clinton": 150}),
        (adams, "Adams", "Town of Adams Ward 1", "table 2", {"Trump": 101, "Clinton": 100}),
        (adams, "Adams", "Town of Adams Ward 2", "sheet 1", {"Trump": 120, "Clinton": 80}),
        (dane, "Dane", "City of Madison Ward 1", "sheet 1", {"Trump": 200, "Clinton": 602}),
        (dane, "Dane", "City of Madison Ward 2", "sheet 1", {"Trump": 150, "Clinton": 550}),
    ]
    for client, county, ward, label, votes in entries:
        form = {f"votes::{c}": str(votes.get(c, 0)) for c in ("Trump", "Clinton", "Scattering")}
        version = next(
            w["version"]
            for w in client.get(f"/api{county_url(web, recount, county)}/wards").json()
            if w["unit"] == f"{county}|{ward}"
        )
        response = client.post(
            ward_url(web, recount, county, ward) + "/sheets",
            data={**form, "label": label, "version": str(version)},
        )
        assert response.status_code == 303, response.text
    response = dane.post(
        ward_url(web, recount, "Dane", "City of Madison Ward 2") + "/records",
        data={"poll_book_voters": "750", "ballots_counted": "700", "version": "1"},
    )
    assert response.status_code == 303, response.text

    progress = admin.get(f"/api/recounts/{recount}/progress").json()
    assert progress["wards_recounted"] == 4
    assert progress["net_change"] == {"Trump": 1, "Clinton": 2, "Scattering": -4}
    assert [w["unit"] for w in progress["unbalanced_wards"]] == ["Dane|City of Madison Ward 2"]
    page = admin.get(f"/recounts/{recount}").text
    assert "unbalanced wards" in page and "City of Madison Ward 2" in page

    for client, county in ((adams, "Adams"), (dane, "Dane")):
        assert client.post(county_url(web, recount, county) + "/submit").status_code == 303
        decision = admin.post(
            county_url(web, recount, county) + "/review", data={"decision": "accept"}
        )
        assert decision.status_code == 303
    assert admin.post(f"/recounts/{recount}/certify").status_code == 303

    published = public.get("/").text
    assert "Recount certified" in published
    csv_text = public.get(f"/public/recounts/{recount}/results.csv").text
    assert "Town of Adams Ward 1" in csv_text and ",301," in csv_text
    err = admin.get(f"/recounts/{recount}/export/err.json").json()
    assert err["Status"] == "recount"
    report = admin.get(f"/recounts/{recount}/report.html").text
    assert "2016 General Election" in report
    pdf = admin.get(f"/recounts/{recount}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    log = admin.get("/activity").text
    assert "The hash chain verifies" in log


def test_a_second_writer_on_the_same_ward_is_told_and_shown_the_newer_version(
    web: WebSetup,
) -> None:
    admin, clerk, board = web.client(), web.client(), web.client()
    sign_in(admin, "admin")
    sign_in(clerk, "adams-clerk")
    sign_in(board, "adams-board")
    recount = open_recount(web, admin)
    url = "/api" + ward_url(web, recount, "Adams", "Town of Adams Ward 2") + "/sheets"
    votes = {"Clinton": 0, "Scattering": 0}
    first = clerk.post(url, json={"label": "t1", "votes": {**votes, "Trump": 1}, "version": 0})
    second = board.post(url, json={"label": "t2", "votes": {**votes, "Trump": 2}, "version": 0})
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["current_version"] == 1
    page = board.post(
        ward_url(web, recount, "Adams", "Town of Adams Ward 2") + "/sheets",
        data={
            "votes::Trump": "2",
            "votes::Clinton": "0",
            "votes::Scattering": "0",
            "label": "t2",
            "version": "0",
        },
    )
    assert page.status_code == 409
    assert "changed by someone else" in page.text


def test_forms_without_the_csrf_token_are_refused(web: WebSetup) -> None:
    admin = web.client()
    sign_in(admin, "admin")
    del admin.headers[CSRF_HEADER]
    response = admin.post(
        "/admin/users",
        data={"username": "x", "password": "0123456789", "role": "observer"},
    )
    assert response.status_code == 403
    assert "security token" in response.text
    assert "x" not in [u.username for u in web.users.users()]


def test_an_observer_reads_but_cannot_write(web: WebSetup) -> None:
    admin, observer = web.client(), web.client()
    sign_in(admin, "admin")
    sign_in(observer, "observer")
    recount = open_recount(web, admin)
    assert observer.get(f"/recounts/{recount}").status_code == 200
    url = "/api" + ward_url(web, recount, "Adams", "Town of Adams Ward 1") + "/sheets"
    assert observer.post(url, json={"votes": {"Trump": 1}, "version": 0}).status_code == 403
    assert observer.post(f"/recounts/{recount}/certify").status_code == 403
    assert web.recounts.sheets(recount) == []


def test_the_public_needs_no_account_but_sees_only_published_pages(web: WebSetup) -> None:
    admin, public = web.client(), web.client()
    sign_in(admin, "admin")
    recount = open_recount(web, admin)
    assert public.get("/").status_code == 200
    assert public.get(f"/recounts/{recount}").status_code == 303
    assert public.get(f"/api/recounts/{recount}/progress").status_code == 401


def test_opening_a_recount_keeps_the_laws_findings(web: WebSetup) -> None:
    admin = web.client()
    sign_in(admin, "admin")
    response = admin.post(
        "/admin/recounts",
        data={
            "election_id": str(web.election_id),
            "contest": "President",
            "reason": "petition by a candidate",
            "deadline": "2099-12-12",
            "office": "president",
        },
    )
    recount = int(response.headers["location"].rsplit("/", 1)[1])
    findings = web.recounts.recount(recount).findings
    assert findings is not None
    text = " ".join(findings["lines"])
    assert "Wis. Stat." in text
    assert "The law" in admin.get(f"/recounts/{recount}").text
