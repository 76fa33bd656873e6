"""The screening page (issue 14): upload an election's results, its baseline and the covariate
files, and see whether a technology's units swung differently, with the decision desk.

The administrator only: running a screening stores the uploaded files in the file store, a
write observers (who write nothing) may not make. The files go through the upload pipeline
(streamed, capped, CSRF checked before a byte is kept) and each is recognised by its content;
the screening runs in a worker thread with fewer permutation draws than the command line
(:data:`WEB_PERMUTATIONS`) so the page answers in seconds. Simulated polling audits (the chance
of a second round when the result is right) are off unless asked for, and capped lower than on
the command line (:data:`WEB_MAX_POLLING_TRIALS`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from papertally.errors import InputFileError, PapertallyError
from papertally.web.access import Access, requires
from papertally.web.context import render, streams_body
from papertally.web.uploads import file_store, receive_form

router = APIRouter()
WEB_PERMUTATIONS = 199
MAX_SCREEN_FILES = 6
MAX_OPTION_CHARS = 200
WEB_MAX_POLLING_TRIALS = 200
"""Cap of the page's simulated polling audits per risk limit: about 10-20 s and 250 MB each on a
3-million-ballot contest, within a request's patience; the command line allows more."""
WHOLE_NUMBER = re.compile(r"[0-9]{1,6}")


def polling_trials_field(text: str) -> int:
    """Return the form's number of simulated polling audits, refusing anything but a whole
    number from 0 to :data:`WEB_MAX_POLLING_TRIALS` (a blank field is 0: not simulated)."""
    text = text.strip()
    if not text:
        return 0
    if WHOLE_NUMBER.fullmatch(text) is None or int(text) > WEB_MAX_POLLING_TRIALS:
        raise PapertallyError(
            f"simulated polling audits {text[:20]!r}: give a whole number from 0 to "
            f"{WEB_MAX_POLLING_TRIALS} (0: not simulated)"
        )
    return int(text)


@router.get("/screening", response_class=HTMLResponse)
@requires(Access.ADMINISTRATOR)
def screening_page(request: Request) -> Any:
    """The form: files, group and party."""
    return render(request, "screening.html", result=None, error=None, typed={})


def _run(
    named: list[tuple[Any, str]], group: str, party: str, office: str | None, trials: int
) -> Any:
    """Classify the files, screen, and return (outcome dictionary, PNG figures)."""
    from papertally.report.screening import png_figures
    from papertally.workflows.screening import GroupRule, classify_files, run_screening

    inputs = classify_files(named, GroupRule.parse(group), party)
    try:
        outcome = run_screening(
            inputs, office=office, permutations=WEB_PERMUTATIONS, polling_trials=trials
        )
    except ValueError as error:
        raise PapertallyError(str(error)) from None
    data = json.loads(json.dumps(outcome.to_dict(), default=str))
    return data, png_figures(outcome.prepared.frame, outcome.screening)


@router.post("/screening", response_class=HTMLResponse)
@requires(Access.ADMINISTRATOR)
@streams_body
async def run_screening_page(request: Request) -> Any:
    """Screen the uploaded files and show the findings, or the form with one clear error."""
    form = await receive_form(request, file_field="file", max_files=MAX_SCREEN_FILES)
    fields = {k: v[:MAX_OPTION_CHARS] for k, v in form.fields.items()}
    store = file_store(request)
    named = [(store.path(f.blob.key), f.filename) for f in form.files]
    group = fields.get("group", "").strip() or "accessible~Edge"
    party = fields.get("party", "").strip() or "REP"
    office = fields.get("office", "").strip() or None
    typed = {
        "group": group,
        "party": party,
        "office": office or "",
        "polling_trials": fields.get("polling_trials", "").strip(),
    }
    try:
        trials = polling_trials_field(typed["polling_trials"])
        data, figures = await run_in_threadpool(_run, named, group, party, office, trials)
    except PapertallyError as error:
        message = str(error)
        if isinstance(error, InputFileError):
            for path, shown in named:
                message = message.replace(path.name, shown)
        return render(
            request, "screening.html", status_code=400, result=None, error=message, typed=typed
        )
    return render(request, "screening.html", result=data, figures=figures, error=None, typed=typed)
