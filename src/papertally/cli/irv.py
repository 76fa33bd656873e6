"""``papertally irv tabulate | assertions | verify | sample-size | audit``: ranked-choice contests.

Thin adapters over :mod:`papertally.workflows.irv` (reading a ranked contest from CVRs or RAIRE
files) and :mod:`papertally.audit.irv` (the count, RAIRE, the audit). Every heavy import
happens inside the command that needs it, so ``papertally --help`` stays fast. Exit status: 0;
1 when ``verify`` finds an elimination order left open or ``audit`` has not met the risk
limit; 2 on bad input.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from papertally.cli.common import console, print_json, user_errors

if TYPE_CHECKING:
    from papertally.audit.irv.raire import AuditKind, RaireResult
    from papertally.workflows.irv import RankedContest

app = typer.Typer(
    help="Ranked-choice (IRV) contests: count, RAIRE assertions, verify, audit.",
    no_args_is_help=True,
)
FilesArgument = typer.Argument(
    ...,
    help="CVR exports with ranks (files, zips, folders), or one raire-rs JSON or Arlo .raire file.",
)
ContestOption = typer.Option(None, "--contest", help="The ranked contest (if several).")
RulesOption = typer.Option(
    "san-francisco", "--rules", help="Ballot rules: san-francisco or maine (docs/irv.md)."
)
WinnerOption = typer.Option(
    None, "--winner", help="The reported winner (default: the file's, else the count's)."
)
TypeOption = typer.Option("comparison", "--type", help="comparison or polling.")
BallotsOption = typer.Option(
    None, "--ballots", help="Cards a sample may draw (default: the contest's ballots)."
)
JsonOption = typer.Option(False, "--json", help="Print JSON instead of text.")
RiskOption = typer.Option(0.05, "--risk-limit", help="The risk limit, e.g. 0.05.")


def register(root: typer.Typer) -> None:
    """Add the ``irv`` group to the ``papertally`` command."""
    root.add_typer(app, name="irv")


def _contest(files: list[Path], contest: str | None, rules: str) -> RankedContest:
    from papertally.audit.irv.ballots import ballot_rules
    from papertally.workflows.irv import read_ranked_contest

    return read_ranked_contest(files, contest=contest, rules=ballot_rules(rules))


def _kind(value: str) -> AuditKind:
    from papertally.errors import PapertallyError

    if value not in ("comparison", "polling"):
        raise PapertallyError(f"--type must be comparison or polling, got {value!r}")
    return "comparison" if value == "comparison" else "polling"


def _winner(found: RankedContest, given: str | None) -> str:
    from papertally.audit.irv.ballots import tabulate

    if given is not None:
        found.ballots.index(given)
        return given
    return found.winner or tabulate(found.ballots).winner


def _ballots(found: RankedContest, given: int | None) -> int | None:
    return given if given is not None else found.total_ballots


def _assertions_json(found: RankedContest, result: RaireResult) -> dict[str, Any]:
    data = result.to_json()
    data["metadata"] = {"candidates": list(found.ballots.candidates), "contest": found.name}
    return data


@app.command()
@user_errors
def tabulate(
    files: list[Path] = FilesArgument,
    contest: str = ContestOption,
    rules: str = RulesOption,
    winner: str = WinnerOption,
    as_json: bool = JsonOption,
) -> None:
    """Count the contest round by round (a deciding tie or a wrong reported winner: exit 2)."""
    from papertally.audit.irv.ballots import tabulate as count

    found = _contest(files, contest, rules)
    result = count(found.ballots, reported_winner=winner or found.winner)
    if as_json:
        print_json(
            {
                "contest": found.name,
                "ballots": result.ballots,
                "winner": result.winner,
                "elimination_order": list(result.elimination_order),
                "rounds": [
                    {
                        "round": r.number,
                        "tallies": r.tallies,
                        "exhausted": r.exhausted,
                        "eliminated": list(r.eliminated),
                        "tie_broken": r.tie_broken,
                    }
                    for r in result.rounds
                ],
            }
        )
        return
    console.print(f"{found.name}: {result.ballots:,} ballots, {len(result.candidates)} candidates")
    for r in result.rounds:
        votes = ", ".join(f"{name} {count:,}" for name, count in r.tallies.items())
        out = f"; eliminated {', '.join(r.eliminated)}" if r.eliminated else ""
        tie = " (tie for last place; every choice elects the same winner)" if r.tie_broken else ""
        console.print(f"  round {r.number}: {votes}; exhausted {r.exhausted:,}{out}{tie}")
    console.print(f"winner: {result.winner}")


@app.command()
@user_errors
def assertions(
    files: list[Path] = FilesArgument,
    contest: str = ContestOption,
    rules: str = RulesOption,
    winner: str = WinnerOption,
    audit_type: str = TypeOption,
    ballots: int = BallotsOption,
    gap: float = typer.Option(0.0, "--gap", help="Optimality gap, in difficulty units."),
    output: Path = typer.Option(None, "--output", "-o", help="Write the assertions (JSON) here."),
    as_json: bool = JsonOption,
) -> None:
    """Choose RAIRE assertions that confirm the reported winner (raire-rs JSON form)."""
    from papertally.audit.irv.raire import find_assertions

    found = _contest(files, contest, rules)
    result = find_assertions(
        found.ballots,
        _winner(found, winner),
        kind=_kind(audit_type),
        total_ballots=_ballots(found, ballots),
        gap=gap,
    )
    data = _assertions_json(found, result)
    if output is not None:
        import json

        output.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    if as_json:
        print_json(data)
        return
    names = found.ballots.candidates
    console.print(
        f"{found.name}: winner {names[result.winner]}; {len(result.assertions)} assertions, "
        f"difficulty {result.difficulty:.4g} ({result.kind}; N = {result.ballots:,}); "
        f"{result.tails_searched:,} tails searched in {result.seconds:.3f} s"
    )
    for a in result.assertions:
        console.print(
            f"  {a.assertion.describe(names)}: margin {a.margin:,}, difficulty {a.difficulty:.4g}"
        )
    if output is not None:
        console.print(f"written to {output}")


@app.command()
@user_errors
def verify(
    assertion_file: Path = typer.Argument(
        ..., help="Assertions: raire-rs output JSON (ours too) or Arlo .raire.out."
    ),
    files: list[Path] = FilesArgument,
    contest: str = ContestOption,
    rules: str = RulesOption,
    winner: str = WinnerOption,
    audit_type: str = TypeOption,
    ballots: int = BallotsOption,
    as_json: bool = JsonOption,
) -> None:
    """Check that assertions rule out every other winner and hold on the ballots (else exit 1)."""
    from papertally.audit.irv.raire import score_assertions, verify_assertions
    from papertally.workflows.irv import read_assertions

    found = _contest(files, contest, rules)
    names = found.ballots.candidates
    chosen = _winner(found, winner)
    read = read_assertions(assertion_file, found, files)
    check = verify_assertions(read, found.ballots.index(chosen), len(names))
    scored = score_assertions(
        read, found.ballots, kind=_kind(audit_type), total_ballots=_ballots(found, ballots)
    )
    false = [s for s in scored if s.margin <= 0]
    ok = check.ok and not false and bool(read)
    if as_json:
        print_json(
            {
                "contest": found.name,
                "winner": chosen,
                "ok": ok,
                "rules_out_every_other_winner": check.ok,
                "open_orders": [[names[c] for c in order] for order in check.open_orders],
                "more_open_orders": check.more_open,
                "assertions": [
                    {**s.assertion.to_json(), "margin": s.margin, "difficulty": s.difficulty}
                    for s in scored
                ],
            }
        )
    else:
        console.print(f"{found.name}: {len(read)} assertions for {chosen}")
        for s in scored:
            mark = "" if s.margin > 0 else "  ← FALSE on these ballots"
            console.print(
                f"  {s.assertion.describe(names)}: margin {s.margin:,}, "
                f"difficulty {s.difficulty:.4g}{mark}"
            )
        if check.ok:
            console.print("every elimination order won by another candidate is ruled out")
        else:
            more = " (and more)" if check.more_open else ""
            console.print(f"NOT ruled out{more}:")
            for order in check.open_orders:
                console.print("  " + " → ".join(names[c] for c in order))
        console.print("verdict: " + ("ok" if ok else "the assertions do not confirm the winner"))
    if not ok:
        raise typer.Exit(code=1)


@app.command("sample-size")
@user_errors
def sample_size(
    files: list[Path] = FilesArgument,
    contest: str = ContestOption,
    rules: str = RulesOption,
    winner: str = WinnerOption,
    audit_type: str = TypeOption,
    ballots: int = BallotsOption,
    risk_limit: float = RiskOption,
    error_rates: str = typer.Option(
        None, "--error-rates", help="Comparison: expected rates per card, o1=..,o2=..,u1=..,u2=.."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Cards each RAIRE assertion needs if the CVRs are right (CLCA, or ALPHA at 90%)."""
    from papertally.audit.comparison import ErrorRates
    from papertally.audit.irv.audit import sample_sizes
    from papertally.audit.irv.raire import find_assertions
    from papertally.cli.audit_stats import parse_rates

    found = _contest(files, contest, rules)
    kind = _kind(audit_type)
    result = find_assertions(
        found.ballots, _winner(found, winner), kind=kind, total_ballots=_ballots(found, ballots)
    )
    sizes = sample_sizes(
        result,
        found.ballots,
        risk_limit=risk_limit,
        polling=kind == "polling",
        error_rates=ErrorRates(**parse_rates(error_rates)),
    )
    names = found.ballots.candidates
    if as_json:
        print_json(
            {
                "contest": found.name,
                "sample_size": max(sizes.values()),
                "assertions": [{**a.to_json(), "sample_size": n} for a, n in sizes.items()],
            }
        )
        return
    console.print(f"{found.name}: {max(sizes.values()):,} cards ({kind}, risk limit {risk_limit})")
    for a, n in sizes.items():
        console.print(f"  {a.describe(names)}: {n:,}")


@app.command()
@user_errors
def audit(
    files: list[Path] = FilesArgument,
    assertion_file: Path = typer.Option(
        ..., "--assertions", help="The assertions audited (from `irv assertions -o`, or raire-rs)."
    ),
    readings: Path = typer.Option(
        ..., "--readings", help="CSV: card_id, paper (e.g. Alice>Bob), one row per draw, in order."
    ),
    contest: str = ContestOption,
    rules: str = RulesOption,
    winner: str = WinnerOption,
    audit_type: str = TypeOption,
    ballots: int = BallotsOption,
    risk_limit: float = RiskOption,
    with_replacement: bool = typer.Option(
        False, "--with-replacement", help="Draws with replacement."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Measure an IRV audit's risk from the cards read (exit 1 while the limit is not met).

    Every assertion by CLCA (comparison) or ALPHA (polling); the contest's risk is the largest.
    """
    from papertally.audit.irv.audit import (
        comparison_next_round_size,
        comparison_risk,
        polling_risk,
    )
    from papertally.audit.irv.raire import (
        RaireResult,
        score_assertions,
        verify_assertions,
    )
    from papertally.errors import PapertallyError
    from papertally.workflows.irv import read_assertions, read_readings

    found = _contest(files, contest, rules)
    kind = _kind(audit_type)
    names = found.ballots.candidates
    chosen = found.ballots.index(_winner(found, winner))
    read = read_assertions(assertion_file, found, files)
    check = verify_assertions(read, chosen, len(names))
    if not check.ok:
        shown = " → ".join(names[c] for c in check.open_orders[0])
        raise PapertallyError(
            f"{assertion_file.name}: the assertions leave open the elimination order {shown}; "
            "they cannot confirm the winner (see `papertally irv verify`)"
        )
    total = _ballots(found, ballots) or found.ballots.total
    if total < found.ballots.total:
        raise PapertallyError(
            f"--ballots {total} is below the contest's {found.ballots.total:,} ballots"
        )
    scored = score_assertions(read, found.ballots, kind=kind, total_ballots=total)
    false = [s for s in scored if s.margin <= 0]
    if false:
        raise PapertallyError(
            f"{assertion_file.name}: {false[0].assertion.describe(names)} is false on the CVRs "
            f"(margin {false[0].margin}); it cannot be audited"
        )
    result = RaireResult(names, chosen, tuple(scored), kind, total, 0, 0.0)
    cvrs, papers = read_readings(readings, found, need_cvrs=kind == "comparison")
    if kind == "comparison":
        risk = comparison_risk(
            result,
            found.ballots,
            cvrs,
            papers,
            risk_limit=risk_limit,
            with_replacement=with_replacement,
        )
    else:
        risk = polling_risk(
            result,
            found.ballots,
            papers,
            risk_limit=risk_limit,
            with_replacement=with_replacement,
        )
    more = None
    if kind == "comparison" and not risk.confirmed:
        more = comparison_next_round_size(
            result, found.ballots, cvrs, papers, risk_limit=risk_limit
        )
    if as_json:
        print_json(
            {
                "contest": found.name,
                "type": kind,
                "cards_read": len(papers),
                "next_round_more_cards": more,
                "risk": risk.risk,
                "risk_limit": risk_limit,
                "confirmed": risk.confirmed,
                "assertions": [
                    {
                        **a.assertion.assertion.to_json(),
                        "diluted_margin": a.diluted_margin,
                        "p_value": a.measurement.p_value,
                        "confirmed": a.measurement.stop,
                    }
                    for a in risk.assertions
                ],
            }
        )
    else:
        verdict = (
            "risk limit met: the reported winner is confirmed"
            if risk.confirmed
            else "risk limit not met: draw more cards"
        )
        console.print(
            f"{found.name} ({kind}, {len(papers):,} cards read): risk {risk.risk:.4g} "
            f"(limit {risk_limit}): {verdict}"
        )
        for a in risk.assertions:
            console.print(
                f"  {a.assertion.assertion.describe(names)}: diluted margin "
                f"{a.diluted_margin:.4g}, p-value {a.measurement.p_value:.4g}"
            )
        if more is not None:
            console.print(f"next round: {more:,} more cards (CLCA, 90% chance to finish)")
    if not risk.confirmed:
        raise typer.Exit(code=1)
