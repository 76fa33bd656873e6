"""The public results and audit site, as a hostile anonymous visitor uses it (issue 13).

Published information only: a ward's recount once its county is accepted, an audit once its
files' hashes are published, the seed, sample and export only with the audit's result. Answers
are cacheable (ETag, Last-Modified, 304) without setting a cookie, and change as soon as the
store does.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import pytest
from fastapi.testclient import TestClient
from tests.web.public_fixtures import (
    SEED,
    accept,
    complete_audit,
    enter,
    open_recount,
    polling_audit,
    read_open_round,
)
from tests.web.support import WebSetup, sign_in, small_election

from papertally.store.audits import AuditStore
from papertally.verify import verify_export
from papertally.web.public_pages import REFRESH_ENV
from papertally.workflows.audit import close_round

ADAMS_1 = "Adams|Town of Adams Ward 1"


@pytest.fixture(autouse=True)
def publish_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Public figures follow the store at once (the cadence has its own test)."""
    monkeypatch.setenv(REFRESH_ENV, "0")


DANE_1 = "Dane|City of Madison Ward 1"


def _recount(web: WebSetup) -> int:
    """A recount with Adams recounted and accepted (Trump +1 in Ward 1) and one Dane ward
    entered but not yet accepted (Clinton 600 → 613)."""
    units = {uid: unit.county for uid, unit in small_election().units.items()}
    recount = open_recount(web.recounts, web.election_id, units)
    enter(web.recounts, recount, ADAMS_1, {"Trump": 301, "Clinton": 250, "Scattering": 1})
    enter(
        web.recounts,
        recount,
        "Adams|Town of Adams Ward 2",
        {"Trump": 120, "Clinton": 80, "Scattering": 1},
    )
    accept(web.recounts, recount, "Adams")
    enter(web.recounts, recount, DANE_1, {"Trump": 200, "Clinton": 613, "Scattering": 1})
    return recount


def _message(page: str) -> str:
    found = re.search(r'id="error-message">([^<]*)<', page)
    assert found is not None, page
    return found.group(1)


def _anonymous(web: WebSetup) -> TestClient:
    return web.client()


def _county_id(web: WebSetup, recount: int, county: str) -> int:
    return web.recounts.county(recount, county).id


def test_the_recount_page_shows_shares_margin_and_counties_sorted_by_the_change(
    web: WebSetup,
) -> None:
    recount = _recount(web)
    page = _anonymous(web).get(f"/public/recounts/{recount}")
    assert page.status_code == 200
    text = page.text
    # Clinton: canvass 1,480 of 2,254 votes; so far 1,493 of 2,268 (the Dane ward counted).
    assert "1,480" in text and "1,493" in text and "65.66%" in text and "65.83%" in text
    assert "+13" in text and "winner" in text
    # The margin: canvass 710 (1,480 − 770), so far 722.
    assert 'id="fig-margin">722<' in text and "+12 from 710" in text
    # Dane's margin changed by 13, Adams's by −1: Dane comes first.
    assert text.index('data-county="Dane"') < text.index('data-county="Adams"')
    by_name = _anonymous(web).get(f"/public/recounts/{recount}?sort=name").text
    assert by_name.index('data-county="Adams"') < by_name.index('data-county="Dane"')
    # A bar per choice, drawn with SVG attributes (no inline style: the CSP forbids them).
    assert text.count('class="bar-fill" width="') == 3 and "style=" not in text
    # Times on the recount's clock, to the minute, with the zone (America/Chicago).
    assert re.search(
        r"last updated <time datetime=\"[^\"]+\">\d{4}-\d\d-\d\d \d{1,2}:\d\d [ap]m C[SD]T<", text
    )


def test_ward_figures_are_published_once_the_county_is_accepted(web: WebSetup) -> None:
    recount = _recount(web)
    public = _anonymous(web)
    adams = public.get(f"/public/recounts/{recount}/counties/{_county_id(web, recount, 'Adams')}")
    assert adams.status_code == 200
    assert "Town of Adams Ward 1" in adams.text and ">301<" in adams.text
    assert "wards-unpublished" not in adams.text
    dane = public.get(f"/public/recounts/{recount}/counties/{_county_id(web, recount, 'Dane')}")
    assert dane.status_code == 200
    assert "wards-unpublished" in dane.text and ">613<" not in dane.text
    assert ">1,150<" in dane.text and ">1,163<" in dane.text and ">+13<" in dane.text
    assert ">600<" in dane.text  # the canvass is public
    wards = list(
        csv.DictReader(io.StringIO(public.get(f"/public/recounts/{recount}/wards.csv").text))
    )
    by_ward = {w["ward"]: w for w in wards}
    assert by_ward["Town of Adams Ward 1"]["recount:Trump"] == "301"
    assert by_ward["City of Madison Ward 1"]["recount:Clinton"] == ""
    data = public.get(f"/public/recounts/{recount}/results.json").json()
    dane_ward = next(w for w in data["wards"] if w["name"] == "City of Madison Ward 1")
    assert dane_ward["recount"] is None and dane_ward["canvass"]["Clinton"] == 600
    assert [c["county"] for c in data["counties"]] == ["Dane", "Adams"]
    counties = public.get(f"/public/recounts/{recount}/counties.csv").text
    assert counties.splitlines()[1] == "Dane,in progress,2,1,350,1150,2,350,1163,2,0,13,0,13,13"
    # Who entered a sheet is not public.
    for body in (adams.text, dane.text, json.dumps(data)):
        assert "adams-clerk" not in body and "dane-clerk" not in body
    # Once the state accepts Dane, its ward appears (the cache follows the store).
    enter(
        web.recounts,
        recount,
        "Dane|City of Madison Ward 2",
        {"Trump": 150, "Clinton": 550, "Scattering": 1},
    )
    accept(web.recounts, recount, "Dane")
    dane = public.get(f"/public/recounts/{recount}/counties/{_county_id(web, recount, 'Dane')}")
    assert ">613<" in dane.text and "wards-unpublished" not in dane.text


def test_anonymous_answers_are_cacheable_and_revalidate_without_a_cookie(web: WebSetup) -> None:
    recount = _recount(web)
    public = _anonymous(web)
    for path in ("/", f"/public/recounts/{recount}", f"/public/recounts/{recount}/wards.csv"):
        first = public.get(path)
        assert first.status_code == 200
        assert first.headers["cache-control"].startswith("public, max-age=")
        assert "Cookie" in first.headers["vary"] and first.headers["last-modified"].endswith("GMT")
        assert "set-cookie" not in first.headers
        again = public.get(path, headers={"if-none-match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == first.headers["etag"]
        head = public.head(path)  # link checkers and caches ask with HEAD
        assert head.status_code == 200 and head.headers["etag"] == first.headers["etag"]
    before = public.get(f"/public/recounts/{recount}")
    enter(
        web.recounts,
        recount,
        "Dane|City of Madison Ward 2",
        {"Trump": 151, "Clinton": 550, "Scattering": 1},
    )
    after = public.get(
        f"/public/recounts/{recount}", headers={"if-none-match": before.headers["etag"]}
    )
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert ">772<" in after.text  # Trump: canvass 770, +1 in Adams Ward 1, +1 in Madison Ward 2
    # A visitor holding a cookie (the sign-in page's CSRF token; a dead session) may get a new
    # one with the answer, which no shared cache may keep.
    visitor = web.client()
    assert visitor.get("/login").status_code == 200 and visitor.cookies
    kept = visitor.get(f"/public/recounts/{recount}")
    assert kept.headers["cache-control"].startswith("private, max-age=")
    # A signed-in user's page names her in the header: never kept by a cache.
    admin = TestClient(public.app, follow_redirects=False)  # the same app (and cache)
    sign_in(admin, "admin")
    mine = admin.get(f"/public/recounts/{recount}")
    assert mine.status_code == 200 and mine.headers["cache-control"] == "no-store"
    assert "admin · administrator" in mine.text
    # The page kept for anonymous visitors is never a signed-in user's.
    again = public.get(f"/public/recounts/{recount}")
    assert again.status_code == 200 and "administrator" not in again.text
    assert "Sign in" in again.text and "set-cookie" not in again.headers


def test_an_audit_publishes_nothing_before_its_hashes_and_no_seed_or_sample_before_its_result(
    web: WebSetup,
) -> None:
    audits = AuditStore(web.recounts.engine)
    hidden = audits.create_audit("Not yet published", ["Adams"], actor="admin")
    public = _anonymous(web)
    for path in ("", "/audit.json", "/rounds.csv", "/discrepancies.csv", "/export.zip"):
        refused = public.get(f"/public/audits/{hidden}{path}")
        assert refused.status_code == 404, path
        assert "Not yet published" not in refused.text
    missing = _message(public.get(f"/public/audits/{hidden + 99}").text)
    unpublished = _message(public.get(f"/public/audits/{hidden}").text)
    assert unpublished == missing.replace(str(hidden + 99), str(hidden))  # indistinguishable
    assert "Not yet published" not in public.get("/").text

    running = polling_audit(audits, seeded=True)
    read_open_round(audits, running, vote="Trump")  # the reported loser: not confirmed
    assert not close_round(audits, running, actor="admin")
    read_open_round(audits, running, vote="Trump", limit=3)
    answers = [
        public.get(f"/public/audits/{running}{p}")
        for p in ("", "/audit.json", "/rounds.csv", "/discrepancies.csv")
    ]
    assert [a.status_code for a in answers] == [200] * 4
    assert "not confirmed" in answers[0].text and 'id="round-2"' in answers[0].text
    index = public.get("/").text
    for answer in [*answers, public.get("/")]:
        assert SEED not in answer.text
        for card in audits.sample(running):
            assert card.ticket not in answer.text
    assert "2016 President RLA" in index
    assert json.loads(answers[1].text)["seed"] is None
    early = public.get(f"/public/audits/{running}/export.zip")
    assert early.status_code == 400 and "published with the result" in early.text
    # The board's own pages and the full export stay closed to anonymous visitors.
    assert public.get(f"/audits/{running}/export.zip").status_code == 303
    assert public.get(f"/audits/{running}").status_code == 303


def test_a_complete_audit_publishes_its_result_seed_and_a_verifiable_export(
    web: WebSetup,
) -> None:
    audits = AuditStore(web.recounts.engine)
    audit_id = polling_audit(audits, seeded=True)
    complete_audit(audits, audit_id)
    public = _anonymous(web)
    page = public.get(f"/public/audits/{audit_id}").text
    assert "The audit is complete" in page and "confirmed" in page and SEED in page
    assert "10.00%" in page  # the risk limit
    data = public.get(f"/public/audits/{audit_id}/audit.json").json()
    assert data["status"] == "complete" and data["seed"] == SEED
    assert data["contests"][0]["risk"] <= data["contests"][0]["risk_limit"]
    export = public.get(f"/public/audits/{audit_id}/export.zip")
    assert export.status_code == 200 and export.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        assert not any("cvrs" in n for n in archive.namelist() if n.startswith("files/"))
    assert verify_export(export.content).ok


HOSTILE_PATHS = (
    "/public/recounts/999999",
    "/public/recounts/0",
    "/public/recounts/²",
    "/public/recounts/99999999999999999999",
    "/public/recounts/{recount}/counties/999999",
    "/public/recounts/{recount}/counties/-1",
    "/public/recounts/{recount}/results.csv",
    "/public/audits/abc",
    "/public/audits/1/export.zip",
)


def test_hostile_paths_get_a_clear_4xx(web: WebSetup) -> None:
    recount = _recount(web)
    public = _anonymous(web)
    for path in HOSTILE_PATHS:
        answer = public.get(path.format(recount=recount), headers={"accept": "text/html"})
        assert 400 <= answer.status_code < 500, (path, answer.text)
        assert "Traceback" not in answer.text and 'id="error-message"' in answer.text


def test_a_hostile_sort_or_method_changes_nothing(web: WebSetup) -> None:
    recount = _recount(web)
    public = _anonymous(web)
    page = public.get(f"/public/recounts/{recount}", params={"sort": "<script>alert(1)</script>"})
    assert page.status_code == 200 and "<script>alert" not in page.text
    posted = public.post(f"/public/recounts/{recount}", data={"x": "1"})
    assert posted.status_code in (403, 405)
    other = open_recount(
        web.recounts, web.election_id, {ADAMS_1: "Adams", "Adams|Town of Adams Ward 2": "Adams"}
    )
    foreign = public.get(f"/public/recounts/{other}/counties/{_county_id(web, recount, 'Dane')}")
    assert foreign.status_code == 404


def test_a_busy_recount_is_republished_on_a_cadence(
    web: WebSetup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While tallies pour in, a process keeps publishing one stamp for the refresh period, so
    the statewide summary is not rebuilt on every write."""
    recount = _recount(web)
    public = _anonymous(web)
    first = public.get(f"/public/recounts/{recount}")
    monkeypatch.setenv(REFRESH_ENV, "3600")
    enter(
        web.recounts,
        recount,
        "Dane|City of Madison Ward 2",
        {"Trump": 151, "Clinton": 550, "Scattering": 1},
    )
    held = public.get(
        f"/public/recounts/{recount}", headers={"if-none-match": first.headers["etag"]}
    )
    assert held.status_code == 304
    monkeypatch.setenv(REFRESH_ENV, "0")
    moved = public.get(
        f"/public/recounts/{recount}", headers={"if-none-match": first.headers["etag"]}
    )
    assert moved.status_code == 200 and ">772<" in moved.text


def test_a_summary_is_built_once_while_several_requests_wait_for_it() -> None:
    import threading
    import time

    from papertally.web.public_pages import _ViewCache

    cache = _ViewCache()
    builds: list[int] = []

    def build() -> str:
        builds.append(1)
        time.sleep(0.2)
        return "summary"

    answers: list[str] = []
    threads = [
        threading.Thread(target=lambda: answers.append(cache.get(("recount", 1), "t1", build)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == ["summary"] * 8 and len(builds) == 1
    assert cache.get(("recount", 1), "t2", lambda: "newer") == "newer"  # a new stamp: rebuilt
