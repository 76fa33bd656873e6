"""``papertally cvr inspect | tally | check | manifest``: cast vote records before an audit.

Thin adapters over :mod:`papertally.io.cvr` (every vendor's export into one card model) and its
pre-sample checks (:mod:`papertally.io.cvr.checks`). Files are given as ``[COUNTY=]FILE``; a
file named as Arlo names uploads (``County - cvrs.csv``) belongs to that county, any other to
one county called ``all``. Exit status: 0, 1 when ``check`` finds a mismatch, 2 on bad input.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from papertally.cli.common import console, print_json, user_errors
from papertally.errors import PapertallyError

if TYPE_CHECKING:
    from papertally.io.cvr import Finding
    from papertally.model.cards import CardCollection
    from papertally.model.results import ContestCount

app = typer.Typer(
    help="Cast vote records: cards, contests, tallies, pre-sample checks.", no_args_is_help=True
)
FilesArgument = typer.Argument(..., help="CVR exports (files, zips or folders) as [COUNTY=]FILE.")
JsonOption = typer.Option(False, "--json", help="Print JSON instead of text.")
ALL = "all"
"""The county of files given without one and not named ``County - ...``."""


def parse_located(argument: str) -> tuple[str | None, Path]:
    """Split ``[COUNTY=]PATH`` into the county (if given) and the path."""
    if "=" in argument and not Path(argument).exists():
        county, _, path = argument.partition("=")
        if county.strip() and path.strip():
            return county.strip(), Path(path.strip())
    return None, Path(argument)


def _county(given: str | None, path: Path) -> str:
    if given:
        return given
    stem = path.stem
    return stem.split(" - ", 1)[0].strip() if " - " in stem else ALL


def read_counties(arguments: Sequence[str]) -> dict[str, CardCollection]:
    """Read the CVR files of each county into one collection per county (in given order)."""
    from papertally.io.cvr import read_cvrs

    grouped: dict[str, list[Path]] = {}
    for argument in arguments:
        given, path = parse_located(argument)
        if not path.exists():
            raise PapertallyError(f"{path}: no such file or folder")
        grouped.setdefault(_county(given, path), []).append(path)
    return {county: read_cvrs(paths, name=county) for county, paths in grouped.items()}


def inspect_json(counties: dict[str, CardCollection]) -> dict[str, Any]:
    """Return what the CVRs hold: cards, files, contests, batches, counting groups, per county."""
    result: dict[str, Any] = {"counties": {}}
    for county, collection in counties.items():
        phantoms = sum(1 for card in collection if card.is_phantom)
        with_contest = collection.cards_with_contest()
        contests: dict[str, Any] = {}
        for definition in collection.contests:
            entry = contests.setdefault(
                definition.name,
                {
                    "votes_allowed": definition.votes_allowed,
                    "ranked": definition.is_ranked,
                    "cards": with_contest.get(definition.name, 0),
                    "choices": [],
                },
            )
            for code in definition.choices:
                name = collection.choices[code].name
                if name not in entry["choices"]:
                    entry["choices"].append(name)
        result["counties"][county] = {
            "cards": len(collection) - phantoms,
            "phantoms": phantoms,
            "files": [
                {"path": s.path, "format": s.format, "version": s.version, "sha256": s.sha256}
                for s in collection.sources
            ],
            "contests": contests,
            "tabulators": len({t for t, _ in collection.batch_counts()}),
            "batches": len(collection.batch_counts()),
            "counting_groups": sorted(set(collection.unit_names("counting group"))),
        }
    result["cards"] = sum(c["cards"] for c in result["counties"].values())
    return result


def tally_json(counties: dict[str, CardCollection], contest: str | None) -> dict[str, Any]:
    """Return each contest's votes in all, by county and by counting group (CVRs' tally)."""
    contests: dict[str, Any] = {}
    for county, collection in counties.items():
        for count in collection.contest_counts(county, by="counting group"):
            if contest is not None and count.contest != contest:
                continue
            entry = contests.setdefault(
                count.contest, {"total": {}, "by_county": {}, "by_counting_group": {}}
            )
            mine = entry["by_county"].setdefault(county, {})
            for unit, tally in count.units.items():
                group = unit.split("|", 1)[-1]
                per_group = entry["by_counting_group"].setdefault(group, {})
                for choice, votes in tally.votes.items():
                    for target in (entry["total"], mine, per_group):
                        target[choice] = target.get(choice, 0) + votes
    if contest is not None and contest not in contests:
        from papertally.errors import closest_match_hint

        known = sorted({n for c in counties.values() for n in c.contest_names()})
        raise PapertallyError(
            f"no CVR shows the contest {contest!r}{closest_match_hint(contest, known)}"
        )
    return {"contests": contests}


def check_json(
    counties: dict[str, CardCollection],
    manifests: Sequence[str],
    canvass: Path | None = None,
    ballots_cast: int | None = None,
) -> dict[str, Any]:
    """Return the pre-sample checks' findings: CVRs per batch against each county's manifest,
    CVRs claiming the same card, the CVRs' tally against the canvass (its original count of
    each contest), and the manifests' total against an independent count of ballots cast."""
    from papertally.io.cvr import (
        check_batches,
        check_cards_unique,
        check_manifest_total,
        check_tallies,
    )
    from papertally.io.manifests import parse_manifest_argument, read_manifest

    by_county: dict[str, Any] = {}
    for argument in manifests:
        given, path = parse_manifest_argument(argument)
        county = _county(given, path) if given or " - " in path.stem else None
        if county is None:
            if len(counties) != 1:
                raise PapertallyError(
                    f"{path.name}: say which county this manifest is for, as COUNTY={path}"
                )
            county = next(iter(counties))
        if county not in counties:
            raise PapertallyError(f"{path.name}: no CVRs were given for the county {county!r}")
        by_county[county] = read_manifest(path, county)
    findings = []
    for county, collection in counties.items():
        found = check_cards_unique(collection)
        manifest = by_county.get(county)
        if manifest is not None:
            counts = {(b.tabulator or "", b.name): b.ballots for b in manifest.batches}
            found = check_batches(collection, counts) + found
        findings += [_finding(county, f) for f in found]
    checked = {
        county: ["batches against the manifest"] * (county in by_county) + ["unique cards"]
        for county in counties
    }
    if canvass is not None:
        findings += [_finding(ALL, f) for f in check_tallies(_merged(counties), _canvass(canvass))]
        checked[ALL] = [*checked.get(ALL, []), f"tallies against {canvass.name}"]
    if ballots_cast is not None:
        if len(by_county) != len(counties):
            raise PapertallyError("--ballots-cast needs every county's manifest (--manifest)")
        frame = {
            f"{county} / {batch.tabulator or ''} / {batch.name}": batch.ballots
            for county, manifest in by_county.items()
            for batch in manifest.batches
        }
        findings += [
            _finding(ALL, f) for f in check_manifest_total(frame, ballots_cast, "--ballots-cast")
        ]
        checked[ALL] = [*checked.get(ALL, []), "manifest total against --ballots-cast"]
    return {"checked": checked, "findings": findings}


def _finding(county: str, finding: Finding) -> dict[str, Any]:
    return {
        "county": county,
        "check": str(finding.check),
        "subject": finding.subject,
        "expected": finding.expected,
        "found": finding.found,
        "message": finding.message,
    }


def _merged(counties: dict[str, CardCollection]) -> CardCollection:
    """Return every county's CVRs in one collection (a fresh one where there are several)."""
    from papertally.model.cards import CardCollection

    if len(counties) == 1:
        return next(iter(counties.values()))
    merged = CardCollection(ALL)
    for collection in counties.values():
        merged.extend(collection)
    return merged


def _canvass(path: Path) -> list[ContestCount]:
    """Return the canvass's original count of each contest (its first count where it has no
    count called the original canvass)."""
    from papertally.io import read_results
    from papertally.model.results import ORIGINAL_CANVASS

    election = read_results([path]).election
    counts = []
    for contest in dict.fromkeys(c.contest for c in election.counts):
        mine = election.counts_of(contest)
        counts.append(next((c for c in mine if c.name == ORIGINAL_CANVASS), mine[0]))
    return counts


def write_manifest(counties: dict[str, CardCollection], path: Path) -> int:
    """Write a ballot manifest derived from the CVRs' tabulator and batch ids; return its rows.

    Written through a temporary file, so nothing is left half-written.
    """
    target = path.resolve()
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    except OSError as error:
        raise PapertallyError(f"cannot write {path}: {error.strerror or error}") from None
    rows = 0
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out, lineterminator="\n")
            several = len(counties) > 1
            writer.writerow(
                ["Jurisdiction"] * several + ["Tabulator", "Batch Name", "Number of Ballots"]
            )
            for county, collection in counties.items():
                for (tabulator, batch), cards in collection.batch_counts().items():
                    writer.writerow([county] * several + [tabulator, batch, cards])
                    rows += 1
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise PapertallyError(f"cannot write {path}: {error.strerror or error}") from None
    return rows


def _show_inspect(data: dict[str, Any]) -> None:
    for county, info in data["counties"].items():
        formats = ", ".join(sorted({f["format"] for f in info["files"]}))
        console.print(
            f"[bold]{county}[/bold]: {info['cards']:,} cards ({info['phantoms']} phantoms) in "
            f"{len(info['files'])} file(s), {formats}; {info['tabulators']} tabulator(s), "
            f"{info['batches']} batch(es); counting groups: {', '.join(info['counting_groups'])}",
            highlight=False,
        )
        for name, contest in info["contests"].items():
            allowed = contest["votes_allowed"]
            console.print(
                f"  {name}: {contest['cards']:,} cards, vote for {allowed or '?'}"
                + (", ranked" if contest["ranked"] else "")
                + f"; choices: {', '.join(contest['choices'])}",
                markup=False,
                highlight=False,
            )


def _show_tally(data: dict[str, Any]) -> None:
    for name, contest in data["contests"].items():
        console.print(f"[bold]{name}[/bold]", highlight=False)
        for label, tally in (
            [("total", contest["total"])]
            + [(f"county {c}", t) for c, t in contest["by_county"].items()]
            + [(f"counting group {g}", t) for g, t in contest["by_counting_group"].items()]
        ):
            votes = ", ".join(f"{choice} {n:,}" for choice, n in tally.items())
            console.print(f"  {label}: {votes}", markup=False, highlight=False)


def register(root: typer.Typer) -> None:
    """Add the ``cvr`` group to the ``papertally`` command."""
    root.add_typer(app, name="cvr")


@app.command("inspect")
@user_errors
def inspect(files: list[str] = FilesArgument, as_json: bool = JsonOption) -> None:
    """Cards, files, contests (votes allowed, choices), batches and counting groups."""
    data = inspect_json(read_counties(files))
    if as_json:
        print_json(data)
    else:
        _show_inspect(data)


@app.command("tally")
@user_errors
def tally(
    files: list[str] = FilesArgument,
    contest: str | None = typer.Option(None, "--contest", help="Only this contest."),
    as_json: bool = JsonOption,
) -> None:
    """Votes per contest and choice: in all, by county and by counting group."""
    data = tally_json(read_counties(files), contest)
    if as_json:
        print_json(data)
    else:
        _show_tally(data)


@app.command("check")
@user_errors
def check(
    files: list[str] = FilesArgument,
    manifest: list[str] = typer.Option(
        [], "--manifest", "-m", help="Ballot manifest as [COUNTY=]FILE; repeat per county."
    ),
    canvass: Path | None = typer.Option(
        None, "--canvass", help="Results file whose counts the CVRs' tally must equal."
    ),
    ballots_cast: int | None = typer.Option(
        None, "--ballots-cast", min=0, help="Ballots cast by an independent count (poll books)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Pre-sample checks: CVRs per batch against the manifest, no two CVRs for one card, the
    CVRs' tally against the canvass, the manifests' total against the ballots cast.

    Exit status 1 when a check finds a mismatch.
    """
    data = check_json(read_counties(files), manifest, canvass, ballots_cast)
    if as_json:
        print_json(data)
    else:
        for county, checks in data["checked"].items():
            console.print(f"{county}: checked {', '.join(checks)}", highlight=False)
        for finding in data["findings"]:
            console.print(f"  {finding['county']}: {finding['message']}", markup=False)
        console.print(f"{len(data['findings'])} finding(s)", highlight=False)
    if data["findings"]:
        raise typer.Exit(code=1)


@app.command("manifest")
@user_errors
def manifest(
    files: list[str] = FilesArgument,
    csv_out: Path = typer.Option(..., "--csv", help="Where to write the manifest."),
) -> None:
    """Write a ballot manifest counted from the CVRs' tabulator and batch ids.

    Only for trying the tools: a real audit needs the manifest the county made by counting its
    paper, independently of the CVRs, or the audit cannot find CVRs without paper.
    """
    rows = write_manifest(read_counties(files), csv_out)
    console.print(
        f"{rows} batch(es) written to {csv_out} (counted from the CVRs, not from the paper)",
        highlight=False,
    )
