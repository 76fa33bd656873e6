"""Clear Ballot ClearVote CVR CSV exports.

One row per card: ``RowNumber, BoxID, BoxPosition, BallotID, PrecinctID, BallotStyleID,
PrecinctStyleName, ScanComputerName, Status, Remade`` and one column per choice, headed
``Choice_<id>_<n>:<contest>:Vote For <N>:<choice>:<party>``; a cell is ``1`` for a mark,
``0`` for none and empty when the contest is not on the card. The box is the batch, the
position in the box the record, the scanning computer the tabulator and ``BallotID`` the
imprinted id. Where a contest's columns carry ``<n>`` greater than 1 the contest is taken
as ranked with ``<n>`` the rank (an assumption: no ranked sample has been seen).
"""

from __future__ import annotations

import re

from papertally.io.cvr.common import InputPart, header_index, int_or_text, open_rows
from papertally.model.cards import CardCollection, CardError, ContestEntry

ROW_NUMBER = "RowNumber"
BOX_ID = "BoxID"
BOX_POSITION = "BoxPosition"
BALLOT_ID = "BallotID"
PRECINCT_ID = "PrecinctID"
BALLOT_STYLE_ID = "BallotStyleID"
SCAN_COMPUTER = "ScanComputerName"
REQUIRED = (ROW_NUMBER, BOX_ID, BOX_POSITION, BALLOT_ID, SCAN_COMPUTER)
OPTIONAL = (PRECINCT_ID, BALLOT_STYLE_ID)

_CHOICE = re.compile(r"^Choice_(\w+?)_(\d+):(.*):Vote For (\d+):(.*?)(?::([^:]*))?$")


def read_clear_ballot(part: InputPart, collection: CardCollection, source: int) -> int:
    """Read a Clear Ballot CVR CSV into ``collection``; return the cards added."""
    rows = open_rows(part)
    header = next(rows)
    index = header_index(rows, header, REQUIRED, OPTIONAL)
    groups: dict[int, list[tuple[int, int, int]]] = {}
    for column, text in enumerate(header):
        if not text.startswith("Choice_"):
            continue
        match = _CHOICE.match(text.strip())
        if match is None:
            raise rows.error(
                f"choice column {text!r} is not 'Choice_<id>_<n>:<contest>:Vote For <N>:"
                "<choice>:<party>'",
                column=text,
            )
        _, n, contest_name, allowed, choice_name, party = match.groups()
        contest = collection.contest_code(contest_name, contest_name, int(allowed))
        rank = int(n)
        if rank > collection.contests[contest].ranks and rank > 1:
            collection.contests[contest].ranks = rank
        choice = collection.choice_code(
            contest,
            choice_name,
            choice_name,
            party=party or None,
            is_write_in=choice_name.lower().replace("-", "").startswith("writein"),
        )
        groups.setdefault(contest, []).append((column, choice, rank))
    i_row, i_box, i_pos, i_ballot, i_scan = (index[c] for c in REQUIRED)
    i_prec, i_style = index.get(PRECINCT_ID), index.get(BALLOT_STYLE_ID)
    added = 0
    for row in rows:
        if not any(c.strip() for c in row):
            continue
        if len(row) < len(header):
            raise rows.error(f"the row has {len(row)} cells; the header has {len(header)}")
        entries: list[ContestEntry] = []
        for contest, columns in groups.items():
            marks = []
            present = False
            for column, choice, rank in columns:
                value = row[column].strip()
                if not value:
                    continue
                present = True
                if value == "1":
                    marks.append((choice, rank))
                elif value != "0":
                    raise rows.error(
                        f"vote cell holds {value!r}; expected 1, 0 or empty", column=header[column]
                    )
            if present:
                entries.append((contest, None, None, marks))
        try:
            collection.add_card(
                row[i_ballot].strip() or int_or_text(row[i_row]),
                row[i_scan].strip(),
                row[i_box].strip(),
                int_or_text(row[i_pos]),
                entries,
                imprinted_id=row[i_ballot].strip() or None,
                precinct=row[i_prec].strip() or None if i_prec is not None else None,
                ballot_style=row[i_style].strip() or None if i_style is not None else None,
                source=source,
            )
        except CardError as error:
            raise rows.error(str(error)) from None
        added += 1
    return added
