"""The web app's settings that bound what one request may cost, read from the environment.

Each is an environment variable with a default fit for a statewide recount on a small server;
``docs/security.md`` lists them. A value that is not a whole number in range is a start-up
error naming the variable, never a silent default.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from papertally.errors import PapertallyError

KB = 1024
MB = 1024 * KB
GB = 1024 * MB

FORM_BYTES_ENV = "PAPERTALLY_MAX_FORM_BYTES"
UPLOAD_BYTES_ENV = "PAPERTALLY_MAX_UPLOAD_BYTES"
ZIP_MEMBERS_ENV = "PAPERTALLY_MAX_ZIP_MEMBERS"
ZIP_EXPANDED_ENV = "PAPERTALLY_MAX_ZIP_EXPANDED_BYTES"
ZIP_RATIO_ENV = "PAPERTALLY_MAX_ZIP_RATIO"
PARSE_WORKERS_ENV = "PAPERTALLY_PARSE_WORKERS"
ANSWER_WITHIN_ENV = "PAPERTALLY_UPLOAD_ANSWER_SECONDS"
PARSE_MEMORY_ENV = "PAPERTALLY_PARSE_MEMORY_MB"


def _whole(name: str, default: int, *, least: int = 1) -> int:
    """Return the whole number (at least ``least``) in ``$name``, or ``default`` when unset."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or int(text) < least:
        raise PapertallyError(f"${name} must be a whole number from {least} (got {text[:40]!r})")
    return int(text)


@dataclass(frozen=True)
class UploadSettings:
    """Caps on request bodies and uploaded files, and the number of parsing workers."""

    max_form_bytes: int = 64 * KB
    """Largest body of any form or API request other than an upload."""
    max_upload_bytes: int = 512 * MB
    """Largest uploaded file (each file of a canvass import, each audit file)."""
    max_zip_members: int = 10_000
    """Most files one zip (a CVR export, an Excel workbook) may hold."""
    max_zip_expanded_bytes: int = 2 * GB
    """Largest total size of a zip's files once expanded."""
    max_zip_ratio: int = 200
    """Largest expanded size over the zip's own size (a zip bomb reaches thousands)."""
    parse_workers: int = 1
    """Worker processes reading uploads; more parse at once but need memory each. 0 reads in
    a thread of the web process instead (one at a time): for tests and single-user installs."""
    parse_memory_mb: int = 4096
    """Address space of each worker process, in MB (0: no cap): a file whose reading needs
    more fails with a message rather than exhausting the server's memory."""
    answer_within_seconds: float = 5.0
    """How long an upload request waits for its file to be read before it answers with a page
    that follows the reading (a small file is answered as if read at once)."""

    @classmethod
    def from_env(cls) -> UploadSettings:
        """Return the settings from ``$PAPERTALLY_MAX_*``, ``$PAPERTALLY_PARSE_WORKERS``,
        ``$PAPERTALLY_PARSE_MEMORY_MB`` and ``$PAPERTALLY_UPLOAD_ANSWER_SECONDS``."""
        default = cls()
        return cls(
            max_form_bytes=_whole(FORM_BYTES_ENV, default.max_form_bytes),
            max_upload_bytes=_whole(UPLOAD_BYTES_ENV, default.max_upload_bytes),
            max_zip_members=_whole(ZIP_MEMBERS_ENV, default.max_zip_members),
            max_zip_expanded_bytes=_whole(ZIP_EXPANDED_ENV, default.max_zip_expanded_bytes),
            max_zip_ratio=_whole(ZIP_RATIO_ENV, default.max_zip_ratio),
            parse_workers=_whole(PARSE_WORKERS_ENV, default.parse_workers, least=0),
            parse_memory_mb=_whole(PARSE_MEMORY_ENV, default.parse_memory_mb, least=0),
            answer_within_seconds=_whole(
                ANSWER_WITHIN_ENV, int(default.answer_within_seconds), least=0
            ),
        )

    @property
    def max_upload_request_bytes(self) -> int:
        """Largest body of an upload request: the file cap plus room for the form's fields."""
        return self.max_upload_bytes + 1 * MB


def size_text(size: int) -> str:
    """Return ``size`` bytes for people: ``64 KB``, ``512 MB``, ``2 GB``."""
    for unit, factor in (("GB", GB), ("MB", MB), ("KB", KB)):
        if size >= factor:
            value = size / factor
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} bytes"
