"""What every command shares: consoles, user-error handling and JSON output."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
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
