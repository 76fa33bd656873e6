"""A OneAudit of a mixed election on the command line (``papertally audit oneaudit``).

Mount Olive has CVRs; Siletz has none, only its batch tallies of the contest (Arlo's small
election in ``../shared/data``). The plan compares OneAudit with the SUITE hybrid; round 1 is
drawn; the auditors' readings are written as a board would (linked cards as their CVRs say,
pooled cards as their batch's tally says); ``risk`` replays the rounds until the outcome is
confirmed. Pools whose paper disagrees with their tallies escalate instead, and mistakes in the
files are one line and exit status 2.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papertally.cli.main import app
from papertally.io.audit_export import draw_cards
from papertally.workflows.cvr_audit import card_id
from papertally.workflows.oneaudit import mixed_audit

CONTEST = "Minister of Farming"
SEED = "80452913776209131457"
runner = CliRunner()


def _paths(data: Path) -> dict[str, Path]:
    folder = data / "arlo-small-election"
    return {
        "cvrs": folder / "Mount Olive - cvrs.csv",
        "mo": folder / "Mount Olive - ballot manifest.csv",
        "siletz": folder / "Siletz - ballot manifest.csv",
        "tallies": folder / f"Siletz - {CONTEST} - candidate totals by batch.csv",
    }


def _args(paths: dict[str, Path]) -> list[str]:
    return [
        "--cvrs",
        str(paths["cvrs"]),
        "--manifest",
        str(paths["mo"]),
        "--manifest",
        str(paths["siletz"]),
        "--batch-tallies",
        f"Siletz={paths['tallies']}",
        "--contest",
        CONTEST,
    ]


def _cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["audit", "oneaudit", *args])
    return result.exit_code, result.output


def _pooled_paper(tallies: Path) -> dict[tuple[str, int], str]:
    """What each pooled card shows: by position, the batch's tally in column order."""
    paper: dict[tuple[str, int], str] = {}
    with tallies.open(encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            position = 1
            for choice, count in row.items():
                if choice == "Batch Name":
                    continue
                for _ in range(int(count)):
                    paper[(row["Batch Name"], position)] = choice
                    position += 1
    return paper


def _write_mvrs(paths: dict[str, Path], out: Path, cards: int, *, pooled_as: str | None) -> None:
    """Write the readings of the first ``cards`` draws: linked cards as their CVR, pooled cards
    as their batch's tally (or all ``pooled_as``)."""
    audit = mixed_audit(
        [(None, paths["cvrs"])],
        [(None, paths["mo"]), (None, paths["siletz"])],
        [("Siletz", paths["tallies"])],
        contest=CONTEST,
        risk_limit=0.05,
    )
    paper = _pooled_paper(paths["tallies"])
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["card_id", "county", "contest", "choices"])
        for card in draw_cards(audit.files, SEED, cards, 0):
            if card.cvr is not None:
                votes = card.cvr.get(CONTEST)
                if votes is None:
                    continue
                choices = ";".join(votes) if len(votes) == 1 else "blank"
            else:
                choices = pooled_as or paper.get((card.batch, card.position), "blank")
            writer.writerow([card_id(card), card.county, CONTEST, choices])


def test_plan_compares_oneaudit_with_suite(shared_data: Path) -> None:
    code, out = _cli("plan", *_args(_paths(shared_data)), "--json")
    assert code == 0, out
    plan = json.loads(out)
    assert plan["cards"] == 88 and plan["linked_cards"] == 31 and plan["pools"] == 3
    assert plan["pools_without_tally"] == []
    choice = plan["choice"]
    assert choice["suite_draws"] > 0 and choice["oneaudit_draws"] > 0
    fewer = "oneaudit" if choice["oneaudit_draws"] < choice["suite_draws"] else "suite"
    assert choice["chosen"] == fewer
    code, text = _cli("plan", *_args(_paths(shared_data)))
    assert code == 0 and "fewer cards:" in text


def test_sample_record_and_measure_until_confirmed(shared_data: Path, tmp_path: Path) -> None:
    """Round 1 is the plan's size; the readings agree with the reports; the outcome stands."""
    paths = _paths(shared_data)
    code, out = _cli("sample", *_args(paths), "--seed", SEED, "--json")
    assert code == 0, out
    sample = json.loads(out)
    assert sample["cards"] == 88
    pooled = [d for d in sample["draws"] if not d["has_cvr"]]
    assert all(d["county"] == "Siletz" for d in pooled)
    mvrs = tmp_path / "mvrs.csv"
    read = sample["size"]
    for _ in range(10):  # read each round the measurement asks for, as a board would
        _write_mvrs(paths, mvrs, read, pooled_as=None)
        code, out = _cli("risk", *_args(paths), "--seed", SEED, "--mvrs", str(mvrs), "--json")
        assert code == 0, out
        result = json.loads(out)
        if result["finished"]:
            break
        read += result["next_round"]["size"]
    assert result["finished"] and result["next_round"] is None
    last = result["rounds"][-1]["contests"][0]
    assert last["confirmed"] and last["risk"] <= 0.05
    assert result["rounds"][0]["cards_drawn"] == sample["size"]


def test_pools_that_hide_the_loser_escalate(shared_data: Path, tmp_path: Path) -> None:
    """Every pooled card really for Alex Hall: round 1 does not confirm; more cards asked."""
    paths = _paths(shared_data)
    mvrs = tmp_path / "mvrs.csv"
    code, out = _cli("sample", *_args(paths), "--seed", SEED, "--json")
    _write_mvrs(paths, mvrs, json.loads(out)["size"], pooled_as="Alex Hall")
    code, out = _cli("risk", *_args(paths), "--seed", SEED, "--mvrs", str(mvrs), "--json")
    assert code == 0, out
    first = json.loads(out)["rounds"][0]["contests"][0]
    assert not first["confirmed"]
    assert first["next_round_size"] > 0 or first["full_hand_count"]


def test_mistakes_are_one_line_and_status_2(shared_data: Path, tmp_path: Path) -> None:
    paths = _paths(shared_data)
    wrong = tmp_path / "tallies.csv"
    wrong.write_text("Batch Name,Erin George,Alex Hall\nBatch 1,5,2\n", encoding="utf-8")
    args = _args(paths)
    args[args.index(f"Siletz={paths['tallies']}")] = f"Mount Olive={wrong}"
    code, out = _cli("plan", *args)
    assert code == 2 and "is not a pooled batch" in out and "Traceback" not in out
    mvrs = tmp_path / "mvrs.csv"
    mvrs.write_text("card_id,contest,choices\nnope,Minister of Farming,Erin George\n")
    code, out = _cli("risk", *_args(paths), "--seed", SEED, "--mvrs", str(mvrs))
    assert code == 2 and "mvrs.csv" in out and "Traceback" not in out


@pytest.mark.parametrize("option", ["--contest", "--risk-limit"])
def test_bad_options(shared_data: Path, option: str) -> None:
    args = _args(_paths(shared_data))
    if option == "--contest":
        args[args.index(CONTEST)] = "Minister of Farmin"
    else:
        args += ["--risk-limit", "1.5"]
    code, out = _cli("plan", *args)
    assert code == 2 and "Traceback" not in out


def test_pools_without_tallies_are_neutral_and_listed(shared_data: Path) -> None:
    """Without Siletz's batch tallies its batches are pools with the ONE CVR ½: listed by
    ``plan``, which then plans OneAudit only (SUITE needs every pool's tally)."""
    args = _args(_paths(shared_data))
    at = args.index("--batch-tallies")
    del args[at : at + 2]
    code, out = _cli("plan", *args, "--json")
    assert code == 0, out
    plan = json.loads(out)
    assert len(plan["pools_without_tally"]) == 3
    assert plan["choice"]["suite_draws"] is None and plan["choice"]["oneaudit_draws"] > 0


def test_plan_a_supermajority(shared_data: Path) -> None:
    """``--supermajority F`` plans the winner's "more than F of the valid votes" assertion
    (OneAudit only: SUITE here is plurality); a share the winner does not reach, or one outside
    (0, 1), is one line and exit 2."""
    args = _args(_paths(shared_data))
    code, out = _cli("plan", *args, "--supermajority", "0.9", "--json")
    assert code == 0, out
    plan = json.loads(out)
    (assertion,) = plan["assertions"]
    assert assertion["name"] == "Erin George > 0.9 of valid votes"
    assert plan["supermajority"] == 0.9 and plan["choice"]["suite_draws"] is None
    plurality = json.loads(_cli("plan", *args, "--json")[1])
    assert plan["estimate"]["draws"] > plurality["estimate"]["draws"]  # a smaller margin
    for share, message in (("0.97", "not more than 0.97"), ("1.5", "between 0 and 1")):
        code, out = _cli("plan", *args, "--supermajority", share)
        assert code == 2 and message in out and "Traceback" not in out


def test_irv_plan_with_ranked_pools(tmp_path: Path) -> None:
    """``irv-plan``: linked CVRs as raire-rs JSON, pools with ranking distributions and one pool
    without; every RAIRE assertion is planned, the unknown pool is listed; a ranking naming no
    candidate is one line and exit 2."""
    cvrs = tmp_path / "linked.json"
    cvrs.write_text(
        json.dumps(
            {
                "metadata": {"candidates": ["Alice", "Bob", "Chuan"]},
                "num_candidates": 3,
                "votes": [
                    {"n": 400, "prefs": [0, 1]},
                    {"n": 300, "prefs": [1, 0]},
                    {"n": 150, "prefs": [2, 0]},
                    {"n": 100, "prefs": [2, 1]},
                ],
                "winner": 0,
            }
        )
    )
    pools = tmp_path / "pools.csv"
    pools.write_text(
        "pool,cards,ranking,count\n"
        "p1,1000,Alice,600\np1,1000,Bob>Chuan,300\np1,1000,Chuan>Alice,100\n"
        "p2,500,Bob,300\np2,500,Alice>Chuan,150\np2,500,Chuan>Bob,50\n"
        "p3,300,,\n"
    )
    code, out = _cli("irv-plan", "--cvrs", str(cvrs), "--pools", str(pools), "--json")
    assert code == 0, out
    plan = json.loads(out)
    assert plan["winner"] == "Alice" and plan["cards"] == 2750 and plan["linked_cards"] == 950
    assert plan["pools_without_rankings"] == ["p3"]
    assert plan["assertions"] and plan["draws"] == max(a["p90"] for a in plan["assertions"])
    assert all(0 < a["p50"] <= a["p90"] <= a["p99"] <= 2750 for a in plan["assertions"])
    code, text = _cli("irv-plan", "--cvrs", str(cvrs), "--pools", str(pools))
    assert code == 0 and "pools without rankings (ONE CVR ½): p3" in text
    pools.write_text("pool,cards,ranking,count\np1,10,Alicia,3\n")
    code, out = _cli("irv-plan", "--cvrs", str(cvrs), "--pools", str(pools))
    assert code == 2 and "pools.csv: row 2, column 'ranking'" in out and "Traceback" not in out


def test_supermajority_sample_and_measure(shared_data: Path, tmp_path: Path) -> None:
    """``--supermajority 0.6`` on sample and risk: the rounds measure the winner's supermajority
    assertion (its p-value, not the pairs') until it is confirmed; pooled cards hiding the loser
    do not confirm it in round 1."""
    paths = _paths(shared_data)
    args = [*_args(paths), "--supermajority", "0.6", "--seed", SEED]
    code, out = _cli("sample", *args, "--json")
    assert code == 0, out
    sample = json.loads(out)
    mvrs = tmp_path / "mvrs.csv"
    _write_mvrs(paths, mvrs, sample["size"], pooled_as="Alex Hall")
    code, out = _cli("risk", *args, "--mvrs", str(mvrs), "--json")
    assert code == 0, out
    assert not json.loads(out)["rounds"][0]["contests"][0]["confirmed"]
    read = sample["size"]
    for _ in range(10):
        _write_mvrs(paths, mvrs, read, pooled_as=None)
        code, out = _cli("risk", *args, "--mvrs", str(mvrs), "--json")
        assert code == 0, out
        result = json.loads(out)
        if result["finished"]:
            break
        read += result["next_round"]["size"]
    last = result["rounds"][-1]["contests"][0]
    assert last["confirmed"] and last["risk"] <= 0.05
    (assertion,) = last["assertions"]
    assert assertion["name"] == "Erin George > 0.6 of valid votes"
