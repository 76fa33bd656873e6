"""A recount's settings changed after opening (issue 13): time zone, canvass figures and double
entry by an administrator, logged; refused once counting started where blindness would break."""

from __future__ import annotations

from tests.web.support import WebSetup, ward_url
from tests.web.test_entry_blind import VOTES, WARD, _clients, _open, _sheet

from papertally.model.recount import EntrySettings


def test_settings_change_before_counting_and_keep_blindness_after(web: WebSetup) -> None:
    admin, clerk = _clients(web, "admin", "adams-clerk")
    recount = _open(web, admin)
    assert web.recounts.settings(recount) == EntrySettings("America/Chicago", False, False)
    assert 'id="settings-form"' in admin.get(f"/recounts/{recount}").text
    form = {"time_zone": "America/New_York", "double_entry": "yes"}
    assert clerk.post(f"/recounts/{recount}/settings", data=form).status_code == 403
    assert admin.post(f"/recounts/{recount}/settings", data=form).status_code == 303
    assert web.recounts.settings(recount) == EntrySettings("America/New_York", False, True)
    logged = [e for e in web.recounts.activity() if e.action == "recount.settings"]
    assert len(logged) == 1 and logged[0].actor == "admin"
    assert logged[0].details["before"]["double_entry"] is False
    assert logged[0].details["after"]["time_zone"] == "America/New_York"

    url = ward_url(web, recount, "Adams", WARD)
    assert (
        clerk.post(url + "/sheets", data=_sheet(web, recount, "sheet 1", VOTES)).status_code == 303
    )
    for refused in (
        {"time_zone": "America/New_York"},  # double entry off: would count the first entry
        {"time_zone": "America/New_York", "double_entry": "yes", "show_canvass": "yes"},
        {"time_zone": "Mars/Olympus", "double_entry": "yes"},
    ):
        answer = admin.post(f"/recounts/{recount}/settings", data=refused)
        assert answer.status_code == 400 and 'id="error-settings"' in answer.text, refused
    assert web.recounts.settings(recount) == EntrySettings("America/New_York", False, True)
    back = {"time_zone": "America/Chicago", "double_entry": "yes"}
    assert admin.post(f"/recounts/{recount}/settings", data=back).status_code == 303
    assert web.recounts.settings(recount).time_zone == "America/Chicago"

    shown = _open(web, admin, show_canvass="yes")
    assert (
        clerk.post(
            ward_url(web, shown, "Adams", WARD) + "/sheets",
            data=_sheet(web, shown, "sheet 1", VOTES),
        ).status_code
        == 303
    )
    hide = {"time_zone": "America/Chicago"}
    assert admin.post(f"/recounts/{shown}/settings", data=hide).status_code == 303
    assert not web.recounts.settings(shown).show_canvass
    assert web.recounts.verify_log().intact
