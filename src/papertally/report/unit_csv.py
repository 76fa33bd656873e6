"""The per-unit differences of a reconciliation as a CSV file, one row per reporting unit."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from papertally.csv_safe import csv_writer
from papertally.reconcile import Reconciliation
from papertally.report.files import write_text_atomically

UNIT_ID = "unit_id"
COUNTY = "county"
MUNICIPALITY = "municipality"
UNIT = "unit"
PRESENT = "present"
"""``both``, ``before only`` or ``after only``."""
BALLOTS_BEFORE = "ballots_before"
BALLOTS_AFTER = "ballots_after"
VOTES_CHANGED = "votes_changed"
SHARE_CHANGED = "share_changed"
MARGIN_CHANGE = "margin_change"
FLAGGED = "flagged"


def unit_difference_header(rec: Reconciliation) -> list[str]:
    """Return the CSV header: unit columns, then ``before:``/``after:``/``change:`` per choice."""
    per_choice = [f"{side}:{c}" for c in rec.choices for side in ("before", "after", "change")]
    return [
        UNIT_ID,
        COUNTY,
        MUNICIPALITY,
        UNIT,
        PRESENT,
        *per_choice,
        BALLOTS_BEFORE,
        BALLOTS_AFTER,
        VOTES_CHANGED,
        SHARE_CHANGED,
        MARGIN_CHANGE,
        FLAGGED,
    ]


def unit_difference_rows(rec: Reconciliation) -> Iterator[list[object]]:
    """Yield one row per unit: compared units first (count order), then units in one count."""
    for u in rec.units:
        votes = [v for c in rec.choices for v in (u.before[c], u.after[c], u.change[c])]
        yield [
            u.unit.id,
            u.unit.county,
            u.unit.municipality or "",
            u.unit.name,
            "both",
            *votes,
            "" if u.ballots_before is None else u.ballots_before,
            "" if u.ballots_after is None else u.ballots_after,
            u.votes_changed,
            f"{u.share_changed:.6f}",
            u.margin_change,
            "yes" if u.flagged else "no",
        ]
    blanks = ["" for _ in rec.choices for _side in range(3)]
    for units, where in ((rec.only_in_before, "before only"), (rec.only_in_after, "after only")):
        for unit in units:
            yield [
                unit.id,
                unit.county,
                unit.municipality or "",
                unit.name,
                where,
                *blanks,
                "",
                "",
                "",
                "",
                "",
                "no",
            ]


def write_unit_differences_csv(rec: Reconciliation, path: str | Path) -> Path:
    """Write the per-unit differences of ``rec`` to ``path`` (UTF-8, with a header row).

    The file is moved into place only when complete, so a failure never leaves half a file.
    Names a spreadsheet would run as formulas are defused (:mod:`papertally.csv_safe`).
    """
    buffer = io.StringIO()
    writer = csv_writer(buffer, lineterminator="\n")
    writer.writerow(unit_difference_header(rec))
    writer.writerows(unit_difference_rows(rec))
    return write_text_atomically(path, buffer.getvalue())
