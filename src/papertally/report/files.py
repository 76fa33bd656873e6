"""Writing report files whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

from papertally.errors import PapertallyError


def write_text_atomically(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file moved into place when complete.

    A failure never leaves half a report behind: either the old file or the new one is there.
    Raises :class:`PapertallyError` naming the file when it cannot be written.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            with temporary.open("w", newline="", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    except OSError as error:
        raise PapertallyError(f"cannot write {target}: {error.strerror or error}") from None
    return target
