"""A web app over a real store (SQLite and PostgreSQL) holding a small two-county election."""

from __future__ import annotations

import os
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
from papertally.web.security import hash_password


@pytest.fixture
def web(db_url: str) -> Iterator[WebSetup]:
    store = Store(db_url)
    store.migrate()
    election_id = store.save_import(ImportResult(small_election()))
    recounts = RecountStore(store.engine)
    users = [
        ("admin", Role.ADMINISTRATOR, None),
        ("observer", Role.OBSERVER, None),
        ("adams-clerk", Role.CLERK, "Adams"),
        ("adams-board", Role.BOARD, "Adams"),
        ("dane-clerk", Role.CLERK, "Dane"),
    ]
    password_hash = hash_password(PASSWORD)
    accounts = UserStore(store.engine)
    for username, role, county in users:
        accounts.add_user(username, password_hash, role, county, actor="setup")
    yield WebSetup(db_url, election_id, recounts)
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
