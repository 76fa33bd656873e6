"""Recognising a results file's layout from its content, whatever its name."""

from __future__ import annotations

from pathlib import Path

from papertally.errors import FileLocation, InputFileError, closest_match_hint
from papertally.io.cells import cell_text, is_blank
from papertally.io.naming import normalize_header
from papertally.io.tables import Row, Sheet, Table, load_table
from papertally.io.wec import LAYOUT as WEC_LAYOUT
from papertally.io.wec import WEC_FORMAT, looks_like_wec_report
from papertally.io.wi_seb import LAYOUT as WI_SEB_LAYOUT
from papertally.io.wi_seb import WI_SEB_FORMAT, looks_like_wi_seb

OPENELECTIONS_FORMAT = "openelections-csv"
GENERIC_FORMAT = "generic-csv"
FORMATS = (WEC_FORMAT, OPENELECTIONS_FORMAT, GENERIC_FORMAT, WI_SEB_FORMAT)
"""Every format :func:`detect_format` can return."""

OPENELECTIONS_REQUIRED: tuple[tuple[str, ...], ...] = (
    ("county", "ward", "precinct", "town"),
    ("office",),
    ("candidate", "last name"),
    ("votes",),
)
"""OpenElections columns that must be present; a tuple lists alternatives (a county-level file
has no unit column; Michigan splits the candidate into ``first_name``/``last_name``)."""
GENERIC_REQUIRED: tuple[tuple[str, ...], ...] = (
    ("county",),
    ("reporting unit",),
    ("contest",),
    ("choice",),
    ("votes",),
)
"""Generic CSV columns that must be present (see docs/generic-csv.md)."""

_COLUMN_LAYOUTS = {
    OPENELECTIONS_FORMAT: OPENELECTIONS_REQUIRED,
    GENERIC_FORMAT: GENERIC_REQUIRED,
}
EXPECTED_LAYOUTS = (
    f"{WEC_LAYOUT}; or {WI_SEB_LAYOUT}; or an OpenElections CSV with columns "
    "county, ward (or precinct or town), office, district, total votes, party, candidate "
    "(or first_name, last_name), votes; "
    "or a generic CSV with columns county, municipality, reporting_unit, contest, count, choice, "
    "party, votes, ballots_cast (see docs/generic-csv.md)"
)


def _describe(names: tuple[str, ...]) -> str:
    """Return ``'ward' or 'precinct'`` for a tuple of alternative column names."""
    return " or ".join(repr(n.replace(" ", "_") if n == "reporting unit" else n) for n in names)


def header_row(table: Table) -> tuple[Sheet, int, Row] | None:
    """Return the first non-empty row of the first sheet that has one, with its sheet and index."""
    for sheet in table.sheets:
        for index, row in enumerate(sheet.rows):
            if any(not is_blank(c) for c in row):
                return sheet, index, row
    return None


def detect_table(table: Table) -> str:
    """Return the format of an already loaded file; see :func:`detect_format`.

    A first row holding every column of a CSV layout decides first (so a choice that happens to
    be called "Total Votes Cast" cannot make a CSV look like a report); then a WEC header row.
    """
    found = header_row(table)
    if found is None:
        raise InputFileError(
            FileLocation(str(table.path)), f"has no data in it; expected {EXPECTED_LAYOUTS}"
        )
    sheet, index, row = found
    columns = [normalize_header(cell_text(c)) for c in row if not is_blank(c)]
    best: tuple[int, str, list[tuple[str, ...]]] | None = None
    for name, required in _COLUMN_LAYOUTS.items():
        missing = [alts for alts in required if not any(a in columns for a in alts)]
        if not missing:
            return name
        matched = len(required) - len(missing)
        if best is None or matched > best[0]:
            best = (matched, name, missing)
    if looks_like_wi_seb(table):
        return WI_SEB_FORMAT
    if looks_like_wec_report(table):
        return WEC_FORMAT
    where = table.at(sheet, index)
    shown = ", ".join(repr(cell_text(c)) for c in row if not is_blank(c))
    if best is not None and best[0] >= 3:
        _, name, missing = best
        hints = "".join(closest_match_hint(alts[0], columns) for alts in missing)
        lacking = ", ".join(_describe(alts) for alts in missing)
        raise InputFileError(
            where,
            f"looks like {name} but lacks the column(s) {lacking}{hints}; columns found: {shown}",
        )
    raise InputFileError(
        where,
        f"unknown layout: found {shown[:300]} in the first row; expected {EXPECTED_LAYOUTS}",
    )


def detect_format(path: str | Path) -> str:
    """Return the format of the results file at ``path``, judged by its content.

    One of ``"wec-ward-report"``, ``"openelections-csv"`` or ``"generic-csv"``. Raises
    :class:`InputFileError` listing the columns or layout found and the layouts expected.
    """
    return detect_table(load_table(path))
