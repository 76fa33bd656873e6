"""Property: any election the model can hold comes back from the store equal, on both backends."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from papertally.errors import FileLocation
from papertally.model import (
    Choice,
    Contest,
    ContestCount,
    CountItemType,
    Election,
    ImportResult,
    ImportWarning,
    ReportingUnit,
    ReportingUnitType,
    ResultsStatus,
    UnitTally,
)
from papertally.store import Store

# Any text a file can hold must survive, except NUL (PostgreSQL text cannot hold it) and lone
# surrogates (not text at all: no UTF-8 file decodes to them).
names = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1, max_size=10
)
maybe_names = st.none() | names
locations = st.builds(
    FileLocation,
    names,
    maybe_names,
    st.none() | st.integers(1, 1_000_000),
    maybe_names,
)


@st.composite
def elections(draw: st.DrawFn) -> ImportResult:
    """Draw a small election: contests, units, counts over some units and choices, warnings."""
    election = Election(
        draw(names),
        draw(st.none() | st.dates(date(1800, 1, 1), date(2200, 12, 31))),
        draw(st.none() | st.sampled_from(["WI", "MI", "PA"])),
    )
    for unit in draw(
        st.lists(
            st.builds(
                ReportingUnit.of,
                st.sampled_from(["Adams", "Dane", "Milwaukee", "Ashland"]),
                names,
                maybe_names,
                st.sampled_from(ReportingUnitType),
            ),
            max_size=6,
        )
    ):
        election.add_unit(unit)
    for contest_name in draw(st.lists(names, max_size=3, unique=True)):
        choices = draw(st.lists(names, min_size=1, max_size=4, unique=True))
        contest = Contest(
            contest_name,
            draw(maybe_names),
            draw(maybe_names),
            draw(st.integers(1, 3)),
            [Choice(c, draw(maybe_names), draw(st.booleans())) for c in choices],
        )
        election.contests[contest_name] = contest
        for count_name in draw(st.lists(names, max_size=2, unique=True)):
            count = ContestCount(
                contest_name,
                count_name,
                draw(st.sampled_from(ResultsStatus)),
                draw(st.sampled_from(CountItemType)),
            )
            for uid in draw(st.lists(st.sampled_from(list(election.units) or [""]), unique=True)):
                if uid not in election.units:
                    continue
                for choice in draw(st.lists(st.sampled_from(choices), unique=True)):
                    count.set_votes(uid, choice, draw(st.integers(0, 2**31 - 1)))
                tally = count.units.setdefault(uid, UnitTally())
                tally.ballots_cast = draw(st.none() | st.integers(0, 10**6))
                tally.source = draw(st.none() | locations)
            election.counts.append(count)
    files = draw(st.lists(names, max_size=2, unique=True))
    warnings = draw(st.lists(st.builds(ImportWarning, locations, names), max_size=3))
    formats = draw(st.lists(names, min_size=len(files), max_size=len(files)))
    return ImportResult(election, files, formats, warnings)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(result=elections())
def test_what_is_saved_loads_back_equal(db_url: str, result: ImportResult) -> None:
    with Store(db_url) as store:
        store.migrate()
        election_id = store.save_import(result)
        assert store.load_election(election_id) == result.election
        assert store.import_warnings(election_id) == result.warnings
        summary = next(s for s in store.list_elections() if s.id == election_id)
        assert (summary.contests, summary.units, summary.counts) == (
            len(result.election.contests),
            len(result.election.units),
            len(result.election.counts),
        )
