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
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from papertally.cli.common import console, err_console, print_json, progress_bar, user_errors
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


def read_counties(
    arguments: Sequence[str],
    *,
    show_progress: bool = False,
    skipped: list[tuple[str, str]] | None = None,
) -> dict[str, CardCollection]:
    """Read the CVR files of each county into one collection per county (in given order).

    With ``skipped``, files of folders and zips that hold no CVRs (a README, a ballot
    manifest, images) are passed over and listed there instead of refused.
    """
    from papertally.io.cvr import read_cvrs

    grouped: dict[str, list[Path]] = {}
    for argument in arguments:
        given, path = parse_located(argument)
        if not path.exists():
            raise PapertallyError(f"{path}: no such file or folder")
        grouped.setdefault(_county(given, path), []).append(path)
    counties = {}
    for county, paths in grouped.items():
        label = "reading CVR files" + (f" of {county}" if county != ALL else "")
        with progress_bar(label, show_progress) as progress:
            counties[county] = read_cvrs(paths, name=county, skipped=skipped, progress=progress)
    return counties


def skipped_json(skipped: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Return the files passed over as ``{"file", "reason"}`` objects."""
    return [{"file": name, "reason": reason} for name, reason in skipped]


def show_skipped(skipped: list[tuple[str, str]], shown: int = 10) -> None:
    """Say which files of the folders and zips were passed over, and why (on stderr)."""
    if not skipped:
        return
    err_console.print(
        f"skipped {len(skipped):,} file(s) holding no CVRs:", highlight=False, markup=False
    )
    for name, reason in skipped[:shown]:
        err_console.print(f"  {name}: {reason}", highlight=False, markup=False)
    if len(skipped) > shown:
        err_console.print(f"  … and {len(skipped) - shown:,} more", highlight=False)


def inspect_json(counties: dict[str, CardCollection]) -> dict[str, Any]:
    """Return what the CVRs hold, per county: cards, sessions, files with their SHA-256,
    contests with their tallies, batches and counting groups; and the pre-sample checks that
    need no manifest (no two CVRs claim one card)."""
    result: dict[str, Any] = {"counties": {}}
    for county, collection in counties.items():
        phantoms = collection.phantom_count()
        with_contest = collection.cards_with_contest()
        tallies = collection.tallies()
        contests: dict[str, Any] = {}
        for definition in collection.contests:
            entry = contests.setdefault(
                definition.name,
                {
                    "votes_allowed": definition.votes_allowed,
                    "ranked": definition.is_ranked,
                    "cards": with_contest.get(definition.name, 0),
                    "choices": [],
                    "tally": tallies.get(definition.name, {}),
                },
            )
            for code in definition.choices:
                name = collection.choices[code].name
                if name not in entry["choices"]:
                    entry["choices"].append(name)
        result["counties"][county] = {
            "cards": len(collection) - phantoms,
            "sessions": collection.session_count(),
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
    result["checks"] = check_json(counties, [])
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


FILES_SHOWN = 10
"""How many files (with their SHA-256) the text of ``cvr inspect`` lists per county."""


def _show_inspect(data: dict[str, Any]) -> None:
    """Print the summary of :func:`inspect_json` in lines that fit 80 columns where they can."""
    for county, info in data["counties"].items():
        formats = ", ".join(sorted({f["format"] for f in info["files"]}))
        console.print(
            f"[bold]{county}[/bold]: {info['cards']:,} cards in {info['sessions']:,} sessions "
            f"({info['phantoms']} phantoms), {len(info['files'])} file(s), {formats}\n"
            f"  {info['tabulators']} tabulator(s), {info['batches']} batch(es); "
            f"counting groups: {', '.join(info['counting_groups'])}",
            highlight=False,
        )
        for name, contest in info["contests"].items():
            allowed = contest["votes_allowed"]
            votes = ", ".join(f"{choice} {n:,}" for choice, n in contest["tally"].items())
            votes = votes or "none"
            line = (
                f"  {name}: {contest['cards']:,} cards, vote for {allowed or '?'}"
                + (", ranked" if contest["ranked"] else "")
                + f"; votes: {votes}"
            )
            _print_wrapped(line)
        console.print("  files (SHA-256):", highlight=False)
        for file in info["files"][:FILES_SHOWN]:
            version = f" {file['version']}" if file["version"] else ""
            console.print(
                f"    {Path(file['path']).name}: {file['format']}{version}\n      {file['sha256']}",
                markup=False,
                highlight=False,
            )
        if len(info["files"]) > FILES_SHOWN:
            console.print(
                f"    … and {len(info['files']) - FILES_SHOWN:,} more (--json lists them all)",
                highlight=False,
            )
    checks = data["checks"]
    for county, checked in checks["checked"].items():
        found = [f for f in checks["findings"] if f["county"] == county]
        console.print(
            f"checks ({county}): {', '.join(checked)}: "
            + (f"{len(found)} finding(s)" if found else "no finding"),
            highlight=False,
        )
        for finding in found:
            console.print(f"  {finding['message']}", markup=False, highlight=False)
    console.print(
        "batches against the ballot manifest: papertally cvr check FILES -m MANIFEST",
        highlight=False,
        markup=False,
    )


def _print_wrapped(line: str) -> None:
    """Print a long line wrapped at the terminal's width, its continuation lines indented."""
    console.print(
        textwrap.fill(
            line, max(console.width, 40), subsequent_indent="      ", break_on_hyphens=False
        ),
        markup=False,
        highlight=False,
        soft_wrap=True,
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
            _print_wrapped(f"  {label}: {votes}")


def register(root: typer.Typer) -> None:
    """Add the ``cvr`` group to the ``papertally`` command."""
    root.add_typer(app, name="cvr")


def holds_cvrs(files: Sequence[Path]) -> bool:
    """Return whether the files (or folders, zips) hold cast vote records, by their content."""
    from papertally.errors import InputFileError
    from papertally.io.cvr.common import CVR_FORMATS
    from papertally.io.cvr.read import plan_files

    try:
        planned = plan_files(list(files), skipped=[])
    except InputFileError:
        return False
    return any(detected.format in CVR_FORMATS for _, detected in planned)


def inspect_cvrs(files: Sequence[str], as_json: bool, *, from_inspect: bool = False) -> None:
    """Read CVR exports and print their summary (``cvr inspect``, and ``inspect`` on CVRs).

    ``from_inspect``: called by the top-level ``inspect``, which says where the other CVR
    commands are.
    """
    skipped: list[tuple[str, str]] = []
    data = inspect_json(read_counties(files, show_progress=not as_json, skipped=skipped))
    if as_json:
        kind = {"kind": "cast vote records"} if from_inspect else {}
        print_json({**kind, **data, "skipped": skipped_json(skipped)})
        return
    if from_inspect:
        console.print(
            "cast vote records (as papertally cvr inspect; see also cvr tally, cvr check):",
            highlight=False,
            markup=False,
        )
    _show_inspect(data)
    show_skipped(skipped)


@app.command("inspect")
@user_errors
def inspect(files: list[str] = FilesArgument, as_json: bool = JsonOption) -> None:
    """Cards, sessions, files (SHA-256), contests (votes allowed, tallies), batches, counting
    groups, and the checks that need no manifest. Files of folders and zips that hold no
    CVRs (a README, images) are skipped and listed."""
    inspect_cvrs(files, as_json)


@app.command("tally")
@user_errors
def tally(
    files: list[str] = FilesArgument,
    contest: str | None = typer.Option(None, "--contest", help="Only this contest."),
    as_json: bool = JsonOption,
) -> None:
    """Votes per contest and choice: in all, by county and by counting group."""
    skipped: list[tuple[str, str]] = []
    data = tally_json(read_counties(files, show_progress=not as_json, skipped=skipped), contest)
    if as_json:
        print_json({**data, "skipped": skipped_json(skipped)})
    else:
        _show_tally(data)
        show_skipped(skipped)


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
    skipped: list[tuple[str, str]] = []
    counties = read_counties(files, show_progress=not as_json, skipped=skipped)
    data = check_json(counties, manifest, canvass, ballots_cast)
    if as_json:
        print_json({**data, "skipped": skipped_json(skipped)})
    else:
        show_skipped(skipped)
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
    skipped: list[tuple[str, str]] = []
    rows = write_manifest(read_counties(files, show_progress=True, skipped=skipped), csv_out)
    show_skipped(skipped)
    console.print(
        f"{rows} batch(es) written to {csv_out} (counted from the CVRs, not from the paper)",
        highlight=False,
    )
