"""What a recount petitioner pays, with the arithmetic shown.

Fee shapes found in state law: an amount per ward, precinct or district (Michigan, Pennsylvania,
DC), per ballot (Washington), flat by office and margin band (New Hampshire), a base plus an
amount per extra precinct (Indiana), the estimated actual cost paid up front and trued up later
(Wisconsin, Colorado, Nevada), or a bond set by an official or court.
"""

from __future__ import annotations

from dataclasses import dataclass

from papertally.law.margins import Standing, evaluate
from papertally.law.schema import Fee, FeeBand, OfficeType, covers_office


@dataclass(frozen=True)
class FeeQuote:
    """The fee for one petition: the amount where the law fixes it, and how it was worked out."""

    kind: str
    amount: float | None
    """Dollars, or ``None`` where the amount is an estimate of actual cost or is set by someone."""
    arithmetic: str
    trued_up: bool
    text: str


def _band(bands: list[FeeBand], s: Standing) -> tuple[FeeBand | None, str]:
    for band in bands:
        if band.when is None:
            return band, f"band '{band.when_text}'"
        verdict = evaluate(band.when, s)
        if verdict.passed:
            return band, f"band '{band.when_text}' ({verdict.why})"
    return None, "no band applies"


def quote_fee(
    fee: Fee,
    s: Standing,
    office: OfficeType,
    units: int,
    ballots: int | None,
    method: str = "machine",
) -> FeeQuote:
    """Return the fee for a petition, using the results' number of units and ballots.

    ``units`` is the number of wards or precincts in the results (a full recount of them);
    ``ballots`` the ballots cast (the office total stands in where unknown).
    """

    def quote(amount: float | None, arithmetic: str) -> FeeQuote:
        if amount is not None:
            if fee.minimum is not None and amount < fee.minimum:
                arithmetic += f"; raised to the minimum ${fee.minimum:,.2f}"
                amount = fee.minimum
            if fee.maximum is not None and amount > fee.maximum:
                arithmetic += f"; capped at ${fee.maximum:,.2f}"
                amount = fee.maximum
        return FeeQuote(fee.kind, amount, arithmetic, fee.trued_up, fee.text)

    if fee.kind == "none":
        return quote(0.0, "no fee: the public pays")
    if fee.kind == "per_ballot":
        rate = fee.per_ballot_rates.get(method)
        if rate is None:
            methods = ", ".join(fee.per_ballot_rates)
            return quote(None, f"no per-ballot rate for method {method!r} (rates: {methods})")
        count = ballots if ballots is not None else s.office_total
        what = "ballots" if ballots is not None else "votes for the office (ballots unknown)"
        return quote(rate * count, f"${rate:.2f} x {count:,} {what} ({method} recount)")
    bands = fee.bands
    for name, office_bands in fee.by_office.items():
        if covers_office([name], office):
            bands = office_bands
            break
    if fee.kind == "unspecified" and not bands and fee.set_by is None:
        return quote(None, f"amount not established in the sources read: {fee.text}")
    if fee.kind in {"bond", "unspecified", "estimated_cost"} and not bands:
        how = fee.set_by or "the officials' estimate of the actual cost"
        return quote(None, f"amount set by {how}")
    band, which = _band(bands, s)
    if band is None:
        return quote(None, f"no fee band covers this contest ({which})")
    if band.estimated_cost:
        return quote(
            None, f"{which}: the estimated actual cost, set by {fee.set_by or 'officials'}"
        )
    if band.amount is None:
        return quote(None, f"{which}: amount not captured in the sources")
    if band.per == "flat":
        return quote(fee.base_amount + band.amount, f"{which}: flat ${band.amount:,.2f}")
    if band.per == "ballot":
        count = ballots if ballots is not None else s.office_total
        return quote(band.amount * count, f"{which}: ${band.amount:,.2f} x {count:,} ballots")
    if band.per == "extra_precinct":
        extra = max(0, units - fee.included_units)
        total = fee.base_amount + band.amount * extra
        return quote(
            total,
            f"{which}: ${fee.base_amount:,.2f} + ${band.amount:,.2f} x {extra:,} precincts beyond "
            f"the first {fee.included_units} (of {units:,} in the results) = ${total:,.2f}",
        )
    if units <= 0:
        return quote(
            None,
            f"{which}: ${band.amount:,.2f} per {band.per}, but the results "
            f"have no {band.per} count",
        )
    total = fee.base_amount + band.amount * units
    return quote(
        total,
        f"{which}: ${band.amount:,.2f} x {units:,} {band.per}s in the results = ${total:,.2f}",
    )
