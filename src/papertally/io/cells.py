"""Turning cells into names and vote counts, with errors that point at the cell."""

from __future__ import annotations

import re

from papertally.errors import FileLocation, InputFileError
from papertally.io.tables import Cell

_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+$")


def cell_text(cell: Cell) -> str:
    """Return a cell as stripped text; a whole-number float prints without ``.0``."""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def is_blank(cell: Cell) -> bool:
    """Return whether a cell is empty (or only white space)."""
    return isinstance(cell, str) and not cell.strip()


def is_number(cell: Cell) -> bool:
    """Return whether a cell holds a number (Excel's numbers, not text that looks like one)."""
    return isinstance(cell, int | float) and not isinstance(cell, bool)


def parse_count(cell: Cell, where: FileLocation, what: str = "a number of votes") -> int:
    """Return a cell as a non-negative whole number, or raise an error naming the cell.

    Accepts Excel numbers with no fraction and text such as ``"1234"`` or ``"1,234"``.
    """
    value: int | None = None
    if isinstance(cell, bool):
        value = None
    elif isinstance(cell, int):
        value = cell
    elif isinstance(cell, float):
        if not cell.is_integer():
            raise InputFileError(where, f"expected {what} (a whole number), found {cell!r}")
        value = int(cell)
    elif isinstance(cell, str):
        text = cell.strip()
        if not text:
            raise InputFileError(where, f"expected {what}, found an empty cell")
        if _THOUSANDS.match(text):
            text = text.replace(",", "")
        try:
            value = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                raise InputFileError(where, f"expected {what}, found the text {text!r}") from None
            if not number.is_integer():
                raise InputFileError(
                    where, f"expected {what} (a whole number), found {text!r}"
                ) from None
            value = int(number)
    if value is None:
        raise InputFileError(where, f"expected {what}, found {cell!r}")
    if value < 0:
        raise InputFileError(where, f"expected {what}, found a negative count ({value})")
    return value
