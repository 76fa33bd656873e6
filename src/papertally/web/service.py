"""What the web pages ask of the store, in one place: sign-in and sessions, and the recount's
use-cases (:mod:`papertally.workflows.recount`, shared with the other doors).

The app keeps no state in process memory that the store does not confirm: every request reads
the store, so several app processes behind one PostgreSQL database see the same recount. The one
cache, of imported elections (every page of a recount needs its canvass, which takes tens of
milliseconds to read), is checked against the store's election version on every use.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Engine

from papertally.errors import PapertallyError
from papertally.model import ContestCount, Election, ImportResult
from papertally.reconcile.progress import RecountProgress
from papertally.store import Store
from papertally.store.recounts import RecountStore
from papertally.store.users import (
    SessionPolicy,
    ThrottlePolicy,
    User,
    UserStore,
    username_problem,
)
from papertally.types import ElectionId, ReportingUnitId
from papertally.web.security import (
    MAX_PASSWORD_LENGTH,
    new_csrf_token,
    new_session_token,
    token_digest,
    verify_password,
)
from papertally.workflows import recount
from papertally.workflows.recount import RecountView

ELECTIONS_CACHED = 2
"""How many imported elections one app process keeps in memory (the recounts' canvasses)."""


class SignInRefused(PapertallyError):
    """A sign-in was refused; ``status`` is the HTTP status to answer with.

    400 for a name or password that cannot be one, 401 for wrong credentials, 403 for a
    disabled account, 429 while throttled (``retry_after`` seconds to wait).
    """

    def __init__(self, message: str, *, status: int, wait_seconds: float = 0.0) -> None:
        super().__init__(message)
        self.status = status
        self.wait_seconds = wait_seconds
        """How long to wait before trying again (429 only)."""

    @property
    def retry_after(self) -> int:
        """The wait in whole seconds, rounded up, for a ``Retry-After`` header (0: none)."""
        return math.ceil(self.wait_seconds) if self.wait_seconds > 0 else 0


@dataclass(frozen=True)
class SignedIn:
    """A new session: its user, the token for the cookie and the CSRF token."""

    user: User
    token: str
    csrf_token: str


class Services:
    """The store's operations the web app needs, over one engine."""

    def __init__(
        self,
        url: str,
        *,
        sessions: SessionPolicy | None = None,
        throttle: ThrottlePolicy | None = None,
    ) -> None:
        self.store = Store(url)
        self.recounts = RecountStore(self.store.engine)
        self.users = UserStore(self.store.engine)
        self.sessions = sessions or SessionPolicy()
        self.throttle = throttle or ThrottlePolicy()
        self._elections: OrderedDict[ElectionId, tuple[tuple[str, int], Election]] = OrderedDict()
        self._elections_lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        """Return the store's engine."""
        return self.store.engine

    def import_canvass(
        self, result: ImportResult, *, actor: str, name: str | None, digests: Mapping[str, str]
    ) -> ElectionId:
        """Save an import and log it, in one transaction."""
        return recount.import_canvass(self.engine, result, actor=actor, name=name, digests=digests)

    def sign_in(self, username: str, password: str, *, address: str) -> SignedIn:
        """Check a user's password from client ``address``; open a session, or refuse.

        A name or password that cannot be one is refused before the store is touched or
        anything logged. Then one attempt is claimed on the account (refused while the account
        or the address must wait, see :class:`ThrottlePolicy`), the password is checked, against
        a dummy hash for an unknown name (the same work, so timing tells nothing), and the
        outcome is logged. Raises :class:`SignInRefused`.
        """
        problem = username_problem(username)
        if problem is not None:
            raise SignInRefused(f"User name: {problem}.", status=400)
        if len(password) > MAX_PASSWORD_LENGTH:
            raise SignInRefused(f"Password: at most {MAX_PASSWORD_LENGTH} characters.", status=400)
        wait = self.users.claim_sign_in(username, address, self.throttle)
        if wait is not None:
            seconds = wait.total_seconds()
            raise SignInRefused(
                f"Too many failed sign-ins. Wait {math.ceil(seconds)} seconds and try again.",
                status=429,
                wait_seconds=seconds,
            )
        found = self.users.user_credentials(username)
        if not verify_password(None if found is None else found[1], password) or found is None:
            self.users.record_failed_sign_in(username, address, self.throttle)
            raise SignInRefused("Wrong user name or password.", status=401)
        user = found[0]
        if user.disabled:
            self.users.record_failed_sign_in(username, address, self.throttle)
            raise SignInRefused("This account is disabled; ask the administrator.", status=403)
        return self.open_session(user, address=address)

    def open_session(self, user: User, *, address: str) -> SignedIn:
        """Open a session for ``user``, whose password was just checked."""
        token, csrf = new_session_token(), new_csrf_token()
        self.users.open_session(
            user,
            token_digest=token_digest(token),
            csrf_token=csrf,
            address=address,
            policy=self.sessions,
        )
        return SignedIn(user, token, csrf)

    def recount_view(self, recount_id: int) -> RecountView:
        """Return recount ``recount_id`` with its election, contest and base count."""
        return recount.recount_view(
            self.store, self.recounts, recount_id, load_election=self.election
        )

    def election(self, election_id: ElectionId) -> Election:
        """Return a stored election, from this process's cache when the store says it is current.

        The cache holds the :data:`ELECTIONS_CACHED` elections used last, each under the version
        the store gave when it was read (:meth:`Store.election_version`); a changed or deleted
        election is read again (or refused by the store), never served from memory.
        """
        version = self.store.election_version(election_id)
        with self._elections_lock:
            cached = self._elections.get(election_id)
            if version is not None and cached is not None and cached[0] == version:
                self._elections.move_to_end(election_id)
                return cached[1]
        election = self.store.load_election(election_id)
        if version is not None:
            with self._elections_lock:
                self._elections[election_id] = (version, election)
                self._elections.move_to_end(election_id)
                while len(self._elections) > ELECTIONS_CACHED:
                    self._elections.popitem(last=False)
        return election

    def progress(self, view: RecountView, *, county: str | None = None) -> RecountProgress:
        """Return the recount's figures so far, statewide or for one county."""
        return recount.progress(self.recounts, view, county=county)

    def recount_count(self, view: RecountView) -> ContestCount:
        """Return the recount as a count: every ward's current sheets summed."""
        return recount.recount_count(self.recounts, view)

    def missing_wards(self, recount_id: int, county: str) -> list[ReportingUnitId]:
        """Return the county's wards that have no tally sheet yet."""
        return recount.missing_wards(self.recounts, recount_id, county)


def require(condition: bool, message: str) -> None:
    """Raise a user error with ``message`` unless ``condition`` holds."""
    if not condition:
        raise PapertallyError(message)
