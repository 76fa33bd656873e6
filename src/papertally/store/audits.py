"""Running a risk-limiting audit in the store: definition, files, seed, rounds, board entries.

Every method is one transaction and appends to the hash-chained activity log in the same
transaction (:meth:`papertally.store.recounts.RecountStore.append`). The order the law of
audits asks for is enforced here, inside the transaction, so that two administrators clicking
at once cannot break it: files may change only during set-up; their hashes are published
before the seed may be entered; board entries go to cards of the open round only; a round
closes only when every card drawn in it has a reading. Board entries are never changed: a
correction supersedes the previous entry and voiding withdraws one, both kept with who, when
and why.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.orm import Session

from papertally.errors import PapertallyError
from papertally.model.activity import canonical_json
from papertally.model.audit_records import (
    AuditExportContents,
    AuditFile,
    AuditSettings,
    BoardRecord,
    SampledCard,
)
from papertally.store.audit_schema import (
    AUDIT_TYPES,
    FILE_KINDS,
    AuditContestRow,
    AuditCountyRow,
    AuditEntryRow,
    AuditFileRow,
    AuditRoundRow,
    AuditRow,
    AuditSampleRow,
    AuditSettingsRow,
    AuditSignOffRow,
)
from papertally.store.engine import reading, writing
from papertally.store.files import FileStore, StoredBlob
from papertally.store.integrity import logged_rows
from papertally.store.recounts import RecountStore
from papertally.types import ChoiceName, ContestName, CountyName

MAX_FILENAME_CHARS = 255
"""The longest file name kept for an upload (file systems allow 255 bytes)."""


@dataclass(frozen=True)
class Audit:
    """An audit's header."""

    id: int
    name: str
    status: str
    sampling: str
    seed: str | None
    created_by: str
    created_at: datetime
    published_at: datetime | None
    seed_entered_at: datetime | None
    completed_at: datetime | None
    counties: tuple[CountyName, ...]
    findings: tuple[str, ...] = ()
    """What the checks of the files found when they were published."""


@dataclass(frozen=True)
class AuditContest:
    """A contest under audit; ``spec`` once the seed has fixed it."""

    name: ContestName
    audit_type: str
    risk_limit: float
    winners: int
    spec: dict[str, Any] | None
    reported: dict[ChoiceName, int] | None = None
    """Reported votes the administrator gave (polling without CVRs)."""


@dataclass(frozen=True)
class StoredFile:
    """An uploaded file (the current version), without its bytes."""

    id: int
    county: CountyName
    kind: str
    contest: ContestName | None
    filename: str
    sha256: str
    size: int
    summary: dict[str, Any]
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True)
class AuditRound:
    """A round: its size and, once closed, the risk measured."""

    number: int
    size: int
    cards_drawn: int
    started_at: datetime
    closed_at: datetime | None
    measurement: dict[str, Any] | None


@dataclass(frozen=True)
class StoredCard:
    """A card drawn, with where it is and its CVR's votes."""

    id: int
    round_number: int
    sequence: int
    ticket: str
    county: CountyName
    container: str | None
    tabulator: str | None
    batch: str
    position: int
    imprinted_id: str | None
    cvr: dict[ContestName, list[ChoiceName]] | None

    def as_sampled(self) -> SampledCard:
        """Return the card as the export and retrieval lists see it."""
        return SampledCard(
            self.sequence,
            self.ticket,
            self.county,
            self.container,
            self.tabulator,
            self.batch,
            self.position,
            self.imprinted_id,
            self.cvr,
        )


@dataclass(frozen=True)
class BoardEntry:
    """An audit board's reading of one card, with its history fields."""

    id: int
    sample_id: int
    sequence: int
    county: CountyName
    found: bool
    votes: dict[ContestName, list[ChoiceName]]
    """The choices marked per contest (cards)."""
    tallies: dict[ContestName, dict[ChoiceName, int]]
    """The votes counted per contest and choice (batches)."""
    entered_by: str
    entered_at: datetime
    reason: str | None
    superseded_by: int | None
    voided: bool

    @property
    def status(self) -> str:
        """``current``, ``superseded`` or ``voided``."""
        if self.voided:
            return "voided"
        return "current" if self.superseded_by is None else "superseded"


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


class AuditStore:
    """The store's audit operations, over an engine whose schema is migrated."""

    def __init__(self, engine: Engine, file_store: FileStore | None = None) -> None:
        self.engine = engine
        self.log = RecountStore(engine)
        self.file_store = file_store or FileStore.for_url(
            engine.url.render_as_string(hide_password=False)
        )

    # -- definition -------------------------------------------------------------------------

    def create_audit(
        self,
        name: str,
        counties: Sequence[CountyName],
        *,
        actor: str,
        settings: AuditSettings | None = None,
    ) -> int:
        """Create an audit of the named counties (in that order: the manifest's order), with
        its time zone and sign-off rule (default: UTC, no sign-off)."""
        cleaned = [c.strip() for c in counties if c.strip()]
        if not name.strip():
            raise PapertallyError("give the audit a name, e.g. '2024 General Election RLA'")
        if not cleaned:
            raise PapertallyError("name at least one county taking part in the audit")
        if len({c.casefold() for c in cleaned}) != len(cleaned):
            raise PapertallyError(f"a county is named twice: {', '.join(cleaned)}")
        with writing(self.engine) as connection:
            audit_id = connection.execute(
                insert(AuditRow)
                .values(
                    name=name.strip(),
                    status="setup",
                    sampling="consistent",
                    created_by=actor,
                    created_at=_now(),
                )
                .returning(AuditRow.id)
            ).scalar_one()
            for county in cleaned:
                connection.execute(insert(AuditCountyRow).values(audit_id=audit_id, county=county))
            chosen = settings or AuditSettings()
            connection.execute(
                insert(AuditSettingsRow).values(
                    audit_id=audit_id, time_zone=chosen.time_zone, sign_off=chosen.sign_off
                )
            )
            self.log.append(
                connection,
                actor,
                "audit.create",
                f"audit/{audit_id}",
                {
                    "name": name.strip(),
                    "counties": cleaned,
                    "time_zone": chosen.time_zone,
                    "sign_off": chosen.sign_off,
                },
                rows=[
                    *logged_rows(connection, AuditRow, AuditRow.id == audit_id),
                    *logged_rows(connection, AuditCountyRow, AuditCountyRow.audit_id == audit_id),
                    *logged_rows(
                        connection, AuditSettingsRow, AuditSettingsRow.audit_id == audit_id
                    ),
                ],
            )
        return int(audit_id)

    def add_contest(
        self,
        audit_id: int,
        name: ContestName,
        audit_type: str,
        risk_limit: float,
        *,
        winners: int = 1,
        reported: Mapping[ChoiceName, int] | None = None,
        actor: str,
    ) -> None:
        """Add a contest to audit, with its risk limit and audit type (during set-up only).

        ``reported`` gives the reported votes of a ballot-polling contest whose counties have
        no CVRs (from the canvass), and of a hybrid contest, over all its cards (the no-CVR
        stratum's are these less the CVRs' tally); other contests take them from the CVRs or
        batch tallies.
        """
        if reported is not None and audit_type not in ("ballot polling", "hybrid"):
            raise PapertallyError(
                f"reported votes are typed in for ballot polling and hybrid audits only; a "
                f"{audit_type} audit takes them from the counties' files"
            )
        if reported is None and audit_type == "hybrid":
            raise PapertallyError(
                "a hybrid audit needs the contest's reported votes over all cards, with CVRs or "
                "not (from the canvass): give them as 'Choice = votes', one a line"
            )
        if reported is not None and (
            len(reported) < 2 or any(int(n) != n or n < 0 for n in reported.values())
        ):
            raise PapertallyError(
                "give the reported votes of at least two choices, as whole numbers"
            )
        if audit_type not in AUDIT_TYPES:
            raise PapertallyError(
                f"unknown audit type {audit_type!r}: one of {', '.join(AUDIT_TYPES)}"
            )
        if not 0.0 < risk_limit < 1.0:
            raise PapertallyError(
                f"the risk limit must lie between 0 and 1 (e.g. 0.05 for 5%), got {risk_limit}"
            )
        if winners < 1:
            raise PapertallyError(f"the number of winners must be at least 1, got {winners}")
        with writing(self.engine) as connection:
            self._require_status(connection, audit_id, "setup", "add a contest")
            taken = connection.execute(
                select(AuditContestRow.id).where(
                    AuditContestRow.audit_id == audit_id, AuditContestRow.name == name.strip()
                )
            ).first()
            if taken is not None:
                raise PapertallyError(f"the contest {name!r} is already in the audit")
            types = {c.audit_type for c in self._contests(connection, audit_id)} | {audit_type}
            if "batch comparison" in types and len(types) > 1:
                raise PapertallyError(
                    "an audit samples either ballot cards or whole batches: batch comparison "
                    "contests cannot share an audit with ballot-level ones"
                )
            connection.execute(
                insert(AuditContestRow).values(
                    audit_id=audit_id,
                    name=name.strip(),
                    audit_type=audit_type,
                    risk_limit=risk_limit,
                    winners=winners,
                    reported=None if reported is None else json.dumps(dict(reported)),
                )
            )
            self.log.append(
                connection,
                actor,
                "audit.contest",
                f"audit/{audit_id}",
                {
                    "contest": name.strip(),
                    "audit_type": audit_type,
                    "risk_limit": risk_limit,
                    "winners": winners,
                    "reported": None if reported is None else dict(reported),
                },
                rows=logged_rows(connection, AuditContestRow, AuditContestRow.audit_id == audit_id),
            )

    def upload_file(
        self, audit_id: int, file: AuditFile, summary: Mapping[str, Any], *, actor: str
    ) -> StoredFile:
        """Keep a county's manifest or CVR file given as bytes (see :meth:`record_file`)."""
        blob = self.file_store.put_bytes(file.content)
        return self.record_file(
            audit_id,
            file.county,
            file.kind,
            file.filename,
            file.contest,
            blob,
            summary,
            actor=actor,
        )

    def record_file(
        self,
        audit_id: int,
        county: CountyName,
        kind: str,
        filename: str,
        contest: ContestName | None,
        blob: StoredBlob,
        summary: Mapping[str, Any],
        *,
        actor: str,
    ) -> StoredFile:
        """Record a county's manifest, CVR file or batch tallies whose bytes are in the file
        store as ``blob``; it replaces the county's earlier one of that kind (and contest).

        Only during set-up: once the hashes are published, the files are what was audited.
        """
        if kind not in FILE_KINDS:
            raise PapertallyError(f"unknown kind of file {kind!r}: manifest or cvrs")
        if len(filename) > MAX_FILENAME_CHARS:
            raise PapertallyError(
                f"the file name {filename[:40]!r}... is {len(filename)} characters long; "
                f"rename the file to at most {MAX_FILENAME_CHARS}"
            )
        now = _now()
        with writing(self.engine) as connection:
            audit = self._require_status(connection, audit_id, "setup", "change its files")
            county = self._county_in(audit, county)
            new_id = connection.execute(
                insert(AuditFileRow)
                .values(
                    audit_id=audit_id,
                    county=county,
                    kind=kind,
                    contest=contest,
                    filename=filename,
                    sha256=blob.sha256,
                    size=blob.size,
                    stored_key=blob.key,
                    summary=json.dumps(dict(summary)),
                    uploaded_by=actor,
                    uploaded_at=now,
                )
                .returning(AuditFileRow.id)
            ).scalar_one()
            connection.execute(
                update(AuditFileRow)
                .where(
                    AuditFileRow.audit_id == audit_id,
                    AuditFileRow.county == county,
                    AuditFileRow.kind == kind,
                    AuditFileRow.superseded_by.is_(None),
                    AuditFileRow.id != new_id,
                    (AuditFileRow.contest == contest)
                    if contest is not None
                    else AuditFileRow.contest.is_(None),
                )
                .values(superseded_by=new_id)
            )
            self.log.append(
                connection,
                actor,
                f"audit.upload.{kind}",
                f"audit/{audit_id}/county/{county}",
                {
                    "file": filename,
                    "contest": contest,
                    "sha256": blob.sha256,
                    "summary": dict(summary),
                },
                rows=logged_rows(
                    connection,
                    AuditFileRow,
                    AuditFileRow.audit_id == audit_id,
                    AuditFileRow.county == county,
                ),
            )
        return StoredFile(
            int(new_id),
            county,
            kind,
            contest,
            filename,
            blob.sha256,
            blob.size,
            dict(summary),
            actor,
            now,
        )

    def publish(self, audit_id: int, *, actor: str, findings: Sequence[str] = ()) -> dict[str, str]:
        """Freeze the files and publish their SHA-256 hashes; return them by file.

        Every county needs a manifest; a county without CVRs can take part in polling only.
        ``findings`` are the checks' findings on the files, kept with the audit and logged.
        """
        with writing(self.engine) as connection:
            audit = self._require_status(connection, audit_id, "setup", "publish its files")
            contests = self._contests(connection, audit_id)
            if not contests:
                raise PapertallyError("add at least one contest before publishing the files")
            files = self._files(connection, audit_id)
            comparison = any(
                c.audit_type in ("ballot comparison", "hybrid")
                or (c.audit_type == "ballot polling" and c.reported is None)
                for c in contests
            )
            for contest in contests:
                if contest.audit_type == "batch comparison" and not any(
                    f.kind == "batch tallies" and f.contest == contest.name for f in files
                ):
                    raise PapertallyError(
                        f"no county has uploaded batch tallies for {contest.name!r} yet"
                    )
            for county in audit.counties:
                kinds = {f.kind for f in files if f.county == county}
                if "manifest" not in kinds:
                    raise PapertallyError(f"{county} has not uploaded its ballot manifest yet")
                if comparison and "cvrs" not in kinds:
                    raise PapertallyError(
                        f"{county} has not uploaded its cast vote records; a ballot comparison "
                        "or hybrid audit needs them, and so does a polling contest whose "
                        "reported votes were not typed in"
                    )
            hashes = {f"{f.county}/{f.filename}": f.sha256 for f in files}
            connection.execute(
                update(AuditRow)
                .where(AuditRow.id == audit_id)
                .values(
                    status="published", published_at=_now(), findings=json.dumps(list(findings))
                )
            )
            self.log.append(
                connection,
                actor,
                "audit.publish",
                f"audit/{audit_id}",
                {"sha256": hashes, "findings": list(findings)},
                rows=logged_rows(connection, AuditRow, AuditRow.id == audit_id),
            )
        return hashes

    def start(
        self,
        audit_id: int,
        seed: str,
        specs: Sequence[Mapping[str, Any]],
        cards: Sequence[SampledCard],
        *,
        actor: str,
    ) -> None:
        """Record the seed, fix the contests' specs and draw round 1 (after publishing only)."""
        with writing(self.engine) as connection:
            self._require_status(connection, audit_id, "published", "enter the seed")
            now = _now()
            connection.execute(
                update(AuditRow)
                .where(AuditRow.id == audit_id)
                .values(status="in progress", seed=seed, seed_entered_at=now)
            )
            for spec in specs:
                connection.execute(
                    update(AuditContestRow)
                    .where(
                        AuditContestRow.audit_id == audit_id,
                        AuditContestRow.name == spec["name"],
                    )
                    .values(spec=json.dumps(dict(spec)))
                )
            self.log.append(
                connection,
                actor,
                "audit.seed",
                f"audit/{audit_id}",
                {"seed": seed, "contests": [dict(s) for s in specs]},
                rows=[
                    *logged_rows(connection, AuditRow, AuditRow.id == audit_id),
                    *logged_rows(connection, AuditContestRow, AuditContestRow.audit_id == audit_id),
                ],
            )
            self._insert_round(connection, audit_id, 1, cards, actor=actor)

    def _insert_round(
        self,
        connection: Connection,
        audit_id: int,
        number: int,
        cards: Sequence[SampledCard],
        *,
        actor: str,
    ) -> None:
        drawn = cards[-1].sequence if cards else 0
        connection.execute(
            insert(AuditRoundRow).values(
                audit_id=audit_id,
                number=number,
                size=len(cards),
                cards_drawn=drawn,
                started_at=_now(),
            )
        )
        if cards:
            connection.execute(
                insert(AuditSampleRow),
                [
                    {
                        "audit_id": audit_id,
                        "round_number": number,
                        "sequence": c.sequence,
                        "ticket": c.ticket,
                        "county": c.county,
                        "container": c.container,
                        "tabulator": c.tabulator,
                        "batch": c.batch,
                        "position": c.position,
                        "imprinted_id": c.imprinted_id,
                        "cvr": json.dumps(c.cvr),
                    }
                    for c in cards
                ],
            )
        self.log.append(
            connection,
            actor,
            "audit.round.start",
            f"audit/{audit_id}/round/{number}",
            {
                "size": len(cards),
                "cards_drawn": drawn,
                "tickets": [[c.sequence, c.ticket] for c in cards],
            },
            rows=[
                *logged_rows(
                    connection,
                    AuditRoundRow,
                    AuditRoundRow.audit_id == audit_id,
                    AuditRoundRow.number == number,
                ),
                *logged_rows(
                    connection,
                    AuditSampleRow,
                    AuditSampleRow.audit_id == audit_id,
                    AuditSampleRow.round_number == number,
                ),
            ],
        )

    # -- audit boards -----------------------------------------------------------------------

    def record_entry(
        self,
        audit_id: int,
        county: CountyName,
        sequence: int,
        *,
        found: bool,
        votes: Mapping[ContestName, Sequence[ChoiceName]] | None = None,
        tallies: Mapping[ContestName, Mapping[ChoiceName, int]] | None = None,
        actor: str,
        reason: str | None = None,
    ) -> int:
        """Record a board's reading of a card (``votes``) or count of a batch (``tallies``) of
        the open round; a second one supersedes the first.

        A batch drawn again is counted once, at its first draw.
        """
        with writing(self.engine) as connection:
            self._require_status(connection, audit_id, "in progress", "record cards")
            card = self._card(connection, audit_id, county, sequence)
            self._require_open_round(connection, audit_id, card.round_number)
            first = self._first_draw_of_batch(connection, audit_id, card)
            if first != card.sequence:
                raise PapertallyError(
                    f"draw {sequence} is batch {card.batch!r} again: it is counted once, at "
                    f"draw {first}"
                )
            current = self._current_entry(connection, card.id)
            if current is not None and not (reason or "").strip():
                raise PapertallyError(
                    f"card {sequence} already has a reading; say why you are correcting it"
                )
            content: dict[str, Any] = {"found": found}
            if tallies is not None:
                content["tallies"] = (
                    {k: {c: int(n) for c, n in v.items()} for k, v in tallies.items()}
                    if found
                    else {}
                )
            else:
                content["votes"] = {k: list(v) for k, v in (votes or {}).items()} if found else {}
            entry_id = connection.execute(
                insert(AuditEntryRow)
                .values(
                    sample_id=card.id,
                    content=canonical_json(content).decode(),
                    entered_by=actor,
                    entered_at=_now(),
                    reason=(reason or "").strip() or None,
                    voided=False,
                )
                .returning(AuditEntryRow.id)
            ).scalar_one()
            if current is not None:
                connection.execute(
                    update(AuditEntryRow)
                    .where(AuditEntryRow.id == current)
                    .values(superseded_by=entry_id)
                )
            self.log.append(
                connection,
                actor,
                "audit.card.correct" if current is not None else "audit.card.record",
                f"audit/{audit_id}/county/{card.county}/card/{sequence}",
                {"entry_id": int(entry_id), "replaces": current, "reason": reason, **content},
                rows=logged_rows(connection, AuditEntryRow, AuditEntryRow.sample_id == card.id),
            )
        return int(entry_id)

    def void_entry(
        self, audit_id: int, county: CountyName, sequence: int, *, actor: str, reason: str
    ) -> None:
        """Withdraw the current reading of a card (a mistake); the card then needs a new one."""
        if not reason.strip():
            raise PapertallyError("say why the entry is voided")
        with writing(self.engine) as connection:
            self._require_status(connection, audit_id, "in progress", "void an entry")
            card = self._card(connection, audit_id, county, sequence)
            self._require_open_round(connection, audit_id, card.round_number)
            current = self._current_entry(connection, card.id)
            if current is None:
                raise PapertallyError(f"card {sequence} has no reading to void")
            connection.execute(
                update(AuditEntryRow)
                .where(AuditEntryRow.id == current)
                .values(voided=True, reason=reason.strip())
            )
            self.log.append(
                connection,
                actor,
                "audit.card.void",
                f"audit/{audit_id}/county/{card.county}/card/{sequence}",
                {"entry_id": current, "reason": reason.strip()},
                rows=logged_rows(connection, AuditEntryRow, AuditEntryRow.sample_id == card.id),
            )

    def close_round(
        self,
        audit_id: int,
        number: int,
        measurement: Mapping[str, Any],
        next_cards: Sequence[SampledCard] | None,
        *,
        based_on: Mapping[int, int],
        actor: str,
    ) -> None:
        """Close round ``number`` with its measured risk; draw the next round or complete.

        ``next_cards`` is ``None`` when every contest is settled (the audit is complete).
        ``based_on`` maps each draw to the entry id the measurement read; when a board changed
        an entry in between, the close is refused and must be measured again.
        """
        with writing(self.engine) as connection:
            self._require_status(connection, audit_id, "in progress", "close a round")
            self._require_open_round(connection, audit_id, number)
            cards = connection.execute(
                select(
                    AuditSampleRow.id,
                    AuditSampleRow.sequence,
                    AuditSampleRow.round_number,
                    AuditSampleRow.county,
                    AuditSampleRow.tabulator,
                    AuditSampleRow.batch,
                    AuditSampleRow.position,
                )
                .where(AuditSampleRow.audit_id == audit_id)
                .order_by(AuditSampleRow.sequence)
            ).all()
            current = {row[1]: self._current_entry(connection, row[0]) for row in cards}
            seen: set[tuple[str, str | None, str]] = set()
            missing = []
            for _, seq, round_number, where, tabulator, batch, position in cards:
                if position == 0:
                    if (where, tabulator, batch) in seen:
                        continue
                    seen.add((where, tabulator, batch))
                if round_number == number and current[seq] is None:
                    missing.append(seq)
            if missing:
                shown = ", ".join(str(s) for s in sorted(missing)[:10])
                raise PapertallyError(
                    f"{len(missing)} card(s) of round {number} have no reading yet: {shown}"
                )
            if self._settings(connection, audit_id).sign_off:
                signed = self._signed(connection, [e for e in current.values() if e is not None])
                unsigned = sorted(
                    seq
                    for seq, entry in current.items()
                    if entry is not None and entry not in signed
                )
                if unsigned:
                    shown = ", ".join(str(s) for s in unsigned[:10])
                    raise PapertallyError(
                        f"{len(unsigned)} reading(s) await a second board member's sign-off "
                        f"(two-person rule): draws {shown}"
                    )
            changed = [seq for seq, entry in current.items() if based_on.get(seq) != entry]
            if changed:
                raise PapertallyError(
                    f"card {changed[0]} was recorded again while the risk was being measured; "
                    "close the round again"
                )
            now = _now()
            connection.execute(
                update(AuditRoundRow)
                .where(AuditRoundRow.audit_id == audit_id, AuditRoundRow.number == number)
                .values(closed_at=now, measurement=json.dumps(dict(measurement)))
            )
            self.log.append(
                connection,
                actor,
                "audit.round.close",
                f"audit/{audit_id}/round/{number}",
                dict(measurement),
                rows=logged_rows(
                    connection,
                    AuditRoundRow,
                    AuditRoundRow.audit_id == audit_id,
                    AuditRoundRow.number == number,
                ),
            )
            if next_cards is None:
                connection.execute(
                    update(AuditRow)
                    .where(AuditRow.id == audit_id)
                    .values(status="complete", completed_at=now)
                )
                self.log.append(
                    connection,
                    actor,
                    "audit.complete",
                    f"audit/{audit_id}",
                    {},
                    rows=logged_rows(connection, AuditRow, AuditRow.id == audit_id),
                )
            else:
                self._insert_round(connection, audit_id, number + 1, next_cards, actor=actor)

    def sign_off(self, audit_id: int, county: CountyName, sequence: int, *, actor: str) -> int:
        """Sign off the current reading of a card as a second board member (two-person rule).

        The signer must not be who recorded the reading; a reading is signed once; a
        correction is a new reading, signed off anew. Returns the sign-off's id.
        """
        with writing(self.engine) as connection:
            self._require_status(connection, audit_id, "in progress", "sign off a reading")
            card = self._card(connection, audit_id, county, sequence)
            self._require_open_round(connection, audit_id, card.round_number)
            current = self._current_entry(connection, card.id)
            if current is None:
                raise PapertallyError(f"card {sequence} has no reading to sign off")
            entered_by = connection.execute(
                select(AuditEntryRow.entered_by).where(AuditEntryRow.id == current)
            ).scalar_one()
            if entered_by == actor:
                raise PapertallyError(
                    f"you recorded the reading of card {sequence}: a second board member must "
                    "sign it off (two-person rule)"
                )
            if current in self._signed(connection, [current]):
                raise PapertallyError(f"the reading of card {sequence} is already signed off")
            signoff_id = connection.execute(
                insert(AuditSignOffRow)
                .values(entry_id=current, signed_by=actor, signed_at=_now())
                .returning(AuditSignOffRow.id)
            ).scalar_one()
            self.log.append(
                connection,
                actor,
                "audit.card.signoff",
                f"audit/{audit_id}/county/{card.county}/card/{sequence}",
                {"entry_id": current, "signoff_id": int(signoff_id), "recorded_by": entered_by},
                rows=logged_rows(connection, AuditSignOffRow, AuditSignOffRow.id == signoff_id),
            )
        return int(signoff_id)

    @staticmethod
    def _signed(connection: Connection, entry_ids: Sequence[int]) -> set[int]:
        """Return which of ``entry_ids`` are signed off."""
        if not entry_ids:
            return set()
        return set(
            connection.execute(
                select(AuditSignOffRow.entry_id).where(AuditSignOffRow.entry_id.in_(entry_ids))
            ).scalars()
        )

    @staticmethod
    def _settings(connection: Connection, audit_id: int) -> AuditSettings:
        row = connection.execute(
            select(AuditSettingsRow.time_zone, AuditSettingsRow.sign_off).where(
                AuditSettingsRow.audit_id == audit_id
            )
        ).first()
        return AuditSettings() if row is None else AuditSettings(row[0], bool(row[1]))

    def settings(self, audit_id: int) -> AuditSettings:
        """Return audit ``audit_id``'s time zone and sign-off rule (an audit from before 0008:
        UTC, no sign-off)."""
        with reading(self.engine) as connection:
            return self._settings(connection, audit_id)

    def sign_offs(self, audit_id: int) -> dict[int, tuple[str, datetime]]:
        """Return who signed off each reading of the audit and when, by entry id."""
        query = (
            select(AuditSignOffRow.entry_id, AuditSignOffRow.signed_by, AuditSignOffRow.signed_at)
            .join(AuditEntryRow, AuditEntryRow.id == AuditSignOffRow.entry_id)
            .join(AuditSampleRow, AuditSampleRow.id == AuditEntryRow.sample_id)
            .where(AuditSampleRow.audit_id == audit_id)
        )
        with reading(self.engine) as connection:
            return {int(entry): (by, _utc(at) or at) for entry, by, at in connection.execute(query)}

    def unsigned_entries(
        self, audit_id: int, *, county: CountyName | None = None
    ) -> list[BoardEntry]:
        """Return the current readings without a sign-off, where the audit needs them."""
        if not self.settings(audit_id).sign_off:
            return []
        signed = self.sign_offs(audit_id)
        return [e for e in self.entries(audit_id, county=county) if e.id not in signed]

    # -- reading ----------------------------------------------------------------------------

    def audits(self) -> list[Audit]:
        """Return every audit, newest first."""
        with reading(self.engine) as connection:
            ids = connection.execute(select(AuditRow.id).order_by(AuditRow.id.desc())).scalars()
            return [self._audit(connection, int(i)) for i in ids]

    def audit(self, audit_id: int) -> Audit:
        """Return audit ``audit_id``."""
        with reading(self.engine) as connection:
            return self._audit(connection, audit_id)

    def contests(self, audit_id: int) -> list[AuditContest]:
        """Return the audit's contests in the order they were added."""
        with reading(self.engine) as connection:
            return self._contests(connection, audit_id)

    def files(self, audit_id: int) -> list[StoredFile]:
        """Return the audit's current files (without their bytes), by county and kind."""
        with reading(self.engine) as connection:
            return self._files(connection, audit_id)

    def file_contents(self, audit_id: int) -> list[AuditFile]:
        """Return the audit's current files with their bytes, counties in the audit's order.

        The bytes come from the file store, each checked against its recorded SHA-256: a file
        changed on disk raises :class:`~papertally.store.files.FileIntegrityError` naming it.
        """
        audit = self.audit(audit_id)
        with reading(self.engine) as connection:
            rows = (
                Session(connection)
                .execute(
                    select(AuditFileRow)
                    .where(AuditFileRow.audit_id == audit_id, AuditFileRow.superseded_by.is_(None))
                    .order_by(AuditFileRow.id)
                )
                .scalars()
            )
            found = [
                AuditFile(
                    r.county,
                    r.kind,
                    r.filename,
                    self.file_store.read_verified(
                        r.stored_key, r.sha256, f"{r.county} {r.kind} {r.filename!r}"
                    ),
                    r.contest,
                )
                for r in rows
            ]
        order = {c: i for i, c in enumerate(audit.counties)}
        return sorted(found, key=lambda f: (order.get(f.county, len(order)), f.kind, f.filename))

    def rounds(self, audit_id: int) -> list[AuditRound]:
        """Return the audit's rounds in order."""
        with reading(self.engine) as connection:
            rows = (
                Session(connection)
                .execute(
                    select(AuditRoundRow)
                    .where(AuditRoundRow.audit_id == audit_id)
                    .order_by(AuditRoundRow.number)
                )
                .scalars()
            )
            return [
                AuditRound(
                    r.number,
                    r.size,
                    r.cards_drawn,
                    _utc(r.started_at) or r.started_at,
                    _utc(r.closed_at),
                    None if r.measurement is None else json.loads(r.measurement),
                )
                for r in rows
            ]

    def sample(self, audit_id: int, *, county: CountyName | None = None) -> list[StoredCard]:
        """Return the cards drawn (of one county, or all), in draw order."""
        query = select(AuditSampleRow).where(AuditSampleRow.audit_id == audit_id)
        if county is not None:
            query = query.where(AuditSampleRow.county == county)
        with reading(self.engine) as connection:
            rows = Session(connection).execute(query.order_by(AuditSampleRow.sequence)).scalars()
            return [_card_of(r) for r in rows]

    def entries(
        self,
        audit_id: int,
        *,
        county: CountyName | None = None,
        sequence: int | None = None,
        include_history: bool = False,
    ) -> list[BoardEntry]:
        """Return board entries in the order entered (current ones only unless asked)."""
        query = (
            select(AuditEntryRow, AuditSampleRow.sequence, AuditSampleRow.county)
            .join(AuditSampleRow, AuditSampleRow.id == AuditEntryRow.sample_id)
            .where(AuditSampleRow.audit_id == audit_id)
        )
        if county is not None:
            query = query.where(AuditSampleRow.county == county)
        if sequence is not None:
            query = query.where(AuditSampleRow.sequence == sequence)
        if not include_history:
            query = query.where(
                AuditEntryRow.superseded_by.is_(None), AuditEntryRow.voided.is_(False)
            )
        with reading(self.engine) as connection:
            rows = Session(connection).execute(query.order_by(AuditEntryRow.id)).all()
        found = []
        for row, seq, where in rows:
            content = json.loads(row.content)
            found.append(
                BoardEntry(
                    id=row.id,
                    sample_id=row.sample_id,
                    sequence=seq,
                    county=where,
                    found=bool(content["found"]),
                    votes={k: list(v) for k, v in content.get("votes", {}).items()},
                    tallies={
                        k: {c: int(n) for c, n in v.items()}
                        for k, v in content.get("tallies", {}).items()
                    },
                    entered_by=row.entered_by,
                    entered_at=_utc(row.entered_at) or row.entered_at,
                    reason=row.reason,
                    superseded_by=row.superseded_by,
                    voided=row.voided,
                )
            )
        return found

    def export_contents(self, audit_id: int) -> AuditExportContents:
        """Return everything the audit's public export holds (the zip is built by
        :func:`papertally.io.audit_export.build_export` from these)."""
        audit = self.audit(audit_id)
        contests = self.contests(audit_id)
        header = {
            "audit": {
                "id": audit.id,
                "name": audit.name,
                "status": audit.status,
                "sampling": audit.sampling,
                "seed": audit.seed,
                "counties": list(audit.counties),
                "published_at": _iso(audit.published_at),
                "seed_entered_at": _iso(audit.seed_entered_at),
                "completed_at": _iso(audit.completed_at),
                "findings": list(audit.findings),
            },
            "contests": [
                c.spec
                or {
                    "name": c.name,
                    "audit_type": c.audit_type,
                    "risk_limit": c.risk_limit,
                    "winners": c.winners,
                }
                for c in contests
            ],
            "rounds": [
                {
                    "round": r.number,
                    "size": r.size,
                    "cards_drawn": r.cards_drawn,
                    "started_at": _iso(r.started_at),
                    "closed_at": _iso(r.closed_at),
                    "measurement": r.measurement,
                }
                for r in self.rounds(audit_id)
            ],
        }
        records = [
            BoardRecord(
                e.id,
                e.sequence,
                e.county,
                e.status,
                e.found,
                e.tallies or e.votes,
                e.entered_by,
                e.entered_at.isoformat(),
                e.reason or "",
            )
            for e in self.entries(audit_id, include_history=True)
        ]
        sample = [(c.as_sampled(), c.round_number) for c in self.sample(audit_id)]
        subject = f"audit/{audit_id}"
        activity = [
            {**entry.payload(), "entry_hash": entry.entry_hash}
            for entry in self.log.activity()
            if entry.subject == subject or entry.subject.startswith(subject + "/")
        ]
        return AuditExportContents(header, self.file_contents(audit_id), sample, records, activity)

    def county_ids(self, audit_id: int) -> dict[CountyName, int]:
        """Return each county of the audit with its row id (what URLs name), in audit order."""
        with reading(self.engine) as connection:
            rows = connection.execute(
                select(AuditCountyRow.county, AuditCountyRow.id)
                .where(AuditCountyRow.audit_id == audit_id)
                .order_by(AuditCountyRow.id)
            ).all()
        return {county: county_id for county, county_id in rows}

    def county_by_id(self, audit_id: int, county_id: int) -> CountyName | None:
        """Return the county with row id ``county_id`` in audit ``audit_id``, or None.

        URLs name counties by id: a name may hold any character, and names are compared
        exactly (never case-folded), so a clerk of "STRASSE" is no clerk of "Straße".
        """
        with reading(self.engine) as connection:
            found: CountyName | None = connection.execute(
                select(AuditCountyRow.county).where(
                    AuditCountyRow.audit_id == audit_id, AuditCountyRow.id == county_id
                )
            ).scalar_one_or_none()
        return found

    # -- helpers ----------------------------------------------------------------------------

    def _audit(self, connection: Connection, audit_id: int, *, lock: bool = False) -> Audit:
        query = select(AuditRow).where(AuditRow.id == audit_id)
        if lock:
            query = query.with_for_update()
        row = Session(connection).execute(query).scalar()
        if row is None:
            raise PapertallyError(f"there is no audit {audit_id}")
        counties = connection.execute(
            select(AuditCountyRow.county)
            .where(AuditCountyRow.audit_id == audit_id)
            .order_by(AuditCountyRow.id)
        ).scalars()
        return Audit(
            id=row.id,
            name=row.name,
            status=row.status,
            sampling=row.sampling,
            seed=row.seed,
            created_by=row.created_by,
            created_at=_utc(row.created_at) or row.created_at,
            published_at=_utc(row.published_at),
            seed_entered_at=_utc(row.seed_entered_at),
            completed_at=_utc(row.completed_at),
            counties=tuple(counties),
            findings=tuple(json.loads(row.findings)) if row.findings else (),
        )

    def _require_status(
        self, connection: Connection, audit_id: int, status: str, doing: str
    ) -> Audit:
        """Return the audit, locked for this write transaction, if it has ``status``.

        Every write locks the audit's row first (PostgreSQL ``FOR UPDATE``; SQLite writers
        queue on the database lock), so two writes to one audit never interleave: a round
        cannot close while a board's entry is being saved, nor be started twice.
        """
        audit = self._audit(connection, audit_id, lock=True)
        if audit.status != status:
            raise PapertallyError(
                f"audit {audit_id} is {audit.status!r}; it must be {status!r} to {doing}"
            )
        return audit

    @staticmethod
    def _county_in(audit: Audit, county: CountyName) -> CountyName:
        for known in audit.counties:
            if known == county.strip():
                return known
        raise PapertallyError(
            f"{county!r} does not take part in audit {audit.id} ({', '.join(audit.counties)})"
        )

    def _contests(self, connection: Connection, audit_id: int) -> list[AuditContest]:
        rows = (
            Session(connection)
            .execute(
                select(AuditContestRow)
                .where(AuditContestRow.audit_id == audit_id)
                .order_by(AuditContestRow.id)
            )
            .scalars()
        )
        return [
            AuditContest(
                r.name,
                r.audit_type,
                r.risk_limit,
                r.winners,
                None if r.spec is None else json.loads(r.spec),
                None if r.reported is None else json.loads(r.reported),
            )
            for r in rows
        ]

    def _files(self, connection: Connection, audit_id: int) -> list[StoredFile]:
        rows = (
            Session(connection)
            .execute(
                select(AuditFileRow)
                .where(AuditFileRow.audit_id == audit_id, AuditFileRow.superseded_by.is_(None))
                .order_by(AuditFileRow.county, AuditFileRow.kind, AuditFileRow.id)
            )
            .scalars()
        )
        return [
            StoredFile(
                r.id,
                r.county,
                r.kind,
                r.contest,
                r.filename,
                r.sha256,
                r.size,
                json.loads(r.summary),
                r.uploaded_by,
                _utc(r.uploaded_at) or r.uploaded_at,
            )
            for r in rows
        ]

    def _card(
        self, connection: Connection, audit_id: int, county: CountyName, sequence: int
    ) -> StoredCard:
        row = (
            Session(connection)
            .execute(
                select(AuditSampleRow).where(
                    AuditSampleRow.audit_id == audit_id, AuditSampleRow.sequence == sequence
                )
            )
            .scalar()
        )
        if row is None or row.county != county:
            raise PapertallyError(f"{county} has no card {sequence} in audit {audit_id}")
        return _card_of(row)

    def _require_open_round(self, connection: Connection, audit_id: int, number: int) -> None:
        row = connection.execute(
            select(AuditRoundRow.closed_at).where(
                AuditRoundRow.audit_id == audit_id, AuditRoundRow.number == number
            )
        ).first()
        if row is None:
            raise PapertallyError(f"audit {audit_id} has no round {number}")
        if row[0] is not None:
            raise PapertallyError(
                f"round {number} is closed and its risk measured; its cards cannot change"
            )

    @staticmethod
    def _first_draw_of_batch(connection: Connection, audit_id: int, card: StoredCard) -> int:
        """Return the first draw of ``card``'s batch when it is a whole batch, else its own."""
        if card.position != 0:
            return card.sequence
        tabulator = (
            AuditSampleRow.tabulator.is_(None)
            if card.tabulator is None
            else AuditSampleRow.tabulator == card.tabulator
        )
        first = connection.execute(
            select(AuditSampleRow.sequence)
            .where(
                AuditSampleRow.audit_id == audit_id,
                AuditSampleRow.county == card.county,
                AuditSampleRow.batch == card.batch,
                AuditSampleRow.position == 0,
                tabulator,
            )
            .order_by(AuditSampleRow.sequence)
            .limit(1)
        ).scalar_one()
        return int(first)

    @staticmethod
    def _current_entry(connection: Connection, sample_id: int) -> int | None:
        found = connection.execute(
            select(AuditEntryRow.id).where(
                AuditEntryRow.sample_id == sample_id,
                AuditEntryRow.superseded_by.is_(None),
                AuditEntryRow.voided.is_(False),
            )
        ).scalar()
        return None if found is None else int(found)


def _card_of(row: AuditSampleRow) -> StoredCard:
    cvr = json.loads(row.cvr)
    return StoredCard(
        id=row.id,
        round_number=row.round_number,
        sequence=row.sequence,
        ticket=row.ticket,
        county=row.county,
        container=row.container,
        tabulator=row.tabulator,
        batch=row.batch,
        position=row.position,
        imprinted_id=row.imprinted_id,
        cvr=None if cvr is None else {k: list(v) for k, v in cvr.items()},
    )
