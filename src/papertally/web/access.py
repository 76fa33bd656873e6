"""Access rules: every route declares who may call it, and the app refuses to start otherwise.

Fail closed: a route without a declared rule is a programming error caught at start-up
(:func:`check_every_route_has_a_rule`), and the global dependency (:func:`enforce_access`) refuses
any request whose endpoint has no rule. County scoping is checked centrally from the path: a
``county`` path parameter must be the signed-in clerk's or board member's own county.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Mount

from papertally.model.recount import Role

F = TypeVar("F", bound=Callable[..., Any])

ACCESS_ATTRIBUTE = "__papertally_access__"


class Access(StrEnum):
    """Who may call a route."""

    PUBLIC = "public"
    """Anyone, signed in or not: published results, the login page."""
    SIGNED_IN = "signed in"
    """Any signed-in user, whatever the role (reading; or acting on one's own account)."""
    READ = "read"
    """Signed-in users who may read a recount in progress: everyone but the public."""
    COUNTY_WRITE = "county write"
    """A clerk or board member of the county in the path (or the administrator)."""
    CLERK = "clerk"
    """A clerk of the county in the path (county-level steps such as submitting)."""
    ADMINISTRATOR = "administrator"
    """The state administrator only."""


_ROLES_FOR: dict[Access, frozenset[Role]] = {
    Access.SIGNED_IN: frozenset(Role),
    Access.READ: frozenset(Role),
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


def may(principal: Principal | None, rule: Access, county: str | None) -> bool:
    """Return True when ``principal`` may call a route with ``rule`` about ``county``.

    ``county`` is the county the request is about (from its path), or None. Clerks and board
    members are confined to their own county for every rule, reading included.
    """
    if rule is Access.PUBLIC:
        return True
    if principal is None or principal.role not in _ROLES_FOR[rule]:
        return False
    if county is None or principal.role in {Role.ADMINISTRATOR, Role.OBSERVER}:
        return True
    return principal.county is not None and principal.county.casefold() == county.casefold()


def check_every_route_has_a_rule(app: FastAPI) -> None:
    """Raise RuntimeError naming every route without a declared access rule (fail closed)."""
    missing = [
        f"{sorted(route.methods or ())} {route.path}"
        for route in app.routes
        if isinstance(route, APIRoute) and rule_of(route.endpoint) is None
    ]
    missing += [
        f"mount {route.path}"
        for route in app.routes
        if isinstance(route, Mount) and route.name not in {"static"}
    ]
    if missing:
        raise RuntimeError("routes without an access rule: " + "; ".join(missing))
