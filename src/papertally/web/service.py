"""What the web pages ask of the store, in one place: the results, the recount and its figures.

The app keeps no state in process memory: every request reads the store, so several app
processes behind one PostgreSQL database see the same recount.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from papertally.errors import PapertallyError
from papertally.model import Contest, ContestCount, Election, ImportResult
from papertally.model.recount import ward_totals_from_sheets
from papertally.reconcile.progress import RecountProgress, recount_progress
from papertally.store import Store
from papertally.store.engine import writing
from papertally.store.recounts import Recount, RecountStore
from papertally.store.users import (
    SessionPolicy,
    ThrottlePolicy,
    User,
    UserStore,
    account_key,
    address_key,
    username_problem,
)
from papertally.store.writer import log_import, save_import
from papertally.types import ChoiceName, ElectionId, ReportingUnitId
from papertally.web.security import (
    MAX_PASSWORD_LENGTH,
    new_csrf_token,
    new_session_token,
    token_digest,
    verify_password,
)


@dataclass(frozen=True)
class RecountView:
    """A recount with the contest it recounts and its base count (the original canvass)."""

    recount: Recount
    election: Election
    contest: Contest
    base: ContestCount

    @property
    def choices(self) -> list[ChoiceName]:
        """Return the contest's choices in ballot order, as found in the base count."""
        names = self.contest.choice_names()
        for tally in self.base.units.values():
            for choice in tally.votes:
                if choice not in names:
                    names.append(choice)
        return names


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

    @property
    def engine(self) -> Engine:
        """Return the store's engine."""
        return self.store.engine

    def import_canvass(
        self, result: ImportResult, *, actor: str, name: str | None, digests: Mapping[str, str]
    ) -> ElectionId:
        """Save an import and log it, in one transaction."""
        with writing(self.engine) as connection:
            election_id = save_import(
                connection,
                result,
                election_name=name,
                into=None,
                file_digests=digests,
                now=datetime.now(UTC),
            )
            log_import(connection, result, election_id, actor=actor, file_digests=digests)
        return election_id

    def sign_in(self, username: str, password: str, *, address: str) -> SignedIn:
        """Check a user's password from client ``address``; open a session, or refuse.

        A name or password that cannot be one is refused before the store is touched or
        anything logged. Then one attempt is claimed for the account and the address (refused
        while either must wait, see :class:`ThrottlePolicy`), the password is checked, against
        a dummy hash for an unknown name (the same work, so timing tells nothing), and the
        outcome is logged. Raises :class:`SignInRefused`.
        """
        problem = username_problem(username)
        if problem is not None:
            raise SignInRefused(f"User name: {problem}.", status=400)
        if len(password) > MAX_PASSWORD_LENGTH:
            raise SignInRefused(f"Password: at most {MAX_PASSWORD_LENGTH} characters.", status=400)
        wait = self.users.claim_sign_in(
            [account_key(username), address_key(address)], self.throttle
        )
        if wait is not None:
            seconds = wait.total_seconds()
            raise SignInRefused(
                f"Too many failed sign-ins. Wait {math.ceil(seconds)} seconds and try again.",
                status=429,
                wait_seconds=seconds,
            )
        found = self.users.user_credentials(username)
        if not verify_password(None if found is None else found[1], password) or found is None:
            self.users.record_failed_sign_in(username, address)
            raise SignInRefused("Wrong user name or password.", status=401)
        user = found[0]
        if user.disabled:
            self.users.record_failed_sign_in(username, address)
            raise SignInRefused("This account is disabled; ask the administrator.", status=403)
        return self.open_session(user, address=address)

    def open_session(self, user: User, *, address: str, claimed: bool = True) -> SignedIn:
        """Open a session for ``user``, whose password was just checked (``claimed``: by
        :meth:`sign_in`, whose throttle claim is given back)."""
        token, csrf = new_session_token(), new_csrf_token()
        self.users.open_session(
            user,
            token_digest=token_digest(token),
            csrf_token=csrf,
            address=address,
            policy=self.sessions,
            claimed=claimed,
        )
        return SignedIn(user, token, csrf)

    def recount_view(self, recount_id: int) -> RecountView:
        """Return recount ``recount_id`` with its election, contest and base count."""
        recount = self.recounts.recount(recount_id)
        election = self.store.load_election(recount.election_id)
        contest = election.contest(recount.contest)
        return RecountView(
            recount, election, contest, election.count(contest.name, recount.base_count)
        )

    def progress(self, view: RecountView, *, county: str | None = None) -> RecountProgress:
        """Return the recount's figures so far, statewide or for one county."""
        recount_id = view.recount.id
        sheets = self.recounts.sheets(recount_id, county=county)
        recounted = ward_totals_from_sheets(s.as_sheet() for s in sheets)
        records = {
            r.unit: r.records for r in self.recounts.paper_records(recount_id, county=county)
        }
        counties = {
            c.county: (c.status, c.started_at)
            for c in self.recounts.counties(recount_id)
            if county is None or c.county == county
        }
        base = view.base
        if county is not None:
            base = ContestCount(
                base.contest,
                base.name,
                base.status,
                base.count_item_type,
                {
                    uid: tally
                    for uid, tally in base.units.items()
                    if view.election.units[uid].county == county
                },
            )
        return recount_progress(
            base,
            view.election.units,
            recounted,
            records,
            counties,
            choices=view.choices,
            votes_allowed=view.contest.votes_allowed,
            now=datetime.now(UTC),
            deadline=view.recount.deadline,
            started=view.recount.opened_at,
        )

    def recount_count(self, view: RecountView) -> ContestCount:
        """Return the recount as a count: every ward's current sheets summed."""
        sheets = self.recounts.sheets(view.recount.id)
        totals = ward_totals_from_sheets(s.as_sheet() for s in sheets)
        count = ContestCount(view.contest.name, "recount")
        for uid, votes in totals.items():
            for choice, n in votes.items():
                count.set_votes(uid, choice, n)
        return count

    def missing_wards(self, recount_id: int, county: str) -> list[ReportingUnitId]:
        """Return the county's wards that have no tally sheet yet."""
        done = {s.unit for s in self.recounts.sheets(recount_id, county=county)}
        return [u for u, _, _ in self.recounts.ward_units(recount_id, county) if u not in done]


def law_findings(
    election: Election, contest: Contest, base: ContestCount, office: str | None
) -> dict[str, Any] | None:
    """Return the law engine's findings for a recount of ``contest``, to keep with the recount.

    Needs the election's state and date and the kind of office; where the rules cannot answer
    (no rule in force on that date, say) the reason is kept instead, so nobody is misled.
    """
    if not office or not election.state or not election.date:
        return None
    from papertally.law import ContestResults, assess_recount

    try:
        assessment = assess_recount(
            ContestResults.from_count(contest, base), election.state, election.date, office
        )
    except PapertallyError as error:
        return {"lines": [f"The recount law could not be applied: {error}"]}
    lines = [f"{f.topic}: {f.conclusion} ({f.why})" for f in assessment.findings]
    lines.append(f"Rule: {assessment.citation} [{assessment.rule_range}]")
    lines += [f"Uncertain: {u}" for u in assessment.uncertain]
    return {"lines": lines, "tier": str(assessment.tier), "rule": assessment.rule_id}


def findings_summary(findings: Mapping[str, Any] | None) -> list[str]:
    """Return the law engine's findings as lines of text for the recount page."""
    if not findings:
        return []
    lines = findings.get("lines")
    if isinstance(lines, list):
        return [str(line) for line in lines]
    return [f"{key}: {value}" for key, value in findings.items()]


def require(condition: bool, message: str) -> None:
    """Raise a user error with ``message`` unless ``condition`` holds."""
    if not condition:
        raise PapertallyError(message)
