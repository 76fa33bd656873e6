"""The code block of docs/oneaudit.md runs as it stands and prints what its comments say."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "oneaudit.md"


def test_oneaudit_doc_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    (block,) = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    namespace: dict[str, Any] = {}
    exec(compile(block, str(DOC), "exec"), namespace)
    assert capsys.readouterr().out.splitlines() == ["0.1133 0.53", "152 119 300", "True 31"]
