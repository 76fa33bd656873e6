"""The app's pages: public results, sign-in, the administrator's desk, the recount itself.

Every route names its access rule with :func:`papertally.web.access.requires`; the app will not
start otherwise. County pages carry the county's id in their path, which the access check
resolves in the store and compares exactly with the signed-in clerk's county; a ward's id in a
path must name a ward of that county. Names never appear in paths: a ward may be "Ward 1/2".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from papertally.audit.sampling import natural_key
from papertally.errors import PapertallyError
from papertally.law.schema import OfficeType
from papertally.law.timezones import (
    DEFAULT_ZONE,
    STATE_TIME_ZONES,
    format_local,
    known_zone,
    local_deadline,
    local_time,
    state_time_zone,
)
from papertally.model.recount import (
    CountyAction,
    EntrySettings,
    Role,
    sheet_differences,
)
from papertally.reconcile import reconcile_counts
from papertally.reconcile.paper import (
    ChallengedBallot,
    PaperRecords,
    reconcile_paper_records,
)
from papertally.store.audits import AuditStore
from papertally.store.recounts import (
    MAX_VOTES_PER_CHOICE,
    Recount,
    StaleWriteError,
    StoredCheck,
    StoredSheet,
    StoredWard,
)
from papertally.store.uploads import UploadJobs
from papertally.web.access import Access, requires
from papertally.web.context import (
    MAX_ROW_ID,
    FieldError,
    path_id,
    render,
    require_county,
    require_principal,
    services,
    streams_body,
)
from papertally.web.exports import err_json, results_csv, results_json
from papertally.web.headers import REPORT_CSP
from papertally.web.service import Services, require
from papertally.web.upload_worker import run_canvass_job
from papertally.web.uploads import (
    MAX_CANVASS_FILES,
    admin_url,
    receive_form,
    start_job,
)
from papertally.workflows.recount import (
    RecountView,
    entry_warnings,
    findings_summary,
    law_findings,
)

router = APIRouter()

FormText = Annotated[str, Form()]
OptionalFormText = Annotated[str | None, Form()]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# The public results site (``/`` and ``/public/...``) is in :mod:`papertally.web.public_pages`.


@router.get("/home")
@requires(Access.SIGNED_IN)
def home(request: Request) -> Response:
    """Send each user to where their work is, with what to do next.

    The administrator goes to her desk; a clerk or board member whose only work is one county
    of one recount goes straight to it; everyone else (an audit board member, an observer, a
    county in several recounts and audits, or none yet) lands on a page listing each piece of
    work with its next step.
    """
    who = require_principal(request)
    if who.role is Role.ADMINISTRATOR:
        return _see_other("/admin")
    tasks = _tasks(request, who.role, who.county)
    if len(tasks) == 1 and tasks[0]["kind"] == "recount" and who.role is not Role.OBSERVER:
        return _see_other(str(tasks[0]["url"]))
    page: Response = render(request, "home.html", tasks=tasks)
    return page


def _tasks(request: Request, role: Role, county: str | None) -> list[dict[str, Any]]:
    """Return the open recounts and audits of a user's county (all of them for an observer),
    each with its page and the next step in plain words."""
    svc = services(request)
    tasks: list[dict[str, Any]] = []
    for recount in svc.recounts.recounts():
        if role is Role.OBSERVER:
            tasks.append(
                {
                    "kind": "recount",
                    "title": f"Recount {recount.id}: {recount.contest}",
                    "url": f"/recounts/{recount.id}",
                    "next": "follow the counties' progress on the dashboard"
                    if recount.status == "open"
                    else "certified: read the final results and the report",
                }
            )
            continue
        part = next((c for c in svc.recounts.counties(recount.id) if c.county == county), None)
        if part is None:
            continue
        tasks.append(
            {
                "kind": "recount",
                "title": f"Recount {recount.id}: {recount.contest}, {part.county} County",
                "url": f"/recounts/{recount.id}/counties/{part.id}",
                "next": _recount_next_step(request, recount.id, part.county, part.status.value)
                if recount.status == "open"
                else "certified: nothing left to do",
            }
        )
    audits = AuditStore(svc.engine)
    for audit in audits.audits():
        ids = audits.county_ids(audit.id)
        if role is Role.OBSERVER:
            url, step = f"/audits/{audit.id}", "follow the rounds; verify the public export"
        elif county in ids:
            url = f"/audits/{audit.id}/counties/{ids[county]}"
            step = _audit_next_step(audits, audit.id, audit.status, county, role)
        else:
            continue
        tasks.append({"kind": "audit", "title": f"Audit: {audit.name}", "url": url, "next": step})
    return tasks


def _recount_next_step(request: Request, recount_id: int, county: str, status: str) -> str:
    """Say what a county's clerk or board does next in a recount."""
    svc = services(request)
    if status in ("submitted", "accepted"):
        return f"{status}: the state reviews the county; nothing to enter unless it is returned"
    missing = svc.missing_wards(recount_id, county)
    if missing:
        return f"enter the tally sheets of {len(missing)} wards not yet recounted"
    if svc.recounts.settings(recount_id).double_entry:
        waiting = svc.recounts.sheets_awaiting_check(recount_id, county)
        if waiting:
            return f"{len(waiting)} tally sheets need their second, blind entry"
    return "every ward has a tally: the clerk checks the balance and submits the county"


def _audit_next_step(
    audits: AuditStore, audit_id: int, status: str, county: str, role: Role
) -> str:
    """Say what a county does next in an audit."""
    if status == "setup":
        return "upload the county's ballot manifest and CVR export"
    if status == "published":
        return "the files are published; wait for the state to enter the seed"
    if status == "complete":
        return "the audit is complete"
    rounds = audits.rounds(audit_id)
    number = len(rounds)
    mine = [c for c in audits.sample(audit_id, county=county) if c.round_number == number]
    entries = {e.sequence: e for e in audits.entries(audit_id, county=county)}
    left = sum(1 for c in mine if c.sequence not in entries)
    unsigned = len(audits.unsigned_entries(audit_id, county=county))
    parts = [f"round {number}: {left} of {len(mine)} cards to retrieve and read"]
    if unsigned:
        parts.append(f"{unsigned} readings await a second board member's sign-off")
    return "; ".join(parts)


# -- administrator ------------------------------------------------------------------------------


def _zones() -> list[str]:
    """Return the zones offered on forms: the states' zones, then UTC."""
    return [*sorted(set(STATE_TIME_ZONES.values())), DEFAULT_ZONE]


def _admin_page(
    request: Request,
    *,
    message: str | None = None,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Any:
    """Render the administrator's desk, with a refused form's values and errors kept."""
    svc = services(request)
    elections = svc.store.list_elections()
    recounts = svc.recounts.recounts()
    return render(
        request,
        "admin.html",
        next_steps=_admin_next_steps(svc, bool(elections), recounts),
        status_code=status_code,
        elections=elections,
        contests=svc.recounts.contest_names(),
        election_zones={e.id: _state_zone(e.state) for e in elections},
        zones=_zones(),
        recounts=recounts,
        recount_zones={r.id: svc.recounts.settings(r.id).time_zone for r in recounts},
        users=svc.users.users(),
        roles=list(Role),
        counties=svc.recounts.known_counties(),
        offices=list(OfficeType),
        message=message,
        typed=typed or {},
        errors=errors or {},
        awaits_baseline=svc.recounts.awaits_baseline(),
    )


def _admin_next_steps(svc: Services, any_election: bool, recounts: list[Recount]) -> list[str]:
    """Say what the administrator does next: import, open a recount, add users, review the
    counties that submitted, certify."""
    if not any_election:
        return ["Import the canvass (the results to recount) with the form below."]
    steps = []
    if not recounts:
        steps.append("Open a recount of a contest of the imported election.")
    if len(svc.users.users()) <= 1:
        steps.append("Add the county clerks and board members on the Users page.")
    for recount in recounts:
        if recount.status != "open":
            continue
        counties = svc.recounts.counties(recount.id)
        submitted = [c.county for c in counties if c.status.value == "submitted"]
        if submitted:
            steps.append(
                f"Recount {recount.id}: review {len(submitted)} submitted counties "
                f"({', '.join(submitted[:5])}{'…' if len(submitted) > 5 else ''})."
            )
        elif counties and all(c.status.value == "accepted" for c in counties):
            steps.append(f"Recount {recount.id}: every county is accepted; certify the result.")
    return steps or ["Nothing waits for you: follow the recounts on their dashboards."]


def _state_zone(state: str | None) -> str:
    """Return a state's zone, UTC for an election whose state is unknown to the law rules."""
    try:
        return state_time_zone(state)
    except PapertallyError:
        return DEFAULT_ZONE


@router.get("/admin", response_class=HTMLResponse)
@requires(Access.ADMINISTRATOR)
def admin_desk(request: Request, message: str | None = None) -> Any:
    """Elections, recounts and users, with the forms to add them."""
    return _admin_page(request, message=message)


@router.post("/admin/import")
@requires(Access.ADMINISTRATOR)
@streams_body
async def admin_import(request: Request) -> Response:
    """Import a canvass (one or more files read together), as one transaction: the files are
    streamed to disk, then read by a worker while the page follows it
    (:mod:`papertally.web.uploads`)."""
    who = require_principal(request)
    form = await receive_form(request, file_field="files", max_files=MAX_CANVASS_FILES)
    require(bool(form.files), "choose at least one file to import")
    target = {
        "name": form.fields.get("name", "").strip() or None,
        "files": [
            {
                "filename": f.filename,
                "key": f.blob.key,
                "sha256": f.blob.sha256,
                "size": f.blob.size,
            }
            for f in form.files
        ],
    }
    jobs = UploadJobs(services(request).engine)
    job_id = await run_in_threadpool(lambda: jobs.create("canvass", target, actor=who.username))
    return await start_job(
        request,
        run_canvass_job,
        job_id,
        done_url=admin_url,
        status_url=f"/admin/imports/{job_id}",
    )


@router.post("/admin/recounts", response_class=HTMLResponse)
@requires(Access.ADMINISTRATOR)
def admin_open_recount(
    request: Request,
    election_id: FormText,
    contest: FormText,
    reason: FormText,
    deadline: FormText,
    starts_on: OptionalFormText = None,
    method: OptionalFormText = None,
    office: OptionalFormText = None,
    deadline_time: OptionalFormText = None,
    time_zone: OptionalFormText = None,
    show_canvass: OptionalFormText = None,
    double_entry: OptionalFormText = None,
) -> Any:
    """Open a recount of a contest of an imported election, with the law's findings.

    The deadline is read on the clock of the recount's zone (the election's state's, unless
    another is chosen) and must lie in the future. A refused form comes back with what was
    typed and the message beside its field.
    """
    typed = {
        "election_id": election_id,
        "contest": contest,
        "reason": reason,
        "deadline": deadline,
        "deadline_time": deadline_time or "",
        "starts_on": starts_on or "",
        "method": method or "",
        "office": office or "",
        "time_zone": time_zone or "",
        "show_canvass": show_canvass or "",
        "double_entry": double_entry or "",
    }
    try:
        recount_id = _open_recount(request, typed)
    except PapertallyError as error:
        field = error.field if isinstance(error, FieldError) else "form"
        return _admin_page(request, typed=typed, errors={field: str(error)}, status_code=400)
    return _see_other(f"/recounts/{recount_id}")


def _open_recount(request: Request, typed: dict[str, str]) -> int:
    """Check the form of a new recount and open it; a :class:`FieldError` names the field."""
    who = require_principal(request)
    svc = services(request)
    chosen_id = _form_id(typed["election_id"], "election")
    elections = {e.id: e for e in svc.store.list_elections()}
    if chosen_id not in elections:
        raise FieldError("election_id", f"election: there is no election {chosen_id}")
    method, office = typed["method"], typed["office"]
    if method not in ("", "hand", "machine"):
        raise FieldError("method", f"method: {method[:40]!r} is neither 'hand' nor 'machine'")
    if office not in ("", *(o.value for o in OfficeType)):
        raise FieldError(
            "office", f"office: {office[:40]!r} is not a kind of office this app knows"
        )
    if not typed["reason"].strip():
        raise FieldError("reason", "reason: say why the recount is held")
    if typed["contest"] not in svc.recounts.contest_names().get(chosen_id, []):
        raise FieldError(
            "contest",
            f"contest: election {chosen_id} has no contest {typed['contest'][:60]!r}; "
            "choose one from the list",
        )
    zone = typed["time_zone"].strip() or _state_zone(elections[chosen_id].state)
    try:
        known_zone(zone)
    except PapertallyError as error:
        raise FieldError("time_zone", str(error)) from None
    due = _parse_deadline(typed["deadline"], typed["deadline_time"], zone)
    start = _parse_day(typed["starts_on"], "start date") if typed["starts_on"] else None
    election = svc.store.load_election(chosen_id)
    chosen = election.contest(typed["contest"])
    base = election.count(chosen.name, "original canvass")
    units = {uid: election.units[uid].county for uid in base.units}
    counties = set(units.values())
    return svc.recounts.open_recount(
        election_id=chosen_id,
        contest=chosen.name,
        units=units,
        reason=typed["reason"],
        deadline=due,
        actor=who.username,
        starts_on=start,
        methods=dict.fromkeys(counties, method or "hand"),
        findings=law_findings(election, chosen, base, office or None),
        settings=EntrySettings(
            time_zone=zone,
            show_canvass=bool(typed["show_canvass"]),
            double_entry=bool(typed["double_entry"]),
        ),
    )


FIRST_YEAR, LAST_YEAR = 2000, 2199
"""Dates a recount may name: anything else is a typing mistake (and year 9999 plus a time zone
would not fit the database)."""


def _form_id(text: str, what: str) -> int:
    """Read a row id from a form field: ASCII digits naming a 32-bit id, else a user error."""
    cleaned = text.strip()
    if not (cleaned.isascii() and cleaned.isdigit()) or not 1 <= int(cleaned[:11]) <= MAX_ROW_ID:
        raise FieldError(f"{what}_id", f"{what}: {text[:40]!r} is not the number of an {what}")
    return int(cleaned)


def _parse_day(text: str, what: str) -> date:
    """Read a day such as 2016-12-12, between :data:`FIRST_YEAR` and :data:`LAST_YEAR`."""
    field = "starts_on" if what == "start date" else "deadline"
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise FieldError(field, f"{what}: {text[:40]!r} is not a date like 2016-12-12") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise FieldError(field, f"{what}: {day} is not between {FIRST_YEAR} and {LAST_YEAR}")
    return day


def _parse_deadline(text: str, at: str, zone: str) -> datetime:
    """Read a deadline on the clock of ``zone``: a day (at ``at``, else 11:59 pm) or a date and
    time; one in the past is refused (it would make every county late at once)."""
    cleaned = text.strip()
    if len(cleaned) == 10:
        day = _parse_day(cleaned, "deadline")
        try:
            hour = time.fromisoformat(at.strip()) if at.strip() else None
        except ValueError:
            raise FieldError(
                "deadline_time", f"time: {at[:20]!r} is not a time like 17:00"
            ) from None
        due = local_deadline(day, hour, zone)
    else:
        try:
            moment = datetime.fromisoformat(cleaned)
        except ValueError:
            raise FieldError(
                "deadline", f"deadline: {text[:40]!r} is not a date like 2016-12-12"
            ) from None
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise FieldError(
                "deadline", f"deadline: {moment} is not between {FIRST_YEAR} and {LAST_YEAR}"
            )
        due = moment if moment.tzinfo else moment.replace(tzinfo=known_zone(zone))
    if due <= datetime.now(UTC):
        raise FieldError(
            "deadline",
            f"deadline: {format_local(due, zone)} is in the past; give a day still to come",
        )
    return due.astimezone(UTC)


# -- the recount --------------------------------------------------------------------------------


@router.get("/recounts/{recount_id}", response_class=HTMLResponse)
@requires(Access.STATE_READ)
def recount_dashboard(request: Request, recount_id: int) -> Any:
    """The statewide dashboard: counties, wards and votes recounted, net change, flags, pace."""
    return _dashboard(request, recount_id)


def _dashboard(
    request: Request,
    recount_id: int,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Any:
    """Render the dashboard; after a refused change of settings, with the message beside it."""
    svc = services(request)
    view = svc.recount_view(recount_id)
    settings = svc.recounts.settings(recount_id)
    return render(
        request,
        "dashboard.html",
        view=view,
        progress=svc.progress(view),
        counties=svc.recounts.counties(recount_id),
        findings=findings_summary(view.recount.findings),
        zone=settings.time_zone,
        settings=settings,
        zones=_zones(),
        errors=errors or {},
        status_code=status_code,
    )


@router.post("/recounts/{recount_id}/settings", response_class=HTMLResponse)
@requires(Access.ADMINISTRATOR)
def recount_settings(
    request: Request,
    recount_id: int,
    time_zone: FormText,
    show_canvass: OptionalFormText = None,
    double_entry: OptionalFormText = None,
) -> Any:
    """Change an open recount's time zone, canvass figures and double entry (logged); what
    would break blindness once counting started is refused beside the form
    (:meth:`RecountStore.change_settings`)."""
    who = require_principal(request)
    svc = services(request)
    try:
        try:
            known_zone(time_zone.strip())
        except PapertallyError as error:
            raise FieldError("settings", str(error)) from None
        chosen = EntrySettings(time_zone.strip(), show_canvass == "yes", double_entry == "yes")
        svc.recounts.change_settings(recount_id, chosen, actor=who.username)
    except PapertallyError as error:
        return _dashboard(request, recount_id, errors={"settings": str(error)}, status_code=400)
    return _see_other(f"/recounts/{recount_id}")


@router.get("/recounts/{recount_id}/live", response_class=HTMLResponse)
@requires(Access.STATE_READ)
def recount_dashboard_live(request: Request, recount_id: int) -> Any:
    """The dashboard's figures alone, fetched again every few seconds by the page."""
    svc = services(request)
    view = svc.recount_view(recount_id)
    return render(
        request,
        "_figures.html",
        view=view,
        progress=svc.progress(view),
        zone=svc.recounts.settings(recount_id).time_zone,
    )


@router.post("/recounts/{recount_id}/counties/{county_id}/review")
@requires(Access.ADMINISTRATOR)
def review_county(
    request: Request,
    recount_id: int,
    county_id: int,
    decision: FormText,
    note: OptionalFormText = None,
) -> Response:
    """Accept a submitted county, or return it for correction with a note.

    Returning an accepted county is the one way to reopen it (logged like every step): its
    plan, tallies and paper records are frozen from acceptance until then, and for good once
    the recount is certified.
    """
    who = require_principal(request)
    county = require_county(request)
    action = {"accept": CountyAction.ACCEPT, "return": CountyAction.RETURN}.get(decision)
    require(action is not None, f"decision: {decision[:40]!r} is neither 'accept' nor 'return'")
    assert action is not None
    services(request).recounts.county_step(
        recount_id, county, action, actor=who.username, role=who.role, note=note
    )
    return _see_other(f"/recounts/{recount_id}")


@router.post("/recounts/{recount_id}/certify")
@requires(Access.ADMINISTRATOR)
def certify(request: Request, recount_id: int) -> Response:
    """Certify the statewide result once every county is accepted."""
    who = require_principal(request)
    svc = services(request)
    view = svc.recount_view(recount_id)
    totals = svc.progress(view).so_far.totals
    svc.recounts.certify(recount_id, actor=who.username, totals=totals)
    return _see_other(f"/recounts/{recount_id}")


@router.get("/recounts/{recount_id}/counties/{county_id}", response_class=HTMLResponse)
@requires(Access.COUNTY_READ)
def county_page(request: Request, recount_id: int, county_id: int, q: str | None = None) -> Any:
    """A county's wards in natural order (Ward 2 before Ward 10), filtered by ``q`` (part of a
    name: Dane County has 225 wards); recounted or not, changes, balance; the county's steps.

    Under a blind tally the canvass of a ward not yet recounted is not shown."""
    return _county_page(request, recount_id, q=q)


def _county_page(
    request: Request,
    recount_id: int,
    *,
    q: str | None = None,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Any:
    """Render a county's page; after a refused step, with the message beside its form."""
    county = require_county(request)
    svc = services(request)
    view = svc.recount_view(recount_id)
    progress = svc.progress(view, county=county)
    part = svc.recounts.county(recount_id, county)
    sheets = svc.recounts.sheets(recount_id, county=county)
    records = {r.unit: r.records for r in svc.recounts.paper_records(recount_id, county=county)}
    recounted: dict[str, dict[str, int]] = {}
    for sheet in sheets:
        ward = recounted.setdefault(sheet.unit, {})
        for choice, n in sheet.votes.items():
            ward[choice] = ward.get(choice, 0) + n
    settings = svc.recounts.settings(recount_id)
    awaiting = (
        svc.recounts.sheets_awaiting_check(recount_id, county) if settings.double_entry else []
    )
    unsettled = {s.unit for s in awaiting}
    wanted = (q or "").strip().casefold()[:100]
    wards = []
    every_ward = svc.recounts.wards(recount_id, county)
    for stored in every_ward:
        unit = stored.unit
        if wanted and wanted not in view.election.units[unit].name.casefold():
            continue
        original = view.base.units[unit].votes
        votes = recounted.get(unit)
        balance = (
            reconcile_paper_records(
                unit, county, records[unit], votes or {}, votes_allowed=view.contest.votes_allowed
            )
            if unit in records
            else None
        )
        wards.append(
            {
                "id": unit,
                "ward_id": stored.id,
                "name": view.election.units[unit].name,
                "version": stored.version,
                "original": original,
                "recount": None if unit in unsettled else votes,
                "unsettled": unit in unsettled,
                "change": None
                if votes is None or unit in unsettled
                else {c: votes.get(c, 0) - original.get(c, 0) for c in view.choices},
                "balance": None if unit in unsettled else balance,
            }
        )
    wards.sort(key=lambda w: natural_key(str(w["name"])))
    return render(
        request,
        "county.html",
        view=view,
        county=part,
        progress=progress,
        wards=wards,
        settings=settings,
        query=wanted,
        ward_count=len(every_ward),
        missing=svc.missing_wards(recount_id, county),
        awaiting=awaiting,
        typed=typed or {},
        errors=errors or {},
        status_code=status_code,
    )


@router.post("/recounts/{recount_id}/counties/{county_id}/plan", response_class=HTMLResponse)
@requires(Access.COUNTY_WRITE)
def county_plan(
    request: Request,
    recount_id: int,
    county_id: int,
    method: OptionalFormText = None,
    cost_estimate: OptionalFormText = None,
) -> Any:
    """Record the county's recount method and cost estimate (dollars); a refused amount comes
    back beside its field, as typed."""
    who = require_principal(request)
    county = require_county(request)
    try:
        cents = _dollars_to_cents(cost_estimate) if cost_estimate else None
        services(request).recounts.set_county_plan(
            recount_id,
            county,
            actor=who.username,
            method=method or None,
            cost_estimate_cents=cents,
        )
    except PapertallyError as error:
        typed = {"method": method or "", "cost_estimate": cost_estimate or ""}
        return _county_page(
            request, recount_id, typed=typed, errors={"plan": str(error)}, status_code=400
        )
    return _see_other(f"/recounts/{recount_id}/counties/{county_id}")


_DOLLARS = re.compile(r"\$?\s*(\d{1,3}(?:,\d{3})+|\d{1,10})(?:\.(\d{1,2}))?")


def _dollars_to_cents(text: str) -> int:
    """Read an amount of dollars such as ``12,500`` or ``$980.50`` as cents.

    Plain ASCII digits only (no exponents, ``inf``, superscripts or a sign), so that what is
    stored is what the clerk typed; the store bounds the amount.
    """
    match = _DOLLARS.fullmatch(text.strip())
    if match is None:
        raise PapertallyError(
            f"cost estimate: {text[:40]!r} is not an amount of dollars like 12,500 or 980.50"
        )
    whole, cents = match.group(1).replace(",", ""), (match.group(2) or "0").ljust(2, "0")
    return int(whole) * 100 + int(cents)


@router.post("/recounts/{recount_id}/counties/{county_id}/submit", response_class=HTMLResponse)
@requires(Access.CLERK)
def submit_county(request: Request, recount_id: int, county_id: int) -> Any:
    """Submit the county's recount to the state once every ward has a tally (and, with double
    entry, every sheet its second entry); a refusal is shown on the county's page."""
    who = require_principal(request)
    county = require_county(request)
    svc = services(request)
    try:
        missing = svc.missing_wards(recount_id, county)
        names = ", ".join(m.partition("|")[2] for m in missing[:5])
        more = "…" if len(missing) > 5 else ""
        require(not missing, f"{len(missing)} wards have no tally sheet yet: {names}{more}")
        part = svc.recounts.county(recount_id, county)
        if part.status.value == "not started":
            svc.recounts.county_step(
                recount_id, county, CountyAction.START, actor=who.username, role=who.role
            )
        svc.recounts.county_step(
            recount_id, county, CountyAction.SUBMIT, actor=who.username, role=who.role
        )
    except PapertallyError as error:
        return _county_page(request, recount_id, errors={"submit": str(error)}, status_code=400)
    return _see_other(f"/recounts/{recount_id}/counties/{county_id}")


def _path_ward(request: Request, recount_id: int, county: str) -> StoredWard:
    """Return the ward the path names by id; refuse one of another county (404, exact names)."""
    ward_id = path_id(request, "ward_id")
    ward = services(request).recounts.ward_by_id(recount_id, ward_id)
    if ward is None or ward.county != county:
        raise HTTPException(status_code=404, detail=f"there is no ward {ward_id} in {county}")
    return ward


def _sheet_states(
    sheets: list[StoredSheet],
    checks: dict[int, list[StoredCheck]],
    *,
    double_entry: bool,
    me: str,
) -> list[dict[str, Any]]:
    """Return each current sheet with where its double entry stands and whether ``me`` may see
    its figures: a sheet awaiting its blind second entry is hidden from all but who entered it;
    a second entry that differed shows both, to be settled by a correction."""
    found = []
    for sheet in sheets:
        mine = checks.get(sheet.id, [])
        matched = next((c for c in mine if c.matched), None)
        if not double_entry:
            state = "single"
        elif matched is not None:
            state = "checked"
        elif mine:
            state = "differs"
        else:
            state = "awaiting"
        last = matched or (mine[-1] if mine else None)
        found.append(
            {
                "sheet": sheet,
                "state": state,
                "visible": state != "awaiting" or sheet.entered_by == me,
                "check": last,
                "differences": sheet_differences(sheet.votes, last.votes) if last else {},
            }
        )
    return found


def _ward_page(
    request: Request,
    recount_id: int,
    *,
    conflict: str | None = None,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    warnings: list[str] | None = None,
    status_code: int = 200,
) -> Any:
    """Render a ward; after a refused write, with what was typed, the message beside its field,
    the warnings to confirm, or the newer version beside the entry (edit conflict)."""
    svc = services(request)
    who = require_principal(request)
    county = require_county(request)
    ward = _path_ward(request, recount_id, county)
    unit = ward.unit
    view = svc.recount_view(recount_id)
    settings = svc.recounts.settings(recount_id)
    history = svc.recounts.sheets(recount_id, unit=unit, include_history=True)
    current = [s for s in history if s.superseded_by is None and not s.voided]
    checks = svc.recounts.checks(recount_id, unit=unit)
    states = _sheet_states(current, checks, double_entry=settings.double_entry, me=who.username)
    if settings.double_entry:
        # a sheet corrected before any second entry was never shown to anyone else: its
        # figures would reveal the first entry of the sheet now awaiting a blind check
        history = [
            s
            for s in history
            if s.superseded_by is None or s.entered_by == who.username or s.id in checks
        ]
    all_visible = all(s["visible"] for s in states)
    records = next(
        (r for r in svc.recounts.paper_records(recount_id, county=county) if r.unit == unit), None
    )
    summed: dict[str, int] = {}
    for sheet in current:
        for choice, n in sheet.votes.items():
            summed[choice] = summed.get(choice, 0) + n
    balance = (
        reconcile_paper_records(
            unit, county, records.records, summed, votes_allowed=view.contest.votes_allowed
        )
        if records and all_visible
        else None
    )
    return render(
        request,
        "ward.html",
        view=view,
        county=county,
        county_id=path_id(request, "county_id"),
        ward=ward,
        unit=view.election.units[unit],
        version=ward.version,
        current=current,
        states=states,
        history=history,
        summed=summed if current and all_visible else None,
        original=view.base.units[unit].votes,
        show_original=settings.show_canvass or (bool(current) and all_visible),
        settings=settings,
        records=records,
        balance=balance,
        conflict=conflict,
        typed=typed or {},
        errors=errors or {},
        warnings=warnings or [],
        status_code=status_code,
    )


@router.get(
    "/recounts/{recount_id}/counties/{county_id}/wards/{ward_id}", response_class=HTMLResponse
)
@requires(Access.COUNTY_READ)
def ward_page(request: Request, recount_id: int, county_id: int, ward_id: int) -> Any:
    """A ward: its tally sheets (with history), the sum, the paper records and their balance."""
    return _ward_page(request, recount_id)


@dataclass(frozen=True)
class _WardEntry:
    """What every write to a ward carries: who, the ward version seen, and why (corrections)."""

    actor: str
    version: int
    reason: str | None


async def _write_ward(
    request: Request,
    recount_id: int,
    kind: str,
    write: Callable[[Services, RecountView, FormData, _WardEntry, StoredWard], object],
) -> Any:
    """Run one write to a ward from form ``kind``; whatever is refused comes back on the ward's
    page with what was typed: a stale version beside the newer ward (409), a mistake beside
    its field (400), warnings to confirm (422)."""
    who = require_principal(request)
    svc = services(request)
    county = require_county(request)
    ward = _path_ward(request, recount_id, county)
    view = svc.recount_view(recount_id)
    form = await request.form()
    typed = {k: str(v)[:20_000] for k, v in form.items() if isinstance(v, str)}
    typed["form"] = kind
    try:
        reason = str(form.get("reason") or "").strip() or None
        entry = _WardEntry(who.username, _whole_number(form.get("version"), "version"), reason)
        write(svc, view, form, entry, ward)
    except StaleWriteError as stale:
        return _ward_page(request, recount_id, conflict=str(stale), typed=typed, status_code=409)
    except _Unconfirmed as unconfirmed:
        return _ward_page(
            request, recount_id, typed=typed, warnings=unconfirmed.warnings, status_code=422
        )
    except PapertallyError as error:
        field = error.field if isinstance(error, FieldError) else "form"
        return _ward_page(
            request, recount_id, typed=typed, errors={field: str(error)}, status_code=400
        )
    county_id = path_id(request, "county_id")
    return _see_other(f"/recounts/{recount_id}/counties/{county_id}/wards/{ward.id}")


class _Unconfirmed(Exception):
    """A sheet whose figures need the clerk's confirmation before they are saved."""

    def __init__(self, warnings: list[str]) -> None:
        self.warnings = warnings
        super().__init__("; ".join(warnings))


def _sheet_votes(view: RecountView, form: FormData) -> dict[str, int]:
    """Read every choice's votes from a sheet form; an empty field is a mistake, never 0."""
    return {c: _whole_number(form.get(f"votes::{c}"), c, field=f"votes::{c}") for c in view.choices}


@router.post(
    "/recounts/{recount_id}/counties/{county_id}/wards/{ward_id}/sheets",
    response_class=HTMLResponse,
)
@requires(Access.COUNTY_WRITE)
async def enter_sheet(request: Request, recount_id: int, county_id: int, ward_id: int) -> Any:
    """Enter (or correct) one tally sheet of a ward.

    Before saving, the sheet's votes are checked against the ballots it counted (where given)
    and the ward's against its ballots counted (paper records); anything odd is shown as a
    warning the clerk confirms (``confirmed=yes``) or corrects.
    """

    def write(
        svc: Services, view: RecountView, form: FormData, entry: _WardEntry, ward: StoredWard
    ) -> object:
        votes = _sheet_votes(view, form)
        label = str(form.get("label") or "sheet 1").strip() or "sheet 1"
        sheet_ballots = form.get("sheet_ballots")
        if form.get("confirmed") != "yes":
            warnings = entry_warnings(
                svc.recounts,
                view,
                ward.unit,
                label,
                votes,
                sheet_ballots=None
                if sheet_ballots in (None, "")
                else _whole_number(sheet_ballots, "ballots on this sheet", field="sheet_ballots"),
                actor=entry.actor,
            )
            if warnings:
                raise _Unconfirmed(warnings)
        return svc.recounts.enter_tally_sheet(
            recount_id,
            ward.unit,
            label,
            votes,
            expected_version=entry.version,
            actor=entry.actor,
            reason=entry.reason,
            county=ward.county,
        )

    return await _write_ward(request, recount_id, "sheet", write)


@router.post(
    "/recounts/{recount_id}/counties/{county_id}/wards/{ward_id}/checks",
    response_class=HTMLResponse,
)
@requires(Access.COUNTY_WRITE)
async def check_sheet(request: Request, recount_id: int, county_id: int, ward_id: int) -> Any:
    """Enter a sheet a second time, blind, as another person (double entry): matching figures
    settle it; differing ones are shown beside the first entry, to be settled by a correction."""

    def write(
        svc: Services, view: RecountView, form: FormData, entry: _WardEntry, ward: StoredWard
    ) -> object:
        return svc.recounts.check_tally_sheet(
            recount_id,
            ward.unit,
            str(form.get("label") or ""),
            _sheet_votes(view, form),
            expected_version=entry.version,
            actor=entry.actor,
            county=ward.county,
            role=require_principal(request).role,
        )

    return await _write_ward(request, recount_id, "check", write)


@router.post(
    "/recounts/{recount_id}/counties/{county_id}/wards/{ward_id}/records",
    response_class=HTMLResponse,
)
@requires(Access.COUNTY_WRITE)
async def enter_records(request: Request, recount_id: int, county_id: int, ward_id: int) -> Any:
    """Enter the ward's paper-record counts and challenged ballots."""

    def write(
        svc: Services, _view: RecountView, form: FormData, entry: _WardEntry, ward: StoredWard
    ) -> object:
        def optional(name: str) -> int | None:
            value = form.get(name)
            return (
                None
                if value in (None, "")
                else _whole_number(value, name.replace("_", " "), field=name)
            )

        records = PaperRecords(
            poll_book_voters=optional("poll_book_voters"),
            ballots_issued=optional("ballots_issued"),
            ballots_counted=optional("ballots_counted"),
            absentee_envelopes=optional("absentee_envelopes"),
            absentee_ballots=optional("absentee_ballots"),
            challenged=_challenged(str(form.get("challenged") or "")),
        )
        return svc.recounts.enter_paper_records(
            recount_id,
            ward.unit,
            records,
            expected_version=entry.version,
            actor=entry.actor,
            reason=entry.reason,
            county=ward.county,
        )

    return await _write_ward(request, recount_id, "records", write)


def _whole_number(value: Any, what: str, *, field: str | None = None) -> int:
    """Read a count typed in a form: ASCII digits (thousands commas allowed), at most 10 of them.

    ``str.isdigit`` alone would let superscripts through (``int("²")`` fails) and thousands
    of digits would be read at length before the store refused them.
    """
    text = str(value if value is not None else "").strip().replace(",", "")
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        raise FieldError(
            field or what.replace(" ", "_"),
            f"{what}: enter a whole number from 0 to {MAX_VOTES_PER_CHOICE:,} (got {text[:40]!r})",
        )
    return int(text)


def _challenged(text: str) -> tuple[ChallengedBallot, ...]:
    """Read challenged ballots, one line each: ``count | reason | counted or rejected``."""
    found: list[ChallengedBallot] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if (
            len(parts) != 3
            or not (parts[0].isascii() and parts[0].isdigit() and len(parts[0]) <= 10)
            or parts[2].lower() not in {"counted", "rejected"}
        ):
            raise PapertallyError(
                f"challenged ballots, line {number}: write 'count | reason | counted' or "
                f"'count | reason | rejected', not {line.strip()!r}"
            )
        found.append(ChallengedBallot(parts[1], int(parts[0]), parts[2].lower() == "rejected"))
    return tuple(found)


# -- log and exports ----------------------------------------------------------------------------


@router.get("/activity", response_class=HTMLResponse)
@requires(Access.STATE_READ)
def activity_page(request: Request) -> Any:
    """The activity log, newest first, with the result of verifying the chain; times on the
    clock of the newest recount (else audit), to the minute (entries are ordered by number)."""
    svc = services(request)
    entries = svc.recounts.activity()
    recounts = svc.recounts.recounts()
    audits = AuditStore(svc.engine).audits()
    zone = (
        svc.recounts.settings(recounts[0].id).time_zone
        if recounts
        else AuditStore(svc.engine).settings(audits[0].id).time_zone
        if audits
        else DEFAULT_ZONE
    )
    return render(
        request,
        "activity.html",
        entries=list(reversed(entries))[:500],
        verification=svc.recounts.verify_log(),
        zone=zone,
    )


@router.get("/activity/export.json")
@requires(Access.STATE_READ)
def activity_export(request: Request) -> Response:
    """The whole activity log as JSON, with its head hash for observers to keep."""
    svc = services(request)
    entries = svc.recounts.activity()
    body = {
        "head_hash": entries[-1].entry_hash if entries else None,
        "entries": [{**e.payload(), "entry_hash": e.entry_hash} for e in entries],
    }
    return _download(
        json.dumps(body, indent=1, default=str), "activity-log.json", "application/json"
    )


@router.get("/recounts/{recount_id}/export/results.csv")
@requires(Access.STATE_READ)
def export_csv(request: Request, recount_id: int) -> Response:
    """The recount's results per ward as CSV (generic CSV columns)."""
    svc = services(request)
    view = svc.recount_view(recount_id)
    return _download(
        results_csv(view, svc.recount_count(view)), f"recount-{recount_id}.csv", "text/csv"
    )


@router.get("/recounts/{recount_id}/export/results.json")
@requires(Access.STATE_READ)
def export_json(request: Request, recount_id: int) -> Response:
    """The recount's results per ward and in total as JSON."""
    svc = services(request)
    view = svc.recount_view(recount_id)
    return _download(
        results_json(view, svc.recount_count(view)),
        f"recount-{recount_id}.json",
        "application/json",
    )


@router.get("/recounts/{recount_id}/export/err.json")
@requires(Access.STATE_READ)
def export_err(request: Request, recount_id: int) -> Response:
    """The recount's results as NIST SP 1500-100 v2 election results (Status = recount)."""
    svc = services(request)
    view = svc.recount_view(recount_id)
    return _download(
        err_json(view, svc.recount_count(view)),
        f"recount-{recount_id}-err.json",
        "application/json",
    )


def _recount_report_html(request: Request, recount_id: int) -> str:
    """Return the reconciliation report of the wards recounted so far."""
    svc = services(request)
    view = svc.recount_view(recount_id)
    recount = svc.recount_count(view)
    require(bool(recount.units), "no ward has been recounted yet")
    compared = {uid: view.base.units[uid] for uid in recount.units}
    base = replace(view.base, units=compared)
    rec = reconcile_counts(base, recount, view.election.units, contest=view.contest)
    from papertally.report.html import render_html_report

    return render_html_report(
        rec,
        election_name=view.election.name,
        sources=[f"papertally recount {recount_id}, wards recounted so far: {len(recount.units)}"],
        generated_at=local_time(datetime.now(UTC), svc.recounts.settings(recount_id).time_zone),
    )


@router.get("/recounts/{recount_id}/report.html", response_class=HTMLResponse)
@requires(Access.STATE_READ)
def recount_report(request: Request, recount_id: int) -> HTMLResponse:
    """The reconciliation report: the recount so far against the original canvass."""
    return HTMLResponse(
        _recount_report_html(request, recount_id),
        headers={"Content-Security-Policy": REPORT_CSP},
    )


@router.get("/recounts/{recount_id}/report.pdf")
@requires(Access.STATE_READ)
def recount_report_pdf(request: Request, recount_id: int) -> Response:
    """The reconciliation report as PDF."""
    from papertally.report.pdf import html_to_pdf

    pdf = html_to_pdf(_recount_report_html(request, recount_id))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="recount-{recount_id}.pdf"'},
    )


def _download(body: str, filename: str, media_type: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
