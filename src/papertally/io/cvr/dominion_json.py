"""Dominion Democracy Suite JSON CVR exports (``CvrExport*.json``) and their manifests.

Two layouts exist. In the older one (5.2 and before) each *session* (one voter's ballot as
scanned) holds its ``Contests`` directly: one session is one card. From 5.5 on (5.10 in our
samples) a session holds ``Cards``, one per sheet of a multi-sheet ballot, each with its own
``Contests``; every card is a separate piece of paper in the batch, so every card becomes a
ballot card here. The layout is decided per session from the keys present, never from the
version string, so a file mixing both is read correctly and a card is never silently dropped.

Each session has an ``Original`` interpretation and, when adjudicated, a ``Modified`` one;
the one flagged ``IsCurrent`` is what was counted and is what we read. Within a contest only
marks with ``IsVote`` true are votes (ambiguous or overvoted marks have it false).

The manifests exported beside the CVRs (``ContestManifest.json``, ``CandidateManifest.json``,
``CountingGroupManifest.json``, ``BallotTypeManifest.json``, ``PrecinctPortionManifest.json``)
each hold ``{"Version": ..., "List": [{"Id": ..., "Description": ...}, ...]}`` and give the
names behind the numeric ids; contests also carry ``VoteFor`` and ``NumOfRanks``, candidates
their ``ContestId`` and ``Type`` (``WriteIn`` for write-in lines).
"""

from __future__ import annotations

import gc
import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import msgspec

from papertally.io.cvr.common import InputPart, json_syntax_error, load_json
from papertally.model.cards import (
    ABSENT,
    DIRECT_ID_LIMIT,
    FLAG_DERIVED_IMPRINT,
    BulkCards,
    CardCollection,
    CardError,
)

Id = int | str


class _Mark(msgspec.Struct, gc=False):
    CandidateId: Id
    Rank: int = 1
    IsVote: bool = True


class _Contest(msgspec.Struct, gc=False):
    Id: Id
    Marks: list[_Mark]
    Overvotes: int | None = None
    Undervotes: int | None = None


class _Card(msgspec.Struct, gc=False):
    Id: Id
    Contests: list[_Contest]
    PaperIndex: int | None = None


class _Snapshot(msgspec.Struct, gc=False):
    IsCurrent: bool = True
    PrecinctPortionId: Id | None = None
    BallotTypeId: Id | None = None
    Cards: list[_Card] | None = None
    Contests: list[_Contest] | None = None


class _Session(msgspec.Struct, gc=False):
    TabulatorId: Id
    BatchId: Id
    RecordId: Id
    Original: _Snapshot
    CountingGroupId: Id | None = None
    Modified: _Snapshot | None = None


class _Export(msgspec.Struct, gc=False):
    Sessions: list[_Session]
    Version: str | None = None


_DECODER = msgspec.json.Decoder(_Export)
_SESSION_PATH = re.compile(r"\$\.Sessions\[(\d+)\]")

MANIFEST_KINDS = (
    "ContestManifest",
    "CandidateManifest",
    "CountingGroupManifest",
    "BallotTypeManifest",
    "PrecinctPortionManifest",
)


@dataclass
class DominionCatalog:
    """The names behind Dominion's numeric ids, from the manifest files where present."""

    contests: dict[int, tuple[str, int | None, int]] = field(default_factory=dict)
    """Contest id → (name, votes allowed, number of ranks)."""
    candidates: dict[int, tuple[str, int, bool]] = field(default_factory=dict)
    """Candidate id → (name, contest id, is write-in)."""
    counting_groups: dict[int, str] = field(default_factory=dict)
    ballot_types: dict[int, str] = field(default_factory=dict)
    precinct_portions: dict[int, str] = field(default_factory=dict)

    def register(self, collection: CardCollection) -> None:
        """Add every manifest contest and candidate to the catalogue (so zero tallies show)."""
        for contest_id, (name, vote_for, ranks) in self.contests.items():
            code = collection.contest_code(str(contest_id), name, vote_for)
            collection.contests[code].ranks = ranks
        for candidate_id, (name, contest_id, write_in) in self.candidates.items():
            if contest_id in self.contests:
                contest = collection.contest_code(str(contest_id))
                collection.choice_code(contest, str(candidate_id), name, is_write_in=write_in)


def read_manifest(part: InputPart, catalog: DominionCatalog) -> None:
    """Read one Dominion ``*Manifest.json`` into ``catalog``; unknown kinds are ignored."""
    kind = next((k for k in MANIFEST_KINDS if part.name.startswith(k)), None)
    if kind is None:
        return
    document = load_json(part)
    items = document.get("List") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise part.error("a Dominion manifest must hold a 'List' of entries", column="List")
    for n, item in enumerate(items, 1):
        try:
            ident = int(item["Id"])
            name = str(item["Description"]).strip()
            if kind == "ContestManifest":
                vote_for = item.get("VoteFor")
                ranks = int(item.get("NumOfRanks") or 0)
                catalog.contests[ident] = (name, int(vote_for) if vote_for else None, ranks)
            elif kind == "CandidateManifest":
                write_in = "writein" in str(item.get("Type", "")).replace("-", "").lower()
                catalog.candidates[ident] = (name, int(item["ContestId"]), write_in)
            elif kind == "CountingGroupManifest":
                catalog.counting_groups[ident] = name
            elif kind == "BallotTypeManifest":
                catalog.ballot_types[ident] = name
            else:
                catalog.precinct_portions[ident] = name
        except KeyError as missing:
            raise part.error(
                f"entry {n} of the list lacks key {missing}; keys found: {', '.join(item)}",
                column=str(missing.args[0]),
            ) from None
        except (TypeError, ValueError) as error:
            raise part.error(f"entry {n} of the list: {error}") from None


class _Reader:
    """The state of reading Dominion sessions into one collection (caches of id → code)."""

    def __init__(self, collection: CardCollection, catalog: DominionCatalog, source: int) -> None:
        self.collection = collection
        self.catalog = catalog
        self.source = source
        self.contests: dict[Id, int] = {}
        self.choices: dict[int, dict[Id, int]] = defaultdict(dict)
        """Per contest code: Dominion candidate id → choice code."""
        self.groups: dict[Id, int] = {}
        self.styles: dict[Id, int] = {}
        self.precincts: dict[Id, int] = {}

    def contest(self, contest_id: Id) -> int:
        """Return the collection code of a Dominion contest id, naming it from the manifest."""
        known = self.catalog.contests.get(contest_id) if isinstance(contest_id, int) else None
        if known is None:
            code = self.collection.contest_code(str(contest_id), f"Contest {contest_id}")
        else:
            code = self.collection.contest_code(str(contest_id), known[0], known[1])
            self.collection.contests[code].ranks = known[2]
        self.contests[contest_id] = code
        return code

    def choice(self, contest_id: Id, contest: int, candidate_id: Id) -> int:
        """Return the collection code of a Dominion candidate id within a contest."""
        known = self.catalog.candidates.get(candidate_id) if isinstance(candidate_id, int) else None
        if known is not None and known[1] != contest_id:
            raise _ManifestMismatch(
                f"candidate {candidate_id} ({known[0]!r}) is marked in contest {contest_id}, but "
                f"CandidateManifest.json puts it in contest {known[1]}"
            )
        name = known[0] if known else f"Candidate {candidate_id}"
        write_in = known[2] if known else False
        code = self.collection.choice_code(contest, str(candidate_id), name, is_write_in=write_in)
        self.choices[contest][candidate_id] = code
        return code

    def code(self, cache: dict[Id, int], names: dict[int, str], ident: Id | None) -> int:
        """Return the string code of a counting group, ballot type or precinct portion id."""
        if ident is None:
            return -1
        code = cache.get(ident)
        if code is None:
            text = names.get(ident) if isinstance(ident, int) else None
            code = self.collection.strings.code(text if text is not None else str(ident))
            cache[ident] = code
        return code

    def current(self, session: _Session) -> _Snapshot:
        """Return the interpretation counted: ``Modified`` if current, else ``Original``."""
        snapshot = session.Original
        modified = session.Modified
        if modified is not None and (modified.IsCurrent or not snapshot.IsCurrent):
            return modified
        return snapshot

    def sessions(self, sessions: list[_Session], bulk: BulkCards, firsts: list[int]) -> None:
        """Append the cards of ``sessions`` to ``bulk``; ``firsts`` gets each one's first card.

        One loop with every lookup bound to a local name: this is the hot path of reading
        millions of cards.
        """
        collection = self.collection
        code_of = collection.strings.code
        encode_id = collection.encode_id
        catalog = self.catalog
        contest_codes, choice_codes = self.contests, self.choices
        defs = collection.contests
        card_ids, tabulators, batches = bulk.card_ids, bulk.tabulators, bulk.batches
        records, styles = bulk.records, bulk.styles
        precincts, groups, sheets = bulk.precincts, bulk.groups, bulk.sheets
        entry_counts = bulk.entry_counts
        e_contests, e_overs, e_unders = bulk.e_contests, bulk.e_overs, bulk.e_unders
        mark_counts, m_choices, m_ranks = bulk.mark_counts, bulk.m_choices, bulk.m_ranks
        tabulator_codes: dict[Id, int] = {}
        batch_codes: dict[Id, int] = {}
        for number, session in enumerate(sessions, 1):
            firsts.append(len(card_ids))
            raw = session.TabulatorId
            tabulator = tabulator_codes.get(raw)
            if tabulator is None:
                tabulator = tabulator_codes[raw] = code_of(str(raw))
            raw = session.BatchId
            batch = batch_codes.get(raw)
            if batch is None:
                batch = batch_codes[raw] = code_of(str(raw))
            raw = session.RecordId
            record = raw if type(raw) is int and 0 <= raw < DIRECT_ID_LIMIT else encode_id(raw)
            group = self.code(self.groups, catalog.counting_groups, session.CountingGroupId)
            snapshot = session.Original
            modified = session.Modified
            if modified is not None and (modified.IsCurrent or not snapshot.IsCurrent):
                snapshot = modified
            style = self.code(self.styles, catalog.ballot_types, snapshot.BallotTypeId)
            precinct = self.code(
                self.precincts, catalog.precinct_portions, snapshot.PrecinctPortionId
            )
            cards = snapshot.Cards
            flat = cards is None
            if cards is None:
                if snapshot.Contests is None:
                    raise _LayoutError(number)
                cards = [_Card(0, snapshot.Contests)]
            for card in cards:
                card_id = card.Id
                if flat:
                    card_id = ABSENT
                elif type(card_id) is not int or not 0 <= card_id < DIRECT_ID_LIMIT:
                    card_id = encode_id(card_id)
                sheet = card.PaperIndex
                contests = card.Contests
                card_ids.append(card_id)
                tabulators.append(tabulator)
                batches.append(batch)
                records.append(record)
                styles.append(style)
                precincts.append(precinct)
                groups.append(group)
                sheets.append(-1 if sheet is None else sheet)
                entry_counts.append(len(contests))
                for contest in contests:
                    contest_id = contest.Id
                    code = contest_codes.get(contest_id)
                    if code is None:
                        code = self.contest(contest_id)
                    choices = choice_codes[code]
                    marks = 0
                    for mark in contest.Marks:
                        if mark.IsVote:
                            rank = mark.Rank
                            if rank != 1 and rank > defs[code].ranks:
                                defs[code].ranks = rank
                            choice = choices.get(mark.CandidateId)
                            if choice is None:
                                choice = self.choice(contest_id, code, mark.CandidateId)
                            m_choices.append(choice)
                            m_ranks.append(rank)
                            marks += 1
                    over, under = contest.Overvotes, contest.Undervotes
                    if over is None or under is None:
                        allowed = defs[code].votes_allowed
                        if allowed is not None and defs[code].ranks <= 1:
                            over = over if over is not None else (allowed if marks > allowed else 0)
                            under = under if under is not None else (0 if over else allowed - marks)
                    e_contests.append(code)
                    e_overs.append(-1 if over is None else over)
                    e_unders.append(-1 if under is None else under)
                    mark_counts.append(marks)
        added = len(card_ids) - len(bulk.imprints)
        bulk.imprints.extend([ABSENT] * added)
        bulk.sources.extend([self.source] * added)
        bulk.flags.extend([FLAG_DERIVED_IMPRINT] * added)


class _ManifestMismatch(Exception):
    """A CVR that contradicts the export's manifests."""


class _LayoutError(Exception):
    """A session (its number is the argument) in neither the flat nor the multi-card layout."""


def read_dominion_json(
    part: InputPart,
    collection: CardCollection,
    catalog: DominionCatalog,
    source: int,
    data: bytes | None = None,
) -> int:
    """Read the sessions of one ``CvrExport*.json`` into ``collection``; return the cards added.

    ``data`` is the file's content when the caller has already read it. Errors name the file,
    the session (number, tabulator, batch, record) and the key at fault.
    """
    if data is None:
        data = part.read_bytes()
    with _no_cyclic_gc():
        return _read_sessions(part, data, collection, catalog, source)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (decoded CVRs hold no cycles).

    Decoding builds millions of small lists; each full collection would walk them all,
    which slowed reading several-fold. Reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_sessions(
    part: InputPart, data: bytes, collection: CardCollection, catalog: DominionCatalog, source: int
) -> int:
    """Decode one export file's bytes and add its cards (see :func:`read_dominion_json`)."""
    try:
        export = _DECODER.decode(data)
    except msgspec.ValidationError as error:
        raise _validation_error(part, data, error) from None
    except msgspec.DecodeError as error:
        raise json_syntax_error(part, data, error) from None
    reader = _Reader(collection, catalog, source)
    bulk = BulkCards()
    first_card_of_session: list[int] = []
    try:
        reader.sessions(export.Sessions, bulk, first_card_of_session)
    except _ManifestMismatch as error:
        n = len(first_card_of_session)
        raise part.error(
            f"{_where(n, export.Sessions[n - 1])}: {error}", column="CandidateId"
        ) from None
    except _LayoutError as error:
        n = int(error.args[0])
        raise part.error(
            f"{_where(n, export.Sessions[n - 1])}: the current interpretation has neither "
            "'Cards' nor 'Contests'",
            column="Cards",
        ) from None
    try:
        collection.add_cards_bulk(bulk)
    except CardError as error:
        n = bisect_right(first_card_of_session, error.position or 0)
        session = export.Sessions[n - 1]
        raise part.error(f"{_where(n, session)}: {error}", column="Contests") from None
    return len(bulk.card_ids)


def _where(n: int, session: _Session) -> str:
    return (
        f"session {n} (TabulatorId {session.TabulatorId!r}, BatchId {session.BatchId!r}, "
        f"RecordId {session.RecordId!r})"
    )


def _validation_error(part: InputPart, data: bytes, error: msgspec.ValidationError) -> Exception:
    """Return a clear error for a session whose keys or values are not Dominion's."""
    message = str(error)
    found = _SESSION_PATH.search(message)
    key = re.search(r"field `(\w+)`", message)
    where = ""
    keys = ""
    if found:
        n = int(found.group(1))
        session = _untyped_session(data, n)
        labels = [
            f"{k} {session[k]!r}" for k in ("TabulatorId", "BatchId", "RecordId") if k in session
        ]
        where = f"session {n + 1}" + (f" ({', '.join(labels)})" if labels else "") + ": "
        if key and key.group(1) in _Session.__struct_fields__:
            keys = f"; keys found there: {', '.join(session)}"
    detail = _SESSION_PATH.sub(lambda m: f"session {int(m.group(1)) + 1}", message)
    if "missing required field `Sessions`" in message:
        document = msgspec.json.decode(data)
        names = ", ".join(repr(k) for k in document) if isinstance(document, dict) else "none"
        return part.error(
            f"expected a Dominion CVR export with a 'Sessions' list; keys found: {names}",
            column="Sessions",
        )
    return part.error(f"{where}{detail}{keys}", column=key.group(1) if key else None)


def _untyped_session(data: bytes, n: int) -> dict[str, Any]:
    """Return session ``n`` (0-based) as a plain dict, for error messages."""
    document = msgspec.json.decode(data)
    sessions = document.get("Sessions") if isinstance(document, dict) else None
    if isinstance(sessions, list) and n < len(sessions) and isinstance(sessions[n], dict):
        return dict(sessions[n])
    return {}
