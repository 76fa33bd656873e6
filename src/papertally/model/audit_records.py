"""The records of a risk-limiting audit that the store keeps and the public export carries.

An uploaded file of a county, a card drawn for the sample, and an audit board's record: plain
data shared by the file readers (:mod:`papertally.io.audit_export`), the store
(:mod:`papertally.store.audits`) and the independent verifier.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from papertally.types import ChoiceName, ContestName, CountyName


@dataclass(frozen=True)
class AuditFile:
    """One uploaded file of a county: its ballot manifest or its CVR export."""

    county: CountyName
    kind: str
    """``manifest``, ``cvrs`` or ``batch tallies``."""
    filename: str
    content: bytes
    contest: ContestName | None = None
    """The contest of a ``batch tallies`` file (candidate totals by batch)."""

    @property
    def sha256(self) -> str:
        """The SHA-256 of the file's bytes, as published before the seed."""
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class SampledCard:
    """One card drawn, ready for the store and the retrieval list."""

    sequence: int
    ticket: str
    county: CountyName
    container: str | None
    tabulator: str | None
    batch: str
    position: int
    imprinted_id: str | None
    cvr: dict[ContestName, list[ChoiceName]] | None


@dataclass(frozen=True)
class BoardRecord:
    """One audit-board record as exported."""

    entry_id: int
    sequence: int
    county: CountyName
    status: str
    """``current``, ``superseded`` or ``voided``."""
    found: bool
    votes: Mapping[ContestName, Any]
    """Per contest: the choices marked on a card, or the votes per choice of a batch."""
    entered_by: str
    entered_at: str
    reason: str


@dataclass(frozen=True)
class AuditExportContents:
    """What an audit's public export holds, as read from the store."""

    header: dict[str, Any]
    """The audit, its contests and rounds."""
    files: list[AuditFile]
    sample: list[tuple[SampledCard, int]]
    """Each draw with its round number."""
    records: list[BoardRecord]
    activity: list[dict[str, Any]]
    """The audit's entries of the activity log (payload and ``entry_hash``)."""


@dataclass(frozen=True)
class AuditSettings:
    """An audit's time zone and whether every reading needs a second board member's sign-off.

    The two-person rule follows Arlo's audit boards (two members, both attesting what the
    boards recorded); here each member signs in with her own account, so the log names both:
    one records a card's reading, another of the county (or the administrator) signs it off.
    """

    time_zone: str = "UTC"
    sign_off: bool = False
