"""Accounts of the recount app in the store: users, their server-side sessions, and the
failed sign-ins counted to slow down guessing.

Every change to an account is one transaction that also appends to the activity log (through
:meth:`papertally.store.recounts.RecountStore.append`), so an account never changes unlogged.
A password, role or status change ends every session of that user in the same transaction.

Sign-in throttling follows the OWASP Authentication Cheat Sheet: failures are counted per
account and per client address, and past a few free failures each further attempt must wait
an exponentially growing delay (capped) instead of meeting a hard lockout. An attempt is
claimed on the account (counted as a failure) under a row lock *before* its password is
checked, so parallel guesses cannot all slip under the limit; a success clears the count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from papertally.errors import PapertallyError
from papertally.model.recount import Role
from papertally.store.engine import reading, writing
from papertally.store.integrity import logged_rows
from papertally.store.recount_schema import SessionRow, SignInThrottleRow, UserRow
from papertally.store.recounts import RecountStore
from papertally.types import CountyName

MAX_USERNAME_LENGTH = 64
"""The longest user name taken (the column holds 120; the log keeps names, so keep them short)."""

_USERNAME = re.compile(r"[\w.@'-]+(?: [\w.@'-]+)*")
"""Letters, digits and ``_ . @ ' -``, words separated by single spaces ("clerk-Fond du Lac")."""


def username_problem(username: str) -> str | None:
    """Return why ``username`` cannot be a user name, or None when it can."""
    if not username:
        return "a user name is needed"
    if len(username) > MAX_USERNAME_LENGTH:
        return f"a user name has at most {MAX_USERNAME_LENGTH} characters"
    if _USERNAME.fullmatch(username) is None:
        return (
            "a user name may hold letters, digits, single spaces between words and the "
            "characters _ . @ ' -"
        )
    return None


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(moment: datetime) -> datetime:
    """Return ``moment`` as an aware UTC datetime (SQLite hands back naive ones)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class User:
    """A user as the app needs it (never the password hash)."""

    id: int
    username: str
    role: Role
    county: CountyName | None
    disabled: bool = False


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lasts (OWASP Session Management Cheat Sheet: idle and absolute)."""

    absolute: timedelta = timedelta(hours=12)
    """A session ends this long after sign-in, however busy."""
    idle: timedelta = timedelta(hours=2)
    """A session ends when unused this long."""
    touch_every: timedelta = timedelta(minutes=1)
    """``last_seen_at`` is rewritten at most this often, so page loads stay reads."""


@dataclass(frozen=True)
class ThrottlePolicy:
    """How failed sign-ins slow down the next attempt, per account and per client address."""

    free_failures: int = 5
    """Failures allowed without delay (typing mistakes)."""
    first_delay: timedelta = timedelta(seconds=1)
    """The wait after the last free failure; it doubles with each further failure."""
    account_max_delay: timedelta = timedelta(seconds=30)
    """The longest wait an account imposes (kept short: anyone can fail on any account)."""
    address_max_delay: timedelta = timedelta(minutes=15)
    """The longest wait a client address imposes on itself."""
    forget_after: timedelta = timedelta(hours=1)
    """Failures older than this (with none since) are forgotten."""

    def delay(self, key: str, failures: int) -> timedelta:
        """Return the wait before the next attempt of ``key`` after ``failures`` failures."""
        if failures < self.free_failures:
            return timedelta(0)
        cap = self.account_max_delay if key.startswith("user:") else self.address_max_delay
        doublings = min(failures - self.free_failures, 40)
        grown: timedelta = self.first_delay * (2**doublings)
        return min(cap, grown)


def account_key(username: str) -> str:
    """Return the throttle key of an account (whether or not it exists)."""
    return f"user:{username}"


def address_key(address: str) -> str:
    """Return the throttle key of a client address."""
    return f"address:{address[:100]}"


@dataclass(frozen=True)
class ActiveSession:
    """A live session: its row, its user and its CSRF token."""

    id: int
    user: User
    csrf_token: str


def _user_of(row: Any) -> User:
    return User(row.id, row.username, Role(row.role), row.county, bool(row.disabled))


_USER_COLUMNS = (UserRow.id, UserRow.username, UserRow.role, UserRow.county, UserRow.disabled)


_LIVE_SESSION = (
    select(
        SessionRow.id.label("session_id"),
        SessionRow.csrf_token,
        SessionRow.last_seen_at,
        SessionRow.expires_at,
        *_USER_COLUMNS,
    )
    .join(UserRow, UserRow.id == SessionRow.user_id)
    .where(
        SessionRow.token_digest == bindparam("digest"),
        SessionRow.revoked_at.is_(None),
        UserRow.disabled.is_(False),
    )
)
"""The look-up every signed-in request makes, built once (building it cost more than running it)."""


class UserStore:
    """The store's account operations, over an engine whose schema is migrated."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._log = RecountStore(engine)

    # -- users -------------------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        password_hash: str,
        role: Role,
        county: CountyName | None,
        *,
        actor: str,
    ) -> User:
        """Create a user; clerks and board members must belong to a county."""
        problem = username_problem(username)
        if problem is not None:
            raise PapertallyError(f"user name {username[:MAX_USERNAME_LENGTH]!r}: {problem}")
        if role in {Role.CLERK, Role.BOARD} and not county:
            raise PapertallyError(f"a {role.value} must be given a county")
        county = county if role in {Role.CLERK, Role.BOARD} else None
        with writing(self.engine) as connection:
            taken = connection.execute(
                select(UserRow.id).where(UserRow.username == username)
            ).first()
            if taken is not None:
                raise PapertallyError(f"there is already a user called {username!r}")
            user_id = connection.execute(
                insert(UserRow)
                .values(
                    username=username,
                    password_hash=password_hash,
                    role=role.value,
                    county=county,
                    created_at=_now(),
                    disabled=False,
                )
                .returning(UserRow.id)
            ).scalar_one()
            self._log.append(
                connection,
                actor,
                "user.create",
                f"user/{username}",
                {"user_id": user_id, "role": role.value, "county": county},
                rows=logged_rows(connection, UserRow, UserRow.id == user_id),
            )
        return User(user_id, username, role, county)

    def user_credentials(self, username: str) -> tuple[User, str] | None:
        """Return the user called ``username`` (disabled or not) and their hash, or None."""
        with reading(self.engine) as connection:
            row = connection.execute(
                select(*_USER_COLUMNS, UserRow.password_hash).where(UserRow.username == username)
            ).first()
        return None if row is None else (_user_of(row), row.password_hash)

    def user(self, user_id: int) -> User | None:
        """Return the user with id ``user_id``, or None."""
        with reading(self.engine) as connection:
            row = connection.execute(select(*_USER_COLUMNS).where(UserRow.id == user_id)).first()
        return None if row is None else _user_of(row)

    def user_named(self, username: str) -> User:
        """Return the user called ``username``; a user error when there is none."""
        with reading(self.engine) as connection:
            row = connection.execute(
                select(*_USER_COLUMNS).where(UserRow.username == username)
            ).first()
        if row is None:
            raise PapertallyError(f"there is no user called {username[:MAX_USERNAME_LENGTH]!r}")
        return _user_of(row)

    def users(self) -> list[User]:
        """Return every user, disabled ones included, by name."""
        with reading(self.engine) as connection:
            rows = connection.execute(select(*_USER_COLUMNS).order_by(UserRow.username)).all()
        return [_user_of(r) for r in rows]

    def set_disabled(self, user_id: int, disabled: bool, *, actor: str) -> User:
        """Disable (ending every session) or re-enable a user; logged."""
        with writing(self.engine) as connection:
            user = self._locked_user(connection, user_id)
            connection.execute(
                update(UserRow).where(UserRow.id == user_id).values(disabled=disabled)
            )
            ended = self._end_sessions(connection, user_id) if disabled else 0
            self._log.append(
                connection,
                actor,
                "user.disable" if disabled else "user.enable",
                f"user/{user.username}",
                {"user_id": user_id, "sessions_ended": ended},
                rows=logged_rows(connection, UserRow, UserRow.id == user_id),
            )
        return User(user.id, user.username, user.role, user.county, disabled)

    def set_password(self, user_id: int, password_hash: str, *, actor: str, reset: bool) -> int:
        """Store a new password hash and end every session of the user; return how many.

        ``reset`` marks an administrator's reset (logged as such) rather than the user's own
        change. The hash itself never enters the log.
        """
        with writing(self.engine) as connection:
            user = self._locked_user(connection, user_id)
            connection.execute(
                update(UserRow).where(UserRow.id == user_id).values(password_hash=password_hash)
            )
            ended = self._end_sessions(connection, user_id)
            self._log.append(
                connection,
                actor,
                "user.password-reset" if reset else "user.password-change",
                f"user/{user.username}",
                {"user_id": user_id, "sessions_ended": ended},
                rows=logged_rows(connection, UserRow, UserRow.id == user_id),
            )
        return ended

    def set_role(self, user_id: int, role: Role, county: CountyName | None, *, actor: str) -> User:
        """Change a user's role (and county), ending every session of the user; logged."""
        if role in {Role.CLERK, Role.BOARD} and not county:
            raise PapertallyError(f"a {role.value} must be given a county")
        county = county if role in {Role.CLERK, Role.BOARD} else None
        with writing(self.engine) as connection:
            user = self._locked_user(connection, user_id)
            connection.execute(
                update(UserRow).where(UserRow.id == user_id).values(role=role.value, county=county)
            )
            ended = self._end_sessions(connection, user_id)
            self._log.append(
                connection,
                actor,
                "user.role",
                f"user/{user.username}",
                {
                    "user_id": user_id,
                    "role": role.value,
                    "county": county,
                    "was": {"role": user.role.value, "county": user.county},
                    "sessions_ended": ended,
                },
                rows=logged_rows(connection, UserRow, UserRow.id == user_id),
            )
        return User(user.id, user.username, role, county, user.disabled)

    @staticmethod
    def _locked_user(connection: Connection, user_id: int) -> User:
        """Return user ``user_id``, its row locked for this transaction (PostgreSQL)."""
        row = connection.execute(
            select(*_USER_COLUMNS).where(UserRow.id == user_id).with_for_update()
        ).first()
        if row is None:
            raise PapertallyError(f"there is no user {user_id}")
        return _user_of(row)

    @staticmethod
    def _end_sessions(connection: Connection, user_id: int) -> int:
        """Revoke every live session of ``user_id``; return how many were live."""
        result = connection.execute(
            update(SessionRow)
            .where(SessionRow.user_id == user_id, SessionRow.revoked_at.is_(None))
            .values(revoked_at=_now())
        )
        return int(result.rowcount)

    # -- sessions ----------------------------------------------------------------------------

    def open_session(
        self,
        user: User,
        *,
        token_digest: str,
        csrf_token: str,
        address: str,
        policy: SessionPolicy,
    ) -> None:
        """Record a successful sign-in: forget the account's failures, store the session, log.

        The account's failures are forgotten (its owner proved the password); the address
        keeps its failures, so signing in to one's own account does not wipe the record of
        guessing at others.
        """
        now = _now()
        with writing(self.engine) as connection:
            connection.execute(
                delete(SignInThrottleRow).where(SignInThrottleRow.key == account_key(user.username))
            )
            self._drop_dead_sessions(connection, now)
            connection.execute(
                insert(SessionRow).values(
                    token_digest=token_digest,
                    user_id=user.id,
                    csrf_token=csrf_token,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + policy.absolute,
                    revoked_at=None,
                )
            )
            self._log.append(
                connection, user.username, "sign-in", f"user/{user.username}", {"address": address}
            )

    @staticmethod
    def _drop_dead_sessions(connection: Connection, now: datetime) -> None:
        """Delete up to 100 sessions that can never be used again (revoked or past their
        absolute expiry), so the table stays small; never waits on a lock."""
        dead = (
            select(SessionRow.id)
            .where((SessionRow.revoked_at.is_not(None)) | (SessionRow.expires_at < now))
            .with_for_update(skip_locked=True)
            .limit(100)
        )
        ids = connection.execute(dead).scalars().all()
        if ids:
            connection.execute(delete(SessionRow).where(SessionRow.id.in_(ids)))

    def session(self, token_digest: str, policy: SessionPolicy) -> ActiveSession | None:
        """Return the live session whose token has ``token_digest``, or None.

        None when it is unknown, revoked, past its absolute or idle expiry, or its user is
        disabled. Its ``last_seen_at`` is moved on at most once per ``policy.touch_every``.
        """
        now = _now()
        with self.engine.connect() as connection:
            row = connection.execute(_LIVE_SESSION, {"digest": token_digest}).first()
        if row is None:
            return None
        last_seen = _utc(row.last_seen_at)
        if now >= _utc(row.expires_at) or now - last_seen >= policy.idle:
            return None
        if now - last_seen >= policy.touch_every:
            with writing(self.engine) as connection:
                connection.execute(
                    update(SessionRow)
                    .where(
                        SessionRow.id == row.session_id,
                        SessionRow.last_seen_at < now - policy.touch_every,
                    )
                    .values(last_seen_at=now)
                )
        return ActiveSession(row.session_id, _user_of(row), row.csrf_token)

    def end_session(self, token_digest: str) -> None:
        """Revoke one session (sign-out) and log it; an unknown or ended one is left alone."""
        with writing(self.engine) as connection:
            row = connection.execute(
                select(SessionRow.id, UserRow.username)
                .join(UserRow, UserRow.id == SessionRow.user_id)
                .where(SessionRow.token_digest == token_digest, SessionRow.revoked_at.is_(None))
            ).first()
            if row is None:
                return
            connection.execute(
                update(SessionRow).where(SessionRow.id == row.id).values(revoked_at=_now())
            )
            self._log.append(connection, row.username, "sign-out", f"user/{row.username}", {})

    # -- sign-in throttling ------------------------------------------------------------------

    def claim_sign_in(
        self, username: str, address: str, policy: ThrottlePolicy
    ) -> timedelta | None:
        """Claim one sign-in attempt at the account ``username`` from ``address``, or say how
        long to wait.

        In one transaction, with both rows locked (``SELECT ... FOR UPDATE`` on PostgreSQL;
        SQLite's ``BEGIN IMMEDIATE`` serializes writers): when the account or the address must
        still wait, nothing is claimed and the longer wait is returned. Otherwise the account
        counts one more failure at once (forgotten by :meth:`open_session` on success), so
        parallel guesses at one account are all counted before any password is checked. The
        address counts only real failures (:meth:`record_failed_sign_in`), so an office of
        clerks behind one address signing in together is not slowed by its own successes.
        """
        now = _now()
        claimed, checked = account_key(username), address_key(address)
        ordered = sorted({claimed, checked})
        with writing(self.engine) as connection:
            self._forget_old_failures(connection, now - policy.forget_after)
            rows = self._locked_rows(connection, ordered, now)
            now = _now()  # read once the rows are ours: a claim that waited sees the others'
            wait = timedelta(0)
            for row in rows:
                if now - _utc(row.last_failure_at) <= policy.forget_after:
                    wait = max(wait, _utc(row.next_allowed_at) - now)
            if wait > timedelta(0):
                return wait
            self._count_failure(connection, next(r for r in rows if r.key == claimed), policy, now)
        return None

    @staticmethod
    def _locked_rows(connection: Connection, keys: Sequence[str], now: datetime) -> list[Any]:
        """Return the throttle rows of ``keys`` (made when missing), locked, in key order."""
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        connection.execute(
            dialect.insert(SignInThrottleRow)
            .values(
                [
                    {"key": k, "failures": 0, "last_failure_at": now, "next_allowed_at": now}
                    for k in keys
                ]
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        return list(
            connection.execute(
                select(SignInThrottleRow)
                .where(SignInThrottleRow.key.in_(keys))
                .order_by(SignInThrottleRow.key)
                .with_for_update()
            ).all()
        )

    @staticmethod
    def _count_failure(
        connection: Connection, row: Any, policy: ThrottlePolicy, now: datetime
    ) -> None:
        """Count one more failure on a locked throttle row and set when it may try again."""
        forgotten = now - _utc(row.last_failure_at) > policy.forget_after
        failures = (0 if forgotten else row.failures) + 1
        connection.execute(
            update(SignInThrottleRow)
            .where(SignInThrottleRow.key == row.key)
            .values(
                failures=failures,
                last_failure_at=now,
                next_allowed_at=now + policy.delay(row.key, failures),
            )
        )

    @staticmethod
    def _forget_old_failures(connection: Connection, before: datetime) -> None:
        """Delete throttle rows with no failure since ``before`` (never waiting on a lock)."""
        stale = (
            select(SignInThrottleRow.key)
            .where(SignInThrottleRow.last_failure_at < before)
            .with_for_update(skip_locked=True)
            .limit(100)
        )
        keys = connection.execute(stale).scalars().all()
        if keys:
            connection.execute(delete(SignInThrottleRow).where(SignInThrottleRow.key.in_(keys)))

    def record_failed_sign_in(self, username: str, address: str, policy: ThrottlePolicy) -> None:
        """Count a failed sign-in against the address and log it (the name is bounded by
        :func:`username_problem` first; the account counted it when it was claimed)."""
        with writing(self.engine) as connection:
            now = _now()
            (row,) = self._locked_rows(connection, [address_key(address)], now)
            self._count_failure(connection, row, policy, _now())
            self._log.append(
                connection,
                username,
                "sign-in.failed",
                f"user/{username}",
                {"address": address},
            )

    def throttle_failures(self, key: str) -> int:
        """Return the failures counted for ``key`` (0 when none)."""
        with reading(self.engine) as connection:
            found = connection.execute(
                select(SignInThrottleRow.failures).where(SignInThrottleRow.key == key)
            ).scalar_one_or_none()
        return int(found or 0)
