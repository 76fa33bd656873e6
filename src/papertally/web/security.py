"""Passwords, session tokens, CSRF tokens, client addresses and the session settings.

Passwords are hashed with Argon2id (RFC 9106) via argon2-cffi; a sign-in as an unknown user
checks the password against a dummy hash made with the same parameters, so unknown and known
names cost the same (OWASP Authentication Cheat Sheet, "authentication responses"). Sessions
live in the store (:mod:`papertally.store.users`); the browser's cookie, signed by Starlette's
SessionMiddleware, carries only a random session token, of which the store keeps the SHA-256.
Every state-changing request must carry the session's CSRF token, as a ``csrf_token`` form field
or an ``X-CSRF-Token`` header (the synchronizer-token pattern of the OWASP CSRF prevention
cheat sheet); before sign-in, the token lives in the signed cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
from collections.abc import Sequence
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from papertally.errors import PapertallyError
from papertally.store.users import SessionPolicy

_HASHER = PasswordHasher()

CSRF_FORM_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
CSRF_SESSION_KEY = "csrf"
SESSION_TOKEN_KEY = "sid"
"""The cookie's key holding the session token."""

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
"""Longer passwords are refused before hashing (a megabyte password is no password)."""

SESSION_HOURS_ENV = "PAPERTALLY_SESSION_HOURS"
"""Absolute session lifetime in hours (default 12)."""
SESSION_IDLE_MINUTES_ENV = "PAPERTALLY_SESSION_IDLE_MINUTES"
"""Idle session lifetime in minutes (default 120)."""
TRUSTED_PROXIES_ENV = "PAPERTALLY_TRUSTED_PROXIES"
"""Comma-separated addresses or networks of reverse proxies whose X-Forwarded-For is believed."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def hash_password(password: str) -> str:
    """Return the Argon2id hash of ``password`` (with its own random salt)."""
    return _HASHER.hash(password)


@cache
def _dummy_hash() -> str:
    """Return a hash of a random password, made once, to check unknown users against."""
    return _HASHER.hash(secrets.token_urlsafe(16))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Return True when ``password`` matches ``password_hash``; never raises on a bad hash.

    With no hash (an unknown user) the password is checked against a dummy hash and False is
    returned: the same Argon2 work either way, so timing does not tell which names exist.
    """
    try:
        matched = _HASHER.verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None


def password_problem(password: str) -> str | None:
    """Return why ``password`` cannot be a new password, or None when it can."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password must have at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"a password has at most {MAX_PASSWORD_LENGTH} characters"
    return None


def new_csrf_token() -> str:
    """Return a fresh unguessable token for a session."""
    return secrets.token_urlsafe(32)


def new_session_token() -> str:
    """Return a fresh session token (256 random bits), the only thing the cookie carries."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Return the SHA-256 of a session token, as stored (a stolen table opens no session)."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_valid(expected: str | None, presented: str | None) -> bool:
    """Compare tokens in constant time; a missing token on either side never matches."""
    if not expected or not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value < 10_000:
        raise PapertallyError(f"${name} must be a positive number, not {raw[:40]!r}")
    return value


def session_policy_from_env() -> SessionPolicy:
    """Return the session lifetimes set by ``$PAPERTALLY_SESSION_HOURS`` and
    ``$PAPERTALLY_SESSION_IDLE_MINUTES`` (defaults 12 h and 2 h)."""
    default = SessionPolicy()
    hours = _env_number(SESSION_HOURS_ENV, default.absolute.total_seconds() / 3600)
    minutes = _env_number(SESSION_IDLE_MINUTES_ENV, default.idle.total_seconds() / 60)
    return SessionPolicy(absolute=timedelta(hours=hours), idle=timedelta(minutes=minutes))


def trusted_proxies(text: str | None) -> tuple[Network, ...]:
    """Parse ``$PAPERTALLY_TRUSTED_PROXIES``: addresses or networks separated by commas."""
    found: list[Network] = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        try:
            found.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError:
            raise PapertallyError(
                f"${TRUSTED_PROXIES_ENV}: {part.strip()[:60]!r} is not an address or network"
            ) from None
    return tuple(found)


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in proxies)


def client_address(peer: str | None, forwarded_for: str | None, proxies: Sequence[Network]) -> str:
    """Return the address a request came from, for sign-in throttling and the log.

    The connection's peer, unless the peer is a trusted proxy: then X-Forwarded-For is read
    from the right, skipping trusted proxies, and the first other address is the client (what
    a client writes on the left of the header is not believed).
    """
    address = peer or "unknown"
    if not proxies or not _trusted(address, proxies) or not forwarded_for:
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        if not hop:
            continue
        address = hop[:64]
        if not _trusted(hop, proxies):
            break
    return address
