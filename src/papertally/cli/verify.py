"""``papertally verify EXPORT.zip``: recompute an audit from its public export and compare."""

from __future__ import annotations

from pathlib import Path

import typer

from papertally.cli.common import (
    WideOption,
    console,
    err_console,
    print_json,
    print_table,
    progress_bar,
    user_errors,
)


@user_errors
def verify(
    export: Path = typer.Argument(..., help="The audit's public export (a .zip from the app)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    wide: bool = WideOption,
) -> None:
    """Recompute the sample and every risk measurement of an audit export; exit 1 on a mismatch.

    Checks the files against SHA256SUMS.txt and the hashes published before the seed, redraws
    the sample from the seed, and measures every round's risk again from the audit-board records
    and the CVRs in the zip. The first mismatch is named.
    """
    from rich.table import Table

    from papertally.verify import verify_export

    with progress_bar(f"verifying {export.name}", not as_json):
        result = verify_export(export)
    if as_json:
        print_json(result.to_json())
    else:
        table = Table("check", "result", "detail")
        for check in result.checks:
            table.add_row(
                check.name,
                "[green]matches[/green]" if check.ok else "[bold red]MISMATCH[/bold red]",
                check.detail,
            )
        print_table(table, flexible=2, wide=wide)
        first = result.first_mismatch
        if first is None:
            console.print(f"[green]verified:[/green] {export.name} matches in every check")
        else:
            err_console.print(f"[bold red]mismatch:[/bold red] {first.name}: {first.detail}")
    if not result.ok:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add ``verify`` to the top-level ``app``."""
    app.command()(verify)
