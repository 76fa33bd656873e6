"""Per-request context: the signed-in principal, the access and CSRF checks, the templates.

Both checks run as global dependencies of the app, for every route, before the route's own
code: a request to a route without a declared rule is refused, a clerk naming another county
in the path is refused, and a state-changing request without the session's CSRF token is
refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.templating import Jinja2Templates
from jinja2 import StrictUndefined

from papertally.model.recount import Role
from papertally.web.access import Principal, may, rule_of
from papertally.web.security import (
    CSRF_FORM_FIELD,
    CSRF_HEADER,
    CSRF_SESSION_KEY,
    csrf_token_valid,
    new_csrf_token,
)
from papertally.web.service import Services

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.undefined = StrictUndefined
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SignInRequired(Exception):
    """Raised for a page that needs a signed-in user when nobody is signed in."""


def services(request: Request) -> Services:
    """Return the app's services (one per process, over the shared store)."""
    found: Services = request.app.state.services
    return found


def principal(request: Request) -> Principal | None:
    """Return the signed-in user of this request, read from the store, or None."""
    if "papertally.principal_checked" in request.scope:
        cached: Principal | None = request.scope.get("papertally.principal")
        return cached
    found: Principal | None = None
    user_id = request.session.get("user_id")
    if isinstance(user_id, int):
        user = services(request).recounts.user(user_id)
        if user is not None:
            found = Principal(user.id, user.username, user.role, user.county)
    request.scope["papertally.principal"] = found
    request.scope["papertally.principal_checked"] = True
    return found


def require_principal(request: Request) -> Principal:
    """Return the signed-in user; the access check has already made sure there is one."""
    found = principal(request)
    if found is None:
        raise SignInRequired
    return found


def csrf_token(request: Request) -> str:
    """Return the session's CSRF token, creating it on first use."""
    token = request.session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str):
        token = new_csrf_token()
        request.session[CSRF_SESSION_KEY] = token
    return token


async def enforce_access(request: Request) -> None:
    """Refuse the request unless its route declares a rule that admits this user and county."""
    rule = rule_of(request.scope.get("endpoint"))
    if rule is None:
        raise HTTPException(status_code=403, detail="this page has no access rule")
    who = principal(request)
    county = request.path_params.get("county")
    if may(who, rule, county):
        return
    if who is None:
        raise SignInRequired
    raise HTTPException(status_code=403, detail="you may not open or change this page")


async def enforce_csrf(request: Request) -> None:
    """Refuse a state-changing request that does not carry the session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    presented = request.headers.get(CSRF_HEADER)
    if presented is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FORM_FIELD)
        presented = value if isinstance(value, str) else None

    if not csrf_token_valid(request.session.get(CSRF_SESSION_KEY), presented):
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
