"""The electoral-vote picture: which states would have to flip to change the presidential winner.

Given each state's electoral votes, its winner and its margin (a small table the user supplies),
find the sets of the national winner's states whose flipping gives the runner-up a majority of
the electoral votes in the table, cheapest first by the ballots that would have to switch sides
(``margin // 2 + 1`` per state, see :func:`papertally.law.history.votes_to_flip`). The cheapest
set comes from an exact 0/1 knapsack over electoral votes; the alternatives are the inclusion-
minimal sets among the closest states. The fewest-states set comes from the same exact
knapsack, ordered by number of states first.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from papertally.errors import PapertallyError
from papertally.law.history import votes_to_flip

CLOSEST_STATES = 14
"""How many of the closest states the list of alternative sets looks at."""


@dataclass(frozen=True)
class StateResult:
    """One row of the table: a state (or district), its electoral votes, winner and margin."""

    state: str
    electoral_votes: int
    winner: str
    margin_votes: int
    total_votes: int | None = None

    @property
    def ballots_to_switch(self) -> int:
        """Return the ballots that must switch from winner to runner-up to flip the state."""
        return votes_to_flip(self.margin_votes)[1]


@dataclass(frozen=True)
class FlipSet:
    """A set of states that, flipped together, changes the winner."""

    states: list[str]
    electoral_votes: int
    ballots_to_switch: int


@dataclass
class ElectoralPicture:
    """The national winner, what the runner-up needs, and the sets of states that would do it."""

    winner: str
    runner_up: str
    electoral_votes: dict[str, int]
    total: int
    majority: int
    needed: int
    cheapest: FlipSet | None
    fewest_states: FlipSet | None
    alternatives: list[FlipSet] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary."""
        return {
            "winner": self.winner,
            "runner_up": self.runner_up,
            "electoral_votes": self.electoral_votes,
            "total": self.total,
            "majority": self.majority,
            "needed": self.needed,
            "cheapest": self.cheapest.__dict__ if self.cheapest else None,
            "fewest_states": self.fewest_states.__dict__ if self.fewest_states else None,
            "alternatives": [a.__dict__ for a in self.alternatives],
            "notes": self.notes,
        }


def _best_set(rows: list[StateResult], needed: int, by_count: bool) -> FlipSet | None:
    """Return the set reaching ``needed`` electoral votes that is best, found exactly.

    A 0/1 knapsack over electoral votes (capped at ``needed``) keeps, for each total, the best
    set by (number of states, ballots) when ``by_count``, else by ballots alone; every subset's
    total is reachable, so the answer is exact (51 rows x 270 totals is a few thousand steps).
    """

    def key(entry: tuple[int, tuple[int, ...]]) -> tuple[int, ...]:
        cost, picks = entry
        return (len(picks), cost) if by_count else (cost, len(picks))

    best: dict[int, tuple[int, tuple[int, ...]]] = {0: (0, ())}
    for i, row in enumerate(rows):
        for ev, (cost, picks) in list(best.items()):
            gained = min(needed, ev + row.electoral_votes)
            candidate = (cost + row.ballots_to_switch, (*picks, i))
            if gained not in best or key(candidate) < key(best[gained]):
                best[gained] = candidate
    if needed not in best:
        return None
    cost, picks = best[needed]
    chosen = [rows[i] for i in picks]
    return FlipSet([r.state for r in chosen], sum(r.electoral_votes for r in chosen), cost)


def _knapsack(rows: list[StateResult], needed: int) -> FlipSet | None:
    """Return the set with electoral votes >= needed and the fewest ballots to switch."""
    return _best_set(rows, needed, by_count=False)


def _fewest(rows: list[StateResult], needed: int) -> FlipSet | None:
    """Return the set with the fewest states (cheapest among those) reaching ``needed``."""
    return _best_set(rows, needed, by_count=True)


def _minimal_sets(rows: list[StateResult], needed: int, limit: int) -> list[FlipSet]:
    """Return up to ``limit`` inclusion-minimal sets among the closest states, cheapest first."""
    close = sorted(rows, key=lambda r: r.margin_votes / (r.total_votes or 1) if r.total_votes
                   else r.margin_votes)[:CLOSEST_STATES]  # fmt: skip
    found: list[FlipSet] = []
    for size in range(1, len(close) + 1):
        for combo in itertools.combinations(close, size):
            ev = sum(r.electoral_votes for r in combo)
            if ev < needed or any(ev - r.electoral_votes >= needed for r in combo):
                continue
            found.append(
                FlipSet([r.state for r in combo], ev, sum(r.ballots_to_switch for r in combo))
            )
    return sorted(found, key=lambda f: f.ballots_to_switch)[:limit]


def electoral_picture(rows: list[StateResult], alternatives: int = 5) -> ElectoralPicture:
    """Work out which combinations of states would have to flip to change the winner."""
    if not rows:
        raise PapertallyError("the electoral table has no rows")
    totals: dict[str, int] = {}
    for row in rows:
        if row.electoral_votes <= 0:
            raise PapertallyError(f"{row.state}: electoral votes must be positive")
        if row.margin_votes < 0:
            raise PapertallyError(f"{row.state}: the margin must be the winner's lead (>= 0)")
        totals[row.winner] = totals.get(row.winner, 0) + row.electoral_votes
    if len(totals) != 2:
        raise PapertallyError(
            f"the table must name exactly two winners across its states, found {len(totals)}: "
            + ", ".join(sorted(totals))
        )
    winner, runner_up = sorted(totals, key=lambda c: (-totals[c], c))
    total = sum(totals.values())
    majority = total // 2 + 1
    needed = majority - totals[runner_up]
    notes = [
        f"{winner} {totals[winner]} to {runner_up} {totals[runner_up]} of {total}; a majority is "
        f"{majority}, so {runner_up} needs {needed} more electoral votes.",
        "Flipping a state means moving margin // 2 + 1 ballots from the winner to the runner-up; "
        "the same change by newly counted ballots alone would need margin + 1 net votes.",
    ]
    if total % 2 == 0:
        notes.append(
            f"A {total // 2}-{total // 2} tie would send the choice to the House (12th Amendment);"
            " sets reaching only a tie are not listed."
        )
    winners_states = [r for r in rows if r.winner == winner]
    return ElectoralPicture(
        winner=winner,
        runner_up=runner_up,
        electoral_votes=totals,
        total=total,
        majority=majority,
        needed=needed,
        cheapest=_knapsack(winners_states, needed),
        fewest_states=_fewest(winners_states, needed),
        alternatives=_minimal_sets(winners_states, needed, alternatives),
        notes=notes,
    )
