"""Dominion Democracy Suite CVR export as CSV or Excel (the layout with four header rows).

Row 1 holds the election name and the software version; row 2 the contest of each vote
column, as ``Name (Vote For=N)`` or, for ranked-choice contests,
``Name (Number of positions=1, Number of ranks=R)``; row 3 the choice of each vote column
(``CHOICE(k)`` for rank k of a ranked contest); row 4 the card columns ``CvrNumber,
TabulatorNum, BatchId, RecordId, ImprintedId, CountingGroup, PrecinctPortion, BallotType``.
Each further row is one card: ``1`` a mark, ``0`` none, and an empty cell for every choice
of a contest that is not on that card.
"""

from __future__ import annotations

import re

from papertally.io.cvr.common import InputPart, Rows, header_index, int_or_text, open_rows
from papertally.model.cards import CardCollection, CardError, ContestEntry

CVR_NUMBER = "CvrNumber"
TABULATOR = "TabulatorNum"
BATCH = "BatchId"
RECORD = "RecordId"
IMPRINTED = "ImprintedId"
COUNTING_GROUP = "CountingGroup"
PRECINCT = "PrecinctPortion"
BALLOT_TYPE = "BallotType"
REQUIRED = (CVR_NUMBER, TABULATOR, BATCH, RECORD)
OPTIONAL = (IMPRINTED, COUNTING_GROUP, PRECINCT, BALLOT_TYPE)

_VOTE_FOR = re.compile(r"^(.*?)\s*\(\s*Vote For\s*=\s*(\d+)\s*\)\s*$", re.S | re.I)
_RANKED = re.compile(
    r"^(.*?)\s*\(\s*Number of positions\s*=\s*(\d+)\s*,\s*Number of ranks\s*=\s*(\d+)\s*\)\s*$",
    re.S | re.I,
)
_RANK_SUFFIX = re.compile(r"^(.*?)\s*\((\d+)\)\s*$")


def parse_contest_header(text: str) -> tuple[str, int | None, int]:
    """Return ``(name, votes allowed, ranks)`` from a Dominion contest header cell."""
    text = " ".join(text.split())
    ranked = _RANKED.match(text)
    if ranked:
        return ranked.group(1), int(ranked.group(2)), int(ranked.group(3))
    vote_for = _VOTE_FOR.match(text)
    if vote_for:
        return vote_for.group(1), int(vote_for.group(2)), 0
    return text, None, 0


def _vote_columns(
    rows: Rows, contests_row: list[str], choices_row: list[str], first: int, coll: CardCollection
) -> list[tuple[int, list[tuple[int, int, int]]]]:
    """Return, per contest, its code and its columns as ``(column, choice code, rank)``."""
    groups: dict[int, list[tuple[int, int, int]]] = {}
    seen: dict[tuple[int, str, int], int] = {}
    for column in range(first, len(contests_row)):
        header = contests_row[column].strip()
        if not header:
            continue
        name, votes_allowed, ranks = parse_contest_header(header)
        contest = coll.contest_code(name, name, votes_allowed)
        coll.contests[contest].ranks = ranks
        choice_text = choices_row[column].strip() if column < len(choices_row) else ""
        if not choice_text:
            raise rows.error(
                f"vote column {column + 1} of contest {name!r} has no choice name in row 3",
                column=header,
            )
        rank = 1
        if ranks > 1:
            suffix = _RANK_SUFFIX.match(choice_text)
            if suffix is None:
                raise rows.error(
                    f"choice {choice_text!r} of ranked contest {name!r} lacks its rank, "
                    "e.g. 'NAME(1)'",
                    column=header,
                )
            choice_text, rank = suffix.group(1), int(suffix.group(2))
        repeats = seen[(contest, choice_text, rank)] = seen.get((contest, choice_text, rank), 0) + 1
        if repeats > 1:
            choice_text = f"{choice_text} {repeats}"
        write_in = choice_text.lower().replace("-", "").startswith("writein")
        choice = coll.choice_code(contest, choice_text, choice_text, is_write_in=write_in)
        groups.setdefault(contest, []).append((column, choice, rank))
    return list(groups.items())


def read_dominion_csv(part: InputPart, collection: CardCollection, source: int) -> int:
    """Read a Dominion CSV/Excel CVR export into ``collection``; return the cards added."""
    rows = open_rows(part)
    try:
        head = [next(rows) for _ in range(4)]
    except StopIteration:
        raise rows.error("the file ends before its four header rows") from None
    header = head[3]
    index = header_index(rows, header, REQUIRED, OPTIONAL)
    first_vote = next(
        (i for i, cell in enumerate(head[1]) if cell.strip()),
        len(header),
    )
    groups = _vote_columns(rows, head[1], head[2], first_vote, collection)
    width = max(len(head[1]), len(header))
    i_id, i_tab, i_batch, i_rec = (index[c] for c in REQUIRED)
    i_imp = index.get(IMPRINTED)
    i_group = index.get(COUNTING_GROUP)
    i_prec = index.get(PRECINCT)
    i_type = index.get(BALLOT_TYPE)
    added = 0
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < min(width, max(index.values()) + 1):
            raise rows.error(f"the row has {len(row)} cells; the header has {width}")
        entries: list[ContestEntry] = []
        for contest, columns in groups:
            marks = []
            present = False
            for column, choice, rank in columns:
                value = row[column].strip() if column < len(row) else ""
                if not value:
                    continue
                present = True
                if value == "1":
                    marks.append((choice, rank))
                elif value != "0":
                    raise rows.error(
                        f"vote cell holds {value!r}; expected 1, 0 or empty",
                        column=f"{collection.contests[contest].name} / "
                        f"{collection.choices[choice].name}",
                    )
            if present:
                entries.append((contest, None, None, marks))
        try:
            collection.add_card(
                int_or_text(row[i_id]),
                row[i_tab].strip(),
                row[i_batch].strip(),
                int_or_text(row[i_rec]),
                entries,
                imprinted_id=row[i_imp].strip() or None if i_imp is not None else None,
                counting_group=row[i_group].strip() or None if i_group is not None else None,
                precinct=row[i_prec].strip() or None if i_prec is not None else None,
                ballot_style=row[i_type].strip() or None if i_type is not None else None,
                source=source,
            )
        except CardError as error:
            raise rows.error(str(error)) from None
        added += 1
    return added
