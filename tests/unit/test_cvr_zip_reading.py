"""Reading CVR zips fast changes nothing: members inflated by ISA-L equal zipfile's, broken
members are refused with the file named, and a generated Dominion export reads exactly."""

from __future__ import annotations

import importlib.util
import json
import sys
import zipfile
from pathlib import Path

import pytest

from papertally.errors import InputFileError
from papertally.io.cvr import read_cvrs
from papertally.io.cvr.common import InputPart, read_member

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _write(archive: Path) -> dict[str, bytes]:
    members = {
        "deflated.json": json.dumps({"x": list(range(5000))}).encode(),
        "stored.json": b'{"stored": true}',
        "empty.json": b"",
    }
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("deflated.json", members["deflated.json"], zipfile.ZIP_DEFLATED)
        out.writestr("stored.json", members["stored.json"], zipfile.ZIP_STORED)
        out.writestr("empty.json", members["empty.json"], zipfile.ZIP_DEFLATED)
    return members


def test_members_read_as_zipfile_reads_them(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    members = _write(archive)
    with zipfile.ZipFile(archive) as opened:
        for name, content in members.items():
            assert read_member(opened, name) == content == opened.read(name)


def test_a_corrupt_member_is_refused_naming_it(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    members = _write(archive)
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as opened:
        info = opened.getinfo("deflated.json")
    # Flip a byte inside the compressed data of the deflated member (past its local header).
    position = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    data[position] ^= 0xFF
    archive.write_bytes(bytes(data))
    part = InputPart(archive, archive, "deflated.json")
    with pytest.raises(InputFileError, match=r"export\.zip!deflated\.json.*broken zip member"):
        part.read_bytes()
    assert InputPart(archive, archive, "stored.json").read_bytes() == members["stored.json"]


def test_generated_dominion_export_reads_every_card_and_vote(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "make_dominion_cvrs", BENCH / "make_dominion_cvrs.py"
    )
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    sys.modules["make_dominion_cvrs"] = generator
    spec.loader.exec_module(generator)
    expected = json.loads(generator.generate(tmp_path, 9000, workers=1).read_text())
    zips = sorted(tmp_path.glob("*.zip"))
    one = read_cvrs(zips, workers=1)
    two = read_cvrs(zips, workers=2)
    assert len(one) == len(two) == expected["cards"] == 9000
    totals = one.choice_totals()
    by_key = {choice.key: int(totals[code]) for code, choice in enumerate(one.choices)}
    assert {k: by_key[k] for k in expected["first_choice_tallies"]} == expected[
        "first_choice_tallies"
    ]
    assert list(one) == list(two)
    assert one.tallies() == two.tallies()
