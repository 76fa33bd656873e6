"""Commands of the recount app: ``serve``, ``user add``, ``log verify`` and ``log export``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from papertally.cli.common import DbOption, console, database_url, print_json, user_errors
from papertally.errors import PapertallyError
from papertally.model.recount import Role
from papertally.store import Store
from papertally.store.engine import DB_ENV
from papertally.store.recounts import RecountStore
from papertally.store.users import UserStore

user_app = typer.Typer(help="Accounts of the recount app.", no_args_is_help=True)
log_app = typer.Typer(help="The tamper-evident activity log.", no_args_is_help=True)


def _recount_store(db: str | None) -> RecountStore:
    store = Store(database_url(db))
    store.migrate()
    return RecountStore(store.engine)


def register(app: typer.Typer) -> None:
    """Add ``serve`` and the ``user`` and ``log`` groups to the top-level ``app``."""
    app.command()(serve)
    app.add_typer(user_app, name="user")
    app.add_typer(log_app, name="log")


@user_errors
def serve(
    db: str | None = DbOption,
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Worker processes (share $PAPERTALLY_SECRET_KEY)."),
    keep_alive: int = typer.Option(5, help="Seconds an idle connection is kept open."),
) -> None:
    """Run the recount web app on the store (migrated on start)."""
    import os

    import uvicorn

    url = database_url(db)
    Store(url).migrate()
    os.environ[DB_ENV] = url
    if workers > 1 and not os.environ.get("PAPERTALLY_SECRET_KEY"):
        raise PapertallyError(
            "several workers must share a session key: set $PAPERTALLY_SECRET_KEY first"
        )
    console.print(f"papertally serving {Store(url).url} on http://{host}:{port}/", highlight=False)
    uvicorn.run(
        "papertally.web.main:app",
        host=host,
        port=port,
        workers=workers,
        timeout_keep_alive=keep_alive,
        log_level="warning",
    )


@user_app.command("add")
@user_errors
def add_user(
    username: str = typer.Argument(..., help="The user name to sign in with."),
    role: Role = typer.Option(..., help="administrator, clerk, board or observer."),
    county: str | None = typer.Option(None, help="The county of a clerk or board member."),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="At least 10 characters."
    ),
    db: str | None = DbOption,
) -> None:
    """Create an account (the first administrator is created this way)."""
    from papertally.web.security import hash_password

    if len(password) < 10:
        raise PapertallyError("a password must have at least 10 characters")
    user = UserStore(_recount_store(db).engine).add_user(
        username, hash_password(password), role, county, actor="command line"
    )
    console.print(f"added {user.username} ({user.role.value}{', ' + county if county else ''})")


@log_app.command("verify")
@user_errors
def verify_log(
    db: str | None = DbOption,
    head: str | None = typer.Option(None, help="A head hash published earlier, to check against."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Recompute the activity log's hash chain and check every tally against it."""
    result = _recount_store(db).verify_log(expected_head=head)
    chain = result.chain
    if as_json:
        print_json(
            {
                "intact": result.intact,
                "entries_checked": chain.entries_checked,
                "head_hash": chain.head_hash,
                "first_break": chain.first_break,
                "reason": chain.reason,
                "altered_tallies": list(result.altered_sheets),
            }
        )
    elif result.intact:
        console.print(
            f"[green]The activity log verifies[/green]: {chain.entries_checked} entries, "
            f"head hash {chain.head_hash}"
        )
    else:
        if not chain.intact:
            console.print(f"[red]Broken at entry {chain.first_break}[/red]: {chain.reason}")
        for problem in result.altered_sheets:
            console.print(f"[red]Altered[/red]: {problem}", highlight=False)
    if not result.intact:
        raise typer.Exit(code=1)


@log_app.command("export")
@user_errors
def export_log(
    out: Path = typer.Argument(..., help="The JSON file to write."),
    db: str | None = DbOption,
) -> None:
    """Write the whole activity log with its head hash, for observers to keep."""
    entries = _recount_store(db).activity()
    body = {
        "head_hash": entries[-1].entry_hash if entries else None,
        "entries": [{**e.payload(), "entry_hash": e.entry_hash} for e in entries],
    }
    out.write_text(json.dumps(body, indent=1, default=str), encoding="utf-8")
    table = Table(show_header=False)
    table.add_row("entries", str(len(entries)))
    table.add_row("head hash", str(body["head_hash"]))
    table.add_row("written to", str(out))
    console.print(table)
