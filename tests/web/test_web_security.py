"""Access control by the route table: every route, every role, every county."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from fastapi import APIRouter, FastAPI
from tests.web.support import WebSetup, sign_in

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


def _fill(path: str, recount: int, county: str, unit: str) -> str:
    return (
        path.replace("{recount_id}", str(recount))
        .replace("{county}", quote(county, safe=""))
        .replace("{unit}", quote(unit, safe=""))
    )


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
    app = create_app(web.url, secret_key="test-secret")
    checked = 0
    for route in api_routes(app.routes):
        rule = rule_of(route.endpoint)
        if rule in (Access.PUBLIC, Access.SIGNED_IN):
            continue
        for method in route.methods or ():
            if method == "HEAD":
                continue
            url = _fill(route.path, opened, OTHER_COUNTY, OTHER_WARD)
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
    url = f"/api/recounts/{opened}/counties/Adams/wards/{quote(OTHER_WARD, safe='')}/sheets"
    response = clerk.post(url, json={"votes": {"Trump": 1}, "version": 0})
    assert response.status_code == 400
    assert "no ward" in response.json()["detail"]
    own = f"/api/recounts/{opened}/counties/Adams/wards/{quote(OWN_WARD, safe='')}/sheets"
    assert clerk.post(own, json={"votes": {"Trump": 1}, "version": 0}).status_code == 201


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_board_members_cannot_take_county_or_state_steps(web: WebSetup, opened: int) -> None:
    board = web.client()
    sign_in(board, "adams-board")
    assert board.post(f"/recounts/{opened}/counties/Adams/submit").status_code == 403
    assert board.post(f"/recounts/{opened}/certify").status_code == 403
    assert board.get(f"/recounts/{opened}/counties/Adams").status_code == 200


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
