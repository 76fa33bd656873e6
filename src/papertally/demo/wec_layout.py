"""Write a synthetic election the way the Wisconsin Elections Commission publishes a recount.

The demo should go through the same importer as real files, so it writes its election in the
layout of WEC's ward-by-ward recount reports (see :mod:`papertally.io.wec`): a title, the
contest, an ``Original Canvass`` and a ``Recount Canvass Certification`` block side by side,
each with ``Total Votes Cast`` and the choices; the county named on its first ward only;
``County Totals:`` after each county and ``Office Totals:`` at the end. ``.xlsx`` (openpyxl,
write-only) or ``.csv`` (the same rows; much faster for very large synthetic states).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path

from papertally.errors import PapertallyError
from papertally.model import SCATTERING, Contest, ContestCount, Election
from papertally.model.results import ORIGINAL_CANVASS, RECOUNT
from papertally.report.files import write_text_atomically

COUNT_TITLES = {ORIGINAL_CANVASS: "Original Canvass", RECOUNT: "Recount Canvass Certification"}
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
            for sums, votes in ((county_sums, values), (office, values)):
                for total, row in zip(sums, votes, strict=True):
                    for i, v in enumerate(row):
                        total[i] += v
            first: Cell = county if position == 0 else None
            yield [first, election.units[uid].name, *block(values)]
        yield [None, "County Totals:", *block(county_sums)]
    yield ["Office Totals:", None, *block(office)]


def _votes(count: ContestCount, uid: str, choices: list[str]) -> list[int]:
    tally = count.units.get(uid)
    if tally is None:
        raise PapertallyError(
            f"unit {uid!r} is missing from the {count.name!r} count; the side-by-side layout "
            "needs every unit in every count"
        )
    return [tally.votes.get(c, 0) for c in choices]


def _only_contest(election: Election) -> Contest:
    if len(election.contests) != 1:
        names = ", ".join(repr(n) for n in election.contests) or "none"
        raise PapertallyError(f"choose the contest to write; the election has: {names}")
    return next(iter(election.contests.values()))


def write_wec_report(election: Election, path: str | Path, contest: str | None = None) -> Path:
    """Write ``election`` to ``path`` in the WEC side-by-side layout (``.xlsx`` or ``.csv``).

    The file appears whole or not at all.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".csv":
        return _write_csv(wec_rows(election, contest), target)
    if suffix == ".xlsx":
        return _write_xlsx(wec_rows(election, contest), target)
    raise PapertallyError(f"cannot write {target.name}: the WEC layout is written as .xlsx or .csv")


def _write_csv(rows: Iterator[list[Cell]], target: Path) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(
        ["" if cell is None else cell for cell in row] for row in rows
    )
    return write_text_atomically(target, buffer.getvalue())


def _write_xlsx(rows: Iterator[list[Cell]], target: Path) -> Path:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    for row in rows:
        sheet.append(row)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        workbook.save(temporary)
        os.replace(temporary, target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise PapertallyError(f"cannot write {target}: {error.strerror or error}") from None
    return target
