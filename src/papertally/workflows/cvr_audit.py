"""A whole ballot-comparison audit from CVR exports and ballot manifests, without the app.

The command line's comparison audit (``papertally audit sample --cvrs`` and ``papertally audit
risk --cvrs --mvrs``) keeps no state: every run reads the counties' CVR exports and ballot
manifests exactly as the app reads its uploads (:class:`papertally.io.audit_export.AuditFiles`),
fixes the contests as the app does when the seed is entered
(:func:`papertally.workflows.audit.contest_spec`), draws with Rivest's consistent sampler from
the same seed (:func:`papertally.io.audit_export.draw_cards`) and measures the rounds with
:func:`papertally.workflows.measure.measure_rounds`. So the same files, seed and readings give
the same sample and the same risks in the CLI, the app and ``papertally verify``.

The auditors' readings (manual vote records, MVRs) are one CSV file, a row per card and contest:

    card_id,contest,choices
    1-2-13,Contest 19,Candidate 27
    1-5-7,Contest 19,blank
    1-17-2,,not found

``card_id`` is the card's id in the retrieval list (its CVR's imprinted id, else
``TABULATOR-BATCH-POSITION``); an optional ``county`` column tells apart equal ids of two
counties. ``choices`` are the marked choices separated by ``;``, or ``blank`` (no vote),
``overvote`` (more marks than allowed), or ``not found`` (the card could not be found: the worst
case, a two-vote overstatement of every assertion; Bañuelos & Stark 2012). Every contest under
audit that the card's CVR shows needs a row. The tool computes each discrepancy itself.

Rounds are replayed: round 1 has the size the engine gives (or the one given), and each later
round the size the previous measurement asked for, as long as the file reads every card of it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from papertally.audit.contests import AuditedCard, AuditType, CardVotes, ContestSpec
from papertally.audit.sampling import natural_key, validate_seed
from papertally.errors import FileLocation, InputFileError, PapertallyError, closest_match_hint
from papertally.io.audit_export import CVRS, MANIFEST, AuditFiles, draw_cards
from papertally.io.manifests import jurisdiction_from_filename
from papertally.model.audit_records import AuditFile, SampledCard
from papertally.types import ChoiceName, ContestName, CountyName
from papertally.workflows.audit import contest_spec
from papertally.workflows.measure import RoundMeasurement, first_round_size, measure_rounds

NOT_FOUND_WORDS = frozenset({"not found", "notfound", "missing"})
BLANK_WORDS = frozenset({"blank", "no vote", "undervote", "none"})
OVERVOTE_WORDS = frozenset({"overvote", "over vote"})
MVR_COLUMNS = ("card_id", "contest", "choices")
RETRIEVAL_COLUMNS = (
    "Jurisdiction",
    "Container",
    "Tabulator",
    "Batch Name",
    "Ballot Number",
    "Card ID",
    "Ticket Numbers",
    "Draw Number",
    "Round",
)
"""The CLI's retrieval list: where each card is and the id to write in the MVR file."""

Located = tuple[CountyName | None, Path]
"""A file given on the command line as ``[COUNTY=]PATH``."""


@dataclass(frozen=True)
class ComparisonAudit:
    """The counties' files read, and the contests fixed for a comparison audit."""

    files: AuditFiles
    counties: tuple[CountyName, ...]
    specs: tuple[ContestSpec, ...]
    skipped: tuple[str, ...] = ()
    """Contests of the CVRs left out, each with the reason (ranked, tied, or no reported
    loser)."""


def _county_of(path: Path, given: CountyName | None, counties: Sequence[CountyName]) -> str:
    """Return the county a CVR file belongs to: given, the only one, or named by the file."""
    if given is not None:
        if given not in counties:
            raise PapertallyError(
                f"{path.name}: county {given!r} has no ballot manifest"
                f"{closest_match_hint(given, list(counties))}; counties: {', '.join(counties)}"
            )
        return given
    if len(counties) == 1:
        return counties[0]
    named = jurisdiction_from_filename(path)
    if named in counties:
        return named
    raise PapertallyError(
        f"{path.name}: say which county these CVRs are for, as COUNTY={path} "
        f"(counties: {', '.join(counties)})"
    )


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputFileError(FileLocation(str(path)), f"cannot be read: {error.strerror}") from None


def read_audit_files(
    cvrs: Sequence[Located], manifests: Sequence[Located]
) -> tuple[AuditFiles, tuple[CountyName, ...]]:
    """Read the counties' manifests and CVR exports as the app reads its uploads.

    A manifest's county is the one given, else the file's name (Arlo's ``County - ...``); a
    CVR file's county is the one given, the only county, or the one its name starts with.
    """
    if not manifests:
        raise PapertallyError("give each county's ballot manifest with --manifest")
    if not cvrs:
        raise PapertallyError("give the CVR exports with --cvrs")
    uploads: list[AuditFile] = []
    counties: list[CountyName] = []
    for given, path in manifests:
        county = given or jurisdiction_from_filename(path)
        if county in counties:
            raise PapertallyError(
                f"{path.name}: a second manifest for {county!r}; give one per county, as "
                "COUNTY=FILE"
            )
        counties.append(county)
        uploads.append(AuditFile(county, MANIFEST, path.name, _read_bytes(path)))
    for given, path in cvrs:
        county = _county_of(path, given, counties)
        uploads.append(AuditFile(county, CVRS, path.name, _read_bytes(path)))
    return AuditFiles.read(uploads, counties), tuple(counties)


def comparison_audit(
    cvrs: Sequence[Located],
    manifests: Sequence[Located],
    *,
    risk_limit: float,
    contests: Sequence[ContestName] = (),
    winners: Mapping[ContestName, int] | None = None,
) -> ComparisonAudit:
    """Read the files and fix the contests of a ballot-comparison audit.

    ``contests`` default to every plurality contest of the CVRs that has a reported loser (a
    named contest that is ranked or has no loser is refused); each has ``winners`` seats
    (default: its votes allowed, as a vote-for-k contest electing k).
    """
    files, counties = read_audit_files(cvrs, manifests)
    known = sorted({n for c in files.cvrs.values() for n in c.contest_names()})
    chosen = list(dict.fromkeys(contests)) or known
    seats = dict(winners or {})
    for name in seats:
        if name not in chosen:
            raise PapertallyError(
                f"--contest-winners names {name!r}, which is not audited"
                f"{closest_match_hint(name, chosen)}"
            )
    specs = []
    skipped = []
    ranked = {
        d.name for c in files.cvrs.values() for d in c.contests if d.is_ranked and d.name in chosen
    }
    for name in chosen:
        if name in ranked:
            reason = (
                f"{name}: ranked choice; plurality assertions do not apply (an instant-runoff "
                "contest needs RAIRE's assertions)"
            )
            if contests:
                raise PapertallyError(reason)
            skipped.append(reason)
            continue
        _, allowed = files.reported_votes(name)
        spec = contest_spec(
            files, name, AuditType.BALLOT_COMPARISON, risk_limit, seats.get(name, allowed)
        )
        try:
            assertions = spec.assertions()
        except PapertallyError as error:
            if contests:
                raise
            skipped.append(f"{name}: {error}")
            continue
        if not assertions:
            reason = f"{name}: no reported loser (one choice with votes), nothing to audit"
            if contests:
                raise PapertallyError(reason)
            skipped.append(reason)
            continue
        specs.append(spec)
    if not specs:
        raise PapertallyError(
            "no contest of the CVRs has a reported loser: nothing to audit"
            + (f" ({'; '.join(skipped)})" if skipped else "")
        )
    return ComparisonAudit(files, counties, tuple(specs), tuple(skipped))


def card_id(card: SampledCard) -> str:
    """Return the id the auditors write for a drawn card: its CVR's imprinted id, else
    ``TABULATOR-BATCH-POSITION``."""
    if card.imprinted_id:
        return card.imprinted_id
    return "-".join(p for p in (card.tabulator, card.batch, str(card.position)) if p)


def retrieval_rows(cards: Sequence[SampledCard], round_number: int) -> list[list[str]]:
    """Return the retrieval list's rows (:data:`RETRIEVAL_COLUMNS`) in the order of a walk
    through storage: county, container, tabulator, batch, position (names in natural order)."""
    ordered = sorted(
        cards,
        key=lambda c: (
            c.county,
            natural_key(c.container),
            natural_key(c.tabulator),
            natural_key(c.batch),
            c.position,
        ),
    )
    return [
        [
            c.county,
            c.container or "",
            c.tabulator or "",
            c.batch,
            str(c.position),
            card_id(c),
            c.ticket,
            str(c.sequence),
            str(round_number),
        ]
        for c in ordered
    ]


@dataclass(frozen=True)
class _Row:
    number: int
    card: str
    county: str
    contest: str
    choices: str


def _header_index(header: list[str]) -> dict[str, int]:
    folded = ["_".join(cell.strip().casefold().split()) for cell in header]
    return {name: i for i, name in enumerate(folded) if name}


def read_mvr_rows(path: Path) -> list[_Row]:
    """Read the MVR file's rows (syntax only); refuse a malformed file naming row and column."""
    where = str(path)
    try:
        text = _read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(FileLocation(where), "is not a UTF-8 CSV file") from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as error:
        raise InputFileError(FileLocation(where), f"is not a CSV file: {error}") from None
    numbered = [(n, r) for n, r in enumerate(rows, start=1) if any(c.strip() for c in r)]
    if not numbered:
        raise InputFileError(
            FileLocation(where), "is empty; expected the header card_id,contest,choices"
        )
    header_row, header = numbered[0]
    index = _header_index(header)
    for column in MVR_COLUMNS:
        if column not in index:
            raise InputFileError(
                FileLocation(where, row=header_row),
                f"missing the column {column!r}{closest_match_hint(column, list(index))}; "
                f"expected the header card_id,contest,choices (and optionally county)",
            )
    width = len(header)
    found = []
    for number, row in numbered[1:]:
        if len(row) > width and any(c.strip() for c in row[width:]):
            raise InputFileError(
                FileLocation(where, row=number),
                f"{len(row)} cells but the header has {width} columns; separate choices with "
                "';', not ','",
            )
        cells = [c.strip() for c in row] + [""] * (width - len(row))
        card = cells[index["card_id"]]
        if not card:
            raise InputFileError(FileLocation(where, row=number, column="card_id"), "is empty")
        county = cells[index["county"]] if "county" in index else ""
        found.append(_Row(number, card, county, cells[index["contest"]], cells[index["choices"]]))
    return found


@dataclass
class _Readings:
    """The MVR file's rows matched to drawn cards, checked one by one."""

    path: Path
    specs: Mapping[ContestName, ContestSpec]
    choices_of: Mapping[ContestName, Sequence[ChoiceName]]
    paper: dict[int, dict[ContestName, list[ChoiceName]] | None] = field(default_factory=dict)
    first_row: dict[tuple[int, str], int] = field(default_factory=dict)
    card_row: dict[int, int] = field(default_factory=dict)

    def _error(self, row: _Row, column: str | None, problem: str) -> InputFileError:
        return InputFileError(FileLocation(str(self.path), row=row.number, column=column), problem)

    def add(self, row: _Row, card: SampledCard) -> None:
        """Record one row's reading of ``card``; refuse what cannot be a reading of it."""
        sequence = card.sequence
        word = " ".join(row.choices.casefold().split())
        if word in NOT_FOUND_WORDS:
            if sequence in self.card_row:
                raise self._error(
                    row,
                    "choices",
                    f"card {row.card!r} is read twice (also in row {self.card_row[sequence]})",
                )
            self.card_row[sequence] = row.number
            self.paper[sequence] = None
            return
        if sequence in self.paper and self.paper[sequence] is None:
            raise self._error(
                row,
                "choices",
                f"card {row.card!r} is read twice (row "
                f"{self.card_row[sequence]} says it was not found)",
            )
        contest = row.contest
        if not contest:
            raise self._error(row, "contest", "is empty; name the contest read")
        on_card = (card.cvr is not None and contest in card.cvr) or (
            card.cvr is None and contest in self.specs
        )
        if not on_card:
            shown = sorted(card.cvr) if card.cvr is not None else sorted(self.specs)
            raise self._error(
                row,
                "contest",
                f"card {row.card!r} does not show the contest {contest!r}"
                f"{closest_match_hint(contest, shown)}; its contests: {', '.join(shown) or 'none'}",
            )
        key = (sequence, contest)
        if key in self.first_row:
            raise self._error(
                row,
                "contest",
                f"card {row.card!r}, contest {contest!r} is read twice (first "
                f"in row {self.first_row[key]})",
            )
        self.first_row[key] = row.number
        self.card_row.setdefault(sequence, row.number)
        known = list(self.choices_of.get(contest, ()))
        if word in BLANK_WORDS or not word:
            votes: list[ChoiceName] = []
        elif word in OVERVOTE_WORDS:
            votes = known
        else:
            votes = [c.strip() for c in row.choices.split(";") if c.strip()]
            for choice in votes:
                if choice not in known:
                    raise self._error(
                        row,
                        "choices",
                        f"{choice!r} is not a choice of {contest!r}"
                        f"{closest_match_hint(choice, known)}; write the choices separated by "
                        "';', or blank, overvote or not found",
                    )
            if len(set(votes)) != len(votes):
                raise self._error(row, "choices", "names a choice twice")
        readings = self.paper.setdefault(sequence, {})
        assert readings is not None
        readings[contest] = votes

    def complete(self, card: SampledCard) -> bool:
        """Whether ``card`` has a reading of every audited contest its CVR shows (or none)."""
        if card.sequence not in self.paper:
            return False
        readings = self.paper[card.sequence]
        if readings is None or card.cvr is None:
            return True
        missing = [c for c in card.cvr if c in self.specs and c not in readings]
        if missing:
            raise InputFileError(
                FileLocation(str(self.path), row=self.card_row[card.sequence], column="contest"),
                f"card {card_id(card)!r} has no reading of the contest {missing[0]!r}, which its "
                "CVR shows; add a row (choices 'blank' if the paper shows no vote)",
            )
        return True


@dataclass(frozen=True)
class MeasuredAudit:
    """The rounds the MVR file completes, measured, and what comes next."""

    rounds: tuple[RoundMeasurement, ...]
    drawn: tuple[SampledCard, ...]
    """Every card drawn so far, the pending round's included, in draw order."""
    read: int
    """Cards of the pending round already read (0 when none is pending)."""
    next_cards: tuple[SampledCard, ...]
    """The round to read next (empty when the audit is finished)."""


def measure_mvrs(
    audit: ComparisonAudit, seed: str, mvrs: Path, first_size: int | None = None
) -> MeasuredAudit:
    """Replay the rounds the auditors' readings complete; measure every contest after each.

    Round 1 has ``first_size`` cards (default the engine's size for the contests), each later
    round the size the measurement before it asked for. A reading of a card not drawn so far,
    a card or contest read twice, a contest not on the card and a malformed file are refused
    with the file, row and column, and nothing is measured.
    """
    seed = validate_seed(seed)
    specs = list(audit.specs)
    rows = read_mvr_rows(mvrs)
    choices_of = {spec.name: list(spec.votes) for spec in specs}
    for collection in audit.files.cvrs.values():
        for name, tally in collection.tallies().items():
            choices_of.setdefault(name, list(tally))
    readings = _Readings(mvrs, {s.name: s for s in specs}, choices_of)
    total = audit.files.manifest.total_ballots
    size = first_round_size(specs) if first_size is None else first_size
    if not 1 <= size <= total:
        raise PapertallyError(f"round 1 must draw between 1 and {total} cards, not {size}")
    drawn: list[SampledCard] = []
    ends: list[int] = []
    pending: list[SampledCard] = list(draw_cards(audit.files, seed, size, 0))
    rounds: list[RoundMeasurement] = []
    unmatched = list(rows)
    while True:
        drawn.extend(pending)
        unmatched = _match(unmatched, pending, readings)
        done = [readings.complete(card) for card in pending]
        if not all(done):
            break
        ends.append(len(drawn))
        audited = [
            AuditedCard(
                c.sequence, c.cvr, _paper(readings.paper[c.sequence]), batch=(c.county, c.batch)
            )
            for c in drawn
        ]
        rounds = measure_rounds(specs, audited, ends)
        latest = rounds[-1]
        if latest.finished:
            pending = []
            break
        pending = list(draw_cards(audit.files, seed, max(latest.next_round_size, 1), len(drawn)))
    if unmatched:
        row = unmatched[0]
        raise InputFileError(
            FileLocation(str(mvrs), row=row.number, column="card_id"),
            f"card {row.card!r} is not in the sample drawn so far (draws 1–{len(drawn)})"
            f"{closest_match_hint(row.card, [card_id(c) for c in drawn])}",
        )
    if not rounds:
        first_missing = next(c for c in drawn if c.sequence not in readings.paper)
        raise InputFileError(
            FileLocation(str(mvrs)),
            f"round 1 is not read through: no reading of draw {first_missing.sequence} (card "
            f"{card_id(first_missing)!r}); {len(readings.paper)} of {len(drawn)} cards read",
        )
    read = sum(1 for c in pending if c.sequence in readings.paper)
    return MeasuredAudit(tuple(rounds), tuple(drawn), read, tuple(pending))


def _paper(reading: dict[ContestName, list[ChoiceName]] | None) -> CardVotes | None:
    return None if reading is None else dict(reading)


def _match(rows: list[_Row], cards: Sequence[SampledCard], readings: _Readings) -> list[_Row]:
    """Record the rows that read ``cards``; return the rows left for later rounds."""
    by_id: dict[str, list[SampledCard]] = {}
    for card in cards:
        by_id.setdefault(card_id(card), []).append(card)
    left = []
    for row in rows:
        found = by_id.get(row.card, [])
        if row.county:
            found = [c for c in found if c.county.casefold() == row.county.casefold()]
        if not found:
            left.append(row)
            continue
        if len(found) > 1:
            raise InputFileError(
                FileLocation(str(readings.path), row=row.number, column="card_id"),
                f"card {row.card!r} is drawn in {len(found)} counties "
                f"({', '.join(c.county for c in found)}); add a county column",
            )
        readings.add(row, found[0])
    return left
