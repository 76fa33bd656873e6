"""Results commands: ``import``, ``inspect``, ``reconcile``, ``elections``, ``demo``.

A thin adapter: files are read by :mod:`papertally.io`, kept by :mod:`papertally.store`, compared
by :mod:`papertally.reconcile` and written up by :mod:`papertally.report`; this module only
parses options and prints. ``--json`` output is the stable interface documented in README.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from papertally.cli.common import (
    DbOption,
    WideOption,
    console,
    database_url,
    print_json,
    print_table,
    progress_bar,
    user_errors,
)
from papertally.errors import PapertallyError
from papertally.reconcile import (
    DEFAULT_LARGEST,
    DEFAULT_TOLERANCE_SHARE,
    DEFAULT_TOLERANCE_VOTES,
    Reconciliation,
    reconcile_election,
    reconcile_elections,
)
from papertally.types import ElectionId

if TYPE_CHECKING:
    from papertally.model import Election, ImportResult, ImportWarning
    from papertally.store import Store

WARNINGS_SHOWN = 20
"""How many import warnings the human-readable output lists before saying how many more."""
DEMO_DIR = "demo-output"


# ---------------------------------------------------------------------------------------------
# Shared pieces


def _read(
    paths: Sequence[Path], *, show_progress: bool = True, strict: bool = False
) -> ImportResult:
    """Read results files with a progress bar (see :func:`papertally.io.read_results`)."""
    from papertally.io import read_results

    with progress_bar("reading rows", show_progress) as progress:
        return read_results(list(paths), progress=progress, strict=strict)


def _open_store(db: str | None) -> Store:
    """Open (and migrate) the store at ``--db`` / ``$PAPERTALLY_DB`` / ``./papertally.db``."""
    from papertally.store import Store

    store = Store(database_url(db))
    store.migrate()
    return store


def _store_name(db: str | None) -> str:
    """Return the store's URL for display, its password (if any) masked."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url = database_url(db)
    try:
        return escape(make_url(url).render_as_string(hide_password=True))
    except ArgumentError:
        return escape(url)


def _warning_json(warning: ImportWarning) -> dict[str, Any]:
    where = warning.location
    return {
        "file": where.file,
        "sheet": where.sheet,
        "row": where.row,
        "column": where.column,
        "message": warning.message,
    }


def _print_errors(errors: Sequence[ImportWarning]) -> None:
    for error in errors:
        console.print(f"[red]left out:[/red] {escape(error.describe())}", highlight=False)


def _print_warnings(warnings: Sequence[ImportWarning]) -> None:
    if not warnings:
        return
    console.print(f"[yellow]{len(warnings)} warning(s):[/yellow]")
    for warning in warnings[:WARNINGS_SHOWN]:
        console.print(
            f"  [yellow]•[/yellow] {escape(warning.describe())}", highlight=False, soft_wrap=True
        )
    if len(warnings) > WARNINGS_SHOWN:
        console.print(f"  … and {len(warnings) - WARNINGS_SHOWN} more (see --json)")


def election_json(election: Election) -> dict[str, Any]:
    """Return what an election holds: contests, counts, units, counties, totals per choice."""
    contests = []
    for contest in election.contests.values():
        counts = []
        for count in election.counts_of(contest.name):
            totals = count.totals()
            counts.append(
                {
                    "name": count.name,
                    "status": str(count.status),
                    "reporting_units": len(count.units),
                    "total_votes": count.total_votes,
                    "totals": {c: totals.get(c, 0) for c in contest.choice_names()}
                    | {c: v for c, v in totals.items() if c not in contest.choice_names()},
                }
            )
        contests.append(
            {
                "name": contest.name,
                "office": contest.office,
                "district": contest.district,
                "votes_allowed": contest.votes_allowed,
                "choices": contest.choice_names(),
                "counts": counts,
            }
        )
    return {
        "election": election.name,
        "date": election.date.isoformat() if election.date else None,
        "state": election.state,
        "reporting_units": len(election.units),
        "counties": len(election.counties()),
        "contests": contests,
    }


def _print_election(election: Election) -> None:
    summary = election_json(election)
    console.print(
        f"[bold]{escape(election.name)}[/bold]"
        + (f" · {summary['date']}" if summary["date"] else "")
        + (f" · {escape(election.state)}" if election.state else ""),
        highlight=False,
    )
    console.print(
        f"{summary['reporting_units']:,} reporting units in {summary['counties']:,} counties, "
        f"{len(summary['contests'])} contest(s)"
    )
    for contest in summary["contests"]:
        table = Table(title=escape(contest["name"]), title_justify="left", title_style="bold")
        table.add_column("Choice")
        for count in contest["counts"]:
            table.add_column(
                f"{escape(count['name'])}\n({count['reporting_units']:,} units)", justify="right"
            )
        choices = list(dict.fromkeys(c for count in contest["counts"] for c in count["totals"]))
        for choice in choices:
            table.add_row(
                escape(choice),
                *(f"{count['totals'].get(choice, 0):,}" for count in contest["counts"]),
            )
        table.add_row(
            "[bold]Total[/bold]",
            *(f"[bold]{count['total_votes']:,}[/bold]" for count in contest["counts"]),
        )
        print_table(table, flexible=0)


# ---------------------------------------------------------------------------------------------
# import, inspect, elections


FilesArgument = typer.Argument(
    ...,
    exists=True,
    dir_okay=True,
    readable=True,
    help="Results files (.xls, .xlsx, .csv), or folders of them (one election's county files).",
)
JsonOption = typer.Option(False, "--json", help="Print JSON (stable keys, see README).")


@user_errors
def import_command(
    files: list[Path] = FilesArgument,
    db: str | None = DbOption,
    name: str | None = typer.Option(
        None, "--name", help="Name the election (default: from the files)."
    ),
    json_output: bool = JsonOption,
    strict: bool = typer.Option(
        False, "--strict", help="Refuse the files if any contest has conflicting figures."
    ),
) -> None:
    """Import results files into the store as one election; print its id, counts and warnings."""
    started = time.perf_counter()
    result = _read(files, show_progress=not json_output, strict=strict)
    with (
        progress_bar("writing to the store", not json_output),
        _open_store(db) as store,
    ):
        election_id = store.save_import(result, election_name=name)
    seconds = time.perf_counter() - started
    if json_output:
        print_json(
            {
                "election_id": election_id,
                "files": [
                    {"file": f, "format": fmt}
                    for f, fmt in zip(result.files, result.formats, strict=False)
                ],
                **election_json(result.election),
                "election": name or result.election.name,
                "warnings": [_warning_json(w) for w in result.warnings],
                "errors": [_warning_json(e) for e in result.errors],
                "seconds": round(seconds, 3),
            }
        )
        return
    console.print(
        f"[green]Imported[/green] election [bold]{election_id}[/bold] "
        f"from {len(result.files)} file(s) in {seconds:.1f} s into {_store_name(db)}",
        highlight=False,
        soft_wrap=True,
    )
    if name:
        result.election.name = name
    _print_election(result.election)
    _print_warnings(result.warnings)
    _print_errors(result.errors)


@user_errors
def inspect_command(files: list[Path] = FilesArgument, json_output: bool = JsonOption) -> None:
    """Show what the files hold: contests, counts, units, counties, totals, warnings; for cast
    vote records, what ``papertally cvr inspect`` shows."""
    from papertally.cli.cvr import holds_cvrs, inspect_cvrs

    try:
        result = _read(files, show_progress=not json_output)
    except PapertallyError:
        if not holds_cvrs(files):
            raise
        inspect_cvrs([str(f) for f in files], json_output, from_inspect=True)
        return
    if json_output:
        print_json(
            {
                "files": [
                    {"file": f, "format": fmt}
                    for f, fmt in zip(result.files, result.formats, strict=False)
                ],
                **election_json(result.election),
                "warnings": [_warning_json(w) for w in result.warnings],
                "errors": [_warning_json(e) for e in result.errors],
            }
        )
        return
    for file, fmt in zip(result.files, result.formats, strict=False):
        console.print(f"{escape(str(file))}: [cyan]{fmt}[/cyan]", highlight=False, soft_wrap=True)
    _print_election(result.election)
    _print_warnings(result.warnings)
    _print_errors(result.errors)


@user_errors
def elections_command(
    db: str | None = DbOption, json_output: bool = JsonOption, wide: bool = WideOption
) -> None:
    """List the elections in the store."""
    with _open_store(db) as store:
        summaries = store.list_elections()
    if json_output:
        print_json(
            [
                {
                    "id": s.id,
                    "name": s.name,
                    "date": s.date.isoformat() if s.date else None,
                    "state": s.state,
                    "contests": s.contests,
                    "reporting_units": s.units,
                    "counts": s.counts,
                    "created_at": s.created_at.isoformat(),
                }
                for s in summaries
            ]
        )
        return
    if not summaries:
        console.print(f"No elections in {_store_name(db)} yet: try [bold]papertally import[/bold].")
        return
    # At 80 columns the name keeps room: contests and counts, and the hour, need --wide.
    headings = ["Id", "Name", "Date", "State", *(["Contests"] if wide else []), "Units"]
    table = Table(*headings, *(["Counts"] if wide else []), "Imported")
    for s in summaries:
        table.add_row(
            str(s.id),
            escape(s.name),
            s.date.isoformat() if s.date else "",
            s.state or "",
            *([str(s.contests)] if wide else []),
            f"{s.units:,}",
            *([str(s.counts)] if wide else []),
            s.created_at.strftime("%Y-%m-%d %H:%M" if wide else "%Y-%m-%d"),
        )
    print_table(table, flexible=1, wide=wide)


# ---------------------------------------------------------------------------------------------
# reconcile


def _print_reconciliation(rec: Reconciliation, top: int, wide: bool = False) -> None:
    console.print(
        f"[bold]{escape(rec.contest)}[/bold]: {escape(rec.from_count)} → {escape(rec.to_count)}",
        highlight=False,
    )
    console.print(
        f"{rec.reporting_units:,} reporting units in {len(rec.counties)} counties; "
        f"{len(rec.changed_units):,} changed, {len(rec.flagged_units):,} flagged"
        + (
            f", {len(rec.only_in_before)} only in the {rec.from_count}"
            if rec.only_in_before
            else ""
        )
        + (f", {len(rec.only_in_after)} only in the {rec.to_count}" if rec.only_in_after else "")
    )
    totals = Table("Choice")
    for heading in (escape(rec.from_count), escape(rec.to_count), "Net change"):
        totals.add_column(heading, justify="right")
    for choice in rec.choices:
        totals.add_row(
            escape(choice),
            f"{rec.before.totals[choice]:,}",
            f"{rec.after.totals[choice]:,}",
            f"{rec.net_change[choice]:+,}",
        )
    totals.add_row(
        "[bold]Total[/bold]",
        f"{rec.before.total_votes:,}",
        f"{rec.after.total_votes:,}",
        f"{rec.after.total_votes - rec.before.total_votes:+,}",
    )
    console.print(totals)
    winner_before = ", ".join(rec.before.winners) + (" (tied)" if rec.before.tied else "")
    winner_after = ", ".join(rec.after.winners) + (" (tied)" if rec.after.tied else "")
    leaders = (
        f"{winner_after} in both counts"
        if winner_before == winner_after
        else f"{winner_before} in the {rec.from_count}, {winner_after} in the {rec.to_count}"
    )
    console.print(
        f"Margin {rec.before.margin:,} → {rec.after.margin:,} "
        f"({rec.after.margin - rec.before.margin:+,}); leading: {escape(leaders)}",
        highlight=False,
    )
    if rec.outcome_changed:
        console.print("[bold red]The outcome changed.[/bold red]")
    else:
        console.print("[bold green]The outcome stands.[/bold green]")
    largest = rec.largest_changes[:top]
    if largest:
        # Per-choice columns while they leave the unit name 24 columns, else the votes moved.
        per_choice = wide or console.width - sum(max(len(c), 7) + 3 for c in rec.choices) >= 50
        headings = [*map(escape, rec.choices)] if per_choice else ["Votes moved"]
        table = Table("County", "Reporting unit", title="Largest changes")
        for heading in (*headings, "Lead"):
            table.add_column(heading, justify="right")
        for u in largest:
            moved = [f"{u.change[c]:+,}" for c in rec.choices] if per_choice else [
                f"{u.votes_changed:,}"
            ]  # fmt: skip
            table.add_row(
                escape(u.unit.county),
                escape(u.unit.name) + (" ⚑" if u.flagged else ""),
                *moved,
                f"{u.margin_change:+,}",
            )
        print_table(table, flexible=1, wide=wide)
        if not per_choice:
            console.print("(--wide shows the change of every choice)", highlight=False)


@user_errors
def reconcile_command(
    files: list[Path] = typer.Argument(
        None,
        exists=True,
        dir_okay=False,
        readable=True,
        help="One file with both counts side by side, or two files: before, then after.",
    ),
    election_id: ElectionId | None = typer.Option(
        None, "--election", help="Reconcile a stored election instead of files."
    ),
    db: str | None = DbOption,
    contest: str | None = typer.Option(None, "--contest", help="Contest (default: the only one)."),
    from_count: str | None = typer.Option(
        None, "--from", help="Count to compare from (default: original canvass)."
    ),
    to_count: str | None = typer.Option(
        None, "--to", help="Count to compare to (default: recount)."
    ),
    json_output: bool = JsonOption,
    csv_out: Path | None = typer.Option(None, "--csv", help="Write per-unit differences here."),
    html_out: Path | None = typer.Option(None, "--html", help="Write the HTML report here."),
    tolerance_votes: int = typer.Option(
        DEFAULT_TOLERANCE_VOTES, min=0, help="Flag units whose votes moved by more than this."
    ),
    tolerance_share: float = typer.Option(
        DEFAULT_TOLERANCE_SHARE,
        min=0.0,
        help="Flag units whose votes moved by more than this share of their ballots.",
    ),
    top: int = typer.Option(10, min=0, help="How many of the largest changes to print."),
    wide: bool = WideOption,
    force: bool = typer.Option(
        False, "--force", help="Compare two files even if dates, contests or units differ."
    ),
) -> None:
    """Compare two counts of a contest unit by unit: what changed, where, does the outcome stand."""
    files = files or []
    options: dict[str, Any] = {
        "tolerance_votes": tolerance_votes,
        "tolerance_share": tolerance_share,
        "largest": max(top, DEFAULT_LARGEST),
    }
    if election_id is not None:
        if files:
            raise PapertallyError("give either results files or --election ID, not both")
        with _open_store(db) as store:
            election = store.load_election(election_id)
        sources = [f"election {election_id} in {_store_name(db)}"]
        rec = reconcile_election(election, contest, from_count, to_count, **options)
    elif len(files) == 1:
        election = _read(files, show_progress=not json_output).election
        sources = [str(files[0])]
        rec = reconcile_election(election, contest, from_count, to_count, **options)
    elif len(files) == 2:
        before = _read(files[:1], show_progress=not json_output).election
        after = _read(files[1:], show_progress=not json_output).election
        election = before
        sources = [str(f) for f in files]
        rec = reconcile_elections(
            before, after, contest, from_count, to_count, force=force, **options
        )
        if rec.from_count == rec.to_count:  # e.g. two canvass files: tell them apart by file
            rec = replace(
                rec,
                from_count=f"{rec.from_count} ({files[0].name})",
                to_count=f"{rec.to_count} ({files[1].name})",
            )
    else:
        raise PapertallyError(
            "give one results file (both counts side by side), two files (before, after), "
            f"or --election ID; got {len(files)} files"
        )
    written = []
    if csv_out is not None:
        from papertally.report import write_unit_differences_csv

        written.append(("CSV", write_unit_differences_csv(rec, csv_out)))
    if html_out is not None:
        from papertally.report import write_html_report

        written.append(
            (
                "Report",
                write_html_report(
                    rec,
                    html_out,
                    election_name=election.name,
                    sources=sources,
                    generated_at=datetime.now(UTC),
                ),
            )
        )
    if json_output:
        print_json(rec.to_json())
        return
    for warning in rec.warnings:
        console.print(f"[bold red]Not comparable:[/bold red] {escape(warning)}", highlight=False)
    _print_reconciliation(rec, top, wide)
    for what, path in written:
        console.print(f"{what}: {escape(str(path))}", highlight=False, soft_wrap=True)


# ---------------------------------------------------------------------------------------------
# demo


@user_errors
def demo_command(
    db: str | None = DbOption,
    out: Path = typer.Option(
        Path(DEMO_DIR), "--out", file_okay=False, help="Folder for the files and the report."
    ),
    seed: int = typer.Option(2011, "--seed", help="Seed of the synthetic election."),
    units: int = typer.Option(3600, "--units", min=1, help="Reporting units in the state."),
    counties: int = typer.Option(72, "--counties", min=1, help="Counties in the state."),
    file_format: str = typer.Option(
        "xlsx", "--format", help="Results file to write: xlsx, or csv (faster for huge states)."
    ),
) -> None:
    """Make a synthetic statewide recount, import it, reconcile it and write the report.

    The election goes through the real path: written as a WEC ward-by-ward recount report, read
    back by the importer, saved in the store, loaded, reconciled, reported.
    """
    from papertally.demo import generate_statewide_election
    from papertally.io import write_wec_report
    from papertally.report import write_html_report, write_unit_differences_csv

    if file_format not in ("xlsx", "csv"):
        raise PapertallyError(f"--format must be xlsx or csv, not {file_format!r}")
    started = time.perf_counter()
    with console.status("generating the synthetic state"):
        election = generate_statewide_election(seed, counties, units)
        day = election.date.isoformat() if election.date else "undated"
        results_file = out / f"{day}_statewide-recount_seed{seed}.{file_format}"
        write_wec_report(election, results_file)
    console.print(
        f"Generated {len(election.units):,} reporting units in {counties} counties "
        f"(seed {seed}): {escape(str(results_file))}",
        highlight=False,
        soft_wrap=True,
    )
    result = _read([results_file])
    with _open_store(db) as store:
        election_id = store.save_import(result, election_name=election.name)
        stored = store.load_election(election_id)
    console.print(
        f"Imported as election {election_id} into {_store_name(db)}",
        highlight=False,
        soft_wrap=True,
    )
    _print_warnings(result.warnings)
    rec = reconcile_election(stored)
    html = write_html_report(
        rec,
        out / "reconciliation.html",
        election_name=stored.name,
        sources=[f"election {election_id} in {_store_name(db)}", str(results_file)],
        generated_at=datetime.now(UTC),
    )
    table = write_unit_differences_csv(rec, out / "unit-differences.csv")
    _print_reconciliation(rec, top=5)
    console.print(f"Report: [bold]{escape(str(html))}[/bold]", highlight=False, soft_wrap=True)
    console.print(f"Per-unit differences: {escape(str(table))}", highlight=False, soft_wrap=True)
    console.print(
        f"Try: papertally reconcile --election {election_id}"
        + (f" --db {escape(db)}" if db else "")
        + f"   (done in {time.perf_counter() - started:.1f} s)",
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add the results commands to the top-level ``app``."""
    app.command("import")(import_command)
    app.command("inspect")(inspect_command)
    app.command("reconcile")(reconcile_command)
    app.command("elections")(elections_command)
    app.command("demo")(demo_command)
