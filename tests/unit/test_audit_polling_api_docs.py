"""The code blocks of docs/audit-api.md run as they stand, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit-api.md"


def test_audit_api_examples_run(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 6
    namespace: dict[str, Any] = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)
    out = capsys.readouterr().out
    assert "['Alice > Bob', 'Alice > Carol']" in out
    assert "0.13" in out and "10050" in out and "469" in out
    assert namespace["risk"].stop is True
