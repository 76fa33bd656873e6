"""A synthetic statewide election with a recount, realistic enough to exercise every step.

The shape follows what Wisconsin's ward-by-ward reports show (e.g. the 2011 Supreme Court recount,
3,602 reporting units in 72 counties): a few populous counties and many small ones; reporting
units from a few dozen to a few thousand votes; two main candidates, a minor one and scattered
write-ins; a statewide race within a fraction of a percent. The recount differs from the canvass
the way real recounts do: most units unchanged, many by one to five votes (misread or
remade ballots), few by more, and a couple by a missed batch of ballots, which reconciliation
must flag. Every number comes from one seeded generator (numpy PCG64), so a seed reproduces the
election exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from papertally.bulk import cyclic_gc_paused
from papertally.errors import PapertallyError
from papertally.model import (
    SCATTERING,
    Choice,
    Contest,
    ContestCount,
    Election,
    ReportingUnit,
    ResultsStatus,
    UnitTally,
)
from papertally.model.results import ORIGINAL_CANVASS, RECOUNT

CONTEST = "Justice of the Supreme Court"
CANDIDATES = ("MARGARET A. HOLLOWAY", "DANIEL R. OKAFOR", "PAT LINDQVIST")
"""Fictional names: two main candidates and a minor one; ``Scattering`` follows them."""

_PREFIXES = (
    "ASH", "BEL", "BIRCH", "BROOK", "CEDAR", "CLEAR", "COPPER", "CRANE", "DEER", "EAGLE", "ELM",
    "FAIR", "FERN", "FOX", "GLEN", "GRANITE", "GREEN", "HAWK", "HAZEL", "IRON", "LAKE", "LARCH",
    "MAPLE", "MILL", "OAK", "OTTER", "PINE", "PRAIRIE", "RED", "RIVER", "ROCK", "SAND", "SILVER",
    "SPRING", "STONE", "SUGAR", "SUMMIT", "WILLOW", "WOLF", "WHITE",
)  # fmt: skip
_SUFFIXES = (
    "BROOK", "BURG", "DALE", "FIELD", "FORD", "HAVEN", "HILL", "LAND", "MONT", "PORT", "RIDGE",
    "TON", "VALE", "VIEW", "VILLE", "WOOD",
)  # fmt: skip
_KINDS = ("CITY", "TOWN", "VILLAGE")


@dataclass(frozen=True)
class DemoShape:
    """The knobs of the generator, with defaults that look like a Wisconsin statewide race."""

    median_unit_votes: float = 320.0
    """Median votes per reporting unit (the 2011 Wisconsin file's median is about 300)."""
    unit_size_spread: float = 0.9
    """Sigma of the log-normal unit size."""
    county_size_spread: float = 1.1
    """Sigma of the log-normal county weight: a few large counties, many small ones."""
    margin_share: float = 0.005
    """Expected statewide lead of the first candidate, as a share of the two main candidates."""
    minor_share: float = 0.012
    scattering_share: float = 0.001
    found_rate: float = 0.0008
    """Chance per vote that the recount finds one more; a third as many are lost.

    With the default unit sizes about a third of units change, as in Wisconsin's 2011 recount
    (1,340 of 3,602)."""
    bigger_share: float = 0.002
    """Share of units with a bigger difference (10–40 votes)."""
    missed_batches: int = 2
    """Units where the recount finds a whole batch of ballots the canvass missed."""


def _names(rng: np.random.Generator, n: int) -> list[str]:
    """Return ``n`` distinct place names, shuffled; numbered once the syllables run out."""
    pool = [p + s for p in _PREFIXES for s in _SUFFIXES]
    order = rng.permutation(len(pool))
    names = [pool[i] for i in order[: min(n, len(pool))]]
    for extra in range(n - len(names)):
        names.append(f"{pool[order[extra % len(pool)]]} {extra // len(pool) + 2}")
    return names


def _split(rng: np.random.Generator, total: int, weights: npt.NDArray[np.float64]) -> list[int]:
    """Split ``total`` into ``len(weights)`` positive parts roughly proportional to ``weights``."""
    parts = len(weights)
    if total < parts:
        raise PapertallyError(f"{total} reporting units cannot fill {parts} counties")
    extra = rng.multinomial(total - parts, weights / weights.sum())
    return [int(x) + 1 for x in extra]


def _unit_names(rng: np.random.Generator, units: int) -> list[tuple[str, str]]:
    """Return ``(municipality, unit name)`` for ``units`` wards of one county.

    The county seat, a city, holds about a third of the wards; towns and villages have one to
    a handful, sometimes combined (``Wards 1-3``) as small municipalities report them.
    """
    sizes: list[int] = []
    left = units
    seat = max(1, units // 3)
    sizes.append(seat)
    left -= seat
    while left > 0:
        size = min(left, int(rng.geometric(0.45)))
        sizes.append(size)
        left -= size
    places = _names(rng, len(sizes))
    kinds = rng.choice(len(_KINDS), size=len(sizes), p=[0.15, 0.6, 0.25])
    out: list[tuple[str, str]] = []
    for index, (size, place) in enumerate(zip(sizes, places, strict=True)):
        kind = "CITY" if index == 0 else _KINDS[int(kinds[index])]
        municipality = f"{kind} OF {place}"
        ward = 1
        for _ in range(size):
            span = 1 if kind == "CITY" or rng.random() < 0.7 else int(rng.integers(2, 4))
            label = f"Ward {ward}" if span == 1 else f"Wards {ward}-{ward + span - 1}"
            out.append((municipality, f"{municipality} {label}"))
            ward += span
    return out


def generate_statewide_election(
    seed: int,
    counties: int = 72,
    units: int = 3600,
    *,
    shape: DemoShape | None = None,
    name: str | None = None,
) -> Election:
    """Return a synthetic statewide election with an ``original canvass`` and a ``recount``.

    ``units`` reporting units are spread over ``counties`` counties of skewed sizes; the race is
    close; the recount differs as real recounts do (see the module docstring). The same ``seed``
    always gives the same election, to the vote.
    """
    with cyclic_gc_paused():
        return _generate(seed, counties, units, shape or DemoShape(), name)


def _generate(seed: int, counties: int, units: int, shape: DemoShape, name: str | None) -> Election:
    """Build the election of :func:`generate_statewide_election`."""
    if counties < 1 or units < counties:
        raise PapertallyError(
            f"need at least one county and one unit per county, not {counties} and {units}"
        )
    rng = np.random.default_rng(seed)

    county_names = _names(rng, counties)
    weights = rng.lognormal(0.0, shape.county_size_spread, counties)
    per_county = _split(rng, units, weights)
    county_of = np.repeat(np.arange(counties), per_county)

    votes_cast = np.clip(
        rng.lognormal(np.log(shape.median_unit_votes), shape.unit_size_spread, units), 12, 4200
    ).astype(np.int64)
    county_lean = rng.normal(0.0, 0.09, counties)
    lean = county_lean[county_of] + rng.normal(0.0, 0.07, units)
    # Centre the vote-weighted lean so the statewide race lands near the chosen margin.
    lean += 0.5 + shape.margin_share / 2 - np.average(0.5 + lean, weights=votes_cast)
    share_a = np.clip(0.5 + lean, 0.04, 0.96)
    minor = rng.binomial(votes_cast, shape.minor_share)
    scattering = rng.binomial(votes_cast, shape.scattering_share)
    main = votes_cast - minor - scattering
    votes_a = rng.binomial(main, share_a)
    before = np.stack([votes_a, main - votes_a, minor, scattering], axis=1)
    undervotes = rng.binomial(votes_cast, 0.008)

    # Recount differences: each vote has a small chance of being found (a ballot the machine
    # missed or a remade ballot) or lost (a double count), so big units change more often.
    found = rng.poisson(before * shape.found_rate)
    lost = rng.poisson(before * shape.found_rate * 0.45)
    change = found - lost
    bigger = np.flatnonzero(rng.random(units) < shape.bigger_share)
    change[bigger, rng.integers(0, 2, len(bigger))] += rng.integers(10, 41, len(bigger)) * np.where(
        rng.random(len(bigger)) < 0.7, 1, -1
    )
    if shape.missed_batches:
        large = np.flatnonzero(votes_cast > np.median(votes_cast))
        pool = large if len(large) >= shape.missed_batches else np.arange(units)
        missed = rng.choice(pool, size=min(shape.missed_batches, len(pool)), replace=False)
        batch = rng.integers(60, 160, len(missed))
        found_a = rng.binomial(batch, share_a[missed])
        change[missed, 0] += found_a
        change[missed, 1] += batch - found_a
    after = np.maximum(before + change, 0)
    ballots_before = before.sum(axis=1) + undervotes
    ballots_after = ballots_before + np.maximum(after.sum(axis=1) - before.sum(axis=1), 0)

    election = Election(name or f"Synthetic statewide election (seed {seed})", date(2031, 4, 1))
    contest = Contest(CONTEST, office="Justice of the Supreme Court", votes_allowed=1)
    choice_names = [*CANDIDATES, SCATTERING]
    for choice in choice_names:
        contest.add_choice(Choice(choice, is_write_in=choice == SCATTERING))
    election.contests[CONTEST] = contest
    canvass = ContestCount(CONTEST, ORIGINAL_CANVASS, ResultsStatus.CERTIFIED)
    recount = ContestCount(CONTEST, RECOUNT, ResultsStatus.RECOUNT)
    before_rows, after_rows = before.tolist(), after.tolist()
    ballots_b, ballots_a = ballots_before.tolist(), ballots_after.tolist()
    index = 0
    for county, count_in_county in zip(county_names, per_county, strict=True):
        for municipality, unit_name in _unit_names(rng, count_in_county):
            unit = election.add_unit(ReportingUnit.of(county, unit_name, municipality))
            canvass.units[unit.id] = UnitTally(
                dict(zip(choice_names, before_rows[index], strict=True)), ballots_b[index]
            )
            recount.units[unit.id] = UnitTally(
                dict(zip(choice_names, after_rows[index], strict=True)), ballots_a[index]
            )
            index += 1
    election.counts.extend([canvass, recount])
    return election
