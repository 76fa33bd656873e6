"""docs/law.md shows every state's eras and sources, generated from the rule files (issue 12)."""

from __future__ import annotations

from pathlib import Path

from papertally.law import STATE_NAMES
from papertally.law.doc import current_table, eras_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "law.md"


def test_the_eras_table_in_docs_is_current() -> None:
    table = current_table(DOC.read_text(encoding="utf-8"))
    assert table is not None, "docs/law.md has no generated eras table"
    assert table == eras_table(), "regenerate it: python -m papertally.law.doc"


def test_the_table_names_every_state_and_dc_from_2000() -> None:
    table = eras_table()
    for name in STATE_NAMES.values():
        assert f"| {name} |" in table, name
    assert "| Washington | `wa-2004` | 2004-01-01 – 2005-07-23 (first confirmed)" in table
    assert "| Vermont | unknown era | 2007-01-01 – 2018-11-05 |" in table
