"""Security headers on every response, and error pages that speak to browsers in HTML.

Every answer carries a Content-Security-Policy that admits scripts, styles and images from the
app alone (no inline script, no inline style: the pages' behaviour lives in ``static/*.js``),
forbids framing (``frame-ancestors 'none'``, clickjacking) and form posts elsewhere;
``X-Content-Type-Options: nosniff``; ``Referrer-Policy: same-origin`` (paths name recounts and
counties, which other sites need not learn); and ``Cache-Control: no-store`` on everything but
the static files, so a shared computer's cache keeps no county's figures after sign-out (the
public results site sets its own for anonymous visitors: shareable, with validators, see
:mod:`papertally.web.public_pages`). Over
HTTPS (the request's own scheme, or ``X-Forwarded-Proto: https`` from a proxy listed in
``$PAPERTALLY_TRUSTED_PROXIES``), or always with ``papertally serve --https-only``
(``$PAPERTALLY_HTTPS_ONLY=1``), ``Strict-Transport-Security`` tells browsers to use HTTPS only.

The reconciliation and audit reports are self-contained HTML files (inline styles and figures as
``data:`` images, no script); their routes answer with :data:`REPORT_CSP`. FastAPI's
documentation pages load Swagger UI and ReDoc from a CDN with an inline bootstrap script and
get :data:`DOCS_CSP`; they show no user data.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HTTPS_ONLY_ENV = "PAPERTALLY_HTTPS_ONLY"
"""Set to ``1`` (``papertally serve --https-only`` does) to mark cookies Secure and send HSTS."""

APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
"""The policy of the app's own pages: nothing inline, nothing from elsewhere, never framed."""
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
"""The policy of a self-contained report: its own inline styles and images, and no script."""
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "worker-src blob:; frame-ancestors 'none'"
)
"""The policy of FastAPI's documentation pages (Swagger UI and ReDoc from their CDN)."""
HSTS = "max-age=31536000; includeSubDomains"


def https_only_from_env() -> bool:
    """Return True when ``$PAPERTALLY_HTTPS_ONLY`` is ``1`` (set by ``serve --https-only``)."""
    return os.environ.get(HTTPS_ONLY_ENV, "").strip() == "1"


def _trusted(
    peer: str | None, proxies: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> bool:
    if not peer or not proxies:
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in proxies)


class SecurityHeaders:
    """ASGI middleware adding the security headers above to every HTTP response."""

    def __init__(
        self, app: ASGIApp, *, https_only: bool = False, docs_paths: Sequence[str] = ()
    ) -> None:
        self.app = app
        self.https_only = https_only
        self.docs_paths = frozenset(docs_paths)

    def _over_https(self, scope: Scope) -> bool:
        if self.https_only or scope.get("scheme") == "https":
            return True
        app = scope.get("app")
        proxies = getattr(getattr(app, "state", None), "trusted_proxies", ())
        client = scope.get("client")
        if not _trusted(client[0] if client else None, proxies):
            return False
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-proto":
                return bool(value.decode("latin-1").split(",")[-1].strip() == "https")
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        static = path.startswith("/static/")
        policy = DOCS_CSP if path in self.docs_paths else APP_CSP
        https = self._over_https(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                wanted = [
                    (b"content-security-policy", policy),
                    (b"x-content-type-options", "nosniff"),
                    (b"x-frame-options", "DENY"),
                    (b"referrer-policy", "same-origin"),
                ]
                if not static:
                    wanted.append((b"cache-control", "no-store"))
                if https:
                    wanted.append((b"strict-transport-security", HSTS))
                headers += [(n, v.encode()) for n, v in wanted if n not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _wants_json(request: Request) -> bool:
    """Return True for API and script clients: JSON errors; browsers get an HTML page."""
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "text/html" not in accept and "application/json" in accept


def _field_problems(error: RequestValidationError) -> list[str]:
    """Return one short line per invalid field: where (form field, path part...) and why."""
    lines: list[str] = []
    for problem in error.errors():
        where = [str(p) for p in problem.get("loc", ()) if p not in ("body", "query", "path")]
        place = ".".join(where)[:80] or "the request"
        lines.append(f"{place}: {str(problem.get('msg', 'not valid'))[:200]}")
    return lines[:10] or ["the request is not valid"]


def install_error_pages(app: FastAPI) -> None:
    """Answer 404, 405 and 422 as HTML pages for browsers and as JSON for the API.

    A 422 names each field and why it was refused, never echoing a long value back.
    """
    from papertally.web.context import render

    def page(request: Request, status: int, message: str) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": message}, status_code=status)
        response: Response = render(request, "error.html", status_code=status, message=message)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        lines = _field_problems(error)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "; ".join(lines), "fields": lines}, status_code=422)
        return page(request, 422, "; ".join(lines))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> Response:
        messages = {404: "there is no such page", 405: "this page cannot be used that way"}
        detail = error.detail if isinstance(error.detail, str) else None
        if error.status_code in messages and detail in (None, "Not Found", "Method Not Allowed"):
            detail = messages[error.status_code]
        response = page(request, error.status_code, detail or "this request was refused")
        if error.headers:
            response.headers.update(error.headers)
        return response


def install(app: FastAPI, *, https_only: bool) -> None:
    """Add the security headers and the error pages to ``app``."""
    docs = [p for p in (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url) if p]
    app.add_middleware(SecurityHeaders, https_only=https_only, docs_paths=docs)
    install_error_pages(app)
