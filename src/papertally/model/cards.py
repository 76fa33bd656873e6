"""Ballot cards: the normalized cast vote records (CVRs) every vendor reader produces.

A *ballot card* is one sheet of paper as a tabulator scanned it: where it is (tabulator, batch,
position in the batch, imprinted id), what kind of ballot it is (style, precinct, counting
group) and, per contest on it, the marks the tabulator counted as votes (with their ranks for
ranked-choice contests) and the overvotes and undervotes it recorded. Vocabulary follows NIST
SP 1500-103 (Cast Vote Records): CVRContest, CreatingDevice, BatchSequence, BallotSheet.

A :class:`CardCollection` holds millions of cards in a few flat columns of machine integers
(``array``) plus one string table, instead of one Python object per card, so that 5,000,000
cards fit in well under a gigabyte; :meth:`CardCollection.card` builds the readable
:class:`BallotCard` of one card on demand. Tallies are computed over the columns with numpy.

Tally rules: a vote-for-N contest with more marks than N is an overvote and counts for nobody
(the voter's choice cannot be known; this is how US tabulators and state laws treat it); a
ranked-choice contest contributes its first choices (rank 1) to the tally, and nothing where
rank 1 is overvoted (first-round counts; later rounds are the RCV tabulator's business).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, chain

import numpy as np
import numpy.typing as npt

from papertally.errors import PapertallyError
from papertally.model.results import ContestCount, ResultsStatus, UnitTally, unit_id
from papertally.types import ChoiceName, ContestName, CountName, CountyName

ABSENT = -(2**63)
"""The code of a missing value in an id column."""

DIRECT_ID_LIMIT = 2**62
"""Non-negative integer ids below this are stored as they are; others go to the string table."""
FLAG_PHANTOM = 1
"""A card the manifest says exists but no CVR describes (counted as the worst case in audits)."""
FLAG_DERIVED_IMPRINT = 2
"""The imprinted id is ``tabulator-batch-record``, as Dominion prints it, and is not stored."""

ContestEntry = tuple[int, int | None, int | None, Sequence[tuple[int, int]]]
"""What a reader gives per contest on a card: ``(contest code, overvotes, undervotes, marks)``,
each mark ``(choice code, rank)``; ``None`` where the file does not say."""


class CardError(PapertallyError):
    """A card that cannot be right (e.g. the same contest twice); readers add the file place."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position
        """For :meth:`CardCollection.add_cards_bulk`, the 0-based index of the card at fault."""


class StringTable:
    """Interned strings: each distinct text is stored once and referred to by its index."""

    __slots__ = ("_index", "values")

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self.values: list[str] = []

    def code(self, text: str) -> int:
        """Return the index of ``text``, adding it if new."""
        found = self._index.get(text)
        if found is None:
            found = len(self.values)
            self._index[text] = found
            self.values.append(text)
        return found

    def find(self, text: str) -> int | None:
        """Return the index of ``text``, or ``None`` if it is not in the table."""
        return self._index.get(text)

    def __len__(self) -> int:
        return len(self.values)


@dataclass(slots=True)
class ChoiceDef:
    """A choice (candidate, write-in, answer) of a contest in a collection's catalogue."""

    key: str
    """The vendor's id of the choice (or its name where the file has no ids)."""
    name: ChoiceName
    contest: int
    """The code of the contest the choice belongs to."""
    party: str | None = None
    is_write_in: bool = False


@dataclass(slots=True)
class ContestDef:
    """A contest in a collection's catalogue: vendor key, name, votes allowed, ranks, choices."""

    key: str
    """The vendor's id of the contest (or its name where the file has no ids)."""
    name: ContestName
    votes_allowed: int | None = None
    """How many choices a voter may mark; ``None`` where the files do not say."""
    ranks: int = 0
    """How many ranks a ranked-choice ballot offers; 0 for a contest that is not ranked."""
    choices: list[int] = field(default_factory=list)
    """The codes of the contest's choices, in the order first seen."""

    @property
    def is_ranked(self) -> bool:
        """Return whether the contest is ranked-choice (more than one rank)."""
        return self.ranks > 1


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file CVRs were read from, with its SHA-256 so anyone can check it is the same file."""

    path: str
    sha256: str
    format: str
    """The detected format, e.g. ``"dominion-json"``."""
    version: str | None = None
    """The vendor's format or software version where the file states it."""


@dataclass(frozen=True, slots=True)
class Mark:
    """One vote on a card: the choice and its rank (1 for contests that are not ranked)."""

    choice: ChoiceName
    rank: int = 1


@dataclass(frozen=True, slots=True)
class CardContest:
    """One contest as a card shows it: the marks counted and the over/undervotes recorded."""

    contest: ContestName
    marks: tuple[Mark, ...]
    overvotes: int | None
    undervotes: int | None

    def choices(self) -> tuple[ChoiceName, ...]:
        """Return the marked choices, in rank order for a ranked contest."""
        return tuple(m.choice for m in sorted(self.marks, key=lambda m: m.rank))


@dataclass(frozen=True, slots=True)
class BallotCard:
    """One ballot card, readable: where it is, what ballot it is and what it says."""

    index: int
    """Position of the card in its collection."""
    card_id: str
    tabulator: str
    """The tabulator (scanner, creating device) that counted the card."""
    batch: str
    record_id: str
    """The card's position in its batch (Dominion RecordId, Hart BatchSequence, ...)."""
    imprinted_id: str | None
    ballot_style: str | None
    precinct: str | None
    counting_group: str | None
    """How the ballot was cast, e.g. ``"Election Day"`` or ``"Absentee"``."""
    sheet: int | None
    """The sheet (card) number of a multi-sheet ballot, where known."""
    contests: tuple[CardContest, ...]
    is_phantom: bool
    source: str
    """The file the card came from."""

    def contest(self, name: ContestName) -> CardContest | None:
        """Return the card's entry for contest ``name``, or ``None`` if it is not on the card."""
        for entry in self.contests:
            if entry.contest == name:
                return entry
        return None


class CardCollection:
    """Ballot cards read from one or more CVR files, with their contest catalogue and sources.

    Cards are appended with :meth:`add_card` by readers and never changed afterwards; names of
    contests and choices can be changed (by the standardization step) without touching cards.
    """

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.strings = StringTable()
        self.contests: list[ContestDef] = []
        self.choices: list[ChoiceDef] = []
        self.sources: list[SourceFile] = []
        self._contest_by_key: dict[str, int] = {}
        self._choice_by_key: dict[tuple[int, str], int] = {}
        # One entry per card.
        self._card_id = array("q")
        self._tabulator = array("i")
        self._batch = array("i")
        self._record = array("q")
        self._imprint = array("q")
        self._style = array("i")
        self._precinct = array("i")
        self._group = array("i")
        self._sheet = array("i")
        self._source = array("i")
        self._flags = array("B")
        self._entry_start = array("q")
        self._mark_start = array("q")
        # One entry per contest on a card.
        self._e_contest = array("i")
        self._e_over = array("h")
        self._e_under = array("h")
        self._e_marks = array("H")
        # One entry per mark.
        self._m_choice = array("i")
        self._m_rank = array("h")

    # -- catalogue -------------------------------------------------------------------------

    def add_source(self, source: SourceFile) -> int:
        """Record a file cards are read from and return its index."""
        self.sources.append(source)
        return len(self.sources) - 1

    def contest_code(
        self, key: str, name: ContestName | None = None, votes_allowed: int | None = None
    ) -> int:
        """Return the code of the contest with vendor ``key``, adding it (named ``name``) if new."""
        code = self._contest_by_key.get(key)
        if code is None:
            code = len(self.contests)
            self.contests.append(ContestDef(key, name if name is not None else key, votes_allowed))
            self._contest_by_key[key] = code
        return code

    def find_contest(self, key: str) -> int | None:
        """Return the code of the contest with vendor ``key``, or ``None``."""
        return self._contest_by_key.get(key)

    def choice_code(
        self,
        contest: int,
        key: str,
        name: ChoiceName | None = None,
        *,
        party: str | None = None,
        is_write_in: bool = False,
    ) -> int:
        """Return the code of choice ``key`` of ``contest``, adding it if new."""
        code = self._choice_by_key.get((contest, key))
        if code is None:
            code = len(self.choices)
            label = name if name is not None else key
            self.choices.append(ChoiceDef(key, label, contest, party, is_write_in))
            self.contests[contest].choices.append(code)
            self._choice_by_key[(contest, key)] = code
        return code

    def contest_names(self) -> list[ContestName]:
        """Return the distinct contest names, in catalogue order."""
        return list(dict.fromkeys(c.name for c in self.contests))

    def rename(
        self,
        contests: Mapping[ContestName, ContestName],
        choices: Mapping[tuple[ContestName, ChoiceName], ChoiceName] | None = None,
    ) -> None:
        """Rename contests and choices (keys are the current names); cards are untouched."""
        choices = choices or {}
        for choice in self.choices:
            old_contest = self.contests[choice.contest].name
            choice.name = choices.get((old_contest, choice.name), choice.name)
        for contest in self.contests:
            contest.name = contests.get(contest.name, contest.name)

    # -- cards -----------------------------------------------------------------------------

    def encode_id(self, value: str | int | None) -> int:
        """Return the column code of an id: small non-negative integers are kept as they are."""
        if value is None:
            return ABSENT
        if isinstance(value, int):
            if 0 <= value < DIRECT_ID_LIMIT:
                return value
            value = str(value)
        elif (
            value.isascii()
            and value.isdigit()
            and len(value) < 19
            and (value == "0" or value[0] != "0")
        ):
            return int(value)
        return -1 - self.strings.code(value)

    def _lookup_id(self, value: str | int) -> int | None:
        """Return the code ``encode_id`` gives ``value``, without adding it to the table."""
        if isinstance(value, int) and 0 <= value < DIRECT_ID_LIMIT:
            return value
        text = str(value)
        if text.isascii() and text.isdigit() and len(text) < 19 and (text == "0" or text[0] != "0"):
            return int(text)
        found = self.strings.find(text)
        return None if found is None else -1 - found

    def _decode_id(self, code: int) -> str | None:
        if code == ABSENT:
            return None
        if code >= 0:
            return str(code)
        return self.strings.values[-1 - code]

    def _text(self, code: int) -> str | None:
        return None if code < 0 else self.strings.values[code]

    def _opt(self, text: str | None) -> int:
        return -1 if text is None else self.strings.code(text)

    def add_card(
        self,
        card_id: str | int | None,
        tabulator: str,
        batch: str,
        record_id: str | int,
        contests: Sequence[ContestEntry],
        *,
        imprinted_id: str | int | None = None,
        ballot_style: str | None = None,
        precinct: str | None = None,
        counting_group: str | None = None,
        sheet: int | None = None,
        source: int = 0,
        is_phantom: bool = False,
        derived_imprint: bool = False,
    ) -> int:
        """Append one card and return its index.

        ``card_id`` ``None`` means the card is known by its imprinted id. Overvotes and
        undervotes the file does not give are derived where the contest's votes allowed is
        known. Raises :class:`CardError` when the card lists a contest twice.
        """
        lengths = [len(c) for c in self._columns()]
        try:
            strings = self.strings
            self._card_id.append(self.encode_id(card_id))
            self._tabulator.append(strings.code(tabulator))
            self._batch.append(strings.code(batch))
            self._record.append(self.encode_id(record_id))
            self._imprint.append(self.encode_id(imprinted_id))
            self._style.append(self._opt(ballot_style))
            self._precinct.append(self._opt(precinct))
            self._group.append(self._opt(counting_group))
            self._sheet.append(-1 if sheet is None else sheet)
            self._source.append(source)
            self._flags.append(
                (FLAG_PHANTOM if is_phantom else 0)
                | (FLAG_DERIVED_IMPRINT if derived_imprint else 0)
            )
            self._entry_start.append(len(self._e_contest))
            self._mark_start.append(len(self._m_choice))
            if len(contests) > 1 and len({c[0] for c in contests}) != len(contests):
                self._truncate(lengths)
                seen: set[int] = set()
                for entry in contests:
                    if entry[0] in seen:
                        raise CardError(
                            f"the card lists contest {self.contests[entry[0]].key!r} more than once"
                        )
                    seen.add(entry[0])
            defs = self.contests
            for contest, over, under, marks in contests:
                if over is None or under is None:
                    definition = defs[contest]
                    allowed = definition.votes_allowed
                    if allowed is not None and not definition.is_ranked:
                        if over is None:
                            over = allowed if len(marks) > allowed else 0
                        if under is None:
                            under = 0 if over else allowed - len(marks)
                self._e_contest.append(contest)
                self._e_over.append(-1 if over is None else over)
                self._e_under.append(-1 if under is None else under)
                self._e_marks.append(len(marks))
                for choice, rank in marks:
                    self._m_choice.append(choice)
                    self._m_rank.append(rank)
        except (OverflowError, TypeError) as error:
            self._truncate(lengths)
            raise CardError(f"a card value is out of range: {error}") from None
        return len(self._card_id) - 1

    def add_cards_bulk(self, cards: BulkCards) -> None:
        """Append many cards at once from flat lists (the fast path of large-export readers).

        Ids must already be encoded (:meth:`encode_id`, ``strings.code``); each card's
        contests and each contest's marks are given by counts. A card listing a contest twice
        is refused, naming its position in ``cards``.
        """
        n = len(cards.card_ids)
        columns = (
            cards.tabulators,
            cards.batches,
            cards.records,
            cards.imprints,
            cards.styles,
            cards.precincts,
            cards.groups,
            cards.sheets,
            cards.sources,
            cards.flags,
            cards.entry_counts,
        )
        if any(len(c) != n for c in columns):
            raise ValueError("bulk card columns differ in length")
        if len(cards.e_contests) != sum(cards.entry_counts) or len(cards.mark_counts) != len(
            cards.e_contests
        ):
            raise ValueError("bulk contest columns do not match the cards' contest counts")
        if not len(cards.m_choices) == sum(cards.mark_counts) == len(cards.m_ranks):
            raise ValueError("bulk mark columns do not match the contests' mark counts")
        if cards.e_contests:
            card_of_entry = np.repeat(np.arange(n, dtype=np.int64), cards.entry_counts)
            keys = card_of_entry * (len(self.contests) + 1) + np.array(cards.e_contests, np.int64)
            ordered = np.sort(keys)
            repeats = ordered[1:][ordered[1:] == ordered[:-1]]
            if len(repeats):
                card, contest = divmod(int(repeats[0]), len(self.contests) + 1)
                raise CardError(
                    f"the card lists contest {self.contests[contest].key!r} more than once", card
                )
        lengths = [len(c) for c in self._columns()]
        try:
            e_base = len(self._e_contest)
            m_base = len(self._m_choice)
            self._card_id.fromlist(cards.card_ids)
            self._tabulator.fromlist(cards.tabulators)
            self._batch.fromlist(cards.batches)
            self._record.fromlist(cards.records)
            self._imprint.fromlist(cards.imprints)
            self._style.fromlist(cards.styles)
            self._precinct.fromlist(cards.precincts)
            self._group.fromlist(cards.groups)
            self._sheet.fromlist(cards.sheets)
            self._source.fromlist(cards.sources)
            self._flags.fromlist(cards.flags)
            self._entry_start.extend(_starts(cards.entry_counts, e_base))
            self._mark_start.frombytes(_card_mark_starts(cards, m_base))
            self._e_contest.fromlist(cards.e_contests)
            self._e_over.fromlist(cards.e_overs)
            self._e_under.fromlist(cards.e_unders)
            self._e_marks.fromlist(cards.mark_counts)
            self._m_choice.fromlist(cards.m_choices)
            self._m_rank.fromlist(cards.m_ranks)
        except (OverflowError, TypeError) as error:
            self._truncate(lengths)
            raise CardError(f"a card value is out of range: {error}") from None

    def extend(self, other: CardCollection) -> None:
        """Append all cards of ``other`` (e.g. another file or county), merging catalogues.

        Contests are matched by vendor key, choices by contest and key, strings by text, and
        sources by path and hash.
        """
        strings = np.array([self.strings.code(t) for t in other.strings.values] + [0], np.int64)
        contests = []
        for contest in other.contests:
            code = self.contest_code(contest.key, contest.name, contest.votes_allowed)
            mine = self.contests[code]
            mine.ranks = max(mine.ranks, contest.ranks)
            contests.append(code)
        choices = [
            self.choice_code(
                contests[c.contest], c.key, c.name, party=c.party, is_write_in=c.is_write_in
            )
            for c in other.choices
        ]
        known = {(s.path, s.sha256): i for i, s in enumerate(self.sources)}
        sources = [
            known[(s.path, s.sha256)] if (s.path, s.sha256) in known else self.add_source(s)
            for s in other.sources
        ]

        def ids(column: array[int]) -> bytes:
            values = np.frombuffer(column, dtype=np.int64).copy()
            text = (values < 0) & (values != ABSENT)
            values[text] = -1 - strings[-1 - values[text]]
            return values.tobytes()

        def texts(column: array[int]) -> bytes:
            values = np.frombuffer(column, dtype=np.int32).astype(np.int64)
            present = values >= 0
            values[present] = strings[values[present]]
            return values.astype(np.int32).tobytes()

        def mapped(column: array[int], table: list[int]) -> bytes:
            lookup = np.array([*table, 0], dtype=np.int32)
            return lookup[np.frombuffer(column, dtype=np.int32)].tobytes()

        def shifted(column: array[int], base: int) -> bytes:
            return (np.frombuffer(column, dtype=np.int64) + base).tobytes()

        e_base, m_base = len(self._e_contest), len(self._m_choice)
        self._card_id.frombytes(ids(other._card_id))
        self._tabulator.frombytes(texts(other._tabulator))
        self._batch.frombytes(texts(other._batch))
        self._record.frombytes(ids(other._record))
        self._imprint.frombytes(ids(other._imprint))
        self._style.frombytes(texts(other._style))
        self._precinct.frombytes(texts(other._precinct))
        self._group.frombytes(texts(other._group))
        self._sheet.extend(other._sheet)
        self._source.frombytes(mapped(other._source, sources))
        self._flags.extend(other._flags)
        self._entry_start.frombytes(shifted(other._entry_start, e_base))
        self._mark_start.frombytes(shifted(other._mark_start, m_base))
        self._e_contest.frombytes(mapped(other._e_contest, contests))
        self._e_over.extend(other._e_over)
        self._e_under.extend(other._e_under)
        self._e_marks.extend(other._e_marks)
        self._m_choice.frombytes(mapped(other._m_choice, choices))
        self._m_rank.extend(other._m_rank)

    def _columns(self) -> tuple[array[int], ...]:
        return (
            self._card_id,
            self._tabulator,
            self._batch,
            self._record,
            self._imprint,
            self._style,
            self._precinct,
            self._group,
            self._sheet,
            self._source,
            self._flags,
            self._entry_start,
            self._mark_start,
            self._e_contest,
            self._e_over,
            self._e_under,
            self._e_marks,
            self._m_choice,
            self._m_rank,
        )

    def _truncate(self, lengths: list[int]) -> None:
        """Cut every column back to ``lengths`` (undoing a partly appended card)."""
        for column, length in zip(self._columns(), lengths, strict=True):
            del column[length:]

    def add_phantom(self, tabulator: str, batch: str, record_id: str | int) -> int:
        """Append a phantom card: one the manifest counts but no CVR describes."""
        return self.add_card(None, tabulator, batch, record_id, (), is_phantom=True)

    def __len__(self) -> int:
        return len(self._card_id)

    def card(self, index: int) -> BallotCard:
        """Return card ``index`` (0-based) in readable form."""
        if not 0 <= index < len(self):
            raise IndexError(f"card {index} is not in a collection of {len(self)} cards")
        tabulator = self.strings.values[self._tabulator[index]]
        batch = self.strings.values[self._batch[index]]
        record = self._decode_id(self._record[index]) or ""
        flags = self._flags[index]
        imprint = self._decode_id(self._imprint[index])
        if flags & FLAG_DERIVED_IMPRINT:
            imprint = f"{tabulator}-{batch}-{record}"
        card_id = self.card_id(index)
        end = self._entry_start[index + 1] if index + 1 < len(self) else len(self._e_contest)
        entries = []
        m_start = self._mark_start[index]
        for e in range(self._entry_start[index], end):
            m_end = m_start + self._e_marks[e]
            marks = tuple(
                Mark(self.choices[self._m_choice[m]].name, self._m_rank[m])
                for m in range(m_start, m_end)
            )
            m_start = m_end
            over, under = self._e_over[e], self._e_under[e]
            entries.append(
                CardContest(
                    self.contests[self._e_contest[e]].name,
                    marks,
                    None if over < 0 else over,
                    None if under < 0 else under,
                )
            )
        sheet = self._sheet[index]
        return BallotCard(
            index=index,
            card_id=card_id,
            tabulator=tabulator,
            batch=batch,
            record_id=record,
            imprinted_id=imprint,
            ballot_style=self._text(self._style[index]),
            precinct=self._text(self._precinct[index]),
            counting_group=self._text(self._group[index]),
            sheet=None if sheet < 0 else sheet,
            contests=tuple(entries),
            is_phantom=bool(flags & FLAG_PHANTOM),
            source=self.sources[self._source[index]].path if self.sources else "",
        )

    def card_id(self, index: int) -> str:
        """Return card ``index``'s id: the file's, else its imprinted id, else its place
        ``tabulator-batch-record`` (as :meth:`card` gives it, without building the card)."""
        tabulator = self.strings.values[self._tabulator[index]]
        batch = self.strings.values[self._batch[index]]
        record = self._decode_id(self._record[index]) or ""
        place = f"{tabulator}-{batch}-{record}"
        imprint = self._decode_id(self._imprint[index])
        if self._flags[index] & FLAG_DERIVED_IMPRINT:
            imprint = place
        return self._decode_id(self._card_id[index]) or imprint or place

    def contest_marks(
        self, contest: int
    ) -> tuple[
        npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.int16]
    ]:
        """Return contest code ``contest``'s entries as arrays, without building cards: the card
        of each entry, where each entry's marks start (one more bound at the end), and every
        mark's choice code and rank (ranked-choice contests are read this way in bulk)."""
        codes = np.frombuffer(self._e_contest, dtype=np.int32)
        lengths = np.frombuffer(self._e_marks, dtype=np.uint16).astype(np.int64)
        entries = np.flatnonzero(codes == contest)
        starts = np.frombuffer(self._entry_start, dtype=np.int64)
        card_of_entry = np.searchsorted(starts, entries, side="right") - 1
        first_mark = (np.cumsum(lengths) - lengths)[entries]
        counts = lengths[entries]
        bounds = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        marks = np.arange(bounds[-1], dtype=np.int64) + np.repeat(first_mark - bounds[:-1], counts)
        choices = np.frombuffer(self._m_choice, dtype=np.int32)[marks]
        ranks = np.frombuffer(self._m_rank, dtype=np.int16)[marks]
        return card_of_entry.astype(np.int64), bounds, choices, ranks

    def phantoms(self) -> npt.NDArray[np.bool_]:
        """Return, for every card, whether it is a phantom (in the manifest, no CVR)."""
        flags = np.frombuffer(self._flags, dtype=np.uint8)
        phantom: npt.NDArray[np.bool_] = (flags & FLAG_PHANTOM) != 0
        return phantom

    def __iter__(self) -> Iterator[BallotCard]:
        for index in range(len(self)):
            yield self.card(index)

    def find_cards(
        self, tabulator: str, batch: str, record_id: str | int | None = None
    ) -> list[int]:
        """Return the indexes of the cards in a batch, or at one position of it."""
        tab = self.strings.find(tabulator)
        bat = self.strings.find(batch)
        if tab is None or bat is None:
            return []
        tabs = np.frombuffer(self._tabulator, dtype=np.int32)
        bats = np.frombuffer(self._batch, dtype=np.int32)
        hit = (tabs == tab) & (bats == bat)
        if record_id is not None:
            code = self._lookup_id(record_id)
            if code is None:
                return []
            records = np.frombuffer(self._record, dtype=np.int64)
            hit &= records == code
        return [int(i) for i in np.flatnonzero(hit)]

    def duplicate_positions(self) -> list[list[int]]:
        """Return groups of cards (indexes) that claim the same tabulator, batch, record, sheet.

        Multi-sheet ballots share a record id but differ by sheet, so they are not duplicates.
        """
        if len(self) < 2:
            return []
        keys = np.stack(
            [
                np.frombuffer(self._tabulator, dtype=np.int32).astype(np.int64),
                np.frombuffer(self._batch, dtype=np.int32).astype(np.int64),
                np.frombuffer(self._record, dtype=np.int64),
                np.frombuffer(self._sheet, dtype=np.int32).astype(np.int64),
            ]
        )
        real = np.frombuffer(self._flags, dtype=np.uint8) & FLAG_PHANTOM == 0
        order = np.lexsort(keys[::-1])
        ordered = keys[:, order]
        same = np.all(ordered[:, 1:] == ordered[:, :-1], axis=0)
        groups: list[list[int]] = []
        run: list[int] = []
        for i, repeat in enumerate(same):
            if repeat:
                if not run:
                    run = [int(order[i])]
                run.append(int(order[i + 1]))
            elif run:
                groups.append([c for c in run if real[c]])
                run = []
        if run:
            groups.append([c for c in run if real[c]])
        return [g for g in groups if len(g) > 1]

    def phantom_count(self) -> int:
        """Return how many cards are phantoms (counted by the manifest, with no CVR)."""
        flags = np.frombuffer(self._flags, dtype=np.uint8)
        return int(np.count_nonzero(flags & FLAG_PHANTOM))

    def session_count(self) -> int:
        """Return the ballots scanned: real cards with distinct (source, tabulator, batch,
        record), so the sheets of one multi-card ballot (one Dominion session) count once."""
        real = np.frombuffer(self._flags, dtype=np.uint8) & FLAG_PHANTOM == 0
        if not real.any():
            return 0
        keys = np.stack(
            [
                np.frombuffer(column, dtype=dtype)[real].astype(np.int64)
                for column, dtype in (
                    (self._source, np.int32),
                    (self._tabulator, np.int32),
                    (self._batch, np.int32),
                    (self._record, np.int64),
                )
            ]
        )
        ordered = keys[:, np.lexsort(keys[::-1])]
        return 1 + int(np.count_nonzero(np.any(ordered[:, 1:] != ordered[:, :-1], axis=0)))

    # -- counting --------------------------------------------------------------------------

    def batch_counts(self) -> dict[tuple[str, str], int]:
        """Return the number of cards (phantoms excluded) per ``(tabulator, batch)``."""
        if not len(self):
            return {}
        real = np.frombuffer(self._flags, dtype=np.uint8) & FLAG_PHANTOM == 0
        tabs = np.frombuffer(self._tabulator, dtype=np.int32)[real].astype(np.int64)
        bats = np.frombuffer(self._batch, dtype=np.int32)[real].astype(np.int64)
        keys, counts = np.unique(tabs * len(self.strings) + bats, return_counts=True)
        values = self.strings.values
        size = len(self.strings)
        return {
            (values[int(k) // size], values[int(k) % size]): int(n)
            for k, n in zip(keys, counts, strict=True)
        }

    def first_card_of_batches(self) -> dict[tuple[str, str], int]:
        """Return, per ``(tabulator, batch)``, the index of its first card (for messages)."""
        tabs = np.frombuffer(self._tabulator, dtype=np.int32).astype(np.int64)
        bats = np.frombuffer(self._batch, dtype=np.int32).astype(np.int64)
        size = len(self.strings)
        keys, first = np.unique(tabs * size + bats, return_index=True)
        values = self.strings.values
        return {
            (values[int(k) // size], values[int(k) % size]): int(i)
            for k, i in zip(keys, first, strict=True)
        }

    def _counted_marks(self) -> npt.NDArray[np.bool_]:
        """Return, for every mark, whether it counts in the tally (see the module's rules).

        Works per contest entry and spreads the result over the marks with ``np.repeat``;
        only the marks of ranked contests get per-mark work, so the temporary arrays stay
        small next to the columns (5,000,000 cards have some 50 million marks).
        """
        lengths = np.frombuffer(self._e_marks, dtype=np.uint16)
        not_over = np.frombuffer(self._e_over, dtype=np.int16) <= 0
        ranked_contest = np.array([c.is_ranked for c in self.contests] + [False], dtype=bool)
        ranked = ranked_contest[np.frombuffer(self._e_contest, dtype=np.int32)]
        if not ranked.any():
            counted_plain: npt.NDArray[np.bool_] = np.repeat(not_over, lengths)
            return counted_plain
        ranked_mark = np.repeat(ranked, lengths)
        first_in_ranked = np.frombuffer(self._m_rank, dtype=np.int16)[ranked_mark] == 1
        ranked_entries = np.flatnonzero(ranked)
        ranked_lengths = lengths[ranked_entries]
        local_entry = np.repeat(np.arange(len(ranked_entries), dtype=np.int32), ranked_lengths)
        firsts = np.bincount(local_entry[first_in_ranked], minlength=len(ranked_entries))
        not_over[ranked_entries] &= firsts == 1
        counted = np.repeat(not_over, lengths)
        counted[ranked_mark] &= first_in_ranked
        return counted

    def _entry_of_mark(self) -> npt.NDArray[np.int32]:
        """Return, for every mark, the index of its contest entry."""
        lengths = np.frombuffer(self._e_marks, dtype=np.uint16)
        return np.repeat(np.arange(len(self._e_contest), dtype=np.int32), lengths)

    def choice_totals(self) -> npt.NDArray[np.int64]:
        """Return the votes counted for every choice code (see the module's tally rules)."""
        totals = np.zeros(len(self.choices), dtype=np.int64)
        if not len(self._m_choice):
            return totals
        counts = self._counted_marks()
        choice = np.frombuffer(self._m_choice, dtype=np.int32)
        step = 1 << 23
        for start in range(0, len(choice), step):
            chosen = choice[start : start + step][counts[start : start + step]]
            totals += np.bincount(chosen, minlength=len(self.choices))
        return totals

    def tallies(self) -> dict[ContestName, dict[ChoiceName, int]]:
        """Return the CVR tally of every contest: votes per choice, contests merged by name."""
        totals = self.choice_totals()
        result: dict[ContestName, dict[ChoiceName, int]] = {}
        for contest in self.contests:
            votes = result.setdefault(contest.name, {})
            for code in contest.choices:
                name = self.choices[code].name
                votes[name] = votes.get(name, 0) + int(totals[code])
        return result

    def tally(self, contest: ContestName) -> dict[ChoiceName, int]:
        """Return the CVR tally of one contest; raise a clear error if no card has it."""
        tallies = self.tallies()
        if contest not in tallies:
            known = ", ".join(repr(n) for n in tallies) or "none"
            raise PapertallyError(f"no contest {contest!r} in the CVRs; contests are: {known}")
        return tallies[contest]

    def cards_with_contest(self) -> dict[ContestName, int]:
        """Return, per contest name, how many cards include it (ballots cast in the contest)."""
        e_contest = np.frombuffer(self._e_contest, dtype=np.int32)
        per_code = np.bincount(e_contest, minlength=len(self.contests))
        result: dict[ContestName, int] = {}
        for code, contest in enumerate(self.contests):
            result[contest.name] = result.get(contest.name, 0) + int(per_code[code])
        return result

    def unit_names(self, by: str) -> list[str]:
        """Return the reporting unit of every card for ``by`` = precinct, batch, group or all."""
        values = self.strings.values
        if by == "precinct":
            return [values[c] if c >= 0 else "(no precinct)" for c in self._precinct]
        if by == "counting group":
            return [values[c] if c >= 0 else "(no counting group)" for c in self._group]
        if by == "batch":
            return [
                f"{values[t]} / {values[b]}" if values[t] else values[b]
                for t, b in zip(self._tabulator, self._batch, strict=True)
            ]
        if by == "all":
            return [self.name or "all"] * len(self)
        raise PapertallyError(
            f"cannot group CVR tallies by {by!r}; use precinct, batch, counting group or all"
        )

    def contest_counts(
        self,
        county: CountyName,
        count_name: CountName = "cvr tally",
        by: str = "all",
        status: ResultsStatus = ResultsStatus.UNOFFICIAL_COMPLETE,
    ) -> list[ContestCount]:
        """Return the CVR tallies as results-model counts, one unit per precinct, batch or all.

        Each unit's ``ballots_cast`` is the number of cards that include the contest.
        """
        names = self.unit_names(by)
        unit_codes: dict[str, int] = {}
        card_unit = np.array([unit_codes.setdefault(n, len(unit_codes)) for n in names], np.int64)
        unit_list = list(unit_codes)
        starts = np.frombuffer(self._entry_start, dtype=np.int64)
        n_entries = len(self._e_contest)
        per_card = np.diff(np.append(starts, n_entries))
        card_of_entry = np.repeat(np.arange(len(self), dtype=np.int64), per_card)
        e_contest = np.frombuffer(self._e_contest, dtype=np.int32).astype(np.int64)
        n_units = max(len(unit_list), 1)
        ballots = np.bincount(
            card_unit[card_of_entry] * len(self.contests) + e_contest,
            minlength=n_units * len(self.contests),
        )
        counts = self._counted_marks()
        entry_of_mark = self._entry_of_mark()
        choice = np.frombuffer(self._m_choice, dtype=np.int32).astype(np.int64)
        mark_unit = card_unit[card_of_entry[entry_of_mark]]
        votes = np.bincount(
            (mark_unit * len(self.choices) + choice)[counts],
            minlength=n_units * len(self.choices),
        )
        result: dict[ContestName, ContestCount] = {}
        for code, contest in enumerate(self.contests):
            count = result.setdefault(
                contest.name, ContestCount(contest.name, count_name, status=status)
            )
            for u, unit_name in enumerate(unit_list):
                cast = int(ballots[u * len(self.contests) + code])
                if not cast:
                    continue
                tally = count.units.setdefault(unit_id(county, unit_name), UnitTally())
                tally.ballots_cast = (tally.ballots_cast or 0) + cast
                for choice_code in contest.choices:
                    name = self.choices[choice_code].name
                    n = int(votes[u * len(self.choices) + choice_code])
                    tally.votes[name] = tally.votes.get(name, 0) + n
        return list(result.values())

    def memory_bytes(self) -> int:
        """Return the bytes held by the card columns (not the catalogue), for benchmarks."""
        return sum(c.buffer_info()[1] * c.itemsize for c in self._columns())


@dataclass(slots=True)
class BulkCards:
    """Flat lists of encoded card data for :meth:`CardCollection.add_cards_bulk`."""

    card_ids: list[int] = field(default_factory=list)
    tabulators: list[int] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)
    records: list[int] = field(default_factory=list)
    imprints: list[int] = field(default_factory=list)
    styles: list[int] = field(default_factory=list)
    precincts: list[int] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)
    sheets: list[int] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)
    flags: list[int] = field(default_factory=list)
    entry_counts: list[int] = field(default_factory=list)
    """How many contests each card has."""
    e_contests: list[int] = field(default_factory=list)
    e_overs: list[int] = field(default_factory=list)
    """Overvotes per contest entry, -1 where unknown."""
    e_unders: list[int] = field(default_factory=list)
    mark_counts: list[int] = field(default_factory=list)
    """How many marks each contest entry has."""
    m_choices: list[int] = field(default_factory=list)
    m_ranks: list[int] = field(default_factory=list)


def _starts(counts: list[int], base: int) -> Iterator[int]:
    """Return the start offset of each run, given the runs' lengths, from ``base``."""
    return accumulate(chain((base,), counts[:-1])) if counts else iter(())


def _card_mark_starts(cards: BulkCards, base: int) -> bytes:
    """Return, as int64 bytes, where each bulk card's marks start."""
    if not cards.card_ids:
        return b""
    entry_starts = np.concatenate(([0], np.cumsum(cards.entry_counts, dtype=np.int64)[:-1]))
    mark_cumulative = np.concatenate(([0], np.cumsum(cards.mark_counts, dtype=np.int64)))
    return (mark_cumulative[entry_starts] + base).astype(np.int64).tobytes()


def merge_tallies(
    tallies: Iterable[Mapping[ContestName, Mapping[ChoiceName, int]]],
) -> dict[ContestName, dict[ChoiceName, int]]:
    """Return the sum of several collections' tallies (e.g. the counties of one contest)."""
    result: dict[ContestName, dict[ChoiceName, int]] = {}
    for tally in tallies:
        for contest, votes in tally.items():
            mine = result.setdefault(contest, {})
            for choice, n in votes.items():
                mine[choice] = mine.get(choice, 0) + n
    return result
