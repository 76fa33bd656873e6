"""Uploads that cannot freeze the app: streamed to disk, capped, read by a worker, polled.

Issue 10 measured a 1 MB zip that expanded to 300 MB being read inside the request handler for
58 s while every other user waited, and a 132 MB manifest held whole in memory and in a
database row. Here an upload request:

1. is refused with 413 before a byte is read when its ``Content-Length`` is over the cap (a
   chunked body is counted as it streams); every other route takes at most
   ``max_form_bytes`` (:mod:`papertally.web.body_limit`);
2. is authenticated before its body is read: the route declares no form parameters, so the
   access check runs first, and the CSRF token comes from the ``X-CSRF-Token`` header or must
   be the form's first field, before any file;
3. is streamed part by part (python-multipart's streaming parser) into a temporary file whose
   SHA-256 is computed as it is written; a file over ``max_upload_bytes`` is refused as soon
   as it passes the cap; a zip is checked (members, expanded size, ratio, nesting) before it is
   kept; the file is then moved into the file store under its SHA-256
   (:mod:`papertally.store.files`);
4. becomes a job (:mod:`papertally.store.uploads`) read by a small pool of worker processes
   (:mod:`papertally.web.upload_worker`): the request waits a moment for a small file and
   answers as before; a large one is answered at once with a page that polls the job.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from papertally.errors import PapertallyError
from papertally.store.audits import MAX_FILENAME_CHARS
from papertally.store.files import BlobWriter, FileStore, StoredBlob
from papertally.store.uploads import UploadJob, UploadJobs
from papertally.web.access import Access, requires
from papertally.web.body_limit import BodyLimit
from papertally.web.context import (
    CSRF_PENDING,
    csrf_matches,
    path_id,
    render,
    require_county,
    services,
)
from papertally.web.security import CSRF_FORM_FIELD
from papertally.web.settings import MB, UploadSettings, size_text
from papertally.web.upload_worker import (
    ArchiveLimits,
    ArchiveRefused,
    check_archive,
    start_worker,
)

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

router = APIRouter()
LOG = logging.getLogger(__name__)

MAX_FIELD_BYTES = 8 * 1024
"""Largest value of a plain field of an upload form (kind, contest, election name, token)."""
MAX_CANVASS_FILES = 20
"""Most files one canvass import reads together."""
MAX_PARTS = 32
"""Most parts (fields and files) one upload form may have."""
CSRF_REFUSED = "the form's security token is missing or out of date; reload the page and try again"


@dataclass(frozen=True)
class ReceivedFile:
    """A file of an upload, on disk in the file store."""

    filename: str
    blob: StoredBlob


@dataclass
class ReceivedForm:
    """An upload form as received: its plain fields and its files (already on disk)."""

    fields: dict[str, str] = field(default_factory=dict)
    files: list[ReceivedFile] = field(default_factory=list)


def upload_settings(request: Request) -> UploadSettings:
    """Return the app's upload settings."""
    found: UploadSettings = request.app.state.upload_settings
    return found


def file_store(request: Request) -> FileStore:
    """Return the app's file store."""
    found: FileStore = request.app.state.file_store
    return found


def install(app: FastAPI, settings: UploadSettings, files: FileStore) -> None:
    """Give ``app`` its upload settings, file store, job-status routes and body caps
    (:class:`~papertally.web.body_limit.BodyLimit`, outside the session middleware, so an
    oversized body is refused before even the cookie is read)."""
    app.state.upload_settings = settings
    app.state.file_store = files
    app.include_router(router)
    app.add_middleware(
        BodyLimit, forms=settings.max_form_bytes, uploads=settings.max_upload_request_bytes
    )


def _clean_filename(raw: str) -> str:
    """Return the file's own name (no folders); refuse an empty or overlong one."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name:
        raise HTTPException(status_code=400, detail="choose a file to upload")
    if len(name) > MAX_FILENAME_CHARS:
        raise HTTPException(
            status_code=400,
            detail=f"the file name {name[:40]!r}... is {len(name)} characters long; rename "
            f"the file to at most {MAX_FILENAME_CHARS}",
        )
    return name


class _FormSink:
    """Receives the streaming parser's events: fields into memory (small), files to disk."""

    def __init__(
        self,
        settings: UploadSettings,
        store: FileStore,
        file_field: str,
        max_files: int,
        csrf_check: Callable[[str], bool] | None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.file_field = file_field
        self.max_files = max_files
        self.csrf_check = csrf_check
        """When the token must come in the form: checks it; None once checked or not needed."""
        self.form = ReceivedForm()
        self.writers: list[tuple[str, BlobWriter]] = []
        self.parts = 0
        self._headers: dict[str, str] = {}
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._field: str | None = None
        self._value = bytearray()
        self._writer: BlobWriter | None = None
        self._filename = ""

    def callbacks(self) -> MultipartCallbacks:
        """Return the parser's callbacks."""
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": self.header_field,
            "on_header_value": self.header_value,
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise HTTPException(status_code=400, detail=f"a form has at most {MAX_PARTS} parts")
        self._headers, self._field, self._writer = {}, None, None
        self._value = bytearray()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def header_end(self) -> None:
        name = self._header_name.decode("latin-1").strip().casefold()
        self._headers[name] = self._header_value.decode("utf-8", "replace")
        self._header_name, self._header_value = bytearray(), bytearray()

    def headers_finished(self) -> None:
        _kind, options = parse_options_header(self._headers.get("content-disposition", ""))
        name = options.get(b"name", b"").decode("latin-1")
        if b"filename" not in options:
            if self.csrf_check is not None and name != CSRF_FORM_FIELD:
                raise HTTPException(status_code=403, detail=CSRF_REFUSED)
            self._field = name
            return
        if self.csrf_check is not None:
            raise HTTPException(status_code=403, detail=CSRF_REFUSED)
        if name != self.file_field:
            raise HTTPException(status_code=400, detail=f"unexpected file field {name[:40]!r}")
        if len(self.writers) >= self.max_files:
            raise HTTPException(
                status_code=400, detail=f"at most {self.max_files} files in one upload"
            )
        filename = options[b"filename"].decode("latin-1")
        self._filename = _clean_filename(filename) if filename.strip() else ""
        if self._filename:
            self._writer = self.store.writer()
            self.writers.append((self._filename, self._writer))

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self._writer is not None:
            self._writer.write(data[start:end])
            if self._writer.size > self.settings.max_upload_bytes:
                raise HTTPException(
                    status_code=413,
                    detail=f"{self._filename} is larger than "
                    f"{size_text(self.settings.max_upload_bytes)}, the largest file taken",
                )
        elif self._field is not None:
            self._value += data[start:end]
            if len(self._value) > MAX_FIELD_BYTES:
                raise HTTPException(
                    status_code=413,
                    detail=f"the form field {self._field[:40]!r} is longer than "
                    f"{size_text(MAX_FIELD_BYTES)}",
                )

    def part_end(self) -> None:
        if self._field is None:
            return
        try:
            value = self._value.decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPException(
                status_code=400, detail=f"the form field {self._field[:40]!r} is not UTF-8 text"
            ) from None
        if self.csrf_check is not None:
            if not self.csrf_check(value):
                raise HTTPException(status_code=403, detail=CSRF_REFUSED)
            self.csrf_check = None
        self.form.fields.setdefault(self._field, value)
        self._field = None

    def abort(self) -> None:
        """Remove every file received so far."""
        for _name, writer in self.writers:
            writer.abort()


async def receive_form(request: Request, *, file_field: str, max_files: int) -> ReceivedForm:
    """Stream an upload form: small fields into memory, files into the file store.

    Nothing is read before this is called (after the access check); the CSRF token is
    checked before any file byte is written. Every file is checked as a zip (see
    :func:`papertally.web.upload_worker.check_archive`) before it is kept; on any refusal no
    file is kept. Raises :class:`HTTPException` (400, 403, 413) with a message for the user.
    """
    settings = upload_settings(request)
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise HTTPException(
            status_code=400, detail="send the file as a form upload (multipart/form-data)"
        )
    declared = request.headers.get("content-length", "")
    limit = settings.max_upload_request_bytes
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise HTTPException(
            status_code=413,
            detail=f"the upload is {size_text(int(declared))}; files up to "
            f"{size_text(settings.max_upload_bytes)} are taken",
        )
    pending = bool(request.scope.get(CSRF_PENDING))
    sink = _FormSink(
        settings,
        file_store(request),
        file_field,
        max_files,
        (lambda token: csrf_matches(request, token)) if pending else None,
    )
    parser = MultipartParser(options[b"boundary"], sink.callbacks())
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise HTTPException(
                    status_code=413,
                    detail=f"the upload is larger than {size_text(limit)}; files up to "
                    f"{size_text(settings.max_upload_bytes)} are taken",
                )
            await run_in_threadpool(parser.write, chunk)
        parser.finalize()
        if sink.csrf_check is not None:
            raise HTTPException(status_code=403, detail=CSRF_REFUSED)
        limits = ArchiveLimits(
            settings.max_zip_members, settings.max_zip_expanded_bytes, settings.max_zip_ratio
        )
        for name, writer in sink.writers:
            await run_in_threadpool(_check_written, writer, name, limits)
        for name, writer in sink.writers:
            sink.form.files.append(ReceivedFile(name, await run_in_threadpool(writer.finish)))
    except MultipartParseError as error:
        sink.abort()
        raise HTTPException(
            status_code=400, detail=f"the upload is not a readable form ({error})"
        ) from None
    except BaseException:
        sink.abort()
        raise
    return sink.form


def _check_written(writer: BlobWriter, name: str, limits: ArchiveLimits) -> None:
    """Check a received file as a zip (after flushing it); 413 or 400 naming it."""
    writer.flush()
    try:
        check_archive(writer.path, name, limits)
    except ArchiveRefused as refused:
        raise HTTPException(
            status_code=413 if refused.too_large else 400, detail=str(refused)
        ) from None


# -- the worker pool --------------------------------------------------------------------------

_POOLS: dict[tuple[int, int], Executor] = {}
_POOL_LOCK = threading.Lock()


def _executor(workers: int, memory_bytes: int) -> Executor:
    """Return this process's pool of upload readers (created on first use).

    ``workers`` processes (started fresh, not forked from the threaded server), each capped at
    ``memory_bytes``; 0 workers reads in a thread of this process instead (one at a time, no
    cap), for tests and single-user installs.
    """
    with _POOL_LOCK:
        if (workers, memory_bytes) not in _POOLS:
            _POOLS[workers, memory_bytes] = (
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="papertally-upload")
                if workers == 0
                else ProcessPoolExecutor(
                    max_workers=workers,
                    mp_context=get_context("spawn"),
                    initializer=start_worker,
                    initargs=(os.getpid(), memory_bytes),
                )
            )
        return _POOLS[workers, memory_bytes]


def _forget_pool(broken: Executor) -> None:
    with _POOL_LOCK:
        for key, pool in list(_POOLS.items()):
            if pool is broken:
                del _POOLS[key]


async def _run_job(
    work: Callable[[str, str, int], None],
    url: str,
    data_dir: str,
    job_id: int,
    settings: UploadSettings,
) -> None:
    """Run ``work`` for job ``job_id`` in the pool; a worker that dies fails the job."""
    pool = _executor(settings.parse_workers, settings.parse_memory_mb * MB)
    try:
        await asyncio.get_running_loop().run_in_executor(pool, work, url, data_dir, job_id)
    except BrokenProcessPool:
        _forget_pool(pool)
        await _fail_quietly(
            url,
            job_id,
            "the worker reading the file stopped (out of memory?); try a smaller file or ask "
            "the administrator",
        )
    except Exception:
        LOG.exception("upload job %s ended abnormally", job_id)
        await _fail_quietly(url, job_id, "the file could not be read; ask the administrator")


async def _fail_quietly(url: str, job_id: int, message: str) -> None:
    """Mark job ``job_id`` failed if the store can be reached (the failure is logged)."""
    from papertally.store.engine import make_engine

    engine = make_engine(url)
    try:
        await run_in_threadpool(UploadJobs(engine).fail, job_id, message)
    except Exception:
        LOG.exception("upload job %s could not be marked failed", job_id)
    finally:
        engine.dispose()


_RUNNING: set[asyncio.Task[None]] = set()
"""Jobs started by this process and not yet finished (kept so they are not collected)."""


async def start_job(
    request: Request,
    work: Callable[[str, str, int], None],
    job_id: int,
    *,
    done_url: str | Callable[[UploadJob], str],
    status_url: str,
) -> Response:
    """Start job ``job_id`` and answer: as before when it ends within a moment (303 to
    ``done_url``, or 400 with its message), else 303 to ``status_url`` while it runs on.

    ``done_url`` may be a function of the finished job (to carry its message)."""
    settings = upload_settings(request)
    url = services(request).engine.url.render_as_string(hide_password=False)
    data_dir = str(file_store(request).root)
    task = asyncio.ensure_future(_run_job(work, url, data_dir, job_id, settings))
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    finished, _ = await asyncio.wait({task}, timeout=settings.answer_within_seconds)
    if task in finished:
        job = await run_in_threadpool(UploadJobs(services(request).engine).job, job_id)
        if job.state == "failed":
            raise PapertallyError(job.message or "the upload could not be read")
        target = done_url if isinstance(done_url, str) else done_url(job)
        return RedirectResponse(target, status_code=303)
    return RedirectResponse(status_url, status_code=303, background=BackgroundTask(_wait, task))


async def _wait(task: asyncio.Task[None]) -> None:
    """Keep the request's task until the job ends (tests' clients wait for it)."""
    await asyncio.shield(task)


# -- job status: a page that polls, and its JSON ------------------------------------------------


def _job_payload(job: UploadJob, done_url: str) -> dict[str, Any]:
    """The job as the status page and its poll see it; ``next`` is where to go once done."""
    return {
        "id": job.id,
        "state": job.state,
        "finished": job.finished,
        "message": job.message,
        "next": done_url if job.state == "done" else None,
        "filename": job.target.get("filename")
        or ", ".join(f["filename"] for f in job.target.get("files", [])),
    }


def _audit_job(request: Request) -> UploadJob:
    """Return the audit-file job the path names; 404 unless it is of the path's county."""
    audit_id = path_id(request, "audit_id")
    county = require_county(request)
    job_id = path_id(request, "upload_id")
    try:
        job = UploadJobs(services(request).engine).job(job_id)
    except PapertallyError:
        job = None
    if (
        job is None
        or job.purpose != "audit file"
        or job.target.get("audit_id") != audit_id
        or job.target.get("county") != county
    ):
        raise HTTPException(status_code=404, detail=f"there is no upload {job_id} here")
    return job


def _canvass_job(request: Request) -> UploadJob:
    job_id = path_id(request, "upload_id")
    try:
        job = UploadJobs(services(request).engine).job(job_id)
    except PapertallyError:
        job = None
    if job is None or job.purpose != "canvass":
        raise HTTPException(status_code=404, detail=f"there is no import {job_id}")
    return job


@router.get(
    "/audits/{audit_id}/counties/{county_id}/uploads/{upload_id}", response_class=HTMLResponse
)
@requires(Access.COUNTY_READ)
def audit_upload_page(request: Request, audit_id: int, county_id: int, upload_id: int) -> Any:
    """An audit file being read: its state, refreshed by ``upload.js`` until it ends."""
    back = f"/audits/{audit_id}/counties/{county_id}"
    return render(
        request,
        "upload_status.html",
        job=_job_payload(_audit_job(request), back),
        status_url=f"/api{back}/uploads/{upload_id}",
        back_url=back,
        back_text="Back to the county's audit page",
    )


@router.get("/api/audits/{audit_id}/counties/{county_id}/uploads/{upload_id}")
@requires(Access.COUNTY_READ)
def audit_upload_status(
    request: Request, audit_id: int, county_id: int, upload_id: int
) -> JSONResponse:
    """An audit file's upload job: ``state`` (queued, parsing, done, failed) and message."""
    back = f"/audits/{audit_id}/counties/{county_id}"
    return JSONResponse(_job_payload(_audit_job(request), back))


@router.get("/admin/imports/{upload_id}", response_class=HTMLResponse)
@requires(Access.ADMINISTRATOR)
def canvass_import_page(request: Request, upload_id: int) -> Any:
    """A canvass import being read: its state, refreshed by ``upload.js`` until it ends."""
    job = _canvass_job(request)
    return render(
        request,
        "upload_status.html",
        job=_job_payload(job, admin_url(job)),
        status_url=f"/api/admin/imports/{upload_id}",
        back_url="/admin",
        back_text="Back to administration",
    )


@router.get("/api/admin/imports/{upload_id}")
@requires(Access.ADMINISTRATOR)
def canvass_import_status(request: Request, upload_id: int) -> JSONResponse:
    """A canvass import job: ``state`` (queued, parsing, done, failed) and message."""
    job = _canvass_job(request)
    return JSONResponse(_job_payload(job, admin_url(job)))


def admin_url(job: UploadJob) -> str:
    """Return the administration page showing a finished canvass import's message."""
    return f"/admin?message={quote(job.message or '')}"
