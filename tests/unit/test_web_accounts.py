"""The pure parts of accounts: user names, backoff delays, client addresses behind proxies,
session settings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from papertally.errors import PapertallyError
from papertally.store.users import MAX_USERNAME_LENGTH, ThrottlePolicy, username_problem
from papertally.web.security import (
    client_address,
    password_problem,
    session_policy_from_env,
    trusted_proxies,
    verify_password,
)


@pytest.mark.parametrize(
    "name", ["admin", "clerk-Fond du Lac", "o'brien", "ana.m@county", "Ørsted"]
)
def test_ordinary_user_names_are_taken(name: str) -> None:
    assert username_problem(name) is None


@pytest.mark.parametrize(
    "name",
    [
        "",
        "x" * (MAX_USERNAME_LENGTH + 1),
        " leading",
        "trailing ",
        "two  spaces",
        "tab\there",
        "new\nline",
        "<script>",
        "a/b",
    ],
)
def test_odd_user_names_are_refused(name: str) -> None:
    assert username_problem(name) is not None


def test_a_name_of_the_longest_length_is_taken() -> None:
    assert username_problem("x" * MAX_USERNAME_LENGTH) is None


def test_backoff_is_free_at_first_then_doubles_up_to_each_cap() -> None:
    policy = ThrottlePolicy()
    account = [policy.delay("user:admin", n).total_seconds() for n in range(4, 12)]
    address = [policy.delay("address:10.0.0.1", n).total_seconds() for n in (5, 9, 14, 50, 10**6)]
    assert account == [0, 1, 2, 4, 8, 16, 30, 30]
    assert address == [1, 16, 512, 900, 900]
    assert policy.delay("user:x", 10**9) == timedelta(seconds=30)


def test_passwords_are_bounded_both_ways() -> None:
    assert password_problem("short") is not None
    assert password_problem("x" * 2000) is not None
    assert password_problem("long enough password") is None


def test_an_unknown_user_never_matches_even_the_dummy_password() -> None:
    assert not verify_password(None, "")
    assert not verify_password("not a hash", "anything")


PROXY = trusted_proxies("10.0.0.0/8, 192.0.2.1")


def test_the_peer_is_the_client_unless_it_is_a_trusted_proxy() -> None:
    assert client_address("203.0.113.5", "1.2.3.4", PROXY) == "203.0.113.5"
    assert client_address("203.0.113.5", "1.2.3.4", ()) == "203.0.113.5"
    assert client_address("192.0.2.1", "198.51.100.9", PROXY) == "198.51.100.9"


def test_a_forged_left_part_of_x_forwarded_for_is_not_believed() -> None:
    forged = "6.6.6.6, 198.51.100.9, 10.1.2.3"
    assert client_address("10.0.0.2", forged, PROXY) == "198.51.100.9"
    assert client_address("10.0.0.2", None, PROXY) == "10.0.0.2"
    assert client_address(None, None, PROXY) == "unknown"


def test_a_bad_proxy_setting_is_one_clear_error() -> None:
    with pytest.raises(PapertallyError, match="PAPERTALLY_TRUSTED_PROXIES"):
        trusted_proxies("10.0.0.0/8, proxy.example")


def test_session_lifetimes_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert session_policy_from_env().absolute == timedelta(hours=12)
    assert session_policy_from_env().idle == timedelta(hours=2)
    monkeypatch.setenv("PAPERTALLY_SESSION_HOURS", "8")
    monkeypatch.setenv("PAPERTALLY_SESSION_IDLE_MINUTES", "30")
    policy = session_policy_from_env()
    assert (policy.absolute, policy.idle) == (timedelta(hours=8), timedelta(minutes=30))
    monkeypatch.setenv("PAPERTALLY_SESSION_HOURS", "soon")
    with pytest.raises(PapertallyError, match="PAPERTALLY_SESSION_HOURS"):
        session_policy_from_env()
