"""Running a recount in the store: recounts, county steps, tally sheets, paper records
and the hash-chained activity log.

Every method is one transaction, and every change appends to the activity log in the same
transaction, so the log and the data can never disagree after a crash. Writes to a ward state
the ward version they saw (optimistic locking): when another writer got there first the write
is refused with :class:`StaleWriteError`, which carries the newer version to show the user.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.orm import Session

from papertally.errors import PapertallyError, closest_match_hint
from papertally.model.activity import (
    MAIN_CHAIN,
    ActivityEntry,
    ChainVerification,
    canonical_json,
    verify_chains,
)
from papertally.model.recount import (
    CountyAction,
    CountyStatus,
    EntrySettings,
    Role,
    TallySheet,
    county_accepts_entries,
    may_certify,
    next_county_status,
    sheet_differences,
)
from papertally.reconcile.paper import ChallengedBallot, PaperRecords
from papertally.store.audit_schema import AuditCountyRow
from papertally.store.engine import reading, writing
from papertally.store.integrity import (
    BASELINE_ACTION,
    PRE_INTEGRITY_ACTIONS,
    ROWS_KEY,
    Mismatch,
    RowState,
    append_entry,
    baseline_rows,
    covered_counts,
    logged_rows,
    predates_integrity,
    verify_state,
)
from papertally.store.recount_schema import (
    ActivityRow,
    PaperRecordRow,
    RecountCountyRow,
    RecountRow,
    RecountSettingsRow,
    RecountWardRow,
    SheetCheckRow,
    TallySheetRow,
)
from papertally.store.schema import ChoiceRow, ContestRow, ReportingUnitRow
from papertally.types import ChoiceName, CountyName, ReportingUnitId

MAX_VOTES_PER_CHOICE = 10_000_000
"""The most votes one choice may get in one ward's tally (and the most of any paper-record count):
far above any real ward, low enough that a report's sums stay ordinary integers."""
MAX_LABEL_CHARS = 200
"""The longest sheet label or challenged-ballot reason kept."""
MAX_NOTE_CHARS = 2000
"""The longest reason, note or correction kept (each is copied into the activity log)."""
MAX_COST_CENTS = 1_000_000_000
"""The largest county cost estimate taken, in cents ($10 million; the column is 32-bit)."""


class StaleWriteError(PapertallyError):
    """Another writer changed the ward since the version this write was based on."""

    def __init__(self, unit: ReportingUnitId, expected: int, current: int) -> None:
        self.unit = unit
        self.expected = expected
        self.current = current
        super().__init__(
            f"ward {unit!r} was changed by someone else (you saw version {expected}, it is now "
            f"version {current}); review the newer entries and enter yours again"
        )


@dataclass(frozen=True)
class Recount:
    """A recount's header."""

    id: int
    election_id: int
    contest: str
    base_count: str
    reason: str
    findings: dict[str, Any] | None
    starts_on: date | None
    deadline: datetime
    status: str
    opened_by: str
    opened_at: datetime
    certified_by: str | None
    certified_at: datetime | None


@dataclass(frozen=True)
class CountyProgress:
    """One county's part of a recount."""

    county: CountyName
    method: str
    status: CountyStatus
    cost_estimate_cents: int | None
    started_at: datetime | None
    note: str | None
    version: int
    id: int
    """The county's row id in this recount: what URLs name (names may hold any character)."""


@dataclass(frozen=True)
class StoredWard:
    """A ward of a recount as URLs and forms name it: its row id, unit id, county, version."""

    id: int
    unit: ReportingUnitId
    county: CountyName
    version: int


@dataclass(frozen=True)
class StoredSheet:
    """A tally sheet as stored, with its history fields."""

    id: int
    unit: ReportingUnitId
    county: CountyName
    label: str
    votes: dict[ChoiceName, int]
    entered_by: str
    entered_at: datetime
    reason: str | None
    superseded_by: int | None
    voided: bool

    def as_sheet(self) -> TallySheet:
        """Return the pure model's view of this sheet."""
        return TallySheet(
            self.unit,
            self.label,
            self.votes,
            superseded=self.superseded_by is not None or self.voided,
        )


@dataclass(frozen=True)
class StoredCheck:
    """A second, blind entry of a tally sheet by another person, and whether it matched."""

    id: int
    sheet_id: int
    votes: dict[ChoiceName, int]
    matched: bool
    checked_by: str
    checked_at: datetime


@dataclass(frozen=True)
class StoredPaperRecords:
    """A ward's current paper records, with who entered them."""

    unit: ReportingUnitId
    county: CountyName
    records: PaperRecords
    entered_by: str
    entered_at: datetime


@dataclass(frozen=True)
class LogVerification:
    """The activity log's chain check, plus every stored row the log does not vouch for."""

    chain: ChainVerification
    mismatches: tuple[Mismatch, ...]
    """Rows differing from their last logged content, missing, or never logged; in table order."""
    predates_integrity: bool = False
    """Every failure is a row no entry covers, in a store from before migration 0007 never
    baselined: ``papertally log baseline`` records them (:meth:`RecountStore.baseline`)."""

    @property
    def altered_sheets(self) -> tuple[str, ...]:
        """Return each mismatch as a sentence naming table, row, column and log entry."""
        return tuple(m.message for m in self.mismatches)

    @property
    def intact(self) -> bool:
        """Return True when the chain verifies and every row matches its logged content."""
        return self.chain.intact and not self.mismatches


@dataclass(frozen=True)
class Baseline:
    """A ``log.baseline`` entry and how many rows of each table it covered."""

    entry: ActivityEntry
    covered: Mapping[str, int]


def county_chain(recount_id: int, county: CountyName) -> str:
    """Return the log chain of a recount county's changes (its row, wards, sheets, records).

    Named by the county's exact name (a long one by its SHA-256), so a writer needs no query.
    """
    label = county if len(county) <= 120 else hashlib.sha256(county.encode()).hexdigest()
    return f"recount/{recount_id}/county/{label}"


def _utc(moment: datetime) -> datetime:
    """Return ``moment`` as an aware UTC datetime (SQLite hands back naive ones)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def paper_records_to_json(records: PaperRecords) -> dict[str, Any]:
    """Return ``records`` as plain JSON-ready data."""
    data = asdict(records)
    data["challenged"] = [asdict(c) for c in records.challenged]
    return data


def paper_records_from_json(data: Mapping[str, Any]) -> PaperRecords:
    """Rebuild :class:`PaperRecords` from :func:`paper_records_to_json` output."""
    challenged = tuple(ChallengedBallot(**c) for c in data.get("challenged", []))
    fields = {k: v for k, v in data.items() if k != "challenged"}
    return PaperRecords(**fields, challenged=challenged)


class RecountStore:
    """The store's recount operations, over an engine whose schema is migrated."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- activity log ------------------------------------------------------------------------

    def append(
        self,
        connection: Connection,
        actor: str,
        action: str,
        subject: str,
        details: Mapping[str, Any] | None = None,
        *,
        rows: Iterable[RowState] = (),
        chain: str = MAIN_CHAIN,
    ) -> ActivityEntry:
        """Append an entry to the log inside the caller's transaction (so both commit as one).

        ``rows`` are the rows the change wrote, read back with
        :func:`~papertally.store.integrity.logged_rows` (or removed:
        :func:`~papertally.store.integrity.deleted_rows`), so that verify can prove them.
        ``chain`` is the log chain written (:func:`county_chain` for a county's own changes,
        so counties do not queue on one lock).
        """
        return append_entry(connection, actor, action, subject, details, rows, chain=chain)

    def record(
        self,
        actor: str,
        action: str,
        subject: str,
        details: Mapping[str, Any],
        *,
        rows: Iterable[RowState] = (),
    ) -> None:
        """Append one entry on its own (e.g. a sign-in or an import done elsewhere)."""
        with writing(self.engine) as connection:
            self.append(connection, actor, action, subject, details, rows=rows)

    def activity(self, *, after: int = 0, limit: int | None = None) -> list[ActivityEntry]:
        """Return log entries of every chain in the order they were recorded, skipping the
        first ``after``."""
        query = (
            select(ActivityRow)
            .order_by(ActivityRow.recorded_at, ActivityRow.chain, ActivityRow.sequence)
            .offset(after)
        )
        if limit is not None:
            query = query.limit(limit)
        with reading(self.engine) as connection:
            return [_entry_of(row) for row in Session(connection).scalars(query)]

    def verify_log(self, *, expected_head: str | None = None) -> LogVerification:
        """Recompute the chain and check every row of every state table against the log.

        One consistent snapshot (PostgreSQL: repeatable read), so writes going on meanwhile
        neither hide nor fake a mismatch.
        """
        with self.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                entries = _all_entries(connection)
                mismatches = verify_state(connection, entries)
        chain = verify_chains(entries, expected_head=expected_head)
        only_unlogged = bool(mismatches) and all(m.unlogged is not None for m in mismatches)
        return LogVerification(
            chain,
            tuple(mismatches),
            chain.intact and only_unlogged and predates_integrity(entries),
        )

    def baseline(self, actor: str) -> Baseline:
        """Record, in one main-chain ``log.baseline`` entry, every row no log entry covers.

        For a store from before migration 0007, whose older rows the log never listed: from
        then on verify checks them like any other row. The entry attests the state at this
        moment only; a change made before it cannot be detected. Refused (with one line saying
        why) unless verify's only failures are such rows in a store from before 0007 not yet
        baselined (:func:`~papertally.store.integrity.baseline_rows`). On PostgreSQL the
        chains' heads are locked for the transaction, so no writer logs a row between the
        reading and the entry (writers wait; readers do not).
        """
        with writing(self.engine) as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("LOCK TABLE activity_heads IN EXCLUSIVE MODE")
            entries = _all_entries(connection)
            mismatches = verify_state(connection, entries)
            rows = baseline_rows(entries, verify_chains(entries), mismatches)
            covered = covered_counts(rows)
            entry = self.append(
                connection, actor, BASELINE_ACTION, "log", {"covered": covered}, rows=rows
            )
        return Baseline(entry, covered)

    def awaits_baseline(self) -> bool:
        """Return True when the store was upgraded from before migration 0007 and not baselined.

        Cheap enough for every load of the administrator's desk (no verify): the main chain's
        first entry is one of a state-writing action without rows (so written before 0007), and
        no ``log.baseline`` entry follows; only such a store reads further than that one entry.
        A store whose log was empty before the upgrade is not recognised here (verify is).
        """
        main = ActivityRow.chain == MAIN_CHAIN
        with reading(self.engine) as connection:
            first = connection.execute(
                select(ActivityRow.action, ActivityRow.details).where(
                    main, ActivityRow.sequence == 1
                )
            ).first()
            if (
                first is None
                or first.action not in PRE_INTEGRITY_ACTIONS
                or ROWS_KEY in json.loads(first.details)
            ):
                return False
            baselined = connection.execute(
                select(ActivityRow.sequence)
                .where(main, ActivityRow.action == BASELINE_ACTION)
                .limit(1)
            ).first()
        return baselined is None

    def anchor(self, actor: str) -> ActivityEntry:
        """Append a main-chain entry anchoring every side chain's head (before publishing it)."""
        with writing(self.engine) as connection:
            return self.append(connection, actor, "log.anchor", "log", {})

    # -- recounts ----------------------------------------------------------------------------

    def open_recount(
        self,
        *,
        election_id: int,
        contest: str,
        units: Mapping[ReportingUnitId, CountyName],
        reason: str,
        deadline: datetime,
        actor: str,
        base_count: str = "original canvass",
        starts_on: date | None = None,
        methods: Mapping[CountyName, str] | None = None,
        findings: Mapping[str, Any] | None = None,
        settings: EntrySettings | None = None,
    ) -> int:
        """Open a recount of ``contest`` over ``units`` (unit id → county); return its id.

        ``settings`` (default: blind entry, no double entry, UTC) says how its tallies are
        entered and its times shown."""
        _bounded("reason", reason, MAX_NOTE_CHARS)
        if not units:
            raise PapertallyError(f"contest {contest!r} has no reporting units to recount")
        counties = sorted(set(units.values()))
        with writing(self.engine) as connection:
            recount_id = connection.execute(
                insert(RecountRow)
                .values(
                    election_id=election_id,
                    contest=contest,
                    base_count=base_count,
                    reason=reason,
                    findings=None if findings is None else canonical_json(findings).decode(),
                    starts_on=starts_on,
                    deadline=deadline,
                    status="open",
                    opened_by=actor,
                    opened_at=_now(),
                )
                .returning(RecountRow.id)
            ).scalar_one()
            chosen = settings or EntrySettings()
            connection.execute(
                insert(RecountSettingsRow).values(
                    recount_id=recount_id,
                    time_zone=chosen.time_zone,
                    show_canvass=chosen.show_canvass,
                    double_entry=chosen.double_entry,
                )
            )
            connection.execute(
                insert(RecountCountyRow),
                [
                    {
                        "recount_id": recount_id,
                        "county": county,
                        "method": (methods or {}).get(county, "hand"),
                        "status": CountyStatus.NOT_STARTED.value,
                        "cost_estimate_cents": None,
                        "started_at": None,
                        "note": None,
                        "version": 1,
                    }
                    for county in counties
                ],
            )
            connection.execute(
                insert(RecountWardRow),
                [
                    {"recount_id": recount_id, "unit_key": unit, "county": county, "version": 0}
                    for unit, county in units.items()
                ],
            )
            self.append(
                connection,
                actor,
                "recount.open",
                f"recount/{recount_id}",
                {
                    "election_id": election_id,
                    "contest": contest,
                    "reason": reason,
                    "deadline": deadline.isoformat(),
                    "counties": len(counties),
                    "wards": len(units),
                    "time_zone": chosen.time_zone,
                    "show_canvass": chosen.show_canvass,
                    "double_entry": chosen.double_entry,
                },
                rows=[
                    *logged_rows(connection, RecountRow, RecountRow.id == recount_id),
                    *logged_rows(
                        connection,
                        RecountSettingsRow,
                        RecountSettingsRow.recount_id == recount_id,
                    ),
                ],
            )
            for county_id, county in connection.execute(
                select(RecountCountyRow.id, RecountCountyRow.county)
                .where(RecountCountyRow.recount_id == recount_id)
                .order_by(RecountCountyRow.id)
            ).all():
                self.append(
                    connection,
                    actor,
                    "recount.open.county",
                    f"recount/{recount_id}/county/{county}",
                    {"wards": sum(1 for c in units.values() if c == county)},
                    rows=[
                        *logged_rows(
                            connection, RecountCountyRow, RecountCountyRow.id == county_id
                        ),
                        *logged_rows(
                            connection,
                            RecountWardRow,
                            RecountWardRow.recount_id == recount_id,
                            RecountWardRow.county == county,
                        ),
                    ],
                    chain=county_chain(recount_id, county),
                )
        return recount_id

    def contest_names(self) -> dict[int, list[str]]:
        """Return the contests of every stored election, by election id, in stored order
        (the pick-list of the form that opens a recount)."""
        with reading(self.engine) as connection:
            rows = connection.execute(
                select(ContestRow.election_id, ContestRow.name).order_by(ContestRow.id)
            ).all()
        found: dict[int, list[str]] = {}
        for election_id, name in rows:
            found.setdefault(int(election_id), []).append(name)
        return found

    def known_counties(self) -> list[CountyName]:
        """Return every county the store knows (of imported elections, recounts and audits),
        sorted: the pick-list of a user's county, so a misspelled county cannot be saved."""
        with reading(self.engine) as connection:
            names = {
                *connection.execute(select(ReportingUnitRow.county).distinct()).scalars(),
                *connection.execute(select(RecountCountyRow.county).distinct()).scalars(),
                *connection.execute(select(AuditCountyRow.county).distinct()).scalars(),
            }
        return sorted(n for n in names if n)

    def change_settings(self, recount_id: int, chosen: EntrySettings, *, actor: str) -> None:
        """Change how an open recount is entered and shown, logged with both old and new values.

        The time zone may change at any time (the store keeps UTC; only the pages' clock moves).
        Blindness may only be kept or tightened once counting started (any tally sheet
        entered): the canvass figures may be hidden but not shown, and double entry may not be
        switched either way, since turning it on would send first entries others have already
        seen to a "blind" second entry, and turning it off would count and show first entries
        still awaiting theirs. A certified recount keeps its settings.
        """
        recount = self.recount(recount_id)
        if recount.status != "open":
            raise PapertallyError(
                f"recount {recount_id} is {recount.status}: its settings are kept"
            )
        with writing(self.engine) as connection:
            before = self._entry_settings(connection, recount_id)
            if before is None:
                raise PapertallyError(
                    f"recount {recount_id} predates entry settings (0008): they cannot be changed"
                )
            started = (
                connection.execute(
                    select(TallySheetRow.id)
                    .join(RecountWardRow, RecountWardRow.id == TallySheetRow.ward_id)
                    .where(RecountWardRow.recount_id == recount_id)
                    .limit(1)
                ).first()
                is not None
            )
            if started and chosen.double_entry != before.double_entry:
                raise PapertallyError(
                    "double entry cannot be switched once tally sheets are entered: it would "
                    "break the blindness of sheets already entered"
                )
            if started and chosen.show_canvass and not before.show_canvass:
                raise PapertallyError(
                    "the canvass figures cannot be shown once tally sheets are entered: boards "
                    "are counting blind (they may be hidden at any time)"
                )
            if chosen == before:
                return
            connection.execute(
                update(RecountSettingsRow)
                .where(RecountSettingsRow.recount_id == recount_id)
                .values(
                    time_zone=chosen.time_zone,
                    show_canvass=chosen.show_canvass,
                    double_entry=chosen.double_entry,
                )
            )
            self.append(
                connection,
                actor,
                "recount.settings",
                f"recount/{recount_id}",
                {"before": asdict(before), "after": asdict(chosen)},
                rows=logged_rows(
                    connection, RecountSettingsRow, RecountSettingsRow.recount_id == recount_id
                ),
            )

    @staticmethod
    def _entry_settings(connection: Connection, recount_id: int) -> EntrySettings | None:
        """Return recount ``recount_id``'s settings read in ``connection`` (None before 0008)."""
        row = connection.execute(
            select(
                RecountSettingsRow.time_zone,
                RecountSettingsRow.show_canvass,
                RecountSettingsRow.double_entry,
            ).where(RecountSettingsRow.recount_id == recount_id)
        ).first()
        return None if row is None else EntrySettings(row[0], bool(row[1]), bool(row[2]))

    def check_known_county(self, county: CountyName) -> None:
        """Refuse a county the store does not know (:meth:`known_counties`), exactly as stored,
        with the closest names: a clerk of a misspelled county could never sign in to work.
        The one check of the user form and ``papertally user add``."""
        known = self.known_counties()
        if county not in known:
            where = "" if known else "; the store has no county yet: import the canvass first"
            raise PapertallyError(
                f"county: {county[:60]!r} is not a county of any election, recount or audit"
                f"{closest_match_hint(county, known)}{where}"
            )

    @classmethod
    def _double_entry(cls, connection: Connection, recount_id: int) -> bool:
        """Return whether recount ``recount_id`` has blind double entry, in ``connection``."""
        found = cls._entry_settings(connection, recount_id)
        return found is not None and found.double_entry

    def settings(self, recount_id: int) -> EntrySettings:
        """Return how recount ``recount_id`` is entered (a recount from before 0008: blind,
        single entry, UTC)."""
        with reading(self.engine) as connection:
            found = self._entry_settings(connection, recount_id)
        return found or EntrySettings()

    def recounts(self) -> list[Recount]:
        """Return every recount, newest first."""
        with reading(self.engine) as connection:
            rows = (
                Session(connection).scalars(select(RecountRow).order_by(RecountRow.id.desc())).all()
            )
        return [_recount_of(r) for r in rows]

    def recount(self, recount_id: int) -> Recount:
        """Return recount ``recount_id`` or raise a clear error."""
        with reading(self.engine) as connection:
            row = (
                Session(connection)
                .scalars(select(RecountRow).where(RecountRow.id == recount_id))
                .one_or_none()
            )
        if row is None:
            raise PapertallyError(f"there is no recount {recount_id}")
        return _recount_of(row)

    def counties(self, recount_id: int) -> list[CountyProgress]:
        """Return each county's part of the recount, by name."""
        with reading(self.engine) as connection:
            rows = (
                Session(connection)
                .scalars(
                    select(RecountCountyRow)
                    .where(RecountCountyRow.recount_id == recount_id)
                    .order_by(RecountCountyRow.county)
                )
                .all()
            )
        return [_county_of(r) for r in rows]

    def county(self, recount_id: int, county: CountyName) -> CountyProgress:
        """Return one county's part of the recount, or raise naming the recount."""
        with reading(self.engine) as connection:
            row = (
                Session(connection)
                .scalars(
                    select(RecountCountyRow).where(
                        RecountCountyRow.recount_id == recount_id,
                        RecountCountyRow.county == county,
                    )
                )
                .one_or_none()
            )
        if row is None:
            raise PapertallyError(f"county {county!r} takes no part in recount {recount_id}")
        return _county_of(row)

    def county_by_id(self, recount_id: int, county_id: int) -> CountyProgress | None:
        """Return the county with row id ``county_id`` in recount ``recount_id``, or None.

        URLs name counties by id: names are compared exactly everywhere (never case-folded, so
        "STRASSE" is not "Straße") and may hold characters a path cannot carry.
        """
        with reading(self.engine) as connection:
            row = (
                Session(connection)
                .scalars(
                    select(RecountCountyRow).where(
                        RecountCountyRow.recount_id == recount_id,
                        RecountCountyRow.id == county_id,
                    )
                )
                .one_or_none()
            )
        return None if row is None else _county_of(row)

    def wards(self, recount_id: int, county: CountyName | None = None) -> list[StoredWard]:
        """Return the recount's wards (optionally of one county, named exactly) by unit id."""
        query = select(
            RecountWardRow.id,
            RecountWardRow.unit_key,
            RecountWardRow.county,
            RecountWardRow.version,
        ).where(RecountWardRow.recount_id == recount_id)
        if county is not None:
            query = query.where(RecountWardRow.county == county)
        with reading(self.engine) as connection:
            return [
                StoredWard(i, u, c, v)
                for i, u, c, v in connection.execute(query.order_by(RecountWardRow.unit_key))
            ]

    def ward_by_id(self, recount_id: int, ward_id: int) -> StoredWard | None:
        """Return the ward with row id ``ward_id`` in recount ``recount_id``, or None."""
        with reading(self.engine) as connection:
            row = connection.execute(
                select(
                    RecountWardRow.id,
                    RecountWardRow.unit_key,
                    RecountWardRow.county,
                    RecountWardRow.version,
                ).where(RecountWardRow.recount_id == recount_id, RecountWardRow.id == ward_id)
            ).first()
        return None if row is None else StoredWard(row[0], row[1], row[2], row[3])

    def choices(self, recount_id: int) -> list[ChoiceName]:
        """Return the recounted contest's choices in ballot order, read from the results."""
        with reading(self.engine) as connection:
            return self._choices(connection, recount_id)

    @staticmethod
    def _choices(connection: Connection, recount_id: int) -> list[ChoiceName]:
        return list(
            connection.execute(
                select(ChoiceRow.name)
                .join(ContestRow, ContestRow.id == ChoiceRow.contest_id)
                .join(
                    RecountRow,
                    (RecountRow.election_id == ContestRow.election_id)
                    & (RecountRow.contest == ContestRow.name),
                )
                .where(RecountRow.id == recount_id)
                .order_by(ChoiceRow.position)
            ).scalars()
        )

    def ward_units(
        self, recount_id: int, county: CountyName | None = None
    ) -> list[tuple[str, str, int]]:
        """Return (unit id, county, version) of the recount's wards, optionally of one county."""
        query = select(
            RecountWardRow.unit_key, RecountWardRow.county, RecountWardRow.version
        ).where(RecountWardRow.recount_id == recount_id)
        if county is not None:
            query = query.where(RecountWardRow.county == county)
        with reading(self.engine) as connection:
            return [
                (u, c, v) for u, c, v in connection.execute(query.order_by(RecountWardRow.unit_key))
            ]

    def ward_county(self, recount_id: int, unit: ReportingUnitId) -> CountyName:
        """Return the county of a ward of the recount, or raise a clear error."""
        with reading(self.engine) as connection:
            county = connection.execute(
                select(RecountWardRow.county).where(
                    RecountWardRow.recount_id == recount_id, RecountWardRow.unit_key == unit
                )
            ).scalar_one_or_none()
        if county is None:
            raise PapertallyError(f"ward {unit!r} is not part of recount {recount_id}")
        return county

    def set_county_plan(
        self,
        recount_id: int,
        county: CountyName,
        *,
        actor: str,
        method: str | None = None,
        cost_estimate_cents: int | None = None,
        note: str | None = None,
    ) -> None:
        """Set a county's recount method (hand or machine) and/or its cost estimate."""
        if method is not None and method not in ("hand", "machine"):
            raise PapertallyError(f"method must be 'hand' or 'machine', not {method[:40]!r}")
        _bounded("note", note, MAX_NOTE_CHARS)
        if cost_estimate_cents is not None and not 0 <= cost_estimate_cents <= MAX_COST_CENTS:
            raise PapertallyError(
                f"a cost estimate must lie between $0 and ${MAX_COST_CENTS // 100:,}"
            )
        self._require_open(recount_id)
        current = self.county(recount_id, county)
        if not county_accepts_entries(current.status):
            raise PapertallyError(
                f"county {current.county!r} is {current.status.value}: its plan cannot change "
                "unless the administrator returns it for correction"
            )
        values: dict[str, Any] = {}
        if method is not None:
            values["method"] = method
        if cost_estimate_cents is not None:
            values["cost_estimate_cents"] = cost_estimate_cents
        if note is not None:
            values["note"] = note
        if not values:
            return
        with writing(self.engine) as connection:
            connection.execute(
                update(RecountCountyRow)
                .where(
                    RecountCountyRow.recount_id == recount_id,
                    RecountCountyRow.county == current.county,
                )
                .values(version=RecountCountyRow.version + 1, **values)
            )
            self.append(
                connection,
                actor,
                "county.plan",
                f"recount/{recount_id}/county/{current.county}",
                values,
                rows=self._county_rows(connection, recount_id, current.county),
                chain=county_chain(recount_id, current.county),
            )

    def county_step(
        self,
        recount_id: int,
        county: CountyName,
        action: CountyAction,
        *,
        actor: str,
        role: Role,
        note: str | None = None,
    ) -> CountyStatus:
        """Move a county to its next status (submit, return, accept); return the new status."""
        _bounded("note", note, MAX_NOTE_CHARS)
        self._require_open(recount_id)
        current = self.county(recount_id, county)
        target = next_county_status(current.status, action, role)
        if action is CountyAction.SUBMIT and self.settings(recount_id).double_entry:
            waiting = self.sheets_awaiting_check(recount_id, current.county)
            if waiting:
                shown = ", ".join(f"{s.unit.partition('|')[2]} ({s.label})" for s in waiting[:5])
                raise PapertallyError(
                    f"{len(waiting)} tally sheets still need their second, blind entry by "
                    f"another person: {shown}{'…' if len(waiting) > 5 else ''}"
                )
        with writing(self.engine) as connection:
            changed = connection.execute(
                update(RecountCountyRow)
                .where(
                    RecountCountyRow.recount_id == recount_id,
                    RecountCountyRow.county == current.county,
                    RecountCountyRow.version == current.version,
                )
                .values(status=target.value, version=current.version + 1, note=note)
            ).rowcount
            if changed != 1:
                raise PapertallyError(
                    f"county {current.county!r} was changed meanwhile; reload and try again"
                )
            self.append(
                connection,
                actor,
                f"county.{action.value}",
                f"recount/{recount_id}/county/{current.county}",
                {"from": current.status.value, "to": target.value, "note": note},
                rows=self._county_rows(connection, recount_id, current.county),
                chain=county_chain(recount_id, current.county),
            )
        return target

    def certify(self, recount_id: int, *, actor: str, totals: Mapping[ChoiceName, int]) -> None:
        """Certify the statewide result once every county is accepted."""
        self._require_open(recount_id)
        statuses = [c.status for c in self.counties(recount_id)]
        if not may_certify(statuses):
            waiting = [
                c.county for c in self.counties(recount_id) if c.status is not CountyStatus.ACCEPTED
            ]
            raise PapertallyError(
                f"recount {recount_id} cannot be certified yet: {len(waiting)} counties are not "
                f"accepted ({', '.join(waiting[:5])}{'…' if len(waiting) > 5 else ''})"
            )
        with writing(self.engine) as connection:
            connection.execute(
                update(RecountRow)
                .where(RecountRow.id == recount_id)
                .values(status="certified", certified_by=actor, certified_at=_now())
            )
            self.append(
                connection,
                actor,
                "recount.certify",
                f"recount/{recount_id}",
                {"totals": dict(totals)},
                rows=logged_rows(connection, RecountRow, RecountRow.id == recount_id),
            )

    @staticmethod
    def _county_rows(connection: Connection, recount_id: int, county: CountyName) -> list[RowState]:
        """Return the row of ``county`` in recount ``recount_id``, to log."""
        return logged_rows(
            connection,
            RecountCountyRow,
            RecountCountyRow.recount_id == recount_id,
            RecountCountyRow.county == county,
        )

    def _require_open(self, recount_id: int) -> Recount:
        recount = self.recount(recount_id)
        if recount.status != "open":
            raise PapertallyError(
                f"recount {recount_id} is {recount.status}; nothing can change now"
            )
        return recount

    # -- ward entries ------------------------------------------------------------------------

    def _claim_ward(
        self,
        connection: Connection,
        recount_id: int,
        unit: ReportingUnitId,
        *,
        expected_version: int,
        actor: str,
        county: CountyName | None,
    ) -> tuple[int, CountyName, CountyStatus]:
        """Check and bump a ward's version inside the caller's write transaction.

        One read finds the ward with its recount's and county's status: the recount must be
        open, the ward must be in ``county`` (where given, e.g. the county of the page), and the
        county must still accept entries. Then the version moves on only if it is still
        ``expected_version`` (optimistic locking). Returns the ward's row id, its county and the
        county's status.
        """
        row = connection.execute(
            select(
                RecountWardRow.id,
                RecountWardRow.version,
                RecountWardRow.county,
                RecountRow.status,
                RecountCountyRow.status,
            )
            .join(RecountRow, RecountRow.id == RecountWardRow.recount_id)
            .join(
                RecountCountyRow,
                (RecountCountyRow.recount_id == RecountWardRow.recount_id)
                & (RecountCountyRow.county == RecountWardRow.county),
            )
            .where(RecountWardRow.recount_id == recount_id, RecountWardRow.unit_key == unit)
        ).first()
        if row is None or (county is not None and row[2] != county):
            where = f"in {county}" if county is not None else f"in recount {recount_id}"
            raise PapertallyError(f"there is no ward {unit!r} {where}")
        ward_id, version, ward_county, recount_status, county_status = row
        if recount_status != "open":
            raise PapertallyError(
                f"recount {recount_id} is {recount_status}; nothing can change now"
            )
        status = CountyStatus(county_status)
        if not county_accepts_entries(status):
            raise PapertallyError(
                f"county {ward_county!r} is {status.value}: its tallies cannot change unless the "
                "administrator returns it for correction"
            )
        changed = connection.execute(
            update(RecountWardRow)
            .where(RecountWardRow.id == ward_id, RecountWardRow.version == expected_version)
            .values(version=expected_version + 1, updated_by=actor, updated_at=_now())
        ).rowcount
        if changed != 1:
            raise StaleWriteError(unit, expected_version, version)
        return ward_id, ward_county, status

    @staticmethod
    def _check_within_ballots(
        connection: Connection,
        ward_id: int,
        unit: ReportingUnitId,
        votes: Mapping[ChoiceName, int],
        *,
        replacing: int | None,
        blind_to: str | None = None,
    ) -> None:
        """Refuse a sheet that would give a choice more votes than the ward's ballots counted.

        Where the ward's paper records give the ballots counted, no choice can have more votes
        than that (one ballot marks a choice at most once, whatever the votes allowed), summed
        over the ward's current sheets with this one in place of the one it corrects. Where the
        ballots are not known, :data:`MAX_VOTES_PER_CHOICE` alone bounds each sheet.

        Under double entry (``blind_to`` names the writer) the sum takes only the sheets the
        writer may see, settled ones and her own: the refusal names a total, and a total over
        another's first entry would reveal it. Settling a sheet checks the settled sum again.
        """
        content = connection.execute(
            select(PaperRecordRow.content).where(
                PaperRecordRow.ward_id == ward_id, PaperRecordRow.superseded_by.is_(None)
            )
        ).scalar_one_or_none()
        ballots = None if content is None else json.loads(content).get("ballots_counted")
        if not isinstance(ballots, int):
            return
        others = connection.execute(
            select(TallySheetRow.id, TallySheetRow.votes, TallySheetRow.entered_by).where(
                TallySheetRow.ward_id == ward_id,
                TallySheetRow.superseded_by.is_(None),
                TallySheetRow.voided.is_(False),
            )
        ).all()
        settled: set[int] = set()
        if blind_to is not None:
            settled = set(
                connection.execute(
                    select(SheetCheckRow.sheet_id).where(
                        SheetCheckRow.sheet_id.in_([o[0] for o in others]),
                        SheetCheckRow.matched.is_(True),
                    )
                ).scalars()
            )
        summed = dict(votes)
        for sheet_id, stored, entered_by in others:
            hidden = blind_to is not None and entered_by != blind_to and sheet_id not in settled
            if sheet_id != replacing and not hidden:
                for choice, n in json.loads(stored).items():
                    summed[choice] = summed.get(choice, 0) + n
        over = {c: n for c, n in summed.items() if n > ballots}
        if over:
            choice, n = next(iter(over.items()))
            raise PapertallyError(
                f"votes for {choice!r}: ward {unit!r} would have {n} votes for it, more than its "
                f"{ballots} ballots counted (paper records); check the sheet or the records"
            )

    def enter_tally_sheet(
        self,
        recount_id: int,
        unit: ReportingUnitId,
        label: str,
        votes: Mapping[ChoiceName, int],
        *,
        expected_version: int,
        actor: str,
        reason: str | None = None,
        county: CountyName | None = None,
    ) -> int:
        """Add a tally sheet for a ward; a sheet with the same label is superseded, not overwritten.

        The votes must be whole numbers of at least 0 for the contest's own choices; a
        correction (a label already entered) needs a ``reason``. ``county``, where given, is
        the county the writer acts for: a ward of another county is refused. One transaction;
        returns the new sheet's id.
        """
        label = label.strip() or "sheet 1"
        _bounded("sheet label", label, MAX_LABEL_CHARS)
        _bounded("reason", reason, MAX_NOTE_CHARS)
        with writing(self.engine) as connection:
            clean = _validated_votes(votes, self._choices(connection, recount_id))
            ward_id, county, county_status = self._claim_ward(
                connection,
                recount_id,
                unit,
                expected_version=expected_version,
                actor=actor,
                county=county,
            )
            previous = connection.execute(
                select(TallySheetRow.id).where(
                    TallySheetRow.ward_id == ward_id,
                    TallySheetRow.label == label,
                    TallySheetRow.superseded_by.is_(None),
                    TallySheetRow.voided.is_(False),
                )
            ).scalar_one_or_none()
            if previous is not None and not (reason and reason.strip()):
                raise PapertallyError(
                    f"ward {unit!r} already has a sheet {label!r}: say why you correct it"
                )
            self._check_within_ballots(
                connection,
                ward_id,
                unit,
                clean,
                replacing=previous,
                blind_to=actor if self._double_entry(connection, recount_id) else None,
            )
            sheet_id = connection.execute(
                insert(TallySheetRow)
                .values(
                    ward_id=ward_id,
                    label=label,
                    votes=canonical_json(clean).decode(),
                    superseded_by=None,
                    entered_by=actor,
                    entered_at=_now(),
                    reason=reason if previous is not None else None,
                    voided=False,
                )
                .returning(TallySheetRow.id)
            ).scalar_one()
            if previous is not None:
                connection.execute(
                    update(TallySheetRow)
                    .where(TallySheetRow.id == previous)
                    .values(superseded_by=sheet_id)
                )
            if county_status is CountyStatus.NOT_STARTED:
                connection.execute(
                    update(RecountCountyRow)
                    .where(
                        RecountCountyRow.recount_id == recount_id,
                        RecountCountyRow.county == county,
                        RecountCountyRow.status == CountyStatus.NOT_STARTED.value,
                    )
                    .values(
                        status=CountyStatus.IN_PROGRESS.value,
                        started_at=_now(),
                        version=RecountCountyRow.version + 1,
                    )
                )
            self.append(
                connection,
                actor,
                "tally.correct" if previous is not None else "tally.enter",
                f"recount/{recount_id}/ward/{unit}",
                {
                    "sheet_id": sheet_id,
                    "label": label,
                    "votes": clean,
                    "supersedes": previous,
                    "reason": reason,
                },
                rows=[
                    *logged_rows(
                        connection, TallySheetRow, TallySheetRow.id.in_([sheet_id, previous or 0])
                    ),
                    *logged_rows(connection, RecountWardRow, RecountWardRow.id == ward_id),
                    *(
                        self._county_rows(connection, recount_id, county)
                        if county_status is CountyStatus.NOT_STARTED
                        else []
                    ),
                ],
                chain=county_chain(recount_id, county),
            )
        return sheet_id

    def enter_paper_records(
        self,
        recount_id: int,
        unit: ReportingUnitId,
        records: PaperRecords,
        *,
        expected_version: int,
        actor: str,
        reason: str | None = None,
        county: CountyName | None = None,
    ) -> int:
        """Record a ward's paper-record counts; earlier ones are superseded, kept with history."""
        _bounded("reason", reason, MAX_NOTE_CHARS)
        for challenged in records.challenged:
            _bounded("challenged ballots: reason", challenged.reason, MAX_LABEL_CHARS)
        content = paper_records_to_json(records)
        for name, value in content.items():
            if isinstance(value, int) and value < 0:
                raise PapertallyError(f"{name.replace('_', ' ')} cannot be negative (got {value})")
            if isinstance(value, int) and value > MAX_VOTES_PER_CHOICE:
                raise PapertallyError(
                    f"{name.replace('_', ' ')}: {value} is more than one ward can hold "
                    f"(at most {MAX_VOTES_PER_CHOICE:,})"
                )
        for challenged in records.challenged:
            if not 0 <= challenged.count <= MAX_VOTES_PER_CHOICE:
                raise PapertallyError(
                    f"challenged ballots: {challenged.count} is not a count of ballots of one "
                    f"ward (0 to {MAX_VOTES_PER_CHOICE:,})"
                )
        with writing(self.engine) as connection:
            ward_id, ward_county, _ = self._claim_ward(
                connection,
                recount_id,
                unit,
                expected_version=expected_version,
                actor=actor,
                county=county,
            )
            previous = connection.execute(
                select(PaperRecordRow.id).where(
                    PaperRecordRow.ward_id == ward_id, PaperRecordRow.superseded_by.is_(None)
                )
            ).scalar_one_or_none()
            record_id = connection.execute(
                insert(PaperRecordRow)
                .values(
                    ward_id=ward_id,
                    content=canonical_json(content).decode(),
                    superseded_by=None,
                    entered_by=actor,
                    entered_at=_now(),
                    reason=reason,
                )
                .returning(PaperRecordRow.id)
            ).scalar_one()
            if previous is not None:
                connection.execute(
                    update(PaperRecordRow)
                    .where(PaperRecordRow.id == previous)
                    .values(superseded_by=record_id)
                )
            self.append(
                connection,
                actor,
                "records.correct" if previous is not None else "records.enter",
                f"recount/{recount_id}/ward/{unit}",
                {
                    "record_id": record_id,
                    "records": content,
                    "supersedes": previous,
                    "reason": reason,
                },
                rows=[
                    *logged_rows(
                        connection,
                        PaperRecordRow,
                        PaperRecordRow.id.in_([record_id, previous or 0]),
                    ),
                    *logged_rows(connection, RecountWardRow, RecountWardRow.id == ward_id),
                ],
                chain=county_chain(recount_id, ward_county),
            )
        return record_id

    def sheets(
        self,
        recount_id: int,
        *,
        county: CountyName | None = None,
        unit: ReportingUnitId | None = None,
        include_history: bool = False,
    ) -> list[StoredSheet]:
        """Return the recount's tally sheets (current ones, or all with ``include_history``)."""
        query = (
            select(TallySheetRow, RecountWardRow.unit_key, RecountWardRow.county)
            .join(RecountWardRow, RecountWardRow.id == TallySheetRow.ward_id)
            .where(RecountWardRow.recount_id == recount_id)
            .order_by(RecountWardRow.unit_key, TallySheetRow.label, TallySheetRow.id)
        )
        if county is not None:
            query = query.where(RecountWardRow.county == county)
        if unit is not None:
            query = query.where(RecountWardRow.unit_key == unit)
        if not include_history:
            query = query.where(
                TallySheetRow.superseded_by.is_(None), TallySheetRow.voided.is_(False)
            )
        with reading(self.engine) as connection:
            rows = Session(connection).execute(query).all()
        return [
            StoredSheet(
                row.id,
                unit_key,
                ward_county,
                row.label,
                json.loads(row.votes),
                row.entered_by,
                _utc(row.entered_at),
                row.reason,
                row.superseded_by,
                row.voided,
            )
            for row, unit_key, ward_county in rows
        ]

    def check_tally_sheet(
        self,
        recount_id: int,
        unit: ReportingUnitId,
        label: str,
        votes: Mapping[ChoiceName, int],
        *,
        expected_version: int,
        actor: str,
        county: CountyName | None = None,
        role: Role | None = None,
    ) -> StoredCheck:
        """Record the second, blind entry of the current sheet ``label`` of a ward.

        It must come from someone other than who entered the sheet, and the sheet must have no
        second entry yet: once one differed, both figures are shown, so a further "check" would
        only copy the first entry. ``role`` (where the caller knows it) refuses an
        administrator, who can read every first entry in the activity log. Matching figures
        settle the sheet; differing ones are kept, and the sheet waits for a correction (a new
        sheet with a reason), checked in turn.
        """
        if role is Role.ADMINISTRATOR:
            raise PapertallyError(
                "an administrator reads the activity log, which holds every first entry: the "
                "blind second entry must come from a clerk or board member of the county"
            )
        label = label.strip()
        with writing(self.engine) as connection:
            clean = _validated_votes(votes, self._choices(connection, recount_id))
            ward_id, ward_county, _ = self._claim_ward(
                connection,
                recount_id,
                unit,
                expected_version=expected_version,
                actor=actor,
                county=county,
            )
            sheet = connection.execute(
                select(TallySheetRow.id, TallySheetRow.votes, TallySheetRow.entered_by).where(
                    TallySheetRow.ward_id == ward_id,
                    TallySheetRow.label == label,
                    TallySheetRow.superseded_by.is_(None),
                    TallySheetRow.voided.is_(False),
                )
            ).first()
            if sheet is None:
                raise PapertallyError(
                    f"ward {unit!r} has no sheet {label[:60]!r} to check; enter it first"
                )
            sheet_id, stored, entered_by = sheet
            if entered_by == actor:
                raise PapertallyError(
                    f"sheet {label!r} was entered by you: its second entry must be made by "
                    "another person"
                )
            already = connection.execute(
                select(SheetCheckRow.matched).where(SheetCheckRow.sheet_id == sheet_id)
            ).first()
            if already is not None and already[0]:
                raise PapertallyError(f"sheet {label!r} is already checked")
            if already is not None:
                raise PapertallyError(
                    f"sheet {label!r} already has a second entry that differed: settle it by a "
                    "correction (the sheet entered again with a reason), which is checked in turn"
                )
            differences = sheet_differences(json.loads(stored), clean)
            if not differences:
                self._check_within_ballots(
                    connection, ward_id, unit, clean, replacing=sheet_id, blind_to=""
                )
            check_id = connection.execute(
                insert(SheetCheckRow)
                .values(
                    sheet_id=sheet_id,
                    votes=canonical_json(clean).decode(),
                    matched=not differences,
                    checked_by=actor,
                    checked_at=_now(),
                )
                .returning(SheetCheckRow.id)
            ).scalar_one()
            self.append(
                connection,
                actor,
                "tally.check",
                f"recount/{recount_id}/ward/{unit}",
                {
                    "sheet_id": sheet_id,
                    "check_id": check_id,
                    "label": label,
                    "votes": clean,
                    "matched": not differences,
                },
                rows=[
                    *logged_rows(connection, SheetCheckRow, SheetCheckRow.id == check_id),
                    *logged_rows(connection, RecountWardRow, RecountWardRow.id == ward_id),
                ],
                chain=county_chain(recount_id, ward_county),
            )
        return StoredCheck(check_id, sheet_id, clean, not differences, actor, _now())

    def checks(
        self,
        recount_id: int,
        *,
        county: CountyName | None = None,
        unit: ReportingUnitId | None = None,
    ) -> dict[int, list[StoredCheck]]:
        """Return the second entries of the recount's sheets, by sheet id, oldest first."""
        query = (
            select(SheetCheckRow)
            .join(TallySheetRow, TallySheetRow.id == SheetCheckRow.sheet_id)
            .join(RecountWardRow, RecountWardRow.id == TallySheetRow.ward_id)
            .where(RecountWardRow.recount_id == recount_id)
            .order_by(SheetCheckRow.id)
        )
        if county is not None:
            query = query.where(RecountWardRow.county == county)
        if unit is not None:
            query = query.where(RecountWardRow.unit_key == unit)
        found: dict[int, list[StoredCheck]] = {}
        with reading(self.engine) as connection:
            for row in Session(connection).scalars(query):
                found.setdefault(row.sheet_id, []).append(
                    StoredCheck(
                        row.id,
                        row.sheet_id,
                        json.loads(row.votes),
                        bool(row.matched),
                        row.checked_by,
                        _utc(row.checked_at),
                    )
                )
        return found

    def sheets_awaiting_check(self, recount_id: int, county: CountyName) -> list[StoredSheet]:
        """Return the county's current sheets without a matching second entry."""
        checks = self.checks(recount_id, county=county)
        return [
            s
            for s in self.sheets(recount_id, county=county)
            if not any(c.matched for c in checks.get(s.id, ()))
        ]

    def settled_sheets(
        self, recount_id: int, *, county: CountyName | None = None
    ) -> list[StoredSheet]:
        """Return the current sheets that count: under double entry, only those of wards whose
        every sheet has a matching second entry (a first entry alone is nobody's figure yet, and
        summing it would show it to the second enterer through any total)."""
        sheets = self.sheets(recount_id, county=county)
        if not self.settings(recount_id).double_entry:
            return sheets
        checks = self.checks(recount_id, county=county)
        waiting = {s.unit for s in sheets if not any(c.matched for c in checks.get(s.id, ()))}
        return [s for s in sheets if s.unit not in waiting]

    def paper_records(
        self, recount_id: int, *, county: CountyName | None = None
    ) -> list[StoredPaperRecords]:
        """Return each ward's current paper records."""
        query = (
            select(PaperRecordRow, RecountWardRow.unit_key, RecountWardRow.county)
            .join(RecountWardRow, RecountWardRow.id == PaperRecordRow.ward_id)
            .where(RecountWardRow.recount_id == recount_id, PaperRecordRow.superseded_by.is_(None))
            .order_by(RecountWardRow.unit_key)
        )
        if county is not None:
            query = query.where(RecountWardRow.county == county)
        with reading(self.engine) as connection:
            rows = Session(connection).execute(query).all()
        return [
            StoredPaperRecords(
                unit_key,
                ward_county,
                paper_records_from_json(json.loads(row.content)),
                row.entered_by,
                _utc(row.entered_at),
            )
            for row, unit_key, ward_county in rows
        ]


def _bounded(what: str, text: str | None, limit: int) -> None:
    """Refuse free text longer than ``limit`` characters (it goes into the permanent log)."""
    if text is not None and len(text) > limit:
        raise PapertallyError(f"{what}: {len(text):,} characters; at most {limit:,} are kept")


def _validated_votes(
    votes: Mapping[ChoiceName, int], choices: Sequence[ChoiceName] | None
) -> dict[ChoiceName, int]:
    """Return ``votes`` checked: whole non-negative numbers, for known choices only."""
    clean: dict[ChoiceName, int] = {}
    for choice, value in votes.items():
        if choices is not None and choice not in choices:
            raise PapertallyError(
                f"{choice!r} is not a choice of this contest; choices are: {', '.join(choices)}"
            )
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise PapertallyError(
                f"votes for {choice!r} must be a whole number of at least 0, not {value!r}"
            )
        if value > MAX_VOTES_PER_CHOICE:
            raise PapertallyError(
                f"votes for {choice!r}: {value} is more than one ward can hold "
                f"(at most {MAX_VOTES_PER_CHOICE:,})"
            )
        clean[choice] = value
    return clean


def _all_entries(connection: Connection) -> list[ActivityEntry]:
    """Return every entry of every chain, by chain and sequence."""
    query = select(ActivityRow).order_by(ActivityRow.chain, ActivityRow.sequence)
    return [_entry_of(row) for row in Session(connection).scalars(query)]


def _entry_of(row: ActivityRow) -> ActivityEntry:
    return ActivityEntry(
        row.sequence,
        _utc(row.recorded_at),
        row.actor,
        row.action,
        row.subject,
        json.loads(row.details),
        row.previous_hash,
        row.entry_hash,
        row.chain,
    )


def _recount_of(row: RecountRow) -> Recount:
    return Recount(
        row.id,
        row.election_id,
        row.contest,
        row.base_count,
        row.reason,
        None if row.findings is None else json.loads(row.findings),
        row.starts_on,
        _utc(row.deadline),
        row.status,
        row.opened_by,
        _utc(row.opened_at),
        row.certified_by,
        None if row.certified_at is None else _utc(row.certified_at),
    )


def _county_of(row: RecountCountyRow) -> CountyProgress:
    return CountyProgress(
        row.county,
        row.method,
        CountyStatus(row.status),
        row.cost_estimate_cents,
        row.started_at if row.started_at is None else _utc(row.started_at),
        row.note,
        row.version,
        row.id,
    )
