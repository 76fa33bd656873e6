"""Finding named columns in a CSV header row, with messages naming what is missing."""

from __future__ import annotations

from dataclasses import dataclass

from papertally.errors import InputFileError, closest_match_hint
from papertally.io.cells import cell_text, is_blank
from papertally.io.naming import normalize_header
from papertally.io.tables import Cell, Row, Sheet, Table


@dataclass(frozen=True)
class HeaderMap:
    """Where each known column sits in a sheet whose first non-empty row is the header."""

    table: Table
    sheet: Sheet
    header_index: int
    positions: dict[str, int]
    """Normalised column name → column index."""
    names: dict[str, str]
    """Normalised column name → the header as written in the file, for messages."""

    def check_width(self, index: int) -> None:
        """Raise if row ``index`` is shorter than the columns it needs (a truncated file)."""
        row = self.sheet.rows[index]
        needed = max(self.positions.values()) + 1
        if len(row) < needed:
            raise InputFileError(
                self.table.at(self.sheet, index),
                f"has {len(row)} values but the header has "
                f"{len(self.sheet.rows[self.header_index])}; expected a value under every column "
                "(the file may be truncated)",
            )

    def has(self, column: str) -> bool:
        """Return whether the file has ``column``."""
        return column in self.positions

    def get(self, row: Row, column: str) -> Cell:
        """Return the cell of ``column`` in ``row`` (empty where the column is absent)."""
        position = self.positions.get(column)
        if position is None or position >= len(row):
            return ""
        return row[position]

    def text(self, row: Row, column: str) -> str:
        """Return the stripped text of ``column`` in ``row``."""
        return cell_text(self.get(row, column))


def map_header(
    table: Table, required: tuple[tuple[str, ...], ...], optional: tuple[str, ...]
) -> HeaderMap:
    """Locate the header row of ``table`` and the columns a format needs.

    ``required`` holds tuples of alternative names (``("ward", "precinct")``); names are matched
    after :func:`normalize_header`. Raises :class:`InputFileError` naming any missing column.
    """
    for sheet in table.sheets:
        for index, row in enumerate(sheet.rows):
            if any(not is_blank(c) for c in row):
                return _map(table, sheet, index, row, required, optional)
    raise InputFileError(table.at(table.sheets[0]), "has no header row; the file is empty")


def _map(
    table: Table,
    sheet: Sheet,
    index: int,
    row: Row,
    required: tuple[tuple[str, ...], ...],
    optional: tuple[str, ...],
) -> HeaderMap:
    """Return the :class:`HeaderMap` of header ``row``."""
    positions: dict[str, int] = {}
    names: dict[str, str] = {}
    for position, cell in enumerate(row):
        written = cell_text(cell)
        key = normalize_header(written)
        if key and key not in positions:
            positions[key] = position
            names[key] = written
    for alternatives in required:
        if not any(a in positions for a in alternatives):
            wanted = " or ".join(repr(a.replace(" ", "_")) for a in alternatives)
            hint = closest_match_hint(alternatives[0], list(positions))
            found = ", ".join(repr(n) for n in names.values())
            raise InputFileError(
                table.at(sheet, index),
                f"missing the column {wanted}{hint}; columns found: {found}",
            )
    wanted_keys = {a for alts in required for a in alts} | set(optional)
    return HeaderMap(
        table,
        sheet,
        index,
        {k: v for k, v in positions.items() if k in wanted_keys},
        {k: v for k, v in names.items() if k in wanted_keys},
    )
