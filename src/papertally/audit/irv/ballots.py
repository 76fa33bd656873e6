"""Ranked ballots, the jurisdiction's ballot rules, and the instant-runoff (IRV) tabulation.

A ranked ballot as cast is a list of *rankings* (1st choice, 2nd, …), each marking zero, one or
several candidates. The jurisdiction's rules turn it into a *preference list*: the distinct
candidates the ballot can count for, in order, cut where the ballot is exhausted. Once that is
done, every IRV count and every RAIRE assertion works on preference lists only (Blom, Stuckey &
Teague 2019, "RAIRE: risk-limiting audits for IRV elections", §2), so ballots are stored
compactly as the distinct preference lists and how many ballots have each.

The rules differ between jurisdictions; :class:`BallotRules` makes each a setting:

* **overvote** (several candidates at one ranking): Maine — "an exhausted ballot … contains an
  overvote at the highest continuing ranking" (21-A M.R.S. §723-A(1)(D)); San Francisco's
  reports count ballots "exhausted by overvotes" the same way. ``"exhaust"`` stops the ballot
  there; ``"skip"`` passes over that ranking to the next;
* **skipped rankings** (a blank ranking followed by a marked one): Maine exhausts a ballot with
  "2 or more sequential skipped rankings" (21-A M.R.S. §723-A(1)(D)), so ``max_skipped = 1``;
  San Francisco transfers the vote to the next ranked choice however many are skipped (Charter
  §13.102), ``max_skipped = None``;
* **duplicate rankings** (a candidate ranked again): counted once at the highest ranking, the
  later one passed over as a blank ranking would be when ``duplicate_is_skip``, or simply
  ignored otherwise (San Francisco's voter instructions: a candidate selected in more than one
  column counts once). The Maine preset treats a repeat as a skipped ranking: our reading, not
  a quoted rule (to be checked against 29-250 C.M.R. ch. 535).

The tabulation (:func:`tabulate`) counts each continuing ballot for its highest-ranked
continuing candidate, eliminates the candidate with fewest votes, and repeats until one is
left. Candidates with no votes at all are eliminated together (their order changes no tally);
any other tie for last place, or a final tie, is an error: the outcome would depend on a tie
break, which no audit can confirm.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from papertally.errors import PapertallyError, closest_match_hint
from papertally.types import ChoiceName

Ranking = tuple[int, ...]
"""A preference list: candidate indices, most preferred first, each at most once."""


@dataclass(frozen=True)
class BallotRules:
    """How a jurisdiction reads a ranked ballot (see the module notes for the sources)."""

    name: str
    overvote: Literal["exhaust", "skip"] = "exhaust"
    """At an overvoted ranking the ballot is exhausted, or that ranking is passed over."""
    max_skipped: int | None = None
    """The most blank rankings in a row passed over; one more exhausts (``None``: no limit)."""
    duplicate_is_skip: bool = False
    """Whether a repeated candidate counts as a skipped ranking (towards ``max_skipped``)."""


MAINE = BallotRules("maine", overvote="exhaust", max_skipped=1, duplicate_is_skip=True)
"""Maine, 21-A M.R.S. §723-A(1)(D): overvote exhausts, two sequential skips exhaust."""
SAN_FRANCISCO = BallotRules("san-francisco", overvote="exhaust", max_skipped=None)
"""San Francisco, Charter §13.102: skipped rankings pass to the next choice; overvote exhausts."""
RULES: dict[str, BallotRules] = {rules.name: rules for rules in (MAINE, SAN_FRANCISCO)}
"""The named rule sets, for settings and the command line."""


def ballot_rules(name: str) -> BallotRules:
    """Return the named rule set, or raise a :class:`PapertallyError` naming the known ones."""
    found = RULES.get(name.strip().lower())
    if found is None:
        raise PapertallyError(
            f"unknown ballot rules {name!r}; known: {', '.join(RULES)}"
            f"{closest_match_hint(name, list(RULES))}"
        )
    return found


def marks_by_rank(marks: Iterable[tuple[int, int]]) -> list[set[int]]:
    """Return the candidates marked at each ranking from ``(candidate, rank)`` pairs (rank 1
    first), a blank ranking as an empty set: the input of :func:`preference_list`."""
    listed = list(marks)
    out: list[set[int]] = [set() for _ in range(max((r for _, r in listed), default=0))]
    for candidate, rank in listed:
        out[rank - 1].add(candidate)
    return out


def preference_names(
    marks: Iterable[tuple[ChoiceName, int]], rules: BallotRules
) -> tuple[ChoiceName, ...]:
    """Return one ballot's preference list as names, from its ``(candidate, rank)`` marks."""
    listed = list(marks)
    names = list(dict.fromkeys(name for name, _ in listed))
    index = {name: i for i, name in enumerate(names)}
    ranking = preference_list(marks_by_rank((index[n], r) for n, r in listed), rules)
    return tuple(names[c] for c in ranking)


def preference_list(marks: Sequence[Iterable[int]], rules: BallotRules) -> Ranking:
    """Return the preference list of one ballot from its rankings under ``rules``.

    ``marks[i]`` holds the candidates marked at ranking ``i + 1`` (empty for a blank ranking).
    Trailing blank rankings are not "skipped" (nothing is ranked after them).
    """
    out: list[int] = []
    skipped = 0
    for at_rank in marks:
        chosen = set(at_rank)
        if len(chosen) > 1:
            if rules.overvote == "exhaust":
                break
            skipped += 1
            continue
        if not chosen or (next(iter(chosen)) in out):
            if chosen and not rules.duplicate_is_skip:
                continue
            skipped += 1
            continue
        if rules.max_skipped is not None and skipped > rules.max_skipped:
            break
        skipped = 0
        out.append(next(iter(chosen)))
    return tuple(out)


@dataclass(frozen=True)
class RankedBallots:
    """The ballots of one IRV contest, as distinct preference lists and their counts.

    A ballot with an empty preference list (blank, or exhausted at once) is kept: it is a card
    of the contest, counts in the number of ballots and scores ½ in every assertion's assorter.
    """

    candidates: tuple[ChoiceName, ...]
    rankings: tuple[Ranking, ...]
    counts: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(set(self.candidates)) != len(self.candidates):
            repeated = [c for c, n in Counter(self.candidates).items() if n > 1]
            raise PapertallyError(f"candidate named twice: {', '.join(map(repr, repeated))}")
        if len(self.rankings) != len(self.counts):
            raise PapertallyError("each preference list needs exactly one count")
        n = len(self.candidates)
        for ranking, count in zip(self.rankings, self.counts, strict=True):
            if count < 0 or int(count) != count:
                raise PapertallyError(f"ballot count must be a whole number ≥ 0, got {count}")
            if len(set(ranking)) != len(ranking) or any(not 0 <= c < n for c in ranking):
                raise PapertallyError(
                    f"preference list {list(ranking)} repeats a candidate or names one outside "
                    f"0..{n - 1}"
                )

    @classmethod
    def from_lists(
        cls,
        candidates: Sequence[ChoiceName],
        lists: Iterable[tuple[Sequence[int], int]] | Mapping[Ranking, int],
    ) -> RankedBallots:
        """Return the ballots from ``(preference list, count)`` pairs, merging equal lists."""
        merged: Counter[Ranking] = Counter()
        items = lists.items() if isinstance(lists, Mapping) else lists
        for ranking, count in items:
            merged[tuple(int(c) for c in ranking)] += int(count)
        return cls(tuple(candidates), tuple(merged), tuple(merged.values()))

    @classmethod
    def from_named(
        cls, candidates: Sequence[ChoiceName], lists: Iterable[tuple[Sequence[ChoiceName], int]]
    ) -> RankedBallots:
        """Return the ballots from ``(names in preference order, count)`` pairs."""
        index = {name: i for i, name in enumerate(candidates)}
        converted: list[tuple[list[int], int]] = []
        for names, count in lists:
            for name in names:
                if name not in index:
                    raise PapertallyError(
                        f"unknown candidate {name!r}{closest_match_hint(name, list(candidates))}"
                    )
            converted.append(([index[name] for name in names], count))
        return cls.from_lists(candidates, converted)

    @property
    def total(self) -> int:
        """The number of ballots (blank and exhausted ones included)."""
        return int(sum(self.counts))

    def index(self, name: ChoiceName) -> int:
        """Return a candidate's index, or raise a :class:`PapertallyError` naming the known ones."""
        try:
            return self.candidates.index(name)
        except ValueError:
            raise PapertallyError(
                f"unknown candidate {name!r}; the candidates are {', '.join(self.candidates)}"
                f"{closest_match_hint(name, list(self.candidates))}"
            ) from None

    @cached_property
    def _table(self) -> NDArray[np.int64]:
        """The preference lists padded with ``-1`` into one ``(lists, longest)`` array."""
        width = max((len(r) for r in self.rankings), default=0) or 1
        table = np.full((len(self.rankings), width), -1, dtype=np.int64)
        for row, ranking in enumerate(self.rankings):
            table[row, : len(ranking)] = ranking
        return table

    @cached_property
    def _weights(self) -> NDArray[np.float64]:
        return np.asarray(self.counts, dtype=np.float64)

    @cached_property
    def positions(self) -> NDArray[np.int64]:
        """``positions[k, c]``: where candidate ``c`` stands on list ``k`` (a large number if
        absent), so "``a`` is preferred to ``b``" is ``positions[:, a] < positions[:, b]``."""
        n = len(self.candidates)
        table = self._table
        out = np.full((len(self.rankings), n + 1), table.shape[1] + 1, dtype=np.int64)
        rows = np.repeat(np.arange(table.shape[0]), table.shape[1])
        out[rows, table.ravel()] = np.tile(np.arange(table.shape[1]), table.shape[0])
        return out[:, :n]

    def first_choices(self, continuing: Iterable[int]) -> NDArray[np.int64]:
        """Return, per preference list, its highest-ranked continuing candidate (``-1``: none)."""
        alive = np.zeros(len(self.candidates) + 1, dtype=bool)
        alive[list(continuing)] = True
        table = self._table
        mask = alive[table]
        first = mask.argmax(axis=1)
        chosen = table[np.arange(table.shape[0]), first]
        return np.where(mask.any(axis=1), chosen, -1)

    def tally(self, continuing: Iterable[int]) -> NDArray[np.int64]:
        """Return each candidate's votes when only ``continuing`` are left (others get 0)."""
        chosen = self.first_choices(continuing)
        counted = chosen >= 0
        return np.bincount(
            chosen[counted], weights=self._weights[counted], minlength=len(self.candidates)
        ).astype(np.int64)


@dataclass(frozen=True)
class Round:
    """One round of the count: who was continuing, their votes, and who was eliminated."""

    number: int
    tallies: dict[ChoiceName, int]
    """Votes of each continuing candidate."""
    exhausted: int
    """Ballots that count for no continuing candidate."""
    eliminated: tuple[ChoiceName, ...]
    """The candidates eliminated after this round."""
    tie_broken: bool = False
    """Whether several candidates tied for last place; every choice gives the same winner, so
    the first in ballot order was eliminated."""


@dataclass(frozen=True)
class Tabulation:
    """The IRV count: its rounds, the winner and the order of elimination."""

    candidates: tuple[ChoiceName, ...]
    rounds: tuple[Round, ...]
    winner: ChoiceName
    elimination_order: tuple[ChoiceName, ...]
    """Every candidate, first eliminated first, the winner last (zero-vote candidates first, in
    ballot order)."""
    ballots: int = field(default=0)
    """The number of ballots counted (blank and exhausted ones included)."""


def tabulate(ballots: RankedBallots, *, reported_winner: ChoiceName | None = None) -> Tabulation:
    """Count an IRV contest round by round; check the reported winner when one is given.

    Raises a :class:`PapertallyError` on a tie for last place among candidates with votes, on
    a final tie, and when ``reported_winner`` does not win the count.
    """
    names = ballots.candidates
    if len(names) < 2:
        raise PapertallyError(f"an IRV contest needs at least two candidates, got {len(names)}")
    if reported_winner is not None:
        ballots.index(reported_winner)
    continuing = list(range(len(names)))
    rounds: list[Round] = []
    order: list[int] = []
    while len(continuing) > 1:
        tally = ballots.tally(continuing)
        votes = {c: int(tally[c]) for c in continuing}
        counted = sum(votes.values())
        lowest = min(votes.values())
        last = [c for c in continuing if votes[c] == lowest]
        tie_broken = False
        if len(last) == 1 or (lowest == 0 and len(last) < len(continuing)):
            out = last
        else:
            outcomes = {w for c in last for w in _possible_winners(ballots, continuing, c, {})}
            if len(outcomes) > 1 or len(last) == len(continuing):
                tied = ", ".join(repr(names[c]) for c in last)
                stage = "the final round" if len(continuing) == len(last) else "last place"
                raise PapertallyError(
                    f"round {len(rounds) + 1}: {tied} are tied for {stage} with {lowest} votes "
                    "each, and the winner depends on which is eliminated: the outcome rests on "
                    "a tie break, which an audit cannot confirm"
                )
            out, tie_broken = last[:1], True
        rounds.append(
            Round(
                number=len(rounds) + 1,
                tallies={names[c]: votes[c] for c in continuing},
                exhausted=ballots.total - counted,
                eliminated=tuple(names[c] for c in out),
                tie_broken=tie_broken,
            )
        )
        order.extend(out)
        continuing = [c for c in continuing if c not in out]
    winner = continuing[0]
    result = Tabulation(
        candidates=names,
        rounds=tuple(rounds),
        winner=names[winner],
        elimination_order=tuple(names[c] for c in [*order, winner]),
        ballots=ballots.total,
    )
    if reported_winner is not None and reported_winner != result.winner:
        raise PapertallyError(
            f"the reported winner {reported_winner!r} does not win the IRV count: "
            f"{result.winner!r} does (elimination order "
            f"{' → '.join(result.elimination_order)}); there is nothing to audit until the "
            "reported outcome is corrected"
        )
    return result


def _possible_winners(
    ballots: RankedBallots,
    continuing: Sequence[int],
    eliminated: int,
    seen: dict[frozenset[int], frozenset[int]],
) -> frozenset[int]:
    """Return every candidate who can win once ``eliminated`` leaves ``continuing``, whichever
    way later ties for last place are broken."""
    left = frozenset(continuing) - {eliminated}
    if left in seen:
        return seen[left]
    if len(left) == 1:
        seen[left] = left
        return left
    tally = ballots.tally(left)
    lowest = min(int(tally[c]) for c in left)
    last = sorted(c for c in left if int(tally[c]) == lowest)
    if lowest == 0 and len(last) < len(left):
        last = last[:1]
    found = frozenset().union(*(_possible_winners(ballots, sorted(left), c, seen) for c in last))
    seen[left] = found
    return found
