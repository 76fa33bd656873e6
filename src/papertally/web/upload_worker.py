"""Reading an upload away from the web server's event loop: zip checks and the upload jobs.

The request that receives an upload only streams it to disk (:mod:`papertally.web.uploads`);
reading it (a CVR zip can take minutes and much memory) is a job run here, in a worker process
of a small pool, which reports through the job's row (:mod:`papertally.store.uploads`): the web
process stays free to answer everyone else, and a file that exhausts a worker's memory takes
down that worker, not the app. This module imports no web framework, so a worker starts fast.

Zip archives (CVR exports, Excel workbooks) are checked before anything reads them: the number
of members, their total expanded size and the expansion ratio are capped, and a zip inside a
zip is refused, so a small file cannot expand into gigabytes (a "zip bomb"). The sizes are
those of the zip's central directory; :mod:`zipfile` never expands a member beyond its stated
size (it stops there and checks the CRC), so a lying directory cannot get past the caps.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papertally.errors import PapertallyError
from papertally.store.files import FileStore, StoredBlob

LOG = logging.getLogger(__name__)
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
"""The first bytes of a zip archive (local header, empty archive, spanned archive)."""
WORKER_NICENESS = 10
"""How much lower a worker's CPU priority is than the web process's (``nice``)."""
TOO_BIG_TO_READ = (
    "the file is too large to read within the memory a worker may use "
    "($PAPERTALLY_PARSE_MEMORY_MB); split it into smaller files"
)
NESTED_SUFFIXES = (".zip", ".jar", ".7z", ".gz", ".tgz", ".bz2", ".xz", ".rar")


class ArchiveRefused(PapertallyError):
    """An uploaded zip breaks a cap (``too_large``) or holds another archive."""

    def __init__(self, message: str, *, too_large: bool) -> None:
        super().__init__(message)
        self.too_large = too_large


@dataclass(frozen=True)
class ArchiveLimits:
    """The caps on an uploaded zip (see :class:`papertally.web.settings.UploadSettings`)."""

    max_members: int
    max_expanded_bytes: int
    max_ratio: int


def exit_with_parent(parent: int) -> None:
    """Start a watch that ends this worker when the web process ``parent`` is gone.

    A worker process must not outlive the server that started it (a server stopped by a
    signal does not always shut its pool down): the watch looks once a second whether this
    process still has ``parent`` as its parent.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="papertally-exit-with-parent", daemon=True).start()


def start_worker(parent: int, memory_bytes: int) -> None:
    """Prepare a worker process: end it with the web process ``parent``
    (:func:`exit_with_parent`), lower its CPU priority (``nice``, and on Linux the idle
    scheduling class: the web process answering people comes first whenever the cores are
    busy) and cap its address space at ``memory_bytes`` (0: no cap),
    so a file whose reading would need more fails with a message instead of exhausting the
    server.
    """
    exit_with_parent(parent)
    os.nice(WORKER_NICENESS)
    if hasattr(os, "SCHED_IDLE"):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    if memory_bytes > 0:
        import resource

        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        capped = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (capped, hard))


def check_archive(path: Path, name: str, limits: ArchiveLimits) -> None:
    """Refuse the zip at ``path`` (uploaded as ``name``) when it breaks ``limits``.

    A file that is not a zip passes. Raises :class:`ArchiveRefused` naming the file.
    """
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > limits.max_members:
                raise ArchiveRefused(
                    f"{name}: the zip holds {len(members):,} files; at most "
                    f"{limits.max_members:,} are taken",
                    too_large=True,
                )
            expanded = sum(m.file_size for m in members)
            if expanded > limits.max_expanded_bytes:
                raise ArchiveRefused(
                    f"{name}: the zip expands to {expanded:,} bytes; at most "
                    f"{limits.max_expanded_bytes:,} are taken",
                    too_large=True,
                )
            ratio = expanded / max(path.stat().st_size, 1)
            if ratio > limits.max_ratio:
                raise ArchiveRefused(
                    f"{name}: the zip expands {ratio:,.0f} times its size; at most "
                    f"{limits.max_ratio:,} times is taken (is it a zip bomb?)",
                    too_large=True,
                )
            for member in members:
                if member.is_dir():
                    continue
                nested = member.filename.casefold().endswith(NESTED_SUFFIXES)
                if not nested:
                    with archive.open(member) as opened:
                        nested = opened.read(4) in ZIP_MAGIC
                if nested:
                    raise ArchiveRefused(
                        f"{name}: holds another archive ({member.filename!r}); upload the "
                        "files themselves, in one zip",
                        too_large=False,
                    )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as error:
        raise ArchiveRefused(
            f"{name}: not a readable zip file ({error})", too_large=False
        ) from None


def _named_link(folder: Path, blob_path: Path, filename: str, taken: set[str]) -> Path:
    """Return a hard link in ``folder`` (inside the file store) to ``blob_path`` named as
    uploaded: readers look at the name's extension (and a manifest's county in it). Names are
    made unique and safe; the stored file itself is never renamed. (A symbolic link where the
    file system has no hard links.)"""
    base = Path(filename.replace("\\", "/")).name.strip(". ") or "upload"
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{number}-{base}"
    taken.add(name)
    link = folder / name
    try:
        os.link(blob_path, link)
    except OSError:
        link.symlink_to(blob_path)
    return link


def summarize_audit_file(
    path: Path, kind: str, county: str, contest: str | None, filename: str
) -> dict[str, Any]:
    """Read an audit file as what it claims to be; return what it holds, or raise.

    The same summary as :func:`papertally.io.audit_export.summarize_file`, read from ``path``
    on disk rather than from bytes in memory.
    """
    from papertally.io.audit_export import BATCH_TALLIES, CVRS, MANIFEST, read_batch_tallies
    from papertally.io.cvr import read_cvrs
    from papertally.io.manifests import read_manifest
    from papertally.model.audit_records import AuditFile

    if kind == MANIFEST:
        manifest = read_manifest(path, county)
        return {"batches": len(manifest), "ballots": manifest.total_ballots}
    if kind == CVRS:
        collection = read_cvrs([path], name=county, workers=1)
        return {
            "cards": len(collection),
            "contests": collection.contest_names(),
            "format": collection.sources[0].format if collection.sources else "",
        }
    if kind == BATCH_TALLIES:
        tallies = read_batch_tallies(AuditFile(county, kind, filename, path.read_bytes(), contest))
        return {
            "contest": contest,
            "batches": len(tallies),
            "votes": sum(sum(v.values()) for v in tallies.values()),
        }
    raise PapertallyError(f"unknown kind of audit file {kind!r}: manifest, cvrs or batch tallies")


def _reading_folder(files: FileStore) -> tempfile.TemporaryDirectory[str]:
    """Return a fresh folder inside the file store (so links to stored files can be hard)."""
    (files.root / "tmp").mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix="read-", dir=files.root / "tmp")


def run_audit_file_job(url: str, data_dir: str, job_id: int) -> None:
    """Read the audit file of job ``job_id`` and, when it reads, record it for its county."""
    from papertally.store.audits import AuditStore
    from papertally.store.engine import make_engine
    from papertally.store.uploads import UploadJobs

    engine = make_engine(url)
    jobs = UploadJobs(engine)
    try:
        job = jobs.start(job_id)
        target = job.target
        files = FileStore(data_dir)
        filename = str(target["filename"])
        blob = StoredBlob(str(target["key"]), str(target["sha256"]), int(target["size"]))
        stored = files.verified_path(blob.key, blob.sha256, filename)
        with _reading_folder(files) as folder:
            link = _named_link(Path(folder), stored, filename, set())
            summary = summarize_audit_file(
                link, str(target["kind"]), str(target["county"]), target.get("contest"), filename
            )
        recorded = AuditStore(engine, files).record_file(
            int(target["audit_id"]),
            str(target["county"]),
            str(target["kind"]),
            filename,
            target.get("contest"),
            blob,
            summary,
            actor=job.created_by,
        )
        jobs.finish(job_id, f"{filename}: read and kept.", {"file_id": recorded.id, **summary})
    except PapertallyError as error:
        jobs.fail(job_id, str(error))
    except MemoryError:
        jobs.fail(job_id, TOO_BIG_TO_READ)
    except Exception as error:
        LOG.exception("upload %s could not be read", job_id)
        jobs.fail(job_id, f"the file could not be read ({type(error).__name__})")
    finally:
        engine.dispose()


def run_canvass_job(url: str, data_dir: str, job_id: int) -> None:
    """Read the canvass files of job ``job_id`` together and import them (one transaction)."""
    from papertally.io import read_results
    from papertally.store.engine import make_engine
    from papertally.store.uploads import UploadJobs
    from papertally.web.service import Services

    engine = make_engine(url)
    jobs = UploadJobs(engine)
    services: Services | None = None
    try:
        job = jobs.start(job_id)
        files = FileStore(data_dir)
        taken: set[str] = set()
        with _reading_folder(files) as folder:
            paths: list[Path] = []
            digests: dict[str, str] = {}
            for item in job.target["files"]:
                stored = files.verified_path(item["key"], item["sha256"], item["filename"])
                link = _named_link(Path(folder), stored, item["filename"], taken)
                paths.append(link)
                digests[str(link)] = item["sha256"]
            result = read_results(paths)
            services = Services(url)
            election_id = services.import_canvass(
                result, actor=job.created_by, name=job.target.get("name"), digests=digests
            )
        jobs.finish(
            job_id,
            f"Imported election {election_id} with {len(result.warnings)} warnings.",
            {"election_id": election_id, "warnings": len(result.warnings)},
        )
    except PapertallyError as error:
        jobs.fail(job_id, str(error))
    except MemoryError:
        jobs.fail(job_id, TOO_BIG_TO_READ)
    except Exception as error:
        LOG.exception("canvass upload %s could not be read", job_id)
        jobs.fail(job_id, f"the files could not be read ({type(error).__name__})")
    finally:
        if services is not None:
            services.store.close()
        engine.dispose()
