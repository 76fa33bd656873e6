"""The risk-limiting audit in the app: define, upload, publish, seed, retrieve, record, measure.

The order follows the practice of risk-limiting audits (Lindeman & Stark 2012, "A gentle
introduction to risk-limiting audits"; Arlo's workflow): the administrator defines the audit and
its contests; each county uploads its ballot manifest and CVRs; the app publishes every file's
SHA-256 and only then accepts the seed (public dice, at least 20 digits); the engine sizes round 1
(:func:`papertally.workflows.audit.start_audit`) and draws it; each county sees only its own
retrieval list and records what its audit boards read; closing a round measures the risk of
every contest (:func:`papertally.workflows.audit.close_round`) and either completes the audit or
draws the next round, down to a full hand count. The workflow itself lives in
:mod:`papertally.workflows`, shared with the command line; this module holds the routes.
Observers download the export and see it verified (:func:`papertally.verify.verify_export`); the
report comes in HTML, PDF, CSV and JSON.

Every route declares its access rule; county routes carry ``{county_id}`` in their path (the
county's row id in the audit, never its name), which the app's access check resolves and
compares exactly with the signed-in clerk's or board member's county.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from papertally.audit.contests import ContestSpec
from papertally.csv_safe import csv_writer
from papertally.errors import PapertallyError
from papertally.io.audit_export import (
    BATCH_TALLIES,
    CVRS,
    MANIFEST,
    AuditFiles,
    audit_export_zip,
    safe_file_part,
)
from papertally.law.timezones import (
    DEFAULT_ZONE,
    STATE_TIME_ZONES,
    known_zone,
    state_time_zone,
)
from papertally.model.audit_records import AuditSettings
from papertally.model.recount import Role
from papertally.report.audit_report import (
    audit_report_csv,
    audit_report_json,
    render_audit_report_html,
    render_audit_report_pdf,
)
from papertally.store.audit_schema import AUDIT_TYPES
from papertally.store.audits import AuditStore
from papertally.store.uploads import UploadJobs
from papertally.verify import verify_export
from papertally.web.access import Access, requires
from papertally.web.context import (
    FieldError,
    path_id,
    render,
    require_county,
    require_principal,
    services,
    streams_body,
)
from papertally.web.headers import REPORT_CSP
from papertally.web.service import require
from papertally.web.upload_worker import run_audit_file_job
from papertally.web.uploads import receive_form, start_job
from papertally.workflows.audit import (
    audit_report,
    close_round,
    contest_specs,
    is_batch_audit,
    start_audit,
    storage_order,
)

router = APIRouter()

FormText = Annotated[str, Form()]
OptionalFormText = Annotated[str | None, Form()]
NOT_FOUND_FIELD = "not_found"
CONTEST_FIELD = "contest::"
TALLY_FIELD = "tally::"
"""Form fields ``tally::<contest>::<choice>`` carry a batch's hand count."""
RETRIEVAL_COLUMNS = (
    "Container",
    "Tabulator",
    "Batch Name",
    "Ballot Number",
    "Imprinted ID",
    "Ticket Numbers",
    "Draw Number",
    "Round",
    "Audited",
)
"""The retrieval list's CSV columns, named as in Arlo's retrieval lists."""


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _download(body: bytes | str, filename: str, media_type: str) -> Response:
    """Answer with a file download; a name beyond ASCII goes in ``filename*`` (RFC 6266)."""
    plain = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{plain}"; '
            f"filename*=UTF-8''{quote(filename, safe='')}"
        },
    )


def audit_store(request: Request) -> AuditStore:
    """Return the audit operations over the app's store."""
    return AuditStore(services(request).engine)


# -- list and definition ------------------------------------------------------------------------


def _audits_page(
    request: Request,
    *,
    typed: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Any:
    """Render the list of audits with step 1 of the wizard (name, counties, zone, sign-off),
    a refused form's values and message kept."""
    svc = services(request)
    elections = svc.store.list_elections()
    return render(
        request,
        "audit_list.html",
        status_code=status_code,
        audits=audit_store(request).audits(),
        counties=svc.recounts.known_counties(),
        states=sorted(STATE_TIME_ZONES),
        default_state=next((e.state for e in elections if e.state), "") or "",
        zones=[*sorted(set(STATE_TIME_ZONES.values())), DEFAULT_ZONE],
        typed=typed or {},
        errors=errors or {},
    )


@router.get("/audits", response_class=HTMLResponse)
@requires(Access.STATE_READ)
def audits_page(request: Request) -> Any:
    """Every audit, with the form to create one (step 1 of the wizard)."""
    return _audits_page(request)


@router.get("/my-audits")
@requires(Access.SIGNED_IN)
def my_audits(request: Request) -> Response:
    """Send each user to their audit work: clerks and boards to their county's newest list."""
    who = require_principal(request)
    if who.role in (Role.ADMINISTRATOR, Role.OBSERVER) or not who.county:
        return _see_other("/audits")
    audits = audit_store(request)
    for audit in audits.audits():
        county_id = audits.county_ids(audit.id).get(who.county)
        if county_id is not None:
            return _see_other(f"/audits/{audit.id}/counties/{county_id}")
    response: Response = render(request, "audit_none.html")
    return response


@router.post("/audits", response_class=HTMLResponse)
@requires(Access.ADMINISTRATOR)
async def create_audit(request: Request) -> Any:
    """Create an audit (step 1 of the wizard): its name; its counties, ticked from the store's
    counties or typed (one per line or separated by commas) for counties with no canvass here;
    its state's time zone (or another); and the two-person sign-off of every reading."""
    who = require_principal(request)
    form = await request.form()
    typed: dict[str, Any] = {k: str(v)[:2000] for k, v in form.items() if isinstance(v, str)}
    picked = [str(c) for c in form.getlist("county") if str(c).strip()]
    typed["county"] = picked
    try:
        known = set(services(request).recounts.known_counties())
        unknown = [c for c in picked if c not in known]
        if unknown:
            raise FieldError("county", f"counties: {unknown[0][:60]!r} is not a known county")
        text = str(form.get("counties") or "")
        names = picked + [c.strip() for part in text.splitlines() for c in part.split(",")]
        if not any(n.strip() for n in names):
            raise FieldError("county", "counties: tick or name at least one county")
        zone = _audit_zone(str(form.get("state") or ""), str(form.get("time_zone") or ""))
        audit_id = audit_store(request).create_audit(
            str(form.get("name") or ""),
            names,
            actor=who.username,
            settings=AuditSettings(time_zone=zone, sign_off=form.get("sign_off") == "yes"),
        )
    except PapertallyError as error:
        field = error.field if isinstance(error, FieldError) else "form"
        return _audits_page(request, typed=typed, errors={field: str(error)}, status_code=400)
    return _see_other(f"/audits/{audit_id}")


def _audit_zone(state: str, zone: str) -> str:
    """Return the zone chosen on the form, else the state's, else UTC."""
    try:
        chosen = zone.strip() or state_time_zone(state or None)
        known_zone(chosen)
    except PapertallyError as error:
        raise FieldError("time_zone", str(error)) from None
    return chosen


@router.get("/audits/{audit_id}", response_class=HTMLResponse)
@requires(Access.STATE_READ)
def audit_page(request: Request, audit_id: int, message: str | None = None) -> Any:
    """The audit: contests, files and their hashes, seed, rounds and the risk measured."""
    return _audit_page(request, audit_id, message=message)


def _audit_page(
    request: Request,
    audit_id: int,
    *,
    message: str | None = None,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Any:
    """Render the audit; after a refused step, with its form's values and the message."""
    audits = audit_store(request)
    audit = audits.audit(audit_id)
    sample = audits.sample(audit_id)
    entered = {e.sequence for e in audits.entries(audit_id)}
    rounds = audits.rounds(audit_id)
    progress = []
    county_ids = audits.county_ids(audit_id)
    unsigned = {e.sequence for e in audits.unsigned_entries(audit_id)}
    for county in audit.counties:
        mine = [c for c in sample if c.county == county and c.round_number == len(rounds)]
        progress.append(
            {
                "county": county,
                "county_id": county_ids[county],
                "cards": len(mine),
                "entered": sum(1 for c in mine if c.sequence in entered),
                "unsigned": sum(1 for c in mine if c.sequence in unsigned),
            }
        )
    return render(
        request,
        "audit.html",
        audit=audit,
        contests=audits.contests(audit_id),
        files=audits.files(audit_id),
        rounds=rounds,
        progress=progress,
        county_ids=county_ids,
        audit_types=AUDIT_TYPES,
        settings=audits.settings(audit_id),
        message=message,
        typed=typed or {},
        errors=errors or {},
        status_code=status_code,
    )


@router.post("/audits/{audit_id}/contests", response_class=HTMLResponse)
@requires(Access.ADMINISTRATOR)
def add_contest(
    request: Request,
    audit_id: int,
    name: FormText,
    audit_type: FormText,
    risk_limit: FormText,
    winners: OptionalFormText = None,
    reported: OptionalFormText = None,
) -> Any:
    """Add a contest with its audit type and risk limit (in per cent or as a fraction); a
    polling contest without CVRs and a hybrid contest take their reported votes typed in,
    ``Choice = votes`` a line. A refused contest comes back in its form with the message."""
    who = require_principal(request)
    try:
        audit_store(request).add_contest(
            audit_id,
            name,
            audit_type,
            _risk_limit(risk_limit),
            winners=_whole(winners or "1", "winners"),
            reported=_reported_votes(reported or ""),
            actor=who.username,
        )
    except PapertallyError as error:
        typed = {
            "name": name,
            "audit_type": audit_type,
            "risk_limit": risk_limit,
            "winners": winners or "",
            "reported": reported or "",
        }
        return _audit_page(
            request, audit_id, typed=typed, errors={"contest": str(error)}, status_code=400
        )
    return _see_other(f"/audits/{audit_id}")


def _risk_limit(text: str) -> float:
    """Read a risk limit (or a share) written ``5%``, ``5`` (per cent) or ``0.05``."""
    cleaned = text.strip().rstrip("%").strip()
    try:
        value = float(cleaned)
    except ValueError:
        raise PapertallyError(f"the risk limit {text!r} is not a number like 5% or 0.05") from None
    return value / 100.0 if value >= 1.0 or text.strip().endswith("%") else value


def _reported_votes(text: str) -> dict[str, int] | None:
    """Read reported votes written ``Choice = votes``, one a line (``None`` when blank)."""
    votes: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        choice, sign, count = line.rpartition("=")
        if not sign or not choice.strip():
            raise PapertallyError(
                f"reported votes, line {number}: write 'Choice = votes', not {line.strip()!r}"
            )
        votes[choice.strip()] = _whole(count.replace(",", ""), f"reported votes, line {number}")
    return votes or None


def _whole(text: str, what: str) -> int:
    """Read a count typed in a form: ASCII digits, at most 10 (no superscripts, no 5,000 digits)."""
    cleaned = text.strip()
    if not (cleaned.isascii() and cleaned.isdigit()) or len(cleaned) > 10:
        raise PapertallyError(f"{what}: enter a whole number (got {text[:40]!r})")
    return int(cleaned)


@router.post("/audits/{audit_id}/counties/{county_id}/files")
@requires(Access.COUNTY_WRITE)
@streams_body
async def upload_file(request: Request, audit_id: int, county_id: int) -> Response:
    """Upload the county's ballot manifest, CVR export or a contest's batch tallies (candidate
    totals by batch): streamed to disk, then read and checked by a worker while the page
    follows it (:mod:`papertally.web.uploads`)."""
    who = require_principal(request)
    county = require_county(request)
    audit = await run_in_threadpool(audit_store(request).audit, audit_id)
    require(
        audit.status == "setup",
        f"audit {audit_id} is {audit.status!r}; it must be 'setup' to change its files "
        "(they are published)",
    )
    form = await receive_form(request, file_field="file", max_files=1)
    kind = form.fields.get("kind", "")
    require(
        kind in (MANIFEST, CVRS, BATCH_TALLIES),
        f"unknown kind of file {kind[:40]!r}: manifest, cvrs or batch tallies",
    )
    require(bool(form.files), "choose a file to upload")
    contest = form.fields.get("contest", "").strip() or None if kind == BATCH_TALLIES else None
    [received] = form.files
    target = {
        "audit_id": audit_id,
        "county": county,
        "kind": kind,
        "contest": contest,
        "filename": received.filename,
        "key": received.blob.key,
        "sha256": received.blob.sha256,
        "size": received.blob.size,
    }
    jobs = UploadJobs(services(request).engine)
    job_id = await run_in_threadpool(lambda: jobs.create("audit file", target, actor=who.username))
    page = f"/audits/{audit_id}/counties/{county_id}"
    return await start_job(
        request, run_audit_file_job, job_id, done_url=page, status_url=f"{page}/uploads/{job_id}"
    )


@router.post("/audits/{audit_id}/publish", response_class=HTMLResponse)
@requires(Access.ADMINISTRATOR)
def publish(request: Request, audit_id: int) -> Any:
    """Freeze the files and publish their SHA-256 hashes (before the seed)."""
    who = require_principal(request)
    audits = audit_store(request)
    try:
        audit = audits.audit(audit_id)
        files = AuditFiles.read(audits.file_contents(audit_id), audit.counties)
        audits.publish(audit_id, actor=who.username, findings=files.findings())
    except PapertallyError as error:
        return _audit_page(request, audit_id, errors={"publish": str(error)}, status_code=400)
    return _see_other(f"/audits/{audit_id}")


@router.post("/audits/{audit_id}/seed", response_class=HTMLResponse)
@requires(Access.ADMINISTRATOR)
async def enter_seed(request: Request, audit_id: int) -> Any:
    """Enter the dice seed; the engine sizes and draws round 1. ``hybrid_method`` (hybrid
    contests): ``fewest`` (OneAudit or SUITE, whichever plans fewer cards), ``oneaudit`` or
    ``suite`` (the default when not given). ``supermajority::<contest>``, optional: the share of
    the valid votes the contest's one winner needs more of (SHANGRLA §2.3). A refused value
    comes back beside its field, the form kept."""
    who = require_principal(request)
    form = await request.form()
    typed = {k: str(v)[:200] for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    seed = typed.get("seed", "")
    audits = audit_store(request)
    try:
        shares = {}
        for contest in await run_in_threadpool(audits.contests, audit_id):
            field = f"{SUPERMAJORITY_FIELD}{contest.name}"
            if typed.get(field, "").strip():
                shares[contest.name] = _share(typed[field], field, contest.name)
        method = typed.get("hybrid_method") or "suite"
        size = await run_in_threadpool(
            lambda: start_audit(
                audits,
                audit_id,
                seed,
                actor=who.username,
                hybrid_method=method,
                supermajority=shares,
            )
        )
    except PapertallyError as error:
        field = error.field if isinstance(error, FieldError) else "seed"
        errors = {field: str(error)}
        return await run_in_threadpool(
            lambda: _audit_page(request, audit_id, typed=typed, errors=errors, status_code=400)
        )
    return _see_other(f"/audits/{audit_id}?message=Round 1 drew {size} cards.")


SUPERMAJORITY_FIELD = "supermajority::"
"""Seed form fields ``supermajority::<contest>``: the share the contest's winner needs."""


def _share(text: str, field: str, contest: str) -> float:
    """Read a supermajority share written ``2/3``-style as ``0.667``, ``66.7`` or ``66.7%``:
    strictly between one half and the whole (anything else is a FieldError beside ``field``)."""
    try:
        value = _risk_limit(text)
    except PapertallyError:
        value = float("nan")
    if not 0.5 < value < 1.0:
        raise FieldError(
            field,
            f"{contest}: the winner's share must be a fraction between 0.5 and 1 or a "
            f"percentage between 50% and 100% (got {text[:40]!r})",
        )
    return value


@router.post("/audits/{audit_id}/rounds/close", response_class=HTMLResponse)
@requires(Access.ADMINISTRATOR)
def close_round_page(request: Request, audit_id: int) -> Any:
    """Measure the risk after the round; complete the audit or start the next round."""
    who = require_principal(request)
    try:
        done = close_round(audit_store(request), audit_id, actor=who.username)
    except PapertallyError as error:
        return _audit_page(request, audit_id, errors={"close": str(error)}, status_code=400)
    note = "The audit is complete." if done else "The risk limit is not met: a new round started."
    return _see_other(f"/audits/{audit_id}?message={note}")


# -- counties and audit boards ------------------------------------------------------------------


@router.get("/audits/{audit_id}/counties/{county_id}", response_class=HTMLResponse)
@requires(Access.COUNTY_READ)
def county_page(request: Request, audit_id: int, county_id: int) -> Any:
    """The county's uploads and its retrieval list, card by card, with what is recorded."""
    audits = audit_store(request)
    name = require_county(request)
    audit = audits.audit(audit_id)
    entries = {e.sequence: e for e in audits.entries(audit_id, county=name)}
    rounds = audits.rounds(audit_id)
    open_round = rounds[-1].number if rounds and rounds[-1].closed_at is None else None
    return render(
        request,
        "audit_county.html",
        audit=audit,
        county=name,
        county_id=county_id,
        files=[f for f in audits.files(audit_id) if f.county == name],
        cards=storage_order(audits.sample(audit_id, county=name)),
        entries=entries,
        open_round=open_round,
        contests=audits.contests(audit_id),
        unsigned={e.sequence for e in audits.unsigned_entries(audit_id, county=name)},
    )


@router.get("/audits/{audit_id}/counties/{county_id}/retrieval.csv")
@requires(Access.COUNTY_READ)
def retrieval_csv(request: Request, audit_id: int, county_id: int) -> Response:
    """The county's retrieval list as CSV, in storage order (container, tabulator, batch)."""
    audits = audit_store(request)
    name = require_county(request)
    entered = {e.sequence for e in audits.entries(audit_id, county=name)}
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(RETRIEVAL_COLUMNS)
    for card in storage_order(audits.sample(audit_id, county=name)):
        writer.writerow(
            [
                card.container or "",
                card.tabulator or "",
                card.batch,
                card.position,
                card.imprinted_id or "",
                card.ticket,
                card.sequence,
                card.round_number,
                "yes" if card.sequence in entered else "no",
            ]
        )
    filename = f"retrieval-{safe_file_part(name, 'county')}-audit-{audit_id}.csv"
    return _download(out.getvalue(), filename, "text/csv")


READING_FIELD = "reading::"
"""Form fields ``reading::<contest>``: what a card shows for the contest, chosen by the board
member (no reading is pre-selected): ``vote::<choice>`` (vote for one), ``votes`` (the choices
ticked in ``contest::<contest>``, vote for several), ``blank`` (no mark: an undervote),
``overvote`` (more marks than allowed), ``absent`` (the contest is not on this card)."""
CARD_FIELD = "card"
"""``found`` or ``not found``: whether the card was found (chosen, never pre-selected)."""
READINGS = {"blank": "blank (undervote)", "overvote": "overvote", "absent": "not on this card"}


@dataclass(frozen=True)
class _Reading:
    """What a board member recorded for a card: found or not, and the marks per contest (a
    contest not on the card is left out; an overvote marks every choice, as in the CLI's
    ``mvrs.csv``: :mod:`papertally.workflows.cvr_audit`)."""

    found: bool
    votes: dict[str, list[str]]


def _card_reading(form: FormData, specs: Sequence[ContestSpec]) -> _Reading:
    """Read a card's reading from its form; a missing or impossible choice is a FieldError.

    A form without ``card`` or ``reading::`` fields is the older one (API clients): a
    ``not_found`` box and the choices of each contest, none meaning no vote.
    """
    if form.get(CARD_FIELD) is None and not any(k.startswith(READING_FIELD) for k in form):
        votes = {}
        for spec in specs:
            chosen = [str(v) for v in form.getlist(f"{CONTEST_FIELD}{spec.name}") if str(v)]
            known = spec.votes if spec.irv is None else spec.irv["candidates"]
            unknown = [c for c in chosen if c not in known]
            require(not unknown, f"{spec.name}: unknown choice {', '.join(unknown)}")
            votes[spec.name] = chosen
        return _Reading(form.get(NOT_FOUND_FIELD) is None, votes)
    card = form.get(CARD_FIELD)
    if card not in ("found", "not found"):
        raise FieldError(CARD_FIELD, "say whether the card was found")
    if card == "not found":
        return _Reading(False, {})
    votes = {}
    for spec in specs:
        field = f"{READING_FIELD}{spec.name}"
        reading = str(form.get(field) or "")
        if not reading:
            raise FieldError(field, f"{spec.name}: choose what the card shows for this contest")
        if spec.irv is not None and reading not in ("blank", "absent"):
            votes[spec.name] = _ranked_reading(form, spec, field, reading)
        elif reading.startswith("vote::"):
            choice = reading.removeprefix("vote::")
            if choice not in spec.votes:
                raise FieldError(field, f"{spec.name}: {choice[:60]!r} is not a choice")
            votes[spec.name] = [choice]
        elif reading == "votes":
            chosen = list(
                dict.fromkeys(str(v) for v in form.getlist(f"{CONTEST_FIELD}{spec.name}"))
            )
            unknown = [c for c in chosen if c not in spec.votes]
            if unknown or not 1 <= len(chosen) <= spec.votes_allowed:
                raise FieldError(
                    field,
                    f"{spec.name}: tick 1 to {spec.votes_allowed} of its choices"
                    + (f" ({unknown[0][:60]!r} is not one)" if unknown else ""),
                )
            votes[spec.name] = chosen
        elif reading == "blank":
            votes[spec.name] = []
        elif reading == "overvote":
            if len(spec.votes) <= spec.votes_allowed:
                raise FieldError(
                    field, f"{spec.name}: with {len(spec.votes)} choices there is no overvote"
                )
            votes[spec.name] = list(spec.votes)
        elif reading != "absent":
            raise FieldError(field, f"{spec.name}: {reading[:40]!r} is not a reading")
    return _Reading(True, votes)


RANK_FIELD = "rank::"
"""Form fields ``rank::<contest>::<n>`` of an IRV contest: the candidate read at rank ``n``,
empty for no mark, ``overvote`` for several marks (reading ``ranked``)."""


def _ranked_reading(form: FormData, spec: ContestSpec, field: str, reading: str) -> list[str]:
    """Read an IRV contest's ranking off the card form as the paper's preference list
    (:func:`papertally.workflows.irv.paper_ranking`); anything else is a FieldError."""
    from papertally.workflows.irv import paper_ranking

    assert spec.irv is not None
    candidates = [str(c) for c in spec.irv["candidates"]]
    if reading != "ranked":
        raise FieldError(field, f"{spec.name}: {reading[:40]!r} is not a reading of a ranking")
    marks = [
        str(form.get(f"{RANK_FIELD}{spec.name}::{rank}") or "")
        for rank in range(1, len(candidates) + 1)
    ]
    try:
        ranking = paper_ranking(marks, candidates)
    except PapertallyError as error:
        raise FieldError(field, f"{spec.name}: {error}") from None
    if not any(marks):
        raise FieldError(
            field, f"{spec.name}: choose the candidate at rank 1 (or read the card as blank)"
        )
    return ranking


def _batch_tallies(
    form: FormData, specs: Sequence[ContestSpec], *, typed_only: bool
) -> dict[str, dict[str, int]]:
    """Read a batch's hand count, ``tally::<contest>::<choice>`` per choice. With
    ``typed_only`` (the form's review step) an empty field is refused beside it, never read
    as 0, unless the batch was not found; the final save (and older API clients) reads a
    missing field as 0."""
    found = form.get(NOT_FOUND_FIELD) is None
    tallies: dict[str, dict[str, int]] = {}
    for spec in specs:
        counts = tallies.setdefault(spec.name, {})
        for choice in spec.votes:
            field = f"{TALLY_FIELD}{spec.name}::{choice}"
            text = str(form.get(field) or "")
            if not text.strip() and (not typed_only or not found):
                text = "0"
            try:
                counts[choice] = _whole(text, f"{spec.name}, {choice}")
            except PapertallyError as error:
                raise FieldError(field, str(error)) from None
    return tallies


def describe_batch(found: bool, tallies: Mapping[str, Mapping[str, int]]) -> list[tuple[str, str]]:
    """Return a batch's hand count in words per contest, for the confirm step."""
    if not found:
        return [("batch", "not found (counted as the worst case)")]
    return [
        (contest, ", ".join(f"{choice} {n:,}" for choice, n in counts.items()))
        for contest, counts in tallies.items()
    ]


def describe_reading(
    found: bool, votes: Mapping[str, Sequence[str]], specs: Sequence[ContestSpec]
) -> list[tuple[str, str]]:
    """Return a card's reading per contest in words, for the confirm step and the history."""
    if not found:
        return [("card", "not found (counted as the worst case)")]
    described = []
    for spec in specs:
        if spec.name not in votes:
            described.append((spec.name, READINGS["absent"]))
            continue
        marks = list(votes[spec.name])
        if spec.irv is not None:
            described.append(
                (spec.name, "ranking " + " > ".join(marks) if marks else "no ranking counts")
            )
        elif not marks:
            described.append((spec.name, READINGS["blank"]))
        elif len(marks) > spec.votes_allowed:
            described.append((spec.name, READINGS["overvote"]))
        else:
            described.append((spec.name, "vote for " + ", ".join(marks)))
    return described


def _card_page(
    request: Request,
    audit_id: int,
    sequence: int,
    *,
    typed: FormData | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Any:
    audits = audit_store(request)
    name = require_county(request)
    card = next((c for c in audits.sample(audit_id, county=name) if c.sequence == sequence), None)
    require(card is not None, f"{name} has no card {sequence} in audit {audit_id}")
    history = audits.entries(audit_id, county=name, sequence=sequence, include_history=True)
    current = next((e for e in history if e.status == "current"), None)
    rounds = audits.rounds(audit_id)
    specs = contest_specs(audits, audit_id)
    assert card is not None
    return render(
        request,
        "audit_card.html",
        status_code=status_code,
        audit=audits.audit(audit_id),
        settings=audits.settings(audit_id),
        county=name,
        county_id=path_id(request, "county_id"),
        card=card,
        specs=specs,
        history=[(e, describe_reading(e.found, e.votes, specs)) for e in history],
        current=current,
        signed=audits.sign_offs(audit_id),
        typed={k: str(v) for k, v in typed.items() if isinstance(v, str)} if typed else {},
        ticked={k: [str(v) for v in typed.getlist(k)] for k in typed} if typed else {},
        errors=errors or {},
        editable=rounds[card.round_number - 1].closed_at is None,
        first_draw=next(
            c.sequence
            for c in audits.sample(audit_id, county=name)
            if (c.tabulator, c.batch, c.position) == (card.tabulator, card.batch, 0)
        )
        if card.position == 0
        else card.sequence,
    )


@router.get("/audits/{audit_id}/counties/{county_id}/cards/{sequence}", response_class=HTMLResponse)
@requires(Access.COUNTY_READ)
def card_page(request: Request, audit_id: int, county_id: int, sequence: int) -> Any:
    """One sampled card: where to find it, the form to record it, and its history."""
    return _card_page(request, audit_id, sequence)


@router.post(
    "/audits/{audit_id}/counties/{county_id}/cards/{sequence}/review",
    response_class=HTMLResponse,
)
@requires(Access.COUNTY_WRITE)
async def review_card(request: Request, audit_id: int, county_id: int, sequence: int) -> Any:
    """The confirm step: the card's readings (or a batch's hand count) in words, to save or to
    change (nothing is saved yet); a missing choice or an empty count sends the form back with
    the message beside its field."""
    form = await request.form()
    audits = audit_store(request)
    specs = contest_specs(audits, audit_id)
    try:
        if is_batch_audit(specs):
            found = form.get(NOT_FOUND_FIELD) is None
            described = describe_batch(found, _batch_tallies(form, specs, typed_only=True))
        else:
            reading = _card_reading(form, specs)
            described = describe_reading(reading.found, reading.votes, specs)
    except PapertallyError as error:
        field = error.field if isinstance(error, FieldError) else "form"
        return _card_page(
            request, audit_id, sequence, typed=form, errors={field: str(error)}, status_code=400
        )
    return render(
        request,
        "audit_confirm.html",
        audit=audits.audit(audit_id),
        county=require_county(request),
        county_id=county_id,
        sequence=sequence,
        described=described,
        fields=[
            (k, str(v))
            for k in dict.fromkeys(form.keys())
            if k != "csrf_token"
            for v in form.getlist(k)
            if isinstance(v, str)
        ],
    )


@router.post(
    "/audits/{audit_id}/counties/{county_id}/cards/{sequence}/edit",
    response_class=HTMLResponse,
)
@requires(Access.COUNTY_WRITE)
async def edit_card(request: Request, audit_id: int, county_id: int, sequence: int) -> Any:
    """Back from the confirm step to the card's form, with the readings chosen kept."""
    return _card_page(request, audit_id, sequence, typed=await request.form())


@router.post(
    "/audits/{audit_id}/counties/{county_id}/cards/{sequence}", response_class=HTMLResponse
)
@requires(Access.COUNTY_WRITE)
async def record_card(request: Request, audit_id: int, county_id: int, sequence: int) -> Any:
    """Record the audit board's reading of a card (or that it was not found); a correction is
    recorded the same way, with a reason, and supersedes the reading (both stay in history)."""
    who = require_principal(request)
    audits = audit_store(request)
    name = require_county(request)
    form = await request.form()
    specs = contest_specs(audits, audit_id)
    try:
        tallies: dict[str, dict[str, int]] | None = None
        if is_batch_audit(specs):
            tallies = _batch_tallies(form, specs, typed_only=False)
            reading = _Reading(form.get(NOT_FOUND_FIELD) is None, {})
        else:
            reading = _card_reading(form, specs)
        audits.record_entry(
            audit_id,
            name,
            sequence,
            found=reading.found,
            votes=None if tallies is not None else reading.votes,
            tallies=tallies,
            actor=who.username,
            reason=str(form.get("reason") or "").strip() or None,
        )
    except PapertallyError as error:
        field = error.field if isinstance(error, FieldError) else "form"
        return _card_page(
            request, audit_id, sequence, typed=form, errors={field: str(error)}, status_code=400
        )
    return _see_other(f"/audits/{audit_id}/counties/{county_id}#card-{sequence}")


@router.post("/audits/{audit_id}/counties/{county_id}/cards/{sequence}/signoff")
@requires(Access.COUNTY_WRITE)
def sign_off_card(request: Request, audit_id: int, county_id: int, sequence: int) -> Response:
    """Sign off a card's reading as the board's second member (two-person rule): she checked
    the paper card shows what the first member recorded."""
    who = require_principal(request)
    audit_store(request).sign_off(audit_id, require_county(request), sequence, actor=who.username)
    return _see_other(f"/audits/{audit_id}/counties/{county_id}#card-{sequence}")


@router.post("/audits/{audit_id}/counties/{county_id}/cards/{sequence}/void")
@requires(Access.COUNTY_WRITE)
def void_card(
    request: Request, audit_id: int, county_id: int, sequence: int, reason: FormText
) -> Response:
    """Void a mistaken reading (kept in the history); the card then needs a new one."""
    who = require_principal(request)
    audits = audit_store(request)
    name = require_county(request)
    audits.void_entry(audit_id, name, sequence, actor=who.username, reason=reason)
    return _see_other(f"/audits/{audit_id}/counties/{county_id}/cards/{sequence}")


# -- export, verification, report ---------------------------------------------------------------


@router.get("/audits/{audit_id}/export.zip")
@requires(Access.STATE_READ)
def export_zip(request: Request, audit_id: int, cvrs: str | None = None) -> Response:
    """The public export: files, seed, sample, every board record, risk per round, hashes.

    ``?cvrs=withheld`` leaves the CVR files out (their hashes and the sampled CVRs stay).
    """
    withheld = cvrs == "withheld"
    data = audit_export_zip(audit_store(request).export_contents(audit_id), withhold_cvrs=withheld)
    suffix = "-cvrs-withheld" if withheld else ""
    return _download(data, f"audit-{audit_id}-export{suffix}.zip", "application/zip")


@router.get("/audits/{audit_id}/verify", response_class=HTMLResponse)
@requires(Access.STATE_READ)
def verify_page(request: Request, audit_id: int) -> Any:
    """The observer's page: the export recomputed independently, check by check."""
    audits = audit_store(request)
    result = verify_export(audit_export_zip(audits.export_contents(audit_id)))
    return render(request, "audit_verify.html", audit=audits.audit(audit_id), result=result)


@router.get("/audits/{audit_id}/report.html", response_class=HTMLResponse)
@requires(Access.STATE_READ)
def report_html(request: Request, audit_id: int) -> HTMLResponse:
    """The audit report for people: contests, margins, rounds, discrepancies, conclusion."""
    return HTMLResponse(
        render_audit_report_html(audit_report(audit_store(request), audit_id)),
        headers={"Content-Security-Policy": REPORT_CSP},
    )


@router.get("/audits/{audit_id}/report.pdf")
@requires(Access.STATE_READ)
def report_pdf(request: Request, audit_id: int) -> Response:
    """The audit report as PDF (WeasyPrint)."""
    pdf = render_audit_report_pdf(audit_report(audit_store(request), audit_id))
    return _download(pdf, f"audit-{audit_id}-report.pdf", "application/pdf")


@router.get("/audits/{audit_id}/report.json")
@requires(Access.STATE_READ)
def report_json(request: Request, audit_id: int) -> Response:
    """The audit report as JSON, for programs."""
    body = audit_report_json(audit_report(audit_store(request), audit_id))
    return _download(body, f"audit-{audit_id}-report.json", "application/json")


@router.get("/audits/{audit_id}/report.csv")
@requires(Access.STATE_READ)
def report_csv(request: Request, audit_id: int) -> Response:
    """The audit report as CSV: one row per round, contest and assertion."""
    body = audit_report_csv(audit_report(audit_store(request), audit_id))
    return _download(body, f"audit-{audit_id}-report.csv", "text/csv")
