"""Uploaded files on disk, named by their SHA-256 (content-addressed), never by the user's name.

Audit files and imported canvasses can be hundreds of megabytes: keeping them whole in
database rows made every read of a row carry them, and every upload hold them in memory. The
rows now hold the name, size, SHA-256 and the key of the bytes here. A file is written to a
temporary name in the same folder tree while its SHA-256 is computed, flushed to disk and then
renamed into place (an atomic step on POSIX file systems), so a reader never sees half a file.
Two uploads of the same bytes share one file. Reading checks the SHA-256 again: a file changed
on disk after it was recorded is an :class:`FileIntegrityError` naming it, never silently
used (the file part of the store's integrity check).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.engine import make_url

from papertally.errors import PapertallyError

DATA_DIR_ENV = "PAPERTALLY_DATA_DIR"
"""Where uploaded files are kept; by default beside the SQLite file, else ``./papertally-files``."""
DEFAULT_FOLDER = "papertally-files"
CHUNK_BYTES = 1 << 20
"""Bytes read or hashed at a time: enough to be fast, small enough to keep memory flat."""


class FileIntegrityError(PapertallyError):
    """A stored file is missing or its bytes no longer have the SHA-256 recorded for them."""


def data_dir_for(url: str) -> Path:
    """Return the folder of uploaded files for the store at ``url``.

    ``$PAPERTALLY_DATA_DIR`` when set; else a ``papertally-files`` folder beside a SQLite file;
    else ``./papertally-files``. Every process of one deployment must see the same folder.
    """
    chosen = os.environ.get(DATA_DIR_ENV)
    if chosen:
        return Path(chosen)
    parsed = make_url(url if "://" in url else f"sqlite:///{url}")
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return Path(str(parsed.database)).resolve().parent / DEFAULT_FOLDER
    return Path(DEFAULT_FOLDER).resolve()


@dataclass(frozen=True)
class StoredBlob:
    """Bytes kept on disk: their key (relative path), SHA-256 and size."""

    key: str
    sha256: str
    size: int


def key_of(sha256: str) -> str:
    """Return the relative path of the bytes whose SHA-256 is ``sha256``."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a SHA-256 in hex: {sha256!r}")
    return f"sha256/{sha256[:2]}/{sha256}"


class BlobWriter:
    """Bytes being written to a temporary file while their SHA-256 and size are computed.

    :meth:`finish` moves them into place under their hash; :meth:`abort` removes them. The
    caller counts nothing: :attr:`size` is kept here, so limits can be checked while writing.
    """

    def __init__(self, store: FileStore) -> None:
        self._store = store
        folder = store.root / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix="upload-", dir=folder)
        self._file: BinaryIO = os.fdopen(handle, "wb")
        self.path = Path(name)
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        """Append ``chunk``."""
        self._file.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    def flush(self) -> None:
        """Hand what was written so far to the operating system (so it can be read back)."""
        self._file.flush()

    def finish(self) -> StoredBlob:
        """Flush to disk and rename into place under the SHA-256; return where it is."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        digest = self._hash.hexdigest()
        key = key_of(digest)
        target = self._store.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path, target)
        return StoredBlob(key, digest, self.size)

    def abort(self) -> None:
        """Close and remove the temporary file (nothing is kept)."""
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)


class FileStore:
    """The folder of uploaded files (see the module's docstring)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @classmethod
    def for_url(cls, url: str) -> FileStore:
        """Return the file store of the database at ``url`` (see :func:`data_dir_for`)."""
        return cls(data_dir_for(url))

    def writer(self) -> BlobWriter:
        """Return a writer for new bytes (see :class:`BlobWriter`)."""
        return BlobWriter(self)

    def put_bytes(self, data: bytes) -> StoredBlob:
        """Keep ``data``; return its key, SHA-256 and size."""
        writer = self.writer()
        try:
            writer.write(data)
            return writer.finish()
        except BaseException:
            writer.abort()
            raise

    def path(self, key: str) -> Path:
        """Return the path of the bytes under ``key`` (which must stay inside the store)."""
        target = (self.root / key).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise FileIntegrityError(f"stored file key {key!r} points outside the file store")
        return target

    def verified_path(self, key: str, sha256: str, label: str) -> Path:
        """Return the path of ``key`` after checking its bytes still hash to ``sha256``.

        ``label`` names the file in the error (e.g. ``Adams manifest 'm.csv'``).
        """
        target = self.path(key)
        digest = hashlib.sha256()
        try:
            with target.open("rb") as stream:
                for chunk in _chunks(stream):
                    digest.update(chunk)
        except FileNotFoundError:
            raise FileIntegrityError(
                f"{label}: the stored file {target} is missing from the file store"
            ) from None
        if digest.hexdigest() != sha256:
            raise FileIntegrityError(
                f"{label}: the stored file {target} was changed on disk (its SHA-256 is "
                f"{digest.hexdigest()}, recorded {sha256})"
            )
        return target

    def read_verified(self, key: str, sha256: str, label: str) -> bytes:
        """Return the bytes under ``key``, refusing them unless they hash to ``sha256``."""
        data = self.path(key).read_bytes() if self.path(key).exists() else None
        if data is None:
            raise FileIntegrityError(f"{label}: the stored file {self.path(key)} is missing")
        found = hashlib.sha256(data).hexdigest()
        if found != sha256:
            raise FileIntegrityError(
                f"{label}: the stored file {self.path(key)} was changed on disk (its SHA-256 is "
                f"{found}, recorded {sha256})"
            )
        return data


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK_BYTES):
        yield chunk
