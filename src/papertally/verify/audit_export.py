"""Verify an audit from its public export alone: files, seed, sample, and every risk measured.

Anyone holding the export zip (:mod:`papertally.io.audit_export`) can check, without the app or
its database, that

1. every file is the one listed in ``SHA256SUMS.txt`` and none is missing or extra;
2. the manifests and CVRs are those whose hashes were published, and published before the seed;
3. the seed is a valid dice seed, and the reported votes are the CVRs' tally;
4. an IRV contest's RAIRE assertions rule out every other winner (the RAIRE verifier), and
   its winner and every assertion's margin are those of the CVRs;
5. each round drew exactly the cards the seed gives (Rivest's consistent sampler), with the
   same tickets, and round 1 has the size the engine gives for the contests;
6. each round's risk per contest and assertion, recomputed from the current audit-board
   records and the CVRs read from the files, equals the recorded one, and each next round has
   the size the previous one asked for;
7. the audit's entries of the activity log hash as recorded, and the seed and every
   audit-board record (content and voiding) are what the log recorded.

The checks run in that order and stop at nothing: the result lists them all, and the first
that failed is *the first mismatch*. Recomputation uses the engine's public functions
(:mod:`papertally.audit.sampling`, :mod:`papertally.workflows.measure`) on what the zip holds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papertally.audit.contests import AuditedCard, AuditType, ContestSpec
from papertally.audit.sampling import validate_seed
from papertally.errors import PapertallyError
from papertally.io.audit_export import (
    ACTIVITY_JSON,
    AUDIT_JSON,
    BOARD_COLUMNS,
    BOARD_CSV,
    EXPORT_FORMAT,
    SAMPLE_COLUMNS,
    SAMPLE_CSV,
    SAMPLED_CVRS,
    SUMS,
    AuditFiles,
    batch_audit_inputs,
    batch_setup,
    card_votes,
    draw_batches,
    draw_cards,
    open_export,
    read_csv_rows,
    sample_row,
)
from papertally.model.activity import content_digest
from papertally.model.audit_records import AuditFile
from papertally.workflows.measure import (
    first_batch_round_size,
    first_difference,
    first_round_size,
    measure_batch_rounds,
    measure_rounds,
    round_to_json,
)


@dataclass(frozen=True)
class Check:
    """One verification step and its outcome."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Verification:
    """Every check made on an export, in order."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(c.ok for c in self.checks)

    @property
    def first_mismatch(self) -> Check | None:
        """The first check that failed, or ``None``."""
        return next((c for c in self.checks if not c.ok), None)

    def to_json(self) -> dict[str, Any]:
        """Return the result as plain JSON data (``papertally verify --json``)."""
        first = self.first_mismatch
        return {
            "ok": self.ok,
            "first_mismatch": None if first is None else f"{first.name}: {first.detail}",
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
        }


class _Checks:
    def __init__(self) -> None:
        self.found: list[Check] = []

    def add(self, name: str, problem: str | None, passed: str) -> bool:
        self.found.append(Check(name, problem is None, passed if problem is None else problem))
        return problem is None


def _check_hashes(members: dict[str, bytes]) -> str | None:
    """Return the first file whose SHA-256 differs from ``SHA256SUMS.txt``, or ``None``."""
    listed: dict[str, str] = {}
    for number, line in enumerate(members[SUMS].decode("utf-8").splitlines(), start=1):
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name:
            return f"{SUMS}, line {number}: expected '<sha256>  <path>', found {line!r}"
        listed[name] = digest
    for name, data in members.items():
        if name == SUMS:
            continue
        if name not in listed:
            return f"{name} is in the zip but not in {SUMS}"
        if hashlib.sha256(data).hexdigest() != listed[name]:
            return f"{name}: its SHA-256 differs from the one in {SUMS} (the file was changed)"
    missing = sorted(set(listed) - set(members))
    if missing:
        return f"{missing[0]} is listed in {SUMS} but missing from the zip"
    return None


def _current_records(
    board: list[dict[str, str]],
) -> tuple[dict[int, dict[str, str]], str | None]:
    """Return the current board record of each draw, or the first draw with two."""
    current: dict[int, dict[str, str]] = {}
    for row in board:
        if row["status"] != "current":
            continue
        sequence = int(row["sequence"])
        if sequence in current:
            return current, f"{BOARD_CSV}: draw {sequence} has two current records"
        current[sequence] = row
    return current, None


def _audited_cards(
    sample: list[dict[str, str]],
    current: dict[int, dict[str, str]],
    files: AuditFiles,
    sampled: dict[str, Any] | None = None,
) -> list[AuditedCard]:
    """Pair each drawn card's CVR with its current board record.

    The CVR comes from the CVR files, or from ``sampled`` (``sampled-cvrs.json``) when the
    export withholds the CVR files.
    """
    by_place = {(b.jurisdiction, b.tabulator or "", b.name): b for b in files.manifest.batches}
    cards: list[AuditedCard] = []
    for row in sample:
        sequence = int(row["sequence"])
        cvr: dict[str, list[str]] | None
        if sampled is not None:
            found = sampled.get(str(sequence))
            cvr = None if found is None else {k: list(v) for k, v in found.items()}
        else:
            batch = by_place[(row["county"], row["tabulator"], row["batch"])]
            cvr_card = files.card_at(batch, int(row["position"]))
            cvr = card_votes(cvr_card, files.ranked_contests)
        record = current.get(sequence)
        paper = None
        if record is not None and record["found"] == "yes":
            paper = {k: list(v) for k, v in json.loads(record["votes"]).items()}
        stratum = files.in_cvr_stratum(row["county"], row["tabulator"], row["batch"])
        cards.append(AuditedCard(sequence, cvr, paper, stratum, (row["county"], row["batch"])))
    return cards


def verify_export(source: str | Path | bytes) -> Verification:
    """Verify an audit export (a path or the zip's bytes); see the module docstring."""
    checks = _Checks()
    members = open_export(source)
    checks.add("hashes", _check_hashes(members), f"every file matches {SUMS}")
    header = json.loads(members[AUDIT_JSON].decode("utf-8"))
    if header.get("format") != EXPORT_FORMAT:
        checks.add("format", f"{AUDIT_JSON} is not a {EXPORT_FORMAT}", "")
        return Verification(tuple(checks.found))
    audit = header["audit"]
    listed = header["files"]
    files: list[AuditFile] = []
    problem = None
    withheld = [e for e in listed if e.get("withheld")]
    for entry in listed:
        if entry.get("withheld"):
            continue
        data = members.get(entry["path"])
        if data is None:
            problem = problem or f"{entry['path']} is listed in {AUDIT_JSON} but not in the zip"
            continue
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            problem = problem or (
                f"{entry['path']}: its SHA-256 is not the one published before the seed"
            )
        files.append(
            AuditFile(
                entry["county"],
                entry["kind"],
                entry["filename"],
                data,
                entry.get("contest") or None,
            )
        )
    published, seeded = audit.get("published_at"), audit.get("seed_entered_at")
    if problem is None and seeded and (not published or published >= seeded):
        problem = f"the seed was entered ({seeded}) before the file hashes were published"
    kept = f"{len(files)} files, hashes published before the seed"
    if withheld:
        kept += f"; {len(withheld)} CVR file(s) withheld, listed by hash only"
    checks.add("published files", problem, kept)
    seed = audit.get("seed")
    try:
        seed = validate_seed(seed or "")
        seed_problem = None
    except PapertallyError as error:
        seed_problem = f"seed: {error}"
    if not checks.add("seed", seed_problem, f"seed {seed} has {len(seed or '')} digits"):
        return Verification(tuple(checks.found))
    assert seed is not None
    try:
        read = AuditFiles.read(files, audit["counties"])
    except PapertallyError as error:
        checks.add("files readable", str(error), "")
        return Verification(tuple(checks.found))
    specs = [ContestSpec.from_json(c) for c in header["contests"]]
    batch = any(s.audit_type is AuditType.BATCH_COMPARISON for s in specs)
    problem = None
    for spec in specs:
        if spec.cards != read.manifest.total_ballots:
            problem = problem or (
                f"contest {spec.name!r}: audited over {spec.cards} cards but the manifests "
                f"list {read.manifest.total_ballots}"
            )
        hybrid = spec.audit_type is AuditType.HYBRID
        if hybrid and spec.cvr_cards != read.cvr_stratum_cards:
            problem = problem or (
                f"contest {spec.name!r}: {spec.cvr_cards} cards with CVRs recorded but the "
                f"manifests list {read.cvr_stratum_cards} in batches with CVRs"
            )
        if spec.audit_type is not AuditType.BALLOT_POLLING and not (withheld and not batch):
            votes = (
                read.reported_batch_votes(spec.name) if batch else read.reported_votes(spec.name)[0]
            )
            claimed = dict(spec.cvr_votes or {}) if hybrid else dict(spec.votes)
            if votes != claimed:
                problem = problem or (
                    f"contest {spec.name!r}: reported votes {claimed} are not the "
                    f"files' tally {votes}"
                )
    checks.add(
        "reported results",
        problem,
        f"{read.manifest.total_ballots} cards in the manifests; "
        + (
            "CVRs withheld: the reported votes cannot be checked against them"
            if withheld and not batch
            else "reported votes match the files"
        ),
    )
    ranked = [s for s in specs if s.irv is not None]
    if ranked:
        from papertally.workflows.irv import check_irv_spec

        problem = next(
            (p for s in ranked if (p := check_irv_spec(s, None if withheld else read))), None
        )
        passed = checks.add(
            "IRV assertions",
            problem,
            f"the RAIRE assertions of {len(ranked)} IRV contest(s) rule out every other winner"
            + ("" if withheld else "; winner and margins recompute from the CVRs"),
        )
        if not passed and problem is not None and "cannot be read" in problem:
            return Verification(tuple(checks.found))
    version = header.get("version", 1)
    version = version if isinstance(version, int) else 1
    sample = read_csv_rows(members[SAMPLE_CSV], SAMPLE_CSV, SAMPLE_COLUMNS, version=version)
    board = read_csv_rows(members[BOARD_CSV], BOARD_CSV, BOARD_COLUMNS, version=version)
    rounds = header["rounds"]
    problem = None
    if batch:
        contests, bounds = batch_setup(read, specs)
        first_size = first_batch_round_size(specs, contests) if rounds else 0
    else:
        first_size = first_round_size(specs) if rounds and specs else 0
    if rounds and rounds[0]["size"] != first_size:
        problem = f"round 1 drew {rounds[0]['size']}; the engine sizes it at {first_size}"
    drawn = 0
    # With the CVRs withheld the imprinted ids (read from the CVRs) cannot be recomputed.
    for number, info in enumerate(rounds, start=1):
        expected = (
            draw_batches(read, bounds, seed, int(info["size"]), drawn)
            if batch
            else draw_cards(read, seed, int(info["size"]), drawn)
        )
        rows = [r for r in sample if int(r["round"]) == number]
        if problem is None and len(rows) != len(expected):
            problem = (
                f"round {number}: {len(rows)} cards in {SAMPLE_CSV}, the seed gives {len(expected)}"
            )
        for card, row in zip(expected, rows, strict=False):
            mine = dict(zip(SAMPLE_COLUMNS, sample_row(card, number), strict=True))
            if withheld:
                mine["imprinted_id"] = row.get("imprinted_id", "")
            if problem is None and mine != row:
                diff = next(k for k in SAMPLE_COLUMNS if mine[k] != row.get(k))
                problem = (
                    f"{SAMPLE_CSV}, draw {card.sequence}: {diff} recorded {row.get(diff)!r}, "
                    f"the seed gives {mine[diff]!r}"
                )
        drawn += int(info["size"])
    checks.add("sample", problem, f"{drawn} draws in {len(rounds)} round(s) match the seed")
    current, problem = _current_records(board)
    closed = [r for r in rounds if r.get("measurement") is not None]
    if problem is None and closed:
        ends = [int(r["cards_drawn"]) for r in closed]
        if batch:
            draws, audited = batch_audit_inputs(
                [(int(r["sequence"]), (r["county"], r["batch"])) for r in sample],
                {
                    seq: {k: dict(v) for k, v in json.loads(r["votes"]).items()}
                    if r["found"] == "yes"
                    else None
                    for seq, r in current.items()
                },
            )
            measured = measure_batch_rounds(specs, contests, draws, audited, ends)
        else:
            sampled = (
                json.loads(members[SAMPLED_CVRS].decode("utf-8"))
                if withheld and SAMPLED_CVRS in members
                else None
            )
            measured = measure_rounds(specs, _audited_cards(sample, current, read, sampled), ends)
        for number, (info, result) in enumerate(zip(closed, measured, strict=True), start=1):
            recomputed = round_to_json(result)
            problem = first_difference(info["measurement"], recomputed)
            if problem is None and number < len(rounds):
                asked = result.next_round_size
                if rounds[number]["size"] != asked:
                    problem = (
                        f"round {number + 1} drew {rounds[number]['size']} cards; round "
                        f"{number} asked for {asked}"
                    )
            if problem is not None:
                break
    checks.add(
        "risk",
        problem,
        f"the risk of every contest in {len(closed)} closed round(s) recomputes the same",
    )
    if ACTIVITY_JSON in members:
        entries = json.loads(members[ACTIVITY_JSON].decode("utf-8"))
        checks.add(
            "activity log",
            _check_activity(entries, audit, board),
            f"{len(entries)} log entries hash as recorded; every board record and the seed "
            "are as the log recorded them",
        )
    return Verification(tuple(checks.found))


def _check_activity(
    entries: list[dict[str, Any]], audit: dict[str, Any], board: list[dict[str, str]]
) -> str | None:
    """Check each log entry's own hash, then the seed and every board record against the log.

    The audit's entries are a part of the app's whole chain, so their links to entries of
    other work are not checked here; each entry's hash covers its content and its link.
    """
    logged: dict[int, dict[str, Any]] = {}
    voided: set[int] = set()
    for entry in entries:
        payload = {k: v for k, v in entry.items() if k != "entry_hash"}
        if content_digest(payload) != entry.get("entry_hash"):
            return (
                f"{ACTIVITY_JSON}: entry {entry.get('sequence')} ({entry.get('action')}) does "
                "not hash to its recorded hash (it was altered)"
            )
        details = entry.get("details", {})
        if entry.get("action") == "audit.seed" and details.get("seed") != audit.get("seed"):
            return f"the seed {audit.get('seed')!r} is not the one logged ({details.get('seed')!r})"
        if entry.get("action") in ("audit.card.record", "audit.card.correct"):
            logged[int(details["entry_id"])] = details
        if entry.get("action") == "audit.card.void":
            voided.add(int(details["entry_id"]))
    for row in board:
        entry_id = int(row["entry_id"])
        details = logged.get(entry_id)
        if details is None:
            return f"{BOARD_CSV}: record {entry_id} (draw {row['sequence']}) is not in the log"
        found = row["found"] == "yes"
        votes = json.loads(row["votes"])
        if bool(details.get("found")) != found or (
            details.get("tallies", details.get("votes", {})) != votes
        ):
            return (
                f"{BOARD_CSV}: record {entry_id} (draw {row['sequence']}) differs from what the "
                "activity log recorded"
            )
        if (entry_id in voided) != (row["status"] == "voided"):
            return f"{BOARD_CSV}: record {entry_id} is {row['status']}, the log says otherwise"
    return None
