"""``papertally audit sample-size | risk | simulate``: the statistics of a risk-limiting audit.

Thin adapters: parse the options, call :mod:`papertally.audit`, print a table or JSON.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from papertally.cli.common import console, print_json, progress_bar, user_errors
from papertally.errors import FileLocation, InputFileError, PapertallyError

if TYPE_CHECKING:
    from papertally.audit.assertions import Assertion
    from papertally.audit.simulate import SizeDistribution

AUDIT_TYPES = ("polling", "comparison", "batch")
NO_VOTE_WORDS = {"", "blank", "none", "no vote", "undervote", "overvote"}
"""Sample-file entries read as no vote (besides the audit package's own ``NO_VOTE`` mark)."""
PHANTOM_WORDS = {"phantom", "not found", "missing"}
"""Sample-file entries read as a phantom card (besides the audit package's ``PHANTOM`` mark)."""

TypeOption = typer.Option("polling", "--type", help="polling, comparison or batch.")
MeasureTypeOption = typer.Option(
    "polling",
    "--type",
    help="polling (choices seen) or comparison (discrepancies, per winner-loser pair).",
)
RiskLimitOption = typer.Option(..., "--risk-limit", help="Risk limit α, e.g. 0.05.")
VotesOption = typer.Option(..., "--votes", help="Reported votes NAME=N; repeat per candidate.")
BallotsOption = typer.Option(None, "--ballots", help="Ballot cards (default: the total votes).")
WinnersOption = typer.Option(1, "--winners", help="Number of winners (vote for k).")
PhantomsOption = typer.Option(
    0,
    "--phantoms",
    help="Cards in the manifest beyond --ballots (no CVR, or not found): counted for the loser.",
)
JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table.")
RatesOption = typer.Option(
    None, "--error-rates", help="Expected discrepancy rates per card: o1=..,o2=..,u1=..,u2=.."
)


def parse_votes(items: list[str], option: str = "--votes") -> dict[str, int]:
    """Parse ``NAME=N`` items into a mapping, with a clear message for a malformed one."""
    votes: dict[str, int] = {}
    for item in items:
        name, sep, number = item.rpartition("=")
        name = name.strip()
        if not sep or not name:
            raise PapertallyError(f"{option} {item!r}: expected NAME=N, e.g. {option} Alice=1200")
        try:
            count = int(number.replace(",", "").replace("_", ""))
        except ValueError:
            raise PapertallyError(
                f"{option} {item!r}: {number!r} is not a whole number of votes"
            ) from None
        if name in votes:
            raise PapertallyError(f"{option}: {name!r} is given twice")
        votes[name] = count
    return votes


def parse_rates(text: str | None) -> dict[str, float]:
    """Parse ``o1=0.001,o2=0.0001`` into a mapping of discrepancy rates."""
    if not text:
        return {}
    rates: dict[str, float] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in {"o1", "o2", "u1", "u2"}:
            raise PapertallyError(
                f"--error-rates {part!r}: expected o1=, o2=, u1= or u2= followed by a rate"
            )
        try:
            rates[key] = float(value)
        except ValueError:
            raise PapertallyError(f"--error-rates {part!r}: {value!r} is not a number") from None
    return rates


def _read_lines(path: Path) -> list[tuple[int, str]]:
    """Return the ``(line number, text)`` of the sample file's entries (``#`` starts a comment)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise InputFileError(FileLocation(str(path)), f"cannot be read: {error.strerror}") from None
    except UnicodeDecodeError:
        raise InputFileError(FileLocation(str(path)), "is not UTF-8 text") from None
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        entries.append((number, line.strip()))
    while entries and entries[-1][1] == "":
        entries.pop()
    return entries


def read_polling_sample(path: Path, candidates: list[str]) -> list[str | None]:
    """Read sampled choices, one per line in draw order; blank/``none`` is no vote."""
    from papertally.audit.assertions import NO_VOTE, PHANTOM, check_sample_choices

    choices: list[str | None] = []
    for number, entry in _read_lines(path):
        folded = entry.lower()
        if folded in NO_VOTE_WORDS or folded == NO_VOTE:
            choices.append(NO_VOTE)
        elif folded in PHANTOM_WORDS or folded == PHANTOM:
            choices.append(PHANTOM)
        else:
            try:
                check_sample_choices([entry], candidates, source=path.name)
            except PapertallyError as error:
                message = str(error).split(": ", 1)[1].replace("draw 1 names", "names")
                raise InputFileError(FileLocation(str(path), row=number), message) from None
            choices.append(entry)
    return choices


CODES = ("0", "o1", "o2", "u1", "u2", "phantom")
SAME_FOR_EVERY_ASSERTION = {"0", "phantom"}
"""Codes that mean the same for every assertion: the card matches its CVR, or is a phantom."""


def _code(entry: str, path: Path, row: int, column: str | None) -> str:
    code = entry.strip().lower()
    if code not in CODES:
        raise InputFileError(
            FileLocation(str(path), row=row, column=column),
            f"{entry.strip()!r} is not a discrepancy code; expected one of {', '.join(CODES)}",
        )
    return code


def read_comparison_sample(path: Path, assertions: list[Assertion]) -> dict[str, list[str]]:
    """Read each sampled card's discrepancy code per assertion, in draw order.

    One code per line serves a contest with a single assertion. A contest with several
    (winner, loser) pairs needs a header naming them, ``A > B,A > C``, then one code per
    assertion on each line; ``0`` (the card matches its CVR) or ``phantom`` alone stands for
    every assertion. Returns the codes keyed by assertion name.
    """
    names = [a.name for a in assertions]
    entries = _read_lines(path)
    header: list[str] | None = None
    if entries and ">" in entries[0][1]:
        number, line = entries.pop(0)
        header = [cell.strip() for cell in line.split(",")]
        wanted = {" ".join(n.split()) for n in names}
        given = [" ".join(h.replace(">", " > ").split()) for h in header]
        unknown = [h for h in given if h not in wanted]
        if unknown or len(set(given)) != len(given) or set(given) != wanted:
            raise InputFileError(
                FileLocation(str(path), row=number),
                f"the header must name each assertion once: {', '.join(names)} "
                f"(found {', '.join(header)})",
            )
        order = [names[[" ".join(n.split()) for n in names].index(g)] for g in given]
    elif len(names) == 1:
        order = names
    else:
        order = []
    codes: dict[str, list[str]] = {name: [] for name in names}
    for number, entry in entries:
        cells = [cell.strip() for cell in entry.split(",")] if entry else [""]
        if len(cells) == 1 and (len(names) == 1 or cells[0].lower() in SAME_FOR_EVERY_ASSERTION):
            code = _code(cells[0], path, number, None)
            for name in names:
                codes[name].append(code)
            continue
        if not order:
            raise InputFileError(
                FileLocation(str(path), row=number),
                f"{entry!r} is the code of one assertion, but the contest has {len(names)} "
                f"({', '.join(names)}): start the file with a header naming them, e.g. "
                f"{','.join(names)!r}, and give one code per assertion on each line",
            )
        if len(cells) != len(order):
            raise InputFileError(
                FileLocation(str(path), row=number),
                f"expected {len(order)} codes ({', '.join(order)}), found {len(cells)}",
            )
        for name, cell in zip(order, cells, strict=True):
            codes[name].append(_code(cell, path, number, name))
    return codes


def _polling_sizes(
    assertions: list[Assertion], risk_limit: float, probability: float
) -> list[dict[str, Any]]:
    from papertally.audit.polling import (
        alpha_sample_size,
        bravo_asn,
        bravo_sample_size,
        limit_sample_size,
    )

    rows = []
    for assertion in assertions:
        counts = dict(zip(assertion.population.values, assertion.population.counts, strict=True))
        cards = assertion.population.size
        p_w, p_l = counts.get(1.0, 0) / cards, counts.get(0.0, 0) / cards
        rows.append(
            {
                "assertion": assertion.name,
                "margin": assertion.diluted_margin,
                "sample_size": min(cards, alpha_sample_size(assertion, risk_limit, probability)),
                "bravo_sample_size": min(
                    cards, bravo_sample_size(p_w, p_l, risk_limit, probability, max_size=cards)
                ),
                "bravo_asn": min(cards, math.ceil(bravo_asn(p_w, p_l, risk_limit))),
                "limit_mean": limit_sample_size(assertion.population, risk_limit),
            }
        )
    return rows


def _comparison_sizes(
    assertions: list[Assertion], risk_limit: float, probability: float, rates: dict[str, float]
) -> list[dict[str, Any]]:
    from papertally.audit.simulate import comparison_module

    comparison = comparison_module()
    error_rates = comparison.ErrorRates(**rates)
    rows = []
    for assertion in assertions:
        cards = assertion.population.size
        rows.append(
            {
                "assertion": assertion.name,
                "margin": assertion.diluted_margin,
                "sample_size": int(
                    comparison.clca_sample_size(
                        assertion.diluted_margin,
                        risk_limit=risk_limit,
                        population=cards,
                        error_rates=error_rates,
                        probability=probability,
                    )
                ),
                "limit_no_errors": comparison.clca_limit_sample_size(
                    assertion.diluted_margin, risk_limit=risk_limit
                ),
            }
        )
    return rows


def _batch_sizes(
    tally: dict[str, int], winners: int, ballots: int | None, risk_limit: float
) -> list[dict[str, Any]]:
    """Batches to draw (PPEB) when no batch shows an error, batches voting like the contest.

    Under that assumption MACRO's total error bound ``U = Σ_p u_p`` equals ``(N + V_wl)/V_wl`` for
    the tightest pair, whatever the number of batches, so the size is exact (Stark 2009;
    :func:`papertally.audit.batch.batch_comparison_sample_size`).
    """
    from papertally.audit.assertions import check_votes, reported_winners
    from papertally.audit.simulate import comparison_module

    batch = comparison_module("batch")
    cards = check_votes(tally, ballots, winners)
    won = reported_winners(tally, winners)
    contest = batch.BatchContest(
        name="contest",
        winners=tuple(won),
        losers=tuple(name for name in tally if name not in won),
        reported={"all": tally},
        ballots={"all": cards},
    )
    bounds = batch.batch_error_bounds([contest])
    return [
        {
            "assertion": "every winner > every loser (batches)",
            "total_error_bound": batch.total_error_bound(bounds),
            "sample_size": int(batch.batch_comparison_sample_size(bounds, risk_limit=risk_limit)),
            "unit": "batches (PPEB draws)",
        }
    ]


def _print_rows(title: str, rows: list[dict[str, Any]]) -> None:
    console.print(f"[bold]{title}[/bold]")
    for row in rows:
        details = ", ".join(
            f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}"
            for key, value in row.items()
            if key != "assertion"
        )
        console.print(f"  {row['assertion']}: {details}", soft_wrap=True, markup=False)


def register(app: typer.Typer) -> None:
    """Add ``sample-size``, ``risk`` and ``simulate`` to the ``audit`` group."""

    @app.command("sample-size")
    @user_errors
    def sample_size(
        audit_type: str = TypeOption,
        risk_limit: float = RiskLimitOption,
        votes: list[str] = VotesOption,
        ballots: int | None = BallotsOption,
        winners: int = WinnersOption,
        phantoms: int = PhantomsOption,
        error_rates: str | None = RatesOption,
        probability: float = typer.Option(0.9, "--probability", help="Chance to finish."),
        as_json: bool = JsonOption,
    ) -> None:
        """Cards to sample to finish with the given probability if the reported results hold."""
        from papertally.audit.assertions import plurality_assertions
        from papertally.audit.martingale import check_risk_limit

        check_risk_limit(risk_limit)
        if audit_type not in AUDIT_TYPES:
            raise PapertallyError(f"--type {audit_type!r}: expected polling, comparison or batch")
        tally = parse_votes(votes)
        assertions = plurality_assertions(tally, winners, ballots=ballots, phantoms=phantoms)
        if audit_type == "polling":
            rows = _polling_sizes(assertions, risk_limit, probability)
        elif audit_type == "comparison":
            rows = _comparison_sizes(assertions, risk_limit, probability, parse_rates(error_rates))
        else:
            rows = _batch_sizes(tally, winners, ballots, risk_limit)
        size = max(int(row["sample_size"]) for row in rows)
        result = {
            "type": audit_type,
            "risk_limit": risk_limit,
            "probability": probability,
            "ballots": assertions[0].population.size,
            "sample_size": size,
            "assertions": rows,
        }
        if as_json:
            print_json(result)
            return
        console.print(
            f"sample size ({audit_type}, α={risk_limit:g}, P(finish)={probability:g}): "
            f"[bold]{size}[/bold] "
            + ("batch draws (PPEB)" if audit_type == "batch" else f"of {result['ballots']} cards")
        )
        _print_rows("per assertion", rows)

    @app.command("risk")
    @user_errors
    def risk(
        sample: Path | None = typer.Option(
            None, "--sample", help="Sampled cards, one per line (choices or codes)."
        ),
        audit_type: str = MeasureTypeOption,
        risk_limit: float = RiskLimitOption,
        votes: list[str] = typer.Option(
            [], "--votes", help="Reported votes NAME=N; repeat per candidate."
        ),
        ballots: int | None = typer.Option(
            None, "--ballots", help="Ballot cards in the population."
        ),
        winners: int = WinnersOption,
        phantoms: int = PhantomsOption,
        with_replacement: bool = typer.Option(
            False, "--with-replacement", help="The sample was drawn with replacement."
        ),
        cvrs: list[str] = typer.Option(
            [], "--cvrs", help="CVR exports as [COUNTY=]FILE (a comparison audit from files)."
        ),
        manifest: list[str] = typer.Option(
            [], "--manifest", "-m", help="With --cvrs: ballot manifest as [COUNTY=]FILE."
        ),
        seed: str | None = typer.Option(None, "--seed", help="With --cvrs: the audit's seed."),
        mvrs: Path | None = typer.Option(
            None, "--mvrs", help="With --cvrs: the auditors' readings (card_id,contest,choices)."
        ),
        contest: list[str] = typer.Option(
            [], "--contest", help="With --cvrs: a contest to audit (default: every one)."
        ),
        contest_winners: list[str] = typer.Option(
            [], "--contest-winners", help="With --cvrs: CONTEST=K seats (default: votes allowed)."
        ),
        size: int | None = typer.Option(
            None, "--size", help="With --cvrs: round 1's size if not the engine's."
        ),
        csv_out: Path | None = typer.Option(
            None, "--csv", help="With --cvrs: write the next round's retrieval list here."
        ),
        as_json: bool = JsonOption,
    ) -> None:
        """Measure the risk from a sample in draw order (polling: choices; comparison: codes
        per assertion), or, with --cvrs, from the auditors' readings of the sampled cards."""
        from papertally.audit.assertions import check_votes, plurality_assertions
        from papertally.audit.martingale import check_risk_limit
        from papertally.audit.polling import alpha_risk, alpha_settings
        from papertally.audit.simulate import comparison_module

        check_risk_limit(risk_limit)
        if cvrs or mvrs is not None:
            if seed is None or mvrs is None or not manifest or not cvrs:
                raise PapertallyError(
                    "a comparison audit from files needs --cvrs, --manifest, --seed and --mvrs"
                )
            from papertally.cli.audit_cvr import risk_command

            risk_command(
                seed=seed,
                cvrs=cvrs,
                manifests=manifest,
                mvrs=mvrs,
                size=size,
                risk_limit=risk_limit,
                contests=contest,
                winners=contest_winners,
                as_json=as_json,
                csv_out=csv_out,
            )
            return
        if sample is None or not votes or ballots is None:
            raise PapertallyError(
                "give --sample, --votes and --ballots (or --cvrs, --manifest, --seed and --mvrs)"
            )
        tally = parse_votes(votes)
        check_votes(tally, ballots, winners)
        assertions = plurality_assertions(tally, winners, ballots=ballots, phantoms=phantoms)
        details: list[dict[str, Any]] = []
        if audit_type == "polling":
            choices = read_polling_sample(sample, list(tally))
            for assertion in assertions:
                measured = alpha_risk(
                    assertion.assort(choices),
                    alpha_settings(assertion, risk_limit),
                    population=None if with_replacement else assertion.population.size,
                    risk_limit=risk_limit,
                )
                details.append(_risk_detail(assertion, measured.p_value, measured.stopped_at))
        elif audit_type == "comparison":
            comparison = comparison_module()
            per_assertion = read_comparison_sample(sample, assertions)
            for assertion in assertions:
                codes = per_assertion[assertion.name]
                measured = comparison.clca_risk(
                    codes,
                    margin=assertion.diluted_margin,
                    population=None if with_replacement else assertion.population.size,
                    risk_limit=risk_limit,
                )
                details.append(_risk_detail(assertion, measured.p_value, measured.stopped_at))
        else:
            raise PapertallyError(f"--type {audit_type!r}: expected polling or comparison")
        stop = all(d["stopped_at"] is not None for d in details)
        result = {
            "type": audit_type,
            "risk_limit": risk_limit,
            "sample_size": len(choices)
            if audit_type == "polling"
            else len(next(iter(per_assertion.values()))),
            "p_value": max(d["p_value"] for d in details),
            "stop": stop,
            "stopped_at": max(d["stopped_at"] for d in details) if stop else None,
            "assertions": details,
        }
        if as_json:
            print_json(result)
            return
        verdict = "risk limit met: the audit may stop" if stop else "risk limit not met"
        console.print(
            f"risk (p-value) {result['p_value']:.4g} after {result['sample_size']} cards: "
            f"{verdict}" + (f" (at draw {result['stopped_at']})" if stop else "")
        )
        _print_rows("per assertion", details)

    @app.command("simulate")
    @user_errors
    def simulate(
        audit_type: str = MeasureTypeOption,
        risk_limit: float = RiskLimitOption,
        votes: list[str] = VotesOption,
        ballots: int | None = BallotsOption,
        winners: int = WinnersOption,
        true_votes: list[str] = typer.Option(
            [], "--true-votes", help="What the cards really show, NAME=N (default: reported)."
        ),
        error_rates: str | None = RatesOption,
        method: str = typer.Option("alpha", "--method", help="Polling: alpha or bravo."),
        trials: int = typer.Option(1000, "--trials", help="Simulated audits (polling)."),
        as_json: bool = JsonOption,
    ) -> None:
        """Distribution of sample sizes (mean, p50, p90, p99) for planning."""
        from papertally.audit.assertions import plurality_assertions
        from papertally.audit.martingale import check_risk_limit
        from papertally.audit.simulate import simulate_comparison, simulate_polling

        check_risk_limit(risk_limit)
        tally = parse_votes(votes)
        if trials < 1:
            raise PapertallyError(f"--trials must be at least 1, got {trials}")
        rows: list[dict[str, Any]] = []
        if audit_type == "polling":
            truth = parse_votes(true_votes, "--true-votes") if true_votes else None
            hopeless = _full_hand_count(tally, risk_limit, winners, ballots, truth)
            if hopeless is not None:
                _print_full_hand_count(hopeless, as_json)
                return
            assertions = plurality_assertions(tally, winners, ballots=ballots)
            with progress_bar("simulating audits (assertions)", not as_json) as progress:
                for done, assertion in enumerate(assertions):
                    progress(done, len(assertions))
                    assert assertion.loser is not None
                    each = simulate_polling(
                        tally,
                        risk_limit,
                        ballots=ballots,
                        winners=winners,
                        true_votes=truth,
                        trials=trials,
                        method=method,
                        pair=(assertion.winner, assertion.loser),
                    )
                    rows.append({"assertion": assertion.name, **vars(each)})
            summary = _largest(rows)
        elif audit_type == "comparison":
            rates = parse_rates(error_rates)
            assertions = plurality_assertions(tally, winners, ballots=ballots)
            with progress_bar("simulating audits (assertions)", not as_json) as progress:
                for done, assertion in enumerate(assertions):
                    progress(done, len(assertions))
                    each = simulate_comparison(
                        assertion.diluted_margin,
                        risk_limit,
                        population=assertion.population.size,
                        error_rates=rates,
                    )
                    rows.append({"assertion": assertion.name, **vars(each)})
            summary = _largest(rows)
        else:
            raise PapertallyError(f"--type {audit_type!r}: expected polling or comparison")
        result = {"type": audit_type, "risk_limit": risk_limit, **vars(summary)}
        if rows:
            result["assertions"] = rows
        if as_json:
            print_json(result)
            return
        console.print(
            f"{audit_type}, α={risk_limit:g}: mean {summary.mean:.1f}, p50 {summary.p50}, "
            f"p90 {summary.p90}, p99 {summary.p99} cards ({summary.trials} trials)"
        )


def _full_hand_count(
    tally: dict[str, int],
    risk_limit: float,
    winners: int,
    ballots: int | None,
    truth: dict[str, int] | None,
) -> dict[str, Any] | None:
    """Return why a ballot-polling audit means a full hand count, or ``None`` if it may not.

    ``ln(1/α)/KL`` is the expected sample size no valid sequential test beats by much (Stark
    2023, ALPHA §3). It is taken for every assertion under the true votes: when it reaches the
    number of cards for any of them (or the truth reverses one), every simulated audit would
    draw (nearly) every card, and simulating them draw by draw takes minutes to say so.
    """
    from papertally.audit.assertions import plurality_assertions
    from papertally.audit.polling import limit_sample_size
    from papertally.audit.simulate import true_population

    rows: list[dict[str, Any]] = []
    for assertion in plurality_assertions(tally, winners, ballots=ballots):
        cards = assertion.population.size
        limit = limit_sample_size(true_population(assertion, truth), risk_limit)
        rows.append(
            {
                "assertion": assertion.name,
                "margin": assertion.diluted_margin,
                "ballots": cards,
                "limit_mean": limit if math.isfinite(limit) else None,
                "full_hand_counts": 1.0 if limit >= cards else None,
            }
        )
    hopeless = [row for row in rows if row["full_hand_counts"] is not None]
    if not hopeless:
        return None
    worst = max(
        hopeless, key=lambda row: math.inf if row["limit_mean"] is None else row["limit_mean"]
    )
    cards = max(row["ballots"] for row in rows)
    return {
        "type": "polling",
        "risk_limit": risk_limit,
        "full_hand_count": True,
        "assertion": worst["assertion"],
        "margin": worst["margin"],
        "ballots": cards,
        "limit_mean": worst["limit_mean"],
        "trials": 0,
        "mean": float(cards),
        "p50": cards,
        "p90": cards,
        "p99": cards,
        "full_hand_counts": 1.0,
        "assertions": rows,
    }


def _print_full_hand_count(result: dict[str, Any], as_json: bool) -> None:
    """Say at once that the audit is a full hand count (nothing is simulated)."""
    if as_json:
        print_json(result)
        return
    limit = result["limit_mean"]
    head = f"polling, α={result['risk_limit']:g}: "
    if limit is None:
        why = f"the true votes do not bear out {result['assertion']}"
    else:
        why = (
            f"margin {result['margin']:.3g} ({result['assertion']}) is too small to audit by "
            f"sampling ({limit:,.0f} cards expected of {result['ballots']:,})"
        )
    console.print(
        f"{head}{why}: an audit is expected to go on to a full hand count of "
        f"{result['ballots']:,} "
        "cards (nothing simulated)",
        soft_wrap=True,
        markup=False,
    )


def _largest(rows: list[dict[str, Any]]) -> SizeDistribution:
    """Return each figure's largest value over the assertions' simulated sizes.

    The contest's audit stops only when every assertion has, so each figure is at least the
    largest of the assertions' (a lower bound for the contest when several are close).
    """
    from papertally.audit.simulate import SizeDistribution

    return SizeDistribution(
        trials=min(int(r["trials"]) for r in rows),
        mean=max(float(r["mean"]) for r in rows),
        p50=max(int(r["p50"]) for r in rows),
        p90=max(int(r["p90"]) for r in rows),
        p99=max(int(r["p99"]) for r in rows),
        full_hand_counts=max(float(r["full_hand_counts"]) for r in rows),
    )


def _risk_detail(assertion: Assertion, p_value: float, stopped_at: int | None) -> dict[str, Any]:
    return {
        "assertion": assertion.name,
        "margin": assertion.diluted_margin,
        "p_value": p_value,
        "stopped_at": stopped_at,
    }
