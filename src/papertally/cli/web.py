"""Commands of the recount app: ``serve``, ``user add|list|disable|enable|reset-password``,
``log verify``, ``log baseline`` and ``log export``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from papertally.cli.common import DbOption, console, database_url, print_json, user_errors
from papertally.errors import PapertallyError
from papertally.model.recount import Role
from papertally.store.defaults import DB_ENV

if TYPE_CHECKING:
    from papertally.store.recounts import RecountStore
    from papertally.store.users import UserStore

user_app = typer.Typer(help="Accounts of the recount app.", no_args_is_help=True)
log_app = typer.Typer(help="The tamper-evident activity log.", no_args_is_help=True)

MISMATCHES_SHOWN = 20
"""How many state mismatches ``log verify`` prints (``--json`` gives them all)."""


def _recount_store(db: str | None) -> RecountStore:
    from papertally.store import Store
    from papertally.store.recounts import RecountStore

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
    https_only: bool = typer.Option(
        False,
        "--https-only",
        help="Served over HTTPS (usually behind a proxy): Secure cookies and HSTS.",
    ),
    trusted_proxies: str | None = typer.Option(
        None,
        help="Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For "
        "and X-Forwarded-Proto are believed; default $PAPERTALLY_TRUSTED_PROXIES.",
    ),
) -> None:
    """Run the recount web app on the store (migrated on start)."""
    import os

    import uvicorn

    from papertally.store import Store
    from papertally.web.headers import HTTPS_ONLY_ENV
    from papertally.web.security import TRUSTED_PROXIES_ENV
    from papertally.web.security import trusted_proxies as parse_proxies

    url = database_url(db)
    Store(url).migrate()
    os.environ[DB_ENV] = url
    if workers > 1 and not os.environ.get("PAPERTALLY_SECRET_KEY"):
        raise PapertallyError(
            "several workers must share a session key: set $PAPERTALLY_SECRET_KEY first"
        )
    if trusted_proxies is not None:
        parse_proxies(trusted_proxies)
        os.environ[TRUSTED_PROXIES_ENV] = trusted_proxies
    if https_only:
        os.environ[HTTPS_ONLY_ENV] = "1"
    scheme = "https" if https_only else "http"
    console.print(
        f"papertally serving {Store(url).url} on {scheme}://{host}:{port}/", highlight=False
    )
    uvicorn.run(
        "papertally.web.main:app",
        host=host,
        port=port,
        workers=workers,
        timeout_keep_alive=keep_alive,
        log_level="warning",
    )


def _user_store(db: str | None) -> UserStore:
    from papertally.store.users import UserStore

    return UserStore(_recount_store(db).engine)


def _new_password_hash(password: str) -> str:
    from papertally.web.security import hash_password, password_problem

    problem = password_problem(password)
    if problem is not None:
        raise PapertallyError(problem)
    return hash_password(password)


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
    """Create an account (the first administrator is created this way). A clerk's or board
    member's county must be one the store knows, as on the users page."""
    county = (county or "").strip() or None
    if county is not None and role in (Role.CLERK, Role.BOARD):
        _recount_store(db).check_known_county(county)
    user = _user_store(db).add_user(
        username, _new_password_hash(password), role, county, actor="command line"
    )
    console.print(
        f"added {user.username} ({user.role.value}{', ' + county if county else ''})",
        highlight=False,
    )


@user_app.command("list")
@user_errors
def list_users(
    db: str | None = DbOption,
    as_json: bool = typer.Option(False, "--json", help="Print the users as JSON."),
) -> None:
    """List every account, disabled ones included."""
    users = _user_store(db).users()
    if as_json:
        print_json(
            [
                {
                    "id": u.id,
                    "username": u.username,
                    "role": u.role.value,
                    "county": u.county,
                    "disabled": u.disabled,
                }
                for u in users
            ]
        )
        return
    table = Table("id", "user", "role", "county", "status")
    for u in users:
        status = "disabled" if u.disabled else "active"
        table.add_row(str(u.id), u.username, u.role.value, u.county or "", status)
    console.print(table)


@user_app.command("disable")
@user_errors
def disable_user(
    username: str = typer.Argument(..., help="The user to disable."),
    db: str | None = DbOption,
) -> None:
    """Disable an account: it cannot sign in, and every session of it ends."""
    store = _user_store(db)
    store.set_disabled(store.user_named(username).id, True, actor="command line")
    console.print(f"disabled {username}", highlight=False)


@user_app.command("enable")
@user_errors
def enable_user(
    username: str = typer.Argument(..., help="The user to re-enable."),
    db: str | None = DbOption,
) -> None:
    """Re-enable a disabled account."""
    store = _user_store(db)
    store.set_disabled(store.user_named(username).id, False, actor="command line")
    console.print(f"enabled {username}", highlight=False)


@user_app.command("reset-password")
@user_errors
def reset_password(
    username: str = typer.Argument(..., help="The user whose password is reset."),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="At least 10 characters."
    ),
    db: str | None = DbOption,
) -> None:
    """Set a new password for an account; every session of it ends."""
    store = _user_store(db)
    user = store.user_named(username)
    ended = store.set_password(
        user.id, _new_password_hash(password), actor="command line", reset=True
    )
    console.print(f"password of {username} reset; {ended} session(s) ended", highlight=False)


@log_app.command("verify")
@user_errors
def verify_log(
    db: str | None = DbOption,
    head: str | None = typer.Option(None, help="A head hash published earlier, to check against."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Recompute the activity log's hash chain and check every stored row against it."""
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
                "baseline_needed": result.predates_integrity,
                "mismatches": [
                    {
                        "table": m.table,
                        "row": m.key,
                        "column": m.column,
                        "entry": m.sequence,
                        "message": m.message,
                    }
                    for m in result.mismatches
                ],
            }
        )
    elif result.intact:
        console.print(
            f"[green]The activity log verifies[/green]: {chain.entries_checked} entries, "
            f"head hash {chain.head_hash}; every stored row matches what it logged"
        )
    else:
        if not chain.intact:
            console.print(f"[red]Broken at entry {chain.first_break}[/red]: {chain.reason}")
        shown = result.mismatches[:MISMATCHES_SHOWN]
        for mismatch in shown:
            console.print(f"[red]Altered[/red]: {mismatch.message}", highlight=False)
        if len(result.mismatches) > len(shown):
            console.print(f"… and {len(result.mismatches) - len(shown)} more (see --json)")
        if result.predates_integrity:
            console.print(
                f"[yellow]Upgraded store[/yellow]: all {len(result.mismatches)} failures are "
                "rows from before the integrity log (migration 0007), which no entry covers; "
                "run `papertally log baseline` to record them as they are now",
                highlight=False,
                soft_wrap=True,
            )
    if not result.intact:
        raise typer.Exit(code=1)


@log_app.command("baseline")
@user_errors
def baseline_log(
    db: str | None = DbOption,
    actor: str = typer.Option("command line", help="Who records the baseline (kept in the log)."),
) -> None:
    """Record every row no log entry covers yet, in a store from before the integrity log.

    One entry of the main chain lists those rows (an election's canvass as its content hash),
    so that verify checks them from then on. It attests the state at this moment: a change made
    before it cannot be detected. Refused when there is nothing to record.
    """
    done = _recount_store(db).baseline(actor)
    table = Table("table", "rows covered")
    for name, number in done.covered.items():
        table.add_row(name, f"{number:,}")
    console.print(table)
    console.print(
        f"Baseline recorded as entry {done.entry.sequence} (hash {done.entry.entry_hash}): "
        f"it attests these {sum(done.covered.values()):,} rows as they are at "
        f"{done.entry.recorded_at:%Y-%m-%d %H:%M:%S} UTC; a change made to them before this "
        "moment cannot be detected",
        highlight=False,
        soft_wrap=True,
    )


@log_app.command("export")
@user_errors
def export_log(
    out: Path = typer.Argument(..., help="The JSON file to write."),
    db: str | None = DbOption,
) -> None:
    """Write the whole activity log with its head hash, for observers to keep.

    An anchor entry is appended first, so the head hash (the main chain's) vouches for every
    chain of the log as it stands.
    """
    store = _recount_store(db)
    head = store.anchor("command line")
    entries = store.activity()
    body = {
        "head_hash": head.entry_hash,
        "entries": [{**e.payload(), "entry_hash": e.entry_hash} for e in entries],
    }
    out.write_text(json.dumps(body, indent=1, default=str), encoding="utf-8")
    # Plain lines, not a table: the 64-digit head hash must never be wrapped or cut.
    console.print(f"entries: {len(entries):,}", highlight=False)
    console.print(f"head hash: {body['head_hash']}", highlight=False, soft_wrap=True)
    console.print(f"written to: {out}", highlight=False, markup=False, soft_wrap=True)
