"""Verifiable random samples of ballots and batches from a public seed, and retrieval lists.

An audit's sample must be unpredictable before the seed is chosen and reproducible by anyone
after: the seed is at least 20 digits rolled with ten-sided dice in public, and every draw follows
from it by SHA-256 (Lindeman & Stark 2012, "A gentle introduction to risk-limiting audits", §3).
Two methods are offered:

* ``consistent`` — Rivest (2018), "Consistent sampling with replacement" (arXiv:1808.10016), the
  method of VotingWorks' Arlo: each ballot's ticket number is a hash of the seed and the ballot's
  place; the smallest tickets are drawn first (:mod:`papertally.audit.consistent`);
* ``prng`` — Stark's SHA-256 PRNG of ``cryptorandom`` (Ottoboni & Stark 2018, "Random problems
  with R", arXiv:1809.06520), drawing ballot numbers 1..N by index (:mod:`papertally.audit.prng`).

With either, the first n draws of a larger sample are the sample of size n, so each round of an
audit extends the previous one. Batches are sampled with probability proportional to an error
bound (PPEB; Aslam, Popa & Rivest 2008; Stark 2008, "Auditing a collection of races
simultaneously") by :func:`draw_ppeb`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from papertally.audit.consistent import consistent_manifest_tuples, trim_ticket
from papertally.audit.manifest import BallotLocation, Batch, Manifest
from papertally.audit.prng import Sha256Prng, sample_by_index, weighted_sample_with_replacement
from papertally.audit.sampling_method import SamplingMethod as SamplingMethod
from papertally.errors import PapertallyError
from papertally.types import CountyName

MIN_SEED_DIGITS = 20
"""Arlo and the RLA literature ask for at least 20 dice-rolled digits (about 66 bits)."""
TICKET_DIGITS = 18
"""Significant digits shown of a consistent-sampler ticket, as in Arlo."""


def validate_seed(seed: str) -> str:
    """Return the seed without surrounding spaces, or say why it cannot serve as an audit seed.

    A seed is a string of at least 20 decimal digits and nothing else: digits are what dice give,
    and any other character would make the public record ambiguous.
    """
    cleaned = seed.strip()
    if not cleaned:
        raise PapertallyError(
            f"the random seed is empty: roll at least {MIN_SEED_DIGITS} ten-sided dice in "
            "public and give the digits"
        )
    bad = sorted({c for c in cleaned if not c.isascii() or not c.isdigit()})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise PapertallyError(
            f"the random seed must be digits 0-9 only, as rolled with dice; it contains {shown}"
        )
    if len(cleaned) < MIN_SEED_DIGITS:
        raise PapertallyError(
            f"the random seed has {len(cleaned)} digits; at least {MIN_SEED_DIGITS} are needed "
            "so that nobody could have guessed it"
        )
    return cleaned


class Draw(NamedTuple):
    """One ballot drawn: when, with which pseudo-random value, and where the ballot is.

    A named tuple rather than a dataclass, for speed: samples hold a hundred thousand draws.
    """

    sequence: int
    """1-based number of the draw over all rounds of the audit."""
    ticket: str
    """Consistent sampler: the ticket number (18 digits, as Arlo shows it). PRNG: the
    pseudo-random integer of the step, the place among the ballots not yet drawn (without
    replacement) or the ballot's 1-based number in the manifest (with replacement)."""
    location: BallotLocation
    times_drawn: int
    """How many times this ballot has been drawn up to and including this draw."""

    @property
    def is_repeat(self) -> bool:
        """Whether the ballot was drawn before (only possible with replacement)."""
        return self.times_drawn > 1

    @property
    def batch(self) -> Batch:
        """The batch holding the ballot."""
        return self.location.batch


@dataclass(frozen=True)
class RetrievalEntry:
    """One ballot to pull from storage, with every draw that chose it."""

    batch: Batch
    position: int
    """1-based position in the batch."""
    tickets: tuple[str, ...]
    """The ticket numbers (or PRNG values) of the draws that chose the ballot, in draw order."""
    sequences: tuple[int, ...]
    """The draw numbers that chose the ballot."""

    @property
    def times_drawn(self) -> int:
        """How many draws chose the ballot."""
        return len(self.sequences)


@dataclass(frozen=True)
class Sample:
    """Draws from a manifest, with everything needed to reproduce them."""

    seed: str
    method: SamplingMethod
    with_replacement: bool
    manifest: Manifest
    draws: tuple[Draw, ...]

    @property
    def distinct_ballots(self) -> int:
        """How many different ballots were drawn."""
        return len({d.location.manifest_index for d in self.draws})

    def retrieval_list(self) -> dict[CountyName, list[RetrievalEntry]]:
        """Return the ballots to retrieve per jurisdiction (see :func:`retrieval_list`)."""
        return retrieval_list(self.draws)


def draw_sample(
    manifest: Manifest,
    seed: str,
    size: int,
    *,
    method: SamplingMethod = SamplingMethod.CONSISTENT,
    with_replacement: bool = False,
    already_drawn: int = 0,
    workers: int | None = None,
) -> Sample:
    """Draw ballots ``already_drawn + 1 .. already_drawn + size`` of the sample from the seed.

    ``already_drawn`` is the number of draws of earlier rounds: the result is what those rounds
    would have drawn next, so that rounds extend one another. ``workers`` is the number of
    processes hashing tickets for the consistent sampler (default: by manifest size).
    """
    seed = validate_seed(seed)
    method = SamplingMethod(method)
    if size < 0 or already_drawn < 0:
        raise PapertallyError("the sample size and the number already drawn cannot be negative")
    total = manifest.total_ballots
    if total == 0:
        raise PapertallyError("the ballot manifest has no ballots to sample")
    wanted = already_drawn + size
    if not with_replacement and wanted > total:
        raise PapertallyError(
            f"cannot draw {wanted} ballots without replacement from a manifest of {total}; "
            "a full hand count is the next step"
        )
    indices: list[int]
    tickets: list[str]
    if method is SamplingMethod.CONSISTENT:
        drawn = consistent_manifest_tuples(
            manifest, seed, wanted, with_replacement=with_replacement, workers=workers
        )
        indices = [index for _, _, _, index in drawn]
        tickets = [trim_ticket(ticket, TICKET_DIGITS) for ticket, _, _, _ in drawn]
    else:
        pairs = sample_by_index(Sha256Prng(seed), total, wanted, with_replacement=with_replacement)
        indices = [item - 1 for item, _ in pairs]
        tickets = [str(value) for _, value in pairs]
    times: dict[int, int] = {}
    counts: list[int] = []
    for index in indices:
        times[index] = times.get(index, 0) + 1
        counts.append(times[index])
    locations = manifest.locations(np.asarray(indices[already_drawn:], dtype=np.int64))
    draws = tuple(
        Draw(already_drawn + k + 1, ticket, location, count)
        for k, (ticket, location, count) in enumerate(
            zip(tickets[already_drawn:], locations, counts[already_drawn:], strict=True)
        )
    )
    return Sample(seed, method, with_replacement, manifest, draws)


_NUMBER = re.compile(r"(\d+)")


def natural_key(text: str | None) -> tuple[tuple[int, int, str], ...]:
    """Sort key putting ``"Batch 2"`` before ``"Batch 10"``: digit runs compare as numbers."""
    if text is None:
        return ()
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
        for part in _NUMBER.split(text)
        if part
    )


def retrieval_list(draws: Iterable[Draw]) -> dict[CountyName, list[RetrievalEntry]]:
    """Group draws into ballots to pull, per jurisdiction, sorted for a walk through storage.

    Within a jurisdiction the order is container, tabulator, batch name, position (names with
    numbers in natural order); a ballot drawn more than once appears once with all its tickets.
    """
    grouped: dict[int, tuple[BallotLocation, list[str], list[int]]] = {}
    for draw in draws:
        entry = grouped.setdefault(draw.location.manifest_index, (draw.location, [], []))
        entry[1].append(draw.ticket)
        entry[2].append(draw.sequence)
    result: dict[CountyName, list[RetrievalEntry]] = {}
    for location, tickets, sequences in grouped.values():
        result.setdefault(location.batch.jurisdiction, []).append(
            RetrievalEntry(location.batch, location.position, tuple(tickets), tuple(sequences))
        )
    for entries in result.values():
        entries.sort(
            key=lambda e: (
                natural_key(e.batch.container),
                natural_key(e.batch.tabulator),
                natural_key(e.batch.name),
                e.position,
            )
        )
    return dict(sorted(result.items(), key=lambda item: natural_key(item[0])))


@dataclass(frozen=True)
class BatchDraw:
    """One batch drawn by PPEB sampling."""

    sequence: int
    """1-based number of the draw over all rounds."""
    ticket: str
    """The uniform number in [0, 1) that chose the batch (the SHA-256 PRNG's output)."""
    batch: Batch
    batch_number: int
    """0-based index of the batch in the list sampled from."""
    times_drawn: int
    """How many times this batch has been drawn up to and including this draw."""

    @property
    def is_repeat(self) -> bool:
        """Whether the batch was drawn before."""
        return self.times_drawn > 1


def draw_ppeb(
    batches: Sequence[Batch],
    error_bounds: Sequence[float],
    seed: str,
    size: int,
    *,
    already_drawn: int = 0,
) -> list[BatchDraw]:
    """Draw batches with replacement, each with chance proportional to its error bound (PPEB).

    PPEB (Aslam, Popa & Rivest 2008, "On auditing elections when precincts have different
    sizes"; Stark 2008, "Auditing a collection of races simultaneously", arXiv:0905.1422) picks
    batch p with probability u_p / U, where u_p bounds the error the batch could hide (e.g.
    its margin overstatement bound) and U is their sum. The uniforms come from Stark's SHA-256
    PRNG with the seed, so the draws equal ``cryptorandom``'s weighted sampling with replacement.
    """
    seed = validate_seed(seed)
    if len(batches) != len(error_bounds):
        raise PapertallyError(
            f"{len(batches)} batches but {len(error_bounds)} error bounds: give one per batch"
        )
    if size < 0 or already_drawn < 0:
        raise PapertallyError("the sample size and the number already drawn cannot be negative")
    pairs = weighted_sample_with_replacement(
        Sha256Prng(seed), list(error_bounds), already_drawn + size
    )
    times: dict[int, int] = {}
    draws: list[BatchDraw] = []
    for k, (number, uniform) in enumerate(pairs):
        times[number] = times.get(number, 0) + 1
        if k >= already_drawn:
            draws.append(BatchDraw(k + 1, repr(uniform), batches[number], number, times[number]))
    return draws
