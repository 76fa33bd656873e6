"""Tell a CVR file's format and version from its content, never from its name alone.

Only the first 64 KiB are looked at. Files that are none of the known layouts are refused
with what was found (top-level keys, root element or first-row columns) and what each known
layout expects, so the user can see at once whether they picked the wrong export.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass

from papertally.errors import InputFileError
from papertally.io.cvr.common import HEAD_BYTES, CvrFormat, InputPart, decode

EXPECTED_LAYOUTS = (
    "Dominion JSON (keys 'Version', 'ElectionId', 'Sessions')",
    "Dominion manifest JSON (*Manifest.json with keys 'Version', 'List')",
    "Dominion CSV/Excel (4 header rows, the 4th starting 'CvrNumber, TabulatorNum, BatchId, "
    "RecordId')",
    "ES&S CVR CSV (columns 'Cast Vote Record, Precinct, Ballot Style, <contests>')",
    "ES&S Ballots CSV (first cell 'Ballots', or columns 'Cast Vote Record, Batch, ..., "
    "Tabulator CVR')",
    "Hart XML (root element 'Cvr')",
    "Hart scanned ballot information CSV (first line '#FormatVersion')",
    "Clear Ballot CSV (columns 'RowNumber, BoxID, BoxPosition, BallotID, ...')",
    "NIST SP 1500-103 CVR JSON ('@type': 'CVR.CastVoteRecordReport') or XML "
    "(root 'CastVoteRecordReport')",
    "generic CVR CSV (columns 'Card ID, Tabulator, Batch, Record ID, ...', "
    "see docs/cvr-formats.md)",
)

_VERSION = re.compile(rb'"Version"\s*:\s*"([^"]*)"')
_JSON_KEY = re.compile(rb'"([A-Za-z@$][\w.@$-]*)"\s*:')
_XML_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_DOTTED_VERSION = re.compile(r"^\d+(\.\d+)+$")


@dataclass(frozen=True)
class Detected:
    """The format of a file and the version it states, where it states one."""

    format: CvrFormat
    version: str | None = None


def _expected() -> str:
    return "expected one of: " + "; ".join(EXPECTED_LAYOUTS)


def detect(part: InputPart, archive: zipfile.ZipFile | None = None) -> Detected:
    """Return the format of ``part``; refuse empty and unknown files with a clear message.

    The first 4 KiB usually suffice (the keys of a Dominion export come first); where they
    do not, 64 KiB and then 4 MiB are looked at (the header rows of a Dominion CSV export of
    a large election can be that long).
    """
    sizes = (4096, HEAD_BYTES, 1 << 22)
    for size in sizes:
        head = part.head(size, archive)
        try:
            return _detect(part, head)
        except InputFileError:
            if len(head) < size or size == sizes[-1]:
                raise
    raise AssertionError("unreachable")


def _detect(part: InputPart, head: bytes) -> Detected:
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        raise part.error("the file is empty")
    if head.startswith(b"\xd0\xcf\x11\xe0") and part.name.lower().endswith(".xls"):
        return _detect_rows(part, head, excel=True)
    if head.startswith(b"PK\x03\x04"):
        if part.name.lower().endswith((".xlsx", ".xlsm")):
            return _detect_rows(part, head, excel=True)
        raise part.error("a zip archive inside a zip archive; unzip the outer archive first")
    if stripped[:1] in (b"{", b"["):
        return _detect_json(part, stripped)
    if stripped[:1] == b"<":
        return _detect_xml(part, stripped)
    return _detect_rows(part, head, excel=False)


def _detect_json(part: InputPart, head: bytes) -> Detected:
    version_match = _VERSION.search(head)
    version = version_match.group(1).decode("utf-8", "replace") if version_match else None
    if b'"Sessions"' in head:
        return Detected(CvrFormat.DOMINION_JSON, version)
    if b'"$schema"' in head:
        raise part.error(
            "this is a JSON schema (a description of a format), not cast vote records; "
            + _expected()
        )
    if b"ElectionResults." in head:
        raise part.error(
            "this is a NIST election results report (ERR), not cast vote records; read it with "
            "papertally.io.nist_err"
        )
    if b'"CVRSnapshot"' in head or b"CVR.CastVoteRecordReport" in head or b'"CVR.CVR"' in head:
        return Detected(CvrFormat.NIST_JSON, version)
    if b'"List"' in head and part.name.lower().endswith("manifest.json"):
        return Detected(CvrFormat.DOMINION_MANIFEST, version)
    keys = list(dict.fromkeys(k.decode("utf-8", "replace") for k in _JSON_KEY.findall(head)))
    raise part.error(
        f"unknown JSON layout: keys found {', '.join(repr(k) for k in keys[:15]) or 'none'}; "
        + _expected()
    )


def _detect_xml(part: InputPart, head: bytes) -> Detected:
    text = re.sub(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", b"", head, flags=re.S)
    root = _XML_ROOT.search(text)
    local = root.group(1).decode("utf-8", "replace").split(":")[-1] if root else ""
    if local == "Cvr":
        namespace = re.search(rb'xmlns="([^"]*)"', text)
        return Detected(
            CvrFormat.HART_XML, namespace.group(1).decode("utf-8", "replace") if namespace else None
        )
    if local == "CastVoteRecordReport":
        version = re.search(rb"1500-103/(v\d+)", text)
        return Detected(
            CvrFormat.NIST_XML, version.group(1).decode("ascii", "replace") if version else None
        )
    if local == "ElectionReport":
        raise part.error(
            "this is a NIST election results report (ERR), not cast vote records; read it with "
            "papertally.io.nist_err"
        )
    raise part.error(f"unknown XML layout: root element {local or 'none'!r}; " + _expected())


def _first_rows(part: InputPart, head: bytes, excel: bool) -> list[list[str]]:
    if excel:
        from papertally.io.cvr.common import open_rows

        rows = open_rows(part)
        first: list[list[str]] = []
        for row in rows:
            first.append(row)
            if len(first) == 8:
                break
        return first
    text = decode(head)
    lines = text.splitlines()[:8]
    return [row for row in csv.reader(io.StringIO("\n".join(lines)))]


def _detect_rows(part: InputPart, head: bytes, excel: bool) -> Detected:
    rows = _first_rows(part, head, excel)
    if not rows:
        raise part.error("the file is empty")
    header = [c.strip() for c in rows[0]]
    if header and header[0].startswith("#FormatVersion"):
        return Detected(CvrFormat.HART_BALLOT_INFO)
    for row in rows[:6]:
        if row and row[0].strip() == "CvrNumber":
            version = header[1] if len(header) > 1 and _DOTTED_VERSION.match(header[1]) else None
            return Detected(CvrFormat.DOMINION_CSV, version)
    if header and header[0] == "Ballots":
        return Detected(CvrFormat.ESS_BALLOTS)
    if header and header[0] == "Cast Vote Record":
        if "Tabulator CVR" in header or "Batch" in header:
            return Detected(CvrFormat.ESS_BALLOTS)
        return Detected(CvrFormat.ESS_CVR)
    choice_columns = any(h.startswith("Choice_") and ":Vote For " in h for h in header)
    if {"RowNumber", "BoxID", "BoxPosition", "BallotID"} <= set(header) or choice_columns:
        return Detected(CvrFormat.CLEAR_BALLOT)
    folded = {h.casefold() for h in header}
    if "card id" in folded:
        return Detected(CvrFormat.GENERIC_CSV)
    found = ", ".join(repr(c) for c in header[:15] if c) or "none"
    raise part.error(f"unknown CSV layout: first-row columns found {found}; " + _expected(), row=1)
