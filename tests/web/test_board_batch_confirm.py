"""A batch-comparison audit's hand counts go through the same confirm step as card readings
(issue 13): no count starts at 0, an empty one is refused beside its field, the count is shown
in words to compare with the paper before anything is saved, and "change" keeps what was typed."""

from __future__ import annotations

import re
from pathlib import Path

from tests.web.support import WebSetup, audit_county_url, sign_in
from tests.web.test_audit_workflow import ARLO, CONTEST, SEED

from papertally.store.audits import AuditStore
from papertally.store.engine import make_engine


def test_a_batch_count_is_reviewed_before_it_is_saved(web: WebSetup, shared_data: Path) -> None:
    admin = web.client()
    sign_in(admin, "admin")
    audits = AuditStore(make_engine(web.url))
    audit_id = audits.create_audit("Batches", ["Adams"], actor="admin")
    form = {"name": CONTEST, "audit_type": "batch comparison", "risk_limit": "0.1"}
    assert admin.post(f"/audits/{audit_id}/contests", data=form).status_code == 303
    for kind, name in (
        ("manifest", "ballot manifest"),
        ("batch tallies", f"{CONTEST} - candidate totals by batch"),
    ):
        path = shared_data / ARLO / f"Mount Olive - {name}.csv"
        response = admin.post(
            audit_county_url(admin, audit_id, "Adams") + "/files",
            data={"kind": kind, "contest": CONTEST},
            files={"file": (path.name, path.read_bytes(), "text/csv")},
        )
        assert response.status_code == 303, response.text
    assert admin.post(f"/audits/{audit_id}/publish").status_code == 303
    assert admin.post(f"/audits/{audit_id}/seed", data={"seed": SEED}).status_code == 303
    card = audits.sample(audit_id)[0]
    url = audit_county_url(admin, audit_id, "Adams") + f"/cards/{card.sequence}"

    page = admin.get(url).text
    fields = re.findall(r'<input type="number"[^>]*name="tally::[^"]*"[^>]*>', page)
    assert len(fields) == 3 and all('value=""' in f for f in fields), fields
    assert f'action="{url}/review"' in page

    typed = {f"tally::{CONTEST}::Erin George": "12", f"tally::{CONTEST}::Alex Hall": "7"}
    empty = admin.post(url + "/review", data=typed | {f"tally::{CONTEST}::Write-In": ""})
    assert empty.status_code == 400
    assert f'id="error-tally::{CONTEST}::Write-In"' in empty.text and 'value="12"' in empty.text
    full = typed | {f"tally::{CONTEST}::Write-In": "0"}
    review = admin.post(url + "/review", data=full)
    assert review.status_code == 200 and 'id="confirm-readings"' in review.text
    assert "Erin George 12, Alex Hall 7, Write-In 0" in review.text
    assert audits.entries(audit_id) == []
    back = admin.post(url + "/edit", data=full)
    assert back.status_code == 200 and 'value="7"' in back.text
    hidden = dict(
        re.findall(r'<input type="hidden" name="(tally::[^"]+)" value="([^"]*)"', review.text)
    )
    assert hidden == full
    assert admin.post(url, data=hidden).status_code == 303
    [entry] = audits.entries(audit_id)
    assert entry.tallies == {CONTEST: {"Erin George": 12, "Alex Hall": 7, "Write-In": 0}}
    gone = admin.post(url + "/review", data={"not_found": "yes"})
    assert gone.status_code == 200 and "not found (counted as the worst case)" in gone.text
