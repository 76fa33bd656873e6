"""Dominion Democracy Suite CVR exports: JSON (5.2 and 5.10 layouts), manifests, CSV/Excel."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from papertally.errors import InputFileError
from papertally.io.cvr import CvrFormat, read_cvrs
from papertally.io.cvr.common import InputPart
from papertally.io.cvr.detect import detect


def dominion_dir(shared_data: Path) -> Path:
    return shared_data / "cvr" / "dominion"


def session(tabulator: int, batch: int, record: int, cards: list[dict[str, Any]]) -> dict[str, Any]:
    """Return a 5.10-layout session with the given cards."""
    return {
        "TabulatorId": tabulator,
        "BatchId": batch,
        "RecordId": record,
        "CountingGroupId": 1,
        "Original": {"PrecinctPortionId": 3, "BallotTypeId": 4, "IsCurrent": True, "Cards": cards},
    }


def card(card_id: int, contests: list[tuple[int, list[int]]], paper: int = 0) -> dict[str, Any]:
    """Return a 5.10 card; each contest is (id, candidate ids voted)."""
    return {
        "Id": card_id,
        "PaperIndex": paper,
        "Contests": [
            {
                "Id": contest,
                "Undervotes": 0 if votes else 1,
                "Overvotes": 0,
                "Marks": [
                    {
                        "CandidateId": c,
                        "Rank": 1,
                        "MarkDensity": 90,
                        "IsAmbiguous": False,
                        "IsVote": True,
                    }
                    for c in votes
                ],
            }
            for contest, votes in contests
        ],
    }


def export(sessions: list[dict[str, Any]]) -> bytes:
    return json.dumps(
        {"Version": "5.10.50.85", "ElectionId": "TEST", "Sessions": sessions}
    ).encode()


def manifests() -> dict[str, bytes]:
    contests = {
        "Version": "5.10.50.85",
        "List": [
            {"Description": "Mayor", "Id": 1, "ExternalId": "", "VoteFor": 1, "NumOfRanks": 0},
            {"Description": "Measure A", "Id": 2, "ExternalId": "", "VoteFor": 1, "NumOfRanks": 0},
        ],
    }
    candidates = {
        "Version": "5.10.50.85",
        "List": [
            {"Description": "Alice", "Id": 10, "ContestId": 1, "Type": "Regular"},
            {"Description": "Bob", "Id": 11, "ContestId": 1, "Type": "Regular"},
            {"Description": "Write-in", "Id": 12, "ContestId": 1, "Type": "WriteIn"},
            {"Description": "Yes", "Id": 20, "ContestId": 2, "Type": "Regular"},
            {"Description": "No", "Id": 21, "ContestId": 2, "Type": "Regular"},
        ],
    }
    groups = {"Version": "5.10.50.85", "List": [{"Description": "Election Day", "Id": 1}]}
    return {
        "ContestManifest.json": json.dumps(contests).encode(),
        "CandidateManifest.json": json.dumps(candidates).encode(),
        "CountingGroupManifest.json": json.dumps(groups).encode(),
    }


def test_5_10_multi_card_sessions_yield_every_card(shared_data: Path) -> None:
    cards = read_cvrs([dominion_dir(shared_data) / "test_5.10.50.85.Dominion.json"])
    assert len(cards) == 4, "3 sessions, the last with 2 cards: every card must be read"
    assert [c.card_id for c in cards] == ["12345", "23456", "34567", "45678"]
    last_two = [cards.card(2), cards.card(3)]
    assert {(c.batch, c.record_id) for c in last_two} == {("17", "X")}
    assert [c.sheet for c in last_two] == [0, 1]
    assert [c.contest for c in cards.card(3).contests] == ["Contest 19", "Contest 20"]
    assert cards.sources[0].version == "5.10.50.85"
    assert cards.sources[0].format == "dominion-json"
    assert len(cards.sources[0].sha256) == 64


def test_5_10_adjudicated_session_reads_the_current_interpretation(shared_data: Path) -> None:
    cards = read_cvrs([dominion_dir(shared_data) / "test_5.10.50.85.Dominion.json"])
    adjudicated = cards.card(1)
    assert adjudicated.precinct == "214" and adjudicated.ballot_style == "102"
    contest = adjudicated.contests[0]
    assert contest.marks == () and contest.undervotes == 1
    assert cards.card(3).contests[0].choices() == ("Candidate 27", "Candidate 26")
    assert cards.contests[cards.find_contest("19") or 0].ranks == 2


def test_5_2_flat_sessions_one_card_each(shared_data: Path) -> None:
    cards = read_cvrs([dominion_dir(shared_data) / "test_5.2.18.2.Dominion.json"])
    assert len(cards) == 2
    first, second = cards.card(0), cards.card(1)
    assert first.card_id == first.imprinted_id == "60001-1-1"
    assert (second.tabulator, second.batch, second.record_id) == ("60009", "3", "21")
    assert [c.contest for c in second.contests] == ["Contest 111", "Contest 122"]
    assert second.contests[1].choices() == ("Candidate 9",), "Modified (current) is read"
    assert cards.tallies() == {"Contest 111": {"Candidate 6": 2}, "Contest 122": {"Candidate 9": 1}}


def test_split_export_files_read_together(shared_data: Path) -> None:
    folder = dominion_dir(shared_data)
    split = read_cvrs([folder / "CvrExport_0.json", folder / "CvrExport_1.json"])
    whole = read_cvrs([folder / "test_5.10.50.85.Dominion.json"])
    assert [c.card_id for c in split] == ["12345", "23456"]
    assert [c.card_id for c in whole][:2] == [c.card_id for c in split]
    assert [s.path for s in split.sources] == [
        str(folder / "CvrExport_0.json"),
        str(folder / "CvrExport_1.json"),
    ]


def test_zip_of_many_files_with_manifests_names_everything(tmp_path: Path) -> None:
    archive = tmp_path / "CvrExport.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for n in range(3):
            sessions = [
                session(7, n + 1, r, [card(100 * n + r, [(1, [10 + r % 2]), (2, [20])])])
                for r in range(1, 5)
            ]
            out.writestr(f"CvrExport_{n}.json", export(sessions))
        for name, body in manifests().items():
            out.writestr(name, body)
        out.writestr("Images/ignored.png", b"\x89PNG")
    cards = read_cvrs([archive])
    assert len(cards) == 12
    assert cards.tallies() == {
        "Mayor": {"Alice": 6, "Bob": 6, "Write-in": 0},
        "Measure A": {"Yes": 12, "No": 0},
    }
    assert cards.card(0).counting_group == "Election Day"
    assert [c.is_write_in for c in cards.choices][:3] == [False, False, True]
    assert len(cards.sources) == 1 and cards.sources[0].format == "dominion-json"


def test_parallel_reading_equals_sequential(tmp_path: Path) -> None:
    files = []
    for n in range(10):
        path = tmp_path / f"CvrExport_{n}.json"
        sessions = [
            session(
                n,
                1,
                r,
                [card(1000 * n + 2 * r, [(1, [10])]), card(1000 * n + 2 * r + 1, [(2, [21])], 1)],
            )
            for r in range(1, 4)
        ]
        path.write_bytes(export(sessions))
        files.append(path)
    one = read_cvrs(files, workers=1)
    two = read_cvrs(files, workers=2)
    assert len(one) == len(two) == 60
    assert list(one) == list(two)
    assert one.tallies() == two.tallies()


def test_one_zip_with_manifests_read_in_parallel(tmp_path: Path) -> None:
    archive = tmp_path / "CvrExport.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for name, body in manifests().items():
            out.writestr(name, body)
        for n in range(12):
            sessions = [session(9, n, r, [card(10 * n + r, [(1, [10 + r % 3])])]) for r in range(5)]
            out.writestr(f"CvrExport_{n}.json", export(sessions))
    one = read_cvrs([archive], workers=1)
    two = read_cvrs([archive], workers=2)
    assert len(two) == 60 and list(one) == list(two)
    assert two.sources == one.sources
    assert [s.format for s in two.sources] == ["dominion-json"]
    assert two.tally("Mayor") == {"Alice": 24, "Bob": 24, "Write-in": 12}


def test_parallel_reading_reports_the_bad_file(tmp_path: Path) -> None:
    files = []
    for n in range(9):
        path = tmp_path / f"CvrExport_{n}.json"
        path.write_bytes(export([session(n, 1, 1, [card(n, [(1, [10])])])]))
        files.append(path)
    files[6].write_bytes(files[6].read_bytes()[:-20])
    with pytest.raises(InputFileError, match=r"CvrExport_6\.json.*truncated"):
        read_cvrs(files, workers=2)


def test_truncated_json_names_file_line_and_cause(tmp_path: Path) -> None:
    path = tmp_path / "CvrExport_3.json"
    path.write_bytes(
        json.dumps(
            json.loads(export([session(1, 1, 1, [card(5, [(1, [10])])])])), indent=2
        ).encode()[:300]
    )
    with pytest.raises(
        InputFileError,
        match=r"CvrExport_3\.json, row \d+: broken JSON at line \d+, column \d+: .*truncated",
    ):
        read_cvrs([path])


def test_missing_key_names_session_and_key(tmp_path: Path) -> None:
    sessions = [session(1, 1, 1, [card(5, [(1, [10])])]), session(1, 1, 2, [card(6, [(1, [11])])])]
    del sessions[1]["BatchId"]
    path = tmp_path / "CvrExport_0.json"
    path.write_bytes(export(sessions))
    with pytest.raises(InputFileError) as error:
        read_cvrs([path])
    message = str(error.value)
    assert "CvrExport_0.json" in message and "column 'BatchId'" in message
    assert "session 2 (TabulatorId 1, RecordId 2)" in message
    assert "keys found there: TabulatorId, RecordId, CountingGroupId, Original" in message


def test_card_with_the_same_contest_twice_is_refused(tmp_path: Path) -> None:
    sessions = [
        session(1, 4, 1, [card(5, [(1, [10])])]),
        session(1, 4, 2, [card(6, [(1, [10])]), card(7, [(1, [10]), (2, [20]), (1, [11])], 1)]),
    ]
    path = tmp_path / "CvrExport_0.json"
    path.write_bytes(export(sessions))
    with pytest.raises(
        InputFileError,
        match=(
            r"CvrExport_0\.json, column 'Contests': session 2 \(TabulatorId 1, BatchId 4, "
            r"RecordId 2\): the card lists contest '1' more than once"
        ),
    ):
        read_cvrs([path])


def test_session_with_neither_cards_nor_contests_is_refused(tmp_path: Path) -> None:
    bad = session(1, 1, 1, [])
    del bad["Original"]["Cards"]
    path = tmp_path / "CvrExport_0.json"
    path.write_bytes(export([bad]))
    with pytest.raises(InputFileError, match=r"session 1 .*neither 'Cards' nor 'Contests'"):
        read_cvrs([path])


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "CvrExport_0.json"
    path.write_bytes(b"")
    with pytest.raises(InputFileError, match=r"CvrExport_0\.json: the file is empty"):
        read_cvrs([path])


def test_manifest_alone_is_not_cvrs(tmp_path: Path) -> None:
    path = tmp_path / "ContestManifest.json"
    path.write_bytes(manifests()["ContestManifest.json"])
    assert detect(InputPart(path, path)).format is CvrFormat.DOMINION_MANIFEST
    with pytest.raises(InputFileError, match="no cast vote record file"):
        read_cvrs([path])


def test_dominion_csv_export(shared_data: Path) -> None:
    path = shared_data / "arlo-small-election" / "Kendall Park - cvrs.csv"
    cards = read_cvrs([path], name="Kendall Park")
    assert len(cards) == 500
    assert cards.sources[0].format == "dominion-csv" and cards.sources[0].version == "5.2.16.1"
    first = cards.card(0)
    assert (first.card_id, first.tabulator, first.batch, first.record_id) == (
        "0",
        "Tabulator A",
        "Batch 1",
        "1",
    )
    assert first.imprinted_id == "Tabulator A-Batch 1-1" and first.counting_group == "Election Day"
    assert [c.contest for c in first.contests] == ["Secretary of Treasure"], (
        "empty cells: not on card"
    )
    overvoted = cards.card(18).contest("Master of Magic")
    assert overvoted is not None and overvoted.overvotes == 1 and len(overvoted.marks) == 5
    assert cards.tally("Secretary of Treasure") == {
        "Denny Vargas": 450,
        "Jackie Sweet": 20,
        "Emerson Thornton": 0,
    }


def test_dominion_excel_export_with_ranked_contests(shared_data: Path) -> None:
    cards = read_cvrs([dominion_dir(shared_data) / "cvr-export-sample.xlsx"])
    assert len(cards) == 19
    assert cards.card(0).imprinted_id == "99808-81-1"
    assert cards.card(0).counting_group == "Vote by Mail"
    mayor = cards.contests[cards.find_contest("MAYOR") or 0]
    assert (mayor.ranks, mayor.votes_allowed) == (6, 1)
    assert [cards.choices[c].name for c in mayor.choices][:2] == ["JOEL VENTRESCA", "WILMA PANG"]
    attorney = cards.contests[cards.find_contest("CITY ATTORNEY") or 0]
    assert [cards.choices[c].name for c in attorney.choices] == [
        "DENNIS J. HERRERA",
        "Write-in",
        "Write-in 2",
    ]


DOMINION_CSV = """Test Election,5.2.16.1,,,,,,,,,
,,,,,,,,Mayor (Vote For=1),Mayor (Vote For=1),Council (Vote For=2)
,,,,,,,,Alice,Bob,Carol
CvrNumber,TabulatorNum,BatchId,RecordId,ImprintedId,CountingGroup,PrecinctPortion,BallotType,,,
1,T1,B1,1,T1-B1-1,Mail,P1,S1,1,0,1
2,T1,B1,2,T1-B1-2,Mail,P1,S1,0,1,0
"""


def test_dominion_csv_missing_column_names_it(tmp_path: Path) -> None:
    path = tmp_path / "cvrs.csv"
    path.write_text(DOMINION_CSV.replace("BatchId", "Batch"))
    with pytest.raises(
        InputFileError,
        match=(
            r"cvrs\.csv, row 4, column 'BatchId': missing column 'BatchId' "
            r"\(did you mean 'Batch'\?\); columns found: 'CvrNumber', 'TabulatorNum', 'Batch'"
        ),
    ):
        read_cvrs([path])


def test_dominion_csv_bad_vote_cell_names_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "cvrs.csv"
    path.write_text(
        DOMINION_CSV.replace(
            "2,T1,B1,2,T1-B1-2,Mail,P1,S1,0,1,0", "2,T1,B1,2,T1-B1-2,Mail,P1,S1,0,x,0"
        )
    )
    with pytest.raises(
        InputFileError, match=r"cvrs\.csv, row 6, column 'Mayor / Bob': vote cell holds 'x'"
    ):
        read_cvrs([path])


def test_dominion_csv_reads_vote_for_two(tmp_path: Path) -> None:
    path = tmp_path / "cvrs.csv"
    path.write_text(DOMINION_CSV)
    cards = read_cvrs([path])
    assert cards.tallies() == {"Mayor": {"Alice": 1, "Bob": 1}, "Council": {"Carol": 1}}
    council = cards.card(1).contest("Council")
    assert council is not None and council.undervotes == 2


def test_dominion_csv_in_windows_1252_keeps_accents(tmp_path: Path) -> None:
    path = tmp_path / "cvrs.csv"
    path.write_bytes(DOMINION_CSV.replace("Carol", "José").encode("cp1252"))
    cards = read_cvrs([path])
    assert cards.tally("Council") == {"José": 1}


def test_the_same_file_twice_is_refused(shared_data: Path, tmp_path: Path) -> None:
    original = dominion_dir(shared_data) / "test_5.2.18.2.Dominion.json"
    copy = tmp_path / "copy.json"
    copy.write_bytes(original.read_bytes())
    with pytest.raises(InputFileError, match=r"copy\.json: this file has the same content"):
        read_cvrs([original, copy])


def test_candidate_in_the_wrong_contest_contradicts_the_manifest(tmp_path: Path) -> None:
    archive = tmp_path / "CvrExport.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for name, body in manifests().items():
            out.writestr(name, body)
        sessions = [
            session(7, 1, 1, [card(1, [(1, [10])])]),
            session(7, 1, 2, [card(2, [(2, [10])])]),
        ]
        out.writestr("CvrExport_0.json", export(sessions))
    with pytest.raises(
        InputFileError,
        match=r"CvrExport\.zip!CvrExport_0\.json, column 'CandidateId': session 2 .*: candidate 10 "
        r"\('Alice'\) is marked in contest 2, but CandidateManifest\.json puts it in contest 1",
    ):
        read_cvrs([archive])
