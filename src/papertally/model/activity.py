"""A tamper-evident activity log: every change appended to a SHA-256 hash chain.

Each entry stores the hash of the entry before it, and its own hash covers its content and
that link, so changing, removing or reordering any past entry breaks every hash after it
(the linked timestamping idea of Haber & Stornetta, 1991). Observers who keep the head hash
of an export can later check that nothing before it was rewritten.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64
"""The ``previous_hash`` of the first entry of every log."""


def canonical_json(value: Any) -> bytes:
    """Encode ``value`` as canonical JSON (sorted keys, no spaces, UTF-8) so hashes are stable."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def content_digest(value: Any) -> str:
    """Return the SHA-256 hex digest of ``value``'s canonical JSON (e.g. a tally's content)."""
    return hashlib.sha256(canonical_json(value)).hexdigest()


@dataclass(frozen=True)
class ActivityEntry:
    """One appended change: who did what to which subject, when, linked to the entry before."""

    sequence: int
    """1 for the first entry; each next entry adds one."""
    recorded_at: datetime
    actor: str
    action: str
    """What happened, e.g. ``"login"``, ``"import"``, ``"tally.enter"``, ``"certify"``."""
    subject: str
    """What it happened to, e.g. ``"election/3/unit/Dane|Ward 1"``."""
    details: Mapping[str, Any]
    previous_hash: str
    entry_hash: str

    def payload(self) -> dict[str, Any]:
        """Return the content the entry's hash covers."""
        return entry_payload(
            self.sequence,
            self.recorded_at,
            self.actor,
            self.action,
            self.subject,
            self.details,
            self.previous_hash,
        )


def entry_payload(
    sequence: int,
    recorded_at: datetime,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, Any],
    previous_hash: str,
) -> dict[str, Any]:
    """Return the dictionary whose canonical JSON an entry's hash is computed over."""
    return {
        "sequence": sequence,
        "recorded_at": recorded_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "subject": subject,
        "details": dict(details),
        "previous_hash": previous_hash,
    }


def next_entry(
    previous: ActivityEntry | None,
    *,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, Any] | None = None,
    recorded_at: datetime | None = None,
) -> ActivityEntry:
    """Build the entry that follows ``previous`` (or starts the log when it is None)."""
    return link_entry(
        None if previous is None else (previous.sequence, previous.entry_hash),
        actor=actor,
        action=action,
        subject=subject,
        details=details,
        recorded_at=recorded_at,
    )


def link_entry(
    head: tuple[int, str] | None,
    *,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, Any] | None = None,
    recorded_at: datetime | None = None,
) -> ActivityEntry:
    """Build the entry that follows the log's ``head`` (its last sequence and hash; None: empty).

    The same as :func:`next_entry`, for appenders that read only the head, not the whole entry.
    """
    sequence = 1 if head is None else head[0] + 1
    previous_hash = GENESIS_HASH if head is None else head[1]
    at = (recorded_at or datetime.now(UTC)).astimezone(UTC)
    content = dict(details or {})
    payload = entry_payload(sequence, at, actor, action, subject, content, previous_hash)
    return ActivityEntry(
        sequence, at, actor, action, subject, content, previous_hash, content_digest(payload)
    )


@dataclass(frozen=True)
class ChainVerification:
    """The outcome of recomputing a log's hash chain."""

    entries_checked: int
    head_hash: str
    """The hash of the last entry checked (``GENESIS_HASH`` for an empty log)."""
    first_break: int | None = None
    """Sequence number of the first entry whose link or content does not verify."""
    reason: str | None = None

    @property
    def intact(self) -> bool:
        """Return True when every entry verified."""
        return self.first_break is None


def verify_chain(
    entries: Iterable[ActivityEntry], *, expected_head: str | None = None
) -> ChainVerification:
    """Recompute every hash in order and report the first broken link, if any.

    ``expected_head`` is a head hash published earlier (say, with an export): the log must still
    contain an entry with that hash, or the history before it was rewritten.
    """
    previous_hash = GENESIS_HASH
    checked = 0
    seen_expected_head = expected_head is None
    for expected_sequence, entry in enumerate(entries, start=1):
        if entry.sequence != expected_sequence:
            return ChainVerification(
                checked,
                previous_hash,
                entry.sequence,
                f"entry {entry.sequence} found where entry {expected_sequence} was expected "
                "(an entry was removed or reordered)",
            )
        if entry.previous_hash != previous_hash:
            return ChainVerification(
                checked,
                previous_hash,
                entry.sequence,
                f"entry {entry.sequence} links to {entry.previous_hash[:12]}…, "
                f"but the entry before it hashes to {previous_hash[:12]}…",
            )
        recomputed = content_digest(entry.payload())
        if recomputed != entry.entry_hash:
            return ChainVerification(
                checked,
                previous_hash,
                entry.sequence,
                f"entry {entry.sequence} ({entry.action} {entry.subject}) was altered: its content "
                f"hashes to {recomputed[:12]}…, not the recorded {entry.entry_hash[:12]}…",
            )
        previous_hash = entry.entry_hash
        seen_expected_head = seen_expected_head or entry.entry_hash == expected_head
        checked += 1
    if not seen_expected_head:
        return ChainVerification(
            checked,
            previous_hash,
            checked + 1,
            f"no entry has the published head hash {expected_head}: the log was rewritten",
        )
    return ChainVerification(checked, previous_hash)
