"""The JSON API (described by the app's OpenAPI document at ``/openapi.json``).

The same access rules and CSRF check apply as on the pages: a script first asks
``GET /api/session`` for its CSRF token, signs in through ``POST /api/session`` with that token
in the ``X-CSRF-Token`` header, and sends the token returned then with every later write.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from papertally.model.recount import sheet_differences
from papertally.store.recounts import MAX_VOTES_PER_CHOICE as MAX_VOTES
from papertally.store.recounts import StaleWriteError
from papertally.web.access import Access, requires
from papertally.web.context import (
    MAX_ROW_ID,
    begin_session,
    csrf_token,
    principal,
    request_address,
    require_county,
    require_principal,
    services,
)
from papertally.web.service import SignInRefused
from papertally.workflows.recount import entry_warnings

router = APIRouter(prefix="/api")


class SignIn(BaseModel):
    """Credentials for ``POST /api/session``."""

    username: str
    password: str


class SheetEntry(BaseModel):
    """One tally sheet of a ward, stating the ward version it was based on.

    Lengths and counts are bounded here so that a hostile body is refused (422) before any
    work: JSON objects cannot name a key twice usefully (the last wins), so the tally's
    choices are checked against the contest in the route.
    """

    label: str = Field("sheet 1", max_length=200)
    votes: dict[Annotated[str, Field(max_length=500)], Annotated[int, Field(ge=0, le=MAX_VOTES)]]
    version: int = Field(ge=0, le=MAX_ROW_ID, description="The ward version the writer last saw.")
    reason: str | None = Field(None, max_length=2000)
    sheet_ballots: int | None = Field(
        None, ge=0, le=MAX_VOTES, description="The ballots this sheet counted, where it says."
    )
    confirmed: bool = Field(
        False, description="The writer checked the sheet against the paper despite the warnings."
    )


async def _repeated_keys(request: Request) -> list[str]:
    """Return the keys a JSON body names more than once in one object (e.g. a choice).

    JSON parsers silently keep the last of repeated keys; a tally naming a choice twice is
    ambiguous, so the route refuses it rather than guess.
    """
    twice: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _ in items:
            if key in seen:
                twice.append(key)
            seen.add(key)
        return dict(items)

    try:
        json.loads(await request.body(), object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        return []
    return twice


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
        signed = services(request).sign_in(
            body.username, body.password, address=request_address(request)
        )
    except SignInRefused as refused:
        headers = {"Retry-After": str(refused.retry_after)} if refused.retry_after else None
        raise HTTPException(
            status_code=refused.status, detail=str(refused), headers=headers
        ) from None
    begin_session(request, signed)
    return {
        "username": signed.user.username,
        "role": signed.user.role.value,
        "csrf_token": signed.csrf_token,
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


@router.get("/recounts/{recount_id}/counties")
@requires(Access.SIGNED_IN)
def api_counties(request: Request, recount_id: int) -> list[dict[str, Any]]:
    """The recount's counties with the ids their URLs use (a clerk or board sees her own)."""
    who = require_principal(request)
    return [
        {"county_id": c.id, "county": c.county, "status": c.status.value, "version": c.version}
        for c in services(request).recounts.counties(recount_id)
        if who.county is None or c.county == who.county
    ]


@router.get("/recounts/{recount_id}/counties/{county_id}/wards")
@requires(Access.COUNTY_READ)
def api_county_wards(request: Request, recount_id: int, county_id: int) -> list[dict[str, Any]]:
    """The county's wards with the ids their URLs use, current version and summed tally."""
    county = require_county(request)
    svc = services(request)
    sheets = svc.recounts.sheets(recount_id, county=county)
    unsettled = (
        {s.unit for s in svc.recounts.sheets_awaiting_check(recount_id, county)}
        if svc.recounts.settings(recount_id).double_entry
        else set()
    )
    summed: dict[str, dict[str, int]] = {}
    for sheet in sheets:
        ward = summed.setdefault(sheet.unit, {})
        for choice, n in sheet.votes.items():
            ward[choice] = ward.get(choice, 0) + n
    return [
        {
            "ward_id": ward.id,
            "unit": ward.unit,
            "version": ward.version,
            "recount": None if ward.unit in unsettled else summed.get(ward.unit),
            "awaiting_check": ward.unit in unsettled,
        }
        for ward in svc.recounts.wards(recount_id, county)
    ]


@router.post("/recounts/{recount_id}/counties/{county_id}/wards/{ward_id}/sheets", status_code=201)
@requires(Access.COUNTY_WRITE)
def api_enter_sheet(
    request: Request,
    recount_id: int,
    county_id: int,
    ward_id: int,
    body: SheetEntry,
    repeated: Annotated[list[str], Depends(_repeated_keys)],
) -> dict[str, Any]:
    """Enter one tally sheet; 409 with the ward's current version when someone wrote first.

    The tally names every choice of the contest exactly once (a missing choice is refused,
    not read as 0), each count a whole number from 0 to the per-ward ceiling. As on the form,
    votes odd against the sheet's ballots (``sheet_ballots``) or the ward's ballots counted
    are answered 422 with the ``warnings`` and nothing saved, until sent with ``confirmed``.
    """
    who = require_principal(request)
    county = require_county(request)
    svc = services(request)
    ward = svc.recounts.ward_by_id(recount_id, ward_id)
    if ward is None or ward.county != county:
        raise HTTPException(status_code=404, detail=f"there is no ward {ward_id} in {county}")
    choices = svc.recounts.choices(recount_id)
    missing = [c for c in choices if c not in body.votes]
    if repeated:
        raise HTTPException(
            status_code=422,
            detail=f"votes: every choice must be named once; named twice: {', '.join(repeated)}",
        )
    if missing:
        raise HTTPException(
            status_code=422,
            detail=f"votes: every choice must be named once; missing {', '.join(missing)}",
        )
    if not body.confirmed:
        warnings = entry_warnings(
            svc.recounts,
            svc.recount_view(recount_id),
            ward.unit,
            body.label.strip() or "sheet 1",
            body.votes,
            sheet_ballots=body.sheet_ballots,
            actor=who.username,
        )
        if warnings:
            raise HTTPException(
                status_code=422,
                detail={
                    "message": "nothing was saved: check the sheet against the paper, then "
                    "send it again with confirmed: true (or correct it)",
                    "warnings": warnings,
                },
            )
    try:
        sheet_id = svc.recounts.enter_tally_sheet(
            recount_id,
            ward.unit,
            body.label,
            body.votes,
            expected_version=body.version,
            actor=who.username,
            reason=body.reason,
            county=ward.county,
        )
    except StaleWriteError as stale:
        raise StaleWriteHTTP(stale) from None
    return {"sheet_id": sheet_id, "version": body.version + 1}


@router.post("/recounts/{recount_id}/counties/{county_id}/wards/{ward_id}/checks", status_code=201)
@requires(Access.COUNTY_WRITE)
def api_check_sheet(
    request: Request,
    recount_id: int,
    county_id: int,
    ward_id: int,
    body: SheetEntry,
    repeated: Annotated[list[str], Depends(_repeated_keys)],
) -> dict[str, Any]:
    """Enter a sheet (``label``) a second time, blind, as another person (double entry): says
    whether it matched, and where it did not, both figures of each differing choice."""
    who = require_principal(request)
    county = require_county(request)
    svc = services(request)
    ward = svc.recounts.ward_by_id(recount_id, ward_id)
    if ward is None or ward.county != county:
        raise HTTPException(status_code=404, detail=f"there is no ward {ward_id} in {county}")
    missing = [c for c in svc.recounts.choices(recount_id) if c not in body.votes]
    if repeated or missing:
        raise HTTPException(
            status_code=422,
            detail=f"votes: every choice must be named once ({', '.join(repeated or missing)})",
        )
    try:
        check = svc.recounts.check_tally_sheet(
            recount_id,
            ward.unit,
            body.label,
            body.votes,
            expected_version=body.version,
            actor=who.username,
            county=ward.county,
            role=who.role,
        )
    except StaleWriteError as stale:
        raise StaleWriteHTTP(stale) from None
    first = next(
        s for s in svc.recounts.sheets(recount_id, unit=ward.unit) if s.id == check.sheet_id
    )
    return {
        "matched": check.matched,
        "differences": {
            c: list(pair) for c, pair in sheet_differences(first.votes, check.votes).items()
        },
        "version": body.version + 1,
    }


class StaleWriteHTTP(Exception):
    """A stale write, answered with 409 and the ward's current version."""

    def __init__(self, stale: StaleWriteError) -> None:
        super().__init__(str(stale))
        self.stale = stale
