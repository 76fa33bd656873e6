"""A hostile but realistic user against the app, on SQLite and PostgreSQL (issue 10: identity
and names, input, headers and cookies).

The election is built to trip the app: a county "Straße" next to a clerk of "STRASSE" (equal
when case-folded), a ward whose name holds a ``/``, a ward and a candidate whose names a
spreadsheet would run as formulas.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.web.support import PASSWORD, WebSetup, sign_in

from papertally.csv_safe import spreadsheet_safe
from papertally.io.audit_export import build_export, export_paths, open_export
from papertally.model import Choice, Contest, ContestCount, Election, ImportResult, ReportingUnit
from papertally.model.audit_records import AuditFile
from papertally.model.recount import Role
from papertally.store import Store
from papertally.store.audits import AuditStore
from papertally.store.recounts import MAX_VOTES_PER_CHOICE, RecountStore
from papertally.store.users import UserStore
from papertally.web.access import api_routes
from papertally.web.security import hash_password

CHOICES = ["Alice", "@Bob"]
WARDS = {
    "Straße": ["Ward 1/2", "=1+1 Ward"],
    "Other": ["Ward A"],
}
SLASHED = "Straße|Ward 1/2"
FORMULA = "Straße|=1+1 Ward"


def _election() -> Election:
    election = Election("Hostile names", date=date(2016, 11, 8), state="WI")
    contest = Contest("President", choices=[Choice(c) for c in CHOICES])
    election.contests[contest.name] = contest
    count = ContestCount(contest="President", name="original canvass")
    for county, wards in WARDS.items():
        for name in wards:
            unit = election.add_unit(ReportingUnit.of(county, name))
            count.set_votes(unit.id, "Alice", 100)
            count.set_votes(unit.id, "@Bob", 90)
    election.counts.append(count)
    return election


@pytest.fixture
def hostile(db_url: str) -> Iterator[WebSetup]:
    store = Store(db_url)
    store.migrate()
    election_id = store.save_import(ImportResult(_election()))
    accounts = UserStore(store.engine)
    password_hash = hash_password(PASSWORD)
    for username, role, county in [
        ("admin", Role.ADMINISTRATOR, None),
        ("observer", Role.OBSERVER, None),
        ("strasse-clerk", Role.CLERK, "Straße"),
        ("strasse-board", Role.BOARD, "Straße"),
        ("other-clerk", Role.CLERK, "Other"),
        ("upper-clerk", Role.CLERK, "STRASSE"),
    ]:
        accounts.add_user(username, password_hash, role, county, actor="setup")
    yield WebSetup(db_url, election_id, RecountStore(store.engine))
    store.close()


def _client(web: WebSetup, username: str | None = None) -> TestClient:
    client = web.client()
    if username is not None:
        sign_in(client, username)
    return client


def _open(web: WebSetup, admin: TestClient) -> int:
    response = admin.post(
        "/admin/recounts",
        data={
            "election_id": str(web.election_id),
            "contest": "President",
            "reason": "petition",
            "deadline": "2099-12-12",
        },
    )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def _county(web: WebSetup, recount: int, county: str) -> str:
    return f"/recounts/{recount}/counties/{web.recounts.county(recount, county).id}"


def _ward(web: WebSetup, recount: int, unit: str) -> str:
    county = unit.partition("|")[0]
    ward = next(w for w in web.recounts.wards(recount, county) if w.unit == unit)
    return f"{_county(web, recount, county)}/wards/{ward.id}"


def _version(web: WebSetup, recount: int, unit: str) -> int:
    return next(w.version for w in web.recounts.wards(recount) if w.unit == unit)


def _sheet_form(web: WebSetup, recount: int, unit: str, **votes: str) -> dict[str, str]:
    form = {"votes::Alice": "100", "votes::@Bob": "90", "label": "sheet 1"}
    form.update({f"votes::{c}": v for c, v in votes.items()})
    return {**form, "version": str(_version(web, recount, unit))}


def _enter_all(web: WebSetup, recount: int, clients: dict[str, TestClient]) -> None:
    for county, wards in WARDS.items():
        for name in wards:
            unit = f"{county}|{name}"
            response = clients[county].post(
                _ward(web, recount, unit) + "/sheets", data=_sheet_form(web, recount, unit)
            )
            assert response.status_code == 303, response.text


def _log_length(web: WebSetup) -> int:
    return len(web.recounts.activity())


# -- identity and names -------------------------------------------------------------------------


def test_a_clerk_of_STRASSE_cannot_read_write_or_submit_Strasse(hostile: WebSetup) -> None:
    web = hostile
    recount = _open(web, _client(web, "admin"))
    upper = _client(web, "upper-clerk")
    county = _county(web, recount, "Straße")
    ward = _ward(web, recount, SLASHED)
    before = _log_length(web)
    assert upper.get(county).status_code == 403
    assert upper.get(ward).status_code == 403
    assert upper.get(f"/api{county}/wards").status_code == 403
    assert upper.post(ward + "/sheets", data=_sheet_form(web, recount, SLASHED)).status_code == 403
    votes = {"votes": {"Alice": 1, "@Bob": 2}, "version": 0}
    assert upper.post(f"/api{ward}/sheets", json=votes).status_code == 403
    assert upper.post(county + "/plan", data={"method": "machine"}).status_code == 403
    assert upper.post(county + "/submit").status_code == 403
    assert web.recounts.sheets(recount) == []
    assert _log_length(web) == before
    assert [c["county"] for c in upper.get(f"/api/recounts/{recount}/counties").json()] == []
    assert _client(web, "strasse-clerk").get(county).status_code == 200


def test_a_ward_named_with_a_slash_is_entered_by_page_and_api_and_its_county_submits(
    hostile: WebSetup,
) -> None:
    web = hostile
    recount = _open(web, _client(web, "admin"))
    clerk, board = _client(web, "strasse-clerk"), _client(web, "strasse-board")
    page = clerk.get(_ward(web, recount, SLASHED))
    assert page.status_code == 200 and "Ward 1/2" in page.text
    form = _sheet_form(web, recount, SLASHED)
    assert clerk.post(_ward(web, recount, SLASHED) + "/sheets", data=form).status_code == 303
    body = {"votes": {"Alice": 100, "@Bob": 90}, "version": _version(web, recount, FORMULA)}
    assert board.post(f"/api{_ward(web, recount, FORMULA)}/sheets", json=body).status_code == 201
    listed = clerk.get(f"/api{_county(web, recount, 'Straße')}/wards").json()
    assert {w["unit"] for w in listed} == {SLASHED, FORMULA}
    assert all(isinstance(w["ward_id"], int) for w in listed)
    assert clerk.post(_county(web, recount, "Straße") + "/submit").status_code == 303
    assert web.recounts.county(recount, "Straße").status.value == "submitted"


def test_a_ward_id_of_another_county_is_refused_under_ones_own(hostile: WebSetup) -> None:
    web = hostile
    recount = _open(web, _client(web, "admin"))
    clerk = _client(web, "other-clerk")
    foreign = next(w.id for w in web.recounts.wards(recount) if w.unit == SLASHED)
    smuggled = f"{_county(web, recount, 'Other')}/wards/{foreign}"
    assert clerk.get(smuggled).status_code == 404
    body = {"votes": {"Alice": 1, "@Bob": 1}, "version": 0}
    assert clerk.post(f"/api{smuggled}/sheets", json=body).status_code == 404
    assert web.recounts.sheets(recount) == []


def test_audit_export_paths_are_unique_and_safe() -> None:
    files = [
        AuditFile("Adams", "manifest", "export.csv", b"manifest"),
        AuditFile("Adams", "cvrs", "export.csv", b"cvrs"),
        AuditFile(".", "manifest", ".", b"dot"),
        AuditFile("..", "cvrs", "..\\..\\evil.csv", b"backslash"),
        AuditFile("A/B", "manifest", "m.csv", b"slash 1"),
        AuditFile("A\\B", "manifest", "m.csv", b"slash 2"),
        AuditFile("Adams", "manifest", "EXPORT.csv", b"case"),
        AuditFile("Adams", "manifest", "x" * 300 + ".csv", b"long"),
    ]
    paths = export_paths(files)
    assert len({p.casefold() for p in paths}) == len(paths)
    for path in paths:
        parts = path.split("/")
        assert len(parts) == 3 and parts[0] == "files", path
        assert all(p and p not in (".", "..") and "\\" not in p for p in parts), path
        assert len(path) <= 200
    members = open_export(build_export({"audit": {}}, files, [], []))
    assert [members[p] for p in paths] == [f.content for f in files]


def test_an_export_of_counties_with_hostile_names_verifies_and_defuses_its_csv() -> None:
    from tests.unit.test_audit_export import CVRS, MANIFEST

    from papertally.audit.contests import AuditType, ContestSpec
    from papertally.model.audit_records import BoardRecord
    from papertally.verify import verify_export

    county = "=Elm\\.."
    files = [
        AuditFile(county, "manifest", "export.csv", MANIFEST),
        AuditFile(county, "cvrs", "export.csv", CVRS),
    ]
    header = {
        "audit": {
            "id": 1,
            "name": "A",
            "status": "published",
            "sampling": "consistent",
            "seed": "12345678901234567890",
            "counties": [county],
            "published_at": "2026-01-01T00:00:00+00:00",
            "seed_entered_at": "2026-01-01T00:01:00+00:00",
            "completed_at": None,
        },
        "contests": [
            ContestSpec(
                "Mayor", AuditType.BALLOT_COMPARISON, 0.1, {"Ann": 4, "Bob": 0}, 5
            ).to_json()
        ],
        "rounds": [],
    }
    record = BoardRecord(
        1, 1, county, "current", True, {"Mayor": ["Ann"]}, "@board", "now", "'=HYPERLINK(x)"
    )
    data = build_export(header, files, [], [record])
    result = verify_export(data)
    assert result.ok, result.to_json()
    board = _rows(open_export(data)["audit-board.csv"].decode())
    assert board[1][2] == "'" + county and board[1][6] == "'@board"
    assert board[1][8] == "''=HYPERLINK(x)"


# -- CSV --------------------------------------------------------------------------------------


def test_spreadsheet_formulas_are_defused_and_numbers_kept() -> None:
    for text in ("=1+1", "+1+1", "-1+1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("x")'):
        assert spreadsheet_safe(text) == "'" + text
    for kept in (-12, 3.5, "-12", "-0.5", "+7", "Alice", "", "1-2"):
        assert spreadsheet_safe(kept) == kept


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_every_csv_export_defuses_names_a_spreadsheet_would_run(hostile: WebSetup) -> None:
    web = hostile
    admin = _client(web, "admin")
    recount = _open(web, admin)
    _enter_all(web, recount, {"Straße": admin, "Other": admin})
    cells = [
        c for row in _rows(admin.get(f"/recounts/{recount}/export/results.csv").text) for c in row
    ]
    assert "'=1+1 Ward" in cells and "=1+1 Ward" not in cells
    assert "'@Bob" in cells and "@Bob" not in cells
    report = admin.get(f"/recounts/{recount}/report.html")
    assert report.status_code == 200


def test_the_unit_differences_csv_keeps_negative_changes_numeric(tmp_path: Any) -> None:
    from papertally.reconcile import reconcile_counts
    from papertally.report.unit_csv import write_unit_differences_csv

    election = _election()
    before = election.counts[0]
    after = ContestCount(contest="President", name="recount")
    for uid in before.units:
        after.set_votes(uid, "Alice", 95)
        after.set_votes(uid, "@Bob", 90)
    rec = reconcile_counts(before, after, election.units, contest=election.contests["President"])
    rows = _rows(write_unit_differences_csv(rec, tmp_path / "u.csv").read_text())
    header = rows[0]
    assert "change:@Bob" in header
    formula_row = next(r for r in rows if r[3] == "'=1+1 Ward")
    assert formula_row[header.index("change:Alice")] == "-5"


# -- input --------------------------------------------------------------------------------------


def test_hostile_numbers_ids_and_dates_get_a_4xx_naming_the_field(hostile: WebSetup) -> None:
    web = hostile
    admin = _client(web, "admin")
    recount = _open(web, admin)
    ward = _ward(web, recount, SLASHED)
    county = _county(web, recount, "Straße")
    ok = _sheet_form(web, recount, SLASHED)
    huge = "9" * 5000
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("form", ward + "/sheets", {**ok, "votes::Alice": "²"}, "Alice"),
        ("form", ward + "/sheets", {**ok, "votes::Alice": huge}, "Alice"),
        ("form", ward + "/sheets", {**ok, "votes::Alice": str(MAX_VOTES_PER_CHOICE + 1)}, "Alice"),
        ("form", ward + "/sheets", {**ok, "version": "²"}, "version"),
        ("form", ward + "/records", {"version": "0", "ballots_counted": "10" * 5}, "ballots"),
        (
            "form",
            ward + "/records",
            {"version": "0", "challenged": "² | x | counted"},
            "challenged",
        ),
        ("form", county + "/plan", {"cost_estimate": "inf"}, "cost estimate"),
        ("form", county + "/plan", {"cost_estimate": "1e20"}, "cost estimate"),
        ("form", county + "/plan", {"cost_estimate": "NaN"}, "cost estimate"),
        ("form", county + "/plan", {"cost_estimate": "-5"}, "cost estimate"),
        ("form", county + "/plan", {"cost_estimate": "99999999999"}, "cost estimate"),
        ("form", county + "/plan", {"method": "x" * 300}, "method"),
        ("form", county + "/review", {"decision": "x" * 300}, "decision"),
        ("form", ward + "/sheets", {**ok, "label": "x" * 5000}, "label"),
        ("form", ward + "/sheets", {**ok, "reason": "x" * 50_000}, "reason"),
        ("form", ward + "/records", {"version": "0", "reason": "x" * 50_000}, "reason"),
        (
            "json",
            f"/api{ward}/sheets",
            {"votes": {"Alice": 10**30, "@Bob": 0}, "version": 0},
            "votes",
        ),
        ("json", f"/api{ward}/sheets", {"votes": {"Alice": 1}, "version": 0}, "@Bob"),
        (
            "json",
            f"/api{ward}/sheets",
            {"votes": {"Alice": 1, "@Bob": 1}, "version": 2**63},
            "version",
        ),
        (
            "json",
            f"/api{ward}/sheets",
            {"votes": {"Alice": 1, "Eve": 1, "@Bob": 1}, "version": 0},
            "Eve",
        ),
    ]
    base = {"election_id": str(web.election_id), "contest": "President", "reason": "r"}
    for field, value, named in [
        ("deadline", "soon", "deadline"),
        ("deadline", "9999-12-31T23:59:59-01:00", "deadline"),
        ("starts_on", "soon", "start date"),
        ("election_id", "²", "election"),
        ("election_id", "9" * 30, "election"),
        ("method", "robot", "method"),
        ("office", "emperor", "office"),
    ]:
        form = {**base, "deadline": "2099-01-01", field: value}
        cases.append(("form", "/admin/recounts", form, named))
    before = _log_length(web)
    for kind, url, payload, named in cases:
        response = (
            admin.post(url, json=payload) if kind == "json" else admin.post(url, data=payload)
        )
        assert 400 <= response.status_code < 500, f"{url} {payload!r:.80}: {response.status_code}"
        assert named.casefold() in response.text.casefold(), f"{url}: {response.text[:300]}"
    duplicate = '{"votes": {"Alice": 1, "@Bob": 1, "Alice": 2}, "version": 0}'
    response = admin.post(
        f"/api{ward}/sheets", content=duplicate, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422 and "Alice" in response.text
    for path in (
        "/recounts/9223372036854775808",
        f"/recounts/{recount}/counties/99999999999999999999",
        f"{county}/wards/9223372036854775808",
        f"/recounts/{recount}/counties/²",
        "/audits/9223372036854775808",
        "/api/recounts/9223372036854775808/progress",
    ):
        assert admin.get(path).status_code == 404, path
    assert _log_length(web) == before
    assert web.recounts.sheets(recount) == []


def test_no_choice_gets_more_votes_than_the_wards_ballots_counted(hostile: WebSetup) -> None:
    web = hostile
    clerk = _client(web, "strasse-clerk")
    recount = _open(web, _client(web, "admin"))
    ward = _ward(web, recount, SLASHED)
    records = {"version": "0", "ballots_counted": "150"}
    assert clerk.post(ward + "/records", data=records).status_code == 303
    # more votes than ballots: the clerk confirms the warning (tests/web/test_entry_blind.py)
    confirmed = {"confirmed": "yes"}
    first = _sheet_form(web, recount, SLASHED, Alice="100", **{"@Bob": "90"}) | confirmed
    assert clerk.post(ward + "/sheets", data=first).status_code == 303
    second = _sheet_form(web, recount, SLASHED, Alice="60", **{"@Bob": "10"}) | {"label": "t2"}
    second |= confirmed
    refused = clerk.post(ward + "/sheets", data=second)
    assert refused.status_code == 400 and "150 ballots counted" in refused.text
    corrected = first | {"votes::Alice": "40", "reason": "misread", "label": "sheet 1"}
    corrected["version"] = str(_version(web, recount, SLASHED))
    assert clerk.post(ward + "/sheets", data=corrected).status_code == 303
    second["version"] = str(_version(web, recount, SLASHED))
    assert clerk.post(ward + "/sheets", data=second).status_code == 303


def test_long_lines_and_long_file_names_get_a_4xx(hostile: WebSetup) -> None:
    web = hostile
    admin = _client(web, "admin")
    header = "county,reporting_unit,contest,count,choice,votes\n"
    long_line = header + "A," + "x" * 131_100 + ",P,original canvass,X,1\n"
    response = admin.post(
        "/admin/import", files={"files": ("c.csv", long_line.encode(), "text/csv")}
    )
    assert 400 <= response.status_code < 500, response.status_code
    audit = admin.post("/audits", data={"name": "A", "counties": "Straße"}).headers["location"]
    audit_id = int(audit.rsplit("/", 1)[1])
    county = f"{audit}/counties/{AuditStore(web.recounts.engine).county_ids(audit_id)['Straße']}"
    manifest = b"Batch Name,Number of Ballots\nB1,3\n"
    for name, content in (
        ("m" * 300 + ".csv", manifest),
        ("m.csv", b"Batch Name,Number of Ballots\n" + b"B" * 131_100 + b",3\n"),
    ):
        response = admin.post(
            county + "/files",
            data={"kind": "manifest"},
            files={"file": (name, content, "text/csv")},
        )
        assert 400 <= response.status_code < 500, (name[:20], response.status_code)


def test_audit_forms_refuse_superscripts_and_infinite_risk_limits(hostile: WebSetup) -> None:
    admin = _client(hostile, "admin")
    audit = admin.post("/audits", data={"name": "A", "counties": "Straße"}).headers["location"]
    contest = {"name": "President", "audit_type": "ballot polling", "risk_limit": "10%"}
    for field, value in (("winners", "²"), ("reported", "Alice = ²"), ("risk_limit", "inf")):
        response = admin.post(audit + "/contests", data={**contest, field: value})
        assert response.status_code == 400, (field, response.status_code)
        assert field.replace("_", " ").split()[0] in response.text.casefold()


def test_plans_tallies_and_records_freeze_once_accepted_and_reopen_only_by_the_administrator(
    hostile: WebSetup,
) -> None:
    web = hostile
    admin, clerk = _client(web, "admin"), _client(web, "strasse-clerk")
    other = _client(web, "other-clerk")
    recount = _open(web, admin)
    _enter_all(web, recount, {"Straße": clerk, "Other": other})
    straße, ward = _county(web, recount, "Straße"), _ward(web, recount, SLASHED)
    assert clerk.post(straße + "/submit").status_code == 303
    assert admin.post(straße + "/review", data={"decision": "accept"}).status_code == 303
    before = _log_length(web)
    frozen = [
        (straße + "/plan", {"method": "machine"}),
        (straße + "/plan", {"cost_estimate": "10"}),
        (ward + "/sheets", _sheet_form(web, recount, SLASHED, Alice="1") | {"reason": "x"}),
        (
            ward + "/records",
            {"version": str(_version(web, recount, SLASHED)), "ballots_counted": "5"},
        ),
    ]
    for who in (clerk, admin):
        for url, form in frozen:
            response = who.post(url, data=form)
            assert response.status_code == 400, (url, response.status_code)
            assert "accepted" in response.text
    assert _log_length(web) == before
    reopened = admin.post(straße + "/review", data={"decision": "return", "note": "typo"})
    assert reopened.status_code == 303
    assert web.recounts.activity()[-1].action == "county.return"
    assert clerk.post(straße + "/plan", data={"cost_estimate": "12,500.50"}).status_code == 303
    assert web.recounts.county(recount, "Straße").cost_estimate_cents == 1_250_050
    assert clerk.post(straße + "/submit").status_code == 303
    for county, client in (("Straße", None), ("Other", other)):
        if client is not None:
            assert client.post(_county(web, recount, county) + "/submit").status_code == 303
        accepted = admin.post(
            _county(web, recount, county) + "/review", data={"decision": "accept"}
        )
        assert accepted.status_code == 303
    assert admin.post(f"/recounts/{recount}/certify").status_code == 303
    assert (
        admin.post(straße + "/review", data={"decision": "return", "note": "x"}).status_code == 400
    )
    assert admin.post(straße + "/plan", data={"method": "machine"}).status_code == 400
    public = _client(web).get(f"/public/recounts/{recount}/results.csv")
    cells = [c for row in _rows(public.text) for c in row]
    assert "'=1+1 Ward" in cells and "=1+1 Ward" not in cells


# -- every route, every role, hostile values ----------------------------------------------------

ROLES = [None, "admin", "observer", "strasse-clerk", "strasse-board", "upper-clerk"]
SKIPPED = ("/login", "/logout", "/api/session", "/account", "/admin/users")
"""Routes that sign in or out or manage accounts (their own tests cover them): a hostile value
that succeeded there would sign the test's users out of the rest of the run."""
HOSTILE = [
    "²",
    "9" * 5000,
    "inf",
    "1e20",
    "NaN",
    "-1",
    "0",
    "1",
    "",
    "soon",
    "x" * 300,
    "=1+1",
    "Straße",
    "STRASSE",
    "\x00",
    "2016-12-12",
    "hand",
    "accept",
    "return",
    "../..",
    "9223372036854775808",
    "Ward 1/2",
]
PATH_VALUES = ["1", "2", "0", "-1", "²", "9223372036854775808", "99999999999999999999", "x"]
FIELDS = [
    "version",
    "label",
    "reason",
    "votes::Alice",
    "votes::@Bob",
    "poll_book_voters",
    "ballots_counted",
    "challenged",
    "method",
    "cost_estimate",
    "decision",
    "note",
    "seed",
    "name",
    "counties",
    "kind",
    "contest",
    "risk_limit",
    "audit_type",
    "reported",
    "election_id",
    "deadline",
    "starts_on",
    "office",
    "winners",
    "found",
]


def _hostile_values() -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12))


def _routes(web: WebSetup) -> list[tuple[str, str]]:
    app = web.client().app
    found = []
    for route in api_routes(app.routes):  # type: ignore[attr-defined]
        assert isinstance(route, APIRoute)
        if route.path.startswith(SKIPPED):
            continue
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                found.append((method, route.path))
    return found


@settings(
    max_examples=2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    fields=st.dictionaries(st.sampled_from(FIELDS), _hostile_values(), max_size=6),
    path_value=st.sampled_from(PATH_VALUES),
    first_role=st.integers(min_value=0, max_value=len(ROLES) - 1),
)
def test_no_route_answers_500_to_any_role_and_a_refusal_stores_nothing(
    hostile: WebSetup, fields: dict[str, Any], path_value: str, first_role: int
) -> None:
    """Each example sends one set of hostile fields to every route, as three of the six roles
    in turn (every role meets every kind of route over the routes); ids in the path are one
    hostile or plausible value (1 and 2 name the recount, counties and wards)."""
    web = hostile
    if not web.recounts.recounts():
        _open(web, _client(web, "admin"))
    clients = {role: _client(web, role) for role in ROLES}
    for number, (method, path) in enumerate(_routes(web)):
        url = re.sub(r"\{\w+\}", path_value, path)
        for step in range(0, len(ROLES), 2):
            role = ROLES[(first_role + number + step) % len(ROLES)]
            before = _log_length(web)
            if method == "GET":
                response = clients[role].get(url, params=fields)
            elif path.startswith("/api/"):
                response = clients[role].request(method, url, json={"votes": fields, **fields})
            else:
                response = clients[role].request(method, url, data=fields)
            assert response.status_code < 500, f"{role} {method} {url} {fields!r:.200}"
            if response.status_code >= 400:
                assert _log_length(web) == before, f"{role} {method} {url} stored on a refusal"


# -- headers ------------------------------------------------------------------------------------


def test_every_page_carries_the_security_headers_and_errors_speak_html_to_browsers(
    hostile: WebSetup,
) -> None:
    web = hostile
    admin = _client(web, "admin")
    recount = _open(web, admin)
    for path in ("/", "/login", f"/recounts/{recount}", _county(web, recount, "Straße"), "/nope"):
        headers = admin.get(path, headers={"accept": "text/html"}).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in headers
    assert "max-age" in admin.get("https://testserver/login").headers["strict-transport-security"]
    missing = admin.get("/nope", headers={"accept": "text/html"})
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert admin.get("/api/nope").json()["detail"]
    wrong_method = admin.put("/admin", headers={"accept": "text/html"})
    assert wrong_method.status_code == 405 and "<html" in wrong_method.text
    incomplete = admin.post("/admin/recounts", data={}, headers={"accept": "text/html"})
    assert incomplete.status_code == 422 and "<html" in incomplete.text
    assert "deadline" in incomplete.text


def test_https_only_marks_the_session_cookie_secure(hostile: WebSetup) -> None:
    from papertally.web.app import create_app

    for https_only in (False, True):
        client = TestClient(
            create_app(hostile.url, secret_key="k", https_only=https_only),
            base_url="https://testserver",
        )
        response = client.get("/api/session")
        cookie = response.headers["set-cookie"].lower()
        assert ("; secure" in cookie) is https_only, cookie
        assert "strict-transport-security" in response.headers


def test_https_behind_a_proxy_is_believed_only_from_a_trusted_proxy() -> None:
    from types import SimpleNamespace

    from papertally.web.headers import SecurityHeaders
    from papertally.web.security import trusted_proxies

    app = SimpleNamespace(state=SimpleNamespace(trusted_proxies=trusted_proxies("10.0.0.0/8")))
    middleware = SecurityHeaders(app)  # type: ignore[arg-type]
    forwarded = [(b"x-forwarded-proto", b"https")]

    def scope(peer: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
        return {"scheme": "http", "client": (peer, 1), "headers": headers, "app": app}

    assert middleware._over_https(scope("10.1.2.3", forwarded))
    assert not middleware._over_https(scope("203.0.113.9", forwarded))
    assert not middleware._over_https(scope("10.1.2.3", []))
    assert SecurityHeaders(app, https_only=True)._over_https(scope("203.0.113.9", []))  # type: ignore[arg-type]
