"""``papertally law`` end to end through the real CLI, on generic-CSV results files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papertally.cli.main import app
from papertally.law import STATE_NAMES

runner = CliRunner()

HEADER = "county,municipality,reporting_unit,contest,count,choice,party,votes,ballots_cast\n"
WI_2016 = {
    "Trump": 1_404_440,
    "Clinton": 1_381_823,
    "Johnson": 106_674,
    "Stein": 31_072,
    "Castle": 12_162,
    "Moorehead": 1_770,
    "De La Fuente": 1_502,
    "Scattering": 36_310,
}


def _results(path: Path, totals: dict[str, int], contest: str = "President") -> Path:
    """Write ``totals`` split over two wards in two counties."""
    lines = [HEADER]
    for choice, votes in totals.items():
        first = votes // 3
        lines.append(f"Dane,City of Madison,Ward 1,{contest},original canvass,{choice},,{first},\n")
        lines.append(
            f"Milwaukee,City of Milwaukee,Ward 2,{contest},original canvass,{choice},,"
            f"{votes - first},\n"
        )
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _law(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["law", *args])
    return result.exit_code, result.output


@pytest.fixture
def wi_2016(tmp_path: Path) -> Path:
    return _results(tmp_path / "wi2016.csv", WI_2016)


def test_check_wisconsin_2016_json(wi_2016: Path) -> None:
    code, out = _law("check", "--state", "WI", "--date", "2016-11-08", "--office", "president",
                     str(wi_2016), "--json")  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert data["tier"] == "paid_on_request"
    assert data["automatic_stages"] == []
    assert data["request"]["may_request"] is True and data["request"]["free"] is False
    assert data["request"]["fee"]["kind"] == "estimated_cost"
    dates = {d["event"]: d["date"] for d in data["deadlines"]}
    assert dates["request"] == "2016-11-25" and dates["safe_harbor"] == "2016-12-13"
    assert data["margin_votes"] == 22_617


def test_check_text_explains_why(wi_2016: Path) -> None:
    code, out = _law("check", "--state", "wisconsin", "--date", "2016-11-08", "--office",
                     "president", str(wi_2016))  # fmt: skip
    assert code == 0, out
    assert "Conclusion" in out and "PAID" in out
    assert "why:" in out and "0.7600%" in out and "Uncertain" in out


def test_check_act_120_refuses_stein(wi_2016: Path) -> None:
    code, out = _law("check", "--state", "WI", "--date", "2018-11-06", "--office", "president",
                     "--candidate", "Stein", str(wi_2016), "--json")  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert data["tier"] == "barred" and data["request"]["may_request"] is False
    assert "at most 1%" in data["request"]["why"]


def test_rules_works_for_every_state_and_dc() -> None:
    for code in STATE_NAMES:
        status, out = _law("rules", "--state", code, "--json")
        assert status == 0, (code, out)
        data = json.loads(out)
        assert data["state"] == code
        assert all(rule["sources"] for rule in data["rules"])
    status, out = _law("rules", "--state", "FL", "--date", "2000-11-07")
    assert status == 0 and "fl-2000" in out and "fl-2002" not in out


def test_rules_date_outside_every_rule_says_so() -> None:
    code, out = _law("rules", "--state", "WI", "--date", "1980-11-04")
    assert code == 2 and "does not guess" in out


def test_flip_states_assumptions(wi_2016: Path) -> None:
    code, out = _law("flip", str(wi_2016))
    assert code == 0, out
    assert "11,309 ballots" in out and "Assumptions" in out and "not a random sample" in out
    code, out = _law("flip", str(wi_2016), "--json")
    data = json.loads(out)
    assert data["votes_to_flip_net"] == 22_618 and data["assumptions"]


def test_electoral_table(tmp_path: Path) -> None:
    table = tmp_path / "ev.csv"
    table.write_text(
        "state,electoral_votes,winner,margin_votes\n"
        "WI,10,Trump,22748\nMI,16,Trump,10704\nPA,20,Trump,44292\nFL,29,Trump,112911\n"
        "Rest,231,Trump,9000000\nClinton states,232,Clinton,3000000\n",
        encoding="utf-8",
    )
    code, out = _law("electoral", str(table), "--json")
    assert code == 0, out
    assert sorted(json.loads(out)["cheapest"]["states"]) == ["MI", "PA", "WI"]
    code, out = _law("electoral", str(table))
    assert code == 0 and "Cheapest" in out


def test_electoral_bad_number_names_row_and_column(tmp_path: Path) -> None:
    table = tmp_path / "ev.csv"
    table.write_text("state,electoral_votes,winner,margin_votes\nWI,ten,Trump,5\n", "utf-8")
    code, out = _law("electoral", str(table))
    assert code == 2 and "row 2" in out and "electoral_votes" in out


def test_cost_with_results_and_settlement(tmp_path: Path, wi_2016: Path) -> None:
    costs = tmp_path / "costs.csv"
    costs.write_text(
        'county,estimate,actual\nDane,"$2,000,000",1200000\nMilwaukee,1499689,805603\n', "utf-8"
    )
    code, out = _law("cost", str(costs), "--paid", "3499689", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["total"] == 3_499_689 and data["settlement"]["refund"] == 1_494_086
    gaps = tmp_path / "gaps.csv"
    gaps.write_text("county,estimate\nDane,1000\n", "utf-8")
    code, out = _law("cost", str(gaps), "--results", str(wi_2016), "--per-unit", "50")
    assert code == 0, out
    assert "Milwaukee: $50.00" in out and "Statewide estimate $1,050.00" in out


def test_history_lists_the_reversals() -> None:
    code, out = _law("history")
    assert code == 0 and out.count("REVERSED") == 3 and "0.0546%" in out


def test_bad_input_gets_clear_messages(tmp_path: Path, wi_2016: Path) -> None:
    code, out = _law("check", "--state", "Wisconson", "--date", "2016-11-08", "--office",
                     "president", str(wi_2016))  # fmt: skip
    assert code == 2 and "did you mean 'Wisconsin'" in out
    code, out = _law("check", "--state", "WI", "--date", "2016-11-08", str(wi_2016))
    assert code == 2 and "office is missing" in out
    solo = _results(tmp_path / "solo.csv", {"Solo": 900})
    code, out = _law("check", "--state", "WI", "--date", "2016-11-08", "--office", "county",
                     str(solo))  # fmt: skip
    assert code == 2 and "no losing candidate" in out
    code, out = _law("check", "--state", "WI", "--date", "11/08/2016", "--office", "president",
                     str(wi_2016))  # fmt: skip
    assert code == 2 and "not a date" in out
    code, out = _law("flip", str(solo))
    assert code == 2 and "no losing candidate" in out


def test_wisconsin_2011_real_ward_file(shared_data: Path) -> None:
    """The 2011 Supreme Court ward report: free recount under the pre-2015 rules, and the recount
    count's margin equals the history table's final margin (7,004)."""
    ward_file = shared_data / "wi" / "2011-04-05_supreme-court_original-and-recount_ward.xls"
    code, out = _law("check", "--state", "WI", "--date", "2011-04-05", "--office", "statewide",
                     str(ward_file), "--json")  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert data["rule_id"] == "wi-pre2015" and data["tier"] == "free_on_request"
    assert data["margin_votes"] == 7_316
    code, out = _law("flip", str(ward_file), "--count", "recount", "--json")
    assert code == 0, out
    assert json.loads(out)["margin_votes"] == 7_004


def test_check_with_votes_and_no_results_file_washington_today() -> None:
    """Issue 12: `law check --votes NAME=N ... [--ballots N]`, and RCW 29A.64.021's one free hand
    recount (the engine used to add a machine recount and a $421,238.55 fee)."""
    code, out = _law("check", "--state", "WA", "--date", "2024-11-05", "--office", "governor",
                     "--votes", "A=1684000", "--votes", "B=1683200", "--ballots", "3400000",
                     "--json")  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert data["automatic_stages"] == ["manual recount (statewide)"]
    assert data["request"]["fee"] is None and data["request"]["free"] is True
    code, out = _law("check", "--state", "WA", "--date", "2024-11-05", "--office", "governor",
                     "--votes", "A=100", "--votes", "B")  # fmt: skip
    assert code == 2 and "expected NAME=N" in out
    code, out = _law("check", "--state", "WA", "--date", "2024-11-05", "--office", "governor")
    assert code == 2 and "give a results file or --votes" in out


def _county_file(path: Path, county_totals: dict[str, dict[str, int]]) -> Path:
    lines = ["county,reporting_unit,unit_type,contest,count,choice,votes\n"]
    for county, totals in county_totals.items():
        for choice, votes in totals.items():
            lines.append(f"{county},{county},county,President,original canvass,{choice},{votes}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_michigan_per_precinct_fee_on_a_county_level_file(tmp_path: Path) -> None:
    """$125 a precinct on a county-level file: the published 7,786 precincts ($973,250), not the
    file's counties; --precincts N overrides and says so."""
    mi = _county_file(tmp_path / "mi.csv", {
        "Wayne": {"Trump": 1_279_543, "Clinton": 1_268_839, "Stein": 31_463},
        "Kent": {"Trump": 1_000_000, "Clinton": 1_000_000, "Stein": 20_000},
    })  # fmt: skip
    args = ["check", "--state", "MI", "--date", "2016-11-08", "--office", "president",
            "--candidate", "Stein", str(mi)]  # fmt: skip
    code, out = _law(*args, "--json")
    assert code == 0, out
    fee = json.loads(out)["request"]["fee"]
    assert fee["amount"] == 973_250 and "published count" in fee["arithmetic"]
    code, out = _law(*args, "--precincts", "100", "--json")
    assert json.loads(out)["request"]["fee"]["amount"] == 12_500
    code, out = _law(*args)
    assert code == 0 and "may petition: contested (court held not aggrieved in 2016)" in out


def test_bad_state_date_and_county_get_one_line(wi_2016: Path) -> None:
    base = ["--date", "2020-11-03", "--office", "president", str(wi_2016)]
    code, out = _law("check", "--state", "ZZ", *base)
    assert code == 2 and "unknown state 'ZZ'" in out and len(out.strip().splitlines()) == 1
    code, out = _law("check", "--state", "WI", "--date", "1996-11-05", "--office", "president",
                     str(wi_2016))  # fmt: skip
    assert code == 2 and "before 2000-01-01" in out and len(out.strip().splitlines()) == 1
    code, out = _law("check", "--state", "WI", *base, "--counties", "Kenosha")
    assert code == 2 and "county 'Kenosha' is not in" in out
    assert len(out.strip().splitlines()) == 1
    code, out = _law("check", "--state", "WI", *base, "--counties", "milwaukee", "--json")
    assert code == 0, out
    assert json.loads(out)["counties"] == ["Milwaukee"]


def test_cost_of_a_targeted_petition_wisconsin_2020(tmp_path: Path) -> None:
    """Trump's 2020 petition covered Milwaukee (estimate about $2,000,000, madison.com) and Dane
    ($740,800, AP via WSAW) only: about $2.74 million, not a model of all 72 counties."""
    rows = ["county,estimate,ballots"]
    rows += ["Milwaukee,2000000,", "Dane,740800,"]
    rows += [f"County {i},,40000" for i in range(70)]
    costs = tmp_path / "wi2020.csv"
    costs.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, out = _law("cost", str(costs), "--counties", "Milwaukee,Dane", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["total"] == 2_740_800 and len(data["lines"]) == 2
    code, out = _law("cost", str(costs), "--counties", "Milwaukee", "--counties", "Dane")
    assert code == 0 and "Estimate for Milwaukee, Dane $2,740,800.00" in out
    code, out = _law("cost", str(costs), "--counties", "Milwaukee,Racine")
    assert code == 2 and "county 'Racine' is not in" in out


def test_rules_show_unknown_eras_standing_and_session_laws() -> None:
    code, out = _law("rules", "--state", "VT")
    assert code == 0 and "unknown era: 2007-01-01 to 2018-11-05" in out
    code, out = _law("rules", "--state", "MI")
    assert code == 0 and "[contested: court held not aggrieved in 2016]" in out
    assert "opened by: 1969 PA 268" in out and "partial petitions: precincts" in out
    code, out = _law("rules", "--state", "AK", "--json")
    assert json.loads(out)["unknown_eras"][0]["effective_to"] == "2013-08-31"
    code, out = _law("rules", "--state", "VT", "--date", "2012-11-06")
    assert code == 2 and "unknown era" in out and "does not guess" in out


def test_targeted_petition_for_named_wards(wi_2016: Path) -> None:
    """A petition for named wards (Wis. Stat. § 9.01 allows wards): the $5-per-ward fee of the
    pre-2015 law counts only the wards named."""
    base = ["check", "--state", "WI", "--date", "2011-04-05", "--office", "statewide",
            str(wi_2016)]  # fmt: skip
    code, out = _law(*base, "--wards", "Ward 1", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["wards"] == ["Ward 1"] and data["request"]["fee"]["amount"] == 5
    assert "1 wards named with --wards" in data["request"]["fee"]["arithmetic"]
    code, out = _law(*base, "--wards", "Ward 9")
    assert code == 2 and "ward or precinct 'Ward 9' is not a unit" in out
    code, out = _law("check", "--state", "VT", "--date", "2006-11-07", "--office", "statewide",
                     str(wi_2016), "--wards", "Ward 1")  # fmt: skip
    assert code == 2 and "does not allow a recount petition for named wards" in out
