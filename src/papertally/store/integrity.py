"""Proving the whole state from the activity log: canonical row hashes, appends, the verifier.

The hash chain (:mod:`papertally.model.activity`) proves the log was not rewritten; this module
makes the log prove the *data* too. Every writer, in the transaction of its change, reads back
the rows it wrote (:func:`logged_rows`; :func:`deleted_rows` for rows it removes) and hands them
to :func:`append_entry`, which stores one line per row in ``activity_rows`` (table, primary key,
SHA-256 of the row's canonical content, the content) and puts a digest of those lines into the
entry's details, so the lines are covered by the chain. The imported canvass is logged as one
content hash per election over all its rows (:func:`canvass_state`), so an import of a million
vote figures adds one line, not a million.

:func:`verify_state` then checks every row of every state table against the last content the
log recorded for it, and that every row the log recorded still exists: a changed column, a row
added or deleted outside the app, a row moved to another ward or county all fail, named by
table, row and (where the log kept the content) column.

A store from before migration 0007 holds rows no entry lists; :func:`baseline_rows` gathers
them for one ``log.baseline`` entry (``papertally log baseline``), which attests them as they
are at that moment, so that verify checks them from then on.

The canonical content of a row is its columns in the table's order, each as text: integers
and decimals in plain digits, floats by ``repr``, booleans ``true``/``false``, datetimes in UTC
ISO 8601 with microseconds, dates ISO, binary data by its SHA-256, ``None`` as JSON ``null``;
so SQLite and PostgreSQL give the same hash for the same row. A password hash is kept only as
its own SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import islice
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, Table, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from papertally.errors import PapertallyError
from papertally.model.activity import (
    ANCHORS_KEY,
    GENESIS_HASH,
    MAIN_CHAIN,
    ActivityEntry,
    ChainVerification,
    canonical_json,
    link_entry,
)
from papertally.store import audit_schema as _audit_tables  # noqa: F401 (registers them)
from papertally.store import integrity_schema, recount_schema
from papertally.store.schema import (
    CHOICES,
    CONTESTS,
    COUNTS,
    ELECTIONS,
    IMPORT_FILES,
    IMPORT_WARNINGS,
    IMPORTS,
    TALLY_STATISTICS,
    UNIT_STATISTICS,
    UNIT_TALLIES,
    UNITS,
    VOTE_BREAKDOWNS,
    VOTES,
    Base,
)

ROWS_KEY = "rows"
"""The details key of an entry that wrote rows: the digest of its ``activity_rows`` lines."""

ROW_TABLES: tuple[str, ...] = (
    "users",
    "recounts",
    "recount_counties",
    "recount_wards",
    "tally_sheets",
    "paper_records",
    "audits",
    "audit_counties",
    "audit_contests",
    "audit_files",
    "audit_rounds",
    "audit_sample",
    "audit_entries",
    "recount_settings",
    "sheet_checks",
    "audit_settings",
    "audit_signoffs",
)
"""The state tables checked row by row, in the order :func:`verify_state` reports them."""

CANVASS = "canvass"
"""The ``table_name`` of an election's imported canvass, logged as one content hash."""

CANVASS_TABLES: tuple[Table, ...] = (
    ELECTIONS,
    IMPORTS,
    IMPORT_FILES,
    IMPORT_WARNINGS,
    CONTESTS,
    CHOICES,
    UNITS,
    COUNTS,
    UNIT_TALLIES,
    VOTES,
    UNIT_STATISTICS,
    TALLY_STATISTICS,
    VOTE_BREAKDOWNS,
)
"""The tables of an imported canvass, in the order their rows enter its content hash."""
_CANVASS_IF_FILLED = frozenset({UNIT_STATISTICS.name, TALLY_STATISTICS.name, VOTE_BREAKDOWNS.name})
"""Canvass tables that enter the hash only when the election has rows in them (migration
0009), so the hash logged for an election imported before them stays the same."""

_STREAMED = {UNITS.name, UNIT_TALLIES.name, VOTES.name, VOTE_BREAKDOWNS.name}
"""Canvass tables read through the driver's cursor (integers and text only, a million rows)."""

SECRET_COLUMNS: Mapping[str, frozenset[str]] = {"users": frozenset({"password_hash"})}
"""Columns whose value the log keeps only as its SHA-256."""

_ACTIVITY_ROWS: Table = integrity_schema.ActivityRowStateRow.__table__  # type: ignore[assignment]
_ACTIVITY_LOG: Table = recount_schema.ActivityRow.__table__  # type: ignore[assignment]
_ACTIVITY_HEADS: Table = integrity_schema.ActivityHeadRow.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class RowState:
    """A row as a log entry wrote it: table, primary key, content hash (None: deleted)."""

    table: str
    key: str
    digest: str | None
    content: str | None = None
    """The canonical content (JSON), kept so that a mismatch can name the column."""


@dataclass(frozen=True)
class Mismatch:
    """A difference between the stored state and what the log recorded."""

    table: str
    key: str
    column: str | None
    sequence: int | None
    """The log entry that last wrote the row, where there is one."""
    message: str
    chain: str | None = None
    """The chain of that entry (``""``: the main chain)."""
    unlogged: RowState | None = None
    """The row's current state when no log entry covers it at all (what ``log baseline``
    records for a store from before migration 0007)."""


def table_of(name: str) -> Table:
    """Return the store table called ``name``."""
    return Base.metadata.tables[name]


def normal(value: Any) -> str | None:
    """Return ``value`` as the canonical text of the module docstring (None stays None)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return moment.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return "sha256:" + hashlib.sha256(value).hexdigest()
    return str(value)


def _row_key(table: Table, row: Sequence[Any]) -> str:
    positions = [i for i, column in enumerate(table.columns) if column.primary_key]
    return "/".join(str(row[i]) for i in positions)


def row_state(table: Table, row: Sequence[Any]) -> RowState:
    """Return the canonical content and hash of ``row`` (all of ``table``'s columns, in order)."""
    secret = SECRET_COLUMNS.get(table.name, frozenset())
    values: list[str | None] = []
    for column, value in zip(table.columns, row, strict=True):
        canonical = normal(value)
        if canonical is not None and column.name in secret:
            canonical = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
        values.append(canonical)
    content = canonical_json(values).decode()
    key = _row_key(table, row)
    digest = hashlib.sha256(f"{table.name}\n{key}\n{content}".encode()).hexdigest()
    return RowState(table.name, key, digest, content)


def _resolve(table: Table | str | type[Base]) -> Table:
    if isinstance(table, Table):
        return table
    if isinstance(table, str):
        return table_of(table)
    resolved: Table = table.__table__  # type: ignore[assignment]
    return resolved


def logged_rows(
    connection: Connection, table: Table | str | type[Base], *where: ColumnElement[bool]
) -> list[RowState]:
    """Read back the rows of ``table`` matching ``where`` and return their states to log.

    A writer calls this after its change, in its transaction, for every table it wrote; rows
    it did not change may be included (their hash is the same).
    """
    resolved = _resolve(table)
    query = select(resolved).where(*where).order_by(*resolved.primary_key.columns)
    return [row_state(resolved, row) for row in connection.execute(query)]


def deleted_rows(
    connection: Connection, table: Table | str | type[Base], *where: ColumnElement[bool]
) -> list[RowState]:
    """Return the rows of ``table`` matching ``where`` as deleted (call it before deleting)."""
    resolved = _resolve(table)
    keys = list(resolved.primary_key.columns)
    rows = connection.execute(select(*keys).where(*where).order_by(*keys))
    return [RowState(resolved.name, "/".join(str(v) for v in row), None) for row in rows]


def _canvass_queries(election_id: int) -> list[tuple[Table, Select[Any]]]:
    """Return each canvass table with the query of election ``election_id``'s rows."""
    contests = select(CONTESTS.c.id).where(CONTESTS.c.election_id == election_id)
    counts = select(COUNTS.c.id).where(COUNTS.c.contest_id.in_(contests))
    imports = select(IMPORTS.c.id).where(IMPORTS.c.election_id == election_id)
    where: dict[str, ColumnElement[bool]] = {
        ELECTIONS.name: ELECTIONS.c.id == election_id,
        IMPORTS.name: IMPORTS.c.election_id == election_id,
        IMPORT_FILES.name: IMPORT_FILES.c.import_id.in_(imports),
        IMPORT_WARNINGS.name: IMPORT_WARNINGS.c.import_id.in_(imports),
        CONTESTS.name: CONTESTS.c.election_id == election_id,
        CHOICES.name: CHOICES.c.contest_id.in_(contests),
        UNITS.name: UNITS.c.election_id == election_id,
        COUNTS.name: COUNTS.c.contest_id.in_(contests),
        UNIT_TALLIES.name: UNIT_TALLIES.c.count_id.in_(counts),
        VOTES.name: VOTES.c.count_id.in_(counts),
        UNIT_STATISTICS.name: UNIT_STATISTICS.c.import_id.in_(imports),
        TALLY_STATISTICS.name: TALLY_STATISTICS.c.count_id.in_(counts),
        VOTE_BREAKDOWNS.name: VOTE_BREAKDOWNS.c.count_id.in_(counts),
    }
    return [
        (table, select(table).where(where[table.name]).order_by(*table.primary_key.columns))
        for table in CANVASS_TABLES
    ]


CANVASS_CHUNK_ROWS = 10_000
"""Rows per JSON array in a canvass table's hash (part of the canonical form)."""


def _canonical_chunks(
    connection: Connection, table: Table, query: Select[Any]
) -> Iterator[list[Sequence[Any]]]:
    """Yield the rows of ``query`` canonically, in lists of :data:`CANVASS_CHUNK_ROWS`.

    The large tables hold only integers and text, which both drivers hand back as Python
    ``int`` and ``str``: their rows are taken as they come (integers stay JSON numbers); the
    others' values go through :func:`normal`.
    """
    if table.name in _STREAMED:
        from papertally.store.writer import stream_rows

        rows: Iterator[Sequence[Any]] = stream_rows(connection, query)
    else:
        rows = ([normal(v) for v in row] for row in connection.execute(query))
    while chunk := list(islice(rows, CANVASS_CHUNK_ROWS)):
        yield chunk


def canvass_state(connection: Connection, election_id: int) -> RowState:
    """Return the content hash of election ``election_id``'s whole imported canvass.

    Each canvass table's rows of the election, in primary-key order, are hashed as compact
    JSON arrays of :data:`CANVASS_CHUNK_ROWS` rows each (one C-speed encoding per chunk, so a
    million vote figures hash in about a second); the content kept is
    ``{table: [rows, SHA-256]}`` (so a mismatch names the table) and the state's hash is the
    hash of that content.
    """
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    tables: dict[str, list[int | str]] = {}
    for table, query in _canvass_queries(election_id):
        digest = hashlib.sha256()
        rows = 0
        for chunk in _canonical_chunks(connection, table, query):
            digest.update(dumps(chunk).encode())
            rows += len(chunk)
        if rows or table.name not in _CANVASS_IF_FILLED:
            tables[table.name] = [rows, digest.hexdigest()]
    content = canonical_json(tables).decode()
    key = str(election_id)
    whole = hashlib.sha256(f"{CANVASS}\n{key}\n{content}".encode()).hexdigest()
    return RowState(CANVASS, key, whole, content)


def deleted_canvass(election_id: int) -> RowState:
    """Return election ``election_id``'s canvass as deleted."""
    return RowState(CANVASS, str(election_id), None)


def election_rows_deleted(connection: Connection, election_id: int) -> list[RowState]:
    """Return, as deleted, election ``election_id``'s canvass and its recounts' rows (the
    recounts go with the election); call it before deleting."""
    recounts = table_of("recounts")
    wards = table_of("recount_wards")
    recount_ids = select(recounts.c.id).where(recounts.c.election_id == election_id)
    ward_ids = select(wards.c.id).where(wards.c.recount_id.in_(recount_ids))
    return [
        deleted_canvass(election_id),
        *deleted_rows(connection, recounts, recounts.c.election_id == election_id),
        *deleted_rows(
            connection,
            "recount_counties",
            table_of("recount_counties").c.recount_id.in_(recount_ids),
        ),
        *deleted_rows(connection, wards, wards.c.recount_id.in_(recount_ids)),
        *deleted_rows(connection, "tally_sheets", table_of("tally_sheets").c.ward_id.in_(ward_ids)),
        *deleted_rows(
            connection, "paper_records", table_of("paper_records").c.ward_id.in_(ward_ids)
        ),
    ]


def rows_digest(states: Iterable[tuple[str, str, str | None, str | None]]) -> str:
    """Return the digest of an entry's row lines (table, key, hash, content), in key order."""
    ordered = sorted(states, key=lambda s: (s[0], s[1]))
    return hashlib.sha256(canonical_json([list(s) for s in ordered])).hexdigest()


CTE_LINES = 500
"""Most row lines written in the same statement as their entry (PostgreSQL's parameter limit is
far above; larger batches, an audit round's sample, go in as a bulk insert of their own)."""


def append_entry(
    connection: Connection,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, Any] | None = None,
    rows: Iterable[RowState] = (),
    *,
    chain: str = MAIN_CHAIN,
) -> ActivityEntry:
    """Append an entry to ``chain``, with the rows it wrote, inside the caller's transaction.

    Called last in the writer's transaction: it locks the chain's head row (PostgreSQL
    ``SELECT ... FOR UPDATE``; SQLite's write lock is held already), so the lock is held only
    for the link and the commit, and writers of other chains do not wait. An entry of the main
    chain also anchors every side chain that moved since the last anchor.
    """
    unique = {(s.table, s.key): s for s in rows}
    content = dict(details or {})
    if unique:
        content[ROWS_KEY] = rows_digest(
            (s.table, s.key, s.digest, s.content) for s in unique.values()
        )
    head = _locked_head(connection, chain)
    anchored: dict[str, int] | None = None
    if chain == MAIN_CHAIN:
        anchored = json.loads(head.anchored or "{}")
        moved = {
            row.chain: [row.sequence, row.entry_hash]
            for row in connection.execute(
                select(
                    _ACTIVITY_HEADS.c.chain,
                    _ACTIVITY_HEADS.c.sequence,
                    _ACTIVITY_HEADS.c.entry_hash,
                )
                .where(_ACTIVITY_HEADS.c.chain != MAIN_CHAIN)
                .order_by(_ACTIVITY_HEADS.c.chain)
            )
            if row.sequence > 0 and anchored.get(row.chain) != row.sequence
        }
        if moved:
            content[ANCHORS_KEY] = moved
            anchored.update({name: int(at[0]) for name, at in moved.items()})
    entry = link_entry(
        None if head.sequence == 0 else (head.sequence, head.entry_hash),
        actor=actor,
        action=action,
        subject=subject,
        details=content,
        chain=chain,
    )
    logged = insert(_ACTIVITY_LOG).values(
        chain=chain,
        sequence=entry.sequence,
        recorded_at=entry.recorded_at,
        actor=entry.actor,
        action=entry.action,
        subject=entry.subject,
        details=canonical_json(entry.details).decode(),
        previous_hash=entry.previous_hash,
        entry_hash=entry.entry_hash,
    )
    lines = [
        {
            "chain": chain,
            "sequence": entry.sequence,
            "table_name": s.table,
            "row_key": s.key,
            "digest": s.digest,
            "content": s.content,
        }
        for s in unique.values()
    ]
    moved_on: dict[str, Any] = {"sequence": entry.sequence, "entry_hash": entry.entry_hash}
    if anchored is not None:
        moved_on["anchored"] = canonical_json(anchored).decode()
    advance = update(_ACTIVITY_HEADS).where(_ACTIVITY_HEADS.c.chain == chain).values(**moved_on)
    if connection.dialect.name == "postgresql" and len(lines) <= CTE_LINES:
        # One round trip while the chain's head is locked: the entry and its row lines go in
        # as data-modifying CTEs of the head's update.
        advance = advance.add_cte(logged.cte("logged_entry"))
        if lines:
            advance = advance.add_cte(insert(_ACTIVITY_ROWS).values(lines).cte("logged_lines"))
        connection.execute(advance)
        return entry
    connection.execute(logged)
    if lines:
        connection.execute(insert(_ACTIVITY_ROWS), lines)
    connection.execute(advance)
    return entry


def _locked_head(connection: Connection, chain: str) -> Any:
    """Return ``chain``'s head row, locked for this transaction (created when new)."""
    query = (
        select(_ACTIVITY_HEADS.c.sequence, _ACTIVITY_HEADS.c.entry_hash, _ACTIVITY_HEADS.c.anchored)
        .where(_ACTIVITY_HEADS.c.chain == chain)
        .with_for_update()
    )
    head = connection.execute(query).first()
    if head is None:
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        connection.execute(
            dialect.insert(_ACTIVITY_HEADS)
            .values(chain=chain, sequence=0, entry_hash=GENESIS_HASH, anchored=None)
            .on_conflict_do_nothing(index_elements=["chain"])
        )
        head = connection.execute(query).one()
    return head


@dataclass(frozen=True)
class _Logged:
    chain: str
    sequence: int
    recorded_at: datetime
    digest: str | None
    content: str | None


_Entries = Mapping[tuple[str, int], ActivityEntry]


def _describe(entries: _Entries, logged: _Logged) -> str:
    where = "" if logged.chain == MAIN_CHAIN else f" of chain {logged.chain!r}"
    entry = entries.get((logged.chain, logged.sequence))
    what = "" if entry is None else f" ({entry.action} {entry.subject})"
    return f"entry {logged.sequence}{where}{what}"


def _later(a: _Logged, b: _Logged) -> _Logged:
    """Return the later of two loggings of one row: by sequence within a chain, else by time."""
    if a.chain == b.chain:
        return a if a.sequence > b.sequence else b
    return a if a.recorded_at > b.recorded_at else b


def verify_state(connection: Connection, entries: Sequence[ActivityEntry]) -> list[Mismatch]:
    """Check every state row against the last content the log recorded; return the mismatches.

    ``entries`` is the whole log (its chains checked by the caller). Each entry's row lines
    must hash to the digest in its details; then every row of :data:`ROW_TABLES` must equal
    its last logged content, every election's canvass its last logged hash, and every row the
    log says exists must exist. A row is written in one chain (its county's, say), where its
    last logging is the latest entry; across chains (an election deleted with its recounts)
    the later in time counts.
    """
    by_id = {(e.chain, e.sequence): e for e in entries}
    mismatches = _verify_heads(connection, entries)
    lines: dict[tuple[str, int], list[tuple[str, str, str | None, str | None]]] = {}
    for row in connection.execute(
        select(
            _ACTIVITY_ROWS.c.chain,
            _ACTIVITY_ROWS.c.sequence,
            _ACTIVITY_ROWS.c.table_name,
            _ACTIVITY_ROWS.c.row_key,
            _ACTIVITY_ROWS.c.digest,
            _ACTIVITY_ROWS.c.content,
        ).order_by(_ACTIVITY_ROWS.c.chain, _ACTIVITY_ROWS.c.sequence)
    ):
        lines.setdefault((row[0], row[1]), []).append((row[2], row[3], row[4], row[5]))
    last: dict[tuple[str, str], _Logged] = {}
    logging = set(lines) | {key for key, e in by_id.items() if ROWS_KEY in e.details}
    for chain, sequence in sorted(logging):
        entry = by_id.get((chain, sequence))
        written = lines.get((chain, sequence), [])
        if entry is None:
            mismatches.append(
                Mismatch(
                    "activity_rows",
                    f"{chain}/{sequence}",
                    None,
                    sequence,
                    f"activity_rows: {len(written)} row hashes belong to entry {sequence} of "
                    f"chain {chain!r}, which is not in the log",
                    chain,
                )
            )
            continue
        if entry.details.get(ROWS_KEY) != rows_digest(written):
            about = _Logged(chain, sequence, entry.recorded_at, None, None)
            mismatches.append(
                Mismatch(
                    "activity_rows",
                    f"{chain}/{sequence}",
                    None,
                    sequence,
                    f"activity_rows: the row hashes of {_describe(by_id, about)} were altered "
                    "(they no longer match the digest the entry logged)",
                    chain,
                )
            )
        for table, key, digest, content in written:
            logged = _Logged(chain, sequence, entry.recorded_at, digest, content)
            before = last.get((table, key))
            last[(table, key)] = logged if before is None else _later(before, logged)
    for name in ROW_TABLES:
        if name in Base.metadata.tables:
            mismatches.extend(_verify_table(connection, table_of(name), last, by_id))
    mismatches.extend(_verify_canvass(connection, last, by_id))
    return mismatches


def _verify_heads(connection: Connection, entries: Sequence[ActivityEntry]) -> list[Mismatch]:
    """Check that each chain ends where its head row says (else entries were cut off its end)."""
    ends: dict[str, ActivityEntry] = {}
    for entry in entries:
        if entry.chain not in ends or entry.sequence > ends[entry.chain].sequence:
            ends[entry.chain] = entry
    heads = {
        row.chain: (row.sequence, row.entry_hash)
        for row in connection.execute(
            select(
                _ACTIVITY_HEADS.c.chain, _ACTIVITY_HEADS.c.sequence, _ACTIVITY_HEADS.c.entry_hash
            )
        )
    }
    found: list[Mismatch] = []
    for chain in sorted(set(heads) | set(ends)):
        sequence, digest = heads.get(chain, (0, GENESIS_HASH))
        end = ends.get(chain)
        if (sequence, digest) != (
            (0, GENESIS_HASH) if end is None else (end.sequence, end.entry_hash)
        ):
            name = "the main chain" if chain == MAIN_CHAIN else f"chain {chain!r}"
            found.append(
                Mismatch(
                    "activity_heads",
                    chain,
                    None,
                    sequence,
                    f"activity_heads: {name} was last appended at entry {sequence}, but the "
                    f"log ends at entry {0 if end is None else end.sequence} (entries were "
                    "removed from its end, or the head was altered)",
                    chain,
                )
            )
    return found


def _verify_table(
    connection: Connection,
    table: Table,
    last: Mapping[tuple[str, str], _Logged],
    entries: _Entries,
) -> list[Mismatch]:
    found: list[Mismatch] = []
    seen: set[str] = set()
    for row in connection.execute(select(table).order_by(*table.primary_key.columns)):
        state = row_state(table, row)
        seen.add(state.key)
        logged = last.get((table.name, state.key))
        where = f"{table.name} row {state.key}"
        if logged is None:
            found.append(
                Mismatch(
                    table.name,
                    state.key,
                    None,
                    None,
                    f"{where} is not in the log (written outside the app)",
                    unlogged=state,
                )
            )
        elif logged.digest is None:
            found.append(
                Mismatch(
                    table.name,
                    state.key,
                    None,
                    logged.sequence,
                    f"{where} was deleted by {_describe(entries, logged)} but is there again",
                    logged.chain,
                )
            )
        elif logged.digest != state.digest:
            column, detail = _changed_column(table, logged.content, state.content)
            found.append(
                Mismatch(
                    table.name,
                    state.key,
                    column,
                    logged.sequence,
                    f"{where} differs from what the log recorded in "
                    f"{_describe(entries, logged)}{detail}",
                    logged.chain,
                )
            )
    for (name, key), logged in last.items():
        if name == table.name and logged.digest is not None and key not in seen:
            found.append(
                Mismatch(
                    name,
                    key,
                    None,
                    logged.sequence,
                    f"{name} row {key}, written by {_describe(entries, logged)}, "
                    "is missing (deleted outside the app)",
                    logged.chain,
                )
            )
    return found


def _changed_column(
    table: Table, logged: str | None, current: str | None
) -> tuple[str | None, str]:
    """Return the first column whose value differs, and a phrase saying how."""
    if logged is None or current is None:
        return None, ""
    before, after = json.loads(logged), json.loads(current)
    for column, old, new in zip(table.columns, before, after, strict=False):
        if old != new:
            shown = [v if v is None or len(v) <= 60 else v[:57] + "..." for v in (old, new)]
            return column.name, f": column {column.name} is {shown[1]!r}, logged {shown[0]!r}"
    return None, ""


def _verify_canvass(
    connection: Connection,
    last: Mapping[tuple[str, str], _Logged],
    entries: _Entries,
) -> list[Mismatch]:
    found: list[Mismatch] = []
    totals: dict[str, int] = {}
    seen: set[str] = set()
    election_ids = connection.execute(select(ELECTIONS.c.id).order_by(ELECTIONS.c.id)).scalars()
    for election_id in list(election_ids):
        state = canvass_state(connection, election_id)
        tables: dict[str, list[Any]] = json.loads(state.content or "{}")
        for name, (rows, _) in tables.items():
            totals[name] = totals.get(name, 0) + rows
        seen.add(state.key)
        logged = last.get((CANVASS, state.key))
        where = f"the imported canvass of election {election_id}"
        if logged is None or logged.digest is None:
            found.append(
                Mismatch(
                    ELECTIONS.name,
                    state.key,
                    None,
                    None,
                    f"{where} is not in the log (imported outside the app)",
                    unlogged=state if logged is None else None,
                )
            )
        elif logged.digest != state.digest:
            before: dict[str, list[Any]] = json.loads(logged.content or "{}")
            changed = next(
                (n for n in {**before, **tables} if before.get(n) != tables.get(n)),
                ELECTIONS.name,
            )
            rows_now, rows_then = (tables.get(changed) or [0])[0], (before.get(changed) or [0])[0]
            detail = (
                f"{rows_now} rows, logged {rows_then}"
                if rows_now != rows_then
                else "the same number of rows, but their content changed"
            )
            found.append(
                Mismatch(
                    changed,
                    state.key,
                    None,
                    logged.sequence,
                    f"{changed} of {where} differs from what the log recorded in "
                    f"{_describe(entries, logged)}: {detail}",
                    logged.chain,
                )
            )
    for (name, key), logged in last.items():
        if name == CANVASS and logged.digest is not None and key not in seen:
            found.append(
                Mismatch(
                    ELECTIONS.name,
                    key,
                    None,
                    logged.sequence,
                    f"the imported canvass of election {key}, logged by "
                    f"{_describe(entries, logged)}, is missing",
                    logged.chain,
                )
            )
    for table in CANVASS_TABLES:
        stored = connection.execute(select(func.count()).select_from(table)).scalar_one()
        if stored != totals.get(table.name, 0):
            found.append(
                Mismatch(
                    table.name,
                    "",
                    None,
                    None,
                    f"{table.name} holds {stored - totals.get(table.name, 0)} rows of no "
                    "election (written outside the app)",
                )
            )
    return found


BASELINE_ACTION = "log.baseline"
"""The main-chain entry that records, once, the rows of a store from before migration 0007."""

PRE_INTEGRITY_ACTIONS: frozenset[str] = frozenset(
    {
        "user.create",
        "user.role",
        "user.disable",
        "user.enable",
        "user.password-change",
        "user.password-reset",
        "import",
        "election.delete",
        "recount.open",
        "county.plan",
        "county.start",
        "county.submit",
        "county.return",
        "county.accept",
        "tally.enter",
        "tally.correct",
        "records.enter",
        "records.correct",
        "recount.certify",
        "audit.create",
        "audit.contest",
        "audit.publish",
        "audit.seed",
        "audit.round.start",
        "audit.round.close",
        "audit.complete",
        "audit.card.record",
        "audit.card.correct",
        "audit.card.void",
    }
)
"""The actions with which papertally wrote state before migration 0007, when entries listed no
rows. Since 0007 every entry of these actions carries its rows' digest, so one without it was
written before the upgrade; actions added since are not listed, so they never count."""


def predates_integrity(entries: Sequence[ActivityEntry]) -> bool:
    """Return True when ``entries`` are the log of a store from before migration 0007, not yet
    baselined.

    That is: no ``log.baseline`` entry, and either a main-chain entry of a state-writing action
    without rows (written before 0007) or no entry with rows at all (before 0007 an import from
    the command line logged nothing, so such a store's log may be empty). A store created since
    0007 logs rows with its first change, so a row no entry covers there was written outside the
    app, and neither the hint of ``log verify`` nor a baseline applies.
    """
    if any(e.action == BASELINE_ACTION for e in entries):
        return False
    return not any(ROWS_KEY in e.details for e in entries) or any(
        e.chain == MAIN_CHAIN and e.action in PRE_INTEGRITY_ACTIONS and ROWS_KEY not in e.details
        for e in entries
    )


def baseline_rows(
    entries: Sequence[ActivityEntry], chain: ChainVerification, mismatches: Sequence[Mismatch]
) -> list[RowState]:
    """Return the rows a baseline records: those no entry covers, as they are now.

    Raises :class:`PapertallyError` with one line saying why when there is nothing to record,
    or when recording would vouch for more than rows from before the integrity log: the chain
    is broken, a covered row differs from its logged content, the store was baselined already,
    or its log began after migration 0007 (so its unlogged rows were written outside the app).
    """
    unlogged = [m.unlogged for m in mismatches if m.unlogged is not None]
    if not chain.intact:
        raise PapertallyError(
            f"the activity log is broken at entry {chain.first_break}: {chain.reason}; "
            "a baseline is recorded only on an intact log"
        )
    if not unlogged:
        raise PapertallyError("nothing to baseline: every stored row is in the activity log")
    others = [m for m in mismatches if m.unlogged is None]
    if others:
        raise PapertallyError(
            f"{len(others)} stored row(s) differ from what the log recorded "
            f"(first: {others[0].message}); a baseline records only rows no entry covers and "
            "is refused while verify finds anything else"
        )
    done = [e for e in entries if e.action == BASELINE_ACTION]
    if done:
        raise PapertallyError(
            f"the store was baselined already (entry {done[-1].sequence}, "
            f"{done[-1].recorded_at:%Y-%m-%d %H:%M} UTC): the {len(unlogged)} row(s) no entry "
            "covers were written outside the app since"
        )
    if not predates_integrity(entries):
        raise PapertallyError(
            f"the {len(unlogged)} row(s) no entry covers were written outside the app: this "
            "store's log began after migration 0007, and a baseline is only for stores from "
            "before it"
        )
    return unlogged


def covered_counts(rows: Iterable[RowState]) -> dict[str, int]:
    """Return how many rows of each table ``rows`` cover (an election's canvass counted per
    canvass table, from its logged content)."""
    counts: dict[str, int] = {}
    for state in rows:
        if state.table == CANVASS:
            tables: dict[str, list[Any]] = json.loads(state.content or "{}")
            for name, (number, _) in tables.items():
                counts[name] = counts.get(name, 0) + int(number)
        else:
            counts[state.table] = counts.get(state.table, 0) + 1
    order = [*ROW_TABLES, *(t.name for t in CANVASS_TABLES)]
    return {name: counts[name] for name in order if counts.get(name)}
