"""Properties of reconciliation that must hold for any pair of counts (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from papertally.model import SCATTERING, Choice, Contest, ContestCount, ReportingUnit
from papertally.reconcile import reconcile_counts

CHOICES = ["A", "B", "C", SCATTERING]
COUNTIES = ["Adams", "Brown", "Dane"]

unit_votes = st.fixed_dictionaries({c: st.integers(0, 500) for c in CHOICES})
unit_keys = st.tuples(st.sampled_from(COUNTIES), st.integers(1, 30)).map(
    lambda k: f"{k[0]}|Ward {k[1]}"
)
count_units = st.dictionaries(unit_keys, unit_votes, max_size=25)


def build(name: str, units: dict[str, dict[str, int]]) -> ContestCount:
    """Return a count called ``name`` of the contest ``C`` with the given unit votes."""
    count = ContestCount("C", name)
    for uid, votes in units.items():
        for choice, n in votes.items():
            count.set_votes(uid, choice, n)
    return count


def units_of(*counts: dict[str, dict[str, int]]) -> dict[str, ReportingUnit]:
    """Return the reporting units named by the keys of ``counts``."""
    ids = {uid for count in counts for uid in count}
    return {uid: ReportingUnit.of(*uid.split("|")) for uid in ids}


@settings(max_examples=150, deadline=None)
@given(count_units, st.integers(1, 3))
def test_a_count_against_itself_changes_nothing(
    units: dict[str, dict[str, int]], votes_allowed: int
) -> None:
    contest = Contest("C", votes_allowed=votes_allowed, choices=[Choice(c) for c in CHOICES])
    rec = reconcile_counts(build("a", units), build("b", units), units_of(units), contest=contest)
    assert rec.changed_units == ()
    assert rec.flagged_units == ()
    assert rec.only_in_before == rec.only_in_after == ()
    assert set(rec.net_change.values()) <= {0}
    assert rec.before == rec.after
    assert not rec.outcome_changed
    assert rec.margin_change == 0
    assert all(c.margin_change == 0 and not any(c.net_change.values()) for c in rec.counties)


@settings(max_examples=150, deadline=None)
@given(count_units, count_units, st.integers(1, 2))
def test_net_change_is_the_difference_of_totals_and_margins_agree(
    old: dict[str, dict[str, int]], new: dict[str, dict[str, int]], votes_allowed: int
) -> None:
    contest = Contest("C", votes_allowed=votes_allowed, choices=[Choice(c) for c in CHOICES])
    before, after = build("a", old), build("b", new)
    rec = reconcile_counts(before, after, units_of(old, new), contest=contest)
    old_totals, new_totals = before.totals(), after.totals()
    for choice in CHOICES:
        expected = new_totals.get(choice, 0) - old_totals.get(choice, 0)
        assert rec.net_change[choice] == expected
        assert sum(c.net_change[choice] for c in rec.counties) == expected
    assert rec.after.total_votes - rec.before.total_votes == sum(rec.net_change.values())
    assert rec.reporting_units == len(set(old) | set(new))
    # The margin of each count is the lead of its last winner over its first loser ...
    for standing in (rec.before, rec.after):
        ranked = sorted((v for c, v in standing.totals.items() if c != SCATTERING), reverse=True)
        assert standing.margin == ranked[votes_allowed - 1] - ranked[votes_allowed]
        assert standing.tied == (standing.margin == 0)
    # ... and the per-unit and per-county lead changes add up to the statewide lead change.
    assert rec.margin_pair is not None
    lead, runner_up = rec.margin_pair
    statewide = rec.net_change[lead] - rec.net_change[runner_up]
    assert rec.margin_change == statewide
    only = {u.id for u in rec.only_in_before} | {u.id for u in rec.only_in_after}
    in_only = sum(
        new.get(uid, {}).get(lead, 0)
        - new.get(uid, {}).get(runner_up, 0)
        - old.get(uid, {}).get(lead, 0)
        + old.get(uid, {}).get(runner_up, 0)
        for uid in only
    )
    assert sum(u.margin_change for u in rec.units) + in_only == statewide
    # Where the recount keeps the same winner and runner-up, the margin moves by that change.
    after_ranked = sorted(
        (c for c in CHOICES if c != SCATTERING), key=lambda c: -rec.after.totals[c]
    )
    same_pair = after_ranked[:2] == [lead, runner_up]
    if votes_allowed == 1 and same_pair and not (rec.before.tied or rec.after.tied):
        assert rec.after.margin - rec.before.margin == statewide
