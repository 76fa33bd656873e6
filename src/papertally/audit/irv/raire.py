"""RAIRE: assertions that together imply an IRV winner, chosen by search, and their verifier.

Blom, Stuckey & Teague (2019), "RAIRE: risk-limiting audits for IRV elections" (arXiv
1903.08804), and Blom et al., "A Guide to RAIRE" (2023). Two kinds of assertion, each a claim
about the ballots that a sample can test:

* **NEB(w, l)**, "``w`` is not eliminated before ``l``": ``w``'s first preferences outnumber
  the ballots that rank ``l`` above ``w`` (or rank ``l`` and not ``w``). Then ``w`` has more votes
  than ``l`` in every round both are in, so no elimination order eliminates ``w`` first;
* **NEN(w, l | S)**, "``w`` is not eliminated next when exactly ``S`` continue": ``w``'s votes
  exceed ``l``'s when only ``S`` continue, so ``w`` is not the one eliminated at that point.

An *elimination order* lists every candidate, first eliminated first, the winner last; a *tail*
is its last few entries. The reported winner ``W`` is confirmed when every order whose last
entry is not ``W`` is ruled out. The search works on tails: a tail is ruled out by an assertion
that contradicts it (NEB: ``w`` eliminated before ``l`` in it, or ``w`` outside it and ``l``
inside; NEN: the tail's last ``|S|`` entries are ``S`` and the first of them is ``w``), or by
ruling out each of its one-longer tails.

The *difficulty* of an assertion estimates its audit's sample: ``N / margin`` (the inverse
diluted margin) for a comparison audit, its square for ballot polling, where ``margin`` is the
assertion's lead in ballots and ``N`` the ballots that may be drawn. :func:`find_assertions`
chooses, for every tail, either its own cheapest assertion or its children's, so as to make the
hardest assertion as easy as possible (the paper's objective); it is a depth-first
branch-and-bound over tails, hardest first, pruned by the best difficulty found so far, with an
optional *optimality gap* (stop improving once within ``gap`` of the bound). Redundant
assertions are then dropped (a greedy cover of the tails the search ruled out, then each
assertion the others make unnecessary, hardest first).
:func:`verify_assertions` checks any set (ours or another tool's) and names the elimination
orders it leaves open.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from papertally.audit.irv.ballots import RankedBallots, tabulate
from papertally.errors import PapertallyError
from papertally.types import ChoiceName

AuditKind = Literal["comparison", "polling"]
Tail = tuple[int, ...]


@dataclass(frozen=True)
class IrvAssertion:
    """One RAIRE assertion over candidate indices (see the module notes)."""

    kind: Literal["NEB", "NEN"]
    winner: int
    loser: int
    continuing: frozenset[int] = frozenset()
    """For NEN, the candidates continuing; empty for NEB."""

    def __post_init__(self) -> None:
        if self.winner == self.loser:
            raise PapertallyError(f"{self.kind} assertion with the same winner and loser")
        if self.kind == "NEN" and not {self.winner, self.loser} <= self.continuing:
            raise PapertallyError("an NEN assertion's winner and loser must both be continuing")

    def rules_out(self, tail: Sequence[int]) -> bool:
        """Whether every elimination order ending in ``tail`` contradicts this assertion."""
        if self.kind == "NEB":
            if self.loser not in tail:
                return False
            return self.winner not in tail[tail.index(self.loser) :]
        size = len(self.continuing)
        return (
            len(tail) >= size
            and tail[-size] == self.winner
            and frozenset(tail[-size:]) == self.continuing
        )

    def margin(self, ballots: RankedBallots) -> int:
        """The assertion's lead in ballots (positive when the ballots bear it out)."""
        if self.kind == "NEB":
            return int(neb_margins(ballots)[self.winner, self.loser])
        tally = ballots.tally(self.continuing)
        return int(tally[self.winner] - tally[self.loser])

    def describe(self, candidates: Sequence[ChoiceName]) -> str:
        """A readable form, e.g. ``NEB: Alice not eliminated before Bob``."""
        win, lose = candidates[self.winner], candidates[self.loser]
        if self.kind == "NEB":
            return f"NEB: {win} not eliminated before {lose}"
        rest = ", ".join(candidates[c] for c in sorted(self.continuing))
        return f"NEN: {win} not eliminated next (beats {lose}) when {rest} continue"

    def to_json(self) -> dict[str, object]:
        """The assertion in raire-rs's JSON form (indices; ``continuing`` sorted)."""
        out: dict[str, object] = {"type": self.kind, "winner": self.winner, "loser": self.loser}
        if self.kind == "NEN":
            out["continuing"] = sorted(self.continuing)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any], candidates: int) -> IrvAssertion:
        """Rebuild an assertion from :meth:`to_json` output over ``candidates`` candidates;
        a malformed one is a :class:`PapertallyError` saying what is wrong."""
        kind = data.get("type")
        try:
            winner, loser = int(data["winner"]), int(data["loser"])
            continuing = frozenset(int(c) for c in data.get("continuing") or ())
        except (KeyError, TypeError, ValueError):
            raise PapertallyError(
                f"assertion {dict(data)!r}: winner and loser must be numbers"
            ) from None
        if kind not in ("NEB", "NEN"):
            raise PapertallyError(f"assertion {dict(data)!r}: the type must be NEB or NEN")
        if any(not 0 <= c < candidates for c in (winner, loser, *continuing)):
            raise PapertallyError(
                f"assertion {dict(data)!r} names a candidate outside 0..{candidates - 1}"
            )
        return cls("NEB" if kind == "NEB" else "NEN", winner, loser, continuing)


@dataclass(frozen=True)
class ScoredAssertion:
    """An assertion with its margin and difficulty on the ballots it was chosen for."""

    assertion: IrvAssertion
    margin: int
    difficulty: float


def difficulty(margin: int, ballots: int, kind: AuditKind) -> float:
    """Return ``N/margin`` (comparison) or ``(N/margin)²`` (polling); infinite for margin ≤ 0."""
    if margin <= 0:
        return math.inf
    ratio = ballots / margin
    return ratio if kind == "comparison" else ratio * ratio


def neb_margins(ballots: RankedBallots) -> NDArray[np.int64]:
    """Return ``m[w, l]``: ``w``'s first preferences minus the ballots ranking ``l`` above ``w``."""
    cached: NDArray[np.int64] | None = ballots.__dict__.get("_neb_margins")
    if cached is not None:
        return cached
    n = len(ballots.candidates)
    weights = np.asarray(ballots.counts, dtype=np.int64)
    pos = ballots.positions
    firsts = ballots.tally(range(n))
    out = np.zeros((n, n), dtype=np.int64)
    for w in range(n):
        for loser in range(n):
            if w != loser:
                ahead = pos[:, loser] < pos[:, w]
                out[w, loser] = firsts[w] - int(weights[ahead].sum())
    ballots.__dict__["_neb_margins"] = out
    return out


@dataclass(frozen=True)
class RaireResult:
    """The assertions chosen for a contest, and what the search cost."""

    candidates: tuple[ChoiceName, ...]
    winner: int
    assertions: tuple[ScoredAssertion, ...]
    kind: AuditKind
    ballots: int
    """``N``: the ballots a sample may draw (the difficulties' numerator)."""
    tails_searched: int
    seconds: float
    before_pruning: int = 0
    """How many assertions the greedy cover kept before redundant ones were dropped."""

    @property
    def difficulty(self) -> float:
        """The hardest assertion's difficulty (the audit's expected sample, roughly)."""
        return max((a.difficulty for a in self.assertions), default=0.0)

    @property
    def margin(self) -> int:
        """The smallest assertion margin, in ballots."""
        return min((a.margin for a in self.assertions), default=0)

    def to_json(self) -> dict[str, object]:
        """The result in raire-rs's output form (``metadata`` and ``solution.Ok``)."""
        return {
            "metadata": {"candidates": list(self.candidates)},
            "solution": {
                "Ok": {
                    "assertions": [
                        {
                            "assertion": a.assertion.to_json(),
                            "margin": a.margin,
                            "difficulty": a.difficulty,
                        }
                        for a in self.assertions
                    ],
                    "difficulty": self.difficulty,
                    "margin": self.margin,
                    "winner": self.winner,
                    "num_candidates": len(self.candidates),
                    "audit": {"type": self.kind, "total_auditable_ballots": self.ballots},
                    "time_to_find_assertions": {
                        "work": self.tails_searched,
                        "seconds": self.seconds,
                    },
                }
            },
        }


class _Search:
    """The tails' cheapest assertions (memoized) and the branch-and-bound over tails."""

    def __init__(
        self, ballots: RankedBallots, winner: int, kind: AuditKind, total: int, gap: float
    ) -> None:
        self.ballots = ballots
        self.n = len(ballots.candidates)
        self.winner = winner
        self.kind = kind
        self.total = total
        self.gap = gap
        self.neb = neb_margins(ballots)
        self.neb_rows: list[list[int]] = self.neb.tolist()
        self.best: dict[Tail, ScoredAssertion | None] = {}
        self.options: dict[Tail, tuple[int, IrvAssertion | None]] = {}
        self.tallies: dict[frozenset[int], list[int]] = {}

    def cost(self, tail: Tail) -> float:
        """The difficulty of the cheapest assertion ruling out ``tail`` (infinite: none)."""
        found = self.cheapest(tail)
        return math.inf if found is None else found.difficulty

    def cheapest(self, tail: Tail) -> ScoredAssertion | None:
        """The cheapest assertion ruling out ``tail``, if any has a positive margin."""
        if tail in self.best:
            return self.best[tail]
        lead, assertion = self.strongest(tail)
        found = None
        if assertion is not None and lead > 0:
            found = ScoredAssertion(assertion, lead, difficulty(lead, self.total, self.kind))
        self.best[tail] = found
        return found

    def strongest(self, tail: Tail) -> tuple[int, IrvAssertion | None]:
        """The largest margin of an assertion ruling out ``tail``, and that assertion.

        Whatever rules out a tail rules out every longer tail ending in it, so a tail inherits
        its parent's options and adds two: NEB(w, first) for each ``w`` outside it (eliminated
        before the first), and the NEN saying the first is not eliminated next among the tail.
        """
        if tail in self.options:
            return self.options[tail]
        first, rest = tail[0], tail[1:]
        best = self.strongest(rest) if rest else (-self.total - 1, None)
        inside = set(tail)
        for w in range(self.n):
            if w not in inside and self.neb_rows[w][first] > best[0]:
                best = (self.neb_rows[w][first], IrvAssertion("NEB", w, first))
        if rest:
            continuing = frozenset(inside)
            tally = self.tally(continuing)
            loser = min(rest, key=tally.__getitem__)
            lead = tally[first] - tally[loser]
            if lead > best[0]:
                best = (lead, IrvAssertion("NEN", first, loser, continuing))
        self.options[tail] = best
        return best

    def tally(self, continuing: frozenset[int]) -> list[int]:
        if continuing not in self.tallies:
            self.tallies[continuing] = [int(v) for v in self.ballots.tally(continuing)]
        return self.tallies[continuing]

    def optimum(self, tail: Tail, bound: float) -> float:
        """The least achievable difficulty of ruling out ``tail`` — exact when above ``bound``,
        else some value at most ``bound + gap`` (all the caller needs)."""
        own = self.cost(tail)
        if own <= bound + self.gap or len(tail) == self.n:
            return own
        hardest = 0.0
        for child in sorted(_children(tail, self.n), key=self.cost, reverse=True):
            hardest = max(hardest, self.optimum(child, max(bound, hardest)))
            if hardest >= own:
                return own
        return hardest

    def realize(self, tail: Tail, limit: float, out: list[tuple[Tail, ScoredAssertion]]) -> None:
        """Rule out ``tail`` with assertions no harder than ``limit``, recording which."""
        found = self.cheapest(tail)
        if found is not None and found.difficulty <= limit:
            out.append((tail, found))
            return
        if len(tail) == self.n:
            raise _Unruled(tail)
        for child in _children(tail, self.n):
            self.realize(child, limit, out)


PRUNE_BUDGET = 2_000
"""Tails :func:`_prune` may walk to show one assertion redundant before it keeps it anyway
(bounds the pruning time of many-candidate contests; a kept assertion is never wrong)."""


class _Unruled(Exception):
    def __init__(self, tail: Tail) -> None:
        super().__init__(tail)
        self.tail = tail


def find_assertions(
    ballots: RankedBallots,
    winner: ChoiceName,
    *,
    kind: AuditKind = "comparison",
    total_ballots: int | None = None,
    gap: float = 0.0,
) -> RaireResult:
    """Choose RAIRE assertions that rule out every elimination order not won by ``winner``.

    ``total_ballots`` (default: the ballots given) is ``N``, the cards a sample may draw;
    ``gap`` is the optimality gap in difficulty units (0: the least hardest difficulty).
    The reported winner must win the count (:func:`~papertally.audit.irv.ballots.tabulate`),
    else a :class:`PapertallyError` says who did and no assertions are returned.
    """
    started = time.perf_counter()
    if gap < 0 or not math.isfinite(gap):
        raise PapertallyError(f"the optimality gap must be a finite number ≥ 0, got {gap}")
    tabulate(ballots, reported_winner=winner)
    total = ballots.total if total_ballots is None else int(total_ballots)
    if total < ballots.total:
        raise PapertallyError(
            f"the number of ballots to audit over ({total}) is below the {ballots.total} "
            "ballots of the contest"
        )
    w = ballots.index(winner)
    search = _Search(ballots, w, kind, total, gap)
    roots = sorted(((c,) for c in range(search.n) if c != w), key=search.cost, reverse=True)
    bound = 0.0
    for root in roots:
        bound = max(bound, search.optimum(root, bound))
    realized: list[tuple[Tail, ScoredAssertion]] = []
    try:
        for root in roots:
            search.realize(root, bound + gap, realized)
    except _Unruled as unruled:
        names = " → ".join(ballots.candidates[c] for c in unruled.tail)
        raise PapertallyError(
            f"no assertion rules out the elimination order {names}: the margin is zero "
            "somewhere (a tie), so the reported outcome cannot be confirmed by sampling"
        ) from None
    covered = _cover(realized)
    chosen = _prune(covered, realized, search.n)
    return RaireResult(
        candidates=ballots.candidates,
        winner=w,
        assertions=tuple(sorted(chosen, key=lambda a: -a.difficulty)),
        kind=kind,
        ballots=total,
        tails_searched=len(search.best),
        seconds=time.perf_counter() - started,
        before_pruning=len(covered),
    )


def _cover(realized: list[tuple[Tail, ScoredAssertion]]) -> list[ScoredAssertion]:
    """Keep few of the assertions yet rule out every tail the search ruled out (greedy cover:
    the assertion ruling out most uncovered tails first, the easier one on a tie)."""
    pool = {found.assertion: found for _, found in realized}
    index = _Index(pool)
    covers: dict[IrvAssertion, list[int]] = {a: [] for a in pool}
    ruling: list[list[IrvAssertion]] = []
    for i, (tail, _) in enumerate(realized):
        ruling.append(index.ruling(tail))
        for a in ruling[-1]:
            covers[a].append(i)
    gain = {a: len(tails) for a, tails in covers.items()}
    heap = [(-gain[a], pool[a].difficulty, n, a) for n, a in enumerate(pool)]
    heapq.heapify(heap)
    covered = [False] * len(realized)
    chosen: list[ScoredAssertion] = []
    while heap:
        negative, hardness, n, a = heapq.heappop(heap)
        if gain[a] == 0:
            continue
        if -negative != gain[a]:
            heapq.heappush(heap, (-gain[a], hardness, n, a))
            continue
        chosen.append(pool[a])
        for i in covers[a]:
            if not covered[i]:
                covered[i] = True
                for other in ruling[i]:
                    gain[other] -= 1
    return chosen


def _prune(
    chosen: list[ScoredAssertion], realized: list[tuple[Tail, ScoredAssertion]], n: int
) -> list[ScoredAssertion]:
    """Drop every assertion the others make redundant, trying the hardest first.

    Keeps a *frontier*: tails that together cover every order to rule out, each ruled out
    directly by some kept assertion. An assertion can go when every frontier tail only it rules
    out has all its longer tails ruled out by the others; those then join the frontier.
    """
    kept = {a.assertion: a for a in chosen}
    index = _Index(kept)
    frontier: dict[Tail, set[IrvAssertion]] = {}
    for tail, _ in realized:
        frontier.setdefault(tail, set(index.ruling(tail)))
    by_assertion: dict[IrvAssertion, set[Tail]] = {a: set() for a in kept}
    for tail, ruling in frontier.items():
        for a in ruling:
            by_assertion[a].add(tail)
    for candidate in sorted(chosen, key=lambda a: -a.difficulty):
        gone = candidate.assertion
        others = _Coverage((a for a in kept if a != gone), n, limit=0, budget=PRUNE_BUDGET)
        replacement: dict[Tail, list[Tail]] = {}
        feasible = True
        for tail in by_assertion[gone]:
            if len(frontier[tail]) > 1:
                continue
            found: list[Tail] = []
            if len(tail) == n or not all(others.walk(c, found) for c in _children(tail, n)):
                feasible = False
                break
            replacement[tail] = found
        if not feasible:
            continue
        del kept[gone]
        for tail in by_assertion.pop(gone):
            frontier[tail].discard(gone)
        for tail, found in replacement.items():
            del frontier[tail]
            for new in found:
                ruling = set(others.index.ruling(new))
                frontier[new] = ruling
                for a in ruling:
                    by_assertion[a].add(new)
    return list(kept.values())


def _children(tail: Tail, n: int) -> list[Tail]:
    return [(c, *tail) for c in range(n) if c not in tail]


@dataclass(frozen=True)
class Verification:
    """Whether an assertion set rules out every elimination order not won by the winner."""

    ok: bool
    open_orders: tuple[tuple[int, ...], ...]
    """Some elimination orders (first eliminated first) that no assertion rules out."""
    more_open: bool
    """Whether there are open orders beyond those listed."""
    tails_checked: int


class _Index:
    """Assertions indexed so that those ruling out a tail are found without trying each."""

    def __init__(self, assertions: Iterable[IrvAssertion]) -> None:
        self.neb: dict[int, dict[int, IrvAssertion]] = {}
        self.nen: dict[tuple[frozenset[int], int], list[IrvAssertion]] = {}
        for a in assertions:
            if a.kind == "NEB":
                self.neb.setdefault(a.loser, {})[a.winner] = a
            else:
                self.nen.setdefault((a.continuing, a.winner), []).append(a)

    def ruling(self, tail: Tail) -> list[IrvAssertion]:
        """Every indexed assertion that rules out ``tail``."""
        out: list[IrvAssertion] = []
        for j, loser in enumerate(tail):
            beaten = self.neb.get(loser)
            if beaten:
                later = set(tail[j:])
                out.extend(a for w, a in beaten.items() if w not in later)
        for k in range(1, len(tail) + 1):
            out.extend(self.nen.get((frozenset(tail[-k:]), tail[-k]), ()))
        return out

    def rules_out(self, tail: Tail) -> bool:
        """Whether some indexed assertion rules out ``tail``."""
        for j, loser in enumerate(tail):
            beaten = self.neb.get(loser)
            if beaten and not beaten.keys() <= set(tail[j:]):
                return True
        return any((frozenset(tail[-k:]), tail[-k]) in self.nen for k in range(1, len(tail) + 1))


class _Coverage:
    """Walks the tails a set of assertions leaves open."""

    def __init__(
        self,
        assertions: Iterable[IrvAssertion],
        candidates: int,
        limit: int,
        budget: int | None = None,
    ) -> None:
        listed = list(assertions)
        for a in listed:
            for c in (a.winner, a.loser, *a.continuing):
                if not 0 <= c < candidates:
                    raise PapertallyError(
                        f"assertion {a.to_json()} names candidate {c}, outside 0..{candidates - 1}"
                    )
        self.index = _Index(listed)
        self.candidates = candidates
        self.limit = limit
        self.open_orders: list[Tail] = []
        self.checked = 0
        self.budget = budget

    def walk(self, tail: Tail, ruled: list[Tail] | None = None) -> bool:
        """Whether to go on: ``False`` once more than ``limit`` open orders were found.

        ``ruled`` collects the tails found ruled out (the frontier below ``tail``). Past the
        ``budget`` of tails checked the walk gives up (``False``) as if it had found one open.
        """
        self.checked += 1
        if self.budget is not None and self.checked > self.budget:
            return False
        if self.index.rules_out(tail):
            if ruled is not None:
                ruled.append(tail)
            return True
        if len(tail) == self.candidates:
            self.open_orders.append(tail)
            return len(self.open_orders) <= self.limit
        return all(self.walk(child, ruled) for child in _children(tail, self.candidates))


def verify_assertions(
    assertions: Iterable[IrvAssertion], winner: int, candidates: int, *, limit: int = 10
) -> Verification:
    """Check that ``assertions`` rule out every elimination order won by someone else.

    Walks the tails from each other candidate's win, longer only where no assertion rules the
    tail out; a full order reached that way is *open*. Lists at most ``limit`` open orders.
    """
    if not 0 <= winner < candidates:
        raise PapertallyError(f"winner index {winner} is outside 0..{candidates - 1}")
    checker = _Coverage(assertions, candidates, limit)
    finished = all(checker.walk((c,)) for c in range(candidates) if c != winner)
    return Verification(
        ok=not checker.open_orders,
        open_orders=tuple(checker.open_orders[:limit]),
        more_open=not finished,
        tails_checked=checker.checked,
    )


def score_assertions(
    assertions: Iterable[IrvAssertion],
    ballots: RankedBallots,
    *,
    kind: AuditKind = "comparison",
    total_ballots: int | None = None,
) -> list[ScoredAssertion]:
    """Return each assertion with its margin and difficulty on ``ballots`` (e.g. imported ones)."""
    total = ballots.total if total_ballots is None else int(total_ballots)
    return [
        ScoredAssertion(a, m, difficulty(m, total, kind))
        for a in assertions
        for m in (a.margin(ballots),)
    ]
