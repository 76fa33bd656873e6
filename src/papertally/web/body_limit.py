"""Request bodies capped per route before anything parses them (a pure ASGI middleware).

A 200 MB anonymous POST to ``/login`` was parsed to disk before the app looked at it (issue
10). Here every request body is capped: upload routes (:data:`UPLOAD_PATHS`) at the upload
limit, every other route at the small form limit. A declared ``Content-Length`` over the cap
is refused with 413 before a byte is read; a chunked body is counted as it streams and refused
as soon as it passes the cap. The message says how much the page takes, as JSON for the API
and as a short page for people. Starlette's own body limit answers a bare "Content Too Large"
and replaces any response the app makes to such a request with it, hence this one.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from papertally.web.settings import size_text

UPLOAD_PATHS = (
    re.compile(r"/audits/[^/]+/counties/[^/]+/files"),
    re.compile(r"/admin/import"),
    re.compile(r"/irv"),
)
"""The routes that take files; every other route takes a small form or JSON body only."""


class BodyTooLarge(HTTPException):
    """A request body over its route's cap (413, with the cap in the message)."""

    def __init__(self, limit: int, uploads: int) -> None:
        message = f"the request is larger than {size_text(limit)}, the most this page takes"
        if limit < uploads:
            message += f" (files go through the upload forms, up to {size_text(uploads)})"
        super().__init__(status_code=413, detail=message)


class BodyLimit:
    """Cap request bodies: ``uploads`` bytes on :data:`UPLOAD_PATHS`, ``forms`` elsewhere."""

    def __init__(self, app: ASGIApp, *, forms: int, uploads: int) -> None:
        self.app = app
        self.forms = forms
        self.uploads = uploads

    def limit_for(self, path: str) -> int:
        """Return the largest body the route at ``path`` takes."""
        return self.uploads if any(p.fullmatch(path) for p in UPLOAD_PATHS) else self.forms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, send, BodyTooLarge(limit, self.uploads))
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, self.uploads)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as refused:
            if started:
                raise
            await _refuse(scope, send, refused)


def _content_length(scope: Scope) -> int | None:
    """Return the declared body size; an unreadable one counts as larger than any cap."""
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() else 1 << 62
    return None


async def _refuse(scope: Scope, send: Send, refused: BodyTooLarge) -> None:
    """Answer 413 with the refusal's message (JSON under ``/api/``, else a short page)."""
    detail = str(refused.detail)
    body: bytes
    if str(scope["path"]).startswith("/api/"):
        body, kind = json.dumps({"detail": detail}).encode(), "application/json"
    else:
        page = f"<!doctype html><title>Too large</title><p>{html.escape(detail)}</p>\n"
        body, kind = page.encode(), "text/html; charset=utf-8"
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", kind.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    start: dict[str, Any] = {"type": "http.response.start", "status": 413, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body})
