"""Recount cost: county estimates, a per-ballot or per-unit model for the gaps, and the true-up.

Where the petitioner pays the estimated actual cost (Wisconsin, Colorado, Nevada...), each county
clerk estimates its cost, the state adds them up and bills the petitioner; after the recount the
actual costs are compared with what was paid, and the difference is refunded or billed
(Wisconsin 2016: $3,499,689 paid, $2,005,603 actual, $1,494,086 refunded).

Counties that send no estimate are filled by a model: dollars per ballot or per reporting unit
given by the user, or else the median cost per vote of past full statewide recounts in
``law/history.yaml`` (stated as an assumption in the output).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from papertally.errors import PapertallyError
from papertally.law.history import cost_per_vote_median, history_facts


@dataclass(frozen=True)
class CountyCost:
    """One county's figures: its estimate and actual cost where known, ballots and units."""

    county: str
    estimate: float | None = None
    actual: float | None = None
    ballots: int | None = None
    units: int | None = None


@dataclass(frozen=True)
class CostLine:
    """The estimate used for one county and where it came from."""

    county: str
    estimate: float
    how: str
    actual: float | None


@dataclass
class CostEstimate:
    """The statewide estimate, county by county, and the settlement once actual costs are in."""

    lines: list[CostLine]
    submitted_total: float
    modelled_total: float
    total: float
    assumptions: list[str] = field(default_factory=list)
    settlement: Settlement | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary."""
        return {
            "lines": [line.__dict__ for line in self.lines],
            "submitted_total": self.submitted_total,
            "modelled_total": self.modelled_total,
            "total": self.total,
            "assumptions": self.assumptions,
            "settlement": self.settlement.__dict__ if self.settlement else None,
        }


@dataclass(frozen=True)
class Settlement:
    """What the petitioner paid against the actual cost: refund or balance due."""

    paid: float
    actual: float
    refund: float
    balance_due: float
    arithmetic: str


def settle(paid: float, actual: float) -> Settlement:
    """Compare the amount paid with the actual cost and return the refund or balance due."""
    if paid < 0 or actual < 0:
        raise PapertallyError("amounts paid and actual costs cannot be negative")
    difference = paid - actual
    if difference >= 0:
        words = f"${paid:,.2f} paid - ${actual:,.2f} actual = ${difference:,.2f} refunded"
        return Settlement(paid, actual, difference, 0.0, words)
    words = f"${actual:,.2f} actual - ${paid:,.2f} paid = ${-difference:,.2f} due"
    return Settlement(paid, actual, 0.0, -difference, words)


def estimate_cost(
    counties: list[CountyCost],
    per_ballot: float | None = None,
    per_unit: float | None = None,
    paid: float | None = None,
) -> CostEstimate:
    """Add up the counties' estimates, modelling the missing ones, and settle if actuals are in.

    ``paid`` is what the petitioner paid (default: the estimate total). The settlement is made
    only when every county has an actual cost.
    """
    if not counties:
        raise PapertallyError("no counties given: the cost file has no rows")
    assumptions: list[str] = []
    rate, rate_words = per_ballot, "given per-ballot rate"
    if per_ballot is None and per_unit is None:
        rate = cost_per_vote_median()
        rate_words = "median cost per vote of past full recounts"
    lines: list[CostLine] = []
    modelled = False
    for c in counties:
        if c.estimate is not None:
            lines.append(CostLine(c.county, c.estimate, "submitted by the county", c.actual))
            continue
        modelled = True
        if per_unit is not None and c.units is not None:
            amount = per_unit * c.units
            how = f"modelled: ${per_unit:,.2f} x {c.units:,} units"
        elif rate is not None and c.ballots is not None:
            amount = rate * c.ballots
            how = f"modelled: ${rate:,.3f} x {c.ballots:,} ballots ({rate_words})"
        else:
            raise PapertallyError(
                f"county {c.county!r} has no estimate and no ballots or units to model one from"
            )
        lines.append(CostLine(c.county, round(amount, 2), how, c.actual))
    if modelled and per_ballot is None and per_unit is None:
        facts = ", ".join(
            f"{row['recount']} ${row['per_vote']}" for row in history_facts()["cost_per_ballot"]
        )
        assumptions.append(
            f"Counties without an estimate are modelled at ${rate:,.3f} per ballot, the median "
            f"cost per vote of past full statewide recounts ({facts}); costs vary widely with "
            "method (hand or machine) and year."
        )
    submitted = sum(line.estimate for line in lines if line.how.startswith("submitted"))
    total = sum(line.estimate for line in lines)
    settlement = None
    if all(line.actual is not None for line in lines):
        actual = sum(line.actual or 0.0 for line in lines)
        settlement = settle(total if paid is None else paid, actual)
    elif paid is not None:
        assumptions.append("No settlement yet: not every county has reported its actual cost.")
    return CostEstimate(
        lines=lines,
        submitted_total=submitted,
        modelled_total=total - submitted,
        total=total,
        assumptions=assumptions,
        settlement=settlement,
    )
