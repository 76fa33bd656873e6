"""Pick-lists from the store and forms that keep their data (issue 13), on SQLite and
PostgreSQL: the contest of a recount, a user's role (no default, never administrator by
default) and county (one the store knows, checked on the server), the audit's counties; a
refused step comes back on its own page with the message beside its form."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from tests.web.support import WebSetup, county_url, sign_in


def _client(web: WebSetup, name: str) -> TestClient:
    client = web.client()
    sign_in(client, name)
    return client


def test_the_contest_comes_from_a_list_and_another_is_refused(web: WebSetup) -> None:
    admin = _client(web, "admin")
    page = admin.get("/admin").text
    form = page[page.index('id="open-recount-form"') :]
    assert '<select name="contest" required>' in form and '<option value="President"' in form
    refused = admin.post(
        "/admin/recounts",
        data={
            "election_id": str(web.election_id),
            "contest": "Presidnet",
            "reason": "automatic recount",
            "deadline": "2099-12-12",
        },
    )
    assert refused.status_code == 400 and 'id="error-contest"' in refused.text
    assert "<option selected>automatic recount</option>" in refused.text
    assert web.recounts.recounts() == []


def test_a_users_role_and_county_come_from_lists_checked_on_the_server(web: WebSetup) -> None:
    admin = _client(web, "admin")
    page = admin.get("/admin/users").text
    add = page[page.index('id="add-user-form"') :]
    role = re.search(r'<select name="role" required>(.*?)</select>', add, re.S)
    assert role is not None
    assert '<option value="" selected disabled>' in role.group(1)
    assert 'value="administrator" selected' not in role.group(1)
    county = re.search(r'<select name="county">(.*?)</select>', add, re.S)
    assert county is not None and ">Adams<" in county.group(1) and ">Dane<" in county.group(1)
    users = len(web.users.users())
    for fields, field, words in [
        ({"role": "clerk", "county": "Addams"}, "county", "did you mean"),
        ({"role": "clerk", "county": ""}, "county", "needs a county"),
        ({"role": "", "county": "Adams"}, "role", "choose"),
        ({"role": "emperor", "county": ""}, "role", "unknown role"),
        ({"role": "observer", "county": "Adams"}, "county", "state-wide"),
    ]:
        data = {"username": "new-clerk", "password": "0123456789", **fields}
        refused = admin.post("/admin/users", data=data)
        assert refused.status_code == 400, fields
        assert f'id="error-{field}"' in refused.text and words in refused.text, refused.text[-800:]
        assert 'value="new-clerk"' in refused.text
    assert len(web.users.users()) == users
    added = admin.post(
        "/admin/users",
        data={"username": "new-clerk", "password": "0123456789", "role": "board", "county": "Dane"},
    )
    assert added.status_code == 303
    new = next(u for u in web.users.users() if u.username == "new-clerk")
    assert (new.role.value, new.county) == ("board", "Dane")
    wrong = admin.post(f"/admin/users/{new.id}/role", data={"role": "clerk", "county": "Dnae"})
    assert wrong.status_code == 400 and f'id="error-county-{new.id}"' in wrong.text
    assert next(u for u in web.users.users() if u.id == new.id).role.value == "board"
    assert admin.post(f"/admin/users/{new.id}/disable").status_code == 303
    assert (
        admin.post(f"/admin/users/{new.id}/password", data={"password": "short"}).status_code == 400
    )
    reset = admin.post(f"/admin/users/{new.id}/password", data={"password": "a new password 1"})
    assert reset.status_code == 303
    assert next(u for u in web.users.users() if u.id == new.id).disabled


def test_an_audits_counties_are_ticked_from_the_store(web: WebSetup) -> None:
    admin = _client(web, "admin")
    page = admin.get("/audits").text
    assert 'name="county" value="Adams"' in page and 'name="sign_off" value="yes" checked' in page
    refused = admin.post("/audits", data={"name": "RLA", "county": ["Adams", "Nowhere"]})
    assert refused.status_code == 400 and 'id="error-county"' in refused.text
    assert 'value="RLA"' in refused.text
    none = admin.post("/audits", data={"name": "RLA"})
    assert none.status_code == 400 and "at least one county" in none.text
    made = admin.post(
        "/audits",
        data={"name": "RLA", "county": ["Adams", "Dane"], "state": "WI", "sign_off": "yes"},
    )
    assert made.status_code == 303
    audit_id = int(made.headers["location"].rsplit("/", 1)[1])
    page = admin.get(f"/audits/{audit_id}").text
    assert "times in America/Chicago" in page and "two-person sign-off" in page
    assert 'id="review"' in page and "missing" in page
    bad = admin.post(
        f"/audits/{audit_id}/contests",
        data={"name": "President", "audit_type": "ballot polling", "risk_limit": "lots"},
    )
    assert bad.status_code == 400 and 'id="error-contest"' in bad.text
    assert 'value="lots"' in bad.text and "Cannot do that" not in bad.text


def test_a_refused_county_step_comes_back_on_the_county_page(web: WebSetup) -> None:
    admin, clerk = _client(web, "admin"), _client(web, "adams-clerk")
    response = admin.post(
        "/admin/recounts",
        data={
            "election_id": str(web.election_id),
            "contest": "President",
            "reason": "r",
            "deadline": "2099-12-12",
        },
    )
    recount = int(response.headers["location"].rsplit("/", 1)[1])
    county = county_url(web, recount, "Adams")
    plan = clerk.post(county + "/plan", data={"method": "machine", "cost_estimate": "12,5OO"})
    assert plan.status_code == 400 and 'id="error-plan"' in plan.text
    assert 'value="12,5OO"' in plan.text and "Adams County" in plan.text
    submit = clerk.post(county + "/submit")
    assert submit.status_code == 400 and 'id="error-submit"' in submit.text
    assert "2 wards have no tally sheet yet" in submit.text
