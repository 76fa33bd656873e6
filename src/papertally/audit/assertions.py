"""Assertions: claims that together imply a reported outcome, each about an assorter's mean.

SHANGRLA (Stark 2020, "Sets of half-average nulls generate risk-limiting audits") turns every
reported outcome into a set of *assertions* of the form "the mean of the assorter ``A`` over all
ballot cards exceeds 1/2". A plurality contest with ``k`` winners needs one assertion per (reported
winner, reported loser) pair; a supermajority contest one assertion. The audit confirms the outcome
when every assertion is confirmed; each is tested with its own test supermartingale.

Ballot-polling assorters (SHANGRLA §2.1, §2.3), scored from the card's own marks by
:func:`score_card` (the one scoring function of every polling, hybrid and comparison path):

* plurality (vote for ``k``), winner ``w`` vs loser ``l``: 1 for a card marked for ``w`` and not
  ``l``, 0 for a card marked for ``l`` and not ``w``, 1/2 otherwise (no mark, both, neither, an
  overvote: more than ``k`` marks). A vote-for-2 card marked {``l``, ``x``} counts 0 for ``w > l``;
* supermajority, winner ``w`` needs more than a share ``f`` of the valid votes: ``1/(2f)`` for a
  vote for ``w``, 0 for a valid vote for anyone else, 1/2 for a card without a valid vote.

*Phantoms* — cards the manifest lists but that were not found, and cards counted in the reported
ballots but absent from the manifest's CVRs — get the worst value for the reported winner: 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from papertally.errors import PapertallyError, closest_match_hint
from papertally.types import ChoiceName, ContestName

PHANTOM = "<phantom>"
"""The choice recorded for a sampled card that could not be found (worst case for the winner)."""
NO_VOTE = "<no vote>"
"""The choice recorded for a sampled card without a valid vote in the contest."""

CardReading = ChoiceName | Sequence[ChoiceName] | None
"""What the auditors read on one card in one contest: the one choice marked, the choices marked
(a list or set; vote for ``k``), ``None`` or :data:`NO_VOTE` for no valid vote, :data:`PHANTOM`
for a card not found."""


def card_marks(reading: CardReading) -> frozenset[ChoiceName] | None:
    """Return the choices a reading marks (empty for no vote), or ``None`` for a phantom."""
    if reading is None:
        return frozenset()
    if isinstance(reading, str):
        if reading == PHANTOM:
            return None
        return frozenset() if reading == NO_VOTE else frozenset((reading,))
    return frozenset(reading)


def score_card(
    reading: CardReading,
    *,
    winner: ChoiceName,
    loser: ChoiceName | None,
    upper_bound: float = 1.0,
    votes_allowed: int = 1,
) -> float:
    """Return one card's assorter value for one assertion, from the card's own marks.

    SHANGRLA (Stark 2020, §2.1): for the pair ``winner > loser`` a card marked for the winner and
    not the loser scores ``upper_bound`` (1), for the loser and not the winner 0, anything else
    ½ (no mark, both, neither). For a supermajority (``loser`` ``None``, §2.3) a valid vote for
    the winner scores ``upper_bound = 1/(2f)``, any other valid vote 0, no valid vote ½. More
    than ``votes_allowed`` marks is an overvote: no valid vote, ½. A phantom scores 0.
    """
    marks = card_marks(reading)
    if marks is None:
        return 0.0
    if not marks or len(marks) > votes_allowed:
        return 0.5
    if loser is None:
        return upper_bound if winner in marks else 0.0
    if winner in marks and loser not in marks:
        return upper_bound
    if loser in marks and winner not in marks:
        return 0.0
    return 0.5


def pair_population(
    winner_votes: int, loser_votes: int, cards: int, phantoms: int = 0
) -> AssorterPopulation:
    """Return the plurality assorter values of ``cards`` cards (plus phantoms) for one pair.

    Only ``W − L`` fixes the mean (SHANGRLA §2.1). In a vote-for-``k`` contest a card may show
    both candidates (value ½); when ``W + L`` exceeds the cards, at least ``W + L − cards`` do,
    and the population takes that many (the other ½ cards show neither), so that it always has
    exactly ``cards + phantoms`` cards (sampling without replacement draws from that many).
    """
    both = max(0, winner_votes + loser_votes - cards)
    return AssorterPopulation(
        values=(1.0, 0.0, 0.5),
        counts=(
            winner_votes - both,
            loser_votes - both + phantoms,
            cards - winner_votes - loser_votes + 2 * both,
        ),
    )


@dataclass(frozen=True)
class AssorterPopulation:
    """The assorter values of all ballot cards, as distinct values and how many cards have each."""

    values: tuple[float, ...]
    """Distinct assorter values, each in ``[0, upper_bound]``."""
    counts: tuple[int, ...]
    """Number of cards with each value; they sum to the number of cards."""

    @property
    def size(self) -> int:
        """The number of cards."""
        return int(sum(self.counts))

    @property
    def mean(self) -> float:
        """The mean assorter value over all cards."""
        return float(np.dot(self.values, self.counts) / self.size)


@dataclass(frozen=True)
class Assertion:
    """One claim "the mean of this assorter over all cards exceeds 1/2" (SHANGRLA §2).

    For a plurality assertion ``loser`` names the reported loser; for a supermajority assertion it
    is ``None`` and ``share`` is the share of valid votes the winner needs.
    """

    contest: ContestName
    """The contest the claim is about."""
    winner: ChoiceName
    """The reported winner whose win the claim supports."""
    loser: ChoiceName | None
    """The reported loser, or ``None`` for a supermajority claim."""
    share: float | None
    """The supermajority threshold ``f`` (e.g. 2/3), or ``None`` for a plurality claim."""
    upper_bound: float
    """The largest assorter value ``u``: 1 for plurality, ``1/(2f)`` for supermajority."""
    reported_mean: float
    """The assorter mean the reported results imply (phantoms counted as 0)."""
    population: AssorterPopulation
    """The assorter values of all cards as the reported results (and phantoms) imply them."""
    votes_allowed: int = 1
    """How many choices a card may mark in the contest; more is an overvote (½)."""

    @property
    def margin(self) -> float:
        """The *assorter margin* ``2·mean − 1``: positive when the reported outcome holds."""
        return 2.0 * self.reported_mean - 1.0

    @property
    def diluted_margin(self) -> float:
        """The margin in assorter units per card relative to the largest value: ``margin / u``.

        For plurality this is the familiar (votes for w − votes for l) / cards.
        """
        return (2.0 * self.reported_mean - 1.0) / self.upper_bound

    @property
    def name(self) -> str:
        """A short label such as ``"Alice > Bob"`` or ``"Yes > 2/3"``."""
        if self.loser is not None:
            return f"{self.winner} > {self.loser}"
        return f"{self.winner} > {self.share:g} of valid votes"

    def assort(self, choices: Sequence[CardReading]) -> NDArray[np.float64]:
        """Return the ballot-polling assorter value of each sampled card, in draw order.

        ``choices`` holds what the auditors read on each card (a :data:`CardReading`: the choice
        or choices marked, ``None`` or :data:`NO_VOTE`, :data:`PHANTOM` for a card not found),
        scored by :func:`score_card`.
        """
        values = np.empty(len(choices), dtype=np.float64)
        for i, reading in enumerate(choices):
            values[i] = score_card(
                reading,
                winner=self.winner,
                loser=self.loser,
                upper_bound=self.upper_bound,
                votes_allowed=self.votes_allowed,
            )
        return values


def check_votes(
    votes: Mapping[ChoiceName, int],
    ballots: int | None,
    winners: int = 1,
    *,
    votes_allowed: int | None = None,
) -> int:
    """Validate reported votes and return the number of ballot cards ``N`` to audit over.

    ``ballots`` defaults to the total of the votes (every card has exactly one vote). Raises a
    :class:`PapertallyError` for fewer than two candidates, negative or missing votes, or more
    votes than ``votes_allowed`` (default ``winners``) per card allows.
    """
    allowed = winners if votes_allowed is None else votes_allowed
    if len(votes) < 2:
        raise PapertallyError(
            f"a contest needs at least two candidates to audit, got {len(votes)}: "
            f"{', '.join(votes) or 'none'}"
        )
    for name, count in votes.items():
        if int(count) != count or count < 0:
            raise PapertallyError(f"votes for {name!r} must be a whole number ≥ 0, got {count}")
    if winners < 1 or winners >= len(votes):
        raise PapertallyError(
            f"the number of winners must be at least 1 and fewer than the {len(votes)} "
            f"candidates, got {winners}"
        )
    total = int(sum(votes.values()))
    cards = total if ballots is None else int(ballots)
    if cards <= 0:
        raise PapertallyError(f"the number of ballots must be positive, got {cards}")
    if total > allowed * cards:
        raise PapertallyError(
            f"the votes add up to {total}, more than {allowed} vote(s) on each of the "
            f"{cards} ballots allow; check the votes and the number of ballots"
        )
    return cards


def reported_winners(votes: Mapping[ChoiceName, int], winners: int = 1) -> list[ChoiceName]:
    """Return the ``winners`` candidates with most votes; a tie for the last seat is an error."""
    ranked = sorted(votes, key=lambda name: -votes[name])
    if votes[ranked[winners - 1]] == votes[ranked[winners]]:
        raise PapertallyError(
            f"{ranked[winners - 1]!r} and {ranked[winners]!r} are tied with "
            f"{votes[ranked[winners]]} votes: a tied outcome cannot be confirmed by an audit"
        )
    return ranked[:winners]


def plurality_assertions(
    votes: Mapping[ChoiceName, int],
    winners: int = 1,
    *,
    ballots: int | None = None,
    phantoms: int = 0,
    contest: ContestName = "contest",
    votes_allowed: int | None = None,
) -> list[Assertion]:
    """Return one assertion per (reported winner, reported loser) pair (SHANGRLA §2.1).

    ``ballots`` is the number of cards the reported votes are over (default: the total votes);
    ``phantoms`` more cards are listed in the manifest but have no reported vote or were not
    found: they count as votes for the loser in every assertion (the worst case).
    ``votes_allowed`` (default ``winners``) is how many choices a card may mark.
    """
    allowed = winners if votes_allowed is None else votes_allowed
    if allowed < 1:
        raise PapertallyError(f"the votes allowed per card must be at least 1, got {allowed}")
    cards = check_votes(votes, ballots, winners, votes_allowed=allowed)
    if phantoms < 0:
        raise PapertallyError(f"the number of phantom cards must be ≥ 0, got {phantoms}")
    won = reported_winners(votes, winners)
    assertions = []
    for winner in won:
        for loser in (name for name in votes if name not in won):
            population = pair_population(int(votes[winner]), int(votes[loser]), cards, phantoms)
            assertions.append(
                Assertion(
                    contest=contest,
                    winner=winner,
                    loser=loser,
                    share=None,
                    upper_bound=1.0,
                    reported_mean=population.mean,
                    population=population,
                    votes_allowed=allowed,
                )
            )
    return assertions


def supermajority_assertion(
    votes: Mapping[ChoiceName, int],
    winner: ChoiceName,
    share: float,
    *,
    ballots: int | None = None,
    phantoms: int = 0,
    contest: ContestName = "contest",
) -> Assertion:
    """Return the assertion "``winner`` got more than ``share`` of the valid votes" (SHANGRLA §2.3).

    The assorter is ``1/(2·share)`` for a vote for ``winner``, 0 for a vote for anyone else or a
    phantom, 1/2 for a card without a valid vote.
    """
    cards = check_votes(votes, ballots)
    if winner not in votes:
        raise PapertallyError(f"unknown winner {winner!r}{closest_match_hint(winner, list(votes))}")
    if not 0.0 < share < 1.0:
        raise PapertallyError(f"the supermajority share must lie in (0, 1), got {share}")
    w = int(votes[winner])
    others = int(sum(votes.values())) - w
    if w <= share * (w + others):
        raise PapertallyError(
            f"{winner!r} got {w} of {w + others} valid votes, not more than {share:g} of them"
        )
    u = 1.0 / (2.0 * share)
    population = AssorterPopulation(
        values=(u, 0.0, 0.5), counts=(w, others + phantoms, cards - w - others)
    )
    return Assertion(
        contest=contest,
        winner=winner,
        loser=None,
        share=share,
        upper_bound=u,
        reported_mean=population.mean,
        population=population,
    )


def check_sample_choices(
    choices: Iterable[CardReading], candidates: Iterable[ChoiceName], *, source: str
) -> list[CardReading]:
    """Return the sampled readings, raising a :class:`PapertallyError` naming any unknown name.

    ``source`` names where the choices came from (a file name), for the message; each reading is
    a :data:`CardReading`: blank entries and :data:`NO_VOTE` mean no valid vote, :data:`PHANTOM`
    a card not found, a list or set the choices marked on a vote-for-``k`` card.
    """
    known = list(candidates)
    allowed = {*known, PHANTOM, NO_VOTE}
    checked: list[CardReading] = []
    for i, reading in enumerate(choices, start=1):
        names = [reading] if reading is None or isinstance(reading, str) else list(reading)
        for choice in names:
            if choice is not None and (
                choice not in allowed or (len(names) > 1 and choice in (PHANTOM, NO_VOTE))
            ):
                raise PapertallyError(
                    f"{source}: draw {i} names {choice!r}, who is not a candidate "
                    f"({', '.join(known)}; or {NO_VOTE}, {PHANTOM})"
                    f"{closest_match_hint(choice, known)}"
                )
        checked.append(reading)
    return checked
