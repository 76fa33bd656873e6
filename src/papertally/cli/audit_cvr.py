"""``papertally audit sample | risk --cvrs ...``: a whole ballot-comparison audit from CVR files.

Thin adapters over :mod:`papertally.workflows.cvr_audit`, which reads the files, draws and
measures exactly as the web app does: this module parses options and prints text, JSON or the
retrieval list as CSV.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from papertally.cli.common import console, print_json
from papertally.errors import PapertallyError

if TYPE_CHECKING:
    from papertally.model.audit_records import SampledCard
    from papertally.workflows.cvr_audit import ComparisonAudit, Located


def _located(arguments: Sequence[str]) -> list[Located]:
    from papertally.io.manifests import parse_manifest_argument

    return [parse_manifest_argument(argument) for argument in arguments]


def parse_winners(items: Sequence[str]) -> dict[str, int]:
    """Parse ``CONTEST=K`` items (seats per contest)."""
    seats: dict[str, int] = {}
    for item in items:
        name, sep, number = item.rpartition("=")
        if not sep or not name.strip() or not number.strip().isdigit() or int(number) < 1:
            raise PapertallyError(f"--contest-winners {item!r}: expected CONTEST=K, e.g. 'Mayor=1'")
        seats[name.strip()] = int(number)
    return seats


def load_audit(
    cvrs: Sequence[str],
    manifests: Sequence[str],
    risk_limit: float,
    contests: Sequence[str],
    winners: Sequence[str],
) -> ComparisonAudit:
    """Read the files and fix the contests (see ``comparison_audit``)."""
    from papertally.audit.martingale import check_risk_limit
    from papertally.workflows.cvr_audit import comparison_audit

    check_risk_limit(risk_limit)
    return comparison_audit(
        _located(cvrs),
        _located(manifests),
        risk_limit=risk_limit,
        contests=contests,
        winners=parse_winners(winners),
    )


def write_retrieval(cards: Sequence[SampledCard], round_number: int, path: Path) -> None:
    """Write a round's retrieval list as CSV through a temporary file (all or nothing)."""
    from papertally.workflows.cvr_audit import RETRIEVAL_COLUMNS, retrieval_rows

    target = path.resolve()
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    except OSError as error:
        raise PapertallyError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(RETRIEVAL_COLUMNS)
            writer.writerows(retrieval_rows(cards, round_number))
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise PapertallyError(f"cannot write {path}: {error.strerror or error}") from None


def _contests_json(audit: ComparisonAudit) -> list[dict[str, Any]]:
    return [
        {
            "contest": s.name,
            "votes": dict(s.votes),
            "winners": s.reported_winners(),
            "risk_limit": s.risk_limit,
            "assertions": [{"name": a.name, "margin": a.diluted_margin} for a in s.assertions()],
        }
        for s in audit.specs
    ]


def _print_contests(audit: ComparisonAudit) -> None:
    console.print(
        f"{audit.files.manifest.total_ballots:,} cards in the manifests of "
        f"{', '.join(audit.counties)}",
        highlight=False,
    )
    for spec in audit.specs:
        votes = ", ".join(f"{c} {n:,}" for c, n in spec.votes.items())
        margin = min(a.diluted_margin for a in spec.assertions())
        console.print(
            f"  {spec.name}: {votes}; diluted margin {margin:.4g}", markup=False, highlight=False
        )
    for reason in audit.skipped:
        console.print(f"  not audited: {reason}", markup=False, highlight=False)


def sample_command(
    *,
    seed: str,
    cvrs: Sequence[str],
    manifests: Sequence[str],
    size: int | None,
    risk_limit: float,
    contests: Sequence[str],
    winners: Sequence[str],
    as_json: bool,
    csv_out: Path | None,
    audit: ComparisonAudit | None = None,
) -> None:
    """Draw round 1 as the app does and list the cards to retrieve, with their ids.

    ``audit``: the files read and contests fixed already (a OneAudit's), instead of reading
    ``cvrs`` and ``manifests`` as a comparison audit."""
    from papertally.audit.sampling import validate_seed
    from papertally.io.audit_export import draw_cards
    from papertally.workflows.cvr_audit import card_id
    from papertally.workflows.measure import first_round_size

    seed = validate_seed(seed)
    audit = audit or load_audit(cvrs, manifests, risk_limit, contests, winners)
    count = first_round_size(list(audit.specs)) if size is None else size
    total = audit.files.manifest.total_ballots
    if not 1 <= count <= total:
        raise PapertallyError(f"--size must be between 1 and {total} (the manifests' cards)")
    cards = draw_cards(audit.files, seed, count, 0)
    if csv_out is not None:
        write_retrieval(cards, 1, csv_out)
    findings = audit.files.findings()
    if as_json:
        print_json(
            {
                "seed": seed,
                "cards": total,
                "round": 1,
                "size": count,
                "contests": _contests_json(audit),
                "not_audited": list(audit.skipped),
                "findings": findings,
                "draws": [
                    {
                        "sequence": c.sequence,
                        "ticket": c.ticket,
                        "county": c.county,
                        "container": c.container,
                        "tabulator": c.tabulator,
                        "batch": c.batch,
                        "position": c.position,
                        "card_id": card_id(c),
                        "has_cvr": c.cvr is not None,
                    }
                    for c in cards
                ],
            }
        )
        return
    _print_contests(audit)
    for finding in findings:
        console.print(f"  check: {finding}", markup=False, highlight=False)
    console.print(
        f"round 1: {count} cards drawn (seed {seed})"
        + (f", retrieval list written to {csv_out}" if csv_out is not None else ""),
        highlight=False,
    )
    if csv_out is None:
        for c in cards:
            console.print(
                f"  draw {c.sequence}: {c.county}, tabulator {c.tabulator or '-'}, batch "
                f"{c.batch}, ballot {c.position}: card {card_id(c)}",
                markup=False,
                highlight=False,
            )


def risk_command(
    *,
    seed: str,
    cvrs: Sequence[str],
    manifests: Sequence[str],
    mvrs: Path,
    size: int | None,
    risk_limit: float,
    contests: Sequence[str],
    winners: Sequence[str],
    as_json: bool,
    csv_out: Path | None,
    audit: ComparisonAudit | None = None,
) -> None:
    """Measure every contest from the auditors' readings; say whether to escalate (``audit``
    as in :func:`sample_command`)."""
    from papertally.workflows.cvr_audit import measure_mvrs
    from papertally.workflows.measure import round_to_json

    audit = audit or load_audit(cvrs, manifests, risk_limit, contests, winners)
    measured = measure_mvrs(audit, seed, mvrs, size)
    latest = measured.rounds[-1]
    next_round: dict[str, Any] | None = None
    if measured.next_cards:
        first = measured.next_cards[0].sequence
        next_round = {
            "round": latest.round_number + 1,
            "size": len(measured.next_cards),
            "draws": [first, measured.next_cards[-1].sequence],
            "read": measured.read,
        }
        if csv_out is not None:
            write_retrieval(measured.next_cards, latest.round_number + 1, csv_out)
    result = {
        "seed": seed,
        "cards": audit.files.manifest.total_ballots,
        "contests": _contests_json(audit),
        "not_audited": list(audit.skipped),
        "rounds": [round_to_json(r) for r in measured.rounds],
        "risk": {c.contest: c.risk for c in latest.contests},
        "finished": latest.finished,
        "next_round": next_round,
    }
    if as_json:
        print_json(result)
        return
    _print_contests(audit)
    console.print(
        f"after round {latest.round_number} ({latest.cards_drawn} cards read):", highlight=False
    )
    for contest in latest.contests:
        if contest.confirmed:
            verdict = "risk limit met: the reported outcome is confirmed"
        elif contest.full_hand_count and contest.hand_count_winners is not None:
            verdict = f"full hand count: winners {', '.join(contest.hand_count_winners)}"
        elif contest.full_hand_count:
            verdict = "risk limit not met: escalate to a full hand count"
        else:
            verdict = f"risk limit not met: escalate ({contest.next_round_size} more cards)"
        console.print(
            f"  {contest.contest}: risk {contest.risk:.4g} (limit {contest.risk_limit:g}): "
            f"{verdict}",
            markup=False,
            highlight=False,
        )
        for a in contest.assertions:
            found = ", ".join(f"{k} {n}" for k, n in a.discrepancies.items()) or "none"
            console.print(
                f"    {a.name}: margin {a.margin:.4g}, p-value {a.p_value:.4g}; "
                f"discrepancies: {found}",
                markup=False,
                highlight=False,
            )
    if next_round is not None:
        console.print(
            f"next: round {next_round['round']}, draws {next_round['draws'][0]}–"
            f"{next_round['draws'][1]} ({next_round['size']} cards, {next_round['read']} read)"
            + (f"; retrieval list written to {csv_out}" if csv_out is not None else ""),
            highlight=False,
        )
    else:
        console.print("the audit is finished", highlight=False)
