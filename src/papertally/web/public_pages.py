"""The public results and audit site: no account needed, cacheable, fast.

What is shown is decided in :mod:`papertally.workflows.public` (published information only);
this module holds the routes, their downloads (CSV and JSON of every table, the audit's export
for ``papertally verify`` once complete) and their caching:

* every answer carries an ``ETag`` and ``Last-Modified`` from the store's stamp of the recount
  or audit (:mod:`papertally.store.public`) and the imported election's version, so a browser or
  a proxy revalidates with one cheap query and gets ``304 Not Modified`` (RFC 9110 section 13);
* anonymous answers may be kept by shared caches for :data:`MAX_AGE` seconds and never set a
  cookie; a signed-in user's page names her in its header, so it stays ``no-store`` like every
  other page of the app;
* each process keeps the last few summaries built, under the stamp they were built from, and
  uses one only while the store still gives that stamp (like the election cache of
  :class:`papertally.web.service.Services`);
* while clerks enter tallies the stamp changes every few seconds, so a process publishes a new
  stamp of a recount or audit at most every ``$PAPERTALLY_PUBLIC_REFRESH_SECONDS`` (default
  :data:`DEFAULT_REFRESH_SECONDS`; 0: at once), as election-night sites refresh on a cadence:
  the summary of a 3,600-ward state is then rebuilt at most that often, whatever the traffic.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from papertally import __version__
from papertally.csv_safe import csv_writer
from papertally.io.audit_export import audit_export_zip
from papertally.model.recount import Role
from papertally.store.audits import AuditStore
from papertally.store.public import StateStamp, audit_stamp, recount_stamp
from papertally.web.access import Access, requires
from papertally.web.context import TEMPLATES, csrf_token, principal, services
from papertally.web.exports import results_csv
from papertally.web.service import require
from papertally.workflows.public import (
    PublicAudit,
    PublicRecount,
    WardLine,
    audit_json,
    is_public_audit,
    public_audit,
    public_recount,
    public_wards,
    recount_json,
)

router = APIRouter()

MAX_AGE = 30
"""Seconds a browser or shared cache may reuse an anonymous public answer without asking."""
CACHED_VIEWS = 256
"""Summaries, download bodies and anonymous answers one process keeps, each under its stamp
(a few megabytes for a 72-county state: the largest, the JSON download, is 1.3 MB)."""
REFRESH_ENV = "PAPERTALLY_PUBLIC_REFRESH_SECONDS"
DEFAULT_REFRESH_SECONDS = 10.0
"""How long a process keeps publishing a recount's or audit's stamp after the store moved on."""


def refresh_seconds() -> float:
    """Return ``$PAPERTALLY_PUBLIC_REFRESH_SECONDS`` (a number of seconds, 0 to 3600), else
    :data:`DEFAULT_REFRESH_SECONDS`."""
    try:
        chosen = float(os.environ.get(REFRESH_ENV, DEFAULT_REFRESH_SECONDS))
    except ValueError:
        return DEFAULT_REFRESH_SECONDS
    return DEFAULT_REFRESH_SECONDS if math.isnan(chosen) else min(max(chosen, 0.0), 3600.0)


T = TypeVar("T")


class _ViewCache:
    """The last :data:`CACHED_VIEWS` summaries built, each under the stamp it was built from."""

    def __init__(self) -> None:
        self._views: OrderedDict[tuple[str, int], tuple[str, object]] = OrderedDict()
        self._published: dict[tuple[str, int], tuple[float, StateStamp]] = {}
        self._building: dict[tuple[str, int], threading.Lock] = {}
        self._lock = threading.Lock()

    def settle(self, key: tuple[str, int], live: StateStamp) -> StateStamp:
        """Return the stamp to publish for ``key``: the one published last while it is younger
        than :func:`refresh_seconds`, else ``live`` (published from now on)."""
        now = time.monotonic()
        with self._lock:
            found = self._published.get(key)
            if found is not None and (found[1] == live or now - found[0] < refresh_seconds()):
                return found[1]
            self._published[key] = (now, live)
            return live

    def _found(self, key: tuple[str, int], token: str) -> tuple[bool, object]:
        with self._lock:
            found = self._views.get(key)
            if found is not None and found[0] == token:
                self._views.move_to_end(key)
                return True, found[1]
            return False, None

    def get(self, key: tuple[str, int], token: str, build: Callable[[], T]) -> T:
        """Return the value kept under ``key`` for ``token``, else ``build()`` it, once: other
        threads asking meanwhile wait for it rather than build it again (a statewide summary
        takes a second or more)."""
        hit, value = self._found(key, token)
        if not hit:
            with self._lock:
                building = self._building.setdefault(key, threading.Lock())
            with building:
                hit, value = self._found(key, token)
                if not hit:
                    value = build()
                    with self._lock:
                        self._views[key] = (token, value)
                        self._views.move_to_end(key)
                        while len(self._views) > CACHED_VIEWS:
                            evicted, _ = self._views.popitem(last=False)
                            self._building.pop(evicted, None)
        kept: T = value  # type: ignore[assignment]
        return kept


_CACHE_LOCK = threading.Lock()


def _cache(request: Request) -> _ViewCache:
    """Return this app's cache (one per app: two apps in one process never share summaries)."""
    state = request.app.state
    with _CACHE_LOCK:
        found: _ViewCache | None = getattr(state, "public_views", None)
        if found is None:
            found = _ViewCache()
            state.public_views = found
        return found


# -- the state of what a page shows, and conditional answers -------------------------------------


def _recount_state(request: Request, recount_id: int) -> StateStamp:
    """Return the stamp of a recount and of the election it recounts; 404 when there is none."""
    svc = services(request)
    stamp = recount_stamp(svc.engine, recount_id)
    if stamp is None:
        raise HTTPException(status_code=404, detail=f"there is no recount {recount_id}")
    election = svc.recounts.recount(recount_id).election_id
    version = svc.store.election_version(election)
    live = StateStamp(f"{stamp.token}-e{version}", stamp.changed_at, stamp.status)
    return _cache(request).settle(("recount", recount_id), live)


def _audit_state(request: Request, audit_id: int) -> StateStamp:
    """Return the stamp of a published audit; 404 for none or one not yet published (the same
    answer, so an anonymous caller cannot tell an audit in setup exists)."""
    stamp = audit_stamp(services(request).engine, audit_id)
    if stamp is None or not is_public_audit(stamp.status):
        raise HTTPException(status_code=404, detail=f"there is no published audit {audit_id}")
    return _cache(request).settle(("audit", audit_id), stamp)


def _etag(kind: str, states: Sequence[StateStamp]) -> str:
    digest = hashlib.sha256(
        "|".join([__version__, kind, *(s.token for s in states)]).encode()
    ).hexdigest()
    return f'"{digest[:32]}"'


def _newest(states: Sequence[StateStamp]) -> datetime | None:
    known = [s.changed_at for s in states if s.changed_at is not None]
    return max(known) if known else None


def _anonymous(request: Request) -> bool:
    return principal(request) is None


def _not_modified(request: Request, etag: str) -> bool:
    """Return True when the client already holds this version (``If-None-Match``)."""
    wanted = request.headers.get("if-none-match", "")
    return any(tag.strip().removeprefix("W/") == etag for tag in wanted.split(",")) or (
        wanted.strip() == "*"
    )


def _validators(request: Request, etag: str, changed: datetime | None) -> dict[str, str]:
    """Return the caching headers of a public answer (anonymous answers only are shareable;
    the session middleware adds ``Vary: Cookie``, since every page reads the session)."""
    headers = {"ETag": etag}
    if changed is not None:
        headers["Last-Modified"] = format_datetime(changed.astimezone(UTC), usegmt=True)
    if _anonymous(request):
        # A visitor with a cookie may be answered with a new one (a dead session's token
        # dropped): only her own browser may keep that answer.
        scope = "private" if request.cookies else "public"
        headers["Cache-Control"] = f"{scope}, max-age={MAX_AGE}, must-revalidate"
    return headers


@dataclass(frozen=True)
class _Answer:
    """A rendered answer kept for anonymous visitors, who all get the same one."""

    body: bytes
    status: int
    headers: dict[str, str]


def _kept(response: Response) -> _Answer:
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    return _Answer(bytes(response.body), response.status_code, headers)


def _conditional(
    request: Request, kind: str, states: Sequence[StateStamp], make: Callable[[], Response]
) -> Response:
    """Answer 304 when the client's copy is current, else ``make()`` with the validators.

    Anonymous visitors all see the same page, so theirs is rendered once per stamp and kept."""
    etag = _etag(kind, states)
    headers = _validators(request, etag, _newest(states))
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    if _anonymous(request):
        kept = _cache(request).get((f"answer {etag}", 0), etag, lambda: _kept(make()))
        response = Response(kept.body, status_code=kept.status, headers=kept.headers)
    else:
        response = make()
    response.headers.update(headers)
    return response


def _page(request: Request, template: str, **context: Any) -> Response:
    """Render a public page; for an anonymous visitor without touching the session (no cookie
    is set on an answer that shared caches may keep)."""
    who = principal(request)
    response: Response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "user": who,
            "csrf_token": "" if who is None else csrf_token(request),
            "Role": Role,
            **context,
        },
    )
    return response


def _file(body: bytes | str, filename: str, media_type: str) -> Callable[[], Response]:
    def make() -> Response:
        return Response(
            body,
            media_type=media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"; '
                f"filename*=UTF-8''{quote(filename, safe='')}"
            },
        )

    return make


# -- summaries (cached under their stamps) -------------------------------------------------------


def _recount(request: Request, recount_id: int, state: StateStamp) -> PublicRecount:
    svc = services(request)

    def build() -> PublicRecount:
        view = svc.recount_view(recount_id)
        return public_recount(
            view,
            svc.progress(view),
            svc.recounts.counties(recount_id),
            state.changed_at,
            svc.recounts.settings(recount_id).time_zone,
        )

    return _cache(request).get(("recount", recount_id), state.token, build)


def _wards(
    request: Request, recount_id: int, state: StateStamp, county_id: int | None
) -> list[WardLine]:
    svc = services(request)
    summary = _recount(request, recount_id, state)
    counties = [c for c in summary.counties if county_id is None or c.id == county_id]

    def build() -> list[WardLine]:
        return public_wards(svc.recounts, svc.recount_view(recount_id), counties)

    return _cache(request).get((f"wards {recount_id}", county_id or 0), state.token, build)


def _audit(request: Request, audit_id: int, state: StateStamp) -> PublicAudit:
    def build() -> PublicAudit:
        return public_audit(AuditStore(services(request).engine), audit_id, state.changed_at)

    return _cache(request).get(("audit", audit_id), state.token, build)


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


# -- pages ---------------------------------------------------------------------------------------


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
@requires(Access.PUBLIC)
def public_index(request: Request) -> Response:
    """Every recount with its standing so far, and every published audit with its status."""
    svc = services(request)
    recount_ids = [r.id for r in svc.recounts.recounts()]
    audit_ids = [a.id for a in AuditStore(svc.engine).audits() if is_public_audit(a.status)]
    recount_states = [_recount_state(request, i) for i in recount_ids]
    audit_states = [_audit_state(request, i) for i in audit_ids]

    def make() -> Response:
        return _page(
            request,
            "public.html",
            recounts=[
                _recount(request, i, s) for i, s in zip(recount_ids, recount_states, strict=True)
            ],
            audits=[_audit(request, i, s) for i, s in zip(audit_ids, audit_states, strict=True)],
        )

    return _conditional(request, "index", [*recount_states, *audit_states], make)


@router.api_route(
    "/public/recounts/{recount_id}", methods=["GET", "HEAD"], response_class=HTMLResponse
)
@requires(Access.PUBLIC)
def public_recount_page(request: Request, recount_id: int, sort: str = "change") -> Response:
    """A recount: each choice's votes and share, canvass beside recount, the margin, and the
    counties sorted by the change (or by name)."""
    state = _recount_state(request, recount_id)
    order = "name" if sort == "name" else "change"

    def make() -> Response:
        summary = _recount(request, recount_id, state)
        counties = summary.counties
        if order == "name":
            counties = sorted(counties, key=lambda c: c.county.casefold())
        return _page(
            request, "public_recount.html", recount=summary, counties=counties, order=order
        )

    return _conditional(request, f"recount-{order}", [state], make)


@router.api_route(
    "/public/recounts/{recount_id}/counties/{county_id}",
    methods=["GET", "HEAD"],
    response_class=HTMLResponse,
)
@requires(Access.PUBLIC)
def public_county_page(request: Request, recount_id: int, county_id: int) -> Response:
    """A county of a recount, ward by ward (recount figures once the county is accepted)."""
    state = _recount_state(request, recount_id)

    def make() -> Response:
        summary = _recount(request, recount_id, state)
        county = next((c for c in summary.counties if c.id == county_id), None)
        if county is None:
            raise HTTPException(status_code=404, detail=f"there is no county {county_id}")
        wards = _wards(request, recount_id, state, county_id)
        return _page(
            request,
            "public_county.html",
            recount=summary,
            county=county,
            wards=wards,
            choices=[c.choice for c in summary.choices],
        )

    return _conditional(request, f"county-{county_id}", [state], make)


@router.api_route("/public/recounts/{recount_id}/results.csv", methods=["GET", "HEAD"])
@requires(Access.PUBLIC)
def public_results_csv(request: Request, recount_id: int) -> Response:
    """The certified results of a recount, ward by ward, in the generic CSV (once certified)."""
    state = _recount_state(request, recount_id)
    svc = services(request)
    view = svc.recount_view(recount_id)
    require(view.recount.status == "certified", f"recount {recount_id} is not certified yet")
    body = results_csv(view, svc.recount_count(view))
    return _conditional(
        request, "results.csv", [state], _file(body, f"recount-{recount_id}.csv", "text/csv")
    )


@router.api_route("/public/recounts/{recount_id}/results.json", methods=["GET", "HEAD"])
@requires(Access.PUBLIC)
def public_recount_json(request: Request, recount_id: int) -> Response:
    """Everything the recount's public pages show, as JSON: standing, counties, wards."""
    state = _recount_state(request, recount_id)

    def build() -> str:
        data = recount_json(
            _recount(request, recount_id, state), _wards(request, recount_id, state, None)
        )
        return json.dumps(data, indent=1, ensure_ascii=False)

    def make() -> Response:
        body = _cache(request).get(("results.json", recount_id), state.token, build)
        return _file(body, f"recount-{recount_id}-public.json", "application/json")()

    return _conditional(request, "results.json", [state], make)


@router.api_route("/public/recounts/{recount_id}/counties.csv", methods=["GET", "HEAD"])
@requires(Access.PUBLIC)
def public_counties_csv(request: Request, recount_id: int) -> Response:
    """The county table as CSV: progress, the change per choice and of the margin."""
    state = _recount_state(request, recount_id)

    def make() -> Response:
        summary = _recount(request, recount_id, state)
        choices = [c.choice for c in summary.choices]
        header = [
            "county",
            "status",
            "wards_total",
            "wards_recounted",
            *(f"canvass:{c}" for c in choices),
            *(f"recount:{c}" for c in choices),
            *(f"change:{c}" for c in choices),
            "votes_changed",
            "margin_change",
        ]
        rows = [
            [
                c.county,
                c.status,
                c.wards_total,
                c.wards_recounted,
                *(c.canvass.get(choice, 0) for choice in choices),
                *(c.recount.get(choice, 0) for choice in choices),
                *(c.net_change.get(choice, 0) for choice in choices),
                c.votes_changed,
                c.margin_change,
            ]
            for c in summary.counties
        ]
        name = f"recount-{recount_id}-counties.csv"
        return _file(_csv(header, rows), name, "text/csv")()

    return _conditional(request, "counties.csv", [state], make)


@router.api_route("/public/recounts/{recount_id}/wards.csv", methods=["GET", "HEAD"])
@requires(Access.PUBLIC)
def public_wards_csv(request: Request, recount_id: int) -> Response:
    """Every ward as CSV: canvass, recount (once published) and change per choice."""
    state = _recount_state(request, recount_id)

    def build() -> str:
        summary = _recount(request, recount_id, state)
        choices = [c.choice for c in summary.choices]
        header = [
            "county",
            "ward",
            *(f"canvass:{c}" for c in choices),
            *(f"recount:{c}" for c in choices),
            *(f"change:{c}" for c in choices),
        ]
        rows = []
        for w in _wards(request, recount_id, state, None):
            after = [("" if w.recount is None else w.recount[c]) for c in choices]
            change = [("" if w.change is None else w.change[c]) for c in choices]
            rows.append([w.county, w.name, *(w.canvass[c] for c in choices), *after, *change])
        return _csv(header, rows)

    def make() -> Response:
        body = _cache(request).get(("wards.csv", recount_id), state.token, build)
        return _file(body, f"recount-{recount_id}-wards.csv", "text/csv")()

    return _conditional(request, "wards.csv", [state], make)


@router.api_route("/public/audits/{audit_id}", methods=["GET", "HEAD"], response_class=HTMLResponse)
@requires(Access.PUBLIC)
def public_audit_page(request: Request, audit_id: int) -> Response:
    """A published audit: contests and risk limits, rounds, progress, discrepancies, result."""
    state = _audit_state(request, audit_id)

    def make() -> Response:
        return _page(request, "public_audit.html", audit=_audit(request, audit_id, state))

    return _conditional(request, "audit", [state], make)


@router.api_route("/public/audits/{audit_id}/audit.json", methods=["GET", "HEAD"])
@requires(Access.PUBLIC)
def public_audit_json(request: Request, audit_id: int) -> Response:
    """Everything the audit's public page shows, as JSON."""
    state = _audit_state(request, audit_id)

    def make() -> Response:
        data = audit_json(_audit(request, audit_id, state))
        body = json.dumps(data, indent=1, ensure_ascii=False)
        return _file(body, f"audit-{audit_id}-public.json", "application/json")()

    return _conditional(request, "audit.json", [state], make)


@router.api_route("/public/audits/{audit_id}/rounds.csv", methods=["GET", "HEAD"])
@requires(Access.PUBLIC)
def public_audit_rounds_csv(request: Request, audit_id: int) -> Response:
    """One row per round and contest: cards drawn, the risk measured, confirmed or not."""
    state = _audit_state(request, audit_id)

    def make() -> Response:
        audit = _audit(request, audit_id, state)
        limits = {c.name: c.risk_limit for c in audit.contests}
        rows = [
            [
                r.number,
                r.size,
                r.cards_drawn,
                contest,
                limits.get(contest, ""),
                "" if contest not in r.risks else repr(r.risks[contest]),
                "" if contest not in r.confirmed else ("yes" if r.confirmed[contest] else "no"),
            ]
            for r in audit.rounds
            for contest in (r.risks or {c.name: 0.0 for c in audit.contests})
        ]
        header = ["round", "size", "cards_drawn", "contest", "risk_limit", "risk", "confirmed"]
        return _file(_csv(header, rows), f"audit-{audit_id}-rounds.csv", "text/csv")()

    return _conditional(request, "rounds.csv", [state], make)


@router.api_route("/public/audits/{audit_id}/discrepancies.csv", methods=["GET", "HEAD"])
@requires(Access.PUBLIC)
def public_audit_discrepancies_csv(request: Request, audit_id: int) -> Response:
    """The discrepancies found in closed rounds, one row each, with their effect."""
    state = _audit_state(request, audit_id)

    def make() -> Response:
        audit = _audit(request, audit_id, state)
        header = ["county", "place", "contest", "cvr", "paper", "codes", "effect"]
        rows = [
            [
                d.county,
                d.place,
                d.contest,
                d.cvr,
                d.paper,
                " ".join(f"{k}={v}" for k, v in d.codes.items()),
                d.effect,
            ]
            for d in audit.discrepancies
        ]
        name = f"audit-{audit_id}-discrepancies.csv"
        return _file(_csv(header, rows), name, "text/csv")()

    return _conditional(request, "discrepancies.csv", [state], make)


@router.api_route("/public/audits/{audit_id}/export.zip", methods=["GET", "HEAD"])
@requires(Access.PUBLIC)
def public_audit_export(request: Request, audit_id: int) -> Response:
    """The audit's export for ``papertally verify`` once the audit is complete, the CVR files
    withheld (listed by hash; the sampled cards' CVRs stay, so every risk recomputes)."""
    state = _audit_state(request, audit_id)
    audits = AuditStore(services(request).engine)
    require(
        state.status == "complete",
        f"audit {audit_id} is {state.status}: its export is published with the result",
    )
    body = audit_export_zip(audits.export_contents(audit_id), withhold_cvrs=True)
    name = f"audit-{audit_id}-export-cvrs-withheld.zip"
    return _conditional(request, "export.zip", [state], _file(body, name, "application/zip"))
