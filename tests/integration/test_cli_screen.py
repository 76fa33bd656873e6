"""``papertally screen`` (issue 14): the Wisconsin 2016 acceptance figures on the real data,
the HTML report and JSON on synthetic files, and user errors as one line with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.screening_files import write_state
from typer.testing import CliRunner

from papertally.cli.main import app

runner = CliRunner()


def _wisconsin(shared_data: Path) -> list[str]:
    wi = shared_data / "wi"
    files = [
        wi / "2016-11-08_president_recount-canvass_ward.csv",
        wi / "screening" / "2012-11-06_president_ward.csv",
        wi / "screening" / "2016-11-08_el-190_election-statistics_municipality.xlsx",
        wi / "screening" / "voting-equipment-by-municipality_2018-08.csv",
    ]
    for path in files:
        if not path.is_file():
            pytest.skip(f"{path} is absent")
    return [str(files[0]), str(files[1]), "--el190", str(files[2]), "--equipment", str(files[3])]


def test_wisconsin_2016_edge_vs_other(shared_data: Path) -> None:
    """Naive Edge-vs-other difference in Trump swing and its size-and-baseline adjusted value,
    each with a CI and permutation p; the report says which control removes the difference."""
    args = _wisconsin(shared_data)
    result = runner.invoke(
        app, ["screen", *args, "--office", "president", "--permutations", "199", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    s = data["screening"]
    counts = data["matching"]["counts"]
    assert counts["matched"] > 1_850 and counts["only_now"] + counts["only_baseline"] < 20
    assert s["units"] > 1_850 and 800 < s["group_units"] < 950
    naive, adjusted = s["naive"], s["adjusted"]
    assert 7 < naive["points"] < 12 and naive["ci_points"][0] > 5
    assert adjusted["controls"] == ["baseline_share", "log_size"]
    assert 2 < adjusted["points"] < 7 and adjusted["ci_points"][0] > 0
    assert naive["permutation_p"] <= 0.01 and adjusted["permutation_p"] <= 0.01
    fixed = s["ladder"][-1]
    assert fixed["county_effects"] and fixed["ci_points"][0] < 0 < fixed["ci_points"][1]
    assert s["removed_by"] == "county fixed effects"
    assert "removed by county fixed effects" in s["verdict"]
    assert s["strongest_single_control"] == "county fixed effects"
    d = data["decision"]
    assert d["margin_votes"] == 22_748 and d["law"]["tier"] == "paid_on_request"
    assert d["recount"]["days"] == 11
    sizes = {(a["kind"], a["risk_limit"]): a["first_round"] for a in d["audits"]}
    assert sizes[("ballot comparison (CLCA)", 0.01)] > sizes[("ballot comparison (CLCA)", 0.05)]


def test_html_report_and_text_output(tmp_path: Path) -> None:
    paths = write_state(tmp_path, 150)
    report = tmp_path / "screening.html"
    result = runner.invoke(
        app,
        ["screen", str(paths["now"]), str(paths["baseline"]), "--el190", str(paths["el190"]),
         "--equipment", str(paths["equipment"]), "--permutations", "99", "--html", str(report)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "no controls:" in result.output and "note: This is an association" in result.output
    html = report.read_text()
    assert html.count("<svg") >= 4
    assert "How the estimate moves as controls are added" in html
    assert "Decision desk" in html and "What this can and cannot show" in html


def test_dre_share_group_and_a_generic_control(tmp_path: Path) -> None:
    paths = write_state(tmp_path, 150)
    extra = tmp_path / "income.csv"
    rows = ["county,name,income"]
    for i, line in enumerate(paths["equipment"].read_text().splitlines()[1:]):
        county, name = line.split(",")[:2]
        rows.append(f"{county},{name},{40_000 + 100 * i}")
    extra.write_text("\n".join(rows) + "\n")
    result = runner.invoke(
        app,
        ["screen", str(paths["now"]), str(paths["baseline"]), "--el190", str(paths["el190"]),
         "--covariates", str(extra), "--control", "income", "--group", "dre_share>0.3",
         "--permutations", "0", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["screening"]["group"] == "dre_share > 0.3"
    assert data["screening"]["group_units"] > 0
    assert data["screening"]["ladder"][5]["label"] == "+ income"
    assert data["inputs"]["covariates"] == ["income.csv"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--group", "accessible"], "--group 'accessible': expected COLUMN~TEXT"),
        (["--control", "income"], "--control income: no covariate file gives it"),
        (["--party", "GRN"], "party 'GRN' matches 0 choices"),
        (["--el190", "missing.xlsx"], "missing.xlsx: no such file"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(
    tmp_path: Path, extra: list[str], message: str
) -> None:
    paths = write_state(tmp_path, 40)
    result = runner.invoke(
        app,
        ["screen", str(paths["now"]), str(paths["baseline"]), "--equipment",
         str(paths["equipment"]), "--permutations", "0", *extra],
    )  # fmt: skip
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def _openelections(generic: Path, target: Path, absentee_share: float) -> Path:
    """Rewrite a generic results CSV as OpenElections with absentee and election-day columns."""
    lines = generic.read_text().splitlines()[1:]
    out = ["county,ward,office,district,party,candidate,votes,absentee,election_day"]
    for line in lines:
        county, ward, contest, choice, party, votes = line.split(",")[:6]
        absentee = round(int(votes) * absentee_share)
        day = int(votes) - absentee
        out.append(f"{county},{ward},{contest},,{party},{choice},{votes},{absentee},{day}")
    target.write_text("\n".join(out) + "\n")
    return target


def test_absentee_share_from_openelections_vote_types(tmp_path: Path) -> None:
    """Without an EL-190 the absentee share comes from the results' vote-type columns."""
    paths = write_state(tmp_path, 60)
    now = _openelections(paths["now"], tmp_path / "20161108__wi__general__ward.csv", 0.25)
    result = runner.invoke(
        app,
        ["screen", str(now), str(paths["baseline"]), "--equipment", str(paths["equipment"]),
         "--permutations", "0", "--cluster", "municipality", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    labels = [e["label"] for e in data["screening"]["ladder"]]
    assert "+ absentee share" in labels
    assert data["inputs"]["cluster"] == "unit"
    assert data["screening"]["naive"]["clusters"] == data["screening"]["units"]
    bands = data["screening"]["distributions"]["absentee share band (%)"]
    assert [b["group"] for b in bands] == ["20% to < 30%"]


def _edge_in_three_counties(paths: dict[str, Path]) -> None:
    """Keep the Edge only in counties C00-C02, so too few counties carry any comparison."""
    lines = paths["equipment"].read_text().splitlines()
    kept = [lines[0]]
    for line in lines[1:]:
        if not line.startswith(("C00 ", "C01 ", "C02 ")):
            line = line.replace("Dominion (Sequoia)/Command Central-Edge", "ES&S Automark")
        kept.append(line)
    paths["equipment"].write_text("\n".join(kept) + "\n")


def test_polling_trials_simulate_the_second_round_chance(tmp_path: Path) -> None:
    """--polling-trials N replaces the polling audits' 10% bound by N simulated audits."""
    paths = write_state(tmp_path, 60)
    args = ["screen", str(paths["now"]), str(paths["baseline"]), "--equipment",
            str(paths["equipment"]), "--permutations", "0", "--json"]  # fmt: skip
    bound = json.loads(runner.invoke(app, args).output)
    result = runner.invoke(app, [*args, "--polling-trials", "40"])
    assert result.exit_code == 0, result.output
    simulated = json.loads(result.output)
    assert bound["inputs"]["polling_trials"] == 0
    assert simulated["inputs"]["polling_trials"] == 40
    polls = [a for a in simulated["decision"]["audits"] if a["kind"].startswith("ballot polling")]
    before = [a for a in bound["decision"]["audits"] if a["kind"].startswith("ballot polling")]
    assert len(polls) == 2 and [a["escalation_chance"] for a in before] == [0.1, 0.1]
    for audit in polls:
        assert "of 40 simulated audits went on" in audit["note"]
        runs = 40 * audit["escalation_chance"]
        assert abs(runs - round(runs)) < 1e-9 and 0 <= runs <= 40
    text = runner.invoke(app, args[:-1])
    assert "at most 10.0% (--polling-trials N simulates it)" in text.output


@pytest.mark.parametrize("value", ["-1", "501", "many", "1e3"])
def test_polling_trials_out_of_range_is_one_line_and_exit_2(tmp_path: Path, value: str) -> None:
    paths = write_state(tmp_path, 20)
    result = runner.invoke(
        app,
        ["screen", str(paths["now"]), str(paths["baseline"]), "--permutations", "0",
         "--polling-trials", value],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--polling-trials" in result.output and "Traceback" not in result.output


def test_report_says_when_the_permutation_test_cannot_decide(tmp_path: Path) -> None:
    """With the group in three counties the sign-flip test cannot reach 5%: each row of the
    HTML report's ladder says so, next to its p-value."""
    paths = write_state(tmp_path, 120, effect=0.04)
    _edge_in_three_counties(paths)
    report = tmp_path / "screening.html"
    result = runner.invoke(
        app, [*result_args(paths), "--permutations", "99", "--html", str(report), "--json"]
    )
    assert result.exit_code == 0, result.output
    ladder = json.loads(result.output)["screening"]["ladder"]
    noted = [e for e in ladder if e["permutation_note"]]
    assert noted and all(not e["permutation_rejects"] for e in noted)
    html = report.read_text()
    assert html.count("<strong>cannot decide</strong>: in effect only") == len(noted)
    text = runner.invoke(app, [*result_args(paths), "--permutations", "99"]).output
    assert text.count("(the test cannot decide: too few counties)") == len(noted)
    assert "the permutation test cannot decide, whatever its p-value" in html


def result_args(paths: dict[str, Path]) -> list[str]:
    """Return ``screen NOW BASELINE --equipment LIST`` for the files of :func:`write_state`."""
    return ["screen", str(paths["now"]), str(paths["baseline"]), "--equipment",
            str(paths["equipment"])]  # fmt: skip


def test_polling_trials_add_a_progress_stage_per_risk_limit(tmp_path: Path) -> None:
    """The progress bar's stages: six, and one per risk limit when polling audits are simulated
    (the slow part), each announced before it runs."""
    from papertally.workflows.screening import ScreeningInputs, run_screening

    paths = write_state(tmp_path, 40)
    inputs = ScreeningInputs(paths["now"], paths["baseline"], equipment=paths["equipment"])
    for trials, expected in ((0, 6), (20, 8)):
        said: list[str] = []
        run_screening(inputs, permutations=0, polling_trials=trials, step=said.append)
        assert len(said) == expected
    assert said[-2:] == ["simulating 20 polling audits at 5% risk",
                         "simulating 20 polling audits at 1% risk"]  # fmt: skip
