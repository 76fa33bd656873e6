"""Errors a user can cause, and how they are described.

Every error raised because of bad input derives from :class:`PapertallyError`; the CLI prints its
message and exits with status 2 instead of showing a traceback. Errors about a file carry the
place in the file (sheet, row, column) so that county staff can find and fix it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class PapertallyError(Exception):
    """An error caused by the user's input or request, with a message meant for them."""


@dataclass(frozen=True, slots=True)
class FileLocation:
    """Where in an input file something was found; every part is optional."""

    file: str
    sheet: str | None = None
    row: int | None = None
    """1-based row number as a spreadsheet program or text editor shows it."""
    column: str | None = None
    """The column's header name, or its letter where the file has no header."""

    def describe(self) -> str:
        """Return ``file, sheet 'S', row R, column 'C'`` with the parts that are known."""
        parts = [Path(self.file).name]
        if self.sheet is not None:
            parts.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)


class InputFileError(PapertallyError):
    """A file could not be read as what it claims to be; nothing from it was kept."""

    def __init__(self, location: FileLocation, problem: str) -> None:
        self.location = location
        self.problem = problem
        super().__init__(f"{location.describe()}: {problem}")


def closest_match_hint(name: str, candidates: list[str] | tuple[str, ...]) -> str:
    """Return ``" (did you mean 'X'?)"`` for the closest known name, or ``""`` if none is close."""
    import difflib

    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""
