"""What every command shares: consoles, user-error handling and JSON output."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
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
