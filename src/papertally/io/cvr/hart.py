"""Hart InterCivic CVR exports: one XML file per card, usually zipped per tabulator.

Each file's root is ``Cvr`` (namespace ``http://tempuri.org/CVRDesign.xsd`` in Verity
exports) with ``CvrGuid`` (the card's id), ``BatchNumber``, ``BatchSequence`` (its place in
the batch), ``SheetNumber``, ``PrecinctSplit/Name`` and ``Contests/Contest`` items: a contest's
``Name``, ``Undervotes`` and ``Options/Option`` items, each a voted choice (``Name``, or
``WriteInData`` for a write-in, ``Value`` 1). Elements are matched by local name, so exports
with another namespace or none (older Vanguard-era files) read the same; the namespace found
is kept as the source's version.

The files do not name the tabulator. It comes from the "scanned ballot information" CSV
(``#FormatVersion`` first line, then ``CvrId, UniqueIdentifier, Workstation, ...``) where one
is given, else from the name of the zip holding the file (one zip per tabulator, as Hart
exports them) or of the sub-folder holding it (when a folder of per-tabulator folders is
given), else it is left empty and batches are matched by batch name alone.
Contests are keyed by name: Hart contest ids are not reliably distinct in exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from papertally.io.cvr.common import InputPart, header_index, int_or_text, open_rows
from papertally.model.cards import CardCollection, CardError, ContestEntry

WRITE_IN = "Write-In"


@dataclass(frozen=True, slots=True)
class HartScan:
    """What the scanned ballot information file says about one CVR."""

    workstation: str
    unique_identifier: str


def read_scanned_ballot_information(part: InputPart, scans: dict[str, HartScan]) -> None:
    """Read a Hart scanned ballot information CSV into ``scans`` (CvrGuid → scan)."""
    rows = open_rows(part)
    next(rows, None)
    header = next(rows, None)
    if header is None:
        raise rows.error("the file ends before its header row")
    header = [header[0].lstrip("#"), *header[1:]] if header else header
    index = header_index(rows, header, ("CvrId", "UniqueIdentifier", "Workstation"))
    for row in rows:
        if not any(c.strip() for c in row):
            continue
        if len(row) <= max(index.values()):
            raise rows.error(f"the row has {len(row)} cells; the header has {len(header)}")
        scans[row[index["CvrId"]].strip()] = HartScan(
            row[index["Workstation"]].strip(), row[index["UniqueIdentifier"]].strip()
        )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ElementTree.Element, name: str) -> ElementTree.Element | None:
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text(element: ElementTree.Element, name: str) -> str | None:
    child = _child(element, name)
    return None if child is None or child.text is None else child.text.strip()


def _children(element: ElementTree.Element | None, name: str) -> list[ElementTree.Element]:
    return [] if element is None else [c for c in element if _local(c.tag) == name]


def read_hart_xml(
    part: InputPart,
    collection: CardCollection,
    source: int,
    scans: dict[str, HartScan],
) -> int:
    """Read one Hart CVR XML file (one card) into ``collection``; return 1."""
    try:
        root = ElementTree.fromstring(part.read_bytes())
    except ElementTree.ParseError as error:
        line, column = error.position
        raise part.error(
            f"broken XML at line {line}, column {column}: {str(error).split(':')[0]} "
            "(is the file truncated?)",
            row=line,
        ) from None
    guid = _text(root, "CvrGuid")
    batch = _text(root, "BatchNumber")
    sequence = _text(root, "BatchSequence")
    if guid is None or batch is None or sequence is None:
        missing = "CvrGuid" if guid is None else "BatchNumber" if batch is None else "BatchSequence"
        found = ", ".join(dict.fromkeys(_local(c.tag) for c in root))
        raise part.error(f"missing element {missing!r}; elements found: {found}", column=missing)
    entries: list[ContestEntry] = []
    for contest in _children(_child(root, "Contests"), "Contest"):
        contest_name = _text(contest, "Name")
        if not contest_name:
            raise part.error("a Contest has no Name", column="Name")
        code = collection.contest_code(contest_name, contest_name)
        marks = []
        for option in _children(_child(contest, "Options"), "Option"):
            value = _text(option, "Value")
            if value is not None and value.strip() in ("", "0"):
                continue
            if _child(option, "WriteInData") is not None:
                choice = collection.choice_code(code, WRITE_IN, WRITE_IN, is_write_in=True)
            else:
                choice_name = _text(option, "Name") or _text(option, "Id") or "?"
                choice = collection.choice_code(code, choice_name, choice_name)
            marks.append((choice, 1))
        under = _text(contest, "Undervotes")
        over = _text(contest, "Overvotes")
        entries.append((code, int(over) if over else None, int(under) if under else 0, marks))
    scan = scans.get(guid)
    if scan is not None:
        tabulator, imprinted = scan.workstation, scan.unique_identifier
    elif part.member is not None:
        tabulator, imprinted = Path(part.path.name).stem, guid
    elif part.container.is_dir() and part.path.parent != part.container:
        tabulator, imprinted = part.path.parent.name, guid
    else:
        tabulator, imprinted = "", guid
    precinct = _child(root, "PrecinctSplit")
    sheet = _text(root, "SheetNumber")
    try:
        collection.add_card(
            guid,
            tabulator,
            batch,
            int_or_text(sequence),
            entries,
            imprinted_id=imprinted,
            precinct=_text(precinct, "Name") if precinct is not None else None,
            sheet=int(sheet) if sheet and sheet.isdigit() else None,
            source=source,
        )
    except CardError as error:
        raise part.error(f"card {guid}: {error}", column="Contest") from None
    return 1
