"""The screening page (issue 14): upload an election's results, its baseline and the covariate
files, and see whether a technology's units swung differently, with the decision desk.

The administrator only: running a screening stores the uploaded files in the file store, a
write observers (who write nothing) may not make. The files go through the upload pipeline
(streamed, capped, CSRF checked before a byte is kept) and each is recognised by its content;
the screening runs in a worker thread with fewer permutation draws than the command line
(:data:`WEB_PERMUTATIONS`) so the page answers in seconds.
"""

from __future__ import annotations

import json
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


@router.get("/screening", response_class=HTMLResponse)
@requires(Access.ADMINISTRATOR)
def screening_page(request: Request) -> Any:
    """The form: files, group and party."""
    return render(request, "screening.html", result=None, error=None, typed={})


def _run(named: list[tuple[Any, str]], group: str, party: str, office: str | None) -> Any:
    """Classify the files, screen, and return (outcome dictionary, PNG figures)."""
    from papertally.report.screening import png_figures
    from papertally.workflows.screening import GroupRule, classify_files, run_screening

    inputs = classify_files(named, GroupRule.parse(group), party)
    try:
        outcome = run_screening(inputs, office=office, permutations=WEB_PERMUTATIONS)
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
    typed = {"group": group, "party": party, "office": office or ""}
    try:
        data, figures = await run_in_threadpool(_run, named, group, party, office)
    except PapertallyError as error:
        message = str(error)
        if isinstance(error, InputFileError):
            for path, shown in named:
                message = message.replace(path.name, shown)
        return render(
            request, "screening.html", status_code=400, result=None, error=message, typed=typed
        )
    return render(request, "screening.html", result=data, figures=figures, error=None, typed=typed)
