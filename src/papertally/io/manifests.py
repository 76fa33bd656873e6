"""Reading ballot manifests: Arlo's CSV columns, in CSV or Excel, one file per county or many.

Arlo's ballot manifest has one row per batch with the columns ``Container``, ``Tabulator``,
``Batch Name``, ``Number of Ballots`` and ``CVR`` (Container, Tabulator and CVR optional).
Headers are matched ignoring case and spaces, so ``number of ballots`` and ``NumberOfBallots``
both work, and Dominion's export names (``Tray #``, ``Tabulator Number``, ``Batch Number``,
``Total Ballots``) are understood too. A ``Jurisdiction`` or ``County`` column, where present,
says which county each batch belongs to; otherwise the county is given, or taken from the file
name (Arlo's ``"<Jurisdiction> - ballot manifest.csv"``). Every problem is an
:class:`InputFileError` naming the file, sheet, row and column; nothing of a bad file is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from papertally.audit.manifest import Batch, Manifest
from papertally.errors import FileLocation, InputFileError, closest_match_hint
from papertally.io.cells import cell_text, is_blank, parse_count
from papertally.io.tables import Row, Sheet, Table, load_table
from papertally.types import CountyName

CONTAINER = "Container"
TABULATOR = "Tabulator"
BATCH_NAME = "Batch Name"
NUMBER_OF_BALLOTS = "Number of Ballots"
CVR = "CVR"
JURISDICTION = "Jurisdiction"

REQUIRED_COLUMNS = (BATCH_NAME, NUMBER_OF_BALLOTS)
OPTIONAL_COLUMNS = (CONTAINER, TABULATOR, CVR, JURISDICTION)

_SYNONYMS: dict[str, tuple[str, ...]] = {
    CONTAINER: ("container", "tray#", "tray", "box"),
    TABULATOR: ("tabulator", "tabulatornumber", "tabulatorid", "scanner"),
    BATCH_NAME: ("batchname", "batchnumber", "batchid", "batch"),
    NUMBER_OF_BALLOTS: ("numberofballots", "totalballots", "ballotcount", "ballots"),
    CVR: ("cvr", "cvrs", "hascvrs"),
    JURISDICTION: ("jurisdiction", "jurisdictionname", "county", "countyname"),
}
"""Each column's accepted headers, after :func:`normalize_header`; the first is Arlo's."""

_YES = frozenset({"y", "yes", "true", "1"})
_NO = frozenset({"n", "no", "false", "0"})


def normalize_header(text: str) -> str:
    """Return a header with case and all white space removed: ``"Batch Name"`` → ``batchname``."""
    return "".join(text.casefold().split())


def jurisdiction_from_filename(path: str | Path) -> CountyName:
    """Return the county named by a file: the part before ``" - "`` in Arlo's names, or the stem."""
    stem = Path(path).stem
    return stem.split(" - ", 1)[0].strip() or stem


@dataclass(frozen=True)
class _Columns:
    """Where the manifest's columns are in its header row."""

    header_index: int
    positions: dict[str, int]
    """Column constant (``BATCH_NAME`` …) → 0-based position."""
    written: dict[str, str]
    """Column constant → the header as written in the file, for messages."""


def _find_header(table: Table, sheet: Sheet) -> _Columns:
    """Locate the header row (the first non-empty row) and the manifest's columns in it."""
    for index, row in enumerate(sheet.rows):
        if any(not is_blank(cell) for cell in row):
            return _map_columns(table, sheet, index, row)
    raise InputFileError(table.at(sheet), "is empty; expected a ballot manifest")


def _map_columns(table: Table, sheet: Sheet, index: int, row: Row) -> _Columns:
    """Match header cells to the known columns; raise naming any required column missing."""
    headers = [cell_text(cell) for cell in row]
    positions: dict[str, int] = {}
    written: dict[str, str] = {}
    normalized = [normalize_header(h) for h in headers]
    for column, accepted in _SYNONYMS.items():
        for name in accepted:
            if name in normalized:
                position = normalized.index(name)
                positions[column] = position
                written[column] = headers[position]
                break
    for column in REQUIRED_COLUMNS:
        if column not in positions:
            hint = closest_match_hint(column, [h for h in headers if h])
            found = ", ".join(repr(h) for h in headers if h) or "none"
            raise InputFileError(
                table.at(sheet, index),
                f"missing the column {column!r}{hint}; a ballot manifest needs "
                f"{' and '.join(repr(c) for c in REQUIRED_COLUMNS)}; columns found: {found}",
            )
    return _Columns(index, positions, written)


def _cell(row: Row, columns: _Columns, column: str) -> str:
    """Return the stripped text of ``column`` in ``row`` ('' where absent or beyond the row)."""
    position = columns.positions.get(column)
    if position is None or position >= len(row):
        return ""
    return cell_text(row[position])


def _parse_cvr(text: str, where: FileLocation) -> bool:
    """Return whether a ``CVR`` cell says the batch has cast vote records (Y/N)."""
    folded = text.casefold()
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise InputFileError(where, f"expected Y or N (whether the batch has CVRs), found {text!r}")


def read_manifest(path: str | Path, jurisdiction: CountyName | None = None) -> Manifest:
    """Read one ballot manifest file (CSV or Excel; the first sheet with a header is used).

    ``jurisdiction`` names the county of every batch; by default it comes from a
    ``Jurisdiction``/``County`` column, else from the file name.
    """
    table = load_table(path)
    sheet = next(
        (s for s in table.sheets if any(not is_blank(c) for r in s.rows for c in r)),
        table.sheets[0],
    )
    columns = _find_header(table, sheet)
    default_county = jurisdiction or jurisdiction_from_filename(path)
    batches: list[Batch] = []
    first_row: dict[tuple[CountyName, str | None, str], int] = {}
    for index in range(columns.header_index + 1, len(sheet.rows)):
        row = sheet.rows[index]
        if all(is_blank(cell) for cell in row):
            continue

        def at(column: str, row_index: int = index) -> FileLocation:
            return table.at(sheet, row_index, columns.written.get(column, column))

        name = _cell(row, columns, BATCH_NAME)
        if not name:
            raise InputFileError(at(BATCH_NAME), "the batch name is empty")
        position = columns.positions[NUMBER_OF_BALLOTS]
        ballots = parse_count(
            row[position] if position < len(row) else "",
            at(NUMBER_OF_BALLOTS),
            "a number of ballots",
        )
        county = default_county
        if JURISDICTION in columns.positions and jurisdiction is None:
            county = _cell(row, columns, JURISDICTION)
            if not county:
                raise InputFileError(at(JURISDICTION), "the jurisdiction is empty")
        has_cvrs: bool | None = None
        if CVR in columns.positions:
            has_cvrs = _parse_cvr(_cell(row, columns, CVR), at(CVR))
        batch = Batch(
            jurisdiction=county,
            name=name,
            ballots=ballots,
            container=_cell(row, columns, CONTAINER) or None,
            tabulator=_cell(row, columns, TABULATOR) or None,
            has_cvrs=has_cvrs,
        )
        if batch.key in first_row:
            raise InputFileError(
                at(BATCH_NAME),
                f"{batch.describe()} is listed twice (first in row {first_row[batch.key]}); "
                "each batch must appear once, named uniquely per tabulator",
            )
        first_row[batch.key] = index + 1
        batches.append(batch)
    if not batches:
        raise InputFileError(
            table.at(sheet, columns.header_index),
            "the manifest lists no batches: expected a row per batch below the header",
        )
    _refuse_total_rows(batches, first_row, table, sheet, columns)
    return Manifest(batches)


_TOTAL_NAMES = frozenset({"total", "totals", "grandtotal", "sum"})


def _refuse_total_rows(
    batches: list[Batch],
    rows: dict[tuple[CountyName, str | None, str], int],
    table: Table,
    sheet: Sheet,
    columns: _Columns,
) -> None:
    """Raise if a row named like ``Total`` holds the sum of the others: it would count twice."""
    everything = sum(b.ballots for b in batches)
    for batch in batches:
        if normalize_header(batch.name) in _TOTAL_NAMES and 2 * batch.ballots == everything:
            raise InputFileError(
                table.at(sheet, rows[batch.key] - 1, columns.written[BATCH_NAME]),
                f"the row {batch.name!r} holds the total of the other rows ({batch.ballots}); "
                "remove it, or its ballots would be counted twice",
            )


def parse_manifest_argument(argument: str) -> tuple[CountyName | None, Path]:
    """Split a command-line ``[JURISDICTION=]PATH`` into the county (if given) and the path."""
    if "=" in argument and not Path(argument).exists():
        county, _, path = argument.partition("=")
        if county.strip() and path.strip():
            return county.strip(), Path(path.strip())
    return None, Path(argument)


def read_manifests(
    files: Sequence[str | Path | tuple[CountyName | None, str | Path]],
) -> Manifest:
    """Read several manifests (one per county, say) into one, keyed by jurisdiction.

    Each item is a path or ``(county or None, path)``. A batch (county, tabulator, name) found
    in two files is an error naming both.
    """
    if not files:
        raise InputFileError(FileLocation("(no file)"), "no ballot manifest was given")
    seen: dict[tuple[CountyName, str | None, str], Path] = {}
    manifests: list[Manifest] = []
    for item in files:
        county, path = item if isinstance(item, tuple) else (None, item)
        manifest = read_manifest(path, county)
        for batch in manifest.batches:
            if batch.key in seen:
                raise InputFileError(
                    FileLocation(str(path), column=BATCH_NAME),
                    f"{batch.describe()} is also in {Path(seen[batch.key]).name}; "
                    "each batch must be in one manifest only",
                )
            seen[batch.key] = Path(path)
        manifests.append(manifest)
    return Manifest.combine(manifests)
