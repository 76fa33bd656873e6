"""The demo's WEC side-by-side writer, read back by the real WEC importer."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertally.demo import generate_statewide_election, write_wec_report
from papertally.errors import PapertallyError
from papertally.io import detect_format, read_results_file
from papertally.reconcile import reconcile_election


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_the_wec_importer_reads_back_every_vote(tmp_path: Path, suffix: str) -> None:
    election = generate_statewide_election(9, counties=5, units=60)
    path = write_wec_report(election, tmp_path / f"2031-04-01_state.{suffix}")
    assert detect_format(path) == "wec-ward-report"
    result = read_results_file(path)
    assert result.warnings == []  # county and office totals rows agree with the wards
    back = result.election
    assert back.name == election.name
    assert back.date == election.date
    assert [u.id for u in back.units.values()] == list(election.units)
    assert [u.county for u in back.units.values()] == [u.county for u in election.units.values()]
    assert [(c.name, c.totals()) for c in back.counts] == [
        (c.name, c.totals()) for c in election.counts
    ]
    for original, read in zip(election.counts, back.counts, strict=True):
        assert {u: t.votes for u, t in read.units.items()} == {
            u: t.votes for u, t in original.units.items()
        }
    assert reconcile_election(back).changed_units != ()


def test_missing_unit_and_unknown_suffix_are_refused(tmp_path: Path) -> None:
    election = generate_statewide_election(9, counties=2, units=4)
    with pytest.raises(PapertallyError, match=r"\.xlsx or \.csv"):
        write_wec_report(election, tmp_path / "state.ods")
    election.counts[1].units.popitem()
    with pytest.raises(PapertallyError, match="missing from the 'recount' count"):
        write_wec_report(election, tmp_path / "state.csv")
    assert not list(tmp_path.iterdir())
