"""Ballot manifests: the model's ballot numbering, and reading Arlo's CSV and Excel manifests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from papertally.audit.manifest import Batch, Manifest
from papertally.errors import InputFileError, PapertallyError
from papertally.io.manifests import (
    jurisdiction_from_filename,
    parse_manifest_argument,
    read_manifest,
    read_manifests,
)

ARLO_SMALL = "arlo-small-election"


def write(tmp_path: Path, text: str, name: str = "County X - ballot manifest.csv") -> Path:
    """Write a CSV manifest into ``tmp_path`` and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the model ------------------------------------------------------------------------------


@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=25))
def test_locate_matches_counting_ballot_by_ballot(counts: list[int]) -> None:
    manifest = Manifest(Batch("C", f"B{i}", n) for i, n in enumerate(counts))
    expected = [(b, p) for b, n in enumerate(counts) for p in range(1, n + 1)]
    assert manifest.total_ballots == len(expected)
    batch_numbers, positions = manifest.locate(np.arange(len(expected)))
    assert list(zip(batch_numbers.tolist(), positions.tolist(), strict=True)) == expected
    for index, (b, p) in enumerate(expected):
        assert manifest.index_of(b, p) == index


def test_location_names_batch_and_position() -> None:
    manifest = Manifest(
        [Batch("Dane", "1", 3, tabulator="T1"), Batch("Dane", "2", 0), Batch("Iowa", "1", 2)]
    )
    location = manifest.location(3)
    assert (location.batch.jurisdiction, location.batch.name, location.position) == ("Iowa", "1", 1)
    assert manifest.ballots_by_jurisdiction() == {"Dane": 3, "Iowa": 2}
    assert manifest.batches_by_jurisdiction() == {"Dane": 2, "Iowa": 1}
    with pytest.raises(PapertallyError, match="out of range"):
        manifest.location(5)
    with pytest.raises(PapertallyError, match="no ballot 4"):
        manifest.index_of(0, 4)


def test_model_rejects_negative_counts_and_duplicate_batches() -> None:
    with pytest.raises(PapertallyError, match="zero or more"):
        Manifest([Batch("C", "1", -1)])
    with pytest.raises(PapertallyError, match="C, batch '1': 1000000000000 ballots is more"):
        Manifest([Batch("C", "1", 10**12)])
    with pytest.raises(PapertallyError, match="appears twice"):
        Manifest.combine([Manifest([Batch("C", "1", 1)]), Manifest([Batch("C", "1", 2)])])
    # The same batch name under another tabulator or county is another batch.
    both = Manifest([Batch("C", "1", 1, tabulator="A"), Batch("C", "1", 1, tabulator="B")])
    assert both.total_ballots == 2
    nothing = Manifest.combine([])
    assert (len(nothing), nothing.total_ballots, nothing.jurisdictions) == (0, 0, ())
    joined = Manifest.combine([Manifest([Batch("A", "1", 2, "x", "t", True)]), both, nothing])
    assert list(joined.batches) == [Batch("A", "1", 2, "x", "t", True), *both.batches]
    assert joined.batches[::-1][0] == joined.batches[-1] == Batch("C", "1", 1, tabulator="B")


def test_locate_is_fast_enough_to_vectorize_five_million_ballots() -> None:
    manifest = Manifest(Batch("C", str(i), 500) for i in range(10_000))
    batch_numbers, positions = manifest.locate([0, 499, 500, 4_999_999])
    assert batch_numbers.tolist() == [0, 0, 1, 9_999]
    assert positions.tolist() == [1, 500, 1, 500]


# --- the real sample files ---------------------------------------------------------------------


def test_arlo_sample_manifests(shared_data: Path) -> None:
    plain = read_manifest(shared_data / "manifests" / "arlo-sample_ballot_manifest.csv")
    assert (len(plain), plain.total_ballots) == (10, 2117)
    assert plain.batches[0].container is None and plain.batches[0].tabulator is None

    boxes = read_manifest(shared_data / "manifests" / "arlo-sample_manifest_BC.csv")
    assert (len(boxes), boxes.total_ballots) == (12, 1001)
    assert boxes.batches[0] == Batch(
        "arlo-sample_manifest_BC", "1", 3, container="Box 1", tabulator="1"
    )

    hybrid = read_manifest(shared_data / "manifests" / "arlo-sample_manifest_hybrid.csv", "Ada")
    assert [b.has_cvrs for b in hybrid.batches[:4]] == [True, False, True, False]
    assert hybrid.jurisdictions == ("Ada",)


def test_excel_manifests_dominion_and_hart(shared_data: Path) -> None:
    dominion = read_manifest(shared_data / "manifests" / "dominion-style-manifest-sample.xlsx")
    assert (len(dominion), dominion.total_ballots) == (21, 2189)
    first = dominion.batches[0]
    assert (first.container, first.tabulator, first.name, first.ballots) == (
        "1",
        "99808",
        "81",
        76,
    )
    hart = read_manifest(shared_data / "cvr" / "hart" / "Hart_manifest.xlsx", "Orange")
    assert (len(hart), hart.total_ballots) == (4417, 1_141_765)
    assert hart.batches[0] == Batch("Orange", "1", 60, container="Mail", tabulator="1")


def test_one_file_per_county_combine(shared_data: Path) -> None:
    files = sorted((shared_data / ARLO_SMALL).glob("* - ballot manifest.csv"))
    manifest = read_manifests(files)
    assert manifest.ballots_by_jurisdiction() == {
        "Kendall Park": 500,
        "Mount Olive": 31,
        "Siletz": 57,
        "Waurika": 226,
        "Worthington Hills": 694,
    }
    assert manifest.total_ballots == 1508
    with pytest.raises(InputFileError, match="also in"):
        read_manifests([files[0], files[0]])


# --- headers, jurisdictions and bad input ----------------------------------------------------


def test_headers_ignore_case_and_spaces_and_a_county_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "COUNTY, batch name ,NumberOfBallots,Tabulator\nDane,B1,10,T\nIowa,B1,5,T\n\n",
    )
    manifest = read_manifest(path)
    assert manifest.ballots_by_jurisdiction() == {"Dane": 10, "Iowa": 5}


def test_jurisdiction_from_file_name_and_argument(tmp_path: Path) -> None:
    assert jurisdiction_from_filename("/x/Kendall Park - ballot manifest.csv") == "Kendall Park"
    assert jurisdiction_from_filename("dane.xlsx") == "dane"
    path = write(tmp_path, "Batch Name,Number of Ballots\n1,4\n", name="m.csv")
    assert parse_manifest_argument(f"Dane County={path}") == ("Dane County", path)
    assert parse_manifest_argument(str(path)) == (None, path)
    assert read_manifests([("Dane County", path)]).jurisdictions == ("Dane County",)


def test_misspelt_header_gets_a_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "Batch Name,Numbr of Balots\n1,4\n")
    with pytest.raises(InputFileError) as caught:
        read_manifest(path)
    message = str(caught.value)
    assert "row 1" in message
    assert "missing the column 'Number of Ballots'" in message
    assert "did you mean 'Numbr of Balots'?" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty"),
        ("Batch Name,Number of Ballots\n", "lists no batches"),
        ("Batch Name,Number of Ballots\n1,4\n2,four\n", "row 3, column 'Number of Ballots'"),
        ("Batch Name,Number of Ballots\n1,-4\n", "negative"),
        ("Batch Name,Number of Ballots\n1,4.5\n", "whole number"),
        ("Batch Name,Number of Ballots\n1,4\n2,99999999999999999999\n", "row 3.*at most"),
        ("Batch Name,Number of Ballots\n1,4\n2,1e20\n", "row 3.*at most 1,000,000,000"),
        ("Batch Name,Number of Ballots\n1,4\n1,5\n", "row 3.*listed twice.*first in row 2"),
        ("Batch Name,Number of Ballots\n,4\n", "row 2.*batch name is empty"),
        ("Batch Name,Number of Ballots,CVR\n1,4,maybe\n", "column 'CVR'.*Y or N"),
        ("Batch,Ballots\n1,4\n", None),
        ("Batch Name,Number of Ballots\n1,4\n2,6\nTotal,10\n", "row 4.*counted twice"),
    ],
)
def test_bad_manifests_name_the_place(tmp_path: Path, text: str, expected: str | None) -> None:
    path = write(tmp_path, text)
    if expected is None:
        assert read_manifest(path).total_ballots == 4
        return
    with pytest.raises(InputFileError, match=expected) as caught:
        read_manifest(path)
    assert path.name in str(caught.value)


def test_missing_file_and_no_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        read_manifest(tmp_path / "absent.csv")
    with pytest.raises(InputFileError, match="no ballot manifest"):
        read_manifests([])


# --- large manifests, read as a stream into compact columns ------------------------------------


def big_manifest_text(batches: int, bad_row: int | None = None, bad: str = "") -> str:
    """Return an Arlo manifest of ``batches`` batches of ``i % 400 + 1`` ballots.

    The batch on spreadsheet row ``bad_row`` (if any) is replaced by the line ``bad``.
    """
    lines = ["Container,Tabulator,Batch Name,Number of Ballots,CVR"]
    lines += [f"Box {i // 500},T{i % 7},Batch {i},{i % 400 + 1},Y" for i in range(batches)]
    if bad_row is not None:
        lines[bad_row - 1] = bad
    return "\n".join(lines) + "\n"


def test_a_manifest_of_200000_batches_reads_and_locates(tmp_path: Path) -> None:
    batches = 200_000
    manifest = read_manifest(write(tmp_path, big_manifest_text(batches)))
    counts = [i % 400 + 1 for i in range(batches)]
    assert (len(manifest), manifest.total_ballots) == (batches, sum(counts))
    assert manifest.batches_by_jurisdiction() == {"County X": batches}
    middle = 123_457
    location = manifest.location(sum(counts[:middle]) + 5)
    assert location.batch == Batch(
        "County X", "Batch 123457", counts[middle], "Box 246", "T5", has_cvrs=True
    )
    assert location.position == 6
    assert manifest.batches[-1].name == f"Batch {batches - 1}"
    assert [b.name for b in manifest.batches[10:13]] == ["Batch 10", "Batch 11", "Batch 12"]
    bad = write(tmp_path, big_manifest_text(batches, 190_001, "Box 1,T1,Batch X,²,Y"))
    with pytest.raises(InputFileError, match=r"row 190001, column 'Number of Ballots'.*'²'"):
        read_manifest(bad)


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ("Box 1,T1,Batch X,12x,Y", r"row 50001, column 'Number of Ballots'.*'12x'"),
        ("Box 1,T1,Batch X,12,perhaps", r"row 50001, column 'CVR'.*Y or N"),
        ("Box 1,T6,Batch 6,1,Y", r"row 50001, column 'Batch Name'.*listed twice.*first in row 8"),
        ('Box 1,T1,"Batch X,12,Y', r"row 50001.*not well-formed CSV"),
    ],
)
def test_a_bad_row_deep_in_a_large_manifest_is_named(
    tmp_path: Path, bad: str, expected: str
) -> None:
    path = write(tmp_path, big_manifest_text(60_000, 50_001, bad))
    with pytest.raises(InputFileError, match=expected):
        read_manifest(path)


def test_rows_are_counted_past_blank_rows_and_the_earliest_problem_is_named(
    tmp_path: Path,
) -> None:
    text = "\n\nBatch Name,Number of Ballots\n1,4\n\n,\n2,6\n1,5\n3,x\n"
    with pytest.raises(InputFileError, match=r"row 8.*'1' is listed twice.*first in row 4"):
        read_manifest(write(tmp_path, text))
    text = "Batch Name,Number of Ballots\n1,4\n\n2,6\n\nTotal,10\n"
    with pytest.raises(InputFileError, match=r"row 6, column 'Batch Name'.*counted twice"):
        read_manifest(write(tmp_path, text))
    # A short name that is not a total, and a long one that folds to one, are told apart.
    text = "Batch Name,Number of Ballots\nTo tal,4\n2,6\n G R A N D  T O T A L ,10\n"
    with pytest.raises(InputFileError, match=r"row 4.*counted twice"):
        read_manifest(write(tmp_path, text))


def test_a_late_byte_that_is_not_utf8_reads_the_whole_file_as_windows_1252(
    tmp_path: Path,
) -> None:
    path = tmp_path / "Dane - ballot manifest.csv"
    body = big_manifest_text(50_000).encode() + "Caf\xe9,T1,Last,3,N\n".encode("cp1252")
    path.write_bytes(body)
    manifest = read_manifest(path)
    assert manifest.batches[-1] == Batch("Dane", "Last", 3, "Café", "T1", has_cvrs=False)
    path.write_bytes(body[:100] + b"\x00" + body[100:])
    with pytest.raises(InputFileError, match="neither a CSV"):
        read_manifest(path)
    path.write_bytes(b" \n\t\n")
    with pytest.raises(InputFileError, match="the file is empty"):
        read_manifest(path)


def test_combined_manifests_keep_every_column_and_name_the_other_file(tmp_path: Path) -> None:
    first = write(tmp_path, "Container,Batch Name,Number of Ballots\nA,1,4\nB,2,5\n", "Dane.csv")
    second = write(tmp_path, "Tabulator,Batch Name,Number of Ballots,CVR\nT,1,3,N\n", "Iowa.csv")
    manifest = read_manifests([first, second])
    assert list(manifest.batches) == [
        Batch("Dane", "1", 4, container="A"),
        Batch("Dane", "2", 5, container="B"),
        Batch("Iowa", "1", 3, tabulator="T", has_cvrs=False),
    ]
    assert manifest.batches.index(Batch("Dane", "2", 5, container="B")) == 1
    assert manifest.batches[-3] == manifest.batches[0]
    with pytest.raises(IndexError):
        manifest.batches[3]
    same = write(tmp_path, "Batch Name,Number of Ballots\n7,1\n2,9\n", "Dane 2.csv")
    with pytest.raises(InputFileError, match=r"Dane 2.csv.*Dane, batch '2' is also in Dane.csv"):
        read_manifests([first, second, ("Dane", same)])


def test_repeats_are_found_by_key_not_by_hash() -> None:
    from papertally.audit.manifest import _first_repeat

    keys = [("C", None, "a"), ("C", None, "b"), ("C", "T", "a"), ("C", None, "b")]
    colliding = np.zeros(len(keys), dtype=np.int64)
    assert _first_repeat(colliding, keys.__getitem__) == (1, 3)
    assert _first_repeat(colliding[:3], keys.__getitem__) is None


def test_a_pickled_manifest_hashes_its_keys_again_in_another_process(tmp_path: Path) -> None:
    import pickle
    import subprocess
    import sys

    manifest = Manifest([Batch("Dane", "1", 4, "Box", "T", True), Batch("Dane", "2", 5)])
    (tmp_path / "m.pickle").write_bytes(pickle.dumps(manifest))
    script = (
        "import pickle, sys\n"
        "from papertally.audit.manifest import Batch, Manifest\n"
        "m = pickle.loads(open(sys.argv[1], 'rb').read())\n"
        "assert m.batches[0] == Batch('Dane', '1', 4, 'Box', 'T', True)\n"
        "try:\n"
        "    Manifest.combine([m, Manifest([Batch('Dane', '2', 1)])])\n"
        "except Exception as error:\n"
        "    print(error)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "m.pickle")],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345"},
    )
    assert run.stdout.strip() == "Dane, batch '2' appears twice in the manifest"
