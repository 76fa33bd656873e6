"""What the public results site asks of the store: when a recount or audit last changed.

Every write to a recount bumps a ward's or a county's version (optimistic locking), and every
step of an audit moves its status, its rounds or its board entries; so a few aggregates over
those rows name the published state exactly. The public pages use them as validators
(``ETag`` and ``Last-Modified``, RFC 9110 section 8.8) and as the key of their cache, at the
cost of two or three indexed aggregate queries instead of reading every tally sheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, case, func, select

from papertally.store.audit_schema import AuditEntryRow, AuditRoundRow, AuditRow, AuditSampleRow
from papertally.store.engine import reading
from papertally.store.recount_schema import RecountCountyRow, RecountRow, RecountWardRow


@dataclass(frozen=True)
class StateStamp:
    """What changes whenever a recount's or an audit's stored state does, and when it did."""

    token: str
    """Differs between any two stored states (a validator, not a secret)."""
    changed_at: datetime | None
    """The newest change the rows record (None where nothing records a time)."""
    status: str
    """The recount's or audit's status."""


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _newest(*moments: datetime | None) -> datetime | None:
    known = [m for m in (_utc(x) for x in moments) if m is not None]
    return max(known) if known else None


def recount_stamp(engine: Engine, recount_id: int) -> StateStamp | None:
    """Return recount ``recount_id``'s stamp (None when there is no such recount)."""
    with reading(engine) as connection:
        head = connection.execute(
            select(RecountRow.status, RecountRow.opened_at, RecountRow.certified_at).where(
                RecountRow.id == recount_id
            )
        ).first()
        if head is None:
            return None
        wards = connection.execute(
            select(
                func.count(RecountWardRow.id),
                func.coalesce(func.sum(RecountWardRow.version), 0),
                func.max(RecountWardRow.updated_at),
            ).where(RecountWardRow.recount_id == recount_id)
        ).one()
        counties = connection.execute(
            select(
                func.count(RecountCountyRow.id),
                func.coalesce(func.sum(RecountCountyRow.version), 0),
                func.max(RecountCountyRow.started_at),
            ).where(RecountCountyRow.recount_id == recount_id)
        ).one()
    token = f"r{recount_id}-{head[0]}-{wards[0]}.{wards[1]}-{counties[0]}.{counties[1]}"
    return StateStamp(token, _newest(head[1], head[2], wards[2], counties[2]), str(head[0]))


def audit_stamp(engine: Engine, audit_id: int) -> StateStamp | None:
    """Return audit ``audit_id``'s stamp (None when there is no such audit)."""
    with reading(engine) as connection:
        head = connection.execute(
            select(
                AuditRow.status,
                AuditRow.published_at,
                AuditRow.seed_entered_at,
                AuditRow.completed_at,
            ).where(AuditRow.id == audit_id)
        ).first()
        if head is None:
            return None
        rounds = connection.execute(
            select(
                func.count(AuditRoundRow.id),
                func.max(AuditRoundRow.started_at),
                func.max(AuditRoundRow.closed_at),
                func.count(AuditRoundRow.closed_at),
            ).where(AuditRoundRow.audit_id == audit_id)
        ).one()
        entries = connection.execute(
            select(
                func.count(AuditEntryRow.id),
                func.max(AuditEntryRow.entered_at),
                func.coalesce(func.sum(case((AuditEntryRow.voided, 1), else_=0)), 0),
            )
            .select_from(AuditEntryRow)
            .join(AuditSampleRow, AuditSampleRow.id == AuditEntryRow.sample_id)
            .where(AuditSampleRow.audit_id == audit_id)
        ).one()
    token = f"a{audit_id}-{head[0]}-{rounds[0]}.{rounds[3]}-{entries[0]}.{entries[2]}"
    changed = _newest(head[1], head[2], head[3], rounds[1], rounds[2], entries[1])
    return StateStamp(token, changed, str(head[0]))
