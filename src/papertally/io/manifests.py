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

import csv
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from operator import itemgetter
from pathlib import Path
from typing import cast

from papertally.audit.manifest import (
    MAX_BATCH_BALLOTS,
    DuplicateBatchError,
    Manifest,
    ManifestBuilder,
)
from papertally.errors import FileLocation, InputFileError, closest_match_hint
from papertally.io.cells import cell_text, is_blank, parse_count
from papertally.io.tables import CSV_DELIMITERS, OLE2_MAGIC, ZIP_MAGIC, Cell, Row, load_table
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


Place = Callable[[int | None, str | None], FileLocation]
"""Where a 0-based row index (and a column name) of the manifest is."""


def _map_columns(place: Place, index: int, row: Row) -> _Columns:
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
                place(index, None),
                f"missing the column {column!r}{hint}; a ballot manifest needs "
                f"{' and '.join(repr(c) for c in REQUIRED_COLUMNS)}; columns found: {found}",
            )
    return _Columns(index, positions, written)


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

    A CSV manifest is streamed from disk, decoded as it is parsed, into the compact columns of
    :class:`~papertally.audit.manifest.ManifestBuilder`: a 133 MB manifest of 3,700,000 batches
    is read in seconds and a few hundred megabytes (``bench/bench_manifest.py``). An Excel
    manifest is read whole by :func:`~papertally.io.tables.load_table` first (workbooks are
    zipped XML that cannot be read row by row cheaply, and are rarely that large).
    """
    file = Path(path)
    start = _open_start(file)
    if start.startswith(OLE2_MAGIC) or start.startswith(ZIP_MAGIC):
        return _read_excel(file, jurisdiction)
    _check_text(file)
    try:
        return _read_csv(file, start, jurisdiction, "utf-8-sig", "strict")
    except UnicodeDecodeError:
        return _read_csv(file, start, jurisdiction, "cp1252", "replace")


def _open_start(file: Path) -> bytes:
    """Return the first megabyte of ``file``, or raise naming it if it cannot be read."""
    try:
        with file.open("rb") as stream:
            return stream.read(1 << 20)
    except FileNotFoundError:
        raise InputFileError(FileLocation(str(file)), "no such file") from None
    except OSError as error:
        raise InputFileError(
            FileLocation(str(file)), f"cannot be read: {error.strerror or error}"
        ) from None


def _check_text(file: Path) -> None:
    """Raise if ``file`` holds only white space or holds NUL bytes (it is then no CSV text).

    One pass over the file in 1 MB chunks, as :func:`~papertally.io.tables.load_table` checks.
    """
    where = FileLocation(str(file))
    blank = True
    with file.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            if b"\x00" in chunk:
                raise InputFileError(where, "is neither a CSV text file nor an Excel workbook")
            blank = blank and not chunk.strip()
    if blank:
        raise InputFileError(where, "the file is empty; expected a results report or CSV")


def _read_excel(file: Path, jurisdiction: CountyName | None) -> Manifest:
    """Read an Excel manifest: the first sheet with anything in it, loaded whole."""
    table = load_table(file)
    sheet = next(
        (s for s in table.sheets if any(not is_blank(c) for r in s.rows for c in r)),
        table.sheets[0],
    )

    def place(row_index: int | None, column: str | None) -> FileLocation:
        return table.at(sheet, row_index, column)

    return _read_rows(enumerate(sheet.rows), place, file, jurisdiction, cell_text)


def _read_csv(
    file: Path, start: bytes, jurisdiction: CountyName | None, encoding: str, errors: str
) -> Manifest:
    """Read a CSV manifest record by record, as ``encoding`` (see :func:`read_manifest`)."""
    first_line = start.decode(encoding, errors="ignore").lstrip().split("\n", 1)[0]
    delimiter = max(CSV_DELIMITERS, key=first_line.count)
    name = str(file)

    def place(row_index: int | None, column: str | None) -> FileLocation:
        return FileLocation(name, None, None if row_index is None else row_index + 1, column)

    with file.open(encoding=encoding, errors=errors, newline="") as text:
        records = csv.reader(text, delimiter=delimiter, strict=True)
        rows = enumerate(cast(Iterator[Row], records))
        return _read_rows(rows, place, file, jurisdiction, cast(Callable[[Cell], str], str.strip))


def _read_rows(
    rows: Iterable[tuple[int, Row]],
    place: Place,
    file: Path,
    jurisdiction: CountyName | None,
    text: Callable[[Cell], str],
) -> Manifest:
    """Read the header and then one batch per row into a manifest; see :func:`read_manifest`.

    A malformed CSV record (:class:`csv.Error`) is named by its row: every record read before
    it was a row above the header, the header, a batch or a blank row.
    """
    numbered = iter(rows)
    columns: _Columns | None = None
    read = 0
    try:
        for index, row in numbered:
            read = index + 1
            if any(not is_blank(cell) for cell in row):
                columns = _map_columns(place, index, row)
                break
        if columns is None:
            raise InputFileError(place(None, None), "is empty; expected a ballot manifest")
        batches = _Batches(columns, place, jurisdiction or jurisdiction_from_filename(file))
        try:
            batches.read(numbered, jurisdiction is None and JURISDICTION in columns.positions, text)
        except InputFileError as error:
            batches.refuse_repeats()
            raise error from None
        except csv.Error:
            read = columns.header_index + 1 + len(batches.builder) + len(batches.blank_rows)
            raise
    except csv.Error as error:
        raise InputFileError(
            place(read, None), f"is not well-formed CSV ({error}); the file may be truncated"
        ) from None
    return batches.finish()


_TOTAL_NAMES = frozenset({"total", "totals", "grandtotal", "sum"})
_LONGEST_TOTAL = max(map(len, _TOTAL_NAMES))
_CVR_TEXTS = {"Y": 1, "N": 0, "y": 1, "n": 0}
"""The usual ``CVR`` cells, looked up before :func:`_parse_cvr` is asked."""


class _Batches:
    """The batches read so far, with the rows they came from, for messages naming rows."""

    def __init__(self, columns: _Columns, place: Place, county: CountyName) -> None:
        self.columns = columns
        self.place = place
        self.county = county
        self.builder = ManifestBuilder()
        self.blank_rows: list[int] = []
        """0-based indices of the blank rows below the header, skipped."""
        self.totals: list[tuple[int, str, int]] = []
        """``(batch number, name, ballots)`` of each batch named like ``Total``."""

    def at(self, row_index: int, column: str) -> FileLocation:
        """Return the place of ``column`` in a row, named as the header writes it."""
        return self.place(row_index, self.columns.written.get(column, column))

    def row_of(self, number: int) -> int:
        """Return the 0-based row index of batch ``number``, counting the blank rows skipped."""
        row = self.columns.header_index + 1 + number
        for blank in self.blank_rows:
            if blank > row:
                break
            row += 1
        return row

    def read(
        self, rows: Iterator[tuple[int, Row]], county_column: bool, text: Callable[[Cell], str]
    ) -> None:
        """Read each row below the header as a batch; raise naming the first bad cell.

        ``text`` turns a cell into stripped text (``str.strip`` for CSV, whose cells are all
        text). The six cells are taken from a row in one ``itemgetter`` call; a column the file
        lacks is taken from the batch name's and ignored, and a short row is padded with "".
        """
        positions = self.columns.positions
        name_at = positions[BATCH_NAME]
        wanted = (NUMBER_OF_BALLOTS, JURISDICTION, CVR, CONTAINER, TABULATOR)
        has = {column: column in positions for column in wanted}
        has[JURISDICTION] = has[JURISDICTION] and county_column
        cells = itemgetter(name_at, *(positions[c] if has[c] else name_at for c in wanted))
        width = max(positions.values()) + 1
        has_county, has_cvr, has_container, has_tabulator = (has[c] for c in wanted[1:])
        add = self.builder.add
        county = self.county
        container: str | None = None
        tabulator: str | None = None
        has_cvrs: bool | None = None
        for index, row in rows:
            try:
                raw_name, cell, raw_county, raw_cvr, raw_container, raw_tabulator = cells(row)
            except IndexError:
                padded = [*row, *[""] * (width - len(row))]
                raw_name, cell, raw_county, raw_cvr, raw_container, raw_tabulator = cells(padded)
            name = text(raw_name)
            if not name:
                if all(is_blank(cell) for cell in row):
                    self.blank_rows.append(index)
                    continue
                raise InputFileError(self.at(index, BATCH_NAME), "the batch name is empty")
            if type(cell) is str and (digits := cell.strip()).isdigit() and digits.isascii():
                ballots = int(digits)
            else:
                ballots = parse_count(
                    cell, self.at(index, NUMBER_OF_BALLOTS), "a number of ballots"
                )
            if ballots > MAX_BATCH_BALLOTS:
                raise InputFileError(
                    self.at(index, NUMBER_OF_BALLOTS),
                    f"expected a number of ballots of at most {MAX_BATCH_BALLOTS:,}, "
                    f"found {ballots:,}: no batch holds that many",
                )
            if has_county:
                county = text(raw_county)
                if not county:
                    raise InputFileError(self.at(index, JURISDICTION), "the jurisdiction is empty")
            if has_cvr:
                cvr = text(raw_cvr)
                known = _CVR_TEXTS.get(cvr)
                has_cvrs = _parse_cvr(cvr, self.at(index, CVR)) if known is None else bool(known)
            if has_container:
                container = text(raw_container) or None
            if has_tabulator:
                tabulator = text(raw_tabulator) or None
            # Only a short name can be a total: case folding never shortens a text, and every
            # white space but " " is unprintable; the cheap test spares most rows the folding.
            if (
                len(name) - name.count(" ") <= _LONGEST_TOTAL or not name.isprintable()
            ) and normalize_header(name) in _TOTAL_NAMES:
                self.totals.append((len(self.builder), name, ballots))
            add(county, name, ballots, container, tabulator, has_cvrs)

    def refuse_repeats(self) -> None:
        """Raise if a batch is listed twice, naming both rows; the earliest repeat first."""
        repeat = self.builder.first_repeat()
        if repeat is None:
            return
        first, second = repeat
        batch = self.builder.batch(second)
        raise InputFileError(
            self.at(self.row_of(second), BATCH_NAME),
            f"{batch.describe()} is listed twice (first in row {self.row_of(first) + 1}); "
            "each batch must appear once, named uniquely per tabulator",
        )

    def finish(self) -> Manifest:
        """Return the manifest, refusing an empty one, repeated batches and a total row."""
        if not len(self.builder):
            raise InputFileError(
                self.place(self.columns.header_index, None),
                "the manifest lists no batches: expected a row per batch below the header",
            )
        self.refuse_repeats()
        manifest = self.builder.build()
        everything = manifest.total_ballots
        for number, name, ballots in self.totals:
            if 2 * ballots == everything:
                raise InputFileError(
                    self.at(self.row_of(number), BATCH_NAME),
                    f"the row {name!r} holds the total of the other rows ({ballots}); "
                    "remove it, or its ballots would be counted twice",
                )
        return manifest


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
    paths: list[Path] = []
    manifests: list[Manifest] = []
    for item in files:
        county, path = item if isinstance(item, tuple) else (None, item)
        manifests.append(read_manifest(path, county))
        paths.append(Path(path))
    try:
        return Manifest.combine(manifests)
    except DuplicateBatchError as error:
        ends = list(accumulate(len(m) for m in manifests))
        first, repeat = (bisect_right(ends, n) for n in (error.first, error.repeat))
        batch = manifests[repeat].batches[error.repeat - (ends[repeat] - len(manifests[repeat]))]
        raise InputFileError(
            FileLocation(str(paths[repeat]), column=BATCH_NAME),
            f"{batch.describe()} is also in {paths[first].name}; "
            "each batch must be in one manifest only",
        ) from None
