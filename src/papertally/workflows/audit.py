"""The audit workflow over the store: start, draw, measure rounds, report.

The use-cases of a risk-limiting audit that the web app, the command line and the benchmarks
share, so that they cannot drift apart: :func:`start_audit` fixes the contests from the counties'
files and draws round 1 (:func:`papertally.workflows.measure.first_round_size`),
:func:`close_round` measures every contest (:func:`papertally.workflows.measure.measure_rounds`)
and draws the next round or completes the audit, :func:`audit_report` gathers the report. The
order follows the practice of risk-limiting audits (Lindeman & Stark 2012, "A gentle introduction
to risk-limiting audits"): files and their hashes published before the seed, rounds until every
contest is confirmed or counted in full. Access rules are the callers' (the app's routes); every
write goes through :class:`papertally.store.audits.AuditStore` in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from papertally.audit.contests import AuditedCard, AuditType, ContestSpec
from papertally.audit.sampling import natural_key, validate_seed
from papertally.errors import PapertallyError
from papertally.io.audit_export import (
    AuditFiles,
    batch_audit_inputs,
    batch_setup,
    draw_batches,
    draw_cards,
)
from papertally.report.audit_report import AuditReport, build_audit_report
from papertally.store.audits import AuditStore, BoardEntry, StoredCard
from papertally.types import ChoiceName, ContestName
from papertally.workflows.measure import (
    first_batch_round_size,
    first_round_size,
    measure_batch_rounds,
    measure_rounds,
    round_to_json,
)


def _require(condition: bool, message: str) -> None:
    """Raise a user error with ``message`` unless ``condition`` holds."""
    if not condition:
        raise PapertallyError(message)


def is_batch_audit(specs: Sequence[ContestSpec]) -> bool:
    """Whether the audit samples batches (batch comparison) rather than cards."""
    return any(s.audit_type is AuditType.BATCH_COMPARISON for s in specs)


def contest_specs(audits: AuditStore, audit_id: int) -> list[ContestSpec]:
    """Return the contests' specs fixed when the seed was entered."""
    specs = [c.spec for c in audits.contests(audit_id)]
    _require(all(s is not None for s in specs), "the seed has not been entered yet")
    return [ContestSpec.from_json(s) for s in specs if s is not None]


def contest_spec(
    files: AuditFiles,
    name: ContestName,
    audit_type: AuditType,
    risk_limit: float,
    winners: int,
    reported: Mapping[ChoiceName, int] | None = None,
) -> ContestSpec:
    """Fix one contest for the audit from the counties' files, as the seed is entered.

    The reported votes are the CVRs' tally (the batch tallies' for batch comparison; ``reported``
    when typed in, for a polling contest without CVRs and for a hybrid contest, whose CVR
    stratum keeps the CVRs' tally), over all the cards of the counties' manifests. Refuses
    reported votes the manifests' cards cannot hold.
    """
    if audit_type == AuditType.BATCH_COMPARISON:
        votes, allowed = files.reported_batch_votes(name), 1
    elif reported is not None:
        votes, allowed = dict(reported), winners
    else:
        votes, allowed = files.reported_votes(name)
    frame = files.manifest.total_ballots
    if sum(votes.values()) > max(allowed, winners) * frame:
        raise PapertallyError(
            f"contest {name!r}: the reported votes add up to {sum(votes.values()):,}, "
            f"more than the {frame:,} cards of the counties' manifests can hold; check the "
            "manifests"
        )
    hybrid = audit_type == AuditType.HYBRID
    cvr_votes = None
    if hybrid:
        cvr_votes, allowed = files.reported_votes(name)
    spec = ContestSpec(
        name,
        audit_type,
        risk_limit,
        votes,
        frame,
        winners,
        allowed,
        cvr_votes=cvr_votes,
        cvr_cards=files.cvr_stratum_cards if hybrid else None,
    )
    if hybrid:
        spec.strata()
    return spec


def _with_share(spec: ContestSpec, share: float | None) -> ContestSpec:
    """Return ``spec`` whose one winner needs more than ``share`` of the valid votes (SHANGRLA
    §2.3); refuses a share outside (0.5, 1), several winners, reported votes short of it, and
    polling and batch comparison, whose rounds measure winner-loser pairs."""
    from dataclasses import replace

    if share is None:
        return spec
    _require(
        0.5 < share < 1.0,
        f"contest {spec.name!r}: the supermajority share must lie between 0.5 and 1, got {share:g}",
    )
    _require(spec.winners == 1, f"contest {spec.name!r}: a supermajority has one winner")
    _require(
        spec.audit_type in (AuditType.BALLOT_COMPARISON, AuditType.HYBRID),
        f"contest {spec.name!r}: the app measures a supermajority by ballot comparison or "
        f"OneAudit; {spec.audit_type.value} audits test winner-loser pairs",
    )
    shared = replace(spec, supermajority=share)
    try:
        shared.assertions()
    except PapertallyError as error:
        raise PapertallyError(f"contest {spec.name!r}: {error}") from None
    return shared


def _method(spec: ContestSpec, hybrid_method: str) -> str:
    """Return how a hybrid contest is measured: a supermajority only by OneAudit (SUITE tests
    winner-loser pairs), so ``fewest`` picks OneAudit for it and ``suite`` is refused."""
    if spec.supermajority is None or spec.audit_type is not AuditType.HYBRID:
        return hybrid_method
    _require(
        hybrid_method != "suite",
        f"contest {spec.name!r}: SUITE tests winner-loser pairs; measure a supermajority by "
        "OneAudit",
    )
    return "oneaudit" if hybrid_method == "fewest" else hybrid_method


def start_audit(
    audits: AuditStore,
    audit_id: int,
    seed: str,
    *,
    actor: str,
    hybrid_method: str = "suite",
    supermajority: Mapping[ContestName, float] | None = None,
) -> int:
    """Fix the contests from the CVRs' tallies, size round 1 and draw it; return its size.

    The reported votes of every contest are the tally of the counties' CVRs (typed in for a
    polling contest without CVRs and for a hybrid contest, whose CVR stratum keeps the CVRs'
    tally), and every contest is audited over all the cards of the counties' manifests.
    ``hybrid_method`` measures hybrid contests by ``suite``, ``oneaudit`` or ``fewest``
    (whichever plans fewer cards: :func:`papertally.workflows.oneaudit.method_choice`).
    ``supermajority`` names the contests whose one winner needs more than a share of the valid
    votes (SHANGRLA §2.3), kept in the stored spec for the rounds, report and export.
    """
    from papertally.workflows.irv import with_irv
    from papertally.workflows.oneaudit import with_method

    seed = validate_seed(seed)
    audit = audits.audit(audit_id)
    _require(audit.status == "published", "publish the files' hashes before entering the seed")
    files = AuditFiles.read(audits.file_contents(audit_id), audit.counties)
    specs = [
        contest_spec(
            files,
            contest.name,
            AuditType(contest.audit_type),
            contest.risk_limit,
            contest.winners,
            contest.reported,
        )
        for contest in audits.contests(audit_id)
    ]
    shares = dict(supermajority or {})
    unknown = sorted(set(shares) - {s.name for s in specs})
    if unknown:
        raise PapertallyError(f"supermajority: no contest {unknown[0]!r} in the audit")
    specs = [_with_share(spec, shares.get(spec.name)) for spec in specs]
    specs = [
        with_irv(with_method(spec, _method(spec, hybrid_method), files), files) for spec in specs
    ]
    ranked = [s.name for s in specs if s.irv is not None and s.supermajority is not None]
    if ranked:
        raise PapertallyError(f"contest {ranked[0]!r} is ranked-choice (IRV): no supermajority")
    if is_batch_audit(specs):
        contests, bounds = batch_setup(files, specs)
        size = first_batch_round_size(specs, contests)
        cards = draw_batches(files, bounds, seed, size, 0)
    else:
        size = first_round_size(specs)
        cards = draw_cards(files, seed, size, 0)
    audits.start(audit_id, seed, [s.to_json() for s in specs], cards, actor=actor)
    return size


def audited_cards(
    audits: AuditStore,
    audit_id: int,
    current: Sequence[BoardEntry] | None = None,
    files: AuditFiles | None = None,
) -> list[AuditedCard]:
    """Return every drawn card with its CVR and its current board reading (None: not found).

    ``current`` are the current entries when the caller has read them already; with ``files``
    each card also says whether its batch has CVRs (the strata of hybrid audits).
    """
    read = audits.entries(audit_id) if current is None else current
    entries = {e.sequence: e for e in read}
    cards = []
    for card in audits.sample(audit_id):
        entry = entries.get(card.sequence)
        paper = entry.votes if entry is not None and entry.found else None
        stratum = files is None or files.in_cvr_stratum(card.county, card.tabulator, card.batch)
        cards.append(
            AuditedCard(card.sequence, card.cvr, paper, stratum, (card.county, card.batch))
        )
    return cards


def close_round(audits: AuditStore, audit_id: int, *, actor: str) -> bool:
    """Measure the risk after the open round; draw the next round or complete the audit.

    Returns True when the audit is complete.
    """
    audit = audits.audit(audit_id)
    _require(audit.status == "in progress", f"audit {audit_id} has no round in progress")
    rounds = audits.rounds(audit_id)
    current = rounds[-1]
    specs = contest_specs(audits, audit_id)
    current_entries = audits.entries(audit_id)
    based_on = {e.sequence: e.id for e in current_entries}
    next_cards = None
    ends = [r.cards_drawn for r in rounds]
    assert audit.seed is not None
    files = AuditFiles.read(audits.file_contents(audit_id), audit.counties)
    cards = audited_cards(audits, audit_id, current_entries, files)
    if is_batch_audit(specs):
        contests, bounds = batch_setup(files, specs)
        draws, audited = batch_audit_inputs(
            [(c.sequence, (c.county, c.batch)) for c in audits.sample(audit_id)],
            {e.sequence: e.tallies if e.found else None for e in current_entries},
        )
        latest = measure_batch_rounds(specs, contests, draws, audited, ends)[-1]
        if not latest.finished:
            next_cards = draw_batches(
                files, bounds, audit.seed, max(latest.next_round_size, 1), current.cards_drawn
            )
    else:
        latest = measure_rounds(specs, cards, ends)[-1]
        if not latest.finished:
            size = max(latest.next_round_size, 1)
            next_cards = draw_cards(files, audit.seed, size, current.cards_drawn)
    audits.close_round(
        audit_id,
        current.number,
        round_to_json(latest),
        next_cards,
        based_on=based_on,
        actor=actor,
    )
    return next_cards is None


def audit_report(audits: AuditStore, audit_id: int) -> AuditReport:
    """Return the audit report's content from the store (and its files, for batch tallies)."""
    audit = audits.audit(audit_id)
    contests = audits.contests(audit_id)
    reported = None
    if audit.seed is not None and any(c.audit_type == AuditType.BATCH_COMPARISON for c in contests):
        reported = AuditFiles.read(audits.file_contents(audit_id), audit.counties).batch_tallies
    return build_audit_report(
        audit,
        contests,
        audits.rounds(audit_id),
        audits.sample(audit_id),
        audits.entries(audit_id),
        reported,
    )


def storage_order(cards: Sequence[StoredCard]) -> list[StoredCard]:
    """Return a county's drawn cards round by round, in the order of a walk through storage:
    container, tabulator, batch (numbers in names in natural order), position."""
    return sorted(
        cards,
        key=lambda c: (
            c.round_number,
            natural_key(c.container),
            natural_key(c.tabulator),
            natural_key(c.batch),
            c.position,
            c.sequence,
        ),
    )
