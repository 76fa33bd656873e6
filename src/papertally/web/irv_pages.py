"""The IRV page (issue 15): count a ranked-choice contest, choose its RAIRE assertions, and
measure a comparison or polling audit from the cards read.

The administrator only: the uploaded files are kept in the file store, a write observers (who
write nothing) may not make. The page keeps no audit state: each submission reads the files
(CVR exports with ranks, a raire-rs JSON or an Arlo ``.raire`` file) and, when a readings CSV
(``card_id, paper``; see :mod:`papertally.workflows.irv`) is among them, measures the risk of
every assertion as ``papertally irv audit`` does, with the assertions chosen from the same files.
"""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from papertally.errors import PapertallyError
from papertally.web.access import Access, requires
from papertally.web.context import render, streams_body
from papertally.web.uploads import file_store, receive_form

if TYPE_CHECKING:
    from papertally.audit.irv.raire import AuditKind

router = APIRouter()
MAX_IRV_FILES = 8
MAX_OPTION_CHARS = 200


@router.get("/irv", response_class=HTMLResponse)
@requires(Access.ADMINISTRATOR)
def irv_page(request: Request) -> Any:
    """The form: files and options."""
    return render(request, "irv.html", result=None, error=None, typed={})


def _is_readings(path: Path) -> bool:
    """Whether a file is a readings CSV: its header names ``card_id``/``paper``."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    names = {cell.strip().lower() for cell in header}
    return "paper" in names and names <= {"card_id", "paper"}


def _number(text: str, name: str, default: float) -> float:
    if not text.strip():
        return default
    try:
        return float(text)
    except ValueError:
        raise PapertallyError(f"{name}: {text!r} is not a number") from None


def _run(named: list[tuple[Path, str]], fields: dict[str, str]) -> dict[str, Any]:
    """Copy the uploads under their own names (one folder each: two files may share a name),
    then count, choose assertions and measure."""
    from papertally.audit.martingale import check_risk_limit

    polling = fields.get("type") == "polling"
    kind: AuditKind = "polling" if polling else "comparison"
    risk_limit = _number(fields.get("risk_limit", ""), "risk limit", 0.05)
    check_risk_limit(risk_limit)
    with tempfile.TemporaryDirectory() as folder:
        try:
            return _count_and_measure(named, fields, Path(folder), kind, risk_limit)
        except PapertallyError as error:
            # name the uploads as the user named them, never by their place on the server
            shown = re.sub(re.escape(folder) + r"[/\\]\d+[/\\]", "", str(error))
            raise PapertallyError(shown) from None


def _count_and_measure(
    named: list[tuple[Path, str]],
    fields: dict[str, str],
    folder: Path,
    kind: AuditKind,
    risk_limit: float,
) -> dict[str, Any]:
    """The work of :func:`_run` inside its temporary folder."""
    from papertally.audit.irv.audit import comparison_risk, polling_risk, sample_sizes
    from papertally.audit.irv.ballots import ballot_rules, tabulate
    from papertally.audit.irv.raire import find_assertions
    from papertally.workflows.irv import read_ranked_contest, read_readings

    polling = kind == "polling"
    ballots_files: list[Path] = []
    readings: Path | None = None
    for number, (path, shown) in enumerate(named):
        target = folder / str(number) / Path(shown).name
        target.parent.mkdir()
        shutil.copyfile(path, target)
        if _is_readings(target):
            if readings is not None:
                raise PapertallyError("give one readings file (card_id, paper)")
            readings = target
        else:
            ballots_files.append(target)
    if not ballots_files:
        raise PapertallyError("give the CVR exports (or a raire-rs / .raire file)")
    found = read_ranked_contest(
        ballots_files,
        contest=fields.get("contest", "").strip() or None,
        rules=ballot_rules(fields.get("rules", "").strip() or "san-francisco"),
    )
    count = tabulate(found.ballots, reported_winner=fields.get("winner", "").strip() or None)
    winner = fields.get("winner", "").strip() or found.winner or count.winner
    result = find_assertions(found.ballots, winner, kind=kind, total_ballots=found.total_ballots)
    sizes = sample_sizes(result, found.ballots, risk_limit=risk_limit, polling=polling)
    names = found.ballots.candidates
    risk = None
    if readings is not None:
        cvrs, papers = read_readings(readings, found, need_cvrs=not polling)
        measured = (
            comparison_risk(result, found.ballots, cvrs, papers, risk_limit=risk_limit)
            if not polling
            else polling_risk(result, found.ballots, papers, risk_limit=risk_limit)
        )
        risk = {
            "cards": len(papers),
            "risk": measured.risk,
            "confirmed": measured.confirmed,
            "assertions": [
                (a.assertion.assertion.describe(names), a.measurement.p_value)
                for a in measured.assertions
            ],
        }
    return {
        "contest": found.name,
        "kind": kind,
        "risk_limit": risk_limit,
        "ballots": count.ballots,
        "winner": count.winner,
        "rounds": [
            {
                "number": r.number,
                "tallies": list(r.tallies.items()),
                "exhausted": r.exhausted,
                "eliminated": ", ".join(r.eliminated),
            }
            for r in count.rounds
        ],
        "assertions": [
            (a.assertion.describe(names), a.margin, a.difficulty, sizes[a.assertion])
            for a in result.assertions
        ],
        "difficulty": result.difficulty,
        "sample_size": max(sizes.values()),
        "cards": result.ballots,
        "risk": risk,
    }


@router.post("/irv", response_class=HTMLResponse)
@requires(Access.ADMINISTRATOR)
@streams_body
async def run_irv_page(request: Request) -> Any:
    """Count, choose assertions and (with readings) measure; or the form with one clear error."""
    form = await receive_form(request, file_field="file", max_files=MAX_IRV_FILES)
    fields = {k: v[:MAX_OPTION_CHARS] for k, v in form.fields.items()}
    store = file_store(request)
    named = [(store.path(f.blob.key), f.filename) for f in form.files]
    typed = {k: fields.get(k, "") for k in ("contest", "rules", "winner", "type", "risk_limit")}
    try:
        result = await run_in_threadpool(_run, named, fields)
    except PapertallyError as error:
        return render(
            request, "irv.html", status_code=400, result=None, error=str(error), typed=typed
        )
    return render(request, "irv.html", result=result, error=None, typed=typed)
