"""CSV for people who open it in a spreadsheet: text that a spreadsheet would run is defused.

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is taken
as a formula by Excel, LibreOffice and Google Sheets, so a county, ward or candidate named
``=HYPERLINK(...)`` would run when a clerk opens the export (OWASP, "CSV Injection"). Every CSV
the app or the command line hands out is written through :func:`csv_writer` or
:func:`csv_dict_writer`, which put a single quote before such text, as OWASP recommends. Numbers
stay numbers: an ``int`` or ``float``, or text that is just a number such as ``-12`` or
``-0.5``, is written as it is, so negative changes still sum in the sheet.

Files that a program reads back (the audit export, checked by ``papertally verify``) are written
*reversibly*: text that already begins with ``'`` gets one more, so :func:`restore_cell` gives
back exactly the text written.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula (OWASP's list)."""
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def spreadsheet_safe(value: object, *, reversible: bool = False) -> object:
    """Return ``value`` ready for a CSV cell: formula-like text gets a leading ``'``.

    With ``reversible``, text beginning with ``'`` gets one too, so that :func:`restore_cell`
    can tell escaped text from text that began with a quote.
    """
    if isinstance(value, str):
        if value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
            return "'" + value
        if reversible and value.startswith("'"):
            return "'" + value
    return value


def restore_cell(text: str) -> str:
    """Return the text a reversible writer was given for a cell that reads ``text``."""
    return text[1:] if text.startswith("'") else text


class SafeWriter:
    """A ``csv.writer`` whose every cell passes through :func:`spreadsheet_safe`."""

    def __init__(self, stream: IO[str], *, reversible: bool = False, **options: Any) -> None:
        self._writer = csv.writer(stream, **options)
        self.reversible = reversible

    def writerow(self, row: Sequence[object]) -> None:
        """Write one row."""
        self._writer.writerow([spreadsheet_safe(v, reversible=self.reversible) for v in row])

    def writerows(self, rows: Iterable[Sequence[object]]) -> None:
        """Write many rows."""
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """A ``csv.DictWriter`` whose every value passes through :func:`spreadsheet_safe`."""

    def __init__(self, stream: IO[str], fieldnames: Sequence[str], **options: Any) -> None:
        self._writer = csv.DictWriter(stream, fieldnames=fieldnames, **options)
        self.fieldnames = list(fieldnames)

    def writeheader(self) -> None:
        """Write the header row (column names are the app's own, never user text)."""
        self._writer.writerow({f: spreadsheet_safe(f) for f in self.fieldnames})

    def writerow(self, row: Mapping[str, object]) -> None:
        """Write one row."""
        self._writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})

    def writerows(self, rows: Iterable[Mapping[str, object]]) -> None:
        """Write many rows."""
        for row in rows:
            self.writerow(row)


def csv_writer(stream: IO[str], *, reversible: bool = False, **options: Any) -> SafeWriter:
    """Return a CSV writer over ``stream`` that defuses formula-like text (see the module)."""
    return SafeWriter(stream, reversible=reversible, **options)


def csv_dict_writer(stream: IO[str], fieldnames: Sequence[str], **options: Any) -> SafeDictWriter:
    """Return a CSV dict writer over ``stream`` that defuses formula-like text."""
    return SafeDictWriter(stream, fieldnames, **options)
