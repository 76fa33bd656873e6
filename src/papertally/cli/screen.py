"""``papertally screen``: screen results by voting technology and absentee voting, and decide
whether a recount or an audit is worth asking for (issue 14).

A thin adapter over :func:`papertally.workflows.screening.run_screening`: it parses options,
shows progress and prints; the HTML report is :mod:`papertally.report.screening`'s.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from papertally.cli.common import console, print_json, progress_bar, user_errors
from papertally.errors import PapertallyError

STAGES = 6
"""Stages the workflow announces (results, baseline, covariates, matching, screening, desk)."""
MAX_POLLING_TRIALS = 500
"""Cap of ``--polling-trials``: each trial keeps blocks of draws in memory (about 390 MB peak
for 400 trials on Wisconsin 2016's 2,976,150 votes), and 200 already bound the chance to a few
points."""


def _print(outcome: dict[str, Any]) -> None:
    s, d, m = outcome["screening"], outcome["decision"], outcome["matching"]
    console.print(f"[bold]{d['contest']}[/bold]: group {s['group']}", soft_wrap=True)
    counts = m["counts"]
    console.print(
        f"{s['units']:,} municipalities screened ({s['group_units']:,} in the group); "
        f"{counts['matched']:,} matched, {counts['only_now']} only in the election, "
        f"{counts['only_baseline']} only in the baseline",
        soft_wrap=True,
    )
    for e in s["ladder"]:
        perm = e["permutation_p"]
        console.print(
            f"  {e['label']}: {e['points']:+.2f} points "
            f"({e['ci_points'][0]:+.2f} to {e['ci_points'][1]:+.2f}), p {e['p_value']:.3g}"
            + (f", permutation p {perm:.3g}" if perm is not None else "")
            + (" (the test cannot decide: too few counties)" if e["permutation_note"] else ""),
            soft_wrap=True,
            markup=False,
        )
    console.print(s["verdict"], soft_wrap=True, markup=False)
    console.print(f"{len(s['outliers'])} outlier units (FDR {s['outlier_fdr']})", soft_wrap=True)
    console.print(
        f"margin {d['margin_votes']:,} of {d['total_votes']:,}; full recount "
        f"${d['recount']['cost']:,.0f}, chance of a flip "
        f"{100 * d['recount']['flip_chance_model']:.2g}%",
        soft_wrap=True,
        markup=False,
    )
    bounded = not outcome["inputs"].get("polling_trials")
    for a in d["audits"]:
        chance = f"{100 * a['escalation_chance']:.1f}%"
        if bounded and a["kind"].startswith("ballot polling"):
            chance = f"at most {chance} (--polling-trials N simulates it)"
        console.print(
            f"  RLA {a['kind']} at {100 * a['risk_limit']:g}%: first round {a['first_round']:,} "
            f"ballots (${a['cost_first_round']:,.0f}), expected {a['expected_ballots']:,.0f}, "
            f"second round if the result is right {chance}",
            soft_wrap=True,
            markup=False,
        )
    for caveat in s["caveats"]:
        console.print(f"note: {caveat}", soft_wrap=True, markup=False)


def register(app: typer.Typer) -> None:
    """Add ``screen`` to the top-level command."""

    @app.command("screen")
    @user_errors
    def screen(
        results: Path = typer.Argument(..., help="Results of the election (any results format)."),
        baseline: Path = typer.Argument(..., help="Results of the baseline election."),
        el190: Path | None = typer.Option(None, "--el190", help="WEC EL-190 statistics workbook."),
        equipment: Path | None = typer.Option(
            None, "--equipment", help="WEC voting-equipment list by municipality (CSV)."
        ),
        covariates: list[Path] = typer.Option(
            [], "--covariates", help="Generic covariate CSV (unit id or county+name, values)."
        ),
        contest: str | None = typer.Option(None, "--contest", help="Contest (default: the only)."),
        baseline_contest: str | None = typer.Option(
            None, "--baseline-contest", help="Contest in the baseline (default: as --contest)."
        ),
        party: str = typer.Option("REP", "--party", help="Party whose swing is screened."),
        group: str = typer.Option(
            "accessible~Edge",
            "--group",
            help="Group: COLUMN~TEXT (label contains) or COLUMN>NUMBER (e.g. dre_share>0.5).",
        ),
        control: list[str] = typer.Option([], "--control", help="Extra numeric control column."),
        cluster: str = typer.Option(
            "county", "--cluster", help="Clusters of the errors: county or municipality."
        ),
        state: str | None = typer.Option(None, "--state", help="State (default: from the file)."),
        office: str | None = typer.Option(None, "--office", help="Office, e.g. president."),
        permutations: int = typer.Option(
            999, "--permutations", min=0, max=99_999, help="Permutation (sign-flip) draws."
        ),
        audit_rate: float = typer.Option(5.0, "--audit-rate", min=0, help="$ per audited ballot."),
        recount_rate: float | None = typer.Option(
            None, "--recount-rate", min=0, help="$ per recounted ballot (default: past median)."
        ),
        polling_trials: int = typer.Option(
            0,
            "--polling-trials",
            min=0,
            max=MAX_POLLING_TRIALS,
            help="Simulate this many polling audits per risk limit for the chance of a second "
            "round when the result is right (default 0: the bound, at most 10%).",
        ),
        html: Path | None = typer.Option(None, "--html", help="Write the HTML report here."),
        as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
    ) -> None:
        """Screen swing by voting technology and absentee voting; weigh recount and audit."""
        from papertally.workflows.screening import GroupRule, ScreeningInputs, run_screening

        for path in [results, baseline, el190, equipment, *covariates]:
            if path is not None and not path.is_file():
                raise PapertallyError(f"{path}: no such file")
        if cluster not in ("county", "municipality"):
            raise PapertallyError(f"--cluster {cluster!r}: use county or municipality")
        inputs = ScreeningInputs(
            results=results,
            baseline=baseline,
            el190=el190,
            equipment=equipment,
            covariates=list(covariates),
            contest=contest,
            baseline_contest=baseline_contest,
            party=party,
            group=GroupRule.parse(group),
            extra_controls=list(control),
            cluster="county" if cluster == "county" else "unit",
        )
        from papertally.screening.desk import RISK_LIMITS

        stages = STAGES + (len(RISK_LIMITS) if polling_trials else 0)
        with progress_bar("screening", not as_json) as progress:
            done = [0]

            def step(_text: str) -> None:
                progress(done[0], stages)
                done[0] += 1

            try:
                outcome = run_screening(
                    inputs,
                    state=state,
                    office=office,
                    permutations=permutations,
                    audit_cost_per_ballot=audit_rate,
                    recount_cost_per_ballot=recount_rate,
                    polling_trials=polling_trials,
                    step=step,
                )
            except ValueError as error:
                raise PapertallyError(str(error)) from None
        data = json.loads(json.dumps(outcome.to_dict(), default=str))
        if html is not None:
            from papertally.report.screening import write_screening_report

            write_screening_report(
                data,
                outcome.prepared.frame,
                outcome.screening,
                html,
                generated_at=datetime.now(UTC),
            )
        if as_json:
            print_json(data)
        else:
            _print(data)
            if html is not None:
                console.print(f"report written to {html}", soft_wrap=True, markup=False)
