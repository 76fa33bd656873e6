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

from dataclasses import dataclass, field
from typing import Any

import orjson

from papertally.io.cvr.common import InputPart
from papertally.model.cards import CardCollection, CardError, ContestEntry

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
    document = _load(part)
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


def _load(part: InputPart) -> Any:
    data = part.read_bytes()
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        ends_early = error.pos >= len(data.rstrip()) - 1
        why = "the file ends in the middle of the JSON (truncated?)" if ends_early else error.msg
        raise part.error(
            f"broken JSON at line {error.lineno}, column {error.colno}: {why}", row=error.lineno
        ) from None


class _Reader:
    """The state of reading Dominion sessions into one collection (caches of id → code)."""

    def __init__(self, collection: CardCollection, catalog: DominionCatalog, source: int) -> None:
        self.collection = collection
        self.catalog = catalog
        self.source = source
        self.contests: dict[Any, int] = {}
        self.choices: dict[tuple[Any, Any], int] = {}
        self.groups: dict[Any, str] = {}
        self.styles: dict[Any, str] = {}
        self.precincts: dict[Any, str] = {}

    def contest(self, contest_id: Any) -> int:
        code = self.contests.get(contest_id)
        if code is None:
            known = self.catalog.contests.get(int(contest_id))
            if known is None:
                code = self.collection.contest_code(str(contest_id), f"Contest {contest_id}")
            else:
                code = self.collection.contest_code(str(contest_id), known[0], known[1])
                self.collection.contests[code].ranks = known[2]
            self.contests[contest_id] = code
        return code

    def choice(self, contest_id: Any, contest: int, candidate_id: Any) -> int:
        code = self.choices.get((contest_id, candidate_id))
        if code is None:
            known = self.catalog.candidates.get(int(candidate_id))
            name = known[0] if known else f"Candidate {candidate_id}"
            write_in = known[2] if known else False
            code = self.collection.choice_code(
                contest, str(candidate_id), name, is_write_in=write_in
            )
            self.choices[(contest_id, candidate_id)] = code
        return code

    def named(self, cache: dict[Any, str], names: dict[int, str], ident: Any) -> str | None:
        if ident is None:
            return None
        text = cache.get(ident)
        if text is None:
            text = names.get(ident) if isinstance(ident, int) else None
            text = text if text is not None else str(ident)
            cache[ident] = text
        return text

    def entries(self, contests: list[dict[str, Any]]) -> list[ContestEntry]:
        result: list[ContestEntry] = []
        ranked_contests = self.collection.contests
        for contest in contests:
            contest_id = contest["Id"]
            code = self.contest(contest_id)
            marks = []
            for mark in contest["Marks"]:
                if mark["IsVote"]:
                    rank = mark.get("Rank", 1)
                    if rank != 1 and rank > ranked_contests[code].ranks:
                        ranked_contests[code].ranks = rank
                    marks.append((self.choice(contest_id, code, mark["CandidateId"]), rank))
            result.append((code, contest.get("Overvotes"), contest.get("Undervotes"), marks))
        return result

    def session(self, session: dict[str, Any]) -> int:
        """Add the cards of one session; return how many."""
        tabulator = str(session["TabulatorId"])
        batch = str(session["BatchId"])
        record = session["RecordId"]
        group = self.named(self.groups, self.catalog.counting_groups, session["CountingGroupId"])
        snapshot = session["Original"]
        modified = session.get("Modified")
        if modified is not None and (modified.get("IsCurrent", True) or not snapshot["IsCurrent"]):
            snapshot = modified
        style = self.named(self.styles, self.catalog.ballot_types, snapshot.get("BallotTypeId"))
        precinct = self.named(
            self.precincts, self.catalog.precinct_portions, snapshot.get("PrecinctPortionId")
        )
        add = self.collection.add_card
        cards = snapshot.get("Cards")
        if cards is None:
            if "Contests" not in snapshot:
                raise KeyError("Cards")
            add(
                None,
                tabulator,
                batch,
                record,
                self.entries(snapshot["Contests"]),
                ballot_style=style,
                precinct=precinct,
                counting_group=group,
                source=self.source,
                derived_imprint=True,
            )
            return 1
        for card in cards:
            add(
                card["Id"],
                tabulator,
                batch,
                record,
                self.entries(card["Contests"]),
                ballot_style=style,
                precinct=precinct,
                counting_group=group,
                sheet=card.get("PaperIndex"),
                source=self.source,
                derived_imprint=True,
            )
        return len(cards)


def read_dominion_json(
    part: InputPart, collection: CardCollection, catalog: DominionCatalog, source: int
) -> int:
    """Read the sessions of one ``CvrExport*.json`` into ``collection``; return the cards added.

    Errors name the file, the session (number, tabulator, batch, record) and the key at fault.
    """
    document = _load(part)
    if not isinstance(document, dict) or not isinstance(document.get("Sessions"), list):
        keys = ", ".join(repr(k) for k in document) if isinstance(document, dict) else "none"
        raise part.error(
            f"expected a Dominion CVR export with a 'Sessions' list; keys found: {keys}",
            column="Sessions",
        )
    reader = _Reader(collection, catalog, source)
    added = 0
    for n, session in enumerate(document["Sessions"], 1):
        try:
            added += reader.session(session)
        except KeyError as missing:
            key = str(missing.args[0])
            raise part.error(
                f"{_where(n, session)}: missing key {key!r}; keys found there: "
                f"{_keys_near(session, key)}",
                column=key,
            ) from None
        except CardError as error:
            raise part.error(f"{_where(n, session)}: {error}", column="Contests") from None
        except (TypeError, ValueError, AttributeError) as error:
            raise part.error(f"{_where(n, session)}: unexpected value ({error})") from None
    return added


def _where(n: int, session: Any) -> str:
    if not isinstance(session, dict):
        return f"session {n}"
    parts = [f"{k} {session[k]!r}" for k in ("TabulatorId", "BatchId", "RecordId") if k in session]
    return f"session {n} ({', '.join(parts)})" if parts else f"session {n}"


def _keys_near(session: Any, key: str) -> str:
    """Return the keys of the object where ``key`` was missing (best effort, for messages)."""
    if not isinstance(session, dict):
        return "none"
    if key in ("Original", "TabulatorId", "BatchId", "RecordId", "CountingGroupId"):
        return ", ".join(session)
    snapshot = session.get("Modified") or session.get("Original") or {}
    if key in ("Cards", "Contests") and isinstance(snapshot, dict):
        return ", ".join(snapshot)
    for card in snapshot.get("Cards", [snapshot]) if isinstance(snapshot, dict) else []:
        for contest in card.get("Contests", []):
            if key not in contest:
                return ", ".join(contest)
            for mark in contest.get("Marks", []):
                if key not in mark:
                    return ", ".join(mark)
    return ", ".join(session)
