"""The papertally web app (FastAPI, server-rendered Jinja2 pages, a JSON API).

``create_app(url)`` builds the app over the store at ``url``: it migrates the store, checks that
every route declares an access rule (refusing to start otherwise), and installs signed
sessions, the access and CSRF checks, and error pages that speak to people rather than show
tracebacks. No state is kept in process memory: run as many processes as needed over one
PostgreSQL database.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from papertally import __version__
from papertally.errors import PapertallyError
from papertally.store.files import FileStore
from papertally.store.users import ThrottlePolicy
from papertally.web import (
    account_pages,
    api,
    audit_pages,
    headers,
    irv_pages,
    pages,
    public_pages,
    screen_pages,
    uploads,
)
from papertally.web.access import check_every_route_has_a_rule
from papertally.web.context import SignInRequired, enforce_access, enforce_csrf, render
from papertally.web.headers import https_only_from_env
from papertally.web.security import (
    TRUSTED_PROXIES_ENV,
    session_policy_from_env,
    trusted_proxies,
)
from papertally.web.service import Services
from papertally.web.settings import UploadSettings

SECRET_ENV = "PAPERTALLY_SECRET_KEY"
SESSION_COOKIE = "papertally_session"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(
    url: str,
    *,
    secret_key: str | None = None,
    https_only: bool = False,
    throttle: ThrottlePolicy | None = None,
    upload_settings: UploadSettings | None = None,
) -> FastAPI:
    """Return the app over the store at ``url`` (migrated on creation).

    ``secret_key`` signs the session cookies; every process of one deployment must share it
    (``$PAPERTALLY_SECRET_KEY``). Without one, a random key is made: sessions then last only as
    long as this process. Sessions themselves live in the store, with the lifetimes of
    ``$PAPERTALLY_SESSION_HOURS`` and ``$PAPERTALLY_SESSION_IDLE_MINUTES``; ``throttle`` slows
    repeated failed sign-ins (default :class:`ThrottlePolicy`). Client addresses come from
    X-Forwarded-For only when the peer is one of ``$PAPERTALLY_TRUSTED_PROXIES``.
    ``upload_settings`` caps request bodies and uploads (default from ``$PAPERTALLY_MAX_*``);
    uploaded files are kept in ``$PAPERTALLY_DATA_DIR`` (see :mod:`papertally.store.files`).
    """
    session_policy = session_policy_from_env()
    services = Services(url, sessions=session_policy, throttle=throttle)
    limits = upload_settings or UploadSettings.from_env()
    services.store.migrate()
    app = FastAPI(
        title="papertally",
        version=__version__,
        description="Run a statewide recount: tallies, paper records, progress, activity log.",
        dependencies=[Depends(enforce_access), Depends(enforce_csrf)],
    )
    app.state.services = services
    app.state.trusted_proxies = trusted_proxies(os.environ.get(TRUSTED_PROXIES_ENV))
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key or os.environ.get(SECRET_ENV) or secrets.token_urlsafe(32),
        session_cookie=SESSION_COOKIE,
        max_age=int(session_policy.absolute.total_seconds()),
        same_site="strict",
        https_only=https_only or https_only_from_env(),
    )
    app.include_router(public_pages.router)
    app.include_router(pages.router)
    app.include_router(account_pages.router)
    app.include_router(api.router)
    app.include_router(audit_pages.router)
    app.include_router(screen_pages.router)
    app.include_router(irv_pages.router)
    uploads.install(app, limits, FileStore.for_url(url))
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    headers.install(app, https_only=https_only or https_only_from_env())

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _error: SignInRequired) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(PapertallyError)
    async def _user_error(request: Request, error: PapertallyError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": str(error)}, status_code=400)
        response: Response = render(request, "error.html", status_code=400, message=str(error))
        return response

    @app.exception_handler(api.StaleWriteHTTP)
    async def _stale(_request: Request, error: api.StaleWriteHTTP) -> Response:
        return JSONResponse(
            {"detail": str(error), "current_version": error.stale.current}, status_code=409
        )

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, error: HTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": error.detail}, status_code=error.status_code)
        response: Response = render(
            request, "error.html", status_code=error.status_code, message=str(error.detail)
        )
        return response

    check_every_route_has_a_rule(app)
    return app
