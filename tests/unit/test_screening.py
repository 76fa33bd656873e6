"""Screening (issue 14): the regression engine against statsmodels, planted effects, the
permutation test's false-positive rate, the ladder, outliers, absentee checks, unit matching and
the covariate readers' errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.screening_files import write_state

from papertally.errors import InputFileError, PapertallyError
from papertally.io.covariate_files import read_covariate_csv, read_el190, read_equipment
from papertally.model import Election, ReportingUnit
from papertally.model.results import Choice, Contest, ContestCount, UnitTally
from papertally.screening.analysis import (
    absentee_check,
    ladder,
    outliers,
    screen,
)
from papertally.screening.regression import coefficient_table, estimate
from papertally.screening.synthetic import synthetic_state
from papertally.screening.units import (
    CovariateTable,
    match_units,
    municipal_votes,
    normalise_county,
    normalise_name,
    unit_key,
)
from papertally.workflows.screening import GroupRule

SIZE_AND_BASELINE = ("baseline_share", "log_size")


@pytest.mark.parametrize("county_effects", [False, True])
@pytest.mark.parametrize("cluster", ["county", "unit"])
def test_engine_matches_statsmodels(county_effects: bool, cluster: str) -> None:
    """The FWL engine's coefficient, CR1 error and t(G-1) interval equal statsmodels' WLS."""
    frame = synthetic_state(600, counties=20, seed=11)
    ours = estimate(
        frame, SIZE_AND_BASELINE, county_effects=county_effects, cluster=cluster,  # type: ignore[arg-type]
        permutations=0,
    )  # fmt: skip
    theirs = coefficient_table(
        frame, SIZE_AND_BASELINE, county_effects=county_effects, cluster=cluster,  # type: ignore[arg-type]
        absorb=False,
    )[0]  # fmt: skip
    absorbed = coefficient_table(
        frame, SIZE_AND_BASELINE, county_effects=county_effects, cluster=cluster,  # type: ignore[arg-type]
    )[0]  # fmt: skip
    assert absorbed["coefficient"] == pytest.approx(ours.coefficient, rel=1e-9)
    assert absorbed["se"] == pytest.approx(ours.se, rel=0.05)
    assert ours.coefficient == pytest.approx(theirs["coefficient"], rel=1e-9)
    assert ours.se == pytest.approx(theirs["se"], rel=1e-9)
    assert ours.ci_low == pytest.approx(theirs["ci_low"], rel=1e-7)
    assert ours.p_value == pytest.approx(theirs["p_value"], rel=1e-6, abs=1e-12)


def test_naive_estimate_is_the_weighted_difference_in_mean_swing() -> None:
    frame = synthetic_state(500, seed=2)
    group = frame.group > 0
    expected = np.average(frame.swing[group], weights=frame.weight[group]) - np.average(
        frame.swing[~group], weights=frame.weight[~group]
    )
    assert estimate(frame, permutations=0).coefficient == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_effect_found_with_right_sign_and_covered(seed: int) -> None:
    """Two points planted in the 10% of units using one technology: found, CI covers 0.02."""
    frame = synthetic_state(3_000, effect=0.02, group_share=0.10, seed=seed)
    for county_effects in (False, True):
        e = estimate(frame, SIZE_AND_BASELINE, county_effects=county_effects, permutations=199)
        assert e.coefficient > 0
        assert e.ci_low <= 0.02 <= e.ci_high
        assert e.permutation_p is not None and e.permutation_p <= 0.01
    naive = estimate(frame, permutations=0)
    assert naive.ci_low > 0.02, "the synthetic state confounds technology with size"


def test_planted_negative_effect_has_negative_sign() -> None:
    frame = synthetic_state(3_000, effect=-0.02, group_share=0.10, seed=4)
    e = estimate(frame, SIZE_AND_BASELINE, county_effects=True, permutations=99)
    assert e.ci_high < 0 and e.ci_low <= -0.02 <= e.ci_high


NULL_SCENARIOS = {
    "72 equal counties, county effects": ({}, True),
    "skewed sizes, unequal heteroskedastic counties": (
        {"size_sd": 2.0, "county_skew": 1.0, "shock_spread": 1.0},
        False,
    ),
    "technology in 8 large counties": (
        {"tech_counties": 8, "county_skew": 1.0, "shock_spread": 1.0},
        False,
    ),
    "technology in 3 large counties": (
        {"tech_counties": 3, "mix": 0.02, "county_skew": 1.0, "shock_spread": 1.0},
        False,
    ),
}
"""Least-favourable nulls (see :mod:`papertally.screening.synthetic`); the last one made the
sign-flip test alone reject 34 of 400 states (8.5%), which the few-counties rule stops."""


def test_permutation_false_positive_rate_at_most_five_percent() -> None:
    """No planted effect: 75 states of 500 units in each of four least-favourable scenarios.

    The test rejects when :attr:`Estimate.permutation_rejects` (p <= 0.05 and enough counties
    carry the comparison). A one-sided binomial test of "rate <= 5%": fail if the rejections
    exceed the 95% quantile of Binomial(300, 0.05), 21. Its own errors: a test whose rate is
    exactly 5% fails it with chance 4.9%; one at 7% passes it with chance 56%, at 8% 30%, at 10%
    5% (so it catches a clearly lax test, not a slightly lax one: ``bench/bench_screening.py``
    measures each scenario over more states).
    """
    from scipy import stats

    states = 75
    bound = int(stats.binom.ppf(0.95, states * len(NULL_SCENARIOS), 0.05))
    assert bound == 21 and stats.binom.sf(bound, 300, 0.05) <= 0.05
    rejections = 0
    for i, (options, county_effects) in enumerate(NULL_SCENARIOS.values()):
        for seed in range(states):
            frame = synthetic_state(500, seed=1_000 + 100 * i + seed, **options)  # type: ignore[arg-type]
            e = estimate(frame, SIZE_AND_BASELINE, county_effects=county_effects, permutations=99)
            rejections += e.permutation_rejects
    assert rejections <= bound


def test_few_treated_counties_cannot_reject() -> None:
    """The technology in 3 of 72 counties, 3 points planted: the sign-flip p-value alone is small
    (the defect: 8.5% false positives with no effect), but 3 counties cannot carry a 5% test."""
    frame = synthetic_state(
        800, effect=0.03, tech_counties=3, mix=0.01, county_skew=1.0, shock_spread=1.0, seed=5
    )
    e = estimate(frame, SIZE_AND_BASELINE, permutations=199)
    assert e.identifying_clusters <= 3
    assert e.permutation_note is not None and "cannot decide" in e.permutation_note
    assert not e.permutation_rejects
    assert e.to_dict()["permutation_rejects"] is False
    result = screen(frame, permutations=49)
    assert "cannot decide" in result.verdict


def test_webb_weights_below_twelve_counties_and_many_counties_decide() -> None:
    few = estimate(synthetic_state(600, counties=8, seed=3), SIZE_AND_BASELINE, permutations=99)
    assert few.weights == "Webb"
    planted = synthetic_state(3_000, effect=0.02, seed=1)
    e = estimate(planted, SIZE_AND_BASELINE, county_effects=True, permutations=199)
    assert e.weights == "Rademacher" and e.identifying_clusters >= 6
    assert e.permutation_note is None and e.permutation_rejects


def test_two_counties_never_reject() -> None:
    """With two counties a sign-flip test has two distinct |t| values: it cannot decide at 5%,
    however large the planted effect."""
    frame = synthetic_state(200, counties=2, effect=0.05, seed=8)
    e = estimate(frame, SIZE_AND_BASELINE, permutations=400)
    assert e.identifying_clusters <= 2 and not e.permutation_rejects
    assert e.permutation_note is not None


def test_ladder_shows_size_removes_the_confounded_difference() -> None:
    frame = synthetic_state(2_000, seed=3)
    result = screen(frame, permutations=99)
    assert result.naive.significant and result.naive.coefficient > 0.01
    assert not result.adjusted.significant
    assert result.removed_by == "log size (votes)"
    assert result.strongest_single_control == "log size (votes)"
    assert "does not survive" in result.verdict
    assert "Of the controls alone, log size (votes) shrinks it most" in result.verdict
    labels = [e.label for e in result.ladder]
    assert labels[0] == "no controls" and labels[-1] == "+ county fixed effects"
    assert result.adjusted.permutation_p is not None
    assert all(c in " ".join(result.caveats) for c in ("not proof", "recount", "audit"))


def test_ladder_reports_a_surviving_effect() -> None:
    frame = synthetic_state(2_000, effect=0.03, group_share=0.2, seed=3)
    steps = ladder(frame, permutations=0)
    assert all(e.significant and e.coefficient > 0 for e in steps)
    result = screen(frame, permutations=49)
    assert result.removed_by is None and "survives every step" in result.verdict


def test_outliers_are_found_and_ranked_by_votes_at_stake() -> None:
    frame = synthetic_state(1_500, seed=6)
    big = int(np.argmax(frame.votes_now))
    small = int(np.argsort(frame.votes_now)[len(frame) // 2])
    frame.swing[big] += 0.15
    frame.swing[small] -= 0.4
    found = outliers(frame, SIZE_AND_BASELINE, county_effects=True)
    keys = [o.key for o in found]
    assert frame.keys[big] in keys and frame.keys[small] in keys
    stakes = [o.votes_at_stake for o in found]
    assert stakes == sorted(stakes, reverse=True)
    assert found[0].key == frame.keys[big]
    assert len(found) < 40, "clean units are rarely flagged at FDR 5%"


def test_absentee_check_flags_impossible_rows() -> None:
    frame = synthetic_state(300, seed=7)
    n = len(frame)
    frame.extra["absentee_issued"] = np.full(n, 100.0)
    frame.extra["absentee_returned"] = np.full(n, 90.0)
    frame.extra["absentee_counted"] = np.full(n, 88.0)
    frame.extra["absentee_returned"][5] = 120.0
    frame.extra["absentee_counted"][9] = 95.0
    check = absentee_check(frame)
    assert check is not None
    assert check.returned_over_issued == [frame.keys[5]]
    assert check.counted_over_returned == [frame.keys[9]]
    assert check.association is not None and check.association.units == n


def test_names_fold_the_ways_wisconsin_files_write_them() -> None:
    assert normalise_name("TOWN OF ADAMS - 01002") == "TOWN OF ADAMS"
    assert normalise_name("CITY OF ASHLAND - MAIN - 02201") == "CITY OF ASHLAND"
    assert normalise_name("Village of  De Soto -") == "VILLAGE OF DE SOTO"
    assert normalise_county("DOUGLAS COUNTY - 16 AS OF 8/2018") == "DOUGLAS"
    assert normalise_county("St. Croix County") == "ST CROIX"
    assert unit_key("ADAMS COUNTY - 01", "TOWN OF ADAMS - 01002") == "ADAMS|TOWN OF ADAMS"


def _election(name: str, wards: dict[str, tuple[int, int]]) -> Election:
    election = Election(name)
    contest = Contest("PRESIDENT", choices=[Choice("R", "REP"), Choice("D", "DEM")])
    election.contests[contest.name] = contest
    count = ContestCount(contest.name, "original canvass")
    for ward, (r, d) in wards.items():
        unit = election.add_unit(ReportingUnit.of("ADAMS", ward, ward.split(" Ward")[0]))
        count.units[unit.id] = UnitTally({"R": r, "D": d})
    election.counts.append(count)
    return election


def test_wards_sum_to_municipalities_and_changes_are_listed_not_guessed() -> None:
    now = _election(
        "now",
        {"TOWN OF A Ward 1": (10, 5), "TOWN OF A Ward 2": (3, 2), "VILLAGE OF B Ward 1": (7, 7)},
    )
    before = _election("before", {"TOWN OF A Wards 1-2": (9, 9), "TOWN OF B Ward 1": (4, 4)})
    a, b = municipal_votes(now, None, None), municipal_votes(before, None, None)
    assert a.units["ADAMS|TOWN OF A"].focus == 13 and a.units["ADAMS|TOWN OF A"].total == 20
    assert a.units["ADAMS|TOWN OF A"].wards == 2
    matching = match_units(a.units, b.units)
    assert matching.matched == ["ADAMS|TOWN OF A"]
    assert matching.only_now == ["ADAMS|VILLAGE OF B"]
    assert matching.only_baseline == ["ADAMS|TOWN OF B"]


def test_focus_choice_must_be_unique() -> None:
    election = _election("now", {"TOWN OF A Ward 1": (1, 1)})
    with pytest.raises(PapertallyError, match="party 'LIB' matches 0 choices"):
        municipal_votes(election, None, None, party="LIB")


def test_main_entry_of_a_municipality_spanning_counties_serves_its_other_parts() -> None:
    table = CovariateTable("equipment.csv")
    table.set_label("OUTAGAMIE|CITY OF APPLETON", "accessible", "Edge")
    table.set_label("OUTAGAMIE|CITY OF APPLETON", "spans_counties", "yes")
    table.set_label("OUTAGAMIE|TOWN OF X", "accessible", "Automark")
    filled = table.spread_municipal_labels(["CALUMET|CITY OF APPLETON", "CALUMET|TOWN OF X"])
    assert filled == ["CALUMET|CITY OF APPLETON"]
    assert table.labels["CALUMET|CITY OF APPLETON"]["accessible"] == "Edge"


def test_readers_on_synthetic_files(tmp_path: Path) -> None:
    paths = write_state(tmp_path, 30)
    el190 = read_el190(paths["el190"])
    equipment = read_equipment(paths["equipment"])
    assert len(el190.keys) == 30 and el190.keys == equipment.keys
    key = sorted(el190.keys)[0]
    assert el190.numbers[key]["total_ballots"] > el190.numbers[key]["absentee_counted"]
    assert equipment.labels[key]["hindi"].isdigit()


def test_el190_bad_cell_names_file_row_and_column(tmp_path: Path) -> None:
    paths = write_state(tmp_path, 10)
    lines = paths["el190"].read_text().splitlines()
    cells = lines[3].split(",")
    cells[6] = "many"
    lines[3] = ",".join(cells)
    paths["el190"].write_text("\n".join(lines) + "\n")
    with pytest.raises(InputFileError) as caught:
        read_el190(paths["el190"])
    assert caught.value.location.row == 4
    assert caught.value.location.column == "Total Ballots"
    assert "el190.csv" in str(caught.value) and "'many'" in str(caught.value)


def test_equipment_listed_twice_is_refused(tmp_path: Path) -> None:
    paths = write_state(tmp_path, 10)
    lines = paths["equipment"].read_text().splitlines()
    paths["equipment"].write_text("\n".join([*lines, lines[2]]) + "\n")
    with pytest.raises(InputFileError, match=r"row 12, column 'Municipality': .* listed twice"):
        read_equipment(paths["equipment"])


def test_generic_covariates(tmp_path: Path) -> None:
    good = tmp_path / "income.csv"
    good.write_text('unit id,median income\nADAMS|TOWN OF A,51000\nADAMS|CITY OF B,"62,000"\n')
    table = read_covariate_csv(good)
    assert table.numbers["ADAMS|CITY OF B"]["median income"] == 62_000
    blank = tmp_path / "blank.csv"
    blank.write_text("county,name,income\nADAMS,TOWN OF A,\n")
    with pytest.raises(InputFileError, match=r"blank.csv, row 2, column 'income': .*empty cell"):
        read_covariate_csv(blank)
    bad_id = tmp_path / "bad.csv"
    bad_id.write_text("unit id,income\nTOWN OF A,5\n")
    with pytest.raises(InputFileError, match="COUNTY\\|MUNICIPALITY"):
        read_covariate_csv(bad_id)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("accessible~Edge", GroupRule("accessible", contains="Edge")),
        ("dre_share>0.5", GroupRule("dre_share", above=0.5)),
    ],
)
def test_group_rules_parse(text: str, rule: GroupRule) -> None:
    assert GroupRule.parse(text) == rule


@pytest.mark.parametrize("text", ["accessible", "dre_share>lots", "~Edge"])
def test_bad_group_rules_are_refused(text: str) -> None:
    with pytest.raises(PapertallyError, match="--group"):
        GroupRule.parse(text)


def test_decision_desk_for_a_close_wisconsin_style_contest() -> None:
    from datetime import date

    from papertally.law import ContestResults
    from papertally.screening.desk import decide

    results = ContestResults("PRESIDENT", {"Red": 1_405_284, "Blue": 1_382_536, "Other": 188_330})
    d = decide(
        results, state="WI", election_date=date(2016, 11, 8), office="president",
        targeted_units=3, targeted_ballots=10_000, targeted_votes_at_stake=500,
    )  # fmt: skip
    assert d.law is not None and d.law["tier"] == "paid_on_request"
    assert d.recount["days"] == 11 and d.recount["cost"] > 0
    assert not d.targeted["covers_margin"] and d.targeted["cost"] == pytest.approx(
        10_000 * d.recount["cost"] / d.ballots
    )
    sizes = {(a.kind, a.risk_limit): a for a in d.audits}
    clca5, clca1 = (
        sizes[("ballot comparison (CLCA)", 0.05)],
        sizes[("ballot comparison (CLCA)", 0.01)],
    )
    assert 0 < clca5.first_round < clca1.first_round < 10_000
    assert clca5.cost_first_round == clca5.first_round * 5.0
    assert 0 < clca5.escalation_chance < 0.2
    polling = sizes[("ballot polling (BRAVO)", 0.05)]
    assert polling.escalation_chance == 0.1 and "at most one audit in ten" in polling.note


def test_decision_desk_simulates_the_polling_audits_second_round() -> None:
    """With ``polling_trials`` the chance of a second round when the result is right is
    simulated: at most about the 10% the first round is sized for."""
    from papertally.law import ContestResults
    from papertally.screening.desk import decide

    results = ContestResults("X", {"A": 5_600, "B": 4_400})
    d = decide(results, state=None, election_date=None, office=None, polling_trials=400)
    polling = [a for a in d.audits if a.kind == "ballot polling (BRAVO)"]
    assert len(polling) == 2
    for audit in polling:
        assert 0 <= audit.escalation_chance <= 0.1 + 2 * (0.09 / 400) ** 0.5
        assert "of 400 simulated audits" in audit.note


def test_decision_desk_for_a_tie_plans_no_audit_and_says_why() -> None:
    from papertally.law import ContestResults
    from papertally.screening.desk import decide

    d = decide(
        ContestResults("X", {"A": 500, "B": 500}), state=None, election_date=None, office=None
    )
    assert d.audits == []
    assert any("No risk-limiting audit can be planned" in n for n in d.notes)
    assert d.law is None and "not consulted" in (d.law_error or "")


def test_el190_workbook_error_names_the_sheet(tmp_path: Path) -> None:
    import openpyxl

    from papertally.io.covariate_files import EL190_COLUMNS

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "EL-190"
    sheet.append(["WEC EL-190"])
    sheet.append(["HINDI", "County", "Municipality", "Reporting Unit", *EL190_COLUMNS.values()])
    sheet.append([1002, "ADAMS COUNTY", "TOWN OF ADAMS", "Ward 1", *([5] * len(EL190_COLUMNS))])
    sheet.append([1002, "ADAMS COUNTY", "TOWN OF ADAMS", "Ward 2", *([3] * len(EL190_COLUMNS))])
    sheet.append([1004, "ADAMS COUNTY", "", "Ward 1", *([1] * len(EL190_COLUMNS))])
    path = tmp_path / "el190.xlsx"
    book.save(path)
    with pytest.raises(
        InputFileError, match=r"el190.xlsx, sheet 'EL-190', row 5, column 'Municipality'"
    ):
        read_el190(path)
    sheet.delete_rows(5)
    book.save(path)
    table = read_el190(path)
    assert table.numbers["ADAMS|TOWN OF ADAMS"]["total_ballots"] == 8
    assert table.labels["ADAMS|TOWN OF ADAMS"]["hindi"] == "01002"


def test_group_by_whole_counties_screens_without_county_effects() -> None:
    """Equipment bought county by county (no county mixes): the county-effects model does not
    exist, so the ladder stops before it and says so, instead of the screening failing."""
    frame = synthetic_state(
        800, tech_counties=10, mix=0.0, county_skew=1.0, shock_spread=1.0, seed=9
    )
    result = screen(frame, permutations=49)
    assert [e.county_effects for e in result.ladder + result.alone] == [False] * (
        len(result.ladder) + len(result.alone)
    )
    assert result.ladder[-1].label == "+ absentee share"
    assert "fixed effects cannot be estimated" in result.verdict
    assert result.coefficients[0]["term"] == "technology X"
