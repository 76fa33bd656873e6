"""Builders of the public-site tests: a recount part-way through and a ballot-polling audit.

Everything is synthetic (the small two-county election of :mod:`tests.web.support`, manifests
written here), made through the stores' own operations, so the public pages are tested against
the states the app really produces.
"""

from __future__ import annotations

from datetime import UTC, datetime

from papertally.io.audit_export import AuditFiles, summarize_file
from papertally.model.audit_records import AuditFile
from papertally.model.recount import CountyAction, EntrySettings, Role
from papertally.store.audits import AuditStore
from papertally.store.recounts import RecountStore
from papertally.workflows.audit import close_round, start_audit

SEED = "80467318590712235619"
"""A 20-digit seed, as from public dice."""
REPORTED = {"Clinton": 1480, "Trump": 770}
"""The polling audit's reported votes (the small election's canvass)."""


def open_recount(recounts: RecountStore, election_id: int, units: dict[str, str]) -> int:
    """Open a recount of the small election's President contest, on Wisconsin's clock."""
    return recounts.open_recount(
        election_id=election_id,
        contest="President",
        units=units,
        reason="petition",
        deadline=datetime(2099, 1, 1, tzinfo=UTC),
        actor="setup",
        settings=EntrySettings(time_zone="America/Chicago"),
    )


def enter(recounts: RecountStore, recount_id: int, unit: str, votes: dict[str, int]) -> None:
    """Enter one tally sheet for ``unit`` at its current version."""
    county = unit.partition("|")[0]
    version = next(w.version for w in recounts.wards(recount_id, county) if w.unit == unit)
    recounts.enter_tally_sheet(
        recount_id,
        unit,
        "sheet 1",
        votes,
        expected_version=version,
        actor=f"{county.lower()}-clerk",
        county=county,
    )


def accept(recounts: RecountStore, recount_id: int, county: str) -> None:
    """Submit ``county``'s recount as its clerk and accept it as the administrator."""
    clerk = f"{county.lower()}-clerk"
    part = recounts.county(recount_id, county)
    if part.status.value == "not started":
        recounts.county_step(recount_id, county, CountyAction.START, actor=clerk, role=Role.CLERK)
    recounts.county_step(recount_id, county, CountyAction.SUBMIT, actor=clerk, role=Role.CLERK)
    recounts.county_step(
        recount_id, county, CountyAction.ACCEPT, actor="admin", role=Role.ADMINISTRATOR
    )


def manifest(county: str, batches: int, cards: int) -> AuditFile:
    """A county's ballot manifest: ``batches`` batches of ``cards`` cards."""
    rows = "".join(f"{county} batch {b},{cards}\n" for b in range(1, batches + 1))
    content = ("Batch Name,Number of Ballots\n" + rows).encode()
    return AuditFile(county, "manifest", f"{county} manifest.csv", content)


def polling_audit(audits: AuditStore, *, seeded: bool) -> int:
    """Create a two-county ballot-polling audit, upload its manifests and publish them; with
    ``seeded``, enter the seed too (round 1 drawn, nothing read yet)."""
    audit_id = audits.create_audit("2016 President RLA", ["Adams", "Dane"], actor="admin")
    audits.add_contest(
        audit_id, "President", "ballot polling", 0.1, reported=REPORTED, actor="admin"
    )
    for county, batches in (("Adams", 4), ("Dane", 8)):
        file = manifest(county, batches, 250)
        audits.upload_file(audit_id, file, summarize_file(file), actor=f"{county.lower()}-clerk")
    audit = audits.audit(audit_id)
    files = AuditFiles.read(audits.file_contents(audit_id), audit.counties)
    audits.publish(audit_id, actor="admin", findings=files.findings())
    if seeded:
        start_audit(audits, audit_id, SEED, actor="admin")
    return audit_id


def read_open_round(
    audits: AuditStore, audit_id: int, *, vote: str = "Clinton", limit: int | None = None
) -> int:
    """Record every card of the open round (the first ``limit``) as a vote for ``vote``;
    return how many."""
    rounds = audits.rounds(audit_id)
    cards = [c for c in audits.sample(audit_id) if c.round_number == rounds[-1].number][:limit]
    for card in cards:
        audits.record_entry(
            audit_id,
            card.county,
            card.sequence,
            found=True,
            votes={"President": [vote]},
            actor=f"{card.county.lower()}-board",
        )
    return len(cards)


def complete_audit(audits: AuditStore, audit_id: int) -> None:
    """Read rounds (every card for the reported winner) until the audit completes."""
    for _ in range(5):
        read_open_round(audits, audit_id)
        if close_round(audits, audit_id, actor="admin"):
            return
    raise AssertionError("the audit did not complete in five rounds")
