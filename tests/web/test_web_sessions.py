"""Sessions and accounts (issue 10): server-side sessions, ids never reused, user management,
and sign-in that resists guessing, lock-out and user enumeration. Both backends where the
store is involved."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update
from tests.web.support import PASSWORD, WebSetup, sign_in

from papertally.model.recount import Role
from papertally.store.engine import writing
from papertally.store.recount_schema import SessionRow, SignInThrottleRow, UserRow
from papertally.store.users import ThrottlePolicy
from papertally.web.app import SESSION_COOKIE
from papertally.web.security import CSRF_HEADER, hash_password
from papertally.web.service import Services, SignInRefused


def _replay(web: WebSetup, cookie: str) -> TestClient:
    """Return a new client carrying a copied session cookie (as a thief would)."""
    other = web.client()
    other.cookies.set(SESSION_COOKIE, cookie)
    return other


def _signed_in_as(client: TestClient) -> str | None:
    name: str | None = client.get("/api/session").json()["username"]
    return name


def _log_actions(web: WebSetup) -> list[str]:
    return [e.action for e in web.recounts.activity()]


@pytest.fixture
def counted_verifications(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Count Argon2 password verifications (the real hasher, only counted)."""
    calls: list[int] = []
    real = PasswordHasher.verify

    def counting(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        calls.append(1)
        return real(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    yield calls


# -- server-side sessions -----------------------------------------------------------------------


def test_a_cookie_replayed_after_sign_out_is_refused(web: WebSetup) -> None:
    admin = web.client()
    sign_in(admin, "admin")
    stolen = admin.cookies.get(SESSION_COOKIE)
    assert stolen is not None
    assert _replay(web, stolen).get("/admin").status_code == 200

    assert admin.post("/logout").status_code == 303
    thief = _replay(web, stolen)
    assert thief.get("/admin").headers["location"] == "/login"
    assert _signed_in_as(thief) is None
    assert "sign-out" in _log_actions(web)

    sign_in(web.client(), "admin")
    with web.recounts.engine.connect() as connection:
        revoked = select(func.count()).where(SessionRow.revoked_at.is_not(None))
        assert connection.execute(revoked).scalar() == 0


def test_a_script_signing_out_through_the_api_ends_its_session(web: WebSetup) -> None:
    script = web.client()
    sign_in(script, "observer")
    stolen = script.cookies.get(SESSION_COOKIE) or ""
    assert script.delete("/api/session").json() == {"signed_out": True}
    assert _signed_in_as(_replay(web, stolen)) is None
    assert _log_actions(web)[-1] == "sign-out"


def test_the_cookie_carries_a_token_whose_digest_alone_is_stored(web: WebSetup) -> None:
    client = web.client()
    sign_in(client, "observer")
    with web.recounts.engine.connect() as connection:
        digests = connection.execute(select(SessionRow.token_digest)).scalars().all()
    cookie = client.cookies.get(SESSION_COOKIE) or ""
    assert len(digests) == 1 and len(digests[0]) == 64
    assert digests[0] not in cookie


def test_a_deleted_users_cookie_never_opens_a_new_users_account(web: WebSetup) -> None:
    """A deleted user's cookie once opened /admin for a new administrator given the same id."""
    web.users.add_user(
        "temp-admin", hash_password(PASSWORD), Role.ADMINISTRATOR, None, actor="setup"
    )
    old = web.client()
    sign_in(old, "temp-admin")
    stolen = old.cookies.get(SESSION_COOKIE) or ""
    old_id = web.users.user_named("temp-admin").id
    with writing(web.recounts.engine) as connection:
        connection.execute(delete(UserRow).where(UserRow.id == old_id))
    newcomer = web.users.add_user(
        "new-admin", hash_password(PASSWORD), Role.ADMINISTRATOR, None, actor="setup"
    )
    assert newcomer.id != old_id
    assert _replay(web, stolen).get("/admin").status_code == 303


@pytest.mark.parametrize("change", ["disable", "password", "role"])
def test_an_administrators_change_ends_every_session_of_the_user(
    web: WebSetup, change: str
) -> None:
    first, second = web.client(), web.client()
    sign_in(first, "adams-clerk")
    sign_in(second, "adams-clerk")
    admin = web.client()
    sign_in(admin, "admin")
    clerk_id = web.users.user_named("adams-clerk").id
    form = {
        "disable": {},
        "password": {"password": "a brand new password"},
        "role": {"role": "observer", "county": ""},
    }[change]
    done = admin.post(f"/admin/users/{clerk_id}/{change}", data=form)
    assert done.status_code == 303, done.text
    assert _signed_in_as(first) is None and _signed_in_as(second) is None
    assert _signed_in_as(admin) == "admin"
    logged = {"disable": "user.disable", "password": "user.password-reset", "role": "user.role"}
    assert _log_actions(web)[-1] == logged[change]


def test_a_disabled_user_cannot_sign_in_until_enabled_again(web: WebSetup) -> None:
    admin = web.client()
    sign_in(admin, "admin")
    observer_id = web.users.user_named("observer").id
    admin.post(f"/admin/users/{observer_id}/disable")
    listing = admin.get("/admin/users")
    assert "disabled" in listing.text and "observer" in listing.text

    client = web.client()
    client.headers[CSRF_HEADER] = client.get("/api/session").json()["csrf_token"]
    refused = client.post("/api/session", json={"username": "observer", "password": PASSWORD})
    assert refused.status_code == 403
    assert "disabled" in refused.json()["detail"]

    admin.post(f"/admin/users/{observer_id}/enable")
    sign_in(client, "observer")
    assert _log_actions(web)[-3:] == ["sign-in.failed", "user.enable", "sign-in"]


def test_an_administrator_cannot_disable_herself(web: WebSetup) -> None:
    admin = web.client()
    sign_in(admin, "admin")
    own = web.users.user_named("admin").id
    refused = admin.post(f"/admin/users/{own}/disable")
    assert refused.status_code == 400
    assert not web.users.user_named("admin").disabled


def test_changing_ones_own_password_needs_the_current_one_and_ends_other_sessions(
    web: WebSetup,
) -> None:
    here, elsewhere = web.client(), web.client()
    sign_in(here, "dane-clerk")
    sign_in(elsewhere, "dane-clerk")
    page = here.get("/account")
    assert page.status_code == 200 and 'action="/account/password"' in page.text
    new = "another long password"
    wrong = here.post(
        "/account/password", data={"current": "not it at all", "password": new, "repeated": new}
    )
    assert wrong.status_code == 400 and "current password is wrong" in wrong.text
    assert web.users.throttle_failures("user:dane-clerk") == 1

    changed = here.post(
        "/account/password", data={"current": PASSWORD, "password": new, "repeated": new}
    )
    assert changed.status_code == 303
    assert _signed_in_as(elsewhere) is None
    assert _signed_in_as(here) == "dane-clerk"
    assert "user.password-change" in _log_actions(web)
    assert web.users.throttle_failures("user:dane-clerk") == 0
    sign_in(web.client(), "dane-clerk", new)


def test_idle_and_absolute_expiry_end_a_session(web: WebSetup) -> None:
    client = web.client()
    sign_in(client, "observer")
    now = datetime.now(UTC)
    with writing(web.recounts.engine) as connection:
        connection.execute(update(SessionRow).values(last_seen_at=now - timedelta(hours=3)))
    assert _signed_in_as(client) is None

    again = web.client()
    sign_in(again, "observer")
    with writing(web.recounts.engine) as connection:
        connection.execute(
            update(SessionRow)
            .where(SessionRow.revoked_at.is_(None))
            .values(last_seen_at=now, expires_at=now - timedelta(seconds=1))
        )
    assert _signed_in_as(again) is None


def test_a_page_load_writes_last_seen_at_most_once_a_minute(web: WebSetup) -> None:
    client = web.client()
    sign_in(client, "observer")

    def last_seen() -> datetime:
        with web.recounts.engine.connect() as connection:
            moment: datetime = connection.execute(select(SessionRow.last_seen_at)).scalar_one()
        return moment.replace(tzinfo=None)

    signed_in_at = last_seen()
    for _ in range(3):
        assert _signed_in_as(client) == "observer"
    assert last_seen() == signed_in_at

    earlier = datetime.now(UTC) - timedelta(minutes=5)
    with writing(web.recounts.engine) as connection:
        connection.execute(update(SessionRow).values(last_seen_at=earlier))
    assert _signed_in_as(client) == "observer"
    assert last_seen() > earlier.replace(tzinfo=None) + timedelta(minutes=4)


# -- sign-in ------------------------------------------------------------------------------------


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_unknown_and_known_names_cost_the_same_hash_work(
    web: WebSetup, counted_verifications: list[int]
) -> None:
    services = Services(web.url)
    for name in ("admin", "nobody-by-this-name"):
        counted_verifications.clear()
        with pytest.raises(SignInRefused) as refused:
            services.sign_in(name, "wrong password", address="10.0.0.1")
        assert refused.value.status == 401
        assert str(refused.value) == "Wrong user name or password."
        assert len(counted_verifications) == 1, name


def test_parallel_guesses_are_all_counted_against_the_limit(
    web: WebSetup, counted_verifications: list[int]
) -> None:
    """30 parallel guesses were all checked against a limit of 5."""
    policy = ThrottlePolicy(free_failures=5, first_delay=timedelta(minutes=10))
    services = Services(web.url, throttle=policy)
    outcomes: list[int] = []
    errors: list[str] = []
    start = threading.Barrier(30)

    def guess(n: int) -> None:
        start.wait()
        try:
            services.sign_in("admin", f"guess {n}", address=f"10.0.1.{n}")
        except SignInRefused as refused:
            outcomes.append(refused.status)
        except Exception as error:
            errors.append(repr(error))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(counted_verifications) == 5
    assert sorted(outcomes) == [401] * 5 + [429] * 25
    assert services.users.throttle_failures("user:admin") == 5


def test_clerks_behind_one_address_signing_in_together_are_not_slowed(web: WebSetup) -> None:
    password_hash = hash_password(PASSWORD)
    names = [f"office-clerk-{n}" for n in range(8)]
    for name in names:
        web.users.add_user(name, password_hash, Role.OBSERVER, None, actor="setup")
    services = Services(web.url)
    outcomes: list[str] = []
    start = threading.Barrier(len(names))

    def sign_in_now(name: str) -> None:
        start.wait()
        try:
            outcomes.append(services.sign_in(name, PASSWORD, address="192.0.2.50").user.username)
        except SignInRefused as refused:
            outcomes.append(f"refused {refused.status}")

    threads = [threading.Thread(target=sign_in_now, args=(n,)) for n in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == names
    assert services.users.throttle_failures("address:192.0.2.50") == 0


def test_an_attacker_cannot_lock_the_administrator_out(web: WebSetup) -> None:
    """Failures slow the account a little and the failing address a lot: the administrator,
    from an address that has not been failing, gets in after a short wait."""
    policy = ThrottlePolicy(
        free_failures=2,
        first_delay=timedelta(seconds=0.1),
        account_max_delay=timedelta(seconds=0.5),
        address_max_delay=timedelta(hours=1),
    )
    services = Services(web.url, throttle=policy)
    attacker, admin = "203.0.113.9", "198.51.100.7"
    waits: list[int] = []
    for n in range(12):
        try:
            services.sign_in("admin", f"guess {n}", address=attacker)
        except SignInRefused as refused:
            if refused.status == 429:
                waits.append(refused.retry_after)
                if refused.retry_after > 1:
                    break
                time.sleep(refused.wait_seconds)
    assert waits and waits[-1] > 1

    with pytest.raises(SignInRefused) as still:
        services.sign_in("admin", PASSWORD, address=attacker)
    assert still.value.status == 429

    waited = 0.0
    for _ in range(3):
        try:
            signed = services.sign_in("admin", PASSWORD, address=admin)
            break
        except SignInRefused as refused:
            assert refused.status == 429
            waited += refused.wait_seconds
            time.sleep(refused.wait_seconds)
    assert signed.user.username == "admin"
    assert waited <= 0.5 + 0.01


def test_a_megabyte_user_name_is_refused_before_the_store_or_the_log(web: WebSetup) -> None:
    client = web.client()
    token = client.get("/api/session").json()["csrf_token"]
    before = len(web.recounts.activity())
    huge = client.post(
        "/login", data={"username": "x" * 1_000_000, "password": "p", "csrf_token": token}
    )
    assert huge.status_code in (400, 413)
    page = client.post(
        "/login", data={"username": "x" * 10_000, "password": "p", "csrf_token": token}
    )
    assert page.status_code == 400
    assert "at most 64 characters" in page.text
    client.headers[CSRF_HEADER] = token
    api = client.post("/api/session", json={"username": "é" * 65, "password": "p"})
    assert api.status_code == 400
    assert len(web.recounts.activity()) == before
    with web.recounts.engine.connect() as connection:
        throttled = connection.execute(select(func.count()).select_from(SignInThrottleRow))
        assert throttled.scalar() == 0


def test_user_names_are_bounded_when_added(web: WebSetup) -> None:
    admin = web.client()
    sign_in(admin, "admin")
    for bad in ("y" * 65, "two  spaces", "new\nline", ""):
        refused = admin.post(
            "/admin/users",
            data={"username": bad, "password": "0123456789", "role": "observer"},
        )
        assert refused.status_code in (400, 422), bad
    added = admin.post(
        "/admin/users",
        data={
            "username": "clerk-Fond du Lac",
            "password": "0123456789",
            "role": "clerk",
            "county": "Adams",
        },
    )
    assert added.status_code == 303
    names = [u.username for u in web.users.users()]
    assert "clerk-Fond du Lac" in names and not any(len(n) > 64 for n in names)
