"""Reading any results file into plain sheets of cells, before its layout is known.

Excel workbooks (``.xls``, ``.xlsx``, ``.ods``) are read with python-calamine; anything else that
is text is read as CSV. The container is recognised by the file's first bytes, not its name, so a
renamed file still opens. Every failure becomes an :class:`InputFileError` naming the file.
"""

from __future__ import annotations

import csv
import io
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

    @property
    def row_count(self) -> int:
        """Return the number of rows over all sheets, the unit of import progress."""
        return sum(len(s.rows) for s in self.sheets)

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
