"""Local time (issue 13), pure and through the app (SQLite and PostgreSQL): each state's zone,
deadlines entered and shown on the state's clock, a past deadline refused with the form kept,
every page's timestamps local to the minute with the zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from tests.web.support import WebSetup, county_url, sign_in

from papertally.errors import PapertallyError
from papertally.law.timezones import (
    STATE_TIME_ZONES,
    format_local,
    known_zone,
    local_deadline,
    state_time_zone,
)


def test_every_state_and_dc_has_a_known_zone() -> None:
    assert len(STATE_TIME_ZONES) == 51
    for zone in STATE_TIME_ZONES.values():
        known_zone(zone)
    assert state_time_zone("wi") == "America/Chicago"
    assert state_time_zone(None) == "UTC"
    with pytest.raises(PapertallyError, match="not a US state"):
        state_time_zone("XX")
    with pytest.raises(PapertallyError, match="IANA"):
        known_zone("Mars/Olympus")


def test_23_59_utc_is_5_59_pm_in_wisconsin_and_days_end_on_the_local_clock() -> None:
    moment = datetime(2016, 12, 12, 23, 59, tzinfo=UTC)
    assert format_local(moment, "America/Chicago") == "2016-12-12 5:59 pm CST"
    assert format_local(datetime(2016, 7, 1, 12, 0), "America/Chicago") == "2016-07-01 7:00 am CDT"
    assert format_local(None, "UTC") == ""
    assert local_deadline(date(2016, 12, 12), None, "America/Chicago") == datetime(
        2016, 12, 13, 5, 59, tzinfo=UTC
    )
    assert local_deadline(date(2016, 12, 12), time(17), "America/Los_Angeles") == datetime(
        2016, 12, 13, 1, 0, tzinfo=UTC
    )


def _admin(web: WebSetup) -> TestClient:
    client = web.client()
    sign_in(client, "admin")
    return client


def _form(web: WebSetup, **fields: str) -> dict[str, str]:
    base = {"election_id": str(web.election_id), "contest": "President", "reason": "r"}
    return {**base, "deadline": "2099-12-12", **fields}


def test_a_deadline_is_entered_and_shown_on_the_states_clock(web: WebSetup) -> None:
    admin = _admin(web)
    response = admin.post("/admin/recounts", data=_form(web, deadline_time="17:00"))
    assert response.status_code == 303, response.text
    recount = int(response.headers["location"].rsplit("/", 1)[1])
    assert web.recounts.recount(recount).deadline == datetime(2099, 12, 12, 23, 0, tzinfo=UTC)
    assert web.recounts.settings(recount).time_zone == "America/Chicago"
    dashboard = admin.get(f"/recounts/{recount}").text
    assert "2099-12-12 5:00 pm CST" in dashboard
    assert "2099-12-12 5:00 pm CST" in admin.get(county_url(web, recount, "Adams")).text
    assert "2099-12-12 5:00 pm CST" in admin.get("/admin").text
    utc = admin.post("/admin/recounts", data=_form(web, deadline="2099-12-12T23:59:00+00:00"))
    other = int(utc.headers["location"].rsplit("/", 1)[1])
    assert "2099-12-12 5:59 pm CST" in admin.get(f"/recounts/{other}").text
    east = admin.post("/admin/recounts", data=_form(web, time_zone="America/New_York"))
    third = int(east.headers["location"].rsplit("/", 1)[1])
    assert web.recounts.recount(third).deadline == datetime(2099, 12, 13, 4, 59, tzinfo=UTC)
    assert "2099-12-12 11:59 pm EST" in admin.get(f"/recounts/{third}").text


def test_a_past_deadline_is_refused_and_the_form_kept(web: WebSetup) -> None:
    admin = _admin(web)
    before = len(web.recounts.recounts())
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    for fields in (
        {"deadline": yesterday},
        {"deadline": (datetime.now(UTC) - timedelta(minutes=5)).isoformat()},
        {"deadline": "2099-12-12", "deadline_time": "25:00"},
        {"deadline": "2099-12-12", "time_zone": "Mars/Olympus"},
    ):
        refused = admin.post("/admin/recounts", data=_form(web, reason="a recount", **fields))
        assert refused.status_code == 400, fields
        assert 'class="error field-error"' in refused.text
        assert "Cannot do that" not in refused.text
        assert '<option value="President" selected>' in refused.text
    past = admin.post("/admin/recounts", data=_form(web, deadline=yesterday)).text
    assert "is in the past" in past and 'id="error-deadline"' in past
    assert f'value="{yesterday}"' in past
    assert len(web.recounts.recounts()) == before


def test_the_reconciliation_report_is_dated_on_the_states_clock(web: WebSetup) -> None:
    admin = _admin(web)
    response = admin.post("/admin/recounts", data=_form(web))
    recount = int(response.headers["location"].rsplit("/", 1)[1])
    unit = "Adams|Town of Adams Ward 1"
    version = next(w.version for w in web.recounts.wards(recount, "Adams") if w.unit == unit)
    votes = {"Trump": 301, "Clinton": 249, "Scattering": 1}
    web.recounts.enter_tally_sheet(
        recount, unit, "sheet 1", votes, expected_version=version, actor="adams-clerk"
    )
    report = admin.get(f"/recounts/{recount}/report.html").text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d C[SD]T", report), report[:2000]
    log = admin.get("/activity").text
    assert "When (America/Chicago)" in log
    assert re.search(r"\d{4}-\d\d-\d\d \d{1,2}:\d\d [ap]m C[SD]T", log)
