"""The contests of an audit and the cards drawn for it, scored as SHANGRLA assorters.

A contest under audit (:class:`ContestSpec`) is fixed when the seed is entered; a sampled card
(:class:`AuditedCard`) carries its cast vote record and the audit board's reading of the paper.
This module scores one card for one assertion from the card's own marks
(:func:`papertally.audit.assertions.score_card`): the plurality assorter (SHANGRLA, Stark 2020,
§2.1) gives 1 for a card marked for the winner and not the loser, 0 for one marked for the loser
and not the winner, ½ otherwise (more marks than the contest allows is an overvote, ½; a
vote-for-2 card marked {loser, other} scores 0), and a card-level comparison
codes the overstatement ``ω = A(CVR) − A(paper)`` as ``0``, ``o1``, ``o2``, ``u1``, ``u2``; a card
without a CVR or not found is a ``phantom`` (two-vote overstatement, the worst case: Bañuelos &
Stark 2012). A card that does not show the contest scores ½ on paper and in its CVR, so margins
are diluted over all the audit's ``N`` cards (Stark 2008, auditing several contests at once).

Pure statistics and plain data: the rounds built on them live in
:mod:`papertally.workflows.measure`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from papertally.audit.assertions import (
    NO_VOTE,
    PHANTOM,
    Assertion,
    CardReading,
    plurality_assertions,
    reported_winners,
    score_card,
    supermajority_assertion,
)
from papertally.audit.batch import BatchContest
from papertally.errors import PapertallyError
from papertally.types import ChoiceName, ContestName, CountyName


class AuditType(StrEnum):
    """How a contest is audited."""

    BALLOT_COMPARISON = "ballot comparison"
    BALLOT_POLLING = "ballot polling"
    BATCH_COMPARISON = "batch comparison"
    """Whole batches hand-counted and compared with their reported tallies (MACRO, PPEB)."""
    HYBRID = "hybrid"
    """Cards with CVRs compared, cards without CVRs polled: two strata (SUITE)."""


CardVotes = Mapping[ContestName, Sequence[ChoiceName]]
"""The choices marked on one card, per contest shown on it (an empty list: no vote)."""


@dataclass(frozen=True)
class ContestSpec:
    """One contest under audit, as fixed when the seed was entered."""

    name: ContestName
    audit_type: AuditType
    risk_limit: float
    votes: Mapping[ChoiceName, int]
    """The reported votes per choice (for comparison audits, the CVRs' tally)."""
    cards: int
    """``N``: the ballot cards of the audit's manifest, which every contest is audited over."""
    winners: int = 1
    votes_allowed: int = 1
    cvr_votes: Mapping[ChoiceName, int] | None = None
    """Hybrid: the CVR stratum's reported votes (its CVRs' tally); ``votes`` less these are the
    no-CVR stratum's."""
    cvr_cards: int | None = None
    """Hybrid: the cards of the manifest's batches with CVRs (the rest form the no-CVR stratum)."""
    method: str | None = None
    """Hybrid: ``"oneaudit"`` to measure by OneAudit (:mod:`papertally.workflows.oneaudit`)
    instead of SUITE."""
    pools: tuple[Mapping[str, Any], ...] | None = None
    """OneAudit: the pools of cards without CVRs (``name``, ``cards``, ``votes``, ``batches``);
    ``None``: one pool of the no-CVR stratum with the reported votes less the CVRs' tally."""
    supermajority: float | None = None
    """OneAudit of a mixed contest: the share of the valid votes the one reported winner needs
    (its one assertion, SHANGRLA §2.3); ``None``: winner-loser pairs."""
    irv: Mapping[str, Any] | None = None
    """A ranked (IRV) contest: ``candidates`` (names, in the assertions' index order),
    ``winner``, ``rules`` and the RAIRE ``assertions`` chosen at launch (each ``assertion`` in
    raire-rs JSON, its ``margin`` in cards and ``name``): :mod:`papertally.workflows.irv`."""

    def strata(self) -> tuple[dict[ChoiceName, int], dict[ChoiceName, int], int, int]:
        """Return a hybrid contest's votes and cards per stratum: CVR votes, no-CVR votes,
        CVR cards, no-CVR cards. Refuses reported totals below the CVRs' tally."""
        if self.cvr_votes is None or self.cvr_cards is None:
            raise PapertallyError(f"contest {self.name!r} is not a hybrid audit with two strata")
        if not 0 <= self.cvr_cards <= self.cards:
            raise PapertallyError(
                f"contest {self.name!r}: {self.cvr_cards} cards with CVRs, but the manifest has "
                f"{self.cards} in all"
            )
        cvr = {c: int(self.cvr_votes.get(c, 0)) for c in {*self.votes, *self.cvr_votes}}
        rest = {c: int(self.votes.get(c, 0)) - n for c, n in cvr.items()}
        short = sorted(c for c, n in rest.items() if n < 0)
        if short:
            choice = short[0]
            raise PapertallyError(
                f"contest {self.name!r}: the reported votes of {choice!r} "
                f"({self.votes.get(choice, 0):,}) are fewer than the CVRs' tally ({cvr[choice]:,});"
                " a hybrid audit takes the reported totals over all cards, CVRs or not: check "
                "the reported votes"
            )
        return cvr, rest, self.cvr_cards, self.cards - self.cvr_cards

    def assertions(self) -> list[Assertion]:
        """Return the contest's (winner, loser) assertions over the audit's ``N`` cards, or its
        supermajority assertion."""
        if self.supermajority is not None:
            (winner,) = reported_winners(self.votes, 1)
            return [
                supermajority_assertion(
                    self.votes, winner, self.supermajority, ballots=self.cards, contest=self.name
                )
            ]
        return plurality_assertions(
            self.votes,
            self.winners,
            ballots=self.cards,
            contest=self.name,
            votes_allowed=self.votes_allowed,
        )

    def reported_winners(self) -> list[ChoiceName]:
        """Return the reported winners."""
        return reported_winners(self.votes, self.winners)

    def to_json(self) -> dict[str, Any]:
        """Return the spec as plain JSON data (for the store and the export)."""
        data: dict[str, Any] = {
            "name": self.name,
            "audit_type": self.audit_type.value,
            "risk_limit": self.risk_limit,
            "votes": dict(self.votes),
            "cards": self.cards,
            "winners": self.winners,
            "votes_allowed": self.votes_allowed,
        } | (
            {}
            if self.cvr_votes is None
            else {"cvr_votes": dict(self.cvr_votes), "cvr_cards": self.cvr_cards}
        )
        if self.method is not None:
            data["method"] = self.method
        if self.pools is not None:
            data["pools"] = [dict(p) for p in self.pools]
        if self.supermajority is not None:
            data["supermajority"] = self.supermajority
        if self.irv is not None:
            data["irv"] = dict(self.irv)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ContestSpec:
        """Rebuild a spec from :meth:`to_json` output."""
        return cls(
            name=str(data["name"]),
            audit_type=AuditType(data["audit_type"]),
            risk_limit=float(data["risk_limit"]),
            votes={str(k): int(v) for k, v in data["votes"].items()},
            cards=int(data["cards"]),
            winners=int(data.get("winners", 1)),
            votes_allowed=int(data.get("votes_allowed", 1)),
            cvr_votes=None
            if data.get("cvr_votes") is None
            else {str(k): int(v) for k, v in data["cvr_votes"].items()},
            cvr_cards=None if data.get("cvr_cards") is None else int(data["cvr_cards"]),
            method=None if data.get("method") is None else str(data["method"]),
            pools=None if data.get("pools") is None else tuple(dict(p) for p in data["pools"]),
            supermajority=None
            if data.get("supermajority") is None
            else float(data["supermajority"]),
            irv=None if data.get("irv") is None else dict(data["irv"]),
        )


@dataclass(frozen=True)
class AuditedCard:
    """One sampled card: its cast vote record and what the audit board read on the paper."""

    sequence: int
    """1-based draw number over all rounds."""
    cvr: CardVotes | None
    """The CVR's votes, or ``None`` when no CVR describes the card (a phantom CVR)."""
    paper: CardVotes | None
    """The audit board's reading, or ``None`` when the card was not found (the worst case)."""
    cvr_stratum: bool = True
    """Hybrid audits: whether the card's batch has CVRs (compared) or not (polled)."""
    batch: tuple[CountyName, str] | None = None
    """The card's batch ``(county, batch name)``, where known (OneAudit's batch pools)."""


def _assort(votes: Sequence[ChoiceName] | None, assertion: Assertion, allowed: int) -> float:
    """Return the plurality assorter of a card's votes: 1 winner, 0 loser, ½ otherwise.

    Scored from the card's own marks by :func:`~papertally.audit.assertions.score_card`; a
    contest marked for more choices than allowed is an overvote and counts for nobody.
    """
    return score_card(
        tuple(votes or ()),
        winner=assertion.winner,
        loser=assertion.loser,
        upper_bound=assertion.upper_bound,
        votes_allowed=allowed,
    )


_CODES = {0.0: "0", 0.5: "o1", 1.0: "o2", -0.5: "u1", -1.0: "u2"}


def discrepancy_code(card: AuditedCard, assertion: Assertion, votes_allowed: int = 1) -> str:
    """Return the discrepancy code of one sampled card for one assertion (comparison audits)."""
    if card.cvr is None or card.paper is None:
        return "phantom"
    reported = _assort(card.cvr.get(assertion.contest), assertion, votes_allowed)
    audited = _assort(card.paper.get(assertion.contest), assertion, votes_allowed)
    return _CODES[reported - audited]


def polling_choice(card: AuditedCard, spec: ContestSpec) -> CardReading:
    """Return what a polling audit reads off a card: the choices marked, no vote, or a phantom.

    Every mark is kept (a vote-for-``k`` card marked {loser, other} counts against the winner);
    more marks than the contest allows is an overvote, no valid vote. Each assertion then scores
    the reading with :func:`~papertally.audit.assertions.score_card`.
    """
    if card.paper is None:
        return PHANTOM
    votes = tuple(dict.fromkeys(card.paper.get(spec.name) or ()))
    if not votes or len(votes) > spec.votes_allowed:
        return NO_VOTE
    return votes


# -- batch comparison ------------------------------------------------------------------------------

BatchId = tuple[CountyName, str]
"""A batch of a batch comparison audit: ``(county, batch name)``."""
BatchTallies = Mapping[ContestName, Mapping[ChoiceName, int]]
"""Votes per contest and choice in one batch."""


def batch_contests(
    specs: Sequence[ContestSpec],
    reported: Mapping[ContestName, Mapping[BatchId, Mapping[ChoiceName, int]]],
    ballots: Mapping[BatchId, int],
) -> list[BatchContest[BatchId]]:
    """Return the batch comparison contests: reported tallies by batch, cards per batch.

    ``ballots`` holds every batch's cards from the manifest. A contest covers every batch of
    each county that reported tallies for it, a batch left out of the tallies counting as
    reporting no votes: its ``b_p`` cards could still hide up to ``b_p`` votes of margin, so it
    keeps its error bound and can be drawn (Stark 2008, MACRO).
    """
    contests = []
    for spec in specs:
        tallies = reported[spec.name]
        counties = {county for county, _ in tallies}
        covered = {batch: n for batch, n in ballots.items() if batch[0] in counties}
        winners = tuple(spec.reported_winners())
        losers = tuple(c for c in spec.votes if c not in winners)
        contests.append(BatchContest(spec.name, winners, losers, dict(tallies), covered))
    return contests
