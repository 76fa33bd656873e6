"""raire-rs JSON and Arlo .raire files: read as written, and refused with one clear line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from papertally.audit.irv.raire import IrvAssertion
from papertally.errors import InputFileError
from papertally.io.raire_formats import (
    read_arlo_assertions,
    read_arlo_raire,
    read_raire_assertions_json,
    read_raire_json,
)


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_raire_json_round_trip_of_ballots_winner_and_audit(tmp_path: Path) -> None:
    path = write(
        tmp_path / "in.json",
        {
            "metadata": {"candidates": ["A", "B", "C"], "contest": "Mayor"},
            "num_candidates": 3,
            "votes": [{"n": 5, "prefs": [0, 1]}, {"n": 3, "prefs": [2]}, {"n": 2, "prefs": [0, 1]}],
            "winner": 0,
            "audit": {"type": "OneOnMarginSq", "total_auditable_ballots": 12},
        },
    )
    found = read_raire_json(path)
    assert found.name == "Mayor" and found.winner == "A"
    assert found.kind == "polling" and found.total_ballots == 12
    assert dict(zip(found.ballots.rankings, found.ballots.counts, strict=True)) == {
        (0, 1): 7,
        (2,): 3,
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"votes": 3}, "no 'votes' list"),
        ({"num_candidates": 1, "votes": []}, "'num_candidates' must be a number ≥ 2"),
        ({"num_candidates": 2, "votes": [{"n": 1, "prefs": [0, 2]}]}, r"votes\[0\].prefs"),
        ({"num_candidates": 2, "votes": [{"n": -1, "prefs": [0]}]}, r"votes\[0\].n"),
        ({"num_candidates": 2, "votes": [{"n": 1, "prefs": [0, 0]}]}, "ranks a candidate twice"),
        (
            {"num_candidates": 2, "votes": [], "audit": {"type": "MACRO"}},
            "audit type 'MACRO' is not one of",
        ),
    ],
)
def test_bad_raire_json_is_one_line_naming_the_file(
    tmp_path: Path, data: object, message: str
) -> None:
    path = write(tmp_path / "bad.json", data)
    with pytest.raises(InputFileError, match=message) as raised:
        read_raire_json(path)
    assert str(raised.value).startswith("bad.json: ")
    assert "\n" not in str(raised.value)


def test_raire_assertions_json_and_its_errors(tmp_path: Path) -> None:
    good = write(
        tmp_path / "out.json",
        {
            "solution": {
                "Ok": {
                    "winner": 1,
                    "assertions": [
                        {"assertion": {"type": "NEB", "winner": 1, "loser": 0}},
                        {
                            "assertion": {
                                "type": "NEN",
                                "winner": 1,
                                "loser": 2,
                                "continuing": [1, 2],
                            }
                        },
                    ],
                }
            }
        },
    )
    winner, assertions = read_raire_assertions_json(good, 3)
    assert winner == 1
    assert assertions == [
        IrvAssertion("NEB", 1, 0),
        IrvAssertion("NEN", 1, 2, frozenset({1, 2})),
    ]
    failed = write(tmp_path / "err.json", {"solution": {"Err": "WrongWinner"}})
    assert read_raire_assertions_json(failed, 3) == (None, [])
    bad = write(
        tmp_path / "bad.json",
        {
            "solution": {
                "Ok": {
                    "assertions": [
                        {"assertion": {"type": "NEN", "winner": 0, "loser": 1, "continuing": [0]}}
                    ]
                }
            }
        },
    )
    with pytest.raises(InputFileError, match=r"bad.json: assertions\[0\]: .*both be continuing"):
        read_raire_assertions_json(bad, 3)
    with pytest.raises(InputFileError, match=r"expected a candidate index 0\.\.2, got 7"):
        read_raire_assertions_json(
            write(
                tmp_path / "range.json",
                {
                    "solution": {
                        "Ok": {
                            "assertions": [{"assertion": {"type": "NEB", "winner": 7, "loser": 1}}]
                        }
                    }
                },
            ),
            3,
        )


def test_arlo_raire_files_and_their_errors(tmp_path: Path) -> None:
    ballots = tmp_path / "x.raire"
    ballots.write_text(
        "1\nContest,7,3,11,12,13,winner,12\n7,b1,12,11\n7,b2,13\n7,b3,12\n", encoding="utf-8"
    )
    (contest,) = read_arlo_raire(ballots)
    assert contest.name == "7" and contest.winner == "12"
    assert contest.ballots.candidates == ("11", "12", "13") and contest.ballots.total == 3
    out = tmp_path / "x.raire.out"
    out.write_text(
        "CONTEST 7\nNEB,Winner,12,Loser,13,Eliminated\nNEN,Winner,12,Loser,11,Eliminated,13\n",
        encoding="utf-8",
    )
    assert read_arlo_assertions(out, [contest]) == {
        "7": [IrvAssertion("NEB", 1, 2), IrvAssertion("NEN", 1, 0, frozenset({0, 1}))]
    }
    broken = tmp_path / "broken.raire"
    broken.write_text("1\nContest,7,3,11,12,13,winner,12\n7,b1,12,99\n", encoding="utf-8")
    expected = "broken.raire, row 3: contest 7: ballot 'b1' has unknown candidate '99'"
    with pytest.raises(InputFileError, match=re.escape(expected)):
        read_arlo_raire(broken)
    orphan = tmp_path / "orphan.raire"
    orphan.write_text("1\n8,b1,12\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="row 2: ballot of unknown contest '8'"):
        read_arlo_raire(orphan)
