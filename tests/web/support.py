"""Helpers of the web tests: a small two-county election, one user per role, signing in."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import uvicorn
from fastapi.testclient import TestClient

from papertally.model import Choice, Contest, ContestCount, Election, ReportingUnit
from papertally.model.recount import Role
from papertally.store import Store
from papertally.store.audits import AuditStore
from papertally.store.recounts import RecountStore
from papertally.store.users import UserStore
from papertally.web.app import create_app
from papertally.web.security import CSRF_HEADER, hash_password

PASSWORD = "correct horse battery"
CHOICES = ["Trump", "Clinton", "Scattering"]
WARDS = {
    "Adams": [("Town of Adams Ward 1", 300, 250), ("Town of Adams Ward 2", 120, 80)],
    "Dane": [("City of Madison Ward 1", 200, 600), ("City of Madison Ward 2", 150, 550)],
}


def small_election() -> Election:
    """Two counties, four wards, one contest with an original canvass."""
    election = Election("2016 General Election", date=date(2016, 11, 8), state="WI")
    contest = Contest("President", choices=[Choice(c) for c in CHOICES])
    election.contests[contest.name] = contest
    count = ContestCount(contest="President", name="original canvass")
    for county, wards in WARDS.items():
        for name, trump, clinton in wards:
            unit = election.add_unit(ReportingUnit.of(county, name))
            count.set_votes(unit.id, "Trump", trump)
            count.set_votes(unit.id, "Clinton", clinton)
            count.set_votes(unit.id, "Scattering", 1)
    election.counts.append(count)
    return election


@dataclass
class WebSetup:
    """The app, its store, and the ids a test needs."""

    url: str
    election_id: int
    recounts: RecountStore

    @property
    def users(self) -> UserStore:
        """Return the store's accounts."""
        return UserStore(self.recounts.engine)

    def client(self) -> TestClient:
        """Return a fresh browser-like client (its own cookies) of a fresh app process."""
        return TestClient(create_app(self.url, secret_key="test-secret"), follow_redirects=False)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the API; return the CSRF token and set it as a default header."""
    client.headers[CSRF_HEADER] = client.get("/api/session").json()["csrf_token"]
    response = client.post("/api/session", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["csrf_token"]
    client.headers[CSRF_HEADER] = token
    return token


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Headless Chromium flags for a closed network (no background connections)."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def live_server(url: str, users: list[tuple[str, Role, str | None]], secret: str) -> Iterator[str]:
    """Serve the app over the store at ``url`` (with ``users`` added) on a loopback port.

    Yields the base URL; the server runs in a thread of this process and stops afterwards.
    """
    store = Store(url)
    store.migrate()
    accounts = UserStore(store.engine)
    password_hash = hash_password(PASSWORD)
    for name, role, county in users:
        accounts.add_user(name, password_hash, role, county, actor="setup")
    port = free_port()
    config = uvicorn.Config(
        create_app(url, secret_key=secret), host="127.0.0.1", port=port, log_level="warning"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the app did not start within 20 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=10)
        store.close()


def sign_in_page(page: Any, base: str, username: str) -> None:
    """Sign in through the sign-in page of a browser page."""
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def county_url(web: WebSetup, recount: int, county: str) -> str:
    """Return the page of ``county`` in a recount (paths name counties by id, not by name)."""
    return f"/recounts/{recount}/counties/{web.recounts.county(recount, county).id}"


def ward_url(web: WebSetup, recount: int, county: str, name: str) -> str:
    """Return the page of ward ``name`` of ``county`` in a recount (by ids)."""
    unit = f"{county}|{name}"
    ward = next(w for w in web.recounts.wards(recount, county) if w.unit == unit)
    return f"{county_url(web, recount, county)}/wards/{ward.id}"


def audit_county_url(client: TestClient, audit_id: int, county: str) -> str:
    """Return the page of ``county`` in an audit (by id), read from the client's app's store."""
    app: Any = client.app
    county_id = AuditStore(app.state.services.engine).county_ids(audit_id)[county]
    return f"/audits/{audit_id}/counties/{county_id}"
