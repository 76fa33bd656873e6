"""Compare two counts of one contest, reporting unit by reporting unit.

A recount (or a hand count, or a corrected canvass) is judged by what it changed: which wards moved,
by how much, in which direction, and whether the winner stands. :func:`reconcile_counts` answers
those questions from two :class:`~papertally.model.ContestCount` objects and the units they cover;
:func:`reconcile_election` picks the counts out of an :class:`~papertally.model.Election` with
the usual defaults (the single contest, ``original canvass`` → ``recount``).

Conventions (these are what ``papertally reconcile --json`` prints, see README "Tour"):

* a *change* is ``after − before`` per choice, so a positive number is a vote gained in the recount;
* the *margin* of a count is the lead of the last winning choice over the first losing one
  (``votes_allowed`` winners; ``Scattering`` never wins, as in Wis. Stat. § 7.50(2), where
  scattered write-ins are tallied but elect no one);
* a unit's *margin change* is the change in the lead of the original leader over the original
  runner-up inside that unit; summed over all units it is the statewide change of that lead;
* a unit is *flagged* when the votes it gained or lost, summed over choices, exceed
  ``tolerance_votes`` or ``tolerance_share`` of its ballots cast (of its votes where the ballots
  are not known).

Pure Python: nothing here reads files or touches the store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from papertally.errors import PapertallyError
from papertally.model import (
    SCATTERING,
    Contest,
    ContestCount,
    Election,
    ReportingUnit,
    UnitTally,
    standard_count_name,
)
from papertally.model.results import ORIGINAL_CANVASS, RECOUNT, TallyTable
from papertally.types import ChoiceName, ContestName, CountName, CountyName, ReportingUnitId

DEFAULT_TOLERANCE_VOTES = 20
"""A unit whose votes moved by more than this many (summed over choices) is flagged."""
DEFAULT_TOLERANCE_SHARE = 0.05
"""A unit whose votes moved by more than this share of its ballots (or votes) is flagged."""
DEFAULT_LARGEST = 20
"""How many units :attr:`Reconciliation.largest_changes` lists."""
MIN_MATCHED_SHARE = 0.5
"""Two files whose counts share fewer than this share of their units are not compared unless
forced: they are most likely different elections, not a canvass and its recount."""

_AROUND_SIGNS = re.compile(r"\s*([-&,/|#])\s*")
_WARD_WORD = re.compile(r"\b(?:wards?|wds?\.?)(?=\s|\d|$)")
_WARD_NUMBERS = re.compile(r"\bward ?(\d+(?:[-&,]\d+)*)\b")


def _ward_numbers(match: re.Match[str]) -> str:
    """Return ``ward 1-3,5`` for the ward numbers of ``Wards 1, 2, 3 & 5`` or ``Wards 1-3,5``."""
    numbers: set[int] = set()
    for part in match.group(1).replace("&", ",").split(","):
        ends = [int(n) for n in part.split("-")]
        if len(ends) == 2 and 0 <= ends[1] - ends[0] <= 1000:
            numbers.update(range(ends[0], ends[1] + 1))
        else:
            numbers.update(ends)
    ranges: list[str] = []
    ordered = sorted(numbers)
    start = previous = ordered[0]
    for number in [*ordered[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        ranges.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return "ward " + ",".join(ranges)


@dataclass(frozen=True)
class Standing:
    """The result of one count: totals per choice, the winners and the margin."""

    totals: Mapping[ChoiceName, int]
    """Votes per choice summed over all units of the count, in ballot order."""
    total_votes: int
    winners: tuple[ChoiceName, ...]
    """The ``votes_allowed`` choices with most votes (``Scattering`` excluded), most votes first."""
    margin: int
    """Votes of the last winner minus votes of the first loser (0 on a tie at the cut)."""
    tied: bool
    """True when the last winner and the first loser have equal votes: the outcome is a tie."""

    @property
    def winner(self) -> ChoiceName | None:
        """Return the single winner, or ``None`` for a tie or a multi-winner contest."""
        if self.tied or len(self.winners) != 1:
            return None
        return self.winners[0]

    def to_json(self) -> dict[str, Any]:
        """Return the standing as plain JSON data."""
        return {
            "totals": dict(self.totals),
            "total_votes": self.total_votes,
            "winner": self.winner,
            "winners": list(self.winners),
            "margin": self.margin,
            "tied": self.tied,
        }


@dataclass(frozen=True)
class UnitDifference:
    """One reporting unit present in both counts, and what changed in it."""

    unit: ReportingUnit
    before: Mapping[ChoiceName, int]
    after: Mapping[ChoiceName, int]
    change: Mapping[ChoiceName, int]
    """``after − before`` for every choice of the contest (0 where nothing changed)."""
    ballots_before: int | None
    ballots_after: int | None
    margin_change: int
    """Change of the original leader's lead over the original runner-up within this unit."""
    flagged: bool
    """True when the change exceeds the reconciliation's tolerance."""

    @property
    def changed(self) -> bool:
        """Return whether any choice's votes differ between the counts."""
        return any(self.change.values())

    @property
    def votes_changed(self) -> int:
        """Return the votes gained plus the votes lost, over all choices."""
        return sum(abs(v) for v in self.change.values())

    @property
    def net_votes(self) -> int:
        """Return the change of the unit's total votes."""
        return sum(self.change.values())

    @property
    def base(self) -> int:
        """Return what shares are taken of: the original ballots cast, else the original votes."""
        if self.ballots_before:
            return self.ballots_before
        return sum(self.before.values())

    @property
    def share_changed(self) -> float:
        """Return :attr:`votes_changed` as a share of :attr:`base` (0 for an empty unit)."""
        base = self.base
        if base <= 0:
            return float(self.votes_changed > 0)
        return self.votes_changed / base

    def to_json(self) -> dict[str, Any]:
        """Return the unit's change as plain JSON data."""
        return {
            "unit": self.unit.id,
            "name": self.unit.name,
            "county": self.unit.county,
            "change": dict(self.change),
            "votes_changed": self.votes_changed,
            "share_changed": round(self.share_changed, 6),
            "margin_change": self.margin_change,
        }


@dataclass(frozen=True)
class CountyChange:
    """What changed in one county: its totals in both counts and the net change per choice."""

    county: CountyName
    reporting_units: int
    """Units of the county present in either count."""
    changed_units: int
    """Units present in both counts whose votes differ."""
    before: Mapping[ChoiceName, int]
    after: Mapping[ChoiceName, int]
    net_change: Mapping[ChoiceName, int]
    margin_change: int
    """Change of the original leader's lead over the original runner-up in this county."""

    def to_json(self) -> dict[str, Any]:
        """Return the county's change as plain JSON data."""
        return {
            "county": self.county,
            "reporting_units": self.reporting_units,
            "changed_units": self.changed_units,
            "before": dict(self.before),
            "after": dict(self.after),
            "net_change": dict(self.net_change),
            "margin_change": self.margin_change,
        }


@dataclass(frozen=True)
class Reconciliation:
    """The unit-by-unit comparison of two counts of one contest."""

    contest: ContestName
    from_count: CountName
    to_count: CountName
    choices: tuple[ChoiceName, ...]
    """Every choice of either count, in ballot order."""
    before: Standing
    after: Standing
    units: tuple[UnitDifference, ...]
    """Every unit present in both counts, in the order of the ``before`` count."""
    only_in_before: tuple[ReportingUnit, ...]
    only_in_after: tuple[ReportingUnit, ...]
    counties: tuple[CountyChange, ...]
    """One entry per county, in the order counties first appear."""
    margin_pair: tuple[ChoiceName, ChoiceName] | None
    """The original (last) winner and the original first loser, whose lead ``margin_change``
    measures; ``None`` when the contest has fewer than two eligible choices."""
    tolerance_votes: int
    tolerance_share: float
    largest: int = DEFAULT_LARGEST
    net_change: Mapping[ChoiceName, int] = field(default_factory=dict)
    """``after − before`` totals per choice."""
    warnings: tuple[str, ...] = ()
    """Why the two counts may not be comparable (different dates or contests, few units in
    both); only a forced comparison of two files has any."""

    @property
    def reporting_units(self) -> int:
        """Return the number of units in either count."""
        return len(self.units) + len(self.only_in_before) + len(self.only_in_after)

    @property
    def changed_units(self) -> tuple[UnitDifference, ...]:
        """Return the units present in both counts whose votes differ."""
        return tuple(u for u in self.units if u.changed)

    @property
    def flagged_units(self) -> tuple[UnitDifference, ...]:
        """Return the units whose change exceeds the tolerance, largest change first."""
        return tuple(sorted((u for u in self.units if u.flagged), key=_largest_first))

    @property
    def largest_changes(self) -> tuple[UnitDifference, ...]:
        """Return the ``largest`` changed units, most votes changed first."""
        return tuple(sorted(self.changed_units, key=_largest_first)[: self.largest])

    @property
    def outcome_changed(self) -> bool:
        """Return whether the winners (or whether there is a tie) differ between the counts."""
        return set(self.before.winners) != set(self.after.winners) or (
            self.before.tied != self.after.tied
        )

    @property
    def margin_change(self) -> int:
        """Return the change of the original leader's lead over the original runner-up."""
        return sum(c.margin_change for c in self.counties)

    def to_json(self) -> dict[str, Any]:
        """Return the reconciliation as the stable JSON document documented in README."""
        return {
            "contest": self.contest,
            "from": self.from_count,
            "to": self.to_count,
            "choices": list(self.choices),
            "reporting_units": self.reporting_units,
            "compared_units": len(self.units),
            "changed_units": len(self.changed_units),
            "before": self.before.to_json(),
            "after": self.after.to_json(),
            "net_change": dict(self.net_change),
            "margin_pair": list(self.margin_pair) if self.margin_pair else None,
            "margin_change": self.margin_change,
            "outcome_changed": self.outcome_changed,
            "counties": [c.to_json() for c in self.counties],
            "largest_changes": [u.to_json() for u in self.largest_changes],
            "tolerance": {"votes": self.tolerance_votes, "share": self.tolerance_share},
            "flagged_units": [u.to_json() for u in self.flagged_units],
            "only_in_before": [u.id for u in self.only_in_before],
            "only_in_after": [u.id for u in self.only_in_after],
            "warnings": list(self.warnings),
        }


def _largest_first(unit: UnitDifference) -> tuple[int, int, str]:
    return (-unit.votes_changed, -abs(unit.margin_change), unit.unit.id)


def standing_of(
    totals: Mapping[ChoiceName, int], choices: Sequence[ChoiceName], votes_allowed: int = 1
) -> Standing:
    """Rank ``choices`` by ``totals`` and return the winners and margin of the count.

    Ties in the ranking keep ballot order, but a tie at the cut between winners and losers is
    reported (``tied``) rather than resolved: breaking it is for the law (e.g. Wis. Stat. § 5.01(4),
    lot), not for arithmetic.
    """
    if votes_allowed < 1:
        raise PapertallyError(f"votes allowed must be at least 1, not {votes_allowed}")
    ordered = {c: totals.get(c, 0) for c in choices}
    eligible = [c for c in choices if c != SCATTERING]
    ranked = sorted(eligible, key=lambda c: -ordered[c])
    winners = tuple(ranked[:votes_allowed])
    if len(ranked) > votes_allowed and winners:
        margin = ordered[winners[-1]] - ordered[ranked[votes_allowed]]
    else:
        margin = ordered[winners[-1]] if winners else 0
    return Standing(
        totals=ordered,
        total_votes=sum(ordered.values()),
        winners=winners,
        margin=margin,
        tied=len(ranked) > votes_allowed and margin == 0,
    )


def _unit_for(
    uid: ReportingUnitId, units: Mapping[ReportingUnitId, ReportingUnit]
) -> ReportingUnit:
    known = units.get(uid)
    if known is not None:
        return known
    county, _, name = uid.partition("|")
    return ReportingUnit(uid, name or uid, county if name else "")


def _choices_of(counts: Iterable[ContestCount], contest: Contest | None) -> tuple[ChoiceName, ...]:
    seen: dict[ChoiceName, None] = dict.fromkeys(contest.choice_names() if contest else [])
    for count in counts:
        for choice in count.totals():
            if choice not in seen:
                seen[choice] = None
    return tuple(seen)


def _lead(votes: Mapping[ChoiceName, int], pair: tuple[ChoiceName, ChoiceName] | None) -> int:
    if pair is None:
        return 0
    return votes.get(pair[0], 0) - votes.get(pair[1], 0)


@dataclass
class _CountyAccumulator:
    before: dict[ChoiceName, int]
    after: dict[ChoiceName, int]
    units: int = 0
    changed: int = 0


def _accumulator(
    counties: dict[CountyName, _CountyAccumulator],
    county: CountyName,
    choices: Sequence[ChoiceName],
) -> _CountyAccumulator:
    acc = counties.get(county)
    if acc is None:
        acc = _CountyAccumulator(dict.fromkeys(choices, 0), dict.fromkeys(choices, 0))
        counties[county] = acc
    return acc


_Compared = tuple[
    ReportingUnit,
    dict[ChoiceName, int],
    dict[ChoiceName, int],
    Mapping[ChoiceName, int],
    int | None,
    int | None,
    bool,
]
"""A unit in both counts before its margin change is known: unit, before, after, change,
ballots before and after, flagged."""


def reconcile_counts(
    before: ContestCount,
    after: ContestCount,
    units: Mapping[ReportingUnitId, ReportingUnit],
    *,
    contest: Contest | None = None,
    tolerance_votes: int = DEFAULT_TOLERANCE_VOTES,
    tolerance_share: float = DEFAULT_TOLERANCE_SHARE,
    largest: int = DEFAULT_LARGEST,
) -> Reconciliation:
    """Compare ``before`` and ``after`` unit by unit and say what changed and whether it matters.

    ``units`` gives each unit its name and county (a unit missing from it is named after its id,
    ``county|name``); ``contest``, where given, supplies the ballot order of the choices and the
    number of winners (``votes_allowed``). Units present in only one count are listed, not compared,
    but their votes are in both counts' totals and in the net change, so that
    ``net_change == after.totals − before.totals`` always holds.
    """
    if tolerance_votes < 0 or tolerance_share < 0:
        raise PapertallyError("tolerances must not be negative")
    choices = _choices_of((before, after), contest)
    votes_allowed = contest.votes_allowed if contest else 1
    counties: dict[CountyName, _CountyAccumulator] = {}
    compared: list[_Compared] = []
    only_before: list[ReportingUnit] = []
    no_change: Mapping[ChoiceName, int] = MappingProxyType(dict.fromkeys(choices, 0))
    old_table, new_table = before.table, after.table
    for uid, old in old_table.rows():
        unit = units.get(uid) or _unit_for(uid, units)
        acc = _accumulator(counties, unit.county, choices)
        acc.units += 1
        old_votes = {c: old_table.vote(old, c) or 0 for c in choices}
        totals = acc.before
        for choice, votes in old_votes.items():
            totals[choice] += votes
        new = new_table.row_of(uid)
        if new is None:
            only_before.append(unit)
            continue
        new_votes = {c: new_table.vote(new, c) or 0 for c in choices}
        totals = acc.after
        for choice, votes in new_votes.items():
            totals[choice] += votes
        change, flagged = no_change, False
        if new_votes != old_votes:
            acc.changed += 1
            change = {c: new_votes[c] - old_votes[c] for c in choices}
            moved = sum(abs(v) for v in change.values())
            base = old_table.ballots_cast(old) or sum(old_votes.values())
            share = moved / base if base > 0 else 1.0
            flagged = moved > tolerance_votes or share > tolerance_share
        compared.append(
            (
                unit,
                old_votes,
                new_votes,
                change,
                old_table.ballots_cast(old),
                new_table.ballots_cast(new),
                flagged,
            )
        )
    only_after: list[ReportingUnit] = []
    for uid, new in new_table.rows():
        if uid in old_table:
            continue
        unit = units.get(uid) or _unit_for(uid, units)
        only_after.append(unit)
        acc = _accumulator(counties, unit.county, choices)
        acc.units += 1
        for choice in choices:
            acc.after[choice] += new_table.vote(new, choice) or 0

    old_totals = {c: sum(a.before[c] for a in counties.values()) for c in choices}
    new_totals = {c: sum(a.after[c] for a in counties.values()) for c in choices}
    standing_before = standing_of(old_totals, choices, votes_allowed)
    standing_after = standing_of(new_totals, choices, votes_allowed)
    eligible = [c for c in choices if c != SCATTERING]
    pair: tuple[ChoiceName, ChoiceName] | None = None
    if len(eligible) >= 2:
        ranked = sorted(eligible, key=lambda c: -standing_before.totals[c])
        cut = min(votes_allowed, len(ranked) - 1)
        pair = (ranked[cut - 1], ranked[cut])
    differences = [
        UnitDifference(unit, old, new, change, ballots_old, ballots_new, _lead(change, pair), flag)
        for unit, old, new, change, ballots_old, ballots_new, flag in compared
    ]

    county_changes = []
    for county, acc in counties.items():
        net = {c: acc.after[c] - acc.before[c] for c in choices}
        county_changes.append(
            CountyChange(
                county=county,
                reporting_units=acc.units,
                changed_units=acc.changed,
                before=acc.before,
                after=acc.after,
                net_change=net,
                margin_change=_lead(net, pair),
            )
        )
    return Reconciliation(
        contest=contest.name if contest else before.contest,
        from_count=before.name,
        to_count=after.name,
        choices=choices,
        before=standing_before,
        after=standing_after,
        units=tuple(differences),
        only_in_before=tuple(only_before),
        only_in_after=tuple(only_after),
        counties=tuple(county_changes),
        margin_pair=pair,
        tolerance_votes=tolerance_votes,
        tolerance_share=tolerance_share,
        largest=largest,
        net_change={c: standing_after.totals[c] - standing_before.totals[c] for c in choices},
    )


def reconcile_election(
    election: Election,
    contest: ContestName | None = None,
    from_count: CountName | None = None,
    to_count: CountName | None = None,
    *,
    tolerance_votes: int = DEFAULT_TOLERANCE_VOTES,
    tolerance_share: float = DEFAULT_TOLERANCE_SHARE,
    largest: int = DEFAULT_LARGEST,
) -> Reconciliation:
    """Reconcile two counts of one contest of ``election``, choosing sensible defaults.

    Without ``contest`` the election must have exactly one contest with at least two counts.
    Without ``from_count``/``to_count`` the counts are ``original canvass`` → ``recount`` when both
    exist, else the first and the last count of the contest. Names are matched as
    :func:`papertally.model.standard_count_name` would fold them.
    """
    chosen = _pick_contest(election, contest)
    names = [c.name for c in election.counts_of(chosen.name)]
    if len(names) < 2:
        raise PapertallyError(
            f"contest {chosen.name!r} has {len(names)} count(s) ({', '.join(map(repr, names))}); "
            "reconciling needs two: give two files, or a file with an original and a recount"
        )
    if from_count is None:
        from_count = ORIGINAL_CANVASS if ORIGINAL_CANVASS in names else names[0]
    if to_count is None:
        to_count = RECOUNT if RECOUNT in names and from_count != RECOUNT else names[-1]
    old = election.count(chosen.name, _fold_count_name(from_count, names))
    new = election.count(chosen.name, _fold_count_name(to_count, names))
    if old is new:
        raise PapertallyError(f"--from and --to name the same count {old.name!r}")
    return reconcile_counts(
        old,
        new,
        election.units,
        contest=chosen,
        tolerance_votes=tolerance_votes,
        tolerance_share=tolerance_share,
        largest=largest,
    )


def unit_key(uid: ReportingUnitId) -> str:
    """Fold a unit id for matching units across two files.

    Case, runs of white space, spaces around ``-``, ``&``, ``,`` and ``/``, the spelling of the
    ward word (``Ward``, ``Wards``, ``WDS.``) and of the ward numbers (``1 & 2``, ``1,2``, ``1-2``)
    do not matter: ``ADAMS|TOWN OF X Wards 1-3`` and ``Adams|Town of X WARDS 1 - 3`` are one unit.
    """
    text = " ".join(uid.casefold().split())
    text = _AROUND_SIGNS.sub(r"\1", text)
    return _WARD_NUMBERS.sub(_ward_numbers, _WARD_WORD.sub("ward", text))


def match_units(before: ContestCount, after: ContestCount) -> ContestCount:
    """Return ``after`` with each unit renamed to the id it has in ``before``, where their ids
    differ only as :func:`unit_key` folds them (and the folding names one unit on each side)."""
    theirs: dict[str, list[ReportingUnitId]] = {}
    for uid in before.units:
        theirs.setdefault(unit_key(uid), []).append(uid)
    mine: dict[str, int] = {}
    for uid in after.units:
        mine[unit_key(uid)] = mine.get(unit_key(uid), 0) + 1
    renamed: dict[ReportingUnitId, UnitTally] = {}
    for uid, tally in after.units.items():
        key = unit_key(uid)
        same = theirs.get(key, [])
        target = same[0] if uid not in before.units and len(same) == 1 and mine[key] == 1 else uid
        renamed[target] = tally
    if list(renamed) == list(after.units):
        return after
    return replace(after, units=TallyTable(renamed))


def comparability(
    before: Election, after: Election, old: ContestCount, new: ContestCount
) -> list[str]:
    """Return why two files' counts may not be two counts of one contest, if they may not.

    Different election dates, different contest names (case and spacing aside), or fewer than
    :data:`MIN_MATCHED_SHARE` of the units of either count in both (after :func:`match_units`).
    """
    problems = []
    if before.date and after.date and before.date != after.date:
        problems.append(
            f"the files are of different elections ({before.date.isoformat()} and "
            f"{after.date.isoformat()})"
        )
    if " ".join(old.contest.casefold().split()) != " ".join(new.contest.casefold().split()):
        problems.append(f"the contests differ ({old.contest!r} and {new.contest!r})")
    both = len(old.units.keys() & new.units.keys())
    either = len(old.units.keys() | new.units.keys())
    if either and both < MIN_MATCHED_SHARE * either:
        problems.append(
            f"only {both:,} of {either:,} reporting units are in both files (fewer than "
            f"{MIN_MATCHED_SHARE:.0%})"
        )
    return problems


def reconcile_elections(
    before: Election,
    after: Election,
    contest: ContestName | None = None,
    from_count: CountName | None = None,
    to_count: CountName | None = None,
    *,
    tolerance_votes: int = DEFAULT_TOLERANCE_VOTES,
    tolerance_share: float = DEFAULT_TOLERANCE_SHARE,
    largest: int = DEFAULT_LARGEST,
    force: bool = False,
) -> Reconciliation:
    """Reconcile a count of one election (e.g. a canvass file) with a count of another (a recount).

    This is the two-file case: each file is its own election. ``contest`` is looked up in both
    (forgivingly, see :meth:`Election.contest`); without it each must have a single contest.
    The count of ``before`` is ``from_count``, else its only count, else its ``original canvass``;
    the count of ``after`` is ``to_count``, else its only count, else its ``recount``.

    Units are matched as :func:`match_units` folds their names. Files that do not look like two
    counts of one contest (:func:`comparability`) are refused, naming why, unless ``force``:
    the reconciliation then carries the reasons as :attr:`Reconciliation.warnings`.
    """
    old_contest = _pick_contest(before, contest)
    new_contest = _pick_contest(after, contest)
    old = _pick_count(before, old_contest, from_count, ORIGINAL_CANVASS, "--from")
    new = match_units(old, _pick_count(after, new_contest, to_count, RECOUNT, "--to"))
    problems = comparability(before, after, old, new)
    if problems and not force:
        raise PapertallyError(
            "; ".join(problems)
            + ": these do not look like two counts of one contest, so they are not compared "
            "(--force compares them anyway)"
        )
    rec = reconcile_counts(
        old,
        new,
        {**after.units, **before.units},
        contest=old_contest,
        tolerance_votes=tolerance_votes,
        tolerance_share=tolerance_share,
        largest=largest,
    )
    return replace(rec, warnings=tuple(problems))


def _pick_count(
    election: Election, contest: Contest, name: CountName | None, usual: CountName, option: str
) -> ContestCount:
    names = [c.name for c in election.counts_of(contest.name)]
    if name is not None:
        return election.count(contest.name, _fold_count_name(name, names))
    if len(names) == 1:
        return election.counts_of(contest.name)[0]
    if usual in names:
        return election.count(contest.name, usual)
    known = ", ".join(repr(n) for n in names) or "none"
    raise PapertallyError(
        f"{election.name!r} has several counts of {contest.name!r} ({known}); "
        f"choose one with {option} NAME"
    )


def _pick_contest(election: Election, name: ContestName | None) -> Contest:
    if name is not None:
        return election.contest(name)
    counted = [c for c in election.contests.values() if len(election.counts_of(c.name)) >= 2]
    if len(counted) == 1:
        return counted[0]
    if len(election.contests) == 1:
        return next(iter(election.contests.values()))
    if not election.contests:
        raise PapertallyError(f"{election.name!r} has no contests")
    known = ", ".join(repr(n) for n in election.contests)
    raise PapertallyError(
        f"{election.name!r} has several contests ({known}); choose one with --contest NAME"
    )


def _fold_count_name(name: CountName, known: Sequence[CountName]) -> CountName:
    if name in known:
        return name
    folded = " ".join(name.lower().split())
    for candidate in known:
        if candidate.lower() == folded:
            return candidate
    standard = standard_count_name(name)
    return standard if standard in known else name
