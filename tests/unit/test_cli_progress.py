"""The shared progress bar: drawn on a terminal's stderr, silent under --json or in pipes."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from papertally.cli import common


def _consoles(monkeypatch: pytest.MonkeyPatch, out_tty: bool, err_tty: bool) -> io.StringIO:
    err = io.StringIO()
    monkeypatch.setattr(common, "console", Console(file=io.StringIO(), force_terminal=out_tty))
    monkeypatch.setattr(common, "err_console", Console(file=err, force_terminal=err_tty))
    return err


def _run(enabled: bool = True) -> None:
    with common.progress_bar("reading CVR files", enabled) as progress:
        for done in range(3):
            progress(done + 1, 3)


def test_drawn_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    err = _consoles(monkeypatch, out_tty=True, err_tty=True)
    _run()
    assert "reading CVR files" in err.getvalue()


@pytest.mark.parametrize(
    ("out_tty", "err_tty", "enabled"),
    [(True, True, False), (False, True, True), (True, False, True)],
    ids=["--json", "stdout piped", "stderr piped"],
)
def test_silent_under_json_or_when_not_a_terminal(
    monkeypatch: pytest.MonkeyPatch, out_tty: bool, err_tty: bool, enabled: bool
) -> None:
    err = _consoles(monkeypatch, out_tty=out_tty, err_tty=err_tty)
    _run(enabled)
    assert err.getvalue() == ""
