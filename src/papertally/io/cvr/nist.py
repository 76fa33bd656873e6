"""NIST SP 1500-103 cast vote records, in JSON and XML (the Common Data Format for CVRs).

A ``CastVoteRecordReport`` holds ``CVR`` items and an ``Election`` catalogue. Each CVR has one
or more ``CVRSnapshot`` interpretations; the one named by ``CurrentSnapshotId`` is read. In a
snapshot each ``CVRContest`` lists ``CVRContestSelection`` items whose ``SelectionPosition``
says whether the position counts (``IsAllocable`` not ``no``), how many votes it gives
(``NumberVotes``) and, for ranked contests, its ``Rank`` (NIST SP 1500-103 v1, §2 and the
UML model). Choices are named from the catalogue: candidates' names, a ballot measure's
``Selection``, or ``Write-in`` for a write-in line.

XML is read as a stream, one ``CVR`` element at a time; the catalogue (which NIST files put
after the CVRs) then names the contests and choices already met. The XML is turned into the
same nested dicts as the JSON (local element names; ``ObjectId`` becomes ``@id``), so one
code path handles both.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any
from xml.etree import ElementTree

from papertally.io.cvr.common import InputPart, load_json
from papertally.model.cards import CardCollection, CardError, ContestEntry

WRITE_IN = "Write-in"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def many(node: Any, key: str) -> list[Any]:
    """Return ``node[key]`` as a list (JSON gives singletons bare, our XML dicts give lists)."""
    if not isinstance(node, dict):
        return []
    value = node.get(key)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def one(node: Any, key: str) -> Any:
    """Return the first value of ``node[key]``, or ``None``."""
    values = many(node, key)
    return values[0] if values else None


def text_of(value: Any) -> str | None:
    """Return the text of a string, an XML text node or an InternationalizedText."""
    if value is None or isinstance(value, str | int | float):
        return None if value is None else str(value)
    if isinstance(value, dict):
        if "#text" in value:
            return str(value["#text"])
        if "Content" in value:
            return str(value["Content"])
        texts = many(value, "Text")
        if texts:
            return text_of(texts[0])
    if isinstance(value, list) and value:
        return text_of(value[0])
    return None


def element_to_dict(element: ElementTree.Element) -> Any:
    """Return an XML element as JSON-like data: local names, ``@id``, ``@type``, ``#text``."""
    children = list(element)
    attributes = {
        key: value for key, value in element.attrib.items() if key in ("ObjectId", XSI_TYPE)
    }
    text = (element.text or "").strip()
    if not children and not attributes and not element.attrib:
        return text
    result: dict[str, Any] = {}
    for key, value in element.attrib.items():
        local = key.rsplit("}", 1)[-1]
        if key == "ObjectId":
            result["@id"] = value
        elif key == XSI_TYPE:
            result["@type"] = value.split(":")[-1]
        else:
            result[f"@{local}"] = value
    if text and not children:
        result["#text"] = text
    for child in children:
        local = child.tag.rsplit("}", 1)[-1]
        result.setdefault(local, []).append(element_to_dict(child))
    return result


def selection_name(selection: Any, candidates: dict[str, str], parties: dict[str, str]) -> str:
    """Return the display name of a NIST ``ContestSelection`` (shared with the ERR reader)."""
    if str(one(selection, "IsWriteIn")).lower() == "true":
        return WRITE_IN
    candidate_ids = [
        ident for value in many(selection, "CandidateIds") for ident in str(value).split()
    ]
    if candidate_ids:
        return " and ".join(candidates.get(i, i) for i in candidate_ids)
    chosen = text_of(one(selection, "Selection"))
    if chosen:
        return chosen
    party_ids = [ident for value in many(selection, "PartyIds") for ident in str(value).split()]
    if party_ids:
        return " and ".join(parties.get(i, i) for i in party_ids)
    return str(selection.get("@id", "?")) if isinstance(selection, dict) else "?"


def catalogue_names(
    election: Any, parties_node: list[Any]
) -> tuple[dict[str, tuple[str, int | None]], dict[str, tuple[str, str]]]:
    """Return contest id → (name, votes allowed) and selection id → (contest id, name)."""
    candidates = {
        str(c.get("@id")): text_of(one(c, "Name")) or text_of(one(c, "BallotName")) or ""
        for c in many(election, "Candidate")
    }
    parties = {str(p.get("@id")): text_of(one(p, "Name")) or "" for p in parties_node}
    contests: dict[str, tuple[str, int | None]] = {}
    selections: dict[str, tuple[str, str]] = {}
    for contest in many(election, "Contest"):
        contest_id = str(contest.get("@id"))
        allowed = one(contest, "VotesAllowed")
        name = text_of(one(contest, "Name")) or contest_id
        contests[contest_id] = (name, int(allowed) if allowed is not None else None)
        for selection in many(contest, "ContestSelection"):
            selections[str(selection.get("@id"))] = (
                contest_id,
                selection_name(selection, candidates, parties),
            )
    return contests, selections


class _Builder:
    """Adds NIST CVR items to a collection; names are filled from the catalogue afterwards."""

    def __init__(self, part: InputPart, collection: CardCollection, source: int) -> None:
        self.part = part
        self.collection = collection
        self.source = source
        self.count = 0

    def add(self, cvr: Any) -> None:
        self.count += 1
        n = self.count
        try:
            self._add(cvr, n)
        except CardError as error:
            raise self.part.error(
                f"CVR {n} ({self._label(cvr)}): {error}", column="CVRContest"
            ) from None
        except (TypeError, ValueError, AttributeError) as error:
            raise self.part.error(
                f"CVR {n} ({self._label(cvr)}): unexpected value ({error})"
            ) from None

    def _label(self, cvr: Any) -> str:
        for key in ("UniqueId", "BallotPrePrintedId", "BallotAuditId"):
            value = text_of(one(cvr, key))
            if value:
                return f"{key} {value!r}"
        return "no id"

    def _add(self, cvr: Any, n: int) -> None:
        if not isinstance(cvr, dict):
            raise self.part.error(f"CVR {n} is not an object")
        snapshots = many(cvr, "CVRSnapshot")
        if not snapshots:
            raise self.part.error(
                f"CVR {n} ({self._label(cvr)}) has no CVRSnapshot; keys found: {', '.join(cvr)}",
                column="CVRSnapshot",
            )
        current = text_of(one(cvr, "CurrentSnapshotId"))
        snapshot = next((s for s in snapshots if s.get("@id") == current), snapshots[-1])
        collection = self.collection
        entries: list[ContestEntry] = []
        for contest in many(snapshot, "CVRContest"):
            contest_id = text_of(one(contest, "ContestId"))
            if contest_id is None:
                raise self.part.error(
                    f"CVR {n} ({self._label(cvr)}): a CVRContest lacks its ContestId",
                    column="ContestId",
                )
            code = collection.contest_code(contest_id)
            marks: list[tuple[int, int]] = []
            for selection in many(contest, "CVRContestSelection"):
                selection_id = text_of(one(selection, "ContestSelectionId")) or WRITE_IN
                choice = collection.choice_code(code, selection_id)
                for position in many(selection, "SelectionPosition"):
                    if str(text_of(one(position, "IsAllocable"))).lower() == "no":
                        continue
                    votes = int(text_of(one(position, "NumberVotes")) or 0)
                    rank = int(text_of(one(position, "Rank")) or 1)
                    if rank > 1 and rank > collection.contests[code].ranks:
                        collection.contests[code].ranks = rank
                    marks.extend([(choice, rank)] * votes)
            over = text_of(one(contest, "Overvotes"))
            under = text_of(one(contest, "Undervotes"))
            entries.append(
                (code, int(over) if over else None, int(under) if under else None, marks)
            )
        sheet = text_of(one(cvr, "BallotSheetId"))
        batch_sequence = text_of(one(cvr, "BatchSequenceId"))
        card_id = (
            text_of(one(cvr, "UniqueId"))
            or text_of(one(cvr, "BallotAuditId"))
            or text_of(one(cvr, "BallotPrePrintedId"))
            or f"cvr-{n}"
        )
        collection.add_card(
            card_id,
            text_of(one(cvr, "CreatingDeviceId")) or "",
            text_of(one(cvr, "BatchId")) or "",
            batch_sequence if batch_sequence is not None else n,
            entries,
            imprinted_id=text_of(one(cvr, "BallotPrePrintedId")),
            ballot_style=text_of(one(cvr, "BallotStyleId")),
            precinct=text_of(one(cvr, "BallotStyleUnitId")),
            sheet=int(sheet) if sheet and sheet.isdigit() else None,
            source=self.source,
        )

    def name_from(self, election: Any, parties: list[Any]) -> None:
        """Name the contests and choices met from the ``Election`` catalogue."""
        contests, selections = catalogue_names(election, parties)
        collection = self.collection
        for contest_id, (name, allowed) in contests.items():
            code = collection.contest_code(contest_id)
            collection.contests[code].name = name
            collection.contests[code].votes_allowed = allowed
        for selection_id, (contest_id, name) in selections.items():
            code = collection.choice_code(collection.contest_code(contest_id), selection_id)
            collection.choices[code].name = name
            collection.choices[code].is_write_in = name == WRITE_IN


def read_nist_json(part: InputPart, collection: CardCollection, source: int) -> int:
    """Read a NIST SP 1500-103 CVR JSON report into ``collection``; return the cards added."""
    report = load_json(part)
    if not isinstance(report, dict) or "CVR" not in report:
        keys = ", ".join(repr(k) for k in report) if isinstance(report, dict) else "none"
        raise part.error(f"expected a CastVoteRecordReport with 'CVR' items; keys found: {keys}")
    builder = _Builder(part, collection, source)
    for cvr in many(report, "CVR"):
        builder.add(cvr)
    for election in many(report, "Election")[:1]:
        builder.name_from(election, many(report, "Party"))
    return builder.count


def iter_xml(part: InputPart, tags: set[str]) -> Iterator[tuple[str, ElementTree.Element]]:
    """Yield the elements named ``tags`` (local names) that are direct children of the root."""
    with part.stream() as stream:
        yield from _iter_xml(part, stream, tags)


def _iter_xml(
    part: InputPart, stream: IO[bytes], tags: set[str]
) -> Iterator[tuple[str, ElementTree.Element]]:
    """Stream-parse ``stream``, yielding and then freeing the wanted top-level elements."""
    depth = 0
    try:
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):
            if event == "start":
                depth += 1
                continue
            depth -= 1
            local = element.tag.rsplit("}", 1)[-1]
            if depth == 1 and local in tags:
                yield local, element
                element.clear()
    except ElementTree.ParseError as error:
        line, column = error.position
        why = str(error).split(":")[0]
        raise part.error(
            f"broken XML at line {line}, column {column}: {why} (is the file truncated?)",
            row=line,
        ) from None


def read_nist_xml(part: InputPart, collection: CardCollection, source: int) -> int:
    """Read a NIST SP 1500-103 CVR XML report into ``collection``; return the cards added."""
    builder = _Builder(part, collection, source)
    election: Any = None
    parties: list[Any] = []
    for tag, element in iter_xml(part, {"CVR", "Election", "Party"}):
        if tag == "CVR":
            builder.add(element_to_dict(element))
        elif tag == "Election" and election is None:
            election = element_to_dict(element)
        elif tag == "Party":
            parties.append(element_to_dict(element))
    if election is not None:
        builder.name_from(election, parties)
    return builder.count
