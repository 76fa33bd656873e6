"""``papertally audit sample``: draw the audit's ballots from a public seed and ballot manifests.

A thin adapter: manifests are read by :mod:`papertally.io.manifests`, ballots drawn by
:mod:`papertally.audit.sampling`; this module parses options and prints a Rich table, JSON
(``--json``, the stable interface) or a retrieval-list CSV (``--csv``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from papertally.audit.sampling_method import SamplingMethod
from papertally.cli.common import console, print_json, user_errors
from papertally.csv_safe import csv_writer
from papertally.errors import PapertallyError

if TYPE_CHECKING:
    from papertally.audit.sampling import Sample

ROWS_SHOWN = 1000
"""How many retrieval-list rows the terminal table shows before pointing to ``--csv``."""
CSV_COLUMNS = (
    "Jurisdiction",
    "Container",
    "Tabulator",
    "Batch Name",
    "Ballot Number",
    "Ticket Numbers",
    "Times Drawn",
    "Draw Numbers",
)


def sample_json(sample: Sample, files: list[str]) -> dict[str, Any]:
    """Return the sample as the JSON document ``--json`` prints."""
    manifest = sample.manifest
    batches = manifest.batches_by_jurisdiction()
    return {
        "seed": sample.seed,
        "method": str(sample.method),
        "with_replacement": sample.with_replacement,
        "manifest": {
            "files": files,
            "ballots": manifest.total_ballots,
            "batches": len(manifest),
            "jurisdictions": {
                name: {"ballots": ballots, "batches": batches[name]}
                for name, ballots in manifest.ballots_by_jurisdiction().items()
            },
        },
        "draws": [
            {
                "sequence": d.sequence,
                "ticket": d.ticket,
                "jurisdiction": d.batch.jurisdiction,
                "container": d.batch.container,
                "tabulator": d.batch.tabulator,
                "batch": d.batch.name,
                "position": d.location.position,
                "times_drawn": d.times_drawn,
                "repeat": d.is_repeat,
            }
            for d in sample.draws
        ],
        "distinct_ballots": sample.distinct_ballots,
        "retrieval": {
            county: [
                {
                    "container": e.batch.container,
                    "tabulator": e.batch.tabulator,
                    "batch": e.batch.name,
                    "position": e.position,
                    "tickets": list(e.tickets),
                    "draws": list(e.sequences),
                    "times_drawn": e.times_drawn,
                }
                for e in entries
            ]
            for county, entries in sample.retrieval_list().items()
        },
    }


def write_retrieval_csv(sample: Sample, path: Path) -> None:
    """Write the retrieval list as CSV, via a temporary file so nothing is left half-written."""
    target = path.resolve()
    try:
        handle, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
    except OSError as error:
        raise PapertallyError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as out:
            writer = csv_writer(out)
            writer.writerow(CSV_COLUMNS)
            for county, entries in sample.retrieval_list().items():
                for e in entries:
                    writer.writerow(
                        (
                            county,
                            e.batch.container or "",
                            e.batch.tabulator or "",
                            e.batch.name,
                            e.position,
                            ", ".join(e.tickets),
                            e.times_drawn,
                            ", ".join(str(s) for s in e.sequences),
                        )
                    )
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise PapertallyError(f"cannot write {path}: {error.strerror or error}") from None


def print_sample(sample: Sample) -> None:
    """Print a summary and the retrieval list as a Rich table."""
    from rich.table import Table

    manifest = sample.manifest
    replacement = "with" if sample.with_replacement else "without"
    first = sample.draws[0].sequence if sample.draws else 0
    last = sample.draws[-1].sequence if sample.draws else 0
    console.print(
        f"[bold]{len(sample.draws)}[/] draws (numbers {first}–{last}), "
        f"{sample.distinct_ballots} distinct ballots, {sample.method} sampling {replacement} "
        f"replacement, seed {sample.seed}, from {manifest.total_ballots:,} ballots in "
        f"{len(manifest):,} batches of {len(manifest.jurisdictions)} jurisdiction(s)",
        highlight=False,
    )
    shown = 0
    total = 0
    for county, entries in sample.retrieval_list().items():
        total += len(entries)
        rows = entries[: max(0, ROWS_SHOWN - shown)]
        if not rows:
            continue
        shown += len(rows)
        has_container = any(e.batch.container is not None for e in entries)
        has_tabulator = any(e.batch.tabulator is not None for e in entries)
        table = Table(title=f"Ballots to retrieve: {county}", title_justify="left")
        if has_container:
            table.add_column("Container")
        if has_tabulator:
            table.add_column("Tabulator")
        table.add_column("Batch")
        table.add_column("Position", justify="right")
        table.add_column("Ticket numbers", no_wrap=True)
        table.add_column("Times drawn", justify="right")
        for e in rows:
            cells = [e.batch.container or ""] if has_container else []
            cells += [e.batch.tabulator or ""] if has_tabulator else []
            cells += [e.batch.name, str(e.position), "\n".join(e.tickets), str(e.times_drawn)]
            table.add_row(*cells)
        console.print(table)
    if total > shown:
        console.print(f"… {total - shown} more ballots: use --csv FILE or --json for all of them")


def register(app: typer.Typer) -> None:
    """Add the ``sample`` command to the ``audit`` group."""

    @app.command("sample")
    @user_errors
    def sample(
        seed: str = typer.Option(
            ..., "--seed", help="The public random seed: at least 20 digits rolled with dice."
        ),
        manifest: list[str] = typer.Option(
            ...,
            "--manifest",
            "-m",
            help="Ballot manifest CSV or Excel file, as [JURISDICTION=]FILE; repeat per county.",
        ),
        size: int | None = typer.Option(
            None,
            "--size",
            "-n",
            min=1,
            help="How many ballots to draw (with --cvrs, default: round 1 of the audit).",
        ),
        method: SamplingMethod = typer.Option(
            SamplingMethod.CONSISTENT,
            "--method",
            help="consistent: Rivest's consistent sampler (as Arlo); prng: Stark's SHA-256 PRNG.",
        ),
        with_replacement: bool = typer.Option(
            False, "--with-replacement", help="Sample with replacement (a ballot may repeat)."
        ),
        already_drawn: int = typer.Option(
            0,
            "--already-drawn",
            min=0,
            help="Draws made in earlier rounds; this round continues after them.",
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the sample as JSON."),
        csv_out: Path | None = typer.Option(
            None, "--csv", help="Also write the retrieval list to this CSV file."
        ),
        cvrs: list[str] = typer.Option(
            [],
            "--cvrs",
            help="CVR exports as [COUNTY=]FILE: draw round 1 of a comparison audit as the app.",
        ),
        risk_limit: float = typer.Option(
            0.05, "--risk-limit", help="With --cvrs: the risk limit that sizes round 1."
        ),
        contest: list[str] = typer.Option(
            [], "--contest", help="With --cvrs: a contest to audit (default: every one)."
        ),
        contest_winners: list[str] = typer.Option(
            [],
            "--contest-winners",
            help="With --cvrs: CONTEST=K seats (default: its votes allowed).",
        ),
    ) -> None:
        """Draw a reproducible random sample of ballots and list where to find them.

        With --cvrs, round 1 of a ballot-comparison audit: the contests fixed from the CVRs'
        tally, the size the engine gives (or --size), the same draw as the web app's.
        """
        if cvrs:
            if method is not SamplingMethod.CONSISTENT or with_replacement or already_drawn:
                raise PapertallyError(
                    "with --cvrs the sample is drawn as the app draws it (consistent sampler, "
                    "no replacement, from draw 1): leave out --method, --with-replacement and "
                    "--already-drawn"
                )
            from papertally.cli.audit_cvr import sample_command

            sample_command(
                seed=seed,
                cvrs=cvrs,
                manifests=manifest,
                size=size,
                risk_limit=risk_limit,
                contests=contest,
                winners=contest_winners,
                as_json=as_json,
                csv_out=csv_out,
            )
            return
        if size is None:
            raise PapertallyError("give --size, the number of ballots to draw (or --cvrs)")
        from papertally.audit.sampling import draw_sample
        from papertally.io.manifests import parse_manifest_argument, read_manifests

        parsed = [parse_manifest_argument(argument) for argument in manifest]
        combined = read_manifests(parsed)
        result = draw_sample(
            combined,
            seed,
            size,
            method=method,
            with_replacement=with_replacement,
            already_drawn=already_drawn,
        )
        if csv_out is not None:
            write_retrieval_csv(result, csv_out)
        if as_json:
            print_json(sample_json(result, [str(path) for _, path in parsed]))
        else:
            print_sample(result)
            if csv_out is not None:
                console.print(f"retrieval list written to {csv_out}", highlight=False)
