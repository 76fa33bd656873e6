"""A contest's totals as recount laws see them, and the margin tests of the rule files.

Recount statutes measure the margin against different bases: all votes for the office, the votes
of the two candidates compared, the winner's votes (Colorado, Nebraska, Wyoming) or the ballots
cast. :class:`Standing` holds every base for one comparison (the last winner against one other
candidate) and :func:`evaluate` answers a :data:`~papertally.law.schema.MarginTest` with the
arithmetic written out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from papertally.errors import PapertallyError, closest_match_hint
from papertally.law.schema import (
    AllTest,
    AnyTest,
    Base,
    BySizeTest,
    MarginTest,
    PercentTest,
    ShareTest,
    TieTest,
    VotesTest,
)
from papertally.model import SCATTERING, Contest, ContestCount
from papertally.model.results import match_choice_names

BASE_WORDS: dict[str, str] = {
    "office_total": "all votes for the office",
    "top_two": "the votes of the two candidates",
    "winner": "the winner's votes",
    "ballots_cast": "the ballots cast",
}


@dataclass(frozen=True)
class ContestResults:
    """The totals of one contest: votes per choice, seats, reporting units and ballots cast."""

    contest: str
    totals: dict[str, int]
    units: int = 0
    """Number of reporting units (wards or precincts) in the results, for per-unit fees."""
    unit_level: str | None = None
    """What the units are (``precinct``, ``ward``, ``county``...), where known; a per-precinct
    fee counts the results' units only when they are precincts."""
    ballots_cast: int | None = None
    seats: int = 1
    non_candidates: frozenset[str] = field(default_factory=lambda: frozenset({SCATTERING}))
    """Lines counted in the office total but never winners (scattering, blank, over/under)."""

    @classmethod
    def from_count(cls, contest: Contest, count: ContestCount) -> ContestResults:
        """Build from a model count: totals, units, and ballots where every unit has them."""
        ballots = [t.ballots_cast for t in count.units.values()]
        known = [b for b in ballots if b is not None]
        return cls(
            contest=contest.name,
            totals=count.totals(),
            units=len(count.units),
            ballots_cast=sum(known) if known and len(known) == len(ballots) else None,
            seats=max(1, contest.votes_allowed),
        )

    @property
    def office_total(self) -> int:
        """Return all votes for the office, scattering included."""
        return sum(self.totals.values())

    def ranked(self) -> list[tuple[str, int]]:
        """Return the candidates (not scattering) by votes, most first, ties by name."""
        rows = [(n, v) for n, v in self.totals.items() if n not in self.non_candidates]
        return sorted(rows, key=lambda nv: (-nv[1], nv[0]))

    def check_contestable(self) -> None:
        """Raise a clear error unless there are more candidates than seats."""
        ranked = self.ranked()
        if len(ranked) <= self.seats:
            names = ", ".join(n for n, _ in ranked) or "none"
            raise PapertallyError(
                f"contest {self.contest!r} has {len(ranked)} candidate(s) ({names}) for "
                f"{self.seats} seat(s): there is no losing candidate, so no margin to recount"
            )

    def standing(self, candidate: str | None = None) -> Standing:
        """Return the comparison of the last winner with ``candidate`` (default: first loser)."""
        self.check_contestable()
        ranked = self.ranked()
        last_winner = ranked[self.seats - 1]
        if candidate is None:
            other = ranked[self.seats]
        else:
            names = [n for n, _ in ranked]
            match = match_choice_names(names, candidate)
            if len(match) != 1:
                hint = closest_match_hint(candidate, names)
                known = ", ".join(repr(n) for n in names)
                what = "matches several" if match else "is not a candidate"
                raise PapertallyError(
                    f"{candidate!r} {what} in contest {self.contest!r}{hint}; "
                    f"candidates are: {known}"
                )
            other = next(nv for nv in ranked if nv[0] == match[0])
        names = [n for n, _ in ranked]
        petitioner_won = names.index(other[0]) < self.seats
        if petitioner_won:
            other = ranked[self.seats]
        return Standing(
            leader=last_winner[0],
            leader_votes=last_winner[1],
            other=other[0],
            other_votes=other[1],
            other_rank=names.index(other[0]) + 1,
            office_total=self.office_total,
            ballots_cast=self.ballots_cast,
            petitioner_is_winner=petitioner_won,
        )


@dataclass(frozen=True)
class Standing:
    """The (last) winner against one other candidate, with every base a statute may use."""

    leader: str
    leader_votes: int
    other: str
    other_votes: int
    other_rank: int
    office_total: int
    ballots_cast: int | None
    petitioner_is_winner: bool = False
    """The candidate asked about won (the comparison is then with the runner-up)."""

    @property
    def margin(self) -> int:
        """Return the leader's votes minus the other's."""
        return self.leader_votes - self.other_votes

    def base(self, base: Base) -> tuple[int, str]:
        """Return the number a percentage is taken of, and a note if a stand-in was used."""
        if base == "office_total":
            return self.office_total, ""
        if base == "top_two":
            return self.leader_votes + self.other_votes, ""
        if base == "winner":
            return self.leader_votes, ""
        if self.ballots_cast is not None:
            return self.ballots_cast, ""
        return self.office_total, (
            " (ballots cast are not in the results; all votes for the office stand in for them)"
        )

    def share(self, base: Base = "office_total") -> float:
        """Return the margin as a percentage of ``base``."""
        value, _ = self.base(base)
        return 100.0 * self.margin / value if value else 0.0


@dataclass(frozen=True)
class Verdict:
    """The answer to a margin test and the arithmetic behind it."""

    passed: bool
    why: str


def _op_words(op: Literal["<", "<="]) -> str:
    return "under" if op == "<" else "at most"


def _compare(value: float, op: Literal["<", "<="], limit: float) -> bool:
    return value < limit if op == "<" else value <= limit


def describe(test: MarginTest) -> str:
    """Return the test in plain words, e.g. "at most 0.5% of the votes of the two candidates"."""
    if isinstance(test, PercentTest):
        return f"{_op_words(test.op)} {test.value:g}% of {BASE_WORDS[test.base]}"
    if isinstance(test, VotesTest):
        return f"{_op_words(test.op)} {test.value:,} votes"
    if isinstance(test, TieTest):
        return "a tie"
    if isinstance(test, ShareTest):
        return f"the petitioner has at least {test.value:g}% of the winner's votes"
    if isinstance(test, AllTest | AnyTest):
        return f"{test.label} " + " and ".join(describe(t) for t in test.tests)
    parts = []
    for bracket in test.brackets:
        size = f"up to {bracket.up_to:,} votes" if bracket.up_to is not None else "larger"
        parts.append(f"{describe(bracket.test)} ({size})")
    return "; ".join(parts)


def evaluate(test: MarginTest, s: Standing) -> Verdict:
    """Answer ``test`` for the comparison ``s``, showing the numbers used."""
    if isinstance(test, PercentTest):
        base, note = s.base(test.base)
        limit = base * test.value / 100.0
        share = 100.0 * s.margin / base if base else 0.0
        passed = _compare(s.margin, test.op, limit)
        return Verdict(
            passed,
            f"margin {s.margin:,} is {share:.4f}% of {BASE_WORDS[test.base]} ({base:,}){note}; "
            f"the test is {describe(test)} (= {limit:,.2f} votes): "
            f"{'met' if passed else 'not met'}",
        )
    if isinstance(test, VotesTest):
        passed = _compare(s.margin, test.op, test.value)
        return Verdict(
            passed,
            f"margin {s.margin:,} votes; the test is {describe(test)}: "
            f"{'met' if passed else 'not met'}",
        )
    if isinstance(test, TieTest):
        passed = s.margin == 0
        return Verdict(passed, f"margin {s.margin:,} votes: {'a tie' if passed else 'not a tie'}")
    if isinstance(test, ShareTest):
        share = 100.0 * s.other_votes / s.leader_votes if s.leader_votes else 100.0
        passed = share >= test.value
        return Verdict(
            passed,
            f"{s.other} has {share:.2f}% of the winner's votes; at least {test.value:g}% "
            f"needed: {'met' if passed else 'not met'}",
        )
    if isinstance(test, AllTest | AnyTest):
        verdicts = [evaluate(t, s) for t in test.tests]
        combine = all if isinstance(test, AllTest) else any
        passed = combine(v.passed for v in verdicts)
        inner = "; ".join(v.why for v in verdicts)
        return Verdict(passed, f"{test.label} [{inner}]: {'met' if passed else 'not met'} overall")
    return _evaluate_by_size(test, s)


def _evaluate_by_size(test: BySizeTest, s: Standing) -> Verdict:
    size, _ = s.base(test.size_of)
    for bracket in test.brackets:
        if bracket.up_to is None or size <= bracket.up_to:
            inner = evaluate(bracket.test, s)
            span = f"at most {bracket.up_to:,}" if bracket.up_to is not None else "the largest"
            return Verdict(
                inner.passed,
                f"{size:,} votes puts the contest in the size bracket of {span}: {inner.why}",
            )
    raise AssertionError("validated rule files always end with an open bracket")
