"""Ballot manifests: where every paper ballot of an election is stored, batch by batch.

A ballot manifest lists, for each jurisdiction (county), the batches of ballots it keeps (each in a
container, counted by a tabulator, under a batch name) and how many ballots each batch holds.
Ballots inside a batch are numbered 1..n in the order they sit in the batch, so that a ballot
drawn for an audit can be found by counting (Lindeman & Stark 2012, "A gentle introduction to
risk-limiting audits", §3: the manifest is the sampling frame).

The model numbers every ballot of the whole manifest 0..N-1, batch after batch in manifest order,
and maps such an index back to (batch, position) with a cumulative sum and a binary search, so
that a 5,000,000-ballot manifest is located in milliseconds. The batches are kept as parallel
arrays (counts, coded county, container and tabulator, names in one UTF-8 buffer), some 65
bytes a batch, so that a statewide manifest of millions of batches fits in a few hundred MB;
:class:`Batch` objects are made from them when asked for.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, overload

import numpy as np
import numpy.typing as npt

from papertally.errors import PapertallyError
from papertally.types import CountyName

IntArray = npt.NDArray[np.int64]
MAX_BATCH_BALLOTS = 10**9
"""The most ballots one batch may hold: more than any real batch (or any county) holds, and
small enough that the ballots of billions of batches still number within 64-bit integers."""
CodeArray = npt.NDArray[np.int32]


@dataclass(frozen=True)
class Batch:
    """One batch of paper ballots in a manifest."""

    jurisdiction: CountyName
    """The county (or other jurisdiction) that keeps the batch."""
    name: str
    """The batch's name, unique within its jurisdiction and tabulator."""
    ballots: int
    """How many ballot cards the batch holds; they are at positions 1..ballots."""
    container: str | None = None
    """The box, tray or cart the batch is stored in, where the manifest says."""
    tabulator: str | None = None
    """The scanner that counted the batch, where the manifest says."""
    has_cvrs: bool | None = None
    """Whether cast vote records exist for the batch's ballots (None: the manifest does not say)."""

    @property
    def key(self) -> tuple[CountyName, str | None, str]:
        """``(jurisdiction, tabulator, batch name)``: what identifies a batch, as in Arlo."""
        return (self.jurisdiction, self.tabulator, self.name)

    def describe(self) -> str:
        """Return a short human label such as ``Kendall Park, tabulator A, batch 'Batch 1'``."""
        parts = [self.jurisdiction]
        if self.container is not None:
            parts.append(f"container {self.container!r}")
        if self.tabulator is not None:
            parts.append(f"tabulator {self.tabulator!r}")
        parts.append(f"batch {self.name!r}")
        return ", ".join(parts)


class BallotLocation(NamedTuple):
    """Where one ballot is: its batch and its 1-based position inside the batch.

    A named tuple rather than a dataclass: samples make a hundred thousand of them at once.
    """

    batch: Batch
    position: int
    """1-based: the first ballot of a batch is at position 1."""
    manifest_index: int
    """0-based index of the ballot over the whole manifest (batch after batch)."""


class DuplicateBatchError(PapertallyError):
    """A batch key found twice in a manifest; says which two batches (0-based, manifest order)."""

    def __init__(self, message: str, first: int, repeat: int) -> None:
        super().__init__(message)
        self.first = first
        """The batch number of the key's first appearance."""
        self.repeat = repeat
        """The batch number of its second appearance: the earliest repeat in the manifest."""


class ManifestBuilder:
    """Collects batches one by one into compact columns, then makes a :class:`Manifest`.

    A manifest of millions of batches would take gigabytes as :class:`Batch` objects (some
    400 bytes each); the builder keeps each batch as a few numbers and its name's UTF-8 bytes
    (some 40 bytes), so that a 3,700,000-batch manifest is read in a few hundred megabytes.
    Pending batches are held in plain lists and moved into arrays every ``_CHUNK`` batches.
    """

    _CHUNK = 1 << 16

    def __init__(self) -> None:
        self._jurisdictions = _Values()
        self._containers = _Values()
        self._tabulators = _Values()
        self._names: list[str] = []
        self._counts: list[int] = []
        self._jurisdiction_codes: list[int] = []
        self._container_codes: list[int] = []
        self._tabulator_codes: list[int] = []
        self._cvrs: list[int] = []
        self._hashes: list[int] = []
        self._parts = _Parts()

    def __len__(self) -> int:
        return self._parts.batches + len(self._names)

    def add(
        self,
        jurisdiction: CountyName,
        name: str,
        ballots: int,
        container: str | None = None,
        tabulator: str | None = None,
        has_cvrs: bool | None = None,
    ) -> None:
        """Append one batch (in manifest order); other checks come in :meth:`build`.

        Raises :class:`PapertallyError` at once for more than :data:`MAX_BATCH_BALLOTS` ballots.
        """
        if ballots > MAX_BATCH_BALLOTS:
            raise PapertallyError(
                f"{Batch(jurisdiction, name, ballots, container, tabulator).describe()}: "
                f"{ballots} ballots is more than any batch holds (at most {MAX_BATCH_BALLOTS:,})"
            )
        self._names.append(name)
        self._counts.append(ballots)
        # Known values are looked up here, not through _Values.code: a dictionary look-up
        # costs less than a method call, which counts over millions of batches.
        code = self._jurisdictions.codes.get(jurisdiction)
        self._jurisdiction_codes.append(
            self._jurisdictions.code(jurisdiction) if code is None else code
        )
        code = self._containers.codes.get(container)
        self._container_codes.append(self._containers.code(container) if code is None else code)
        code = self._tabulators.codes.get(tabulator)
        self._tabulator_codes.append(self._tabulators.code(tabulator) if code is None else code)
        self._cvrs.append(-1 if has_cvrs is None else int(has_cvrs))
        self._hashes.append(hash((jurisdiction, tabulator, name)))
        if len(self._names) >= self._CHUNK:
            self._flush()

    def _flush(self) -> None:
        """Move the pending batches into the arrays of :attr:`_parts`."""
        if not self._names:
            return
        self._parts.append(
            self._names,
            self._counts,
            (self._jurisdiction_codes, self._container_codes, self._tabulator_codes),
            self._cvrs,
            self._hashes,
        )
        for pending in (
            self._names,
            self._counts,
            self._jurisdiction_codes,
            self._container_codes,
            self._tabulator_codes,
            self._cvrs,
            self._hashes,
        ):
            pending.clear()

    def first_repeat(self) -> tuple[int, int] | None:
        """Return the batch numbers (first, repeat) of the earliest repeated key, or None."""
        self._flush()
        return _first_repeat(self._parts.concatenated_hashes(), lambda n: self.batch(n).key)

    def batch(self, number: int) -> Batch:
        """Return batch ``number`` among those added so far (slow: for error messages)."""
        self._flush()
        return self._parts.batch(number, self._jurisdictions, self._containers, self._tabulators)

    def build(self) -> Manifest:
        """Return the manifest of the batches added; raise if a count is negative or a key repeats.

        The builder is emptied: its arrays now belong to the manifest.
        """
        self._flush()
        columns = self._parts.columns(self._jurisdictions, self._containers, self._tabulators)
        self._parts = _Parts()
        return Manifest._from_columns(columns)


class _Values:
    """Distinct texts of a column in order of first appearance, each coded by its position."""

    def __init__(self) -> None:
        self.codes: dict[str | None, int] = {None: -1}
        self.values: list[str] = []

    def code(self, value: str | None) -> int:
        """Return the code of ``value`` (-1 for None), giving it the next code if new."""
        code = self.codes.get(value)
        if code is None:
            code = self.codes[value] = len(self.values)
            self.values.append(value)  # type: ignore[arg-type]  # None is coded -1 already
        return code


@dataclass
class _Columns:
    """A manifest's batches as parallel arrays (see :class:`ManifestBuilder`)."""

    counts: IntArray
    jurisdiction_codes: CodeArray
    jurisdictions: tuple[CountyName, ...]
    container_codes: CodeArray
    containers: tuple[str, ...]
    tabulator_codes: CodeArray
    tabulators: tuple[str, ...]
    cvrs: npt.NDArray[np.int8]
    """1 (has CVRs), 0 (has none) or -1 (the manifest does not say)."""
    names: bytes
    """Every batch name in UTF-8, one after the other."""
    name_offsets: IntArray
    """Batch ``i``'s name is ``names[name_offsets[i]:name_offsets[i + 1]]``."""
    hashes: IntArray
    """Python's hash of each batch key, to find repeated keys by sorting.

    Text hashes differ between processes (``PYTHONHASHSEED``), so a pickled manifest leaves
    them behind and its copy computes them again (:meth:`Manifest.__setstate__`).
    """


class _Parts:
    """Arrays of batches moved out of the builder's lists, joined once at the end."""

    def __init__(self) -> None:
        self.batches = 0
        self.names: list[bytes] = []
        self.name_lengths: list[IntArray] = []
        self.counts: list[IntArray] = []
        self.codes: tuple[list[CodeArray], list[CodeArray], list[CodeArray]] = ([], [], [])
        self.cvrs: list[npt.NDArray[np.int8]] = []
        self.hashes: list[IntArray] = []

    def append(
        self,
        names: list[str],
        counts: list[int],
        codes: tuple[list[int], list[int], list[int]],
        cvrs: list[int],
        hashes: list[int],
    ) -> None:
        """Add one chunk of batches."""
        encoded = [name.encode("utf-8") for name in names]
        self.names.append(b"".join(encoded))
        self.name_lengths.append(np.fromiter(map(len, encoded), np.int64, len(encoded)))
        self.counts.append(np.array(counts, dtype=np.int64))
        for column, chunk in zip(self.codes, codes, strict=True):
            column.append(np.array(chunk, dtype=np.int32))
        self.cvrs.append(np.array(cvrs, dtype=np.int8))
        self.hashes.append(np.array(hashes, dtype=np.int64))
        self.batches += len(names)

    def concatenated_hashes(self) -> IntArray:
        """Return the key hashes of every batch so far."""
        self.hashes = [_joined(self.hashes, np.int64)]
        return self.hashes[0]

    def batch(
        self, number: int, jurisdictions: _Values, containers: _Values, tabulators: _Values
    ) -> Batch:
        """Return batch ``number`` (joins the parts first; for error messages)."""
        self.names = [b"".join(self.names)]
        self.name_lengths = [_joined(self.name_lengths, np.int64)]
        self.counts = [_joined(self.counts, np.int64)]
        self.cvrs = [_joined(self.cvrs, np.int8)]
        for column in self.codes:
            column[:] = [_joined(column, np.int32)]
        offsets = _offsets(self.name_lengths[0])
        county, container, tabulator = (int(column[0][number]) for column in self.codes)
        return Batch(
            jurisdictions.values[county],
            self.names[0][offsets[number] : offsets[number + 1]].decode("utf-8"),
            int(self.counts[0][number]),
            None if container < 0 else containers.values[container],
            None if tabulator < 0 else tabulators.values[tabulator],
            (None, False, True)[int(self.cvrs[0][number]) + 1],
        )

    def columns(self, jurisdictions: _Values, containers: _Values, tabulators: _Values) -> _Columns:
        """Join the parts into the manifest's columns, freeing each part list once joined."""
        names = b"".join(self.names)
        self.names.clear()
        offsets = _offsets(_joined(self.name_lengths, np.int64))
        self.name_lengths.clear()
        codes = []
        for column in self.codes:
            codes.append(_joined(column, np.int32))
            column.clear()
        return _Columns(
            counts=_joined(self.counts, np.int64),
            jurisdiction_codes=codes[0],
            jurisdictions=tuple(jurisdictions.values),
            container_codes=codes[1],
            containers=tuple(containers.values),
            tabulator_codes=codes[2],
            tabulators=tuple(tabulators.values),
            cvrs=_joined(self.cvrs, np.int8),
            names=names,
            name_offsets=offsets,
            hashes=_joined(self.hashes, np.int64),
        )


def _joined(parts: Sequence[npt.NDArray[Any]], dtype: type[np.generic]) -> npt.NDArray[Any]:
    """Return the parts joined into one array (an empty one of ``dtype`` if there are none)."""
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _offsets(lengths: IntArray) -> IntArray:
    """Return ``[0, l0, l0 + l1, ...]``: where each of the texts of these lengths starts."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


def _first_repeat(
    hashes: IntArray, key_of: Callable[[int], tuple[CountyName, str | None, str]]
) -> tuple[int, int] | None:
    """Return (first, repeat) for the earliest batch whose key an earlier batch has, or None.

    Sorting the key hashes (stably, so equal hashes stay in manifest order) puts repeats next
    to each other in O(n log n) without a set of millions of tuples; equal hashes are then
    confirmed by comparing the keys themselves, so a hash collision is never taken for a repeat.
    """
    order = np.argsort(hashes, kind="stable")
    ordered = hashes[order]
    equal = np.flatnonzero(ordered[1:] == ordered[:-1]) + 1
    if not equal.size:
        return None
    for place in equal[np.argsort(order[equal], kind="stable")].tolist():
        repeat = int(order[place])
        key = key_of(repeat)
        earlier = place - 1
        while earlier >= 0 and ordered[earlier] == ordered[place]:
            earlier -= 1
        for candidate in order[earlier + 1 : place].tolist():
            if key_of(int(candidate)) == key:
                return int(candidate), repeat
    return None


class BatchList(Sequence[Batch]):
    """A manifest's batches as a read-only sequence of :class:`Batch`, made when asked for."""

    def __init__(self, manifest: Manifest) -> None:
        self._manifest = manifest

    def __len__(self) -> int:
        return len(self._manifest)

    @overload
    def __getitem__(self, index: int) -> Batch: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Batch]: ...

    def __getitem__(self, index: int | slice) -> Batch | Sequence[Batch]:
        if isinstance(index, slice):
            return tuple(self._manifest._batches(range(len(self))[index]))
        size = len(self)
        number = operator.index(index)
        if not -size <= number < size:
            raise IndexError(f"batch number {index} out of range: the manifest has {size}")
        return self._manifest._batch(number % size)

    def __iter__(self) -> Iterator[Batch]:
        size = len(self)
        for start in range(0, size, _ITERATION_CHUNK):
            yield from self._manifest._batches(range(start, min(size, start + _ITERATION_CHUNK)))


_ITERATION_CHUNK = 1 << 14
"""Batches made per step while iterating, to convert array slices to Python values in bulk."""


class Manifest:
    """An ordered list of batches, with every ballot numbered over the whole manifest.

    Batches must be distinct by :attr:`Batch.key`; ballot counts must not be negative. The
    batches are kept as parallel arrays (see :class:`ManifestBuilder`); :attr:`batches` makes
    :class:`Batch` objects from them when asked for.
    """

    def __init__(self, batches: Iterable[Batch]) -> None:
        builder = ManifestBuilder()
        for batch in batches:
            builder.add(
                batch.jurisdiction,
                batch.name,
                batch.ballots,
                batch.container,
                batch.tabulator,
                batch.has_cvrs,
            )
        self._set(builder.build()._columns)

    @classmethod
    def _from_columns(cls, columns: _Columns) -> Manifest:
        """Return a manifest of these columns, checked as :meth:`__init__` checks batches."""
        manifest = cls.__new__(cls)
        manifest._set(columns)
        return manifest

    def _set(self, columns: _Columns) -> None:
        """Keep ``columns`` after checking counts and keys; raise for the earliest problem."""
        self._columns = columns
        self.batches: Sequence[Batch] = BatchList(self)
        """The batches in manifest order (made from the arrays when asked for)."""
        negative = np.flatnonzero(columns.counts < 0)
        repeat = _first_repeat(columns.hashes, self._key)
        if negative.size and (repeat is None or negative[0] <= repeat[1]):
            batch = self.batches[int(negative[0])]
            raise PapertallyError(
                f"{batch.describe()}: the number of ballots is {batch.ballots}; "
                "it must be zero or more"
            )
        if repeat is not None:
            batch = self.batches[repeat[1]]
            raise DuplicateBatchError(
                f"{batch.describe()} appears twice in the manifest", repeat[0], repeat[1]
            )
        self._ends: IntArray = np.cumsum(columns.counts, dtype=np.int64)
        """``_ends[i]`` is the number of ballots in batches 0..i."""
        self._starts: IntArray = self._ends - columns.counts

    def _key(self, number: int) -> tuple[CountyName, str | None, str]:
        """Return the key of batch ``number``."""
        return self.batches[number].key

    def _batch(self, number: int) -> Batch:
        """Make the :class:`Batch` object of one batch number (0 ≤ ``number`` < len)."""
        c = self._columns
        container = int(c.container_codes[number])
        tabulator = int(c.tabulator_codes[number])
        return Batch(
            c.jurisdictions[int(c.jurisdiction_codes[number])],
            c.names[int(c.name_offsets[number]) : int(c.name_offsets[number + 1])].decode("utf-8"),
            int(c.counts[number]),
            None if container < 0 else c.containers[container],
            None if tabulator < 0 else c.tabulators[tabulator],
            (None, False, True)[int(c.cvrs[number]) + 1],
        )

    def _batches(self, numbers: range | IntArray) -> Iterator[Batch]:
        """Make the :class:`Batch` objects of some batch numbers: a range, or an array of them.

        The columns are sliced (or indexed) once and converted to Python values in bulk.
        """
        c = self._columns
        where: slice | IntArray
        if isinstance(numbers, range) and numbers.step > 0 and numbers:
            where = slice(numbers.start, numbers.stop, numbers.step)
        else:
            where = np.asarray(numbers, dtype=np.int64)
        offsets = c.name_offsets
        starts = offsets[:-1][where].tolist()
        stops = offsets[1:][where].tolist()
        text = c.names
        cvr = (None, False, True)
        for start, stop, ballots, county, container, tabulator, has_cvrs in zip(
            starts,
            stops,
            c.counts[where].tolist(),
            c.jurisdiction_codes[where].tolist(),
            c.container_codes[where].tolist(),
            c.tabulator_codes[where].tolist(),
            c.cvrs[where].tolist(),
            strict=True,
        ):
            yield Batch(
                c.jurisdictions[county],
                text[start:stop].decode("utf-8"),
                ballots,
                None if container < 0 else c.containers[container],
                None if tabulator < 0 else c.tabulators[tabulator],
                cvr[has_cvrs + 1],
            )

    @property
    def total_ballots(self) -> int:
        """The number of ballots in the whole manifest."""
        return int(self._ends[-1]) if len(self._ends) else 0

    @property
    def batch_starts(self) -> IntArray:
        """For each batch, the manifest index of its first ballot (a read-only view)."""
        view = self._starts.view()
        view.flags.writeable = False
        return view

    @property
    def batch_ballots(self) -> IntArray:
        """For each batch, its number of ballots (a read-only view)."""
        view = self._columns.counts.view()
        view.flags.writeable = False
        return view

    @property
    def jurisdictions(self) -> tuple[CountyName, ...]:
        """The jurisdictions in the order they first appear."""
        return self._columns.jurisdictions

    def ballots_by_jurisdiction(self) -> dict[CountyName, int]:
        """Return the number of ballots per jurisdiction, in manifest order."""
        totals = np.zeros(len(self.jurisdictions), dtype=np.int64)
        np.add.at(totals, self._columns.jurisdiction_codes, self._columns.counts)
        return dict(zip(self.jurisdictions, totals.tolist(), strict=True))

    def batches_by_jurisdiction(self) -> dict[CountyName, int]:
        """Return the number of batches per jurisdiction, in manifest order."""
        totals = np.bincount(self._columns.jurisdiction_codes, minlength=len(self.jurisdictions))
        return dict(zip(self.jurisdictions, totals.tolist(), strict=True))

    def locate(self, indices: npt.ArrayLike) -> tuple[IntArray, IntArray]:
        """Map 0-based manifest indices to (batch number, 1-based position) arrays, vectorized.

        Raises :class:`PapertallyError` for an index outside ``0..total_ballots-1``.
        """
        where = np.asarray(indices, dtype=np.int64)
        if where.size and (where.min() < 0 or where.max() >= self.total_ballots):
            raise PapertallyError(
                f"ballot index out of range: the manifest has {self.total_ballots} ballots"
            )
        batch_numbers = np.searchsorted(self._ends, where, side="right").astype(np.int64)
        positions = where - self._starts[batch_numbers] + 1
        return batch_numbers, positions

    def location(self, index: int) -> BallotLocation:
        """Return where the ballot with 0-based manifest index ``index`` is."""
        batch_numbers, positions = self.locate([index])
        return BallotLocation(self.batches[int(batch_numbers[0])], int(positions[0]), index)

    def locations(self, indices: Sequence[int] | IntArray) -> list[BallotLocation]:
        """Return the locations of many ballots at once (see :meth:`locate`)."""
        where = np.asarray(indices, dtype=np.int64)
        batch_numbers, positions = self.locate(where)
        # Each batch drawn is made once, however many of its ballots are drawn.
        drawn, inverse = np.unique(batch_numbers, return_inverse=True)
        made = list(self._batches(drawn))
        return [
            BallotLocation(made[k], p, i)
            for k, p, i in zip(inverse.tolist(), positions.tolist(), where.tolist(), strict=True)
        ]

    def index_of(self, batch_number: int, position: int) -> int:
        """Return the manifest index of the ballot at ``position`` (1-based) in a batch."""
        batch = self.batches[batch_number]
        if not 1 <= position <= batch.ballots:
            raise PapertallyError(
                f"{batch.describe()} has {batch.ballots} ballots; there is no ballot {position}"
            )
        return int(self._starts[batch_number]) + position - 1

    @classmethod
    def combine(cls, manifests: Iterable[Manifest]) -> Manifest:
        """Join manifests (one per county, say) into one, keeping their order.

        A batch key found in two of them is an error (:class:`DuplicateBatchError`, whose batch
        numbers count over the joined manifest), as within one manifest.
        """
        parts = [m._columns for m in manifests]
        values: dict[str, tuple[_Values, list[CodeArray]]] = {
            "jurisdictions": (_Values(), []),
            "containers": (_Values(), []),
            "tabulators": (_Values(), []),
        }
        for part in parts:
            for field, (table, codes) in values.items():
                own: tuple[str, ...] = getattr(part, field)
                mapping = np.array([table.code(v) for v in own] + [-1], dtype=np.int32)
                codes.append(mapping[getattr(part, field[:-1] + "_codes")])
        name_shift = np.cumsum([0] + [len(p.names) for p in parts], dtype=np.int64)[:-1]
        offsets = [p.name_offsets[:-1] + shift for p, shift in zip(parts, name_shift, strict=True)]
        offsets.append(np.array([sum(len(p.names) for p in parts)], dtype=np.int64))
        return cls._from_columns(
            _Columns(
                counts=_joined([p.counts for p in parts], np.int64),
                jurisdiction_codes=_joined(values["jurisdictions"][1], np.int32),
                jurisdictions=tuple(values["jurisdictions"][0].values),
                container_codes=_joined(values["containers"][1], np.int32),
                containers=tuple(values["containers"][0].values),
                tabulator_codes=_joined(values["tabulators"][1], np.int32),
                tabulators=tuple(values["tabulators"][0].values),
                cvrs=_joined([p.cvrs for p in parts], np.int8),
                names=b"".join(p.names for p in parts),
                name_offsets=np.concatenate(offsets),
                hashes=_joined([p.hashes for p in parts], np.int64),
            )
        )

    def __len__(self) -> int:
        return len(self._columns.counts)

    def __getstate__(self) -> dict[str, Any]:
        """Return what pickles the manifest: its columns without the process's key hashes."""
        state = dict(self.__dict__)
        state["_columns"] = replace(self._columns, hashes=np.zeros(0, dtype=np.int64))
        del state["batches"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a pickled manifest, hashing its batch keys in this process."""
        self.__dict__.update(state)
        self.batches = BatchList(self)
        hashes = np.fromiter((hash(b.key) for b in self.batches), np.int64, len(self))
        self._columns = replace(self._columns, hashes=hashes)

    def __repr__(self) -> str:
        return f"Manifest({len(self)} batches, {self.total_ballots} ballots)"
