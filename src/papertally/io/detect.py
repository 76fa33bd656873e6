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
NIST_ERR_FORMAT = "nist-err"
CLARITY_FORMAT = "clarity-xml"
FORMATS = (
    WEC_FORMAT,
    OPENELECTIONS_FORMAT,
    GENERIC_FORMAT,
    WI_SEB_FORMAT,
    NIST_ERR_FORMAT,
    CLARITY_FORMAT,
)
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


def structured_format(path: Path) -> str | None:
    """Return the format of an XML or JSON results file (NIST ERR, Clarity), else ``None``.

    Judged by the root element (XML) or the first kilobytes (JSON); a cast vote record report
    or another XML or JSON document is refused, naming what it is.
    """
    where = FileLocation(str(path))
    try:
        with path.open("rb") as stream:
            head = stream.read(8192)
    except OSError:
        return None
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    root = ""
    if text.startswith(b"<"):
        from xml.etree import ElementTree

        try:
            for _, element in ElementTree.iterparse(path, events=("start",)):
                root = element.tag.rsplit("}", 1)[-1]
                break
        except ElementTree.ParseError as error:
            raise InputFileError(
                FileLocation(str(path), row=error.position[0]), f"is not well-formed XML ({error})"
            ) from None
    elif text.startswith(b"{"):
        if b"CastVoteRecordReport" in text or b'"CVR"' in text:
            root = "CastVoteRecordReport"
        elif b"ElectionReport" in text or b'"Election"' in text:
            root = "ElectionReport"
        else:
            root = "?"
    else:
        return None
    if root == "ElectionReport":
        return NIST_ERR_FORMAT
    if root == "ElectionResult":
        return CLARITY_FORMAT
    if root == "CastVoteRecordReport":
        raise InputFileError(
            where, "is a cast vote record report, not results; CVRs are read by the cvr commands"
        )
    raise InputFileError(
        where,
        f"is {'XML' if text.startswith(b'<') else 'JSON'} but not a results report "
        "(expected a NIST SP 1500-100 ElectionReport or a Clarity ElectionResult)",
    )


def detect_format(path: str | Path) -> str:
    """Return the format of the results file at ``path``, judged by its content.

    One of :data:`FORMATS`. Raises :class:`InputFileError` listing the columns or layout found
    and the layouts expected.
    """
    return structured_format(Path(path)) or detect_table(load_table(path))
