"""``papertally audit oneaudit plan | sample | risk``: a OneAudit of a mixed election from files.

CVR counties give their CVR exports and manifests; pooled counties (or batches marked ``CVR`` =
No) give manifests and, per county, the batch tallies of the contest. The audit is one
card-level comparison over every card (Stark 2023, ONEAudit); see
:mod:`papertally.workflows.oneaudit`. ``sample`` and ``risk`` draw and measure exactly as
``papertally audit sample | risk --cvrs`` do, through the same adapters.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from papertally.cli.common import console, print_json, user_errors

if TYPE_CHECKING:
    from papertally.workflows.cvr_audit import ComparisonAudit

app = typer.Typer(
    help="OneAudit of a mixed election: cards with CVRs and pooled cards, one comparison audit.",
    no_args_is_help=True,
)

CVRS_HELP = "CVR exports as [COUNTY=]FILE (the counties with CVRs)."
MANIFEST_HELP = "Ballot manifest as [COUNTY=]FILE; repeat per county, pooled counties too."
TALLIES_HELP = (
    "A pooled county's batch tallies of the contest as COUNTY=FILE (Batch Name, choices)."
)
CVRS_OPTION = typer.Option(..., "--cvrs", help=CVRS_HELP)
MANIFEST_OPTION = typer.Option(..., "--manifest", "-m", help=MANIFEST_HELP)
TALLIES_OPTION = typer.Option([], "--batch-tallies", help=TALLIES_HELP)
CONTEST_OPTION = typer.Option(..., "--contest", help="The contest to audit.")
RISK_LIMIT_OPTION = typer.Option(0.05, "--risk-limit", help="The risk limit.")
WINNERS_OPTION = typer.Option(None, "--winners", min=1, help="Seats (default: 1).")
SUPERMAJORITY_OPTION = typer.Option(
    None,
    "--supermajority",
    help="Audit the winner's supermajority: more than this share of the valid votes (0-1).",
)
"""Options every ``oneaudit`` command takes (the files and the contest)."""


def _audit(
    cvrs: Sequence[str],
    manifests: Sequence[str],
    tallies: Sequence[str],
    contest: str,
    risk_limit: float,
    winners: int | None,
    supermajority: float | None = None,
) -> ComparisonAudit:
    """Read the files and fix the contest as a OneAudit."""
    from papertally.audit.martingale import check_risk_limit
    from papertally.cli.audit_cvr import _located
    from papertally.workflows.oneaudit import mixed_audit

    check_risk_limit(risk_limit)
    return mixed_audit(
        _located(cvrs),
        _located(manifests),
        _located(tallies),
        contest=contest,
        risk_limit=risk_limit,
        winners=winners,
        supermajority=supermajority,
    )


def plan_json(audit: ComparisonAudit, supermajority: float | None = None) -> dict[str, Any]:
    """Return the OneAudit plan (and SUITE's, when every pool has a tally and the contest is
    plurality) as JSON data; ``supermajority``: plan the winner's supermajority assertion."""
    from papertally.workflows.oneaudit import (
        PLANNING_TRIALS,
        method_choice,
        oneaudit_contests,
        oneaudit_plan,
    )

    (spec,) = audit.specs
    if supermajority is None:
        supermajority = spec.supermajority
    contests = oneaudit_contests(spec, supermajority=supermajority)
    neutral = sorted({name for c in contests for name in c.neutral_pools})
    out: dict[str, Any] = {
        "contest": spec.name,
        "cards": spec.cards,
        "linked_cards": spec.cvr_cards,
        "pools": len(spec.pools or ()),
        "pools_without_tally": neutral,
        "supermajority": supermajority,
        "assertions": [
            {"name": c.assorter.name, "margin": c.diluted_margin, "noerror": c.noerror}
            for c in contests
        ],
    }
    estimate = oneaudit_plan(spec, supermajority=supermajority)
    out["estimate"] = {
        "assertion": estimate.assertion,
        "draws": estimate.draws,
        "mean": round(estimate.sizes.mean, 1),
        "p50": estimate.sizes.p50,
        "p90": estimate.sizes.p90,
        "p99": estimate.sizes.p99,
    }
    if neutral or supermajority is not None:
        plan = oneaudit_plan(spec, trials=PLANNING_TRIALS, supermajority=supermajority)
        sizes = plan.sizes
        out["choice"] = {
            "contest": spec.name,
            "suite_draws": None,
            "oneaudit_draws": plan.draws,
            "oneaudit_mean": round(sizes.mean, 1),
            "oneaudit_p50": sizes.p50,
            "oneaudit_p90": sizes.p90,
            "oneaudit_p99": sizes.p99,
            "chosen": "oneaudit",
        }
    else:
        out["choice"] = method_choice(spec, trials=PLANNING_TRIALS).to_json()
    return out


@app.command("plan")
@user_errors
def plan(
    cvrs: list[str] = CVRS_OPTION,
    manifest: list[str] = MANIFEST_OPTION,
    batch_tallies: list[str] = TALLIES_OPTION,
    contest: str = CONTEST_OPTION,
    risk_limit: float = RISK_LIMIT_OPTION,
    winners: int | None = WINNERS_OPTION,
    supermajority: float | None = SUPERMAJORITY_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
) -> None:
    """Plan the OneAudit by simulation (mean and quantiles of the cards it needs) beside the
    SUITE hybrid's plan, and say which needs fewer cards; also print the app's quick estimate."""
    audit = _audit(cvrs, manifest, batch_tallies, contest, risk_limit, winners, supermajority)
    data = plan_json(audit)
    if as_json:
        print_json(data)
        return
    choice = data["choice"]
    console.print(
        f"{data['contest']}: {data['cards']:,} cards, {data['linked_cards']:,} with CVRs, "
        f"{data['pools']} pools",
        markup=False,
        highlight=False,
    )
    for a in data["assertions"]:
        console.print(f"  {a['name']}: diluted margin {a['margin']:.4g}", highlight=False)
    if data["pools_without_tally"]:
        console.print(
            f"  pools without a tally (ONE CVR ½): {', '.join(data['pools_without_tally'])}",
            markup=False,
            highlight=False,
        )
    console.print(
        f"OneAudit: {choice['oneaudit_draws']:,} cards for a 90% chance to finish (simulated: "
        f"mean {choice['oneaudit_mean']:,}, median {choice['oneaudit_p50']:,}, 99th percentile "
        f"{choice['oneaudit_p99']:,})",
        highlight=False,
    )
    estimate = data["estimate"]
    console.print(
        f"  estimate without simulating (the app's plan): {estimate['draws']:,} cards at 90% "
        f"(mean {estimate['mean']:,}, median {estimate['p50']:,}, 99th percentile "
        f"{estimate['p99']:,})",
        highlight=False,
    )
    if choice["suite_draws"] is None:
        console.print(
            "SUITE hybrid: not planned ("
            + ("plurality only" if supermajority is not None else "needs every pool's tally")
            + ")",
            highlight=False,
        )
    else:
        console.print(f"SUITE hybrid: {choice['suite_draws']:,} cards", highlight=False)
    console.print(f"fewer cards: {choice['chosen']}", highlight=False)


@app.command("sample")
@user_errors
def sample(
    seed: str = typer.Option(..., "--seed", help="The public random seed (20+ dice digits)."),
    cvrs: list[str] = CVRS_OPTION,
    manifest: list[str] = MANIFEST_OPTION,
    batch_tallies: list[str] = TALLIES_OPTION,
    contest: str = CONTEST_OPTION,
    risk_limit: float = RISK_LIMIT_OPTION,
    winners: int | None = WINNERS_OPTION,
    size: int | None = typer.Option(
        None, "--size", "-n", min=1, help="Cards to draw (default: the OneAudit plan)."
    ),
    supermajority: float | None = SUPERMAJORITY_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the sample as JSON."),
    csv_out: Path | None = typer.Option(None, "--csv", help="Write the retrieval list here."),
) -> None:
    """Draw round 1 of the OneAudit (the app's consistent sampler) and list the cards."""
    from papertally.cli.audit_cvr import sample_command

    audit = _audit(cvrs, manifest, batch_tallies, contest, risk_limit, winners, supermajority)
    sample_command(
        seed=seed,
        cvrs=cvrs,
        manifests=manifest,
        size=size,
        risk_limit=risk_limit,
        contests=[contest],
        winners=[],
        as_json=as_json,
        csv_out=csv_out,
        audit=audit,
    )


@app.command("risk")
@user_errors
def risk(
    seed: str = typer.Option(..., "--seed", help="The public random seed of the sample."),
    cvrs: list[str] = CVRS_OPTION,
    manifest: list[str] = MANIFEST_OPTION,
    mvrs: Path = typer.Option(
        ..., "--mvrs", help="The auditors' readings: card_id,contest,choices (as audit risk)."
    ),
    batch_tallies: list[str] = TALLIES_OPTION,
    contest: str = CONTEST_OPTION,
    risk_limit: float = RISK_LIMIT_OPTION,
    winners: int | None = WINNERS_OPTION,
    size: int | None = typer.Option(None, "--size", "-n", min=1, help="Round 1's size, if set."),
    supermajority: float | None = SUPERMAJORITY_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the measurement as JSON."),
    csv_out: Path | None = typer.Option(
        None, "--csv", help="Write the next round's retrieval list here."
    ),
) -> None:
    """Measure the OneAudit's risk from the readings, round by round; say whether to escalate."""
    from papertally.cli.audit_cvr import risk_command

    audit = _audit(cvrs, manifest, batch_tallies, contest, risk_limit, winners, supermajority)
    risk_command(
        seed=seed,
        cvrs=cvrs,
        manifests=manifest,
        mvrs=mvrs,
        size=size,
        risk_limit=risk_limit,
        contests=[contest],
        winners=[],
        as_json=as_json,
        csv_out=csv_out,
        audit=audit,
    )


@app.command("irv-plan")
@user_errors
def irv_plan(
    cvrs: list[Path] = typer.Option(
        ...,
        "--cvrs",
        help="Ranked CVRs of the linked cards (CVR exports, .raire or raire-rs JSON).",
    ),
    pools: Path = typer.Option(
        ..., "--pools", help="Pools and their ranking distributions: pool,cards,ranking,count."
    ),
    contest: str | None = typer.Option(None, "--contest", help="The ranked contest."),
    rules: str = typer.Option("san-francisco", "--rules", help="san-francisco or maine."),
    winner: str | None = typer.Option(None, "--winner", help="The reported winner."),
    risk_limit: float = RISK_LIMIT_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
) -> None:
    """Plan a OneAudit of an IRV contest: RAIRE assertions over linked CVRs and ranked pools
    (a pool without rankings gets the neutral ONE CVR), each assertion's cards by the estimate."""
    from papertally.audit.irv.ballots import ballot_rules
    from papertally.audit.martingale import check_risk_limit
    from papertally.workflows.irv import read_ranked_contest
    from papertally.workflows.oneaudit import irv_oneaudit_plan, read_ranked_pools

    check_risk_limit(risk_limit)
    found = read_ranked_contest(cvrs, contest=contest, rules=ballot_rules(rules))
    candidates = found.ballots.candidates
    ranked: list[tuple[str, ...]] = []
    for ranking, count in zip(found.ballots.rankings, found.ballots.counts, strict=True):
        ranked += [tuple(candidates[i] for i in ranking)] * int(count)
    ranked += [()] * max(0, (found.total_ballots or 0) - found.ballots.total)
    plan = irv_oneaudit_plan(
        ranked,
        candidates,
        read_ranked_pools(pools, candidates),
        risk_limit=risk_limit,
        winner=winner or found.winner,
    )
    data: dict[str, Any] = {
        "contest": found.name,
        "winner": plan.winner,
        "cards": plan.cards,
        "linked_cards": len(ranked),
        "pools_without_rankings": list(plan.neutral_pools),
        "assertions": [
            {
                "name": a.name,
                "margin": a.diluted_margin,
                "mean": round(a.sizes.mean, 1),
                "p50": a.sizes.p50,
                "p90": a.sizes.p90,
                "p99": a.sizes.p99,
            }
            for a in plan.assertions
        ],
        "draws": plan.hardest.sizes.p90,
    }
    if as_json:
        print_json(data)
        return
    console.print(
        f"{found.name}: winner {plan.winner}, {plan.cards:,} cards, {len(ranked):,} with CVRs",
        markup=False,
        highlight=False,
    )
    for a in data["assertions"]:
        console.print(
            f"  {a['name']}: diluted margin {a['margin']:.4g}; {a['p90']:,} cards at 90% "
            f"(mean {a['mean']:,})",
            markup=False,
            highlight=False,
        )
    if plan.neutral_pools:
        console.print(
            f"  pools without rankings (ONE CVR ½): {', '.join(plan.neutral_pools)}",
            markup=False,
            highlight=False,
        )
    console.print(f"OneAudit: {data['draws']:,} cards for a 90% chance to finish", highlight=False)
