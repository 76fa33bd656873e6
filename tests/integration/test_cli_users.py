"""``papertally user list|disable|enable|reset-password``: accounts from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from papertally.cli.main import app
from papertally.store import Store
from papertally.store.recounts import RecountStore
from papertally.store.users import UserStore
from papertally.web.security import verify_password

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_users_are_listed_disabled_enabled_and_reset_all_logged(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    for name, role in (("admin", "administrator"), ("watcher", "observer")):
        code, out = _run(
            "user", "add", name, "--role", role, "--password", "a long password", "--db", db
        )
        assert code == 0, out

    assert _run("user", "disable", "watcher", "--db", db)[0] == 0
    code, out = _run("user", "list", "--json", "--db", db)
    assert code == 0, out
    listed = {u["username"]: u for u in json.loads(out)}
    assert listed["watcher"]["disabled"] and not listed["admin"]["disabled"]
    assert listed["watcher"]["role"] == "observer"

    assert _run("user", "enable", "watcher", "--db", db)[0] == 0
    code, out = _run(
        "user", "reset-password", "watcher", "--password", "another long one", "--db", db
    )
    assert code == 0, out
    store = Store(db)
    found = UserStore(store.engine).user_credentials("watcher")
    assert found is not None and not found[0].disabled
    assert verify_password(found[1], "another long one")
    actions = [e.action for e in RecountStore(store.engine).activity()]
    assert actions[-3:] == ["user.disable", "user.enable", "user.password-reset"]
    store.close()


def test_unknown_users_odd_names_and_short_passwords_are_one_line_errors(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    code, out = _run("user", "disable", "nobody", "--db", db)
    assert code == 2 and "no user called 'nobody'" in out and "Traceback" not in out
    code, out = _run(
        "user", "add", "x" * 65, "--role", "observer", "--password", "a long password", "--db", db
    )
    assert code == 2 and "at most 64 characters" in out
    _run("user", "add", "ok", "--role", "observer", "--password", "a long password", "--db", db)
    code, out = _run("user", "reset-password", "ok", "--password", "short", "--db", db)
    assert code == 2 and "at least 10 characters" in out


def test_a_clerks_county_must_be_one_the_store_knows(tmp_path: Path) -> None:
    from tests.web.support import small_election

    from papertally.model import ImportResult

    db = f"sqlite:///{tmp_path / 'store.db'}"
    add = ("user", "add", "clerk", "--role", "clerk", "--password", "a long password")
    code, out = _run(*add, "--county", "Adams", "--db", db)
    assert code == 2 and "import the canvass first" in out and "Traceback" not in out
    with Store(db) as store:
        store.save_import(ImportResult(small_election()))
    code, out = _run(*add, "--county", "Adamz", "--db", db)
    assert code == 2 and "did you mean 'Adams'" in out and len(out.strip().splitlines()) <= 2
    assert _run("user", "list", "--json", "--db", db)[1].strip() == "[]"
    code, out = _run(*add, "--county", " Adams ", "--db", db)
    assert code == 0, out
    with Store(db) as store:
        assert UserStore(store.engine).users()[0].county == "Adams"
