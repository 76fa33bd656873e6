"""The tables of a risk-limiting audit run in the web app.

An audit (``audits``) names its counties (``audit_counties``) and contests
(``audit_contests``); the counties' ballot manifests and CVR exports are kept byte for byte
on disk, their rows holding name, size and SHA-256 (``audit_files``), so the public export
holds exactly what was audited. Once the hashes are published the files are frozen; then the
seed is entered and the rounds (``audit_rounds``) draw cards (``audit_sample``). Audit boards'
readings (``audit_entries``) are append-only: a correction supersedes, a mistake is voided,
both kept with who, when and why.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from papertally.store.schema import Base, _one_of

AUDIT_STATUSES = ["setup", "published", "in progress", "complete"]
"""``setup``: defining and uploading; ``published``: file hashes public, waiting for the seed;
``in progress``: rounds under way; ``complete``: every contest confirmed or counted in full."""
AUDIT_TYPES = ["ballot comparison", "ballot polling", "batch comparison", "hybrid"]
FILE_KINDS = ["manifest", "cvrs", "batch tallies"]


class AuditRow(Base):
    """A risk-limiting audit of one election's contests."""

    __tablename__ = "audits"
    __table_args__ = (CheckConstraint(_one_of("status", AUDIT_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    sampling: Mapped[str] = mapped_column(String(16))
    """The sampling method (:class:`papertally.audit.sampling.SamplingMethod`)."""
    seed: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When the files' hashes were published (always before the seed)."""
    findings: Mapped[str | None] = mapped_column(Text)
    """The checks of the files made when publishing (JSON list of sentences): CVRs per batch
    against the manifest, CVRs claiming the same card."""
    seed_entered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditCountyRow(Base):
    """A county (jurisdiction) taking part in an audit."""

    __tablename__ = "audit_counties"
    __table_args__ = (UniqueConstraint("audit_id", "county"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"))
    county: Mapped[str] = mapped_column(Text)


class AuditContestRow(Base):
    """A contest under audit; ``spec`` is fixed (JSON) when the seed is entered."""

    __tablename__ = "audit_contests"
    __table_args__ = (
        UniqueConstraint("audit_id", "name"),
        CheckConstraint(_one_of("audit_type", AUDIT_TYPES), name="type_known"),
        CheckConstraint("risk_limit > 0 AND risk_limit < 1", name="risk_limit_range"),
        CheckConstraint("winners >= 1", name="winners_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    audit_type: Mapped[str] = mapped_column(String(32))
    risk_limit: Mapped[float] = mapped_column(Float)
    winners: Mapped[int] = mapped_column(Integer)
    reported: Mapped[str | None] = mapped_column(Text)
    """Reported votes per choice given by the administrator (JSON), for a polling contest
    without CVRs; ``None`` when they come from the CVRs or batch tallies."""
    spec: Mapped[str | None] = mapped_column(Text)


class AuditFileRow(Base):
    """A county's uploaded manifest, CVR export or batch tallies; a re-upload of the same kind
    (and contest) supersedes it. The bytes are on disk under ``stored_key``
    (:mod:`papertally.store.files`), checked against ``sha256`` whenever they are read."""

    __tablename__ = "audit_files"
    __table_args__ = (CheckConstraint(_one_of("kind", FILE_KINDS), name="kind_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    county: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(Text)
    contest: Mapped[str | None] = mapped_column(Text)
    """The contest of a ``batch tallies`` file (candidate totals by batch); else ``None``."""
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    stored_key: Mapped[str] = mapped_column(String(100))
    """Where the bytes are in the file store (named by their SHA-256)."""
    summary: Mapped[str] = mapped_column(Text)
    """What was read from the file (JSON): ballots, batches, cards, contests."""
    uploaded_by: Mapped[str] = mapped_column(Text)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    superseded_by: Mapped[int | None] = mapped_column(Integer)


class AuditRoundRow(Base):
    """A round of an audit: how many cards it drew, and the risk measured when it closed."""

    __tablename__ = "audit_rounds"
    __table_args__ = (UniqueConstraint("audit_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    """Cards drawn in this round."""
    cards_drawn: Mapped[int] = mapped_column(Integer)
    """Cards drawn in this and the earlier rounds."""
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    measurement: Mapped[str | None] = mapped_column(Text)
    """The risk per contest when the round closed (JSON of :func:`round_to_json`)."""


class AuditSampleRow(Base):
    """One card drawn (or, in a batch comparison audit, one batch: position 0), with its ticket,
    where it is stored, and its CVR's votes (JSON, or null)."""

    __tablename__ = "audit_sample"
    __table_args__ = (UniqueConstraint("audit_id", "sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"))
    round_number: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    ticket: Mapped[str] = mapped_column(String(64))
    county: Mapped[str] = mapped_column(Text, index=True)
    container: Mapped[str | None] = mapped_column(Text)
    tabulator: Mapped[str | None] = mapped_column(Text)
    batch: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    imprinted_id: Mapped[str | None] = mapped_column(Text)
    cvr: Mapped[str] = mapped_column(Text)
    """The CVR's votes per contest as JSON, ``null`` when no CVR describes the card."""


class AuditEntryRow(Base):
    """An audit board's reading of one sampled card; corrections supersede, mistakes are voided."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sample_id: Mapped[int] = mapped_column(
        ForeignKey("audit_sample.id", ondelete="CASCADE"), index=True
    )
    content: Mapped[str] = mapped_column(Text)
    """``{"found": false}``, ``{"found": true, "votes": {contest: [choices]}}`` for a card or
    ``{"found": true, "tallies": {contest: {choice: votes}}}`` for a batch, as JSON."""
    entered_by: Mapped[str] = mapped_column(Text)
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(Text)
    superseded_by: Mapped[int | None] = mapped_column(Integer)
    voided: Mapped[bool] = mapped_column(Boolean)


class AuditSettingsRow(Base):
    """An audit's time zone (IANA, from the state; :mod:`papertally.law.timezones`) and whether
    each reading needs a second board member's sign-off (the two-person rule)."""

    __tablename__ = "audit_settings"

    audit_id: Mapped[int] = mapped_column(
        ForeignKey("audits.id", ondelete="CASCADE"), primary_key=True
    )
    time_zone: Mapped[str] = mapped_column(String(64))
    sign_off: Mapped[bool] = mapped_column(Boolean)


class AuditSignOffRow(Base):
    """A second board member's sign-off of a reading: she checked the card shows what the first
    member recorded. A correction is a new reading and needs its own sign-off."""

    __tablename__ = "audit_signoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("audit_entries.id", ondelete="CASCADE"), index=True
    )
    signed_by: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
