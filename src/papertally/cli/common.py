"""What every command shares: consoles, user-error handling and JSON output."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import typer
from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.table import Column, Table
from rich.text import Text

from papertally.errors import PapertallyError
from papertally.store.defaults import DB_ENV, DEFAULT_DB_URL

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`PapertallyError` into a one-line message and exit status 2, no traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except PapertallyError as error:
            err_console.print(Text.assemble(("error: ", "bold red"), str(error)), soft_wrap=True)
            raise typer.Exit(code=2) from None

    return wrapper


@contextmanager
def progress_bar(label: str, enabled: bool = True) -> Iterator[Callable[[int, int], None]]:
    """Yield a ``progress(done, total)`` callback drawing a Rich bar on the terminal's stderr.

    Every command that can run for more than a few seconds shows one. Until the callback is
    first called (or when the work cannot say how far it is), the bar spins and counts the
    seconds. Nothing is drawn under ``--json`` (``enabled`` false) or when standard output or
    standard error is not a terminal (pipes, files, tests), so the output stays clean.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    show = enabled and console.is_terminal and err_console.is_terminal
    with Progress(
        SpinnerColumn(),
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not show,
    ) as progress:
        task = progress.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


WideOption = typer.Option(
    False, "--wide", help="Show every column in full, however wide the table gets."
)
CELL_LINES = 2
"""At the terminal's width, no table cell takes more than this many lines."""


def print_table(table: Table, *, flexible: int | None = None, wide: bool = False) -> None:
    """Print ``table`` so that no cell wraps over :data:`CELL_LINES` lines at the console width.

    The other columns keep their natural width (they are not wrapped); the cells of the
    ``flexible`` column (a name) are shortened with "…" to fit two lines of what is left. With
    ``wide`` nothing is shortened and the table is as wide as its content needs (lines may
    then exceed the terminal: for a pager or a file).
    """
    from rich.measure import Measurement

    if wide:
        needed = Measurement.get(console, console.options.update_width(10_000), table).maximum
        width = console.width
        console.width = max(needed, width)
        try:
            console.print(table, crop=False)
        finally:
            console.width = width
        return
    if flexible is not None:
        columns = table.columns
        others = sum(_natural_width(column) for n, column in enumerate(columns) if n != flexible)
        edges = 3 * len(columns) + 1 if table.box is not None else 2 * len(columns)
        room = max(console.width - others - edges, 8)
        for n, column in enumerate(columns):
            column.no_wrap = n != flexible
        # Rich keeps a column's cells in ``_cells`` (``cells`` only iterates over them).
        cells = columns[flexible]._cells
        columns[flexible]._cells = [_clip(cell, room) for cell in cells]
    console.print(table)


def _natural_width(column: Column) -> int:
    """Return the widest line of a column's cells and header, in terminal cells."""
    texts = [t for t in (column.header, *column.cells) if isinstance(t, str | Text)]
    return max(
        (cell_len(line) for t in texts for line in _plain(t).split("\n")),
        default=0,
    )


def _plain(text: str | Text) -> str:
    return text.plain if isinstance(text, Text) else Text.from_markup(text).plain


def _clip(cell: RenderableType, width: int) -> RenderableType:
    """Return ``cell`` shortened with "…" to what wraps into :data:`CELL_LINES` lines."""
    if not isinstance(cell, str | Text):
        return cell
    text = cell.copy() if isinstance(cell, Text) else Text.from_markup(cell)
    if len(text.wrap(console, width)) <= CELL_LINES:
        return cell
    text.right_crop(max(text.cell_len - CELL_LINES * width, 0))
    while text.cell_len:
        text.rstrip()
        probe = text.copy()
        probe.append("…")
        if len(probe.wrap(console, width)) <= CELL_LINES:
            return probe
        text.right_crop(1)
    return Text("…")


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON on standard output, untouched by Rich's markup."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def database_url(db: str | None) -> str:
    """Return the store URL: ``--db``, else ``$PAPERTALLY_DB``, else ``papertally.db`` here.

    A bare file path is taken as a SQLite file.
    """
    url = db or os.environ.get(DB_ENV) or DEFAULT_DB_URL
    if "://" not in url:
        url = f"sqlite:///{url}"
    return url


DbOption = typer.Option(
    None, "--db", help=f"Store URL or SQLite file (default ${DB_ENV} or ./papertally.db)."
)
