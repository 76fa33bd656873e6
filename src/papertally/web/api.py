"""The JSON API (described by the app's OpenAPI document at ``/openapi.json``).

The same access rules and CSRF check apply as on the pages: a script first asks
``GET /api/session`` for its CSRF token, signs in through ``POST /api/session`` with that token
in the ``X-CSRF-Token`` header, and sends the token returned then with every later write.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from papertally.store.recounts import StaleWriteError
from papertally.web.access import Access, requires
from papertally.web.context import csrf_token, principal, require_principal, services
from papertally.web.service import SignInRefused

router = APIRouter(prefix="/api")


class SignIn(BaseModel):
    """Credentials for ``POST /api/session``."""

    username: str
    password: str


class SheetEntry(BaseModel):
    """One tally sheet of a ward, stating the ward version it was based on."""

    label: str = "sheet 1"
    votes: dict[str, int]
    version: int = Field(ge=0, description="The ward version the writer last saw.")
    reason: str | None = None


@router.get("/session")
@requires(Access.PUBLIC)
def api_session(request: Request) -> dict[str, Any]:
    """The session's CSRF token (send it back as ``X-CSRF-Token``) and who is signed in."""
    who = principal(request)
    return {
        "csrf_token": csrf_token(request),
        "username": who.username if who else None,
        "role": who.role.value if who else None,
    }


@router.post("/session")
@requires(Access.PUBLIC)
def api_sign_in(request: Request, body: SignIn) -> dict[str, Any]:
    """Sign in; returns the CSRF token to send with every write."""
    try:
        user = services(request).sign_in(body.username, body.password)
    except SignInRefused as refused:
        raise HTTPException(
            status_code=429 if refused.locked else 401, detail=str(refused)
        ) from None
    request.session.clear()
    request.session["user_id"] = user.id
    return {
        "username": user.username,
        "role": user.role.value,
        "csrf_token": csrf_token(request),
    }


@router.get("/recounts/{recount_id}/progress")
@requires(Access.STATE_READ)
def api_progress(request: Request, recount_id: int) -> dict[str, Any]:
    """The statewide figures so far."""
    svc = services(request)
    view = svc.recount_view(recount_id)
    progress = svc.progress(view)
    return {
        "recount_id": recount_id,
        "contest": view.contest.name,
        "status": view.recount.status,
        "wards_total": progress.wards_total,
        "wards_recounted": progress.wards_recounted,
        "votes_recounted": progress.votes_recounted,
        "counties_reporting": progress.counties_reporting,
        "net_change": dict(progress.net_change),
        "before": progress.before.to_json(),
        "so_far": progress.so_far.to_json(),
        "unbalanced_wards": [
            {"unit": b.unit, "county": b.county, "largest_imbalance": b.largest_imbalance}
            for b in progress.unbalanced
        ],
        "counties_behind": [c.county for c in progress.counties_behind],
    }


@router.get("/recounts/{recount_id}/counties/{county}/wards")
@requires(Access.COUNTY_READ)
def api_county_wards(request: Request, recount_id: int, county: str) -> list[dict[str, Any]]:
    """The county's wards with their current version and summed recount tally."""
    svc = services(request)
    sheets = svc.recounts.sheets(recount_id, county=county)
    summed: dict[str, dict[str, int]] = {}
    for sheet in sheets:
        ward = summed.setdefault(sheet.unit, {})
        for choice, n in sheet.votes.items():
            ward[choice] = ward.get(choice, 0) + n
    return [
        {"unit": unit, "version": version, "recount": summed.get(unit)}
        for unit, _, version in svc.recounts.ward_units(recount_id, county)
    ]


@router.post("/recounts/{recount_id}/counties/{county}/wards/{unit}/sheets", status_code=201)
@requires(Access.COUNTY_WRITE)
def api_enter_sheet(
    request: Request, recount_id: int, county: str, unit: str, body: SheetEntry
) -> dict[str, Any]:
    """Enter one tally sheet; 409 with the ward's current version when someone wrote first."""
    who = require_principal(request)
    svc = services(request)
    try:
        sheet_id = svc.recounts.enter_tally_sheet(
            recount_id,
            unit,
            body.label,
            body.votes,
            expected_version=body.version,
            actor=who.username,
            reason=body.reason,
            county=county,
        )
    except StaleWriteError as stale:
        raise StaleWriteHTTP(stale) from None
    return {"sheet_id": sheet_id, "version": body.version + 1}


class StaleWriteHTTP(Exception):
    """A stale write, answered with 409 and the ward's current version."""

    def __init__(self, stale: StaleWriteError) -> None:
        super().__init__(str(stale))
        self.stale = stale
