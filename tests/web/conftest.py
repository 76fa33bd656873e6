"""A web app over a real store (SQLite and PostgreSQL) holding a small two-county election."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.web.support import CHROMIUM, CHROMIUM_ARGS, PASSWORD, WebSetup, small_election

from papertally.model import ImportResult
from papertally.model.recount import Role
from papertally.store import Store
from papertally.store.recounts import RecountStore
from papertally.store.users import UserStore

USERS = [
    ("admin", Role.ADMINISTRATOR, None),
    ("observer", Role.OBSERVER, None),
    ("adams-clerk", Role.CLERK, "Adams"),
    ("adams-board", Role.BOARD, "Adams"),
    ("dane-clerk", Role.CLERK, "Dane"),
]
"""One account per role, all with :data:`PASSWORD`."""


@pytest.fixture(scope="session")
def quick_password_hash() -> str:
    """An Argon2id hash of :data:`PASSWORD` at the lowest cost Argon2 allows.

    The app verifies with the parameters a hash carries, so its users sign in exactly as with
    the production cost; each sign-in costs about a millisecond instead of 0.5-2 s of KDF on a
    loaded machine (tests sign in two to four users each). Hashes the app makes keep their cost.
    """
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)


def _seed(store: Store, password_hash: str) -> int:
    """Fill a migrated store with the small election and the users; return the election id."""
    election_id = store.save_import(ImportResult(small_election()))
    accounts = UserStore(store.engine)
    for username, role, county in USERS:
        accounts.add_user(username, password_hash, role, county, actor="setup")
    return election_id


@pytest.fixture(scope="session")
def seeded_sqlite(
    tmp_path_factory: pytest.TempPathFactory, quick_password_hash: str
) -> tuple[Path, int]:
    """A SQLite store migrated and seeded once per session, copied afresh for each test.

    Each test gets its own copy of the file, so nothing is shared between tests; only the
    set-up work (the migrations above all) is done once.
    """
    path = tmp_path_factory.mktemp("seeded") / "store.db"
    with Store(f"sqlite:///{path}") as store:
        store.migrate()
        election_id = _seed(store, quick_password_hash)
    return path, election_id


@pytest.fixture
def web(
    db_url: str, request: pytest.FixtureRequest, quick_password_hash: str
) -> Iterator[WebSetup]:
    """The small two-county election and one user per role, in a store of its own per test
    (a copy of :func:`seeded_sqlite` on SQLite; migrated and seeded afresh on PostgreSQL)."""
    sqlite_file = (
        Path(db_url.removeprefix("sqlite:///")) if db_url.startswith("sqlite:///") else None
    )
    if sqlite_file is not None and not sqlite_file.exists():
        template, election_id = request.getfixturevalue("seeded_sqlite")
        shutil.copyfile(template, sqlite_file)
        store = Store(db_url)
    else:
        store = Store(db_url)
        store.migrate()
        election_id = _seed(store, quick_password_hash)
    yield WebSetup(db_url, election_id, RecountStore(store.engine))
    store.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright; skipped (failed under CI) where absent."""
    if not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} not found; install the Debian package 'chromium' (make test does)"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
