"""A supermajority contest set on the app's seed form (issue 15 follow-up).

The hybrid audit of ``test_audit_hybrid`` (Erin George reported with 56 of 66 valid votes,
about 85%), seeded over HTTP with "the winner needs more than 2/3": the share is kept in the
stored spec, every round measures the one supermajority assertion (SHANGRLA §2.3), the report
and the export carry it, and the verifier's recomputation agrees (and disagrees once the share
in the export is changed). Hostile shares are refused beside their field, nothing drawn.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from tests.web.support import WebSetup, sign_in
from tests.web.test_audit_hybrid import ARLO, CONTEST, NO_CVR_BATCH, REPORTED, SEED, _published

from papertally.audit.contests import ContestSpec
from papertally.errors import PapertallyError
from papertally.io.audit_export import AUDIT_JSON, AuditFiles, audit_export_zip, summarize_file
from papertally.model.audit_records import AuditFile
from papertally.store.audits import AuditStore
from papertally.store.engine import make_engine
from papertally.verify import verify_export
from papertally.workflows.audit import (
    audit_report,
    audited_cards,
    close_round,
    contest_specs,
    start_audit,
)
from papertally.workflows.measure import measure_rounds

FIELD = f"supermajority::{CONTEST}"


def _record_round(audits: AuditStore, audit_id: int, number: int) -> None:
    """Record round ``number``: CVR cards as their CVRs; no-CVR cards mostly for Erin George."""
    for card in audits.sample(audit_id):
        if card.round_number != number:
            continue
        if card.batch == NO_CVR_BATCH:
            votes = ["Erin George" if card.sequence % 4 else "Alex Hall"]
        else:
            assert card.cvr is not None
            votes = list(card.cvr[CONTEST])
        audits.record_entry(
            audit_id, "Adams", card.sequence, found=True, votes={CONTEST: votes}, actor="board"
        )


def test_a_supermajority_contest_is_audited_with_its_share(
    web: WebSetup, shared_data: Path
) -> None:
    audits, audit_id = _published(web, shared_data, REPORTED)
    admin = web.client()
    sign_in(admin, "admin")
    page = admin.get(f"/audits/{audit_id}").text
    assert f'name="{FIELD}"' in page
    started = admin.post(
        f"/audits/{audit_id}/seed",
        data={"seed": SEED, "hybrid_method": "oneaudit", FIELD: "66.7%"},
    )
    assert started.status_code == 303, started.text
    (spec,) = contest_specs(audits, audit_id)
    assert spec.supermajority == pytest.approx(0.667)
    assert spec.method == "oneaudit"
    (assertion,) = spec.assertions()
    assert assertion.loser is None and assertion.share == pytest.approx(0.667)
    assert "winner needs more than 66.70%" in admin.get(f"/audits/{audit_id}").text
    for number in range(1, 6):
        _record_round(audits, audit_id, number)
        closed = admin.post(f"/audits/{audit_id}/rounds/close")
        assert closed.status_code == 303, closed.text
        if audits.audit(audit_id).status == "complete":
            break
    assert audits.audit(audit_id).status == "complete"
    rounds = audits.rounds(audit_id)
    measured = rounds[-1].measurement
    assert measured is not None
    (result,) = measured["contests"]
    assert result["confirmed"] and len(result["assertions"]) == 1
    ends = [r.cards_drawn for r in rounds]
    files = AuditFiles.read(audits.file_contents(audit_id), audits.audit(audit_id).counties)
    cards = audited_cards(audits, audit_id, files=files)
    (same,) = measure_rounds([spec], cards, ends)[-1].contests
    assert same.risk == pytest.approx(result["risk"])
    (plain,) = measure_rounds([replace(spec, supermajority=None)], cards, ends)[-1].contests
    assert plain.risk != pytest.approx(result["risk"]), "the share changes the risk"
    (reported,) = audit_report(audits, audit_id).contests
    assert reported.conclusion.startswith("confirmed")

    export = audit_export_zip(audits.export_contents(audit_id))
    verification = verify_export(export)
    assert verification.ok, verification.to_json()
    header = json.loads(zipfile.ZipFile(io.BytesIO(export)).read(AUDIT_JSON))
    assert ContestSpec.from_json(header["contests"][0]).supermajority == pytest.approx(0.667)
    header["contests"][0]["supermajority"] = 0.8
    tampered = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(export)) as source,
        zipfile.ZipFile(tampered, "w") as target,
    ):
        for item in source.infolist():
            body = source.read(item)
            target.writestr(item, json.dumps(header) if item.filename == AUDIT_JSON else body)
    failed = [c.name for c in verify_export(tampered.getvalue()).checks if not c.ok]
    assert any("risk" in name for name in failed), failed


def test_hostile_shares_are_refused_beside_their_field(web: WebSetup, shared_data: Path) -> None:
    audits, audit_id = _published(web, shared_data, REPORTED)
    admin = web.client()
    sign_in(admin, "admin")
    for share in ("0.4", "1", "1.5", "abc", "NaN", "inf", "-0.7", "100%", "50%", "0.5"):
        bad = admin.post(
            f"/audits/{audit_id}/seed",
            data={"seed": SEED, "hybrid_method": "oneaudit", FIELD: share},
        )
        assert bad.status_code == 400, share
        assert f'id="error-{FIELD}"' in bad.text and "between 0.5 and 1" in bad.text, share
        assert f'value="{share}"' in bad.text and f'value="{SEED}"' in bad.text, "form kept"
        assert audits.audit(audit_id).status == "published" and not audits.sample(audit_id)


def test_a_share_the_reported_votes_do_not_meet_is_refused(
    web: WebSetup, shared_data: Path
) -> None:
    audits, audit_id = _published(web, shared_data, REPORTED)
    admin = web.client()
    sign_in(admin, "admin")
    bad = admin.post(
        f"/audits/{audit_id}/seed",
        data={"seed": SEED, "hybrid_method": "oneaudit", FIELD: "0.9"},
    )
    assert bad.status_code == 400 and "not more than 0.9" in bad.text
    assert audits.audit(audit_id).status == "published"


def test_a_supermajority_is_measured_by_oneaudit_not_suite(
    web: WebSetup, shared_data: Path
) -> None:
    """SUITE tests winner-loser pairs only: asked for it, a share is refused; ``fewest`` picks
    OneAudit for a supermajority contest."""
    audits, audit_id = _published(web, shared_data, REPORTED)
    admin = web.client()
    sign_in(admin, "admin")
    bad = admin.post(
        f"/audits/{audit_id}/seed", data={"seed": SEED, "hybrid_method": "suite", FIELD: "0.7"}
    )
    assert bad.status_code == 400 and "measure a supermajority by OneAudit" in bad.text
    assert audits.audit(audit_id).status == "published"
    done = admin.post(
        f"/audits/{audit_id}/seed", data={"seed": SEED, "hybrid_method": "fewest", FIELD: "70%"}
    )
    assert done.status_code == 303, done.text
    (spec,) = contest_specs(audits, audit_id)
    assert spec.method == "oneaudit" and spec.supermajority == pytest.approx(0.7)


def _mount_olive(web: WebSetup, data: Path, audit_type: str) -> tuple[AuditStore, int]:
    """A published audit of Mount Olive's files (Erin George on all 31 CVRs)."""
    audits = AuditStore(make_engine(web.url))
    audit_id = audits.create_audit("Supermajority", ["Adams"], actor="admin")
    audits.add_contest(audit_id, CONTEST, audit_type, 0.1, actor="admin")
    for kind, name in (("manifest", "ballot manifest"), ("cvrs", "cvrs")):
        path = data / ARLO / f"Mount Olive - {name}.csv"
        file = AuditFile("Adams", kind, path.name, path.read_bytes())
        audits.upload_file(audit_id, file, summarize_file(file), actor="admin")
    audits.publish(audit_id, actor="admin")
    return audits, audit_id


def test_a_comparison_audit_measures_the_share(web: WebSetup, shared_data: Path) -> None:
    """Audited for "more than 75%": the round measures the one supermajority assertion and
    the export verifies."""
    audits, audit_id = _mount_olive(web, shared_data, "ballot comparison")
    start_audit(audits, audit_id, SEED, actor="admin", supermajority={CONTEST: 0.75})
    (spec,) = contest_specs(audits, audit_id)
    assert spec.supermajority == 0.75
    for number in range(1, 6):
        _record_round(audits, audit_id, number)
        if close_round(audits, audit_id, actor="admin"):
            break
    measured = audits.rounds(audit_id)[-1].measurement
    assert measured is not None
    (result,) = measured["contests"]
    assert result["confirmed"] and len(result["assertions"]) == 1
    verification = verify_export(audit_export_zip(audits.export_contents(audit_id)))
    assert verification.ok, verification.to_json()


def test_a_polling_audit_refuses_a_share(web: WebSetup, shared_data: Path) -> None:
    """Polling rounds measure winner-loser pairs, so a share would be silently ignored."""
    audits, audit_id = _mount_olive(web, shared_data, "ballot polling")
    with pytest.raises(PapertallyError, match="test winner-loser pairs"):
        start_audit(audits, audit_id, SEED, actor="admin", supermajority={CONTEST: 0.75})
    assert audits.audit(audit_id).status == "published"
