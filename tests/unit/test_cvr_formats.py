"""ES&S, Hart, Clear Ballot, NIST SP 1500-103 and generic CVRs; detection of unknown layouts."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from papertally.errors import InputFileError
from papertally.io.cvr import CvrFormat, read_cvrs
from papertally.io.cvr.common import InputPart
from papertally.io.cvr.detect import detect
from papertally.io.nist_err import read_err_totals

# Written for these tests after the published ES&S layout (one column per contest, choice
# names in cells; a "Ballots" export with a preamble and a ten-digit "Tabulator CVR").
ESS_CVR = """Cast Vote Record,Precinct,Ballot Style,Mayor,Council,Council
1,P1,BS1,Alice,Carol,Dan
2,P1,BS1,Bob,Carol,undervote
3,P2,BS2,overvote,Dan,undervote
4,P2,BS2,undervote,,
"""
ESS_HEADER = (
    "Cast Vote Record,Batch,Ballot Status,Original Ballot Exception,Remaining Ballot Exception,"
    "Write-in Type,Results Report,Reporting Group,Tabulator CVR,Precinct ID"
)
ESS_BALLOTS = f"""Ballots,,,,,,,,,
GEN2024,,,,,,,,,
"Test County,Test State",,,,,,,,,
"November 5, 2024",,,,,,,,,
,,,,,,,,,
{ESS_HEADER}
1,BATCH1,Not Reviewed,,,,N,Election Day,0001000001,P1
2,BATCH1,Not Reviewed,,,,N,Election Day,0001000002,P1
3,BATCH2,Not Reviewed,Overvote,,,N,Absentee,0002000001,P2
4,BATCH2,Not Reviewed,Undervote,,,N,Absentee,0002000002,P2
Total : 4,,,,,,,,,
"""

CLEAR_BALLOT = (
    "RowNumber,BoxID,BoxPosition,BallotID,PrecinctID,BallotStyleID,PrecinctStyleName,"
    "ScanComputerName,Status,Remade,"
    "Choice_1_1:Mayor:Vote For 1:Alice:DEM,Choice_2_1:Mayor:Vote For 1:Bob:REP,"
    "Choice_3_1:Measure A:Vote For 1:Yes:,Choice_4_1:Measure A:Vote For 1:No:\n"
    "1,BOX1,1,1-1-1,P1,S1,PS1,SCAN1,s,r,1,0,1,0\n"
    "2,BOX1,2,1-1-2,P1,S1,PS1,SCAN1,s,r,1,1,0,1\n"
    "3,BOX2,1,1-2-1,P2,S2,PS2,SCAN2,s,r,,,0,1\n"
)

GENERIC = (
    "Card ID,Tabulator,Batch,Record ID,Imprinted ID,Counting Group,Sheet,"
    "Mayor (Vote For=1) | Alice,Mayor (Vote For=1) | Bob,Council (Ranks=3) | Carol,"
    "Council (Ranks=3) | Dan,Council (Ranks=3) | Eve\n"
    "c1,T1,B1,1,T1-B1-1,Mail,1,1,0,2,1,0\n"
    "c2,T1,B1,2,T1-B1-2,Mail,1,0,1,1,0,2\n"
    "c3,T1,B2,1,T1-B2-1,In person,1,,,3,1,2\n"
)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_ess_cvr_with_ballots_file(tmp_path: Path) -> None:
    cards = read_cvrs(
        [write(tmp_path, "cvr.csv", ESS_CVR), write(tmp_path, "ballots.csv", ESS_BALLOTS)]
    )
    assert len(cards) == 4
    assert sorted(s.format for s in cards.sources) == ["ess-ballots", "ess-cvr"]
    first = cards.card(0)
    assert (first.tabulator, first.batch, first.record_id, first.imprinted_id) == (
        "0001",
        "BATCH1",
        "000001",
        "0001000001",
    )
    assert (first.precinct, first.ballot_style, first.counting_group) == (
        "P1",
        "BS1",
        "Election Day",
    )
    assert cards.tallies() == {"Mayor": {"Alice": 1, "Bob": 1}, "Council": {"Carol": 2, "Dan": 2}}
    overvoted = cards.card(2).contest("Mayor")
    assert overvoted is not None and (overvoted.overvotes, overvoted.marks) == (1, ())
    assert cards.card(3).contest("Council") is None
    assert cards.batch_counts() == {("0001", "BATCH1"): 2, ("0002", "BATCH2"): 2}


def test_ess_cvr_needs_its_ballots_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="needs its Ballots file"):
        read_cvrs([write(tmp_path, "cvr.csv", ESS_CVR)])


def test_ess_record_missing_from_either_file_is_named(tmp_path: Path) -> None:
    ballots = write(
        tmp_path,
        "ballots.csv",
        ESS_BALLOTS.replace("4,BATCH2,Not Reviewed,Undervote,,,N,Absentee,0002000002,P2\n", ""),
    )
    with pytest.raises(
        InputFileError,
        match=r"cvr\.csv, row 5, column 'Cast Vote Record': cast vote record 4 is in no Ballots",
    ):
        read_cvrs([write(tmp_path, "cvr.csv", ESS_CVR), ballots])
    cvr = write(tmp_path, "cvr.csv", ESS_CVR.replace("4,P2,BS2,undervote,,\n", ""))
    with pytest.raises(
        InputFileError,
        match=r"1 cast vote record\(s\) of the Ballots files have no row in this CVR file, "
        r"the first 4 \(ballots\.csv, row 10\)",
    ):
        read_cvrs([cvr, write(tmp_path, "ballots.csv", ESS_BALLOTS)])


def test_ess_stripped_tabulator_cvr_is_refused(tmp_path: Path) -> None:
    ballots = write(tmp_path, "ballots.csv", ESS_BALLOTS.replace("0002000001", "2000001"))
    with pytest.raises(
        InputFileError,
        match=r"ballots\.csv, row 9, column 'Tabulator CVR': Tabulator CVR should be ten digits "
        r".* got '2000001' for cast vote record 3",
    ):
        read_cvrs([write(tmp_path, "cvr.csv", ESS_CVR), ballots])


def test_hart_samples(shared_data: Path) -> None:
    folder = shared_data / "cvr" / "hart"
    cards = read_cvrs([folder / "test_Hart_CVR_1.xml", folder / "test_Hart_CVR_2.xml"])
    assert len(cards) == 2
    assert cards.sources[0].version == "http://tempuri.org/CVRDesign.xsd"
    first = cards.card(0)
    assert (first.card_id, first.batch, first.record_id, first.sheet, first.precinct) == (
        "0a7EqyblZ6CMFQbkN0kkRykS5w40Wg8q",
        "2280",
        "1",
        2,
        "68059",
    )
    assert cards.card(1).sheet == 3
    assert cards.tallies() == {
        "PRESIDENT": {"George Washington": 2},
        "GOVERNOR": {},
        "MAYOR": {"Write-In": 2},
    }
    governor = first.contest("GOVERNOR")
    assert governor is not None and governor.undervotes == 1
    assert cards.choices[
        cards.choice_code(cards.find_contest("MAYOR") or 0, "Write-In")
    ].is_write_in


def test_hart_zip_per_tabulator_and_scanned_ballot_information(
    shared_data: Path, tmp_path: Path
) -> None:
    sample = (shared_data / "cvr" / "hart" / "test_Hart_CVR_1.xml").read_text()
    archive = tmp_path / "Scanner 7.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("a.xml", sample)
        out.writestr(
            "b.xml",
            sample.replace("0a7EqyblZ6CMFQbkN0kkRykS5w40Wg8q", "guid-2").replace(
                ">1</BatchSequence", ">2</BatchSequence"
            ),
        )
        out.writestr("WriteIn/image.png", b"\x89PNG")
    cards = read_cvrs([archive])
    assert [c.tabulator for c in cards] == ["Scanner 7", "Scanner 7"]
    assert [c.record_id for c in cards] == ["1", "2"]
    info = write(
        tmp_path,
        "scanned.csv",
        "#FormatVersion 1\n#CvrId,UniqueIdentifier,Workstation\nguid-2,U-0002,WS-3\n",
    )
    cards = read_cvrs([archive, info])
    assert (cards.card(1).tabulator, cards.card(1).imprinted_id) == ("WS-3", "U-0002")
    assert cards.card(0).tabulator == "Scanner 7"


def test_hart_bad_files(shared_data: Path, tmp_path: Path) -> None:
    sample = (shared_data / "cvr" / "hart" / "test_Hart_CVR_1.xml").read_text()
    with pytest.raises(
        InputFileError, match=r"cut\.xml, row \d+: broken XML at line \d+, column \d+: .*truncated"
    ):
        read_cvrs([write(tmp_path, "cut.xml", sample[: len(sample) // 2])])
    with pytest.raises(
        InputFileError,
        match=r"nobatch\.xml, column 'BatchNumber': missing element 'BatchNumber'; "
        r"elements found: Contests, BatchSequence",
    ):
        read_cvrs(
            [write(tmp_path, "nobatch.xml", sample.replace("<BatchNumber>2280</BatchNumber>", ""))]
        )
    doubled = sample.replace("<Name>MAYOR</Name>", "<Name>PRESIDENT</Name>")
    with pytest.raises(
        InputFileError,
        match=r"twice\.xml, column 'Contest': card 0a7E.*: the card lists contest 'PRESIDENT' "
        r"more than once",
    ):
        read_cvrs([write(tmp_path, "twice.xml", doubled)])


def test_clear_ballot(tmp_path: Path) -> None:
    cards = read_cvrs([write(tmp_path, "cb.csv", CLEAR_BALLOT)])
    assert cards.sources[0].format == "clear-ballot-csv"
    first = cards.card(0)
    assert (first.card_id, first.tabulator, first.batch, first.record_id) == (
        "1-1-1",
        "SCAN1",
        "BOX1",
        "1",
    )
    assert cards.tallies() == {"Mayor": {"Alice": 1, "Bob": 0}, "Measure A": {"Yes": 1, "No": 2}}
    assert cards.card(1).contest("Mayor") is not None
    assert cards.card(2).contest("Mayor") is None
    assert cards.choices[0].party == "DEM"


def test_clear_ballot_missing_column(tmp_path: Path) -> None:
    with pytest.raises(
        InputFileError, match=r"cb\.csv, row 1, column 'BoxPosition': missing column 'BoxPosition'"
    ):
        read_cvrs([write(tmp_path, "cb.csv", CLEAR_BALLOT.replace("BoxPosition", "Position"))])


def test_generic_csv(tmp_path: Path) -> None:
    cards = read_cvrs([write(tmp_path, "generic.csv", GENERIC)])
    assert len(cards) == 3
    council = cards.contests[cards.find_contest("Council") or 0]
    assert council.ranks == 3
    assert cards.card(0).contest("Council") is not None
    assert cards.card(0).contests[1].choices() == ("Dan", "Carol")
    assert cards.tallies() == {
        "Mayor": {"Alice": 1, "Bob": 1},
        "Council": {"Carol": 1, "Dan": 2, "Eve": 0},
    }
    assert cards.card(2).counting_group == "In person" and cards.card(2).sheet == 1


def test_generic_csv_missing_column_and_bad_cell(tmp_path: Path) -> None:
    with pytest.raises(
        InputFileError, match=r"generic\.csv, row 1, column 'Batch': missing column 'Batch'"
    ):
        read_cvrs([write(tmp_path, "generic.csv", GENERIC.replace(",Batch,", ",Box,"))])
    with pytest.raises(
        InputFileError, match=r"row 3, column 'Mayor \(Vote For=1\) \| Bob': vote cell holds '2'"
    ):
        read_cvrs(
            [
                write(
                    tmp_path,
                    "generic.csv",
                    GENERIC.replace(
                        "c2,T1,B1,2,T1-B1-2,Mail,1,0,1", "c2,T1,B1,2,T1-B1-2,Mail,1,0,2"
                    ),
                )
            ]
        )


@pytest.mark.parametrize("cvr_file", ["cvr-gen-03.json", "cvr-gen-03.xml"])
@pytest.mark.parametrize("err_file", ["err-gen-03.json", "err-gen-03.xml"])
def test_nist_round_trip_cvr_tally_equals_err_totals(
    shared_data: Path, cvr_file: str, err_file: str
) -> None:
    cards = read_cvrs([shared_data / "nist" / cvr_file])
    totals = read_err_totals(shared_data / "nist" / err_file)
    assert len(cards) == 20
    assert totals.scope == "ru-county-3"
    assert cards.tallies() == totals.votes
    assert cards.tally("President of the United States") == {
        "Arthur Kumar": 10,
        "Brian Getz": 9,
        "Write-in": 1,
    }
    by_id = {
        cards.contests[code].key: {
            cards.choices[c].key: int(n)
            for c in cards.contests[code].choices
            for n in [cards.choice_totals()[c]]
        }
        for code in range(len(cards.contests))
    }
    assert by_id == totals.votes_by_id


def test_nist_cvr_fields(shared_data: Path) -> None:
    cards = read_cvrs([shared_data / "nist" / "cvr-gen-03.xml"])
    first = cards.card(0)
    assert (
        first.card_id,
        first.imprinted_id,
        first.ballot_style,
        first.precinct,
        first.tabulator,
    ) == (
        "b-1-prec-fs-23",
        "b-1-prec-fs-23",
        "Fire Station 23",
        "prec-fs-23",
        "rd",
    )
    assert len(read_cvrs([shared_data / "nist" / "cvr-gen-01.json"])) == 40


def test_nist_files_that_are_not_cvrs_are_refused(shared_data: Path) -> None:
    with pytest.raises(InputFileError, match=r"JSON schema .*not cast vote records"):
        read_cvrs([shared_data / "nist" / "NIST_V0_cast_vote_records.json"])
    with pytest.raises(InputFileError, match=r"election results report .*not cast vote records"):
        read_cvrs([shared_data / "nist" / "err-gen-03.xml"])


def test_nist_truncated_xml_and_duplicate_contest(shared_data: Path, tmp_path: Path) -> None:
    text = (shared_data / "nist" / "cvr-gen-03.xml").read_text()
    with pytest.raises(
        InputFileError, match=r"cvr\.xml, row \d+: broken XML at line \d+, column \d+"
    ):
        read_cvrs([write(tmp_path, "cvr.xml", text[: len(text) // 3])])
    doubled = text.replace(
        "<cdf:ContestId>cc-senate</cdf:ContestId>", "<cdf:ContestId>cc-president</cdf:ContestId>", 1
    )
    with pytest.raises(
        InputFileError,
        match=r"dup\.xml, column 'CVRContest': CVR 1 \(BallotPrePrintedId 'b-1-prec-fs-23'\): "
        r"the card lists contest 'cc-president' more than once",
    ):
        read_cvrs([write(tmp_path, "dup.xml", doubled)])


def test_nist_truncated_json(shared_data: Path, tmp_path: Path) -> None:
    text = (shared_data / "nist" / "cvr-gen-03.json").read_text()
    with pytest.raises(InputFileError, match=r"cvr\.json, row \d+: broken JSON at line \d+"):
        read_cvrs([write(tmp_path, "cvr.json", text[: len(text) // 2])])


def test_unknown_layouts_are_refused_with_what_was_found(tmp_path: Path) -> None:
    with pytest.raises(
        InputFileError,
        match=(
            r"votes\.csv, row 1: unknown CSV layout: first-row columns found 'Ballot', 'Votes'; "
            r"expected one of: Dominion JSON"
        ),
    ):
        read_cvrs([write(tmp_path, "votes.csv", "Ballot,Votes\n1,2\n")])
    with pytest.raises(InputFileError, match=r"unknown JSON layout: keys found 'ballots', 'id'"):
        read_cvrs([write(tmp_path, "x.json", '{"ballots": [{"id": 1}]}')])
    with pytest.raises(InputFileError, match=r"unknown XML layout: root element 'Ballots'"):
        read_cvrs([write(tmp_path, "x.xml", "<?xml version='1.0'?><Ballots/>")])


def test_detection_reads_content_not_names(shared_data: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "whatever.txt"
    renamed.write_bytes(
        (shared_data / "cvr" / "dominion" / "test_5.2.18.2.Dominion.json").read_bytes()
    )
    detected = detect(InputPart(renamed, renamed))
    assert (detected.format, detected.version) == (CvrFormat.DOMINION_JSON, "5.2.18.2")
    assert len(read_cvrs([renamed])) == 2


def test_the_documented_generic_example_reads(tmp_path: Path) -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "cvr-formats.md"
    example = docs.read_text().split("```csv\n", 1)[1].split("```", 1)[0]
    cards = read_cvrs([write(tmp_path, "example.csv", example)])
    assert len(cards) == 2
    assert cards.tallies() == {"Mayor": {"Alice": 1, "Bob": 1}, "Council": {"Carol": 0, "Dan": 1}}
    assert cards.card(1).contest("Council") is None


def test_ess_second_ballots_layout_and_missing_column(tmp_path: Path) -> None:
    ballots = (
        "Cast Vote Record,Batch,Ballot Status,Reporting Group,Tabulator CVR,Machine\n"
        "1,BATCH1,Not Reviewed,Election Day,02bc1dc7bc1e7774,0001\n"
        "2,BATCH1,Not Reviewed,Election Day,039b31b93d9a8099,0001\n"
        "3,BATCH2,Not Reviewed,Mail,06348ce7b6d146d2,0002\n"
        "4,BATCH2,Not Reviewed,Mail,09809965339bad95,0002\n"
    )
    cvr = write(tmp_path, "cvr.csv", ESS_CVR)
    cards = read_cvrs([cvr, write(tmp_path, "ballots.csv", ballots)])
    third = cards.card(2)
    assert (third.tabulator, third.batch, third.record_id) == ("0002", "BATCH2", "3")
    assert (third.imprinted_id, third.counting_group) == ("06348ce7b6d146d2", "Mail")
    no_batch = write(tmp_path, "ballots.csv", ballots.replace(",Batch,", ",Box,"))
    with pytest.raises(
        InputFileError, match=r"ballots\.csv, row 1, column 'Batch': missing column 'Batch'"
    ):
        read_cvrs([cvr, no_batch])


def test_hart_without_namespace_reads_the_same(shared_data: Path, tmp_path: Path) -> None:
    sample = (shared_data / "cvr" / "hart" / "test_Hart_CVR_1.xml").read_text()
    plain = write(
        tmp_path, "plain.xml", sample.replace(' xmlns="http://tempuri.org/CVRDesign.xsd"', "")
    )
    with_namespace = read_cvrs([shared_data / "cvr" / "hart" / "test_Hart_CVR_1.xml"])
    without = read_cvrs([plain])
    assert without.sources[0].version is None
    assert without.card(0).contests == with_namespace.card(0).contests
    assert without.card(0).card_id == with_namespace.card(0).card_id


def test_hart_folder_of_tabulator_folders(shared_data: Path, tmp_path: Path) -> None:
    sample = (shared_data / "cvr" / "hart" / "test_Hart_CVR_1.xml").read_text()
    for tabulator in ("Scanner 1", "Scanner 2"):
        folder = tmp_path / "export" / tabulator
        folder.mkdir(parents=True)
        write(folder, "card.xml", sample.replace("0a7EqyblZ6CMFQbkN0kkRykS5w40Wg8q", tabulator))
    cards = read_cvrs([tmp_path / "export"])
    assert [(c.tabulator, c.card_id) for c in cards] == [
        ("Scanner 1", "Scanner 1"),
        ("Scanner 2", "Scanner 2"),
    ]
    assert cards.batch_counts() == {("Scanner 1", "2280"): 1, ("Scanner 2", "2280"): 1}
