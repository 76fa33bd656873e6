"""Ballot manifests: where every paper ballot of an election is stored, batch by batch.

A ballot manifest lists, for each jurisdiction (county), the batches of ballots it keeps (each in a
container, counted by a tabulator, under a batch name) and how many ballots each batch holds.
Ballots inside a batch are numbered 1..n in the order they sit in the batch, so that a ballot
drawn for an audit can be found by counting (Lindeman & Stark 2012, "A gentle introduction to
risk-limiting audits", §3: the manifest is the sampling frame).

The model numbers every ballot of the whole manifest 0..N-1, batch after batch in manifest order,
and maps such an index back to (batch, position) with a cumulative sum and a binary search, so
that a 5,000,000-ballot manifest is located in milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from papertally.errors import PapertallyError
from papertally.types import CountyName

IntArray = npt.NDArray[np.int64]


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


class Manifest:
    """An ordered list of batches, with every ballot numbered over the whole manifest.

    Batches must be distinct by :attr:`Batch.key`; ballot counts must not be negative.
    """

    def __init__(self, batches: Iterable[Batch]) -> None:
        self.batches: tuple[Batch, ...] = tuple(batches)
        seen: set[tuple[CountyName, str | None, str]] = set()
        for batch in self.batches:
            if batch.ballots < 0:
                raise PapertallyError(
                    f"{batch.describe()}: the number of ballots is {batch.ballots}; "
                    "it must be zero or more"
                )
            if batch.key in seen:
                raise PapertallyError(f"{batch.describe()} appears twice in the manifest")
            seen.add(batch.key)
        counts = np.fromiter((b.ballots for b in self.batches), dtype=np.int64)
        self._ends: IntArray = np.cumsum(counts, dtype=np.int64)
        """``_ends[i]`` is the number of ballots in batches 0..i."""
        self._starts: IntArray = self._ends - counts

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

    @cached_property
    def jurisdictions(self) -> tuple[CountyName, ...]:
        """The jurisdictions in the order they first appear."""
        return tuple(dict.fromkeys(b.jurisdiction for b in self.batches))

    def ballots_by_jurisdiction(self) -> dict[CountyName, int]:
        """Return the number of ballots per jurisdiction, in manifest order."""
        totals: dict[CountyName, int] = dict.fromkeys(self.jurisdictions, 0)
        for batch in self.batches:
            totals[batch.jurisdiction] += batch.ballots
        return totals

    def batches_by_jurisdiction(self) -> dict[CountyName, int]:
        """Return the number of batches per jurisdiction, in manifest order."""
        totals: dict[CountyName, int] = dict.fromkeys(self.jurisdictions, 0)
        for batch in self.batches:
            totals[batch.jurisdiction] += 1
        return totals

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
        return [
            BallotLocation(self.batches[b], p, i)
            for b, p, i in zip(
                batch_numbers.tolist(), positions.tolist(), where.tolist(), strict=True
            )
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

        A batch key found in two of them is an error, as within one manifest.
        """
        return cls(batch for manifest in manifests for batch in manifest.batches)

    def __len__(self) -> int:
        return len(self.batches)

    def __repr__(self) -> str:
        return f"Manifest({len(self.batches)} batches, {self.total_ballots} ballots)"
