"""An audit's files: reading the counties' manifests and CVRs, drawing cards, and the export zip.

The web app keeps each county's uploaded ballot manifest and CVR export byte for byte; this
module reads them (through :mod:`papertally.io.manifests` and :mod:`papertally.io.cvr`) into
the audit's sampling frame and the CVR of each sampled card, and writes the public export: one
zip with every file, the seed, the sample with its tickets, every audit-board record, the risk
per round, and ``SHA256SUMS.txt`` over all of it, from which ``papertally verify`` recomputes
everything (:mod:`papertally.verify.audit_export`).

Export layout (version 2; version 1 wrote CSV cells without the spreadsheet escaping)::

    audit.json          audit, contests (specs), files with SHA-256, rounds with measurements
    sample.csv          one row per draw: sequence, round, ticket, where the card is
    audit-board.csv     every audit-board record, current, superseded and voided
    files/<county>/<kind>-<name>  the manifests and CVR exports as uploaded
                        (names made safe and unique: :func:`export_paths`)
    SHA256SUMS.txt      ``<sha256>  <path>`` for every other file of the zip
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from papertally.audit.batch import BatchContest, batch_error_bounds
from papertally.audit.contests import BatchId, BatchTallies, ContestSpec, batch_contests
from papertally.audit.manifest import Batch, Manifest
from papertally.audit.sampling import SamplingMethod, draw_ppeb, draw_sample
from papertally.csv_safe import csv_writer, restore_cell
from papertally.errors import FileLocation, InputFileError, PapertallyError, closest_match_hint
from papertally.io.cvr import check_batches, check_cards_unique, read_cvrs
from papertally.io.manifests import read_manifest
from papertally.model.audit_records import (
    AuditExportContents,
    AuditFile,
    BoardRecord,
    SampledCard,
)
from papertally.model.cards import BallotCard, CardCollection
from papertally.types import ChoiceName, ContestName, CountyName

EXPORT_FORMAT = "papertally-audit-export"
EXPORT_VERSION = 2
"""2: text cells of the CSV members that a spreadsheet would run as formulas, or that begin
with ``'``, carry a leading ``'`` (:mod:`papertally.csv_safe`), removed again on reading."""
AUDIT_JSON = "audit.json"
SAMPLE_CSV = "sample.csv"
BOARD_CSV = "audit-board.csv"
SUMS = "SHA256SUMS.txt"
ACTIVITY_JSON = "activity-log.json"
"""The audit's entries of the hash-chained activity log, each with its hash."""
SAMPLED_CVRS = "sampled-cvrs.json"
"""In an export that withholds the CVRs: the CVR votes of each sampled card, by draw."""
SAMPLE_COLUMNS = (
    "sequence",
    "round",
    "ticket",
    "county",
    "container",
    "tabulator",
    "batch",
    "position",
    "imprinted_id",
)
BOARD_COLUMNS = (
    "entry_id",
    "sequence",
    "county",
    "status",
    "found",
    "votes",
    "entered_by",
    "entered_at",
    "reason",
)
MANIFEST = "manifest"
CVRS = "cvrs"
BATCH_TALLIES = "batch tallies"
BATCH_NAME_COLUMNS = ("batch name", "batch")
"""Headers (case-insensitive) of the batch column of candidate totals by batch (Arlo)."""
PLACE_COLUMNS = ("container", "tabulator")
"""Columns of candidate totals by batch that are not choices."""


def _written(folder: Path, file: AuditFile) -> Path:
    """Write ``file`` into ``folder`` under its own name and return the path."""
    target = folder / f"{file.county}-{file.kind}" / Path(file.filename).name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(file.content)
    return target


def summarize_file(file: AuditFile) -> dict[str, Any]:
    """Read an uploaded file as what it claims to be; return what it holds, or raise.

    Manifests: batches and ballots; CVR exports: cards, contests and the format detected.
    Raises :class:`~papertally.errors.InputFileError` naming the place of the first problem.
    """
    with tempfile.TemporaryDirectory(prefix="papertally-audit-") as folder:
        path = _written(Path(folder), file)
        if file.kind == MANIFEST:
            manifest = read_manifest(path, file.county)
            return {"batches": len(manifest), "ballots": manifest.total_ballots}
        if file.kind == CVRS:
            collection = read_cvrs([path], name=file.county, workers=1)
            return {
                "cards": len(collection),
                "contests": collection.contest_names(),
                "format": collection.sources[0].format if collection.sources else "",
            }
    if file.kind == BATCH_TALLIES:
        tallies = read_batch_tallies(file)
        return {
            "contest": file.contest,
            "batches": len(tallies),
            "votes": sum(sum(v.values()) for v in tallies.values()),
        }
    raise PapertallyError(f"unknown kind of audit file {file.kind!r}: manifest or cvrs")


def read_batch_tallies(file: AuditFile) -> dict[str, dict[ChoiceName, int]]:
    """Read candidate totals by batch (Arlo's columns: ``Batch Name`` then one per choice).

    ``Container`` and ``Tabulator`` columns, where present, are skipped. Every count must be a
    whole number; a batch listed twice is an error naming both rows.
    """
    if not file.contest:
        raise PapertallyError(f"{file.filename}: say which contest these batch tallies are for")
    try:
        rows = list(csv.reader(io.StringIO(file.content.decode("utf-8-sig"))))
    except UnicodeDecodeError:
        raise InputFileError(FileLocation(file.filename), "is not a UTF-8 CSV file") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InputFileError(FileLocation(file.filename), "is empty; expected a header row")
    header = [cell.strip() for cell in rows[0]]
    folded = [h.casefold() for h in header]
    batch_column = next((folded.index(n) for n in BATCH_NAME_COLUMNS if n in folded), None)
    if batch_column is None:
        raise InputFileError(
            FileLocation(file.filename, row=1),
            f"missing the column 'Batch Name'{closest_match_hint('Batch Name', header)}; "
            f"columns found: {', '.join(header)}",
        )
    choices = [
        (i, h)
        for i, h in enumerate(header)
        if i != batch_column and h and h.casefold() not in PLACE_COLUMNS
    ]
    if len(choices) < 2:
        raise InputFileError(
            FileLocation(file.filename, row=1),
            "expected a column per choice after 'Batch Name' (at least two choices)",
        )
    tallies: dict[str, dict[ChoiceName, int]] = {}
    first_row: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        name = row[batch_column].strip() if batch_column < len(row) else ""
        if not name:
            raise InputFileError(
                FileLocation(file.filename, row=number, column=header[batch_column]),
                "the batch name is empty",
            )
        if name in first_row:
            raise InputFileError(
                FileLocation(file.filename, row=number, column=header[batch_column]),
                f"batch {name!r} is listed twice (first in row {first_row[name]})",
            )
        first_row[name] = number
        votes: dict[ChoiceName, int] = {}
        for index, choice in choices:
            text = row[index].strip().replace(",", "") if index < len(row) else ""
            if not text.isdigit():
                raise InputFileError(
                    FileLocation(file.filename, row=number, column=choice),
                    f"expected a whole number of votes, found {text!r}",
                )
            votes[choice] = int(text)
        tallies[name] = votes
    return tallies


@dataclass
class AuditFiles:
    """The audit's sampling frame and CVRs, read from the counties' files."""

    manifest: Manifest
    cvrs: dict[CountyName, CardCollection]
    batch_tallies: dict[ContestName, dict[tuple[CountyName, str], dict[ChoiceName, int]]]
    """Reported votes per contest, batch ``(county, batch name)`` and choice."""

    @classmethod
    def read(cls, files: Sequence[AuditFile], counties: Sequence[CountyName]) -> AuditFiles:
        """Read every county's manifest (in ``counties`` order) and CVR exports.

        Each county needs exactly one manifest; CVR files are optional (ballot polling).
        """
        manifests: list[Manifest] = []
        cvrs: dict[CountyName, CardCollection] = {}
        tallies: dict[ContestName, dict[tuple[CountyName, str], dict[ChoiceName, int]]] = {}
        with tempfile.TemporaryDirectory(prefix="papertally-audit-") as folder:
            for county in counties:
                mine = [f for f in files if f.county == county]
                manifest_files = [f for f in mine if f.kind == MANIFEST]
                if len(manifest_files) != 1:
                    raise PapertallyError(
                        f"{county}: expected one ballot manifest, found {len(manifest_files)}"
                    )
                manifests.append(read_manifest(_written(Path(folder), manifest_files[0]), county))
                cvr_paths = [_written(Path(folder), f) for f in mine if f.kind == CVRS]
                if cvr_paths:
                    cvrs[county] = read_cvrs(cvr_paths, name=county, workers=1)
                names = [b.name for b in manifests[-1].batches]
                for file in (f for f in mine if f.kind == BATCH_TALLIES):
                    for batch, votes in read_batch_tallies(file).items():
                        if batch not in names:
                            raise InputFileError(
                                FileLocation(file.filename, column="Batch Name"),
                                f"batch {batch!r} is not in {county}'s ballot manifest"
                                f"{closest_match_hint(batch, names)}",
                            )
                        assert file.contest is not None
                        tallies.setdefault(file.contest, {})[(county, batch)] = votes
        return cls(Manifest.combine(manifests), cvrs, tallies)

    def findings(self) -> list[str]:
        """Return the checks' findings before any sample: each county's CVRs per batch against
        its manifest, and CVRs claiming the same card (:mod:`papertally.io.cvr.checks`)."""
        found: list[str] = []
        for county, collection in self.cvrs.items():
            counts = {
                (b.tabulator or "", b.name): b.ballots
                for b in self.manifest.batches
                if b.jurisdiction == county
            }
            for finding in check_batches(collection, counts) + check_cards_unique(collection):
                found.append(f"{county}: {finding.message}")
        return found

    def ballots_by_batch(self) -> dict[tuple[CountyName, str], int]:
        """Return the cards of every batch keyed ``(county, batch name)`` (batch audits)."""
        found: dict[tuple[CountyName, str], int] = {}
        for batch in self.manifest.batches:
            key = (batch.jurisdiction, batch.name)
            if key in found:
                raise PapertallyError(
                    f"{batch.jurisdiction} has two batches named {batch.name!r} (on different "
                    "tabulators); a batch comparison audit needs batch names unique per county"
                )
            found[key] = batch.ballots
        return found

    def reported_batch_votes(self, contest: ContestName) -> dict[ChoiceName, int]:
        """Return the batch tallies' total votes of ``contest`` over every county."""
        if contest not in self.batch_tallies:
            known = sorted(self.batch_tallies)
            raise PapertallyError(
                f"no batch tallies were uploaded for the contest {contest!r}"
                f"{closest_match_hint(contest, known)}"
            )
        totals: dict[ChoiceName, int] = {}
        for votes in self.batch_tallies[contest].values():
            for choice, n in votes.items():
                totals[choice] = totals.get(choice, 0) + n
        return totals

    def reported_votes(self, contest: ContestName) -> tuple[dict[ChoiceName, int], int]:
        """Return the CVRs' tally of ``contest`` over every county, and its votes allowed."""
        names = sorted({n for c in self.cvrs.values() for n in c.contest_names()})
        if contest not in names:
            raise PapertallyError(
                f"no CVR shows the contest {contest!r}{closest_match_hint(contest, names)}; "
                f"contests in the CVRs: {', '.join(names) or 'none'}"
            )
        totals: dict[ChoiceName, int] = {}
        allowed = 1
        for collection in self.cvrs.values():
            if contest not in collection.contest_names():
                continue
            for choice, n in collection.tally(contest).items():
                totals[choice] = totals.get(choice, 0) + n
            for definition in collection.contests:
                if definition.name == contest and definition.votes_allowed:
                    allowed = max(allowed, definition.votes_allowed)
        return totals, allowed

    @cached_property
    def ranked_contests(self) -> frozenset[ContestName]:
        """Return the contests some county's CVRs show as ranked-choice."""
        return frozenset(d.name for c in self.cvrs.values() for d in c.contests if d.is_ranked)

    @property
    def cvr_stratum_cards(self) -> int:
        """Return the cards of the batches with CVRs (hybrid audits' compared stratum).

        A batch whose manifest row says ``CVR`` = No is in the no-CVR (polled) stratum; one
        whose manifest does not say is taken to have CVRs, as in a ballot comparison audit.
        """
        return sum(b.ballots for b in self.manifest.batches if b.has_cvrs is not False)

    @cached_property
    def no_cvr_batches(self) -> frozenset[tuple[CountyName, str, str]]:
        """Return ``(county, tabulator or "", batch)`` of the batches marked ``CVR`` = No."""
        return frozenset(
            (b.jurisdiction, b.tabulator or "", b.name)
            for b in self.manifest.batches
            if b.has_cvrs is False
        )

    def in_cvr_stratum(self, county: CountyName, tabulator: str | None, batch: str) -> bool:
        """Return whether the batch ``(county, tabulator, batch)`` has CVRs (hybrid strata)."""
        return (county, tabulator or "", batch) not in self.no_cvr_batches

    def card_at(self, batch: Batch, position: int) -> BallotCard | None:
        """Return the CVR of the card at ``position`` of ``batch``, or ``None`` if there is none.

        The card is matched as Arlo does: same county, tabulator and batch name, and record id
        equal to the position in the batch. No match means no CVR (a phantom: the worst case).
        """
        collection = self.cvrs.get(batch.jurisdiction)
        if collection is None:
            return None
        found = collection.find_cards(batch.tabulator or "", batch.name, str(position))
        if not found:
            return None
        card = collection.card(found[0])
        return None if card.is_phantom else card


def card_votes(
    card: BallotCard | None, ranked: frozenset[ContestName] = frozenset()
) -> dict[ContestName, list[ChoiceName]] | None:
    """Return the votes per contest of a CVR (``None`` stays ``None``: no CVR).

    A contest of ``ranked`` (ranked-choice) gives the card's preference list under San
    Francisco's rules (:data:`~papertally.audit.irv.ballots.SAN_FRANCISCO`: an overvoted
    ranking exhausts the ballot, skipped rankings pass), as the app's IRV audits read them.
    """
    if card is None:
        return None
    from papertally.audit.irv.ballots import SAN_FRANCISCO, preference_names

    return {
        entry.contest: list(
            preference_names(((m.choice, m.rank) for m in entry.marks), SAN_FRANCISCO)
            if entry.contest in ranked
            else entry.choices()
        )
        for entry in card.contests
    }


def draw_cards(files: AuditFiles, seed: str, size: int, already_drawn: int) -> list[SampledCard]:
    """Draw cards ``already_drawn + 1 .. already_drawn + size`` with Rivest's consistent sampler.

    Without replacement, from the seed, so every round extends the last
    (:func:`papertally.audit.sampling.draw_sample`).
    """
    sample = draw_sample(
        files.manifest,
        seed,
        size,
        method=SamplingMethod.CONSISTENT,
        already_drawn=already_drawn,
        workers=1,
    )
    cards = []
    for draw in sample.draws:
        batch = draw.location.batch
        card = files.card_at(batch, draw.location.position)
        cards.append(
            SampledCard(
                sequence=draw.sequence,
                ticket=draw.ticket,
                county=batch.jurisdiction,
                container=batch.container,
                tabulator=batch.tabulator,
                batch=batch.name,
                position=draw.location.position,
                imprinted_id=None if card is None else card.imprinted_id,
                cvr=card_votes(card, files.ranked_contests),
            )
        )
    return cards


def draw_batches(
    files: AuditFiles,
    error_bounds: Mapping[tuple[CountyName, str], float],
    seed: str,
    size: int,
    already_drawn: int,
) -> list[SampledCard]:
    """Draw batches ``already_drawn + 1 .. already_drawn + size`` by PPEB from the seed.

    Batches in manifest order, each with chance proportional to its MACRO error bound
    (:func:`papertally.audit.sampling.draw_ppeb`); a drawn batch is a :class:`SampledCard`
    at position 0 (the whole batch) without a CVR.
    """
    batches = list(files.manifest.batches)
    weights = [error_bounds.get((b.jurisdiction, b.name), 0.0) for b in batches]
    draws = draw_ppeb(batches, weights, seed, size, already_drawn=already_drawn)
    return [
        SampledCard(
            sequence=d.sequence,
            ticket=d.ticket,
            county=d.batch.jurisdiction,
            container=d.batch.container,
            tabulator=d.batch.tabulator,
            batch=d.batch.name,
            position=0,
            imprinted_id=None,
            cvr=None,
        )
        for d in draws
    ]


def batch_setup(
    files: AuditFiles, specs: Sequence[ContestSpec]
) -> tuple[list[BatchContest[BatchId]], dict[BatchId, float]]:
    """Return the batch comparison contests read from the files, and the MACRO error bounds."""
    contests = batch_contests(specs, files.batch_tallies, files.ballots_by_batch())
    return contests, batch_error_bounds(contests)


def batch_audit_inputs(
    draws: Sequence[tuple[int, BatchId]], readings: Mapping[int, BatchTallies | None]
) -> tuple[list[BatchId], dict[BatchId, BatchTallies | None]]:
    """Return the drawn batches in order and each one's hand count, read at its first draw.

    ``draws`` are ``(sequence, batch)`` in draw order; ``readings`` the current board counts by
    sequence (``None``: the batch was not found).
    """
    audited: dict[BatchId, BatchTallies | None] = {}
    for sequence, batch in draws:
        if batch not in audited and sequence in readings:
            audited[batch] = readings[sequence]
    return [batch for _, batch in draws], audited


def sample_row(card: SampledCard, round_number: int) -> list[str]:
    """Return a draw as a ``sample.csv`` row (columns :data:`SAMPLE_COLUMNS`)."""
    return [
        str(card.sequence),
        str(round_number),
        card.ticket,
        card.county,
        card.container or "",
        card.tabulator or "",
        card.batch,
        str(card.position),
        card.imprinted_id or "",
    ]


MAX_PART_CHARS = 80
"""The longest county or file name kept in a path of the export zip."""


def safe_file_part(text: str, fallback: str) -> str:
    """Return ``text`` as one safe part of a path: letters, digits, space, ``.``, ``_``, ``-``.

    Anything else (``/``, ``\\``, ``:``, control characters...) becomes ``_``; leading and
    trailing dots and spaces go (so ``.`` and ``..`` name nothing), the length is capped at
    :data:`MAX_PART_CHARS`, and an empty result becomes ``fallback``. Such a part cannot leave
    its folder when the zip is unpacked, on any system.
    """
    cleaned = "".join(c if c.isalnum() or c in " ._-" else "_" for c in text)
    cleaned = cleaned.strip(". ")[:MAX_PART_CHARS].strip(". ")
    return cleaned or fallback


def export_paths(files: Sequence[AuditFile]) -> list[str]:
    """Return where each file sits in the export zip, unique and safe, in the files' order.

    ``files/<county>/<kind>-<file name>``: the kind keeps a county's manifest and CVR export
    apart even when both were uploaded under one name; two counties whose names clean to the
    same text, or two files of one kind and name, get ``-2``, ``-3``... before the extension.
    Names are compared case-folded, as the file systems of Windows and macOS compare them.
    """
    taken: set[str] = set()
    paths: list[str] = []
    for file in files:
        county = safe_file_part(file.county, "county")
        name = safe_file_part(Path(file.filename.replace("\\", "/")).name, "file")
        stem, dot, suffix = name.rpartition(".")
        if not dot or not stem:
            stem, dot, suffix = name, "", ""
        kind = safe_file_part(file.kind, "file").replace(" ", "-")
        candidate = f"files/{county}/{kind}-{name}"
        number = 1
        while candidate.casefold() in taken:
            number += 1
            candidate = f"files/{county}/{kind}-{stem}-{number}{dot}{suffix}"
        taken.add(candidate.casefold())
        paths.append(candidate)
    return paths


def _csv(rows: Sequence[Sequence[str]], header: Sequence[str]) -> bytes:
    out = io.StringIO()
    writer = csv_writer(out, reversible=True, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def audit_export_zip(contents: AuditExportContents, *, withhold_cvrs: bool = False) -> bytes:
    """Return the export zip of an audit read from the store (see :func:`build_export`)."""
    return build_export(
        contents.header,
        contents.files,
        contents.sample,
        contents.records,
        activity=contents.activity,
        withhold_cvrs=withhold_cvrs,
    )


def build_export(
    audit: Mapping[str, Any],
    files: Sequence[AuditFile],
    sample: Sequence[tuple[SampledCard, int]],
    records: Sequence[BoardRecord],
    *,
    activity: Sequence[Mapping[str, Any]] = (),
    withhold_cvrs: bool = False,
) -> bytes:
    """Return the export zip's bytes.

    ``audit`` is the JSON header (audit, contests, rounds; :func:`files_json` adds the files);
    ``sample`` pairs each draw with its round number; ``activity`` holds the audit's entries of
    the activity log (payload and ``entry_hash``). With ``withhold_cvrs`` (where privacy
    rules forbid publishing CVRs) the CVR files are left out, listed with their published
    hashes only, and ``sampled-cvrs.json`` holds the CVRs of the sampled cards alone, enough to
    recompute the risk.
    """
    contents: dict[str, bytes] = {}
    listed = files_json(files)
    if withhold_cvrs:
        for entry in listed:
            if entry["kind"] == CVRS:
                entry["withheld"] = "yes"
    header = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        **audit,
        "files": listed,
    }
    contents[AUDIT_JSON] = json.dumps(header, indent=1, ensure_ascii=False).encode("utf-8")
    contents[SAMPLE_CSV] = _csv([sample_row(c, r) for c, r in sample], SAMPLE_COLUMNS)
    contents[BOARD_CSV] = _csv(
        [
            [
                str(r.entry_id),
                str(r.sequence),
                r.county,
                r.status,
                "yes" if r.found else "no",
                json.dumps(dict(r.votes), ensure_ascii=False, sort_keys=True),
                r.entered_by,
                r.entered_at,
                r.reason,
            ]
            for r in records
        ],
        BOARD_COLUMNS,
    )
    if activity:
        contents[ACTIVITY_JSON] = json.dumps(
            list(activity), indent=1, ensure_ascii=False, default=str
        ).encode("utf-8")
    for file, path in zip(files, export_paths(files), strict=True):
        if not (withhold_cvrs and file.kind == CVRS):
            contents[path] = file.content
    if withhold_cvrs:
        sampled = {str(card.sequence): card.cvr for card, _ in sample}
        contents[SAMPLED_CVRS] = json.dumps(sampled, indent=1, ensure_ascii=False).encode()
    sums = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in contents.items()
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
        archive.writestr(SUMS, sums)
    return buffer.getvalue()


def files_json(files: Sequence[AuditFile]) -> list[dict[str, str]]:
    """Return the files' county, kind, name, path in the export and SHA-256."""
    return [
        {
            "county": f.county,
            "kind": f.kind,
            "contest": f.contest or "",
            "filename": f.filename,
            "path": path,
            "sha256": f.sha256,
        }
        for f, path in zip(files, export_paths(files), strict=True)
    ]


def open_export(source: str | Path | bytes) -> dict[str, bytes]:
    """Return every member of an export zip by name; refuse a file that is not one."""
    label = "the export" if isinstance(source, bytes) else str(source)
    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {
                info.filename: archive.read(info)
                for info in archive.infolist()
                if not info.is_dir()
            }
    except FileNotFoundError:
        raise InputFileError(FileLocation(label), "no such file") from None
    except (zipfile.BadZipFile, OSError) as error:
        raise InputFileError(FileLocation(label), f"not a readable zip file ({error})") from None
    if AUDIT_JSON not in members or SUMS not in members:
        raise InputFileError(
            FileLocation(label),
            f"not a papertally audit export: {AUDIT_JSON} and {SUMS} are expected inside",
        )
    return members


def read_csv_rows(
    data: bytes, name: str, columns: Sequence[str], *, version: int = EXPORT_VERSION
) -> list[dict[str, str]]:
    """Read a CSV member of an export of ``version``, checking its header.

    From version 2 the spreadsheet escaping of text cells is undone (:func:`restore_cell`).
    """
    reader = csv.reader(io.StringIO(data.decode("utf-8")))
    rows = list(reader)
    if not rows or tuple(rows[0]) != tuple(columns):
        found = ", ".join(rows[0]) if rows else "nothing"
        raise InputFileError(
            FileLocation(name, row=1),
            f"expected the columns {', '.join(columns)}; found {found}",
        )
    if version >= 2:
        rows = [[restore_cell(cell) for cell in row] for row in rows]
    return [dict(zip(columns, row, strict=False)) for row in rows[1:]]
