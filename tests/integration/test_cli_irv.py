"""``papertally irv``: a ranked contest from CVRs, RAIRE assertions, verification and an audit."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from typer.testing import CliRunner

from papertally.cli.main import app

runner = CliRunner()
CANDIDATES = ("Alice", "Bob", "Chuan", "Diego")
CONTEST = "Mayor (Ranks=4)"


def _irv(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["irv", *args])
    return result.exit_code, result.output


def write_cvrs(
    path: Path, ballots: list[tuple[list[list[str]], int]], without_contest: int = 0
) -> list[str]:
    """Write a generic CVR CSV (docs/cvr-formats.md): each ballot as its rankings (the names
    marked at rank 1, 2, ...), ``count`` cards of each, then ``without_contest`` cards that do
    not show the contest; return the card ids in file order."""
    header = ["Card ID", "Tabulator", "Batch", "Record ID"]
    header += [f"{CONTEST} | {name}" for name in CANDIDATES]
    ids: list[str] = []
    rows = []
    for rankings, count in ballots:
        for _ in range(count):
            card = f"c{len(ids) + 1}"
            ids.append(card)
            cells = {name: "0" for name in CANDIDATES}
            for rank, names in enumerate(rankings, start=1):
                for name in names:
                    cells[name] = str(rank)
            batch = str(len(ids) // 500 + 1)
            rows.append([card, "T1", batch, str(len(ids)), *(cells[n] for n in CANDIDATES)])
    for _ in range(without_contest):
        ids.append(f"c{len(ids) + 1}")
        rows.append([ids[-1], "T2", "1", str(len(ids)), *([""] * len(CANDIDATES))])
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return ids


def guide_like(scale: int = 1) -> list[tuple[list[list[str]], int]]:
    """The Guide to RAIRE's example at 1/10 size, in rankings, plus ballots that the rules read
    differently: a skipped ranking pair (Maine exhausts it) and an overvote."""
    return [
        ([["Chuan"], ["Bob"], ["Alice"]], 500 * scale),
        ([["Bob"], ["Chuan"], ["Diego"]], 100 * scale),
        ([["Diego"], ["Alice"]], 150 * scale),
        ([["Alice"], ["Diego"]], 400 * scale),
        ([["Diego"]], 200 * scale),
        ([["Bob"], [], [], ["Alice"]], 30 * scale),
        ([["Alice", "Bob"], ["Chuan"]], 5 * scale),
    ]


def test_tabulate_from_cvrs_under_each_jurisdictions_rules(tmp_path: Path) -> None:
    cvrs = tmp_path / "cvrs.csv"
    write_cvrs(cvrs, guide_like())
    code, out = _irv("tabulate", str(cvrs), "--json")
    assert code == 0, out
    sf = json.loads(out)
    assert sf["contest"] == "Mayor" and sf["ballots"] == 1385
    assert sf["winner"] == "Chuan"
    assert sf["rounds"][0]["tallies"] == {"Alice": 400, "Bob": 130, "Chuan": 500, "Diego": 350}
    assert sf["rounds"][0]["exhausted"] == 5  # the overvoted ballots
    # San Francisco passes over the two skipped rankings: Bob's 30 go to Alice in round 2
    assert sf["rounds"][1]["tallies"]["Alice"] == 430
    code, out = _irv("tabulate", str(cvrs), "--rules", "maine", "--json")
    assert code == 0, out
    maine = json.loads(out)
    # Maine exhausts them (two sequential skipped rankings)
    assert maine["rounds"][1]["tallies"]["Alice"] == 400
    code, out = _irv("tabulate", str(cvrs))
    assert code == 0 and "round 1: Alice 400, Bob 130, Chuan 500, Diego 350" in out


def test_assertions_verify_sample_size_and_a_comparison_audit_end_to_end(tmp_path: Path) -> None:
    cvrs = tmp_path / "cvrs.csv"
    ids = write_cvrs(cvrs, guide_like())
    assertions = tmp_path / "assertions.json"
    code, out = _irv("assertions", str(cvrs), "-o", str(assertions), "--json")
    assert code == 0, out
    data = json.loads(out)["solution"]["Ok"]
    assert data["winner"] == CANDIDATES.index("Chuan")
    assert json.loads(assertions.read_text())["solution"]["Ok"] == data
    code, out = _irv("verify", str(assertions), str(cvrs))
    assert code == 0 and "verdict: ok" in out, out
    code, out = _irv("sample-size", str(cvrs), "--json")
    assert code == 0, out
    size = json.loads(out)["sample_size"]
    assert 0 < size < len(ids)
    # the auditors read the drawn cards; all agree with their CVRs
    rankings = {card: rank for card, rank in zip(ids, _rankings(guide_like()), strict=True)}
    drawn = random.Random(7).sample(ids, size)
    readings = tmp_path / "readings.csv"
    _write_readings(readings, [(card, rankings[card]) for card in drawn])
    code, out = _irv(
        "audit", str(cvrs), "--assertions", str(assertions), "--readings", str(readings), "--json"
    )
    assert code == 0, out
    result = json.loads(out)
    assert result["confirmed"] and result["risk"] <= 0.05
    # one card read as Alice alone where its CVR says Chuan first: the risk rises above the limit
    chuan = next(card for card in drawn if rankings[card].startswith("Chuan"))
    _write_readings(readings, [(c, "Alice" if c == chuan else rankings[c]) for c in drawn])
    code, out = _irv(
        "audit", str(cvrs), "--assertions", str(assertions), "--readings", str(readings), "--json"
    )
    assert code == 1, out
    misread = json.loads(out)
    assert not misread["confirmed"] and misread["risk"] > 0.05
    assert misread["next_round_more_cards"] > 0


def _rankings(ballots: list[tuple[list[list[str]], int]]) -> list[str]:
    """Each card's reading as the SF rules give it (``A>B``; the overvote reads blank)."""
    out = []
    for rankings, count in ballots:
        names: list[str] = []
        for marked in rankings:
            if len(marked) > 1:
                break
            names.extend(marked)
        out.extend([">".join(names)] * count)
    return out


def _write_readings(path: Path, rows: list[tuple[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["card_id", "paper"])
        writer.writerows(rows)


def test_verify_reports_an_incomplete_or_false_assertion_set(tmp_path: Path) -> None:
    cvrs = tmp_path / "cvrs.csv"
    write_cvrs(cvrs, guide_like())
    full = tmp_path / "full.json"
    assert _irv("assertions", str(cvrs), "-o", str(full))[0] == 0
    data = json.loads(full.read_text())
    data["solution"]["Ok"]["assertions"] = data["solution"]["Ok"]["assertions"][1:]
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps(data))
    code, out = _irv("verify", str(partial), str(cvrs), "--json")
    assert code == 1
    report = json.loads(out)
    assert not report["ok"] and report["open_orders"]
    code, out = _irv("audit", str(cvrs), "--assertions", str(partial), "--readings", str(full))
    assert code == 2 and "leave open the elimination order" in out


def test_user_errors_are_one_line_and_exit_2(tmp_path: Path, shared_data: Path) -> None:
    cvrs = tmp_path / "cvrs.csv"
    write_cvrs(cvrs, guide_like())
    code, out = _irv("assertions", str(cvrs), "--winner", "Alice")
    assert code == 2 and "'Alice' does not win the IRV count: 'Chuan' does" in out
    code, out = _irv("tabulate", str(cvrs), "--contest", "Mayr")
    assert code == 2 and "did you mean 'Mayor'" in out
    code, out = _irv("tabulate", str(cvrs), "--rules", "oregon")
    assert code == 2 and "unknown ballot rules" in out
    readings = tmp_path / "bad.csv"
    _write_readings(readings, [("c1", "Chuan>Zed")])
    assertions = tmp_path / "a.json"
    assert _irv("assertions", str(cvrs), "-o", str(assertions))[0] == 0
    code, out = _irv(
        "audit", str(cvrs), "--assertions", str(assertions), "--readings", str(readings)
    )
    assert code == 2 and "bad.csv, row 2, column 'paper': unknown candidate 'Zed'" in out
    aspen = shared_data / "irv" / "arlo" / "Aspen_2009_wrong_winner.raire"
    code, out = _irv("assertions", str(aspen), "--contest", "1")
    assert code == 2 and "'9' does not win the IRV count: '8' does" in out
    assert "Traceback" not in out


def test_ranked_contest_of_the_dominion_json_sample(shared_data: Path) -> None:
    folder = shared_data / "cvr" / "dominion"
    files = [
        str(folder / "test_5.10.50.85.Dominion.json"),
        str(folder / "test_5.2.18.2.Dominion.json"),
    ]
    code, out = _irv("tabulate", *files, "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["contest"] == "Contest 19" and data["ballots"] == 1
    assert data["winner"] == "Candidate 27"


def test_cards_without_the_contest_dilute_the_margin_and_read_blank(tmp_path: Path) -> None:
    cvrs = tmp_path / "cvrs.csv"
    ids = write_cvrs(cvrs, guide_like(), without_contest=615)
    code, out = _irv("tabulate", str(cvrs), "--json")
    assert code == 0 and json.loads(out)["ballots"] == 1385
    assertions = tmp_path / "assertions.json"
    code, out = _irv("assertions", str(cvrs), "-o", str(assertions), "--json")
    assert code == 0, out
    assert json.loads(out)["solution"]["Ok"]["audit"]["total_auditable_ballots"] == 2000
    # a drawn card without the contest, read blank, is no discrepancy: same risk as a clean card
    readings = tmp_path / "readings.csv"
    _write_readings(readings, [(ids[0], "Chuan>Bob>Alice"), (ids[-1], "")])
    code, out = _irv(
        "audit", str(cvrs), "--assertions", str(assertions), "--readings", str(readings), "--json"
    )
    blank = json.loads(out)
    _write_readings(readings, [(ids[0], "Chuan>Bob>Alice"), ("no-such-card", "")])
    code, out = _irv(
        "audit", str(cvrs), "--assertions", str(assertions), "--readings", str(readings), "--json"
    )
    phantom = json.loads(out)
    assert blank["risk"] < phantom["risk"]
    assert all(a["p_value"] < 1.0 for a in blank["assertions"])
