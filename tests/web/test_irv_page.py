"""The IRV page (issue 15): who may use it, a count with RAIRE assertions and a comparison audit
from uploaded CVRs and readings, and bad input answered with a 400 and a message."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

from tests.integration.test_cli_irv import _rankings, guide_like, write_cvrs
from tests.web.support import WebSetup, sign_in


def _cvrs(tmp_path: Path) -> tuple[bytes, list[str]]:
    path = tmp_path / "cvrs.csv"
    ids = write_cvrs(path, guide_like())
    return path.read_bytes(), ids


def _readings(rows: list[tuple[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["card_id", "paper"])
    writer.writerows(rows)
    return out.getvalue().encode()


def test_admin_counts_and_audits_an_irv_contest(web: WebSetup, tmp_path: Path) -> None:
    data, ids = _cvrs(tmp_path)
    client = web.client()
    sign_in(client, "admin")
    page = client.get("/irv")
    assert page.status_code == 200 and 'id="irv-form"' in page.text
    counted = client.post("/irv", data={"rules": "maine"}, files=[("file", ("cvrs.csv", data))])
    assert counted.status_code == 200, counted.text
    assert "winner Chuan" in counted.text
    assert 'id="irv-assertions"' in counted.text and "irv-verdict" not in counted.text
    # every drawn card agrees with its CVR (SF rules: the skipped rankings pass to Alice)
    rankings = dict(zip(ids, _rankings(guide_like()), strict=True))
    drawn = random.Random(3).sample(ids, 400)
    readings = _readings([(card, rankings[card]) for card in drawn])
    audited = client.post(
        "/irv",
        files=[("file", ("cvrs.csv", data)), ("file", ("readings.csv", readings))],
    )
    assert audited.status_code == 200, audited.text
    assert "400 cards read" in audited.text
    assert "risk limit met: the reported winner is confirmed" in audited.text


def test_only_the_administrator_may_use_the_irv_page(web: WebSetup) -> None:
    observer = web.client()
    sign_in(observer, "observer")
    assert observer.get("/irv").status_code == 403
    assert observer.post("/irv", files={"file": ("a.csv", b"x")}).status_code == 403
    clerk = web.client()
    sign_in(clerk, "adams-clerk")
    assert clerk.post("/irv", files={"file": ("a.csv", b"x")}).status_code == 403
    assert web.client().get("/irv").status_code in (303, 401)


def test_bad_input_is_a_400_with_a_message(web: WebSetup, tmp_path: Path) -> None:
    data, _ = _cvrs(tmp_path)
    client = web.client()
    sign_in(client, "admin")
    wrong = client.post("/irv", data={"winner": "Alice"}, files=[("file", ("cvrs.csv", data))])
    assert wrong.status_code == 400
    assert "does not win the IRV count" in wrong.text
    bad_reading = _readings([("c1", "Chuan>Zed")])
    response = client.post(
        "/irv", files=[("file", ("cvrs.csv", data)), ("file", ("readings.csv", bad_reading))]
    )
    assert response.status_code == 400
    assert "readings.csv, row 2, column &#39;paper&#39;: unknown candidate &#39;Zed&#39;" in (
        response.text
    )
    limit = client.post("/irv", data={"risk_limit": "lots"}, files=[("file", ("cvrs.csv", data))])
    assert limit.status_code == 400 and "is not a number" in limit.text
    only_readings = client.post("/irv", files=[("file", ("readings.csv", bad_reading))])
    assert only_readings.status_code == 400 and "give the CVR exports" in only_readings.text


def test_without_the_csrf_token_nothing_is_read(web: WebSetup, tmp_path: Path) -> None:
    data, _ = _cvrs(tmp_path)
    client = web.client()
    sign_in(client, "admin")
    client.headers.pop("X-CSRF-Token")
    assert client.post("/irv", files=[("file", ("cvrs.csv", data))]).status_code == 403


def test_an_arlo_raire_file_is_counted(web: WebSetup, shared_data: Path) -> None:
    data = (shared_data / "irv" / "arlo" / "Berkeley_2010.raire").read_bytes()
    client = web.client()
    sign_in(client, "admin")
    response = client.post(
        "/irv", data={"contest": "3"}, files=[("file", ("Berkeley_2010.raire", data))]
    )
    assert response.status_code == 200, response.text
    assert "winner 387" in response.text
    assert "hardest difficulty 6.679" in response.text


def test_two_uploads_with_one_name_are_both_read(web: WebSetup, tmp_path: Path) -> None:
    data, _ = _cvrs(tmp_path)
    client = web.client()
    sign_in(client, "admin")
    response = client.post(
        "/irv", files=[("file", ("cvrs.csv", data)), ("file", ("cvrs.csv", data))]
    )
    # the second is read too (not overwritten), and refused as the same file given twice,
    # named as uploaded: no server path in the page
    assert response.status_code == 400
    assert "cvrs.csv: this file has the same content (SHA-256) as cvrs.csv" in response.text
    assert "/tmp" not in response.text
