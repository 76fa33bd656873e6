"""Access rules: every route declares who may call it, and the app refuses to start otherwise.

Fail closed: a route without a declared rule is a programming error caught at start-up
(:func:`check_every_route_has_a_rule`), and the global dependency (:func:`enforce_access`) refuses
any request whose endpoint has no rule. County scoping is checked centrally from the path: a
``{county_id}`` path parameter names a county by its row id, which the check resolves in the
store and compares exactly (never case-folded) with the signed-in clerk's or board member's
own county.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount, Route

from papertally.model.recount import Role

F = TypeVar("F", bound=Callable[..., Any])

ACCESS_ATTRIBUTE = "__papertally_access__"


class Access(StrEnum):
    """Who may call a route. ``COUNTY_*`` and ``CLERK`` rules need a ``{county_id}`` path part."""

    PUBLIC = "public"
    """Anyone, signed in or not: published results, the sign-in page."""
    SIGNED_IN = "signed in"
    """Any signed-in user, whatever the role: their home page, signing out."""
    STATE_READ = "state read"
    """Statewide figures of a recount in progress: the administrator and observers."""
    COUNTY_READ = "county read"
    """One county's figures: the administrator, observers, and that county's clerks and boards."""
    COUNTY_WRITE = "county write"
    """Entering one county's tallies: that county's clerks and boards, and the administrator."""
    CLERK = "clerk"
    """County-level steps such as submitting: that county's clerk only."""
    ADMINISTRATOR = "administrator"
    """The state administrator only."""


COUNTY_RULES = frozenset({Access.COUNTY_READ, Access.COUNTY_WRITE, Access.CLERK})
"""Rules whose routes must name a county in their path."""

_ROLES_FOR: dict[Access, frozenset[Role]] = {
    Access.SIGNED_IN: frozenset(Role),
    Access.STATE_READ: frozenset({Role.ADMINISTRATOR, Role.OBSERVER}),
    Access.COUNTY_READ: frozenset(Role),
    Access.COUNTY_WRITE: frozenset({Role.CLERK, Role.BOARD, Role.ADMINISTRATOR}),
    Access.CLERK: frozenset({Role.CLERK}),
    Access.ADMINISTRATOR: frozenset({Role.ADMINISTRATOR}),
}


def requires(rule: Access) -> Callable[[F], F]:
    """Declare the access rule of a route's endpoint (put it under the route decorator)."""

    def mark(endpoint: F) -> F:
        setattr(endpoint, ACCESS_ATTRIBUTE, rule)
        return endpoint

    return mark


def rule_of(endpoint: Callable[..., Any] | None) -> Access | None:
    """Return the rule declared on ``endpoint``, or None where there is none."""
    return getattr(endpoint, ACCESS_ATTRIBUTE, None)


@dataclass(frozen=True)
class Principal:
    """The signed-in user a request acts for."""

    user_id: int
    username: str
    role: Role
    county: str | None
    """The county of a clerk or board member; None for state-wide roles."""


def role_may(principal: Principal | None, rule: Access) -> bool:
    """Return True when ``principal``'s role may call routes with ``rule`` at all (any county)."""
    return rule is Access.PUBLIC or (principal is not None and principal.role in _ROLES_FOR[rule])


def may(principal: Principal | None, rule: Access, county: str | None) -> bool:
    """Return True when ``principal`` may call a route with ``rule`` about ``county``.

    ``county`` is the stored name of the county the request's path names by id, or None.
    Clerks and board members are confined to their own county for every rule, reading
    included, compared exactly as stored: "STRASSE" is not "Straße". A county rule on a path
    without a county refuses everyone (fail closed).
    """
    if rule is Access.PUBLIC:
        return True
    if principal is None or principal.role not in _ROLES_FOR[rule]:
        return False
    if rule in COUNTY_RULES and county is None:
        return False
    if county is None or principal.role in {Role.ADMINISTRATOR, Role.OBSERVER}:
        return True
    return principal.county is not None and principal.county == county


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Yield every API route, descending into included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from api_routes(included.routes)


def check_every_route_has_a_rule(app: FastAPI) -> None:
    """Raise RuntimeError naming every route without a usable access rule (fail closed).

    FastAPI's own documentation pages (the OpenAPI document and its viewers) are public; the
    ``static`` mount serves the style sheet and script. Anything else must declare a rule.
    """
    missing: list[str] = []
    for route in api_routes(app.routes):
        rule = rule_of(route.endpoint)
        where = f"{sorted(route.methods or ())} {route.path}"
        if rule is None:
            missing.append(where)
        elif rule in COUNTY_RULES and "{county_id}" not in route.path:
            missing.append(f"{where} (rule {rule.value!r} needs a {{county_id}} in its path)")
    documentation = {
        app.openapi_url,
        app.docs_url,
        app.redoc_url,
        app.swagger_ui_oauth2_redirect_url,
    }
    for other in app.routes:
        if isinstance(other, Mount) and other.name != "static":
            missing.append(f"mount {other.path}")
        elif (
            isinstance(other, Route)
            and not isinstance(other, APIRoute)
            and other.path not in documentation
        ):
            missing.append(f"route {other.path}")
    if missing:
        raise RuntimeError("routes without a usable access rule: " + "; ".join(missing))
