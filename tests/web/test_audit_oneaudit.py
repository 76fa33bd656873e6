"""A mixed election audited by OneAudit through the store and the app's workflow (issue 15).

The hybrid audit of ``test_audit_hybrid`` (Mount Olive's CVRs, a third batch of 40 cards
without CVRs, the contest's totals typed in), with the seed entered asking for OneAudit, and
for whichever of OneAudit and SUITE plans fewer cards: rounds to completion, the measurement
recorded as OneAudit's, the export verified by recomputation, and a tampered reading caught.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.web.support import WebSetup, sign_in
from tests.web.test_audit_hybrid import (
    ARLO,
    CONTEST,
    NO_CVR_BATCH,
    REPORTED,
    SEED,
    _hybrid_manifest,
    _published,
)

from papertally.audit.contests import ContestSpec
from papertally.errors import PapertallyError
from papertally.io.audit_export import audit_export_zip, summarize_file
from papertally.model.audit_records import AuditFile
from papertally.store.audits import AuditStore
from papertally.store.engine import make_engine
from papertally.verify import verify_export
from papertally.workflows.audit import audit_report, close_round, start_audit
from papertally.workflows.oneaudit import method_choice


def test_a_oneaudit_of_a_mixed_election_runs_and_verifies(web: WebSetup, shared_data: Path) -> None:
    audits, audit_id = _published(web, shared_data, REPORTED)
    start_audit(audits, audit_id, SEED, actor="admin", hybrid_method="oneaudit")
    (contest,) = audits.contests(audit_id)
    assert contest.spec is not None and contest.spec["method"] == "oneaudit"
    for number in range(1, 6):
        for card in audits.sample(audit_id):
            if card.round_number != number:
                continue
            if card.batch == NO_CVR_BATCH:
                votes = {CONTEST: ["Erin George" if card.sequence % 3 else "Alex Hall"]}
            else:
                assert card.cvr is not None
                votes = {CONTEST: list(card.cvr[CONTEST])}
            audits.record_entry(
                audit_id, "Adams", card.sequence, found=True, votes=votes, actor="board"
            )
        if close_round(audits, audit_id, actor="admin"):
            break
    assert audits.audit(audit_id).status == "complete"
    pooled = [c.batch == NO_CVR_BATCH for c in audits.sample(audit_id)]
    assert set(pooled) == {True, False}, "linked and pooled cards sampled"
    measured = audits.rounds(audit_id)[-1].measurement
    assert measured is not None
    (result,) = measured["contests"]
    assert result["confirmed"] and result["risk"] <= 0.1
    (reported,) = audit_report(audits, audit_id).contests
    assert reported.conclusion.startswith("confirmed")
    verification = verify_export(audit_export_zip(audits.export_contents(audit_id)))
    assert verification.ok, verification.to_json()


def test_fewest_picks_the_method_planning_fewer_cards(web: WebSetup, shared_data: Path) -> None:
    audits, audit_id = _published(web, shared_data, REPORTED)
    size = start_audit(audits, audit_id, SEED, actor="admin", hybrid_method="fewest")
    (contest,) = audits.contests(audit_id)
    assert contest.spec is not None
    spec = ContestSpec.from_json(contest.spec)
    choice = method_choice(spec)
    assert spec.method == ("oneaudit" if choice.chosen == "oneaudit" else None)
    planned = choice.oneaudit.draws if choice.chosen == "oneaudit" else choice.suite_draws
    assert size == min(max(planned, 1), spec.cards)


def test_an_unknown_method_is_refused_before_anything_changes(
    web: WebSetup, shared_data: Path
) -> None:
    audits, audit_id = _published(web, shared_data, REPORTED)
    with pytest.raises(PapertallyError, match="unknown audit method"):
        start_audit(audits, audit_id, SEED, actor="admin", hybrid_method="bravo")
    assert audits.audit(audit_id).status == "published"


def test_the_seed_form_offers_the_method_and_the_route_applies_it(
    web: WebSetup, shared_data: Path
) -> None:
    """The seed form of an audit with a hybrid contest offers the method (whichever plans
    fewer cards by default); posting it records the choice; an unknown method is a 400."""
    audits, audit_id = _published(web, shared_data, REPORTED)
    admin = web.client()
    sign_in(admin, "admin")
    page = admin.get(f"/audits/{audit_id}").text
    assert 'name="hybrid_method"' in page and 'value="fewest" selected' in page
    bad = admin.post(f"/audits/{audit_id}/seed", data={"seed": SEED, "hybrid_method": "x"})
    assert bad.status_code == 400 and "unknown audit method" in bad.text
    assert audits.audit(audit_id).status == "published"
    done = admin.post(f"/audits/{audit_id}/seed", data={"seed": SEED, "hybrid_method": "oneaudit"})
    assert done.status_code == 303
    (contest,) = audits.contests(audit_id)
    assert contest.spec is not None and contest.spec["method"] == "oneaudit"
    assert "hybrid (OneAudit)" in admin.get(f"/audits/{audit_id}").text


def _published_with_tally(web: WebSetup, data: Path, erin: int) -> tuple[AuditStore, int]:
    """The hybrid audit's files plus a batch tally of the no-CVR batch: Erin ``erin``, Alex 10."""
    audits = AuditStore(make_engine(web.url))
    audit_id = audits.create_audit("OneAudit", ["Adams"], actor="admin")
    audits.add_contest(audit_id, CONTEST, "hybrid", 0.1, reported=REPORTED, actor="admin")
    cvrs = data / ARLO / "Mount Olive - cvrs.csv"
    tally = f"Batch Name,Erin George,Alex Hall\n{NO_CVR_BATCH},{erin},10\n".encode()
    for file in (
        AuditFile("Adams", "manifest", "hybrid manifest.csv", _hybrid_manifest(data)),
        AuditFile("Adams", "cvrs", cvrs.name, cvrs.read_bytes()),
        AuditFile("Adams", "batch tallies", "tallies.csv", tally, CONTEST),
    ):
        audits.upload_file(audit_id, file, summarize_file(file), actor="admin")
    audits.publish(audit_id, actor="admin")
    return audits, audit_id


def test_batch_tallies_of_the_no_cvr_batches_become_pools(web: WebSetup, shared_data: Path) -> None:
    """With the no-CVR batch's tally uploaded, OneAudit's pool is that batch (its own mean,
    not the stratum's); the audit runs and its export verifies; tallies that exceed the
    reported votes less the CVRs' tally are refused at the seed."""
    audits, audit_id = _published_with_tally(web, shared_data, 25)
    start_audit(audits, audit_id, SEED, actor="admin", hybrid_method="oneaudit")
    (contest,) = audits.contests(audit_id)
    assert contest.spec is not None
    (pool,) = contest.spec["pools"]
    assert pool["name"] == f"Adams/{NO_CVR_BATCH}"
    assert pool["votes"] == {"Erin George": 25, "Alex Hall": 10}
    for number in range(1, 6):
        for card in audits.sample(audit_id):
            if card.round_number != number:
                continue
            votes = ["Erin George"] if card.cvr is None else list(card.cvr[CONTEST])
            audits.record_entry(
                audit_id, "Adams", card.sequence, found=True, votes={CONTEST: votes}, actor="b"
            )
        if close_round(audits, audit_id, actor="admin"):
            break
    assert audits.audit(audit_id).status == "complete"
    assert any(c.batch == NO_CVR_BATCH for c in audits.sample(audit_id))
    measured = audits.rounds(audit_id)[-1].measurement
    assert measured is not None and measured["contests"][0]["confirmed"]
    verification = verify_export(audit_export_zip(audits.export_contents(audit_id)))
    assert verification.ok, verification.to_json()

    audits, audit_id = _published_with_tally(web, shared_data, 30)
    with pytest.raises(PapertallyError, match="batch tallies of the batches without CVRs"):
        start_audit(audits, audit_id, SEED, actor="admin", hybrid_method="oneaudit")
    assert audits.audit(audit_id).status == "published"
