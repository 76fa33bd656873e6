"""Writing an election the way the Wisconsin Elections Commission publishes a recount.

The layout of WEC's ward-by-ward recount reports (read by :mod:`papertally.io.wec`): a title,
the contest, an ``Original Canvass`` and a ``Recount Canvass Certification`` block side by side,
each with ``Total Votes Cast`` and the choices; the county named on its first ward only;
``County Totals:`` after each county and ``Office Totals:`` at the end. The demo writes its
synthetic state this way so that it goes through the same importer as real files.

``.csv`` holds the same rows as text. ``.xlsx`` is written directly as SpreadsheetML
(ECMA-376 Part 1: one worksheet, numbers as numbers, text in the shared-string table): a
statewide report has over a million cells, which openpyxl, even in write-only mode, takes
about 13 s to write where this takes about one.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from operator import add
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from papertally.errors import PapertallyError
from papertally.io.tables import column_letter
from papertally.model import SCATTERING, Contest, ContestCount, Election
from papertally.model.results import ORIGINAL_CANVASS, RECOUNT

COUNT_TITLES = {ORIGINAL_CANVASS: "Original Canvass", RECOUNT: "Recount Canvass Certification"}
SHEET_NAME = "Sheet1"
Cell = str | int | None


def wec_rows(election: Election, contest: str | None = None) -> Iterator[list[Cell]]:
    """Yield the rows of a WEC side-by-side report of ``contest`` (default: the only one).

    Every count of the contest gets a block of columns, in the election's order.
    """
    chosen = election.contest(contest) if contest else _only_contest(election)
    counts = election.counts_of(chosen.name)
    if not counts:
        raise PapertallyError(f"contest {chosen.name!r} has no counts to write")
    choices = chosen.choice_names()
    width = 1 + len(choices)

    def block(values: list[list[int]]) -> list[Cell]:
        cells: list[Cell] = []
        for index, votes in enumerate(values):
            if index:
                cells.append(None)
            cells.extend([sum(votes), *votes])
        return cells

    yield [election.name]
    yield []
    yield [chosen.name]
    yield []
    titles: list[Cell] = [None, None]
    headers: list[Cell] = [None, None]
    for index, count in enumerate(counts):
        if index:
            titles.append(None)
            headers.append(None)
        titles.extend([COUNT_TITLES.get(count.name, count.name)] + [None] * (width - 1))
        names = [c.upper() if c == SCATTERING else c for c in choices]
        headers.extend(["Total Votes Cast", *names])
    yield titles
    yield []
    yield headers
    office = [[0] * len(choices) for _ in counts]
    by_county: dict[str, list[str]] = {}
    for uid in counts[0].units:
        by_county.setdefault(election.units[uid].county, []).append(uid)
    for county, uids in by_county.items():
        county_sums = [[0] * len(choices) for _ in counts]
        for position, uid in enumerate(uids):
            values = [_votes(count, uid, choices) for count in counts]
            for sums in (county_sums, office):
                for total, row in zip(sums, values, strict=True):
                    total[:] = map(add, total, row)
            first: Cell = county if position == 0 else None
            yield [first, election.units[uid].name, *block(values)]
        yield [None, "County Totals:", *block(county_sums)]
    yield ["Office Totals:", None, *block(office)]


def _votes(count: ContestCount, uid: str, choices: list[str]) -> list[int]:
    """Return the votes of unit ``uid`` in ``count`` for each choice (refusing a missing unit)."""
    tally = count.units.get(uid)
    if tally is None:
        raise PapertallyError(
            f"unit {uid!r} is missing from the {count.name!r} count; the side-by-side layout "
            "needs every unit in every count"
        )
    return [tally.votes.get(c, 0) for c in choices]


def _only_contest(election: Election) -> Contest:
    """Return the election's only contest, or ask the caller to choose one."""
    if len(election.contests) != 1:
        names = ", ".join(repr(n) for n in election.contests) or "none"
        raise PapertallyError(f"choose the contest to write; the election has: {names}")
    return next(iter(election.contests.values()))


def write_wec_report(election: Election, path: str | Path, contest: str | None = None) -> Path:
    """Write ``election`` to ``path`` in the WEC side-by-side layout (``.xlsx`` or ``.csv``).

    The file appears whole or not at all; return its path.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".csv":
        rows = wec_rows(election, contest)
        return _write_atomically(target, "w", lambda stream: _write_csv(rows, stream))
    if suffix == ".xlsx":
        rows = wec_rows(election, contest)
        return _write_atomically(target, "wb", lambda stream: _write_xlsx(rows, stream))
    raise PapertallyError(f"cannot write {target.name}: the WEC layout is written as .xlsx or .csv")


def _write_atomically(target: Path, mode: str, write: Callable[[IO[Any]], None]) -> Path:
    """Run ``write`` on a temporary file beside ``target``, then move it into place.

    On any failure the temporary file is removed and ``target`` is left as it was.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as error:
        raise PapertallyError(f"cannot write {target}: {error.strerror or error}") from None
    try:
        text = "b" not in mode
        with os.fdopen(
            handle, mode, newline="" if text else None, encoding="utf-8" if text else None
        ) as stream:
            write(stream)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except OSError as error:
        os.unlink(temporary)
        raise PapertallyError(f"cannot write {target}: {error.strerror or error}") from None
    except BaseException:
        os.unlink(temporary)
        raise
    return target


def _umask() -> int:
    """Return the process's file-creation mask, so the report gets the usual permissions."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_csv(rows: Iterator[list[Cell]], stream: IO[str]) -> None:
    """Write ``rows`` as CSV, empty cells for ``None``."""
    csv.writer(stream, lineterminator="\n").writerows(
        ["" if cell is None else cell for cell in row] for row in rows
    )


_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PACKAGE_PARTS = {
    "[Content_Types].xml": (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        f'ContentType="{_TYPE}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_TYPE}.sharedStrings+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'{_XML}<Relationships xmlns="{_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{_DOCUMENT}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_DOCUMENT}"><sheets>'
        f'<sheet name="{SHEET_NAME}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'{_XML}<Relationships xmlns="{_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{_DOCUMENT}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_DOCUMENT}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId3" Type="{_DOCUMENT}/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    "xl/styles.xml": (
        f'{_XML}<styleSheet xmlns="{_MAIN}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        '</cellStyleXfs><cellXfs count="1">'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}
"""The parts of the workbook that do not depend on its cells."""

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters XML 1.0 cannot hold, so no workbook can."""


def _write_xlsx(rows: Iterator[list[Cell]], stream: IO[bytes]) -> None:
    """Write ``rows`` as the only worksheet of an ``.xlsx`` workbook to ``stream``."""
    strings: dict[str, int] = {}
    references = 0
    letters: list[str] = []
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        for name, text in _PACKAGE_PARTS.items():
            package.writestr(name, text)
        with package.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'{_XML}<worksheet xmlns="{_MAIN}"><sheetData>'.encode())
            lines: list[str] = []
            for number, row in enumerate(rows, start=1):
                while len(letters) < len(row):
                    letters.append(column_letter(len(letters)))
                cells = []
                for letter, cell in zip(letters, row, strict=False):
                    if cell is None:
                        continue
                    if isinstance(cell, str):
                        index = strings.get(cell)
                        if index is None:
                            index = strings[cell] = _new_string(cell, len(strings))
                        cells.append(f'<c r="{letter}{number}" t="s"><v>{index}</v></c>')
                        references += 1
                    else:
                        cells.append(f'<c r="{letter}{number}"><v>{int(cell)}</v></c>')
                if cells:
                    lines.append(f'<row r="{number}">{"".join(cells)}</row>')
                if len(lines) >= 1000:
                    sheet.write("".join(lines).encode())
                    lines.clear()
            sheet.write(("".join(lines) + "</sheetData></worksheet>").encode())
        shared = "".join(f'<si><t xml:space="preserve">{escape(text)}</t></si>' for text in strings)
        package.writestr(
            "xl/sharedStrings.xml",
            f'{_XML}<sst xmlns="{_MAIN}" count="{references}" uniqueCount="{len(strings)}">'
            f"{shared}</sst>",
        )


def _new_string(text: str, index: int) -> int:
    """Return ``index`` for a text new to the shared-string table, refusing what XML cannot hold."""
    bad = _NOT_XML.search(text)
    if bad:
        raise PapertallyError(
            f"cannot write {text!r} to a workbook: it holds the control character "
            f"{bad.group()!r}, which .xlsx files cannot keep; write .csv instead"
        )
    return index
