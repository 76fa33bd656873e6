"""The ``papertally law`` commands: check, rules, flip, electoral, cost and history.

Adapters only: files are read here (results through :func:`papertally.io.read_results`, the
small electoral and cost tables with :mod:`csv`/:mod:`json`), the answers come from
:mod:`papertally.law`.
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from papertally.cli.common import console, print_json, progress_bar, user_errors
from papertally.errors import FileLocation, InputFileError, PapertallyError

if TYPE_CHECKING:
    from papertally.law import ContestResults, FlipOutlook, RecountAssessment, Rule, StateResult
    from papertally.law.history import Rate
    from papertally.law.schema import Anchor
    from papertally.model import Election

app = typer.Typer(help="Recount law: triggers, eligibility, fees, deadlines.", no_args_is_help=True)

STATE_HELP = "State: two-letter code or name (e.g. WI)."
JSON_HELP = "Write JSON instead of text."


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PapertallyError(f"{option} {value!r} is not a date like 2016-11-08") from None


def _contest_results(election: Election, contest: str | None, count: str | None) -> ContestResults:
    """Pick the contest (the only one, or ``--contest``) and count, and return its totals."""
    from papertally.law import ContestResults
    from papertally.model.results import ORIGINAL_CANVASS

    if contest is None:
        if len(election.contests) != 1:
            known = ", ".join(repr(n) for n in election.contests) or "none"
            raise PapertallyError(
                f"the results hold several contests; give --contest, one of: {known}"
            )
        chosen = next(iter(election.contests.values()))
    else:
        chosen = election.contest(contest)
    counts = election.counts_of(chosen.name)
    if not counts:
        raise PapertallyError(f"contest {chosen.name!r} has no counts in the results")
    if count is not None:
        picked = election.count(chosen.name, count)
    else:
        picked = next((c for c in counts if c.name == ORIGINAL_CANVASS), counts[0])
    return ContestResults.from_count(chosen, picked)


def _read(
    results: Path, contest: str | None, count: str | None, show_progress: bool = True
) -> tuple[ContestResults, Election]:
    from papertally.io import read_results

    with progress_bar("reading results", show_progress) as progress:
        imported = read_results([results], progress=progress)
    return _contest_results(imported.election, contest, count), imported.election


def _money(amount: float | None) -> str:
    return "-" if amount is None else f"${amount:,.2f}"


def _print_assessment(a: RecountAssessment) -> None:
    console.print(
        f"[bold]{a.state_name}[/bold] {a.election_type.value} election {a.election_date}, "
        f"{a.office.value} - {a.contest}"
    )
    console.print(
        f"{a.winner} leads {a.runner_up} by {a.margin_votes:,} votes "
        f"({a.margin_pct_of_office:.4f}% of all votes for the office)"
    )
    console.print(f"Rule {a.rule_id} ({a.rule_range}); {a.citation}", markup=False)
    if a.counties or a.wards:
        console.print(
            f"Targeted petition: {', '.join([*a.counties, *a.wards])} only (partial recounts: "
            f"{a.request.partial.replace('_', ' ')})",
            markup=False,
        )
    tier_words = {
        "automatic": "AUTOMATIC recount: " + ", ".join(a.automatic_stages),
        "free_on_request": "recount on request, FREE",
        "paid_on_request": "recount on request, PAID by the petitioner",
        "barred": "NO recount available for this petitioner",
    }
    console.print(f"[bold]Conclusion:[/bold] {tier_words[a.tier]}")
    for finding in a.findings:
        console.print(f"- [bold]{finding.topic}[/bold]: {finding.conclusion}", soft_wrap=True)
        console.print(f"    why: {finding.why}", soft_wrap=True, markup=False)
    if a.uncertain:
        console.print("[bold yellow]Uncertain facts in this rule:[/bold yellow]")
        for note in a.uncertain:
            console.print(f"  ! {note}", soft_wrap=True, markup=False)
    console.print("Sources: " + " ; ".join(a.sources), soft_wrap=True, markup=False)


def _unit_level(election: Election, contest: str, count: str | None) -> tuple[str | None, int]:
    """Return the level of the results' units (precinct, ward, county...) and how many there are."""
    counts = election.counts_of(contest)
    chosen = next((c for c in counts if c.name == count), counts[0]) if counts else None
    if chosen is None:
        return None, 0
    kinds = {election.units[uid].type.value for uid in chosen.units}
    return (kinds.pop() if len(kinds) == 1 else "mixed"), len(chosen.units)


def _check_counties(names: list[str], known: set[str], where: str) -> list[str]:
    """Return the canonical names of ``names``; a name not in ``known`` is one clear error."""
    by_fold = {k.casefold(): k for k in known}
    out: list[str] = []
    for name in (n.strip() for item in names for n in item.split(",")):
        if not name:
            continue
        if name.casefold() not in by_fold:
            from papertally.errors import closest_match_hint

            hint = closest_match_hint(name, sorted(known))
            raise PapertallyError(f"county {name!r} is not in {where}{hint}")
        out.append(by_fold[name.casefold()])
    return out


def _check_units(names: list[str], election: Election, contest: str, where: str) -> list[str]:
    """Return the unit ids named (by id ``county|name`` or by a name unique in the file)."""
    picked = election.counts_of(contest)[0]
    by_name: dict[str, list[str]] = {}
    for uid in picked.units:
        by_name.setdefault(election.units[uid].name.casefold(), []).append(uid)
        by_name.setdefault(uid.casefold(), []).append(uid)
    out: list[str] = []
    for name in (n.strip() for item in names for n in item.split(",")):
        if not name:
            continue
        found = by_name.get(name.casefold(), [])
        if len(found) != 1:
            what = "names several units (give county|name)" if found else "is not a unit"
            raise PapertallyError(f"ward or precinct {name!r} {what} in {where}")
        out.append(found[0])
    return out


@app.command()
@user_errors
def check(
    results: Path | None = typer.Argument(
        None, help="Results file (any format papertally imports); or give --votes."
    ),
    state: str = typer.Option(..., "--state", help=STATE_HELP),
    election_date: str = typer.Option(..., "--date", help="Election date, YYYY-MM-DD."),
    office: str | None = typer.Option(
        None, "--office", help="president, us_senate, us_house, governor, statewide, ..."
    ),
    election_type: str = typer.Option("general", "--election-type", help="general or primary."),
    candidate: str | None = typer.Option(None, "--candidate", help="Would-be petitioner."),
    contest: str | None = typer.Option(None, "--contest", help="Contest name (if several)."),
    count: str | None = typer.Option(None, "--count", help="Count to use (default original)."),
    votes: list[str] = typer.Option(
        [], "--votes", help="Votes NAME=N, repeated, instead of a results file."
    ),
    ballots: int | None = typer.Option(None, "--ballots", help="Ballots cast (with --votes)."),
    counties: list[str] = typer.Option(
        [], "--counties", help="Petition for these counties only (comma-separated or repeated)."
    ),
    wards: list[str] = typer.Option(
        [], "--wards", help="Petition for these wards/precincts only (names or ids in the file)."
    ),
    precincts: int | None = typer.Option(
        None, "--precincts", help="Precincts (or wards) a per-unit fee counts."
    ),
    method: str | None = typer.Option(None, "--method", help="machine or manual (fee rate)."),
    canvass_date: str | None = typer.Option(None, "--canvass-date", help="Canvass end date."),
    certification_date: str | None = typer.Option(None, "--certification-date"),
    order_date: str | None = typer.Option(None, "--order-date", help="Recount order date."),
    request_date: str | None = typer.Option(None, "--request-date", help="Petition date."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Say whether a recount is automatic, who may ask, what it costs and by when."""
    from papertally.law import (
        ContestResults,
        assess_recount,
        parse_election_type,
        parse_office,
        rule_for,
        state_law,
    )
    from papertally.law.engine import UnitCount

    law = state_law(state)
    office_type = parse_office(office)
    when = _parse_date(election_date, "--date")
    assert when is not None
    rule_for(law.state, when)
    given: list[tuple[Anchor, str | None, str]] = [
        ("canvass", canvass_date, "--canvass-date"),
        ("certification", certification_date, "--certification-date"),
        ("order", order_date, "--order-date"),
        ("request", request_date, "--request-date"),
    ]
    anchors: dict[Anchor, date] = {}
    for anchor, value, option in given:
        parsed = _parse_date(value, option)
        if parsed is not None:
            anchors[anchor] = parsed
    if method is not None and method not in {"machine", "manual"}:
        raise PapertallyError(f"--method {method!r}: use machine or manual")
    if precincts is not None and precincts <= 0:
        raise PapertallyError(f"--precincts {precincts}: give a positive number of precincts")
    units = UnitCount(precincts, "precinct", f"{precincts:,} given with --precincts") if (
        precincts is not None
    ) else None  # fmt: skip
    chosen: list[str] = []
    named_wards: list[str] = []
    if results is not None and votes:
        raise PapertallyError("give a results file or --votes, not both")
    if results is None:
        if not votes:
            raise PapertallyError("give a results file or --votes NAME=N (repeated)")
        if counties or wards:
            raise PapertallyError(
                "--counties and --wards need a results file, to know the state's units"
            )
        from papertally.cli.audit_stats import parse_votes

        totals_map = parse_votes(votes)
        negative = [n for n, v in totals_map.items() if v < 0]
        if negative:
            raise PapertallyError(f"--votes {negative[0]}: a number of votes cannot be negative")
        if ballots is not None and ballots < max(totals_map.values(), default=0):
            raise PapertallyError(f"--ballots {ballots} is fewer than the votes of one candidate")
        totals = ContestResults(contest or "Contest", totals_map, ballots_cast=ballots)
    else:
        totals, election = _read(results, contest, count)
        level, _ = _unit_level(election, totals.contest, count)
        if counties:
            known = {u.county for u in election.units.values()}
            chosen = _check_counties(counties, known, f"{results} (a {law.name} results file)")
            if units is None:
                picked = election.counts_of(totals.contest)[0]
                inside = [u for u in picked.units if election.units[u].county in chosen]
                if level in {"precinct", "ward"}:
                    units = UnitCount(len(inside), level, f"{len(inside):,} {level}s of "
                                      f"{', '.join(chosen)} in the results file")  # fmt: skip
        named = _check_units(wards, election, totals.contest, str(results))
        if named and units is None and level in {"precinct", "ward"}:
            units = UnitCount(len(named), level, f"{len(named):,} {level}s named with --wards")
        named_wards = [election.units[u].name for u in named]
        totals = replace(totals, unit_level=level)
    assessment = assess_recount(
        totals, state, when, office_type, parse_election_type(election_type), candidate, anchors,
        units=units, counties=chosen, method=method, wards=named_wards,
    )  # fmt: skip
    if as_json:
        print_json(assessment.to_dict())
    else:
        _print_assessment(assessment)


def _rule_dict(rule: Rule) -> dict[str, Any]:
    from papertally.law.margins import describe

    data = rule.model_dump(mode="json")
    data["automatic_in_words"] = [f"{s.name}: {describe(s.trigger)}" for s in rule.automatic]
    return data


def _print_rule(rule: Rule) -> None:
    from papertally.law.margins import describe

    end = rule.effective_to.isoformat() if rule.effective_to else "now"
    basis = (
        " (first date the sources confirm)"
        if rule.effective_from_basis == "first_confirmed"
        else ""
    )
    console.print(f"[bold]{rule.id}[/bold]: {rule.effective_from}{basis} to {end}")
    console.print(f"  {rule.citation}", markup=False)
    if rule.session_law:
        console.print(f"  opened by: {rule.session_law}", markup=False)
    console.print(f"  {rule.summary}", soft_wrap=True, markup=False)
    for stage in rule.automatic:
        console.print(
            f"  automatic - {stage.name}: {describe(stage.trigger)} "
            f"[offices: {', '.join(stage.offices)}; {', '.join(e.value for e in stage.elections)}]",
            soft_wrap=True,
            markup=False,
        )
    for route in rule.requests:
        console.print(f"  request - {route.who_text}", soft_wrap=True, markup=False)
        if not route.available:
            continue
        if route.eligibility is not None:
            console.print(f"    eligible if {describe(route.eligibility)}", markup=False)
        if route.free_when is not None:
            console.print(f"    free if {describe(route.free_when)}", markup=False)
        for cond in route.standing:
            ruling = f" [{cond.status}: {cond.ruling}]" if cond.ruling else ""
            console.print(f"    standing ({cond.condition}): {' '.join(cond.text.split())}{ruling}",
                          soft_wrap=True, markup=False)  # fmt: skip
        if route.partial != "unknown":
            console.print(f"    partial petitions: {route.partial.replace('_', ' ')}", markup=False)
        console.print(f"    fee: {route.fee.text}", soft_wrap=True, markup=False)
        console.print(f"    refund: {route.refund.text}", soft_wrap=True, markup=False)
    for deadline in rule.deadlines:
        flag = " (uncertain)" if deadline.uncertain else ""
        console.print(f"  deadline - {deadline.event}: {deadline.text}{flag}", soft_wrap=True,
                      markup=False)  # fmt: skip
    for note in rule.uncertain:
        console.print(f"  ! uncertain: {note}", soft_wrap=True, markup=False)
    console.print("  sources: " + " ; ".join(rule.sources), soft_wrap=True, markup=False)


@app.command()
@user_errors
def rules(
    state: str = typer.Option(..., "--state", help=STATE_HELP),
    on: str | None = typer.Option(None, "--date", help="Only the rule in force on this date."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show a state's recount rules, with citations, sources and uncertain facts."""
    from papertally.law import rule_for, state_law

    law = state_law(state)
    when = _parse_date(on, "--date")
    chosen = [rule_for(law.state, when)] if when is not None else list(law.rules)
    if as_json:
        print_json(
            {
                "state": law.state,
                "name": law.name,
                "rules": [_rule_dict(r) for r in chosen],
                "unknown_eras": [e.model_dump(mode="json") for e in law.unknown_eras]
                if when is None
                else [],
            }
        )
        return
    console.print(f"[bold]{law.name} ({law.state})[/bold]")
    for rule in chosen:
        _print_rule(rule)
    if when is None:
        for era in law.unknown_eras:
            console.print(
                f"[bold]unknown era[/bold]: {era.effective_from} to {era.effective_to}",
            )
            console.print(f"  {' '.join(era.known.split())}", soft_wrap=True, markup=False)


@app.command()
@user_errors
def flip(
    results: Path | None = typer.Argument(
        None, help="Results file (any format papertally imports); or give --margin and --total."
    ),
    contest: str | None = typer.Option(None, "--contest", help="Contest name (if several)."),
    count: str | None = typer.Option(None, "--count", help="Count to use (default original)."),
    margin: int | None = typer.Option(None, "--margin", help="Leader's margin in votes."),
    total: int | None = typer.Option(None, "--total", help="Votes in the contest (with --margin)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Votes needed to change the winner, and how often past recounts moved that much."""
    from papertally.law import flip_outlook

    if results is not None and (margin is not None or total is not None):
        raise PapertallyError("give a results file or --margin and --total, not both")
    if results is None:
        if margin is None or total is None:
            raise PapertallyError("give a results file, or --margin N and --total N")
        names, title = ("the leader", "the runner-up"), "Contest"
        outlook = flip_outlook(margin, total)
    else:
        totals, _ = _read(results, contest, count)
        standing = totals.standing()
        names, title = (standing.leader, standing.other), totals.contest
        outlook = flip_outlook(standing.margin, totals.office_total)
    if as_json:
        data = outlook.to_dict()
        data.update(contest=title, leader=names[0], runner_up=names[1])
        print_json(data)
        return
    _print_flip(outlook, title, *names)


def _rate(rate: Rate) -> str:
    lo, hi = rate.interval
    return f"{rate.count} of {rate.n} ({100 * lo:.1f}%-{100 * hi:.1f}%)"


def _print_flip(outlook: FlipOutlook, title: str, leader: str, other: str) -> None:
    from rich.markup import escape

    console.print(
        f"[bold]{escape(title)}[/bold]: {escape(leader)} leads {escape(other)} by "
        f"{outlook.margin_votes:,} of {outlook.total_votes:,} votes "
        f"({outlook.margin_share_pct:.4f}%)"
    )
    console.print(
        f"To change the winner: {outlook.ballots_to_switch:,} ballots switching sides, or a net "
        f"{outlook.votes_to_flip_net:,} votes gained by {other}.",
        markup=False,
    )
    lo, hi = outlook.empirical_interval
    console.print(
        f"Past recounts: {outlook.empirical_count} of {outlook.empirical_n} shifted at least this "
        f"much toward the trailer ({outlook.interval} {100 * lo:.1f}%-{100 * hi:.1f}%)."
    )
    for item in outlook.by_method:
        figure = _rate(item.rate) if item.rate else "not rated"
        console.print(f"  {item.method}: {figure}; {item.note}", markup=False)
    console.print(
        "Reversals among past recounts that started at least this far apart: "
        f"{_rate(outlook.reversals_from_wider)}; at most this far apart: "
        f"{_rate(outlook.reversals_from_closer)}.",
        soft_wrap=True,
    )
    mlo, mhi = outlook.model_interval
    console.print(
        f"Model chance of a reversal: {100 * outlook.model_chance:.2f}% "
        f"(90% interval {100 * mlo:.2f}%-{100 * mhi:.2f}%)."
    )
    console.print(f"Largest reversed margin: {outlook.largest_reversed}", markup=False)
    console.print(f"Largest shift toward a trailer: {outlook.largest_shift_toward_trailer}",
                  markup=False, soft_wrap=True)  # fmt: skip
    console.print("Assumptions:")
    for line in outlook.assumptions:
        console.print(f"  - {line}", soft_wrap=True, markup=False)


def _table_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Read a small CSV or JSON table as (row number, {column: text}) pairs."""
    location = FileLocation(str(path))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise InputFileError(location, f"cannot read the file ({error.strerror})") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputFileError(
                location, f"not valid JSON ({error.msg}, line {error.lineno})"
            ) from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise InputFileError(location, "expected a JSON list of objects, one per row")
        return [
            (i, {str(k).strip().lower(): str(v) for k, v in r.items()})
            for i, r in enumerate(data, 1)
        ]
    reader = csv.DictReader(text.splitlines())
    rows = []
    for number, row in enumerate(reader, 2):
        rows.append(
            (number, {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()})
        )
    return rows


def _number(
    path: Path, row: int, values: dict[str, str], column: str, required: bool
) -> float | None:
    text = values.get(column, "").replace(",", "").replace("$", "").strip()
    if not text:
        if required:
            raise InputFileError(
                FileLocation(str(path), row=row, column=column), "a number is required"
            )
        return None
    try:
        return float(text)
    except ValueError:
        raise InputFileError(
            FileLocation(str(path), row=row, column=column), f"{text!r} is not a number"
        ) from None


@app.command()
@user_errors
def electoral(
    table: Path = typer.Argument(
        ..., help="CSV/JSON: state, electoral_votes, winner, margin_votes[, total_votes]."
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Which combinations of states would have to flip to change the presidential winner."""
    from papertally.law import StateResult, electoral_picture

    rows: list[StateResult] = []
    for number, values in _table_rows(table):
        for column in ("state", "winner"):
            if not values.get(column):
                raise InputFileError(FileLocation(str(table), row=number, column=column), "empty")
        ev = _number(table, number, values, "electoral_votes", True)
        margin = _number(table, number, values, "margin_votes", True)
        total = _number(table, number, values, "total_votes", False)
        assert ev is not None and margin is not None
        rows.append(StateResult(values["state"], int(ev), values["winner"], int(margin),
                                int(total) if total is not None else None))  # fmt: skip
    picture = electoral_picture(rows)
    if as_json:
        print_json(picture.to_dict())
        return
    for note in picture.notes:
        console.print(note, soft_wrap=True, markup=False)
    for title, flip_set in (
        ("Cheapest", picture.cheapest),
        ("Fewest states", picture.fewest_states),
    ):
        if flip_set is None:
            console.print(f"{title}: no combination reaches a majority")
            continue
        console.print(
            f"{title}: {', '.join(flip_set.states)} ({flip_set.electoral_votes} EV, "
            f"{flip_set.ballots_to_switch:,} ballots to switch)"
        )
    console.print("Other minimal sets among the closest states:")
    for alt in picture.alternatives:
        console.print(
            f"  {', '.join(alt.states)}: {alt.electoral_votes} EV, "
            f"{alt.ballots_to_switch:,} ballots"
        )


@app.command()
@user_errors
def cost(
    counties: Path = typer.Argument(
        ..., help="CSV/JSON: county[, estimate, actual, ballots, units] per county."
    ),
    per_ballot: float | None = typer.Option(None, "--per-ballot", help="Model: $ per ballot."),
    per_unit: float | None = typer.Option(None, "--per-unit", help="Model: $ per ward/precinct."),
    paid: float | None = typer.Option(None, "--paid", help="What the petitioner paid."),
    results: Path | None = typer.Option(
        None, "--results", help="Results file giving ballots and units per county for the model."
    ),
    contest: str | None = typer.Option(None, "--contest", help="Contest in --results."),
    counties_only: list[str] = typer.Option(
        [], "--counties", help="A targeted petition: only these counties (comma-separated)."
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Statewide recount cost from county estimates (model fills gaps), and refund or balance.

    With --counties, the cost of a petition for those counties only (Wisconsin 2020: Milwaukee
    and Dane), where the state allows partial recounts.
    """
    from papertally.law import CountyCost, estimate_cost

    from_results: dict[str, tuple[int, int]] = {}
    if results is not None:
        _, election = _read(results, contest, None, not as_json)
        chosen = _contest_results(election, contest, None).contest
        count = election.counts_of(chosen)[0]
        for uid, tally in count.units.items():
            county = election.units[uid].county
            seen_ballots, seen_units = from_results.get(county, (0, 0))
            from_results[county] = (
                seen_ballots + (tally.ballots_cast or tally.total_votes),
                seen_units + 1,
            )
    rows: list[CountyCost] = []
    seen: set[str] = set()
    for number, values in _table_rows(counties):
        name = values.get("county", "")
        if not name:
            raise InputFileError(FileLocation(str(counties), row=number, column="county"), "empty")
        ballots = _number(counties, number, values, "ballots", False)
        units = _number(counties, number, values, "units", False)
        known = from_results.get(name)
        rows.append(
            CountyCost(
                county=name,
                estimate=_number(counties, number, values, "estimate", False),
                actual=_number(counties, number, values, "actual", False),
                ballots=int(ballots) if ballots is not None else (known[0] if known else None),
                units=int(units) if units is not None else (known[1] if known else None),
            )
        )
        seen.add(name)
    rows += [
        CountyCost(c, ballots=b, units=u) for c, (b, u) in from_results.items() if c not in seen
    ]
    if counties_only:
        where = f"{counties}" + (f" or {results}" if results is not None else "")
        wanted = set(_check_counties(counties_only, {r.county for r in rows}, where))
        rows = [r for r in rows if r.county in wanted]
    result = estimate_cost(rows, per_ballot=per_ballot, per_unit=per_unit, paid=paid)
    if as_json:
        print_json(result.to_dict())
        return
    for line in result.lines:
        console.print(
            f"{line.county}: {_money(line.estimate)} ({line.how}); actual {_money(line.actual)}",
            markup=False,
        )
    scope = f"Estimate for {', '.join(r.county for r in rows)}" if counties_only else (
        "Statewide estimate"
    )  # fmt: skip
    console.print(
        f"{scope} {_money(result.total)} (submitted {_money(result.submitted_total)}, "
        f"modelled {_money(result.modelled_total)})"
    )
    if result.settlement is not None:
        console.print(f"Settlement: {result.settlement.arithmetic}")
    for note in result.assumptions:
        console.print(f"Assumption: {note}", soft_wrap=True, markup=False)


@app.command()
@user_errors
def history(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """The statewide recounts of 2000-2024 the outcome model rests on, with its assumptions."""
    from papertally.law import history_facts, load_history
    from papertally.law.history import assumptions as flip_assumptions

    cases = load_history()
    if as_json:
        print_json(
            {
                "facts": history_facts(),
                "cases": [c.model_dump() for c in cases],
                "assumptions": flip_assumptions(),
            }
        )
        return
    for c in cases:
        original = f"{c.original_margin_votes:,}" if c.original_margin_votes is not None else "?"
        final = f"{c.final_margin_votes:,}" if c.final_margin_votes is not None else "?"
        changed = "REVERSED" if c.outcome_changed else "same winner"
        used = "" if c.use_in_model else f" [not in model: {c.why_not}]"
        console.print(f"{c.label}: {original} -> {final} ({changed}){used}", soft_wrap=True,
                      markup=False)  # fmt: skip
    facts = history_facts()
    console.print(
        f"{facts['cases']} cases (of them {facts['petitions']} petitions without a statewide "
        "count), "
        f"{facts['used_in_model']} in the model; "
        f"{len(facts['reversals'])} reversals, all from margins of at most "
        f"{facts['max_reversed_margin_pct']}% ({facts['max_reversed_margin_votes']} votes)."
    )
    for line in flip_assumptions():
        console.print(f"  - {line}", soft_wrap=True, markup=False)
