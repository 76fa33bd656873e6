"""papertally's generic CVR CSV: one row per card, for systems without a supported export.

The layout is documented in docs/cvr-formats.md. Card columns: ``Card ID``, ``Tabulator``,
``Batch``, ``Record ID`` (required), ``Imprinted ID``, ``Ballot Style``, ``Precinct``,
``Counting Group``, ``Sheet`` (optional). Every other column is one choice of one contest,
headed ``<contest> | <choice>``; the contest part may end in ``(Vote For=N)`` or
``(Ranks=R)`` (without either, Vote For=1). A cell is empty when the contest is not on the
card, ``0`` for no mark, ``1`` for a mark, or in a ranked contest the rank given to the
choice.
"""

from __future__ import annotations

import re

from papertally.io.cvr.common import InputPart, header_index, int_or_text, open_rows
from papertally.model.cards import CardCollection, CardError, ContestEntry

CARD_ID = "Card ID"
TABULATOR = "Tabulator"
BATCH = "Batch"
RECORD_ID = "Record ID"
IMPRINTED_ID = "Imprinted ID"
BALLOT_STYLE = "Ballot Style"
PRECINCT = "Precinct"
COUNTING_GROUP = "Counting Group"
SHEET = "Sheet"
REQUIRED = (CARD_ID, TABULATOR, BATCH, RECORD_ID)
OPTIONAL = (IMPRINTED_ID, BALLOT_STYLE, PRECINCT, COUNTING_GROUP, SHEET)
SEPARATOR = " | "

_CONTEST = re.compile(r"^(.*?)\s*\((Vote For|Ranks)\s*=\s*(\d+)\)\s*$", re.I)


def read_generic_csv(part: InputPart, collection: CardCollection, source: int) -> int:
    """Read a generic CVR CSV into ``collection``; return the cards added."""
    rows = open_rows(part)
    header = [h.strip() for h in next(rows)]
    index = header_index(rows, header, REQUIRED, OPTIONAL)
    card_columns = set(index.values())
    groups: dict[int, list[tuple[int, int]]] = {}
    for column, text in enumerate(header):
        if column in card_columns or not text:
            continue
        if SEPARATOR not in text:
            raise rows.error(
                f"column {text!r} is neither a card column ({', '.join(REQUIRED + OPTIONAL)}) "
                f"nor a choice column '<contest>{SEPARATOR}<choice>'",
                column=text,
            )
        contest_text, choice_name = (t.strip() for t in text.rsplit(SEPARATOR, 1))
        match = _CONTEST.match(contest_text)
        name, allowed, ranks = contest_text, 1, 0
        if match:
            name = match.group(1)
            if match.group(2).lower() == "ranks":
                ranks, allowed = int(match.group(3)), 1
            else:
                allowed = int(match.group(3))
        contest = collection.contest_code(name, name, allowed)
        collection.contests[contest].ranks = max(collection.contests[contest].ranks, ranks)
        write_in = choice_name.lower().replace("-", "").startswith("writein")
        choice = collection.choice_code(contest, choice_name, choice_name, is_write_in=write_in)
        groups.setdefault(contest, []).append((column, choice))
    i_id, i_tab, i_batch, i_rec = (index[c] for c in REQUIRED)
    optional = {name: index.get(name) for name in OPTIONAL}

    def cell(row: list[str], name: str) -> str | None:
        i = optional[name]
        return row[i].strip() or None if i is not None and i < len(row) else None

    added = 0
    for row in rows:
        if not any(c.strip() for c in row):
            continue
        if len(row) < len(header):
            raise rows.error(f"the row has {len(row)} cells; the header has {len(header)}")
        entries: list[ContestEntry] = []
        for contest, columns in groups.items():
            ranked = collection.contests[contest].is_ranked
            marks = []
            present = False
            for column, choice in columns:
                value = row[column].strip()
                if not value:
                    continue
                present = True
                if not value.isdigit() or (not ranked and value not in ("0", "1")):
                    expected = "a rank number or 0" if ranked else "1, 0 or empty"
                    raise rows.error(
                        f"vote cell holds {value!r}; expected {expected}", column=header[column]
                    )
                if value != "0":
                    marks.append((choice, int(value)))
            if present:
                entries.append((contest, None, None, marks))
        sheet = cell(row, SHEET)
        try:
            collection.add_card(
                int_or_text(row[i_id]),
                row[i_tab].strip(),
                row[i_batch].strip(),
                int_or_text(row[i_rec]),
                entries,
                imprinted_id=cell(row, IMPRINTED_ID),
                ballot_style=cell(row, BALLOT_STYLE),
                precinct=cell(row, PRECINCT),
                counting_group=cell(row, COUNTING_GROUP),
                sheet=int(sheet) if sheet and sheet.isdigit() else None,
                source=source,
            )
        except CardError as error:
            raise rows.error(str(error)) from None
        added += 1
    return added
