"""ES&S (Election Systems & Software) CVR exports: the CVR CSV plus its "Ballots" files.

The CVR file has one row per card: ``Cast Vote Record, Precinct, Ballot Style`` and then one
column per contest (a contest where voters may choose N has N columns of the same name).
A cell holds the chosen choice's name, ``undervote``, ``overvote``, or nothing when the
contest is not on the card. The card's place (tabulator, batch) is not in that file but in
the "Ballots" export: after a preamble (``Ballots``, election, county, date, blank row) a
header ``Cast Vote Record, Batch, Ballot Status, ..., Reporting Group, Tabulator CVR,
Precinct ID`` and a final ``Total : N`` row. ``Tabulator CVR`` is ten digits: the tabulator
(first four) and the card's number on it (last six). A second layout has the header on the
first row and a ``Machine`` column with the tabulator; there ``Tabulator CVR`` is an opaque
id, kept as the imprinted id. Both files must list exactly the same cast vote records.
"""

from __future__ import annotations

from dataclasses import dataclass

from papertally.io.cvr.common import InputPart, header_index, int_or_text, open_rows
from papertally.model.cards import CardCollection, CardError, ContestEntry

CAST_VOTE_RECORD = "Cast Vote Record"
PRECINCT = "Precinct"
BALLOT_STYLE = "Ballot Style"
BATCH = "Batch"
TABULATOR_CVR = "Tabulator CVR"
REPORTING_GROUP = "Reporting Group"
MACHINE = "Machine"
UNDERVOTE = "undervote"
OVERVOTE = "overvote"


@dataclass(frozen=True, slots=True)
class EssBallot:
    """Where one ES&S cast vote record's card is: from a Ballots file row."""

    tabulator: str
    batch: str
    record_id: str
    imprinted_id: str
    counting_group: str | None
    file: str
    row: int


def read_ess_ballots(part: InputPart, ballots: dict[str, EssBallot]) -> None:
    """Read one ES&S Ballots file into ``ballots`` (cast vote record number → place)."""
    rows = open_rows(part)
    header: list[str] | None = None
    for row in rows:
        if row and row[0].strip() == CAST_VOTE_RECORD:
            header = row
            break
    if header is None:
        raise rows.error(f"no header row starting with {CAST_VOTE_RECORD!r} was found")
    index = header_index(
        rows, header, (CAST_VOTE_RECORD, BATCH, TABULATOR_CVR), (REPORTING_GROUP, MACHINE)
    )
    i_cvr, i_batch, i_tab = index[CAST_VOTE_RECORD], index[BATCH], index[TABULATOR_CVR]
    i_group, i_machine = index.get(REPORTING_GROUP), index.get(MACHINE)
    for row in rows:
        if not row or row[0].strip().startswith("Total") or not any(c.strip() for c in row):
            continue
        if len(row) <= max(index.values()):
            raise rows.error(f"the row has {len(row)} cells; the header has {len(header)}")
        first = row[i_cvr].strip()
        tabulator_cvr = row[i_tab].strip()
        if i_machine is not None:
            tabulator, record = row[i_machine].strip(), first
        elif len(tabulator_cvr) == 10 and tabulator_cvr.isdigit():
            tabulator, record = tabulator_cvr[:4], tabulator_cvr[4:]
        else:
            raise rows.error(
                f"Tabulator CVR should be ten digits (4 of tabulator, 6 of card number); got "
                f"{tabulator_cvr!r} for cast vote record {first} (were leading zeros stripped?)",
                column=TABULATOR_CVR,
            )
        if first in ballots:
            raise rows.error(
                f"cast vote record {first} is listed twice (also {ballots[first].file}, "
                f"row {ballots[first].row})",
                column=CAST_VOTE_RECORD,
            )
        group = row[i_group].strip() or None if i_group is not None else None
        ballots[first] = EssBallot(
            tabulator, row[i_batch].strip(), record, tabulator_cvr, group, part.display, rows.line
        )


def read_ess_cvr(
    part: InputPart,
    collection: CardCollection,
    source: int,
    ballots: dict[str, EssBallot],
) -> int:
    """Read an ES&S CVR file, placing each card through ``ballots``; return the cards added.

    Every cast vote record must appear in both files; the first one missing from either is
    named with its file and row.
    """
    if not ballots:
        raise part.error(
            "an ES&S CVR file needs its Ballots file(s), which say each card's tabulator and "
            "batch; give them together"
        )
    rows = open_rows(part)
    try:
        header = next(rows)
    except StopIteration:
        raise rows.error("the file is empty") from None
    index = header_index(rows, header, (CAST_VOTE_RECORD,), (PRECINCT, BALLOT_STYLE))
    skip = set(index.values())
    contest_columns: dict[str, list[int]] = {}
    for column, name in enumerate(header):
        if column not in skip and name.strip():
            contest_columns.setdefault(name.strip(), []).append(column)
    groups = []
    for name, columns in contest_columns.items():
        code = collection.contest_code(name, name, len(columns))
        groups.append((code, columns))
    i_cvr = index[CAST_VOTE_RECORD]
    i_prec, i_style = index.get(PRECINCT), index.get(BALLOT_STYLE)
    seen: set[str] = set()
    added = 0
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        number = row[i_cvr].strip()
        place = ballots.get(number)
        if place is None:
            raise rows.error(
                f"cast vote record {number} is in no Ballots file; both files must list the "
                "same cast vote records",
                column=CAST_VOTE_RECORD,
            )
        seen.add(number)
        entries: list[ContestEntry] = []
        for code, columns in groups:
            values = [row[c].strip() if c < len(row) else "" for c in columns]
            if not any(values):
                continue
            lowered = [v.lower() for v in values]
            if OVERVOTE in lowered:
                entries.append((code, len(columns), 0, []))
                continue
            marks = [
                (collection.choice_code(code, v, v, is_write_in=v.lower().startswith("write")), 1)
                for v, low in zip(values, lowered, strict=True)
                if v and low != UNDERVOTE
            ]
            entries.append((code, 0, len(columns) - len(marks), marks))
        try:
            collection.add_card(
                int_or_text(number),
                place.tabulator,
                place.batch,
                int_or_text(place.record_id),
                entries,
                imprinted_id=place.imprinted_id,
                precinct=row[i_prec].strip() or None if i_prec is not None else None,
                ballot_style=row[i_style].strip() or None if i_style is not None else None,
                counting_group=place.counting_group,
                source=source,
            )
        except CardError as error:
            raise rows.error(str(error)) from None
        added += 1
    missing = [n for n in ballots if n not in seen]
    if missing:
        first = ballots[missing[0]]
        raise part.error(
            f"{len(missing)} cast vote record(s) of the Ballots files have no row in this CVR "
            f"file, the first {missing[0]} ({first.file}, row {first.row})",
            column=CAST_VOTE_RECORD,
        )
    return added
