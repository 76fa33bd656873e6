"""Reading any results file into plain sheets of cells, before its layout is known.

Excel workbooks (``.xls``, ``.xlsx``, ``.ods``) are read with python-calamine; anything else that
is text is read as CSV. The container is recognised by the file's first bytes, not its name, so a
renamed file still opens. Every failure becomes an :class:`InputFileError` naming the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from sys import intern
from typing import TypeAlias

from python_calamine import CalamineError, CalamineWorkbook

from papertally.errors import FileLocation, InputFileError

Cell: TypeAlias = int | float | str | bool | time | date | datetime | timedelta
"""One spreadsheet cell as python-calamine gives it; CSV cells are always ``str``."""

Row: TypeAlias = list[Cell]

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""First bytes of a compound document: the old binary ``.xls`` format."""
ZIP_MAGIC = b"PK\x03\x04"
"""First bytes of a zip archive: ``.xlsx`` and ``.ods`` workbooks."""
CSV_DELIMITERS = (",", ";", "\t", "|")
HEAD_BYTES = 1 << 20
"""How much of a CSV file :func:`load_table_head` reads to recognise its layout."""


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook (or the single table of a CSV file) as rows of cells."""

    name: str | None
    """The sheet's name; ``None`` for a CSV file, which has no sheets."""
    rows: list[Row]
    """Every row from the first row of the sheet, so ``rows[i]`` is spreadsheet row ``i + 1``."""


@dataclass(frozen=True)
class Table:
    """A whole input file read into sheets, with the means to point at any of its cells."""

    path: Path
    kind: str
    """``"excel"`` or ``"csv"``."""
    sheets: list[Sheet]
    complete: bool = True
    """False for the first rows of a CSV file only (:func:`load_table_head`): the rest is
    streamed from disk by :func:`iter_csv_rows`."""
    size: int = 0
    """The file's size in bytes, to estimate the rows of a table that is not complete."""

    @property
    def row_count(self) -> int:
        """Return the number of rows over all sheets, the unit of import progress.

        For a table holding only its first rows, the rows of the whole file are estimated from
        the bytes per row of those first rows.
        """
        rows = sum(len(s.rows) for s in self.sheets)
        if self.complete or not rows:
            return rows
        return max(rows, self.size * rows // max(1, min(self.size, HEAD_BYTES)))

    def at(
        self, sheet: Sheet, row_index: int | None = None, column: str | None = None
    ) -> FileLocation:
        """Return the place of a 0-based row index (and a column name) in ``sheet``."""
        return FileLocation(
            str(self.path),
            sheet.name,
            None if row_index is None else row_index + 1,
            column,
        )


def column_letter(index: int) -> str:
    """Return the spreadsheet letter of a 0-based column index: 0 → ``A``, 27 → ``AB``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def load_table(path: str | Path) -> Table:
    """Read ``path`` into sheets of cells, recognising Excel or CSV by the file's content.

    Raises :class:`InputFileError` for a missing, empty, damaged or truncated file.
    """
    file = Path(path)
    where = FileLocation(str(file))
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise InputFileError(where, "no such file") from None
    except OSError as error:
        raise InputFileError(where, f"cannot be read: {error.strerror or error}") from None
    if not data.strip():
        raise InputFileError(where, "the file is empty; expected a results report or CSV")
    if data.startswith(OLE2_MAGIC) or data.startswith(ZIP_MAGIC):
        return Table(file, "excel", _read_workbook(file, data))
    return Table(file, "csv", [Sheet(None, _read_csv(file, data))])


def load_table_head(path: str | Path) -> Table:
    """Return a CSV file's first rows (about :data:`HEAD_BYTES`), or a whole Excel workbook.

    Enough to recognise the layout (:func:`papertally.io.detect.detect_table`) without reading
    a large CSV file into memory; a reader that streams goes on with :func:`iter_csv_rows`.
    A CSV file shorter than :data:`HEAD_BYTES` is read whole (the table is then complete).
    """
    file = Path(path)
    where = FileLocation(str(file))
    try:
        with file.open("rb") as stream:
            start = stream.read(HEAD_BYTES + 1)
            size = file.stat().st_size
    except FileNotFoundError:
        raise InputFileError(where, "no such file") from None
    except IsADirectoryError:
        raise InputFileError(where, "is a folder; expected a results file") from None
    except OSError as error:
        raise InputFileError(where, f"cannot be read: {error.strerror or error}") from None
    if len(start) <= HEAD_BYTES or start.startswith(OLE2_MAGIC) or start.startswith(ZIP_MAGIC):
        return load_table(file)
    if b"\x00" in start:
        raise InputFileError(where, "is neither a CSV text file nor an Excel workbook")
    head = start[: start.rfind(b"\n") + 1] or start
    try:
        try:
            rows = _parse_csv(file, head, "utf-8-sig", "strict")
        except UnicodeDecodeError:
            rows = _parse_csv(file, head, "cp1252", "replace")
    except InputFileError:
        return load_table(file)  # the cut fell inside a quoted cell: read it all
    return Table(file, "csv", [Sheet(None, rows)], complete=False, size=size)


def iter_csv_rows(path: Path, encoding: str = "utf-8-sig") -> Iterator[Row]:
    """Yield the records of a CSV file one by one, as :func:`load_table` would parse them.

    Memory stays bounded whatever the file's size. Decoding as ``encoding`` is strict: a caller
    that meets :class:`UnicodeDecodeError` starts again with ``"cp1252"`` (decoded leniently).
    """
    errors = "strict" if encoding != "cp1252" else "replace"
    with path.open("rb") as raw:
        first_line = raw.read(HEAD_BYTES).decode(encoding, errors="ignore").lstrip()
        delimiter = max(CSV_DELIMITERS, key=(first_line.splitlines() or [""])[0].count)
    number = 0
    with path.open(encoding=encoding, errors=errors, newline="") as text:
        reader = csv.reader(text, delimiter=delimiter, strict=True)
        try:
            for record in reader:
                number += 1
                yield list(map(intern, map(str.strip, record)))
        except csv.Error as error:
            raise InputFileError(
                FileLocation(str(path), row=number + 1),
                f"is not well-formed CSV ({error}); the file may be truncated",
            ) from None


def _read_workbook(file: Path, data: bytes) -> list[Sheet]:
    """Return every sheet of an Excel workbook, keeping leading empty rows so rows number right."""
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = [
            Sheet(name, workbook.get_sheet_by_name(name).to_python(skip_empty_area=False))
            for name in workbook.sheet_names
        ]
    except (CalamineError, ValueError, OSError) as error:
        raise InputFileError(
            FileLocation(str(file)),
            f"cannot be read as an Excel workbook; it may be truncated or damaged ({error})",
        ) from None
    return sheets


def _read_csv(file: Path, data: bytes) -> list[Row]:
    """Return the records of a CSV file as rows of stripped strings.

    UTF-8 (with or without a byte-order mark) is tried first, then Windows-1252. The text is
    decoded as it is parsed, never held whole, and each repeated text (an election name on
    every row) is kept once: a statewide generic CSV of 170 MB then takes some 400 MB of memory
    instead of two gigabytes.
    """
    where = FileLocation(str(file))
    if b"\x00" in data:
        raise InputFileError(where, "is neither a CSV text file nor an Excel workbook")
    try:
        return _parse_csv(file, data, "utf-8-sig", "strict")
    except UnicodeDecodeError:
        return _parse_csv(file, data, "cp1252", "replace")


def _parse_csv(file: Path, data: bytes, encoding: str, errors: str) -> list[Row]:
    """Parse ``data`` decoded as ``encoding``; see :func:`_read_csv`."""
    start = data[: 1 << 20].decode(encoding, errors="ignore")
    first_line = start.lstrip().split("\n", 1)[0]
    delimiter = max(CSV_DELIMITERS, key=first_line.count)
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors=errors, newline="")
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    rows: list[Row] = []
    try:
        for record in reader:
            rows.append(list(map(intern, map(str.strip, record))))
    except csv.Error as error:
        raise InputFileError(
            FileLocation(str(file), row=len(rows) + 1),
            f"is not well-formed CSV ({error}); the file may be truncated",
        ) from None
    return rows
