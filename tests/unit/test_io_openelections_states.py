"""OpenElections CSV as the project publishes it across states (issue 11): real files and the
variants each state's files show, written small."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from papertally.errors import InputFileError
from papertally.io import OPENELECTIONS_FORMAT, read_results, read_results_file
from papertally.io.tables import HEAD_BYTES
from papertally.model import ReportingUnitType
from papertally.model.results import BALLOTS_CAST, OVER_VOTES, REGISTERED_VOTERS, UNDER_VOTES

OH = "openelections/oh"
GA = "openelections/ga"
CANVASS = "original canvass"


def write(
    folder: Path, text: str, name: str = "20200602__pa__primary__adams__precinct.csv"
) -> Path:
    """Write ``text`` (bytes as given, no newline translation) and return its path."""
    path = folder / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_ohio_2016_county_file_with_mac_line_ends(shared_data: Path) -> None:
    path = shared_data / OH / "20161108__oh__general.csv"
    assert b"\r\n" not in path.read_bytes()[:2000] and b"\r" in path.read_bytes()[:2000]
    result = read_results_file(path)
    election = result.election
    assert result.formats == [OPENELECTIONS_FORMAT]
    assert len(election.counties()) == 88
    assert {u.type for u in election.units.values()} == {ReportingUnitType.COUNTY}
    president = election.count("President", CANVASS)
    assert len(president.units) == 88
    totals = president.totals()
    assert (totals["Donald J. Trump"], totals["Hillary Clinton"]) == (2_841_005, 2_394_164)
    assert (totals["Gary Johnson"], totals["Jill Stein"]) == (174_498, 46_271)
    assert result.warnings == []


def test_ohio_2018_special_precincts_with_statistics_rows(shared_data: Path) -> None:
    result = read_results_file(shared_data / OH / "20180807__oh__special__general__precinct.csv")
    election = result.election
    assert list(election.contests) == ["U.S. House District 12"]
    house = election.count("U.S. House District 12", CANVASS)
    assert len(house.units) == 591
    assert house.totals() == {
        "Troy Balderson": 104_328,
        "Danny O'Connor": 102_648,
        "Joe Manchik": 1_165,
    }
    assert set(election.contests["U.S. House District 12"].choice_names()) == set(house.totals())
    assert len(election.unit_statistics) == 591
    first = election.unit_statistics["Delaware|PRECINCT COLUMBUS CITY A"]
    assert first == {REGISTERED_VOTERS: 633, BALLOTS_CAST: 216}
    assert house.units["Delaware|PRECINCT COLUMBUS CITY A"].ballots_cast == 216
    assert all(t.ballots_cast is not None for t in house.units.values())
    assert result.warnings == []


def test_ohio_2020_county_file_with_extra_columns(shared_data: Path) -> None:
    path = shared_data / OH / "20201103__oh__general__county.csv"
    result = read_results_file(path)
    election = result.election
    assert len(election.units) == 88
    expected: dict[str, int] = {}
    with path.open(newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            district = row["district"]
            name = f"{row['office']} District {district}" if district else row["office"]
            expected[name] = expected.get(name, 0) + int(row["votes"].replace(",", ""))
    assert {c.contest: c.total_votes for c in election.counts} == expected
    assert result.warnings == []


def ga_county_rows(folder: Path) -> tuple[dict[str, int], dict[str, int]]:
    """Return per party the votes of the total rows and of the precinct rows, from the files."""
    totals: dict[str, int] = {}
    precincts: dict[str, int] = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as stream:
            for row in csv.DictReader(stream):
                if row["office"] != "President":
                    continue
                into = totals if not row["precinct"] else precincts
                into[row["party"]] = into.get(row["party"], 0) + int(row["votes"])
    return totals, precincts


def test_georgia_primary_folder_merges_counties_splits_parties_and_checks_totals(
    shared_data: Path,
) -> None:
    folder = shared_data / GA
    result = read_results([folder])
    election = result.election
    assert len(result.files) == 10
    assert len(election.counties()) == 10
    assert {"President (REP)", "President (DEM)"} <= set(election.contests)
    assert "President" not in election.contests
    stated, precincts = ga_county_rows(folder)
    assert stated == precincts
    for party in ("REP", "DEM"):
        count = election.count(f"President ({party})", CANVASS)
        assert count.total_votes == stated[party]
    assert all(u.name for u in election.units.values())
    assert result.warnings == []
    rep = election.count("President (REP)", CANVASS)
    appling = rep.units["Appling|1B"]
    assert appling.votes["JEB BUSH"] == 5
    assert {k: v["JEB BUSH"] for k, v in appling.by_type.items()} == {
        "absentee by mail": 1,
        "election day": 3,
        "advance in person": 1,
        "provisional": 0,
    }


def test_georgia_total_row_that_disagrees_is_a_warning(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / GA / "20160301__ga__primary__president__appling__precinct.csv"
    text = source.read_text(encoding="utf-8").replace(
        "Appling,,President,,REP,JEB BUSH,32,", "Appling,,President,,REP,JEB BUSH,33,", 1
    )
    path = write(tmp_path, text, source.name)
    result = read_results_file(path)
    assert len(result.warnings) == 1
    warning = result.warnings[0]
    assert (warning.location.row, warning.location.column) == (2, "votes")
    assert "says 33 for 'JEB BUSH'" in warning.message and "add up to 32" in warning.message
    assert result.election.count("President (REP)", CANVASS).totals()["JEB BUSH"] == 32


HEADER = "county,precinct,office,district,party,candidate,votes\r\n"


def test_pennsylvania_statistics_rows_are_not_candidates(tmp_path: Path) -> None:
    text = (
        HEADER
        + "Adams,Abbottstown,Registered Voters,,,,812\r\n"
        + "Adams,Abbottstown,Ballots Cast,,,,601\r\n"
        + "Adams,Abbottstown,President,,DEM,Joe Biden,201\r\n"
        + "Adams,Abbottstown,President,,DEM,Under Votes,7\r\n"
        + "Adams,Abbottstown,President,,DEM,Over Votes,1\r\n"
        + "Adams,Berwick,President,,DEM,Joe Biden,99\r\n"
    )
    result = read_results_file(write(tmp_path, text))
    election = result.election
    assert list(election.contests) == ["President (DEM)"]
    assert election.contests["President (DEM)"].choice_names() == ["Joe Biden"]
    count = election.count("President (DEM)", CANVASS)
    assert count.totals() == {"Joe Biden": 300}
    tally = count.units["Adams|Abbottstown"]
    assert tally.statistics == {UNDER_VOTES: 7, OVER_VOTES: 1}
    assert tally.ballots_cast == 601
    assert election.unit_statistics == {
        "Adams|Abbottstown": {REGISTERED_VOTERS: 812, BALLOTS_CAST: 601}
    }
    assert count.units["Adams|Berwick"].ballots_cast is None


def test_michigan_split_names_and_new_hampshire_towns(tmp_path: Path) -> None:
    michigan = (
        "county,precinct,office,district,party,first_name,middle_name,last_name,votes\n"
        "Alcona,Alcona Township,State House,106,REP,Sue,A.,Allor,510\n"
        "Alcona,Alcona Township,State House,106,DEM,Ken,,Hubbard,220\n"
    )
    result = read_results_file(write(tmp_path, michigan, "20161108__mi__general.csv"))
    count = result.election.count("State House District 106", CANVASS)
    assert count.totals() == {"Sue A. Allor": 510, "Ken Hubbard": 220}
    hampshire = (
        "town,office,district,party,candidate,votes\n"
        "Acworth,Governor,,R,Chris Sununu,300\n"
        "Albany,Governor,,R,Chris Sununu,250\n"
    )
    result = read_results_file(write(tmp_path, hampshire, "20161108__nh__general.csv"))
    units = list(result.election.units.values())
    assert [(u.name, u.municipality, u.type) for u in units] == [
        ("Acworth", "Acworth", ReportingUnitType.MUNICIPALITY),
        ("Albany", "Albany", ReportingUnitType.MUNICIPALITY),
    ]


def test_empty_votes_cells_are_a_counted_warning_never_zero(tmp_path: Path) -> None:
    text = (
        "county,precinct,office,district,party,candidate,votes\n"
        "Adams,P1,Governor,,R,Ann Lee,10\n"
        "Adams,P1,Governor,,D,Bo Diaz,\n"
        "Adams,P2,Governor,,R,Ann Lee,\n"
        "Adams,P2,Governor,,D,Bo Diaz,4\n"
    )
    result = read_results_file(write(tmp_path, text, "20181106__xx__general.csv"))
    count = result.election.count("Governor", CANVASS)
    assert count.units["Adams|P1"].votes == {"Ann Lee": 10}
    assert count.units["Adams|P2"].votes == {"Bo Diaz": 4}
    assert [w.message for w in result.warnings] == [
        "2 row(s) have an empty votes cell (rows 3, 4); they are left out, not counted as zero"
    ]
    assert result.warnings[0].location.row == 3


def test_candidate_spellings_differing_in_case_or_spacing_are_merged(tmp_path: Path) -> None:
    text = (
        "county,precinct,office,district,party,candidate,votes\n"
        "Adams,P1,Governor,,R,Ann  Lee,10\n"
        "Adams,P2,Governor,,R,ANN LEE,5\n"
        "Adams,P2,Governor,,D,Bo Diaz,4\n"
    )
    result = read_results_file(write(tmp_path, text, "20181106__xx__general.csv"))
    election = result.election
    assert election.contests["Governor"].choice_names() == ["Ann Lee", "Bo Diaz"]
    assert election.count("Governor", CANVASS).totals() == {"Ann Lee": 15, "Bo Diaz": 4}
    assert len(result.warnings) == 1
    assert "'Ann Lee' = 'ANN LEE'" in result.warnings[0].message


def test_vote_types_that_do_not_add_up_are_a_warning(tmp_path: Path) -> None:
    text = (
        "county,precinct,office,party,candidate,votes,absentee,election_day,early_voting\n"
        "Adams,P1,Governor,R,Ann Lee,10,1,6,3\n"
        "Adams,P1,Governor,D,Bo Diaz,9,1,6,3\n"
    )
    result = read_results_file(write(tmp_path, text, "20181106__xx__general.csv"))
    tally = result.election.count("Governor", CANVASS).units["Adams|P1"]
    assert tally.by_type == {
        "absentee": {"Ann Lee": 1, "Bo Diaz": 1},
        "election day": {"Ann Lee": 6, "Bo Diaz": 6},
        "early": {"Ann Lee": 3, "Bo Diaz": 3},
    }
    assert [(w.location.row, w.location.column) for w in result.warnings] == [(3, "votes")]
    assert "add up to 10 (Bo Diaz)" in result.warnings[0].message


def test_general_election_keeps_parties_in_one_contest(tmp_path: Path) -> None:
    text = (
        HEADER + "Adams,P1,President,,DEM,Joe Biden,3\r\nAdams,P1,President,,REP,Donald Trump,4\r\n"
    )
    result = read_results_file(write(tmp_path, text, "20201103__pa__general__adams.csv"))
    assert list(result.election.contests) == ["President"]


def test_per_county_files_merge_but_a_unit_in_two_files_is_refused(tmp_path: Path) -> None:
    first = write(tmp_path, HEADER + "Adams,P1,Governor,,R,Ann Lee,3\r\n", "20181106__xx__a.csv")
    second = write(tmp_path, HEADER + "Berks,P1,Governor,,R,Ann Lee,4\r\n", "20181106__xx__b.csv")
    result = read_results([first, second])
    count = result.election.count("Governor", CANVASS)
    assert (len(count.units), count.totals()) == (2, {"Ann Lee": 7})
    third = write(tmp_path, HEADER + "Berks,P1,Governor,,R,Ann Lee,5\r\n", "20181106__xx__c.csv")
    with pytest.raises(InputFileError) as caught:
        read_results([first, second, third])
    assert caught.value.location.file == str(third)
    assert "'Berks|P1'" in caught.value.problem


def test_a_large_file_is_streamed_and_a_late_bad_cell_names_its_row(tmp_path: Path) -> None:
    lines = [HEADER.strip()]
    lines += [f"Adams,P{i},Governor,,R,Ann Lee,{i % 7}" for i in range(40_000)]
    lines.append("Adams,P40000,Governor,,R,Ann Lee,many")
    path = write(tmp_path, "\n".join(lines) + "\n", "20181106__xx__general.csv")
    assert path.stat().st_size > 1 << 20
    with pytest.raises(InputFileError) as caught:
        read_results_file(path)
    assert (caught.value.location.row, caught.value.location.column) == (40_002, "votes")
    path.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    count = read_results_file(path).election.count("Governor", CANVASS)
    assert (len(count.units), count.total_votes) == (40_000, sum(i % 7 for i in range(40_000)))


def test_a_statistic_row_without_office_and_candidate_is_refused_naming_the_cell(
    tmp_path: Path,
) -> None:
    text = HEADER + "Adams,P1,Governor,,R,Ann Lee,3\r\nAdams,P1,,,,,4\r\n"
    with pytest.raises(InputFileError) as caught:
        read_results_file(write(tmp_path, text, "20181106__xx__general.csv"))
    assert (caught.value.location.row, caught.value.location.column) == (3, "office")


def test_a_county_listed_by_its_total_rows_only_is_one_unit(tmp_path: Path) -> None:
    text = (
        HEADER
        + "Adams,P1,Governor,,R,Ann Lee,3\r\n"
        + "Adams,,Governor,,R,Ann Lee,3\r\n"
        + "Berks,,Governor,,R,Ann Lee,40\r\n"
        + "Berks,,Governor,,D,Bo Diaz,35\r\n"
    )
    result = read_results_file(write(tmp_path, text, "20181106__xx__general.csv"))
    election = result.election
    count = election.count("Governor", CANVASS)
    assert count.units["Berks|Berks"].votes == {"Ann Lee": 40, "Bo Diaz": 35}
    assert election.units["Berks|Berks"].type is ReportingUnitType.COUNTY
    assert count.totals() == {"Ann Lee": 43, "Bo Diaz": 35}
    assert election.contests["Governor"].choice_names() == ["Ann Lee", "Bo Diaz"]
    assert [(w.location.row, w.location.column) for w in result.warnings] == [(4, "precinct")]
    assert "only a total row" in result.warnings[0].message


def test_a_large_csv_whose_first_megabyte_ends_inside_a_quoted_cell_still_reads(
    tmp_path: Path,
) -> None:
    filler = "Adams,P0,Governor,,R,Ann Lee,1\n"
    body = HEADER.strip() + "\n" + filler * ((HEAD_BYTES - 2000) // len(filler))
    opening = 'Adams,P1,Governor,,R,"Bo'
    pad = HEAD_BYTES - 3 - len(body) - len(opening) - len("Adams,P9,Governor,,R,,1\n")
    body += f"Adams,P9,Governor,,R,{'C' * pad},1\n" + opening
    assert len(body) == HEAD_BYTES - 3  # the cell's own line break falls in the first megabyte
    body += '\nDiaz",2\n' + filler * 20
    path = write(tmp_path, body, "20181106__xx__general.csv")
    count = read_results_file(path).election.count("Governor", CANVASS)
    assert count.units["Adams|P1"].votes == {"Bo Diaz": 2}


def test_ballots_cast_listed_under_each_office_are_that_contests(tmp_path: Path) -> None:
    text = (
        HEADER
        + "Adams,P1,Governor,,,Ballots Cast,600\r\n"
        + "Adams,P1,Governor,,R,Ann Lee,500\r\n"
        + "Adams,P1,Sheriff,,,Ballots Cast,580\r\n"
        + "Adams,P1,Sheriff,,R,Cy Moe,400\r\n"
    )
    result = read_results_file(write(tmp_path, text, "20181106__xx__general.csv"))
    election = result.election
    assert election.unit_statistics == {}
    governor = election.count("Governor", CANVASS).units["Adams|P1"]
    sheriff = election.count("Sheriff", CANVASS).units["Adams|P1"]
    assert (governor.ballots_cast, sheriff.ballots_cast) == (600, 580)
    assert governor.votes == {"Ann Lee": 500}
    assert governor.statistics == {BALLOTS_CAST: 600}


def test_renamed_georgia_primary_is_split_by_party_from_its_rows(
    shared_data: Path, tmp_path: Path
) -> None:
    source = shared_data / GA / "20160301__ga__primary__president__appling__precinct.csv"
    named = read_results_file(source).election
    copy = tmp_path / "appling.csv"
    copy.write_bytes(source.read_bytes())
    renamed = read_results_file(copy).election
    assert list(renamed.contests) == ["President (REP)", "President (DEM)"]
    for contest in renamed.contests:
        assert renamed.count(contest, CANVASS).totals() == named.count(contest, CANVASS).totals()


def test_renamed_general_election_keeps_one_contest_per_office(
    shared_data: Path, tmp_path: Path
) -> None:
    source = shared_data / OH / "20161108__oh__general.csv"
    copy = tmp_path / "ohio.csv"
    copy.write_bytes(source.read_bytes())
    renamed = read_results_file(copy).election
    assert list(renamed.contests) == list(read_results_file(source).election.contests)
    assert "President" in renamed.contests


PARTY_ROWS = (
    "county,precinct,office,district,party,candidate,votes\n"
    "Kent,P1,Governor,,REP,Ann Lee,5\n"
    "Kent,P1,Governor,,REP,Bo Diaz,4\n"
    "Kent,P1,Governor,,DEM,Cy Moe,3\n"
    "Kent,P1,Governor,,DEM,Di Roe,2\n"
    "Kent,P1,Sheriff,,DEM,Ed Poe,7\n"
)


@pytest.mark.parametrize(
    ("name", "text", "contests"),
    [
        ("kent.csv", PARTY_ROWS, ["Governor (REP)", "Governor (DEM)", "Sheriff (DEM)"]),
        ("20200602__xx__general__kent.csv", PARTY_ROWS, ["Governor", "Sheriff"]),
        (
            "kent.csv",
            PARTY_ROWS.replace("REP,Bo Diaz", "LIB,Bo Diaz"),
            ["Governor", "Sheriff"],
        ),
    ],
)
def test_primary_by_content_needs_two_parties_with_several_candidates(
    tmp_path: Path, name: str, text: str, contests: list[str]
) -> None:
    election = read_results_file(write(tmp_path, text, name)).election
    assert list(election.contests) == contests
