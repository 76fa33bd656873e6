"""Signing in and out, one's own password, and the administrator's management of users.

Sessions are server-side (:mod:`papertally.store.users`): signing out revokes the session, and
an administrator disabling a user, resetting a password or changing a role ends every session
of that user. Users are never deleted, only disabled, so an id never comes to mean someone
else. Every change is logged in the activity log.
"""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papertally.errors import PapertallyError
from papertally.model.recount import Role
from papertally.store.users import MAX_USERNAME_LENGTH
from papertally.web.access import Access, requires
from papertally.web.context import (
    FieldError,
    begin_session,
    end_session,
    render,
    request_address,
    require_principal,
    services,
)
from papertally.web.security import (
    MAX_PASSWORD_LENGTH,
    hash_password,
    password_problem,
    verify_password,
)
from papertally.web.service import SignInRefused, require

router = APIRouter()

FormText = Annotated[str, Form()]
OptionalFormText = Annotated[str | None, Form()]


def _see_other(url: str, message: str | None = None) -> RedirectResponse:
    target = f"{url}?{urlencode({'message': message})}" if message else url
    return RedirectResponse(target, status_code=303)


def _new_password(password: str, repeated: str | None = None) -> str:
    """Return the Argon2id hash of a new password; a user error when it cannot be one."""
    problem = password_problem(password)
    require(problem is None, f"new password: {problem}")
    require(repeated is None or repeated == password, "the two new passwords differ")
    return hash_password(password)


# -- signing in and out -------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
@requires(Access.PUBLIC)
def login_page(request: Request) -> Any:
    """The sign-in form."""
    return render(request, "login.html", error=None, max_username=MAX_USERNAME_LENGTH)


@router.post("/login", response_class=HTMLResponse)
@requires(Access.PUBLIC)
def login(request: Request, username: FormText, password: FormText) -> Any:
    """Sign in; repeated failures make the account and the address wait longer each time."""
    try:
        signed = services(request).sign_in(username, password, address=request_address(request))
    except SignInRefused as refused:
        page = render(
            request,
            "login.html",
            status_code=refused.status,
            error=str(refused),
            max_username=MAX_USERNAME_LENGTH,
        )
        if refused.retry_after:
            page.headers["Retry-After"] = str(refused.retry_after)
        return page
    begin_session(request, signed)
    return _see_other("/home")


@router.post("/logout")
@requires(Access.SIGNED_IN)
def logout(request: Request) -> RedirectResponse:
    """Sign out: the session is revoked in the store, so a copied cookie opens nothing."""
    end_session(request)
    return _see_other("/")


@router.delete("/api/session")
@requires(Access.SIGNED_IN)
def api_sign_out(request: Request) -> dict[str, Any]:
    """Sign a script out (send the CSRF token): the session is revoked in the store."""
    end_session(request)
    return {"signed_out": True}


# -- one's own account --------------------------------------------------------------------------


@router.get("/account", response_class=HTMLResponse)
@requires(Access.SIGNED_IN)
def account_page(request: Request, message: str | None = None) -> Any:
    """The signed-in user's account: who they are, and the form to change their password."""
    return render(request, "account.html", message=message, error=None)


@router.post("/account/password", response_class=HTMLResponse)
@requires(Access.SIGNED_IN)
def change_own_password(
    request: Request, current: FormText, password: FormText, repeated: FormText
) -> Any:
    """Change one's own password (the current one is needed, checked under the same throttle
    as signing in, so a borrowed session cannot guess it); every session ends, then a new one
    opens for this browser."""
    who = require_principal(request)
    svc = services(request)
    password_hash = _new_password(password, repeated)
    address = request_address(request)
    wait = svc.users.claim_sign_in(who.username, address, svc.throttle)
    if wait is not None:
        return render(
            request,
            "account.html",
            status_code=429,
            message=None,
            error=f"Too many wrong passwords. Wait {math.ceil(wait.total_seconds())} seconds.",
        )
    found = svc.users.user_credentials(who.username)
    if found is None or not verify_password(found[1], current[:MAX_PASSWORD_LENGTH]):
        svc.users.record_failed_sign_in(who.username, address, svc.throttle)
        return render(
            request,
            "account.html",
            status_code=400,
            message=None,
            error="The current password is wrong.",
        )
    svc.users.set_password(who.user_id, password_hash, actor=who.username, reset=False)
    user = svc.users.user(who.user_id)
    if user is None:
        raise PapertallyError("your account no longer exists")
    begin_session(request, svc.open_session(user, address=address))
    return _see_other("/account", "Password changed; your other sessions are signed out.")


# -- the administrator's users ------------------------------------------------------------------


def _users_page(
    request: Request,
    *,
    message: str | None = None,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Any:
    """Render the users page, with a refused form's values and its message kept."""
    svc = services(request)
    return render(
        request,
        "users.html",
        status_code=status_code,
        users=svc.users.users(),
        roles=list(Role),
        counties=svc.recounts.known_counties(),
        message=message,
        typed=typed or {},
        errors=errors or {},
        max_username=MAX_USERNAME_LENGTH,
    )


@router.get("/admin/users", response_class=HTMLResponse)
@requires(Access.ADMINISTRATOR)
def users_page(request: Request, message: str | None = None) -> Any:
    """Every user, disabled ones too, with the forms to add, disable, re-enable, reset."""
    return _users_page(request, message=message)


def _role_and_county(request: Request, role: str, county: str | None) -> tuple[Role, str | None]:
    """Check a role and county chosen on a form: a known role (there is no default, least of
    all administrator), and for clerks and boards a county the store knows, exactly as stored
    (a misspelled county would let nobody in); state-wide roles have none."""
    if not role.strip():
        raise FieldError("role", "role: choose the user's role")
    try:
        chosen = Role(role)
    except ValueError:
        raise FieldError("role", f"role: unknown role {role[:40]!r}") from None
    named = (county or "").strip() or None
    if chosen in (Role.CLERK, Role.BOARD):
        if named is None:
            raise FieldError("county", f"county: a {chosen.value} needs a county")
        try:
            services(request).recounts.check_known_county(named)
        except PapertallyError as unknown:
            raise FieldError("county", str(unknown)) from None
        return chosen, named
    if named is not None:
        raise FieldError("county", f"county: a {chosen.value} works state-wide, without a county")
    return chosen, None


@router.post("/admin/users", response_class=HTMLResponse)
@requires(Access.ADMINISTRATOR)
def admin_add_user(
    request: Request,
    username: FormText,
    password: FormText,
    role: OptionalFormText = None,
    county: OptionalFormText = None,
) -> Any:
    """Create a user account; a refused form comes back with what was typed (but the
    password) and the message beside its field."""
    who = require_principal(request)
    typed = {"username": username, "role": role or "", "county": county or ""}
    try:
        chosen, named = _role_and_county(request, role or "", county)
        password_hash = _new_password(password)
        user = services(request).users.add_user(
            username.strip(), password_hash, chosen, named, actor=who.username
        )
    except PapertallyError as error:
        field = error.field if isinstance(error, FieldError) else "form"
        if str(error).startswith("new password"):
            field = "password"
        return _users_page(request, typed=typed, errors={field: str(error)}, status_code=400)
    return _see_other("/admin/users", f"User {user.username} added.")


def _target(request: Request, user_id: int) -> str:
    """Return the name of user ``user_id``; an administrator may not act on herself here."""
    who = require_principal(request)
    user = services(request).users.user(user_id)
    if user is None:
        raise PapertallyError(f"there is no user {user_id}")
    require(
        user.id != who.user_id,
        "change your own account from the Account page; you may not disable yourself or "
        "change your own role here",
    )
    return user.username


@router.post("/admin/users/{user_id}/disable")
@requires(Access.ADMINISTRATOR)
def admin_disable_user(request: Request, user_id: int) -> Response:
    """Disable a user: they cannot sign in, and every session of theirs ends."""
    name = _target(request, user_id)
    services(request).users.set_disabled(user_id, True, actor=require_principal(request).username)
    return _see_other("/admin/users", f"User {name} disabled.")


@router.post("/admin/users/{user_id}/enable")
@requires(Access.ADMINISTRATOR)
def admin_enable_user(request: Request, user_id: int) -> Response:
    """Re-enable a disabled user."""
    name = _target(request, user_id)
    services(request).users.set_disabled(user_id, False, actor=require_principal(request).username)
    return _see_other("/admin/users", f"User {name} enabled.")


@router.post("/admin/users/{user_id}/password")
@requires(Access.ADMINISTRATOR)
def admin_reset_password(request: Request, user_id: int, password: FormText) -> Response:
    """Set a new password for a user (who must be told it); every session of theirs ends."""
    name = _target(request, user_id)
    services(request).users.set_password(
        user_id, _new_password(password), actor=require_principal(request).username, reset=True
    )
    return _see_other("/admin/users", f"Password of {name} reset.")


@router.post("/admin/users/{user_id}/role", response_class=HTMLResponse)
@requires(Access.ADMINISTRATOR)
def admin_change_role(
    request: Request, user_id: int, role: FormText, county: OptionalFormText = None
) -> Any:
    """Change a user's role and county; every session of theirs ends."""
    name = _target(request, user_id)
    try:
        chosen, named = _role_and_county(request, role, county)
    except FieldError as error:
        return _users_page(
            request,
            errors={f"{error.field}-{user_id}": str(error)},
            typed={f"role-{user_id}": role, f"county-{user_id}": county or ""},
            status_code=400,
        )
    services(request).users.set_role(
        user_id, chosen, named, actor=require_principal(request).username
    )
    return _see_other("/admin/users", f"Role of {name} changed.")
