"""Analysis units: results aggregated to municipalities, matched across two elections by name.

The covariates Wisconsin publishes (EL-190 statistics, the voting-equipment list) are per
municipality, while results are per ward, and ward lines are redrawn between elections; the
municipality (within its county) is therefore the natural unit of comparison. Units are matched
by normalised name only: a unit whose name appears in one election and not the other is listed
and counted, never paired by guesswork.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from papertally.errors import FileLocation, PapertallyError
from papertally.model import Election

_CODE_SUFFIX = re.compile(r"(?:\s*-\s*(?:\d+|MAIN)?)+\s*$")
_MAIN_PART = re.compile(r"\s*-\s*MAIN\b")
_COUNTY_WORD = re.compile(r"\s+COUNTY(?:\s+AS OF\b.*)?$")
_COUNTY_CODE = re.compile(r"\s*-\s*\d+(?=\s+AS OF\b)")
_PUNCTUATION = re.compile(r"[.,'’]")


def normalise_name(text: str) -> str:
    """Return a name folded for matching: upper case, no codes, dots or repeated spaces.

    ``"Adams County - 01"`` → ``"ADAMS"``; ``"TOWN OF ADAMS - 01002"`` → ``"TOWN OF ADAMS"``;
    ``"St. Croix"`` → ``"ST CROIX"``. Wisconsin's files write the same place these ways.
    """
    name = _CODE_SUFFIX.sub("", " ".join(text.upper().split()))
    name = _CODE_SUFFIX.sub("", _COUNTY_CODE.sub("", name))
    name = _PUNCTUATION.sub("", name).replace("&", " AND ")
    return " ".join(name.split())


def normalise_county(text: str) -> str:
    """Return a county name folded for matching, without the word ``COUNTY``."""
    return _COUNTY_WORD.sub("", normalise_name(text))


def is_main_part(municipality: str) -> bool:
    """Return whether a name is WEC's ``X - MAIN`` entry of a municipality spanning counties."""
    return bool(_MAIN_PART.search(municipality.upper()))


def unit_key(county: str, municipality: str) -> str:
    """Return the key of a municipality within its county: ``"ADAMS|TOWN OF ADAMS"``."""
    return f"{normalise_county(county)}|{normalise_name(municipality)}"


@dataclass
class CovariateTable:
    """Per-unit covariates read from one file: numbers and labels, keyed by :func:`unit_key`."""

    source: str
    numbers: dict[str, dict[str, float]] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    locations: dict[str, FileLocation] = field(default_factory=dict)
    """The first file row of each unit, so every value can be traced back."""

    def add_number(self, key: str, column: str, value: float) -> None:
        """Add ``value`` to the unit's ``column`` (rows of one unit are summed)."""
        row = self.numbers.setdefault(key, {})
        row[column] = row.get(column, 0.0) + value

    def set_label(self, key: str, column: str, value: str) -> None:
        """Record a text covariate; a second, different value for the unit is joined with ``;``."""
        row = self.labels.setdefault(key, {})
        old = row.get(column)
        row[column] = value if old is None or old == value else f"{old}; {value}"

    @property
    def keys(self) -> set[str]:
        """Return the keys of every unit in the table."""
        return set(self.numbers) | set(self.labels)

    def spread_municipal_labels(self, keys: Iterable[str]) -> list[str]:
        """Give the parts of a municipality in other counties the labels of its main entry.

        WEC lists a municipality that spans counties once, as ``X - MAIN`` under its main
        county (column ``spans_counties``); its equipment serves every part. Only a unique main
        entry of the same name is used. Returns the keys filled this way.
        """
        mains: dict[str, list[str]] = {}
        for key, labels in self.labels.items():
            if labels.get("spans_counties") == "yes":
                mains.setdefault(key.partition("|")[2], []).append(key)
        filled = []
        for key in keys:
            found = mains.get(key.partition("|")[2], [])
            if key not in self.labels and len(found) == 1:
                self.labels[key] = {k: v for k, v in self.labels[found[0]].items() if k != "hindi"}
                if found[0] in self.locations:
                    self.locations[key] = self.locations[found[0]]
                filled.append(key)
        return filled


@dataclass(frozen=True)
class UnitVotes:
    """One municipality's votes in one contest: the focus choice's votes and all votes."""

    key: str
    county: str
    municipality: str
    focus: int
    total: int
    wards: int
    by_type: dict[str, int] = field(default_factory=dict)
    """All choices' votes by how they were cast (``absentee``, ``early``...), where the results
    file breaks them down (OpenElections vote-type columns)."""


@dataclass(frozen=True)
class ContestVotes:
    """A contest's votes by municipality, for the choice of one party."""

    contest: str
    focus_choice: str
    units: dict[str, UnitVotes]
    unplaced: list[str]
    """Wards whose name gives no municipality; left out and listed, never assigned by guess."""


def focus_choice(election: Election, contest: str, party: str | None, choice: str | None) -> str:
    """Return the choice to follow: the one named, else the one of ``party``.

    Raises :class:`PapertallyError` naming the choices when neither finds exactly one.
    """
    entry = election.contest(contest)
    names = entry.choice_names()
    if choice is not None:
        folded = choice.casefold()
        found = [n for n in names if folded in n.casefold()]
    else:
        wanted = (party or "").casefold()
        found = [c.name for c in entry.choices if (c.party or "").casefold() == wanted]
    if len(found) != 1:
        what = f"choice {choice!r}" if choice is not None else f"party {party!r}"
        raise PapertallyError(
            f"{election.name}, contest {entry.name!r}: {what} matches {len(found)} choices "
            f"({', '.join(names)}); name one with --choice"
        )
    return found[0]


def municipal_votes(
    election: Election,
    contest: str | None,
    count: str | None,
    *,
    party: str | None = "REP",
    choice: str | None = None,
) -> ContestVotes:
    """Sum a contest's ward votes to municipalities (within counties) for one choice.

    ``contest`` defaults to the only contest, ``count`` to the first count of it (the original
    canvass where there is one).
    """
    if contest is None:
        if len(election.contests) != 1:
            raise PapertallyError(
                f"{election.name} has {len(election.contests)} contests "
                f"({', '.join(election.contests)}); name one with --contest"
            )
        contest = next(iter(election.contests))
    entry = election.contest(contest)
    counts = [c for c in election.counts if c.contest == entry.name]
    chosen = [c for c in counts if count is None or c.name == count]
    if not chosen:
        known = ", ".join(c.name for c in counts) or "none"
        raise PapertallyError(f"{election.name}: no count {count!r} of {entry.name!r} ({known})")
    tally = chosen[0]
    target = focus_choice(election, entry.name, party, choice)
    sums: dict[str, list[int]] = {}
    types: dict[str, dict[str, int]] = {}
    names: dict[str, tuple[str, str]] = {}
    unplaced: list[str] = []
    for uid, votes in tally.units.items():
        unit = election.units.get(uid)
        if unit is None or not unit.municipality:
            unplaced.append(uid)
            continue
        key = unit_key(unit.county, unit.municipality)
        names.setdefault(key, (normalise_county(unit.county), normalise_name(unit.municipality)))
        row = sums.setdefault(key, [0, 0, 0])
        row[0] += votes.votes.get(target, 0)
        row[1] += votes.total_votes
        row[2] += 1
        kinds = types.setdefault(key, {})
        for kind, figures in votes.by_type.items():
            kinds[kind] = kinds.get(kind, 0) + sum(figures.values())
    units = {
        key: UnitVotes(key, names[key][0], names[key][1], row[0], row[1], row[2], types[key])
        for key, row in sums.items()
    }
    return ContestVotes(entry.name, target, units, sorted(unplaced))


@dataclass(frozen=True)
class Matching:
    """Which units of two elections (and of the covariate files) were paired by name."""

    matched: list[str]
    only_now: list[str]
    only_baseline: list[str]
    missing_covariates: dict[str, list[str]]
    """Per covariate file, the matched units it has no row for."""
    unused_covariates: dict[str, list[str]]
    """Per covariate file, its units found in neither election."""

    def counts(self) -> dict[str, int]:
        """Return the number of units in each list, for summaries."""
        return {
            "matched": len(self.matched),
            "only_now": len(self.only_now),
            "only_baseline": len(self.only_baseline),
            **{f"missing:{k}": len(v) for k, v in self.missing_covariates.items()},
            **{f"unused:{k}": len(v) for k, v in self.unused_covariates.items()},
        }


def match_units(
    now: Mapping[str, UnitVotes],
    baseline: Mapping[str, UnitVotes],
    covariates: Iterable[CovariateTable] = (),
) -> Matching:
    """Pair units of two elections by key; list, never guess, the ones left over."""
    both = sorted(set(now) & set(baseline))
    missing: dict[str, list[str]] = {}
    unused: dict[str, list[str]] = {}
    everywhere = set(now) | set(baseline)
    for table in covariates:
        keys = table.keys
        missing[table.source] = [k for k in both if k not in keys]
        unused[table.source] = sorted(keys - everywhere)
    return Matching(
        matched=both,
        only_now=sorted(set(now) - set(baseline)),
        only_baseline=sorted(set(baseline) - set(now)),
        missing_covariates=missing,
        unused_covariates=unused,
    )
