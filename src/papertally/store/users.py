"""Accounts of the recount app in the store: users and the sign-in failures kept to slow guessing.

Every change is one transaction that also appends to the activity log (through
:meth:`papertally.store.recounts.RecountStore.append`), so an account never changes unlogged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from papertally.errors import PapertallyError
from papertally.model.recount import Role
from papertally.store.engine import reading, writing
from papertally.store.recount_schema import SignInFailureRow, UserRow
from papertally.store.recounts import RecountStore, _now, _utc
from papertally.types import CountyName


@dataclass(frozen=True)
class User:
    """A user as the app needs it (never the password hash)."""

    id: int
    username: str
    role: Role
    county: CountyName | None


class UserStore:
    """The store's account operations, over an engine whose schema is migrated."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._log = RecountStore(engine)

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
        if role in {Role.CLERK, Role.BOARD} and not county:
            raise PapertallyError(f"a {role.value} must be given a county")
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
                    county=county if role in {Role.CLERK, Role.BOARD} else None,
                    created_at=_now(),
                )
                .returning(UserRow.id)
            ).scalar_one()
            self._log.append(
                connection,
                actor,
                "user.create",
                f"user/{username}",
                {"role": role.value, "county": county},
            )
        return User(user_id, username, role, county)

    def user_credentials(self, username: str) -> tuple[User, str] | None:
        """Return the user called ``username`` and their password hash, or None."""
        with reading(self.engine) as connection:
            row = (
                Session(connection)
                .scalars(select(UserRow).where(UserRow.username == username))
                .one_or_none()
            )
        if row is None:
            return None
        return User(row.id, row.username, Role(row.role), row.county), row.password_hash

    def user(self, user_id: int) -> User | None:
        """Return the user with id ``user_id``, or None."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(UserRow.username, UserRow.role, UserRow.county).where(UserRow.id == user_id)
            ).first()
        return None if row is None else User(user_id, row.username, Role(row.role), row.county)

    def users(self) -> list[User]:
        """Return every user, by name."""
        with reading(self.engine) as connection:
            rows = Session(connection).scalars(select(UserRow).order_by(UserRow.username)).all()
        return [User(r.id, r.username, Role(r.role), r.county) for r in rows]

    def recent_sign_in_failures(self, username: str, since: datetime) -> list[datetime]:
        """Return when sign-ins as ``username`` failed since ``since``."""
        with reading(self.engine) as connection:
            moments = connection.execute(
                select(SignInFailureRow.failed_at).where(
                    SignInFailureRow.username == username, SignInFailureRow.failed_at >= since
                )
            ).scalars()
            return [_utc(m) for m in moments]

    def record_sign_in(self, username: str, *, succeeded: bool) -> None:
        """Log a sign-in; a failure is also kept for rate limiting."""
        with writing(self.engine) as connection:
            if not succeeded:
                connection.execute(
                    insert(SignInFailureRow).values(username=username, failed_at=_now())
                )
            self._log.append(
                connection,
                username,
                "sign-in" if succeeded else "sign-in.failed",
                f"user/{username}",
                {},
            )
