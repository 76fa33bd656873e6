"""The synthetic statewide election: reproducible, realistic in shape, with a small recount."""

from __future__ import annotations

import statistics

import pytest

from papertally.demo import CANDIDATES, CONTEST, generate_statewide_election
from papertally.errors import PapertallyError
from papertally.model import SCATTERING
from papertally.reconcile import reconcile_election


def test_same_seed_same_election_other_seed_other_election() -> None:
    first = generate_statewide_election(7, counties=10, units=300)
    again = generate_statewide_election(7, counties=10, units=300)
    other = generate_statewide_election(8, counties=10, units=300)
    assert list(first.units) == list(again.units)
    assert [c.units for c in first.counts] == [c.units for c in again.counts]
    assert [c.totals() for c in first.counts] != [c.totals() for c in other.counts]


def test_shape_looks_like_a_statewide_recount() -> None:
    election = generate_statewide_election(2011)
    assert len(election.units) == 3600
    assert len(election.counties()) == 72
    assert election.contest(CONTEST).choice_names() == [*CANDIDATES, SCATTERING]
    canvass = election.count(CONTEST, "original canvass")
    sizes = [t.total_votes for t in canvass.units.values()]
    assert min(sizes) >= 10 and max(sizes) <= 4200
    assert 150 <= statistics.median(sizes) <= 600
    per_county = sorted(
        sum(1 for u in election.units.values() if u.county == c) for c in election.counties()
    )
    assert per_county[-1] > 8 * per_county[len(per_county) // 2]  # skewed county sizes
    rec = reconcile_election(election)
    assert rec.before.winner == CANDIDATES[0]
    assert rec.before.margin < 0.02 * rec.before.total_votes  # a close race
    assert not rec.outcome_changed
    changed = rec.changed_units
    assert 0.15 * len(rec.units) < len(changed) < 0.6 * len(rec.units)
    small = [u for u in changed if u.votes_changed <= 5]
    assert len(small) > 0.9 * len(changed)
    assert 2 <= len(rec.flagged_units) <= 40
    tallies = [t for count in election.counts for t in count.units.values()]
    assert all(t.ballots_cast is not None and t.ballots_cast >= t.total_votes for t in tallies)


def test_impossible_shapes_are_refused() -> None:
    with pytest.raises(PapertallyError, match="unit per county"):
        generate_statewide_election(1, counties=10, units=5)
