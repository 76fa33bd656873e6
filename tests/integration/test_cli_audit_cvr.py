"""A ballot-comparison audit from CVR files on the command line (``audit sample | risk --cvrs``),
against the same audit run through the app's workflow in the store: same sample, same risks;
and the auditors' reading file refused, with file, row and column, when it is wrong."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import NamedTuple

import pytest
from typer.testing import CliRunner

from papertally.cli.main import app
from papertally.io.audit_export import audit_export_zip, summarize_file
from papertally.model.audit_records import AuditFile
from papertally.store import Store
from papertally.store.audits import AuditStore
from papertally.verify import verify_export
from papertally.workflows.audit import close_round, start_audit

CONTEST = "Minister of Farming"
SEED = "80452913776209131457"
COUNTIES = ("Mount Olive", "Siletz")
runner = CliRunner()


class AppAudit(NamedTuple):
    """The audit as the app ran it: each round's measurement, the readings as MVR rows
    (``card_id``, ``county``, ``contest``, ``choices``) and every draw's ticket by number."""

    measured: list[dict[str, object]]
    rows: list[list[str]]
    tickets: dict[int, str]


def _files(data: Path) -> list[str]:
    folder = data / "arlo-small-election"
    args = []
    for county in COUNTIES:
        args += ["--cvrs", str(folder / f"{county} - cvrs.csv")]
        args += ["--manifest", str(folder / f"{county} - ballot manifest.csv")]
    return args


def _cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["audit", *args])
    return result.exit_code, result.output


def _one_vote(votes: list[str]) -> list[str]:
    """What a board reads off a card whose CVR shows ``votes``: an overvote as no vote."""
    return votes if len(votes) == 1 else []


@pytest.fixture(scope="module")
def app_audit(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> AppAudit:
    """Run the audit through the app's workflow: one card read for the loser, one not found;
    its export passes ``papertally verify`` (the same measurement recomputed)."""
    folder = tmp_path_factory.mktemp("app-audit")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PAPERTALLY_DATA_DIR", str(folder / "files"))
        store = Store(f"sqlite:///{folder / 'audit.db'}")
        store.migrate()
        audits = AuditStore(store.engine)
        audit_id = audits.create_audit("RLA", list(COUNTIES), actor="admin")
        audits.add_contest(audit_id, CONTEST, "ballot comparison", 0.1, actor="admin")
        for county in COUNTIES:
            for kind, name in (("manifest", "ballot manifest"), ("cvrs", "cvrs")):
                path = shared_data / "arlo-small-election" / f"{county} - {name}.csv"
                file = AuditFile(county, kind, path.name, path.read_bytes())
                audits.upload_file(audit_id, file, summarize_file(file), actor="admin")
        audits.publish(audit_id, actor="admin")
        start_audit(audits, audit_id, SEED, actor="admin")
        rows: list[list[str]] = []
        wrong = missing = None
        while audits.audit(audit_id).status == "in progress":
            number = audits.rounds(audit_id)[-1].number
            for card in audits.sample(audit_id):
                if card.round_number != number:
                    continue
                assert card.cvr is not None and card.imprinted_id is not None
                votes = _one_vote(card.cvr.get(CONTEST, []))
                found = True
                if wrong is None and votes == ["Erin George"]:
                    wrong, votes = card.sequence, ["Alex Hall"]
                elif missing is None and votes == ["Erin George"]:
                    missing, found = card.sequence, False
                audits.record_entry(
                    audit_id,
                    card.county,
                    card.sequence,
                    found=found,
                    votes={CONTEST: votes} if found else {},
                    actor="board",
                )
                choices = (";".join(votes) or "blank") if found else "not found"
                rows.append([card.imprinted_id, card.county, CONTEST, choices])
            close_round(audits, audit_id, actor="admin")
        measured = [r.measurement for r in audits.rounds(audit_id)]
        tickets = {c.sequence: c.ticket for c in audits.sample(audit_id)}
        verified = verify_export(audit_export_zip(audits.export_contents(audit_id)))
        store.close()
    assert len(measured) >= 2
    assert verified.ok, "papertally verify recomputes the app's rounds"
    return AppAudit([m for m in measured if m is not None], rows, tickets)


def _write_mvrs(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["card_id", "county", "contest", "choices"])
        writer.writerows(rows)
    return path


def test_cli_draws_the_apps_first_round(
    app_audit: AppAudit, shared_data: Path, tmp_path: Path
) -> None:
    pull = tmp_path / "pull.csv"
    code, out = _cli(
        "sample", "--seed", SEED, "--risk-limit", "0.1", "--contest", CONTEST,
        *_files(shared_data), "--json", "--csv", str(pull),
    )  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    with pull.open(encoding="utf-8") as handle:
        listed = list(csv.DictReader(handle))
    assert sorted(int(r["Draw Number"]) for r in listed) == list(range(1, data["size"] + 1))
    assert data["size"] == app_audit.measured[0]["cards_drawn"]
    assert all(r["Ticket Numbers"] == app_audit.tickets[int(r["Draw Number"])] for r in listed)


def test_cli_and_app_measure_the_same_risks(
    app_audit: AppAudit, shared_data: Path, tmp_path: Path
) -> None:
    measured, rows, _ = app_audit
    mvrs = _write_mvrs(tmp_path / "mvrs.csv", rows)
    code, out = _cli(
        "risk", "--risk-limit", "0.1", "--seed", SEED, "--contest", CONTEST,
        *_files(shared_data), "--mvrs", str(mvrs), "--json",
    )  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert data["rounds"] == measured
    assert data["finished"] is True and data["next_round"] is None


def test_a_round_not_yet_read_through_is_the_next_one(
    app_audit: AppAudit, shared_data: Path, tmp_path: Path
) -> None:
    measured, rows, _ = app_audit
    first = int(measured[0]["cards_drawn"])  # type: ignore[call-overload]
    mvrs = _write_mvrs(tmp_path / "mvrs.csv", rows[: first + 1])
    pull = tmp_path / "round-2.csv"
    code, out = _cli(
        "risk", "--risk-limit", "0.1", "--seed", SEED, "--contest", CONTEST,
        *_files(shared_data), "--mvrs", str(mvrs), "--json", "--csv", str(pull),
    )  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert data["rounds"] == measured[:1]
    assert data["next_round"]["round"] == 2 and data["next_round"]["read"] == 1
    assert data["next_round"]["size"] == measured[0]["next_round_size"]
    assert len(pull.read_text(encoding="utf-8").splitlines()) == data["next_round"]["size"] + 1


@pytest.mark.parametrize(
    ("change", "where", "problem"),
    [
        (lambda rows: [["no-such-card", *rows[0][1:]], *rows[1:]], "row 2, column 'card_id'",
         "is not in the sample"),
        (lambda rows: [*rows, rows[0]], "column 'contest'", "read twice"),
        (lambda rows: [[rows[0][0], rows[0][1], "Master of Magic", "blank"], *rows],
         "row 2, column 'contest'", "does not show the contest"),
        (lambda rows: [[rows[0][0], rows[0][1], CONTEST, "Erin Georg"], *rows[1:]],
         "row 2, column 'choices'", "did you mean 'Erin George'"),
    ],
)  # fmt: skip
def test_a_wrong_reading_is_one_clear_line_and_changes_nothing(
    app_audit: AppAudit,
    shared_data: Path,
    tmp_path: Path,
    change: object,
    where: str,
    problem: str,
) -> None:
    _, rows, _ = app_audit
    mvrs = _write_mvrs(tmp_path / "mvrs.csv", change(rows))  # type: ignore[operator]
    pull = tmp_path / "next.csv"
    code, out = _cli(
        "risk", "--risk-limit", "0.1", "--seed", SEED, "--contest", CONTEST,
        *_files(shared_data), "--mvrs", str(mvrs), "--csv", str(pull),
    )  # fmt: skip
    assert code == 2, out
    assert out.startswith("error: mvrs.csv") and where in out and problem in out, out
    assert len(out.strip().splitlines()) <= 3 and "Traceback" not in out
    assert not pull.exists()


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("card,contest\nX,Y\n", "row 1: missing the column 'card_id' (did you mean 'card'?)"),
        ("card_id,contest,choices\n,Minister of Farming,blank\n", "row 2, column 'card_id'"),
        ("card_id,contest,choices\nA,Minister of Farming,Erin George,Alex Hall\n", "row 2"),
        ("", "is empty"),
    ],
)
def test_a_malformed_reading_file_names_the_row(
    shared_data: Path, tmp_path: Path, text: str, where: str
) -> None:
    mvrs = tmp_path / "mvrs.csv"
    mvrs.write_text(text, encoding="utf-8")
    code, out = _cli(
        "risk", "--risk-limit", "0.1", "--seed", SEED, "--contest", CONTEST,
        *_files(shared_data), "--mvrs", str(mvrs),
    )  # fmt: skip
    assert code == 2, out
    assert out.startswith("error: mvrs.csv") and where in " ".join(out.split()), out


def test_an_overvote_read_where_the_cvr_shows_the_winner_is_a_one_vote_overstatement(
    app_audit: AppAudit, shared_data: Path, tmp_path: Path
) -> None:
    measured, rows, _ = app_audit
    first = int(measured[0]["cards_drawn"])  # type: ignore[call-overload]
    round_one = [list(r) for r in rows[:first]]
    clean = [r for r in round_one if r[3] == "Erin George"]
    clean[0][3] = "overvote"
    clean[1][3] = "Erin George;Alex Hall"
    mvrs = _write_mvrs(tmp_path / "mvrs.csv", round_one)
    code, out = _cli(
        "risk", "--risk-limit", "0.1", "--seed", SEED, "--contest", CONTEST,
        *_files(shared_data), "--mvrs", str(mvrs), "--json",
    )  # fmt: skip
    assert code == 0, out
    pairs = {a["name"]: a for a in json.loads(out)["rounds"][0]["contests"][0]["assertions"]}
    assert pairs["Erin George > Alex Hall"]["discrepancies"]["o1"] == 2
