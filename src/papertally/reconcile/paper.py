"""Reconciliation of a ward's paper records: poll book, ballots, votes and absentee envelopes.

After a recount a ward *balances* when its paper records agree: as many ballots counted as voters
in the poll book, as many absentee ballots as absentee certificate envelopes, never more votes
than ballots allow. Wards that do not balance are flagged with the size of the imbalance; in
Detroit's 2016 presidential recount one precinct held 52 ballots against 307 names in its poll
book, which made it, like most of Detroit's precincts, ineligible for recount under Michigan law
(MCL 168.871).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from papertally.types import ChoiceName, CountyName, ReportingUnitId


class BalanceCheck(StrEnum):
    """The comparisons made between a ward's paper records."""

    POLL_BOOK_VS_BALLOTS = "poll book vs ballots counted"
    ISSUED_VS_ACCOUNTED = "ballots issued vs ballots counted and rejected"
    ABSENTEE_ENVELOPES_VS_BALLOTS = "absentee envelopes vs absentee ballots"
    VOTES_VS_BALLOTS = "votes vs ballots counted"


@dataclass(frozen=True)
class ChallengedBallot:
    """A ballot challenged or rejected during the recount, with the board's reason."""

    reason: str
    count: int = 1
    rejected: bool = False
    """True where the board set the ballot aside (not counted); False where it was counted."""


@dataclass(frozen=True)
class PaperRecords:
    """The paper-record counts a recount board enters for one ward (any may be unknown)."""

    poll_book_voters: int | None = None
    """Names (voter numbers) in the poll book, absentee voters included."""
    ballots_issued: int | None = None
    ballots_counted: int | None = None
    absentee_envelopes: int | None = None
    """Absentee certificate envelopes found with the ward's ballots."""
    absentee_ballots: int | None = None
    challenged: tuple[ChallengedBallot, ...] = ()

    @property
    def rejected_ballots(self) -> int:
        """Return how many challenged ballots were set aside rather than counted."""
        return sum(c.count for c in self.challenged if c.rejected)


@dataclass(frozen=True)
class Imbalance:
    """One check that failed: what was expected from one record and what another showed."""

    check: BalanceCheck
    expected: int
    found: int

    @property
    def difference(self) -> int:
        """Return ``found − expected``: negative when records are missing (e.g. fewer ballots)."""
        return self.found - self.expected


@dataclass(frozen=True)
class WardBalance:
    """The result of reconciling one ward's paper records."""

    unit: ReportingUnitId
    county: CountyName
    imbalances: tuple[Imbalance, ...]
    challenged: tuple[ChallengedBallot, ...]
    checks_made: tuple[BalanceCheck, ...]

    @property
    def balanced(self) -> bool:
        """Return True when every check that could be made agreed."""
        return not self.imbalances

    @property
    def largest_imbalance(self) -> int:
        """Return the largest absolute difference among the failed checks (0 when balanced)."""
        return max((abs(i.difference) for i in self.imbalances), default=0)


def reconcile_paper_records(
    unit: ReportingUnitId,
    county: CountyName,
    records: PaperRecords,
    votes: Mapping[ChoiceName, int],
    *,
    votes_allowed: int = 1,
    tolerance: int = 0,
) -> WardBalance:
    """Compare a ward's poll book, ballots, absentee envelopes and votes; list what disagrees.

    A check is made only when both of its records are known. Differences of at most
    ``tolerance`` ballots are accepted (0 by default: a recount should balance exactly).
    Votes may fall short of ballots (undervotes) but may not exceed ``ballots × votes_allowed``.
    """
    imbalances: list[Imbalance] = []
    checks: list[BalanceCheck] = []

    def compare(check: BalanceCheck, expected: int | None, found: int | None) -> None:
        if expected is None or found is None:
            return
        checks.append(check)
        if abs(found - expected) > tolerance:
            imbalances.append(Imbalance(check, expected, found))

    compare(BalanceCheck.POLL_BOOK_VS_BALLOTS, records.poll_book_voters, records.ballots_counted)
    if records.ballots_issued is not None and records.ballots_counted is not None:
        compare(
            BalanceCheck.ISSUED_VS_ACCOUNTED,
            records.ballots_issued,
            records.ballots_counted + records.rejected_ballots,
        )
    compare(
        BalanceCheck.ABSENTEE_ENVELOPES_VS_BALLOTS,
        records.absentee_envelopes,
        records.absentee_ballots,
    )
    if records.ballots_counted is not None and votes:
        checks.append(BalanceCheck.VOTES_VS_BALLOTS)
        most_votes_possible = records.ballots_counted * votes_allowed
        total_votes = sum(votes.values())
        if total_votes > most_votes_possible + tolerance:
            imbalances.append(
                Imbalance(BalanceCheck.VOTES_VS_BALLOTS, most_votes_possible, total_votes)
            )
    return WardBalance(unit, county, tuple(imbalances), records.challenged, tuple(checks))


@dataclass(frozen=True)
class BalanceSummary:
    """Paper-record balance over a set of wards (a county, or the state)."""

    wards_checked: int
    wards_unbalanced: int
    net_ballot_difference: int
    """Sum over unbalanced wards of ballots counted − poll book voters (< 0: ballots missing)."""
    challenged_ballots: int
    rejected_ballots: int
    unbalanced: tuple[WardBalance, ...] = field(default=())


def summarize_balances(balances: Iterable[WardBalance]) -> BalanceSummary:
    """Add up ward balances: how many wards balance, the net ballot difference, challenges."""
    checked = unbalanced = net = challenged = rejected = 0
    flagged: list[WardBalance] = []
    for balance in balances:
        checked += 1
        if not balance.balanced:
            unbalanced += 1
            flagged.append(balance)
        net += sum(
            i.difference for i in balance.imbalances if i.check is BalanceCheck.POLL_BOOK_VS_BALLOTS
        )
        challenged += sum(c.count for c in balance.challenged)
        rejected += sum(c.count for c in balance.challenged if c.rejected)
    flagged.sort(key=lambda b: b.largest_imbalance, reverse=True)
    return BalanceSummary(checked, unbalanced, net, challenged, rejected, tuple(flagged))


def summarize_by_county(balances: Iterable[WardBalance]) -> dict[CountyName, BalanceSummary]:
    """Return one :class:`BalanceSummary` per county, counties in the order first seen."""
    by_county: dict[CountyName, list[WardBalance]] = {}
    for balance in balances:
        by_county.setdefault(balance.county, []).append(balance)
    return {county: summarize_balances(wards) for county, wards in by_county.items()}
