"""Reporting import progress row by row, without calling back on every single row."""

from __future__ import annotations

from collections.abc import Callable

ProgressCallback = Callable[[int, int], None]
"""``progress(done, total)``: rows processed so far and rows in all files."""


class RowProgress:
    """Counts processed rows over several files and tells ``callback`` every ``every`` rows."""

    def __init__(self, total: int, callback: ProgressCallback | None, every: int = 250) -> None:
        self.total = total
        self.done = 0
        self._callback = callback
        self._every = every
        self._next = every

    def step(self, rows: int = 1) -> None:
        """Count ``rows`` more rows as processed."""
        self.done += rows
        if self._callback is not None and self.done >= self._next:
            self._next = self.done + self._every
            self._callback(min(self.done, self.total), self.total)

    def finish(self, rows_so_far: int) -> None:
        """Mark everything up to ``rows_so_far`` done (the end of one file) and report it."""
        self.done = rows_so_far
        if self._callback is not None:
            self._callback(min(self.done, self.total), self.total)
