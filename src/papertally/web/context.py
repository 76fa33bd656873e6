"""Per-request context: the signed-in principal, the access and CSRF checks, the templates.

Both checks run as global dependencies of the app, for every route, before the route's own
code: a request to a route without a declared rule is refused, a clerk naming another county
in the path is refused, and a state-changing request without the session's CSRF token is
refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from fastapi.templating import Jinja2Templates
from jinja2 import StrictUndefined

from papertally.errors import PapertallyError
from papertally.law.timezones import DEFAULT_ZONE, format_local
from papertally.model.recount import Role
from papertally.store.audits import AuditStore
from papertally.store.users import ActiveSession
from papertally.web.access import Access, Principal, may, role_may, rule_of
from papertally.web.security import (
    CSRF_FORM_FIELD,
    CSRF_HEADER,
    CSRF_SESSION_KEY,
    SESSION_TOKEN_KEY,
    client_address,
    csrf_token_valid,
    new_csrf_token,
    token_digest,
)
from papertally.web.service import Services, SignedIn

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.undefined = StrictUndefined


def _local(moment: datetime | None, zone: str = DEFAULT_ZONE) -> str:
    """The one filter of every timestamp on pages: local to the recount's or audit's zone, to
    the minute, with the zone (``2016-12-12 5:59 pm CST``)."""
    return format_local(moment, zone)


TEMPLATES.env.filters["local"] = _local
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class FieldError(PapertallyError):
    """A user error about one field of a form: the page shows it beside that field and keeps
    what was typed."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


class SignInRequired(Exception):
    """Raised for a page that needs a signed-in user when nobody is signed in."""


def services(request: Request) -> Services:
    """Return the app's services (one per process, over the shared store)."""
    found: Services = request.app.state.services
    return found


_SESSION_SCOPE = "papertally.session"


def active_session(request: Request) -> ActiveSession | None:
    """Return this request's live server-side session, or None (looked up once per request).

    The signed cookie carries only the session token; the store says whether the session is
    still live (not signed out, revoked, expired or idle, its user not disabled). A cookie
    naming a dead session loses its token.
    """
    if _SESSION_SCOPE in request.scope:
        cached: ActiveSession | None = request.scope[_SESSION_SCOPE]
        return cached
    found: ActiveSession | None = None
    token = request.session.get(SESSION_TOKEN_KEY)
    if isinstance(token, str):
        svc = services(request)
        found = svc.users.session(token_digest(token), svc.sessions)
        if found is None:
            request.session.pop(SESSION_TOKEN_KEY, None)
    request.scope[_SESSION_SCOPE] = found
    return found


def principal(request: Request) -> Principal | None:
    """Return the signed-in user of this request, read from the store, or None."""
    found = active_session(request)
    if found is None:
        return None
    user = found.user
    return Principal(user.id, user.username, user.role, user.county)


def request_address(request: Request) -> str:
    """Return the client address of the request (X-Forwarded-For only from trusted proxies)."""
    peer = request.client.host if request.client else None
    proxies = getattr(request.app.state, "trusted_proxies", ())
    return client_address(peer, request.headers.get("x-forwarded-for"), proxies)


def begin_session(request: Request, signed: SignedIn) -> None:
    """Put a new session's token in the cookie (dropping whatever it held) for this request on."""
    request.session.clear()
    request.session[SESSION_TOKEN_KEY] = signed.token
    request.scope[_SESSION_SCOPE] = ActiveSession(0, signed.user, signed.csrf_token)


def end_session(request: Request) -> None:
    """Revoke the request's session in the store and empty the cookie (sign-out)."""
    token = request.session.get(SESSION_TOKEN_KEY)
    if isinstance(token, str):
        services(request).users.end_session(token_digest(token))
    request.session.clear()
    request.scope[_SESSION_SCOPE] = None


def require_principal(request: Request) -> Principal:
    """Return the signed-in user; the access check has already made sure there is one."""
    found = principal(request)
    if found is None:
        raise SignInRequired
    return found


def csrf_token(request: Request) -> str:
    """Return the CSRF token: the session's once signed in, else the cookie's (made at once)."""
    live = active_session(request)
    if live is not None:
        return live.csrf_token
    token = request.session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str):
        token = new_csrf_token()
        request.session[CSRF_SESSION_KEY] = token
    return token


def _expected_csrf(request: Request) -> str | None:
    live = active_session(request)
    if live is not None:
        return live.csrf_token
    token = request.session.get(CSRF_SESSION_KEY)
    return token if isinstance(token, str) else None


MAX_ROW_ID = 2**31 - 1
"""The largest row id a path may name: ids are 32-bit integers in both databases, so a larger
one names nothing (and PostgreSQL would refuse to compare it)."""


def path_id(request: Request, name: str) -> int:
    """Return the id ``name`` of the request's path: plain ASCII digits, 1 to ``MAX_ROW_ID``.

    Anything else (superscript digits, signs, thousands of digits) names nothing: 404 saying
    which part of the path and why.
    """
    raw = str(request.path_params.get(name, ""))
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or not 1 <= int(raw) <= MAX_ROW_ID:
        what = name.removesuffix("_id").replace("_", " ")
        raise HTTPException(
            status_code=404,
            detail=f"there is no {what} {raw[:40]!r}: a {what} is named by a number from 1 to "
            f"{MAX_ROW_ID}",
        )
    return int(raw)


def path_county(request: Request) -> str | None:
    """Return the county a path names by ``{county_id}``, resolved in the store, or None.

    Counties are named by their row id in the recount or audit of the path, never by name:
    the access check then compares the stored name exactly with the user's county.
    """
    if "papertally.county" in request.scope:
        cached: str | None = request.scope["papertally.county"]
        return cached
    found: str | None = None
    if "county_id" in request.path_params:
        county_id = path_id(request, "county_id")
        svc = services(request)
        if "recount_id" in request.path_params:
            recount_id = path_id(request, "recount_id")
            part = svc.recounts.county_by_id(recount_id, county_id)
            found = None if part is None else part.county
            where = f"recount {recount_id}"
        else:
            audit_id = path_id(request, "audit_id")
            found = AuditStore(svc.engine).county_by_id(audit_id, county_id)
            where = f"audit {audit_id}"
        if found is None:
            raise HTTPException(
                status_code=404, detail=f"there is no county {county_id} in {where}"
            )
    request.scope["papertally.county"] = found
    return found


def require_county(request: Request) -> str:
    """Return the county the path names (the access check has already resolved it)."""
    found = path_county(request)
    if found is None:
        raise HTTPException(status_code=404, detail="this page names no county")
    return found


async def enforce_access(request: Request) -> None:
    """Refuse the request unless its route declares a rule that admits this user and county.

    Every id in the path is checked first (a number the store can hold, else 404); the
    county is resolved from its id and compared exactly with a clerk's or board's county.
    """
    rule = rule_of(request.scope.get("endpoint"))
    if rule is None:
        raise HTTPException(status_code=403, detail="this page has no access rule")
    who = principal(request)
    if who is None and rule is not Access.PUBLIC:
        raise SignInRequired
    if not role_may(who, rule):
        raise HTTPException(status_code=403, detail="you may not open or change this page")
    for name in request.path_params:
        if name.endswith("_id") or name == "sequence":
            path_id(request, name)
    county = path_county(request)
    if may(who, rule, county):
        return
    raise HTTPException(status_code=403, detail="you may not open or change this page")


STREAMS_BODY = "papertally_streams_body"
CSRF_PENDING = "papertally.csrf_pending"
"""Set on a streamed upload whose token is still to come: the upload's reader
(:mod:`papertally.web.uploads`) then requires it as the first form field, before any file."""


_Endpoint = TypeVar("_Endpoint", bound=Callable[..., Any])


def streams_body(endpoint: _Endpoint) -> _Endpoint:
    """Mark a route that reads its own body as a stream (uploads): the CSRF check does not
    parse its form; without an ``X-CSRF-Token`` header, the token must be its first field."""
    setattr(endpoint, STREAMS_BODY, True)
    return endpoint


def csrf_matches(request: Request, presented: str | None) -> bool:
    """Return True when ``presented`` is this session's CSRF token."""
    return csrf_token_valid(_expected_csrf(request), presented)


async def enforce_csrf(request: Request) -> None:
    """Refuse a state-changing request that does not carry the session's CSRF token.

    A form's token is read by parsing the form (bodies of forms are capped small); a streamed
    upload (:func:`streams_body`) is never parsed here: its reader checks the token first."""
    if request.method in SAFE_METHODS:
        return
    presented = request.headers.get(CSRF_HEADER)
    if presented is None and getattr(request.scope.get("endpoint"), STREAMS_BODY, False):
        request.scope[CSRF_PENDING] = True
        return
    if presented is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FORM_FIELD)
        presented = value if isinstance(value, str) else None

    if not csrf_token_valid(_expected_csrf(request), presented):
        raise HTTPException(
            status_code=403,
            detail="the form's security token is missing or out of date; reload the page and "
            "try again",
        )


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Any:
    """Render ``template`` with the user, CSRF token and ``context``."""
    who = principal(request)
    return TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "user": who,
            "csrf_token": csrf_token(request),
            "Role": Role,
            **context,
        },
        status_code=status_code,
    )
