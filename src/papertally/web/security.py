"""Passwords, CSRF tokens and sign-in rate limiting.

Passwords are hashed with Argon2id (RFC 9106) via argon2-cffi. Sessions are signed cookies
(Starlette's SessionMiddleware, itsdangerous HMAC). Every state-changing request must carry the
session's CSRF token, as a ``csrf_token`` form field or an ``X-CSRF-Token`` header (the
synchronizer-token pattern of the OWASP CSRF prevention cheat sheet).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()

CSRF_FORM_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
CSRF_SESSION_KEY = "csrf"

MAX_FAILED_SIGN_INS = 5
"""Failed sign-ins allowed for one user name within :data:`SIGN_IN_WINDOW` before refusal."""
SIGN_IN_WINDOW = timedelta(minutes=15)


def hash_password(password: str) -> str:
    """Return the Argon2id hash of ``password`` (with its own random salt)."""
    return _HASHER.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    """Return True when ``password`` matches ``password_hash``; never raises on a bad hash."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_csrf_token() -> str:
    """Return a fresh unguessable token for a session."""
    return secrets.token_urlsafe(32)


def csrf_token_valid(expected: str | None, presented: str | None) -> bool:
    """Compare tokens in constant time; a missing token on either side never matches."""
    if not expected or not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


def sign_in_locked(recent_failures: list[datetime], now: datetime) -> bool:
    """Return True when too many sign-ins failed within the window ending ``now``."""
    window_start = now - SIGN_IN_WINDOW
    return sum(1 for at in recent_failures if at >= window_start) >= MAX_FAILED_SIGN_INS
