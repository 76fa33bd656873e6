"""A tamper-evident activity log: every change appended to a SHA-256 hash chain.

Each entry stores the hash of the entry before it, and its own hash covers its content and
that link, so changing, removing or reordering any past entry breaks every hash after it
(the linked timestamping idea of Haber & Stornetta, 1991). Observers who keep the head hash
of an export can later check that nothing before it was rewritten.

So that writers in different places need not queue on one chain, the log is a set of chains:
the main chain (named ``""``) and side chains (say one per county of a recount), each linked
on its own. Entries of the main chain record *anchors*, the head (sequence and hash) of every
side chain that moved since the last anchor, so the main chain's head vouches for every chain
up to its last anchor, as a Merkle-style commitment of several logs in one (Crosby & Wallach,
"Efficient data structures for tamper-evident logging", USENIX Security 2009, discuss the
same trade-off of many appenders and one published commitment).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64
"""The ``previous_hash`` of the first entry of every log."""
MAIN_CHAIN = ""
"""The name of the main chain, whose entries anchor the side chains."""
ANCHORS_KEY = "anchors"
"""The details key of a main-chain entry listing side-chain heads: ``{chain: [seq, hash]}``."""


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
    chain: str = MAIN_CHAIN
    """The chain the entry belongs to (``sequence`` and ``previous_hash`` are within it)."""

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
            self.chain,
        )


def entry_payload(
    sequence: int,
    recorded_at: datetime,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, Any],
    previous_hash: str,
    chain: str = MAIN_CHAIN,
) -> dict[str, Any]:
    """Return the dictionary whose canonical JSON an entry's hash is computed over.

    A side chain's name is covered too; the main chain's entries hash as they always did.
    """
    payload = {
        "sequence": sequence,
        "recorded_at": recorded_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "subject": subject,
        "details": dict(details),
        "previous_hash": previous_hash,
    }
    if chain != MAIN_CHAIN:
        payload["chain"] = chain
    return payload


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
    chain: str = MAIN_CHAIN,
) -> ActivityEntry:
    """Build the entry that follows ``chain``'s ``head`` (its last sequence and hash; None: empty).

    The same as :func:`next_entry`, for appenders that read only the head, not the whole entry.
    """
    sequence = 1 if head is None else head[0] + 1
    previous_hash = GENESIS_HASH if head is None else head[1]
    at = (recorded_at or datetime.now(UTC)).astimezone(UTC)
    content = dict(details or {})
    payload = entry_payload(sequence, at, actor, action, subject, content, previous_hash, chain)
    return ActivityEntry(
        sequence,
        at,
        actor,
        action,
        subject,
        content,
        previous_hash,
        content_digest(payload),
        chain,
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
    broken_chain: str | None = None
    """The chain of ``first_break`` (``""``: the main chain)."""

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


def verify_chains(
    entries: Iterable[ActivityEntry], *, expected_head: str | None = None
) -> ChainVerification:
    """Verify every chain of a log and the main chain's anchors of the side chains.

    Each chain must verify on its own (:func:`verify_chain`); every anchor must name an entry
    its side chain still has, with the same hash (else the side chain was rewritten);
    ``expected_head`` must be an entry of the main chain. The result's ``head_hash`` is the
    main chain's head and ``entries_checked`` counts the entries of every chain.
    """
    chains: dict[str, list[ActivityEntry]] = {}
    for entry in entries:
        chains.setdefault(entry.chain, []).append(entry)
    for chain in chains.values():
        chain.sort(key=lambda e: e.sequence)
    main = verify_chain(chains.get(MAIN_CHAIN, []), expected_head=expected_head)
    total = sum(len(c) for c in chains.values())
    if not main.intact:
        return replace(main, entries_checked=total, broken_chain=MAIN_CHAIN)
    for name in sorted(chains):
        if name == MAIN_CHAIN:
            continue
        side = verify_chain(chains[name])
        if not side.intact:
            return replace(
                side,
                entries_checked=total,
                head_hash=main.head_hash,
                broken_chain=name,
                reason=f"chain {name!r}: {side.reason}",
            )
    hashes = {(e.chain, e.sequence): e.entry_hash for c in chains.values() for e in c}
    for entry in chains.get(MAIN_CHAIN, []):
        for name, (sequence, anchored) in dict(entry.details.get(ANCHORS_KEY) or {}).items():
            if hashes.get((name, int(sequence))) != anchored:
                return ChainVerification(
                    total,
                    main.head_hash,
                    int(sequence),
                    f"chain {name!r} was rewritten: entry {entry.sequence} of the main chain "
                    f"anchored its entry {sequence} as {str(anchored)[:12]}…, which it no "
                    "longer has",
                    name,
                )
    return replace(main, entries_checked=total)
