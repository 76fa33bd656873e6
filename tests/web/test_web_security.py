"""Access control by the route table: every route, every role, every county."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi import APIRouter, FastAPI
from tests.web.support import WebSetup, sign_in

from papertally.store.audits import AuditStore
from papertally.web.access import (
    Access,
    api_routes,
    check_every_route_has_a_rule,
    requires,
    rule_of,
)
from papertally.web.app import create_app

OTHER_COUNTY = "Dane"
OTHER_WARD = "Dane|City of Madison Ward 1"
OWN_WARD = "Adams|Town of Adams Ward 1"


def _fill(path: str, web: WebSetup, recount: int, audit: int, county: str, unit: str) -> str:
    """Put the ids of ``county`` and its ward ``unit`` (in the recount or the audit) in ``path``."""
    if "{audit_id}" in path:
        county_id = AuditStore(web.recounts.engine).county_ids(audit)[county]
    else:
        county_id = web.recounts.county(recount, county).id
    ward_id = next(w.id for w in web.recounts.wards(recount, county) if w.unit == unit)
    filled = (
        path.replace("{recount_id}", str(recount))
        .replace("{audit_id}", str(audit))
        .replace("{county_id}", str(county_id))
        .replace("{ward_id}", str(ward_id))
        .replace("{sequence}", "1")
    )
    return re.sub(r"\{\w+_id\}", "1", filled)


@pytest.fixture
def opened(web: WebSetup) -> int:
    units = {
        "Adams|Town of Adams Ward 1": "Adams",
        "Adams|Town of Adams Ward 2": "Adams",
        "Dane|City of Madison Ward 1": "Dane",
        "Dane|City of Madison Ward 2": "Dane",
    }
    return web.recounts.open_recount(
        election_id=web.election_id,
        contest="President",
        units=units,
        reason="test",
        deadline=datetime(2099, 1, 1, tzinfo=UTC),
        actor="setup",
    )


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_clerk_reaches_no_other_county_through_any_route(web: WebSetup, opened: int) -> None:
    clerk = web.client()
    sign_in(clerk, "adams-clerk")
    audit = AuditStore(web.recounts.engine).create_audit("A", ["Adams", "Dane"], actor="setup")
    app = create_app(web.url, secret_key="test-secret")
    checked = 0
    for route in api_routes(app.routes):
        rule = rule_of(route.endpoint)
        if rule in (Access.PUBLIC, Access.SIGNED_IN):
            continue
        for method in route.methods or ():
            if method == "HEAD":
                continue
            url = _fill(route.path, web, opened, audit, OTHER_COUNTY, OTHER_WARD)
            response = clerk.request(method, url, json={"votes": {"Trump": 1}, "version": 0})
            assert response.status_code == 403, f"{method} {url} gave {response.status_code}"
            checked += 1
    assert checked >= 15
    assert web.recounts.sheets(opened) == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_ward_of_another_county_cannot_be_smuggled_under_ones_own(
    web: WebSetup, opened: int
) -> None:
    clerk = web.client()
    sign_in(clerk, "adams-clerk")
    adams = web.recounts.county(opened, "Adams").id
    other = next(w.id for w in web.recounts.wards(opened) if w.unit == OTHER_WARD)
    own = next(w.id for w in web.recounts.wards(opened) if w.unit == OWN_WARD)
    votes = {"Trump": 1, "Clinton": 0, "Scattering": 0}
    url = f"/api/recounts/{opened}/counties/{adams}/wards/{other}/sheets"
    response = clerk.post(url, json={"votes": votes, "version": 0})
    assert response.status_code == 404
    assert "no ward" in response.json()["detail"]
    url = f"/api/recounts/{opened}/counties/{adams}/wards/{own}/sheets"
    assert clerk.post(url, json={"votes": votes, "version": 0}).status_code == 201


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_board_members_cannot_take_county_or_state_steps(web: WebSetup, opened: int) -> None:
    board = web.client()
    sign_in(board, "adams-board")
    adams = f"/recounts/{opened}/counties/{web.recounts.county(opened, 'Adams').id}"
    assert board.post(f"{adams}/submit").status_code == 403
    assert board.post(f"/recounts/{opened}/certify").status_code == 403
    assert board.get(adams).status_code == 200


def test_the_app_refuses_to_start_with_a_route_without_a_rule() -> None:
    app = FastAPI()
    router = APIRouter()

    @router.get("/ruled")
    @requires(Access.PUBLIC)
    def ruled() -> None:
        """A route with a rule."""

    @router.get("/forgotten")
    def forgotten() -> None:
        """A route someone forgot to give a rule."""

    @router.get("/misplaced")
    @requires(Access.COUNTY_READ)
    def misplaced() -> None:
        """A county rule on a path without a county."""

    app.include_router(router)
    with pytest.raises(RuntimeError) as refused:
        check_every_route_has_a_rule(app)
    assert "/forgotten" in str(refused.value)
    assert "/misplaced" in str(refused.value)
    assert "/ruled" not in str(refused.value)
