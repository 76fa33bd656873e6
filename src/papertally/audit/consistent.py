"""Rivest's consistent sampler: ticket numbers from SHA-256, smallest tickets drawn first.

Rivest (2018), "Consistent sampling with replacement", arXiv:1808.10016. Every item (ballot) gets
a pseudo-random *ticket number* in (0, 1) computed from the public seed and the item's id; the
sample is the items in increasing order of ticket number. Drawing with replacement gives a drawn
item a new, larger ticket (its next *generation*), so the item may be drawn again. Because a ticket
depends only on the seed and the item, a larger sample always begins with a smaller one (later
rounds extend earlier ones), and samples of sub-collections are the same as the filtered sample
of the whole. This is the method of VotingWorks' Arlo, which calls Rivest's PyPI package
``consistent-sampler``; the definitions below give the same tickets, in the same order:

* the seed's hash ``S = hex(SHA-256(seed))``;
* generation 1: ``H = SHA-256(S + str(id))`` read as an integer, written in decimal with at least
  64 digits, the digits reversed (the low-order digits are the unbiased ones) after ``"0."``;
* generation g+1 from ticket ``x``: keep ``x``'s leading run of 9s, and append the digits of
  ``SHA-256(x + ":" + str(i))`` (made as above) for i = 1, 2, … until the result exceeds ``x``;
* tickets compare as strings (the same as comparing the decimal fractions they spell).

Speed: the n smallest tickets of N ballots need all N generation-1 hashes, one SHA-256 per ballot;
there is no way around it for the exact sample. What *can* be avoided is the slow part of the
reference code (a decimal string and a heap entry per ballot): here the hashes are computed by
``hashlib`` over whole batches at C speed, reduced with numpy to the first nine digits of each
ticket, and only the few ballots whose nine-digit prefix can be among the n smallest get their
full ticket string, compared exactly. Large manifests are hashed by worker processes in parallel.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import os
import sys
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from itertools import islice, repeat
from multiprocessing import get_context
from multiprocessing.context import BaseContext
from operator import methodcaller
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from papertally.audit.manifest import Batch, Manifest
from papertally.errors import PapertallyError

KeyArray = npt.NDArray[np.uint32]

PREFIX_DIGITS = 9
"""Ticket digits compared in the vectorized pass: 10**9 fits a uint32, and its products a uint64."""
_CHUNK = 1 << 16
"""Ballots hashed per chunk, to bound memory."""
MAX_WORKERS = 8
PARALLEL_THRESHOLD = 1_000_000
"""From this many ballots on, the hashing is shared among worker processes by default."""

_digest = methodcaller("digest")


def seed_hash(seed: str) -> str:
    """Return the hex SHA-256 of the seed, the prefix of every generation-1 hash (Rivest 2018)."""
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def ticket_from_digest(digest: bytes) -> str:
    """Turn a SHA-256 digest into a ticket number ``"0.ddd…"``: decimal digits, low-order first."""
    return "0." + str(int.from_bytes(digest, "big")).zfill(64)[::-1]


def first_ticket(hashed_seed: str, item_id: str) -> str:
    """Return the generation-1 ticket number of ``item_id`` (the seed given by its hash)."""
    return ticket_from_digest(hashlib.sha256((hashed_seed + item_id).encode("utf-8")).digest())


def _leading_nines_end(ticket: str) -> int:
    """Return the index just past the ``"0."`` and the run of 9s that follows it."""
    digits = ticket[2:]
    return 2 + len(digits) - len(digits.lstrip("9"))


def next_ticket(ticket: str) -> str:
    """Return the next generation's ticket: pseudo-random in (ticket, 1), from the ticket alone.

    The leading 9s of ``ticket`` are kept and the rest redrawn from SHA-256 of
    ``ticket + ":" + counter`` until the result is larger (Rivest 2018, §4).
    """
    padded = ticket + "0"
    head = padded[: _leading_nines_end(padded)]
    counter = 0
    while True:
        counter += 1
        digest = hashlib.sha256(f"{ticket}:{counter}".encode()).digest()
        candidate = head + ticket_from_digest(digest)[2:]
        if candidate > padded:
            return candidate


def trim_ticket(ticket: str, digits: int) -> str:
    """Cut a ticket to ``digits`` significant digits after its leading 9s (truncated, not rounded).

    Arlo reports tickets with 18 such digits.
    """
    if ticket[2:3] != "9":
        return ticket[: 2 + digits]
    return ticket[: _leading_nines_end(ticket + "0") + digits]


_MODULUS: int = 10**PREFIX_DIGITS
_WORD_WEIGHTS = np.array([pow(2, 64 * (3 - j), _MODULUS) for j in range(4)], dtype=np.uint64)
"""``2**(64 (3-j)) mod 10**9``: the weight of the j-th 64-bit word of a digest, modulo 10**9."""
_REVERSED_THREE = np.array([int(f"{n:03d}"[::-1]) for n in range(1000)], dtype=np.uint32)
"""The three decimal digits of 0..999 in reverse order: 1 → 100, 12 → 210, 123 → 321."""


def _keys_of_digests(digests: list[bytes]) -> KeyArray:
    """Return the first nine ticket digits of each SHA-256 digest, as a uint32 number.

    The ticket's digits are those of the hash integer H from the lowest up, so its first nine
    digits, read as a number, are the digit reversal of ``H mod 10**9``. That remainder is the
    sum of each 64-bit word's remainder times the word's weight (each product < 10**18, their
    sum < 2**64), so five divisions per digest suffice.
    """
    words = np.frombuffer(b"".join(digests), dtype=">u8").reshape(-1, 4).astype(np.uint64)
    modulus = np.uint64(_MODULUS)
    words %= modulus
    words *= _WORD_WEIGHTS
    low = (words.sum(axis=1, dtype=np.uint64) % modulus).astype(np.uint32)
    thousand = np.uint32(1000)
    first = _REVERSED_THREE[low % thousand]
    low //= thousand
    second = _REVERSED_THREE[low % thousand]
    low //= thousand
    keys: KeyArray = first * np.uint32(1_000_000) + second * thousand + _REVERSED_THREE[low]
    return keys


def _keys_of_messages(messages: list[bytes]) -> KeyArray:
    """Hash each message and return the nine-digit ticket key of each."""
    return _keys_of_digests(list(map(_digest, map(hashlib.sha256, messages))))


_Job = list[tuple[bytes, int]]
"""Batches to hash: for each, the message prefix (seed hash + ``"((…), "``) and its ballot count."""

_SUFFIX_CACHE = 1 << 16
"""Positions up to this have their id endings made once and kept."""
_copy = methodcaller("copy")
_update = type(hashlib.sha256()).update


@cache
def _common_suffixes() -> list[bytes]:
    """Return the encoded endings ``"1)"``, ``"2)"``, … of ballot ids, for the usual batches."""
    return [f"{p})".encode() for p in range(1, _SUFFIX_CACHE + 1)]


def _suffixes(start: int, stop: int) -> Iterable[bytes]:
    """Return the id endings of positions ``start + 1 .. stop``."""
    if stop <= _SUFFIX_CACHE:
        return islice(_common_suffixes(), start, stop)
    return (f"{p})".encode() for p in range(start + 1, stop + 1))


def _keys_of_job(job: _Job) -> KeyArray:
    """Compute the nine-digit ticket keys of every ballot of some batches, in order.

    Each batch's common prefix (the seed's hash and the batch's id) is hashed once; every
    ballot then costs a copy of that hash state, an update with ``"<position>)"`` and a digest,
    all driven by ``map`` so that no Python bytecode runs per ballot.
    """
    parts: list[KeyArray] = []
    digests: list[bytes] = []
    for prefix, count in job:
        base = hashlib.sha256(prefix)
        for start in range(0, count, _CHUNK):
            stop = min(count, start + _CHUNK)
            states = list(map(_copy, repeat(base, stop - start)))
            deque(map(_update, states, _suffixes(start, stop)), maxlen=0)
            digests.extend(map(_digest, states))
            if len(digests) >= _CHUNK:
                parts.append(_keys_of_digests(digests))
                digests = []
    if digests or not parts:
        parts.append(_keys_of_digests(digests))
    return np.concatenate(parts)


def batch_id_prefix(batch: Batch) -> str:
    """Return ``"((jurisdiction, tabulator, batch name), "``: the start of its ballots' ids.

    Arlo gives the consistent sampler the id ``((jurisdiction name, tabulator, batch name),
    position)`` and the sampler hashes its Python ``str``; this is that text without the position.
    """
    return f"({(batch.jurisdiction, batch.tabulator, batch.name)!s}, "


def ballot_id(batch: Batch, position: int) -> str:
    """Return the id hashed for the ballot at ``position`` of ``batch``, as Arlo forms it."""
    return f"{batch_id_prefix(batch)}{position})"


def _split_jobs(prefixes: list[bytes], counts: list[int], parts: int) -> list[tuple[_Job, int]]:
    """Cut the batches into ``parts`` consecutive jobs of about equal numbers of ballots.

    Each job comes with the manifest index of its first ballot.
    """
    total = sum(counts)
    jobs: list[_Job] = [[] for _ in range(parts)]
    firsts = [0] * parts
    done = 0
    for prefix, count in zip(prefixes, counts, strict=True):
        part = min(parts - 1, done * parts // max(total, 1))
        if not jobs[part]:
            firsts[part] = done
        jobs[part].append((prefix, count))
        done += count
    return [(job, first) for job, first in zip(jobs, firsts, strict=True) if job]


def default_workers(ballots: int) -> int:
    """Return how many processes hash ``ballots`` tickets: 1 when small, else one per core (≤ 8)."""
    if ballots < PARALLEL_THRESHOLD:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MAX_WORKERS, cores or 1))


def manifest_ticket_keys(manifest: Manifest, seed: str, workers: int | None = None) -> KeyArray:
    """Return the nine-digit ticket prefix of every ballot of the manifest, in manifest order."""
    prefixes, counts = _batch_prefixes(manifest, seed)
    if workers is None:
        workers = default_workers(manifest.total_ballots)
    context = fork_context() if workers > 1 else None
    if context is None:
        return _keys_of_job(list(zip(prefixes, counts, strict=True)))
    jobs = [job for job, _ in _split_jobs(prefixes, counts, workers * 4)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return np.concatenate(list(pool.map(_keys_of_job, jobs)))


def _batch_prefixes(manifest: Manifest, seed: str) -> tuple[list[bytes], list[int]]:
    """Return each batch's hashed-message prefix (seed hash + id start) and its ballot count."""
    hashed = seed_hash(seed)
    prefixes = [(hashed + batch_id_prefix(b)).encode("utf-8") for b in manifest.batches]
    return prefixes, [b.ballots for b in manifest.batches]


_Entry = tuple[str, str, int, int]
"""``(ticket, id, generation, index)``: plain tuples sort and heap in the sampler's order."""
_SEED_HASH_LENGTH = 64
"""Characters of the hex seed hash at the start of every generation-1 message."""


def _scan_job(job: _Job, first_index: int, threshold: int) -> list[_Entry]:
    """Hash every ballot of some batches; return exact entries for those keyed ≤ ``threshold``."""
    keys = _keys_of_job(job)
    local = np.flatnonzero(keys <= threshold)
    counts = np.array([count for _, count in job], dtype=np.int64)
    ends = np.cumsum(counts)
    batch_numbers = np.searchsorted(ends, local, side="right")
    positions = local - (ends - counts)[batch_numbers] + 1
    texts: dict[int, str] = {}
    entries: list[_Entry] = []
    for b, p, i in zip(batch_numbers.tolist(), positions.tolist(), local.tolist(), strict=True):
        prefix = job[b][0]
        ending = f"{p})"
        text = texts.get(b)
        if text is None:
            text = texts[b] = prefix[_SEED_HASH_LENGTH:].decode("utf-8")
        digest = hashlib.sha256(prefix + ending.encode()).digest()
        entries.append((ticket_from_digest(digest), text + ending, 1, first_index + i))
    return entries


def _scan_manifest(
    prefixes: list[bytes], counts: list[int], threshold: int, workers: int
) -> list[_Entry]:
    """Run :func:`_scan_job` over all batches, shared among ``workers`` processes if allowed."""
    context = fork_context() if workers > 1 else None
    if context is None:
        return _scan_job(list(zip(prefixes, counts, strict=True)), 0, threshold)
    jobs = _split_jobs(prefixes, counts, workers * 4)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        parts = pool.map(
            _scan_job,
            [job for job, _ in jobs],
            [first for _, first in jobs],
            repeat(threshold, len(jobs)),
        )
        return [entry for part in parts for entry in part]


def key_threshold(wanted: int, total: int) -> int:
    """Return a nine-digit key under which, almost surely, at least ``wanted`` of ``total`` fall.

    Keys are uniform on 0..10**9-1, so the count at or under t is binomial; t is set eight
    standard deviations (plus 16) above ``wanted``'s expected quantile, so it falls short with
    probability below 10**-15, and then the caller scans again with every ballot a candidate.
    """
    share = (wanted + 8 * math.sqrt(wanted) + 16) / total
    return min(_MODULUS - 1, int(share * _MODULUS))


def fork_context() -> BaseContext | None:
    """Return the ``fork`` start method where it is quick and safe, else None (hash in-process).

    Forking is safe only while no other thread runs (a web server's, say); starting fresh
    interpreters instead costs more than the hashing it would share, so then none are used.
    """
    if sys.platform != "linux" or threading.active_count() > 1:
        return None
    return get_context("fork")


class TicketDraw(NamedTuple):
    """One draw of the consistent sampler."""

    ticket: str
    """The full ticket number, ``"0.ddd…"`` (trim it with :func:`trim_ticket` for display)."""
    item_id: str
    """The id that was hashed."""
    generation: int
    """1 the first time the item is drawn, 2 the second time (with replacement), …"""
    item_index: int
    """The item's 0-based index in the list or manifest sampled."""


def _candidates(keys: KeyArray, count: int) -> npt.NDArray[np.int64]:
    """Indices whose nine-digit key is at most the ``count``-th smallest key (ties kept)."""
    if count >= len(keys):
        return np.arange(len(keys), dtype=np.int64)
    threshold = np.partition(keys, count - 1)[count - 1]
    return np.flatnonzero(keys <= threshold).astype(np.int64)


def _order(entries: list[_Entry], count: int, with_replacement: bool) -> list[_Entry]:
    """Draw ``count`` items exactly from candidate entries, smallest ticket first.

    Ties of ticket numbers (which SHA-256 makes practically impossible) go to the smaller id.
    With replacement a drawn item goes back with its next-generation ticket (Rivest 2018).
    """
    if not with_replacement:
        entries.sort()
        return entries[:count]
    heapq.heapify(entries)
    drawn: list[_Entry] = []
    while len(drawn) < count and entries:
        ticket, item, generation, index = drawn_entry = entries[0]
        drawn.append(drawn_entry)
        heapq.heapreplace(entries, (next_ticket(ticket), item, generation + 1, index))
    return drawn


def consistent_sample_manifest(
    manifest: Manifest,
    seed: str,
    count: int,
    *,
    with_replacement: bool = False,
    workers: int | None = None,
) -> list[TicketDraw]:
    """Return the first ``count`` draws of Rivest's consistent sampler over a manifest's ballots.

    Ballot ids are Arlo's (see :func:`ballot_id`), so the draws equal Arlo's for the same seed
    and manifest. Without replacement ``count`` is at most the number of ballots. Every ballot
    is hashed (in ``workers`` processes); only those whose nine-digit key is under
    :func:`key_threshold` get their full ticket, and those are ordered exactly. Any draw of the
    sample is among them: at least ``count`` ballots have smaller tickets than any other.
    """
    tuples = consistent_manifest_tuples(
        manifest, seed, count, with_replacement=with_replacement, workers=workers
    )
    return list(map(TicketDraw._make, tuples))


def consistent_manifest_tuples(
    manifest: Manifest,
    seed: str,
    count: int,
    *,
    with_replacement: bool = False,
    workers: int | None = None,
) -> list[tuple[str, str, int, int]]:
    """Return :func:`consistent_sample_manifest`'s draws as plain tuples, which are quicker.

    Each is ``(ticket, id, generation, manifest index)``.
    """
    total = manifest.total_ballots
    if count <= 0 or total == 0:
        return []
    wanted = count if with_replacement else min(count, total)
    prefixes, counts = _batch_prefixes(manifest, seed)
    if workers is None:
        workers = default_workers(total)
    threshold = key_threshold(wanted, total)
    entries = _scan_manifest(prefixes, counts, threshold, workers)
    if len(entries) < wanted and threshold < _MODULUS - 1:
        entries = _scan_manifest(prefixes, counts, _MODULUS - 1, workers)
    return _order(entries, wanted, with_replacement)


def consistent_sample(
    ids: Sequence[str],
    seed: str,
    count: int,
    *,
    with_replacement: bool = False,
) -> list[TicketDraw]:
    """Return the first ``count`` draws of Rivest's consistent sampler over distinct string ids.

    For ballots identified by imprinted ids (as with cast vote records) rather than by place.
    """
    if len(set(ids)) != len(ids):
        raise PapertallyError("the ids to sample from must be distinct")
    if count <= 0 or not ids:
        return []
    hashed = seed_hash(seed)
    keys = _keys_of_messages([(hashed + item).encode("utf-8") for item in ids])
    wanted = count if with_replacement else min(count, len(ids))
    chosen = _candidates(keys, wanted).tolist()
    entries = [(first_ticket(hashed, ids[i]), ids[i], 1, i) for i in chosen]
    return list(map(TicketDraw._make, _order(entries, wanted, with_replacement)))
