"""Screening use-case: read results, baseline and covariate files, match units, screen, decide.

Shared by ``papertally screen``, the web app's screening page and the benchmark. Files are read
by the adapters in :mod:`papertally.io`; the statistics are :mod:`papertally.screening`'s.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from papertally.errors import PapertallyError
from papertally.screening.frame import ScreeningFrame, county_codes
from papertally.screening.regression import Cluster
from papertally.screening.units import (
    ContestVotes,
    CovariateTable,
    Matching,
    UnitVotes,
    match_units,
    municipal_votes,
)

if TYPE_CHECKING:
    from papertally.screening.analysis import Screening
    from papertally.screening.desk import Decision

Step = Callable[[str], None]
EL190_TECHNOLOGY = {
    "paper_ballots": "hand-counted paper",
    "optical_scan_ballots": "optical scan",
    "dre_ballots": "DRE (touch screen)",
    "automark_ballots": "Auto-Mark",
}


@dataclass(frozen=True)
class GroupRule:
    """Which units form the screened group: a label containing text, or a number above a value."""

    column: str
    contains: str | None = None
    above: float | None = None

    @classmethod
    def parse(cls, text: str) -> GroupRule:
        """Parse ``COLUMN~TEXT`` (label contains TEXT) or ``COLUMN>NUMBER``."""
        if "~" in text:
            column, _, value = text.partition("~")
            if column.strip() and value.strip():
                return cls(column.strip(), contains=value.strip())
        elif ">" in text:
            column, _, value = text.partition(">")
            try:
                return cls(column.strip(), above=float(value))
            except ValueError:
                pass
        raise PapertallyError(
            f"--group {text!r}: expected COLUMN~TEXT (e.g. accessible~Edge) or COLUMN>NUMBER "
            "(e.g. dre_share>0.5)"
        )

    @property
    def label(self) -> str:
        """Return the group's name in reports."""
        if self.contains is not None:
            return f"{self.column} contains {self.contains!r}"
        return f"{self.column} > {self.above:g}"


@dataclass
class ScreeningInputs:
    """The files and choices of one screening."""

    results: Path
    baseline: Path
    el190: Path | None = None
    equipment: Path | None = None
    covariates: list[Path] = field(default_factory=list)
    contest: str | None = None
    baseline_contest: str | None = None
    party: str = "REP"
    group: GroupRule = field(default_factory=lambda: GroupRule("accessible", contains="Edge"))
    extra_controls: list[str] = field(default_factory=list)
    cluster: Cluster = "county"
    """Clusters of the standard errors: ``county`` or ``unit`` (each municipality its own)."""


@dataclass
class PreparedFrame:
    """The matched table and how it was made."""

    frame: ScreeningFrame
    matching: Matching
    categories: dict[str, list[str]]
    dropped: dict[str, list[str]]
    now: ContestVotes
    baseline: ContestVotes
    notes: list[str]

    def matching_summary(self) -> dict[str, Any]:
        """Return counts and the units left out, for reports and JSON."""
        return {
            "counts": self.matching.counts(),
            "only_now": self.matching.only_now,
            "only_baseline": self.matching.only_baseline,
            "missing_covariates": self.matching.missing_covariates,
            "dropped": self.dropped,
            "unplaced_wards": {"now": self.now.unplaced, "baseline": self.baseline.unplaced},
            "focus_choice": {"now": self.now.focus_choice, "baseline": self.baseline.focus_choice},
            "notes": self.notes,
        }


def classify_files(
    files: Sequence[tuple[Path, str]], group: GroupRule, party: str = "REP"
) -> ScreeningInputs:
    """Build the inputs from files given together, each recognised by its content.

    ``files`` pairs each path with the name to show for it. EL-190, equipment and covariate
    files are told by their headers; the two results files by their election dates (the
    earlier is the baseline). Refuses, naming the files, anything else.
    """
    from papertally.io import read_results
    from papertally.io.covariate_files import covariate_kind

    by_kind: dict[str, list[Path]] = {"el190": [], "equipment": [], "covariates": []}
    results: list[tuple[Any, Path, str]] = []
    for path, shown in files:
        kind = covariate_kind(path)
        if kind is not None:
            by_kind[kind].append(path)
            continue
        results.append((read_results([path]).election.date, path, shown))
    if len(results) != 2:
        raise PapertallyError(
            f"give two results files (the election and its baseline), found {len(results)}"
            + (f": {', '.join(r[2] for r in results)}" if results else "")
        )
    for kind in ("el190", "equipment"):
        if len(by_kind[kind]) > 1:
            raise PapertallyError(f"give at most one {kind} file, found {len(by_kind[kind])}")
    (day_a, path_a, shown_a), (day_b, path_b, shown_b) = results
    if day_a is None or day_b is None or day_a == day_b:
        raise PapertallyError(
            f"cannot tell which of {shown_a} and {shown_b} is the baseline: their election "
            "dates are missing or the same"
        )
    now, baseline = (path_a, path_b) if day_a > day_b else (path_b, path_a)
    return ScreeningInputs(
        results=now,
        baseline=baseline,
        el190=by_kind["el190"][0] if by_kind["el190"] else None,
        equipment=by_kind["equipment"][0] if by_kind["equipment"] else None,
        covariates=by_kind["covariates"],
        party=party,
        group=group,
    )


def read_covariates(inputs: ScreeningInputs) -> list[CovariateTable]:
    """Read every covariate file of ``inputs`` (EL-190, equipment, generic CSVs)."""
    from papertally.io.covariate_files import read_covariate_csv, read_el190, read_equipment

    tables = []
    if inputs.el190 is not None:
        tables.append(read_el190(inputs.el190))
    if inputs.equipment is not None:
        tables.append(read_equipment(inputs.equipment))
    tables.extend(read_covariate_csv(path) for path in inputs.covariates)
    return tables


def _lookup(tables: Sequence[CovariateTable], key: str) -> tuple[dict[str, float], dict[str, str]]:
    numbers: dict[str, float] = {}
    labels: dict[str, str] = {}
    for table in tables:
        numbers.update(table.numbers.get(key, {}))
        labels.update(table.labels.get(key, {}))
    return numbers, labels


ABSENTEE_TYPES = ("absentee", "absentee by mail", "mail")
"""Vote types of a results file that are absentee ballots (the others: election day, early...)."""


def _vote_types(votes: UnitVotes) -> dict[str, float]:
    """Return each vote type's share of the unit's votes (``early_share``...) and, where the
    file breaks absentee votes out, ``absentee_share`` from the results themselves."""
    if not votes.by_type or votes.total <= 0:
        return {}
    out = {f"{kind.replace(' ', '_')}_share": n / votes.total for kind, n in votes.by_type.items()}
    absentee = sum(votes.by_type.get(kind, 0) for kind in ABSENTEE_TYPES)
    if any(kind in votes.by_type for kind in ABSENTEE_TYPES):
        out["absentee_share"] = absentee / votes.total
    return out


def _derived(numbers: dict[str, float]) -> dict[str, float]:
    """Return shares computed from EL-190 counts (absentee share, share of each technology)."""
    total = numbers.get("total_ballots", 0.0)
    out: dict[str, float] = {}
    if total > 0:
        if "absentee_counted" in numbers:
            out["absentee_share"] = numbers["absentee_counted"] / total
        for column in EL190_TECHNOLOGY:
            if column in numbers:
                out[column.replace("_ballots", "_share")] = numbers[column] / total
    return out


def prepare_frame(
    now: ContestVotes,
    baseline: ContestVotes,
    tables: Sequence[CovariateTable],
    group: GroupRule,
    extra_controls: Sequence[str] = (),
) -> PreparedFrame:
    """Match units and build the screening table; units that cannot be placed are listed."""
    notes: list[str] = []
    everywhere = sorted(set(now.units) | set(baseline.units))
    for table in tables:
        filled = table.spread_municipal_labels(everywhere)
        if filled:
            notes.append(
                f"{table.source}: {len(filled)} county parts of municipalities spanning "
                "counties take the equipment of the municipality's main entry"
            )
    matching = match_units(now.units, baseline.units, tables)
    dropped: dict[str, list[str]] = {"no votes": [], "group unknown": [], "covariate missing": []}
    rows: list[tuple[str, dict[str, float], dict[str, str], float]] = []
    for key in matching.matched:
        a, b = now.units[key], baseline.units[key]
        if a.total <= 0 or b.total <= 0:
            dropped["no votes"].append(key)
            continue
        numbers, labels = _lookup(tables, key)
        numbers = {**_vote_types(a), **numbers, **_derived(numbers)}
        if group.contains is not None:
            if group.column not in labels:
                dropped["group unknown"].append(key)
                continue
            flag = float(group.contains.casefold() in labels[group.column].casefold())
        else:
            if group.column not in numbers:
                dropped["group unknown"].append(key)
                continue
            flag = float(numbers[group.column] > (group.above or 0.0))
        rows.append((key, numbers, labels, flag))
    controls_wanted = ["absentee_share", *extra_controls]
    have = {c for c in controls_wanted if any(c in r[1] for r in rows)}
    missing = [c for c in extra_controls if c not in have]
    if missing:
        raise PapertallyError(
            f"--control {', '.join(missing)}: no covariate file gives it "
            f"(columns found: {', '.join(sorted({k for r in rows for k in r[1]})) or 'none'})"
        )
    kept = []
    for row in rows:
        if all(c in row[1] for c in have):
            kept.append(row)
        else:
            dropped["covariate missing"].append(row[0])
    if not kept:
        raise PapertallyError("no unit is in both elections with the covariates needed")
    keys = [r[0] for r in kept]
    focus_now = np.array([now.units[k].focus for k in keys], dtype=np.float64)
    votes_now = np.array([now.units[k].total for k in keys], dtype=np.float64)
    focus_base = np.array([baseline.units[k].focus for k in keys], dtype=np.float64)
    votes_base = np.array([baseline.units[k].total for k in keys], dtype=np.float64)
    counties = [now.units[k].county for k in keys]
    codes, county_names = county_codes(counties)
    controls = {
        "baseline_share": focus_base / votes_base,
        "log_size": np.log(votes_now),
        "turnout_change": np.log(votes_now / votes_base),
        **{c: np.array([r[1][c] for r in kept], dtype=np.float64) for c in sorted(have)},
    }
    extra = {
        name: np.array([r[1].get(name, math.nan) for r in kept], dtype=np.float64)
        for name in ("absentee_issued", "absentee_returned", "absentee_counted", "total_ballots")
        if all(name in r[1] for r in kept)
    }
    categories: dict[str, list[str]] = {}
    for column, title in (("accessible", "accessible equipment"), ("tabulator", "tabulator")):
        if all(column in r[2] for r in kept):
            categories[title] = [r[2][column] for r in kept]
    if all(any(c in r[1] for c in EL190_TECHNOLOGY) for r in kept):
        categories["technology (most ballots, EL-190)"] = [
            EL190_TECHNOLOGY[max(EL190_TECHNOLOGY, key=lambda c: r[1].get(c, 0.0))] for r in kept
        ]
    frame = ScreeningFrame(
        keys=keys,
        names=[now.units[k].municipality for k in keys],
        counties=counties,
        swing=focus_now / votes_now - focus_base / votes_base,
        weight=votes_now,
        group=np.array([r[3] for r in kept], dtype=np.float64),
        controls=controls,
        county=codes,
        county_names=county_names,
        votes_now=votes_now,
        focus_now=focus_now,
        extra=extra,
        group_label=group.label,
    )
    return PreparedFrame(frame, matching, categories, dropped, now, baseline, notes)


@dataclass
class ScreeningOutcome:
    """A screening and its decision desk, with how the units were matched."""

    inputs: dict[str, Any]
    prepared: PreparedFrame
    screening: Screening
    decision: Decision

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary."""
        return {
            "inputs": self.inputs,
            "matching": self.prepared.matching_summary(),
            "screening": self.screening.to_dict(),
            "decision": self.decision.to_dict(),
        }


def run_screening(
    inputs: ScreeningInputs,
    *,
    state: str | None = None,
    office: str | None = None,
    permutations: int = 999,
    audit_cost_per_ballot: float = 5.0,
    recount_cost_per_ballot: float | None = None,
    polling_trials: int = 0,
    step: Step | None = None,
) -> ScreeningOutcome:
    """Read the files of ``inputs``, screen, and build the decision desk.

    ``step(description)`` is called before each stage, for progress displays: six stages, and
    one more per risk limit when ``polling_trials`` simulated polling audits are asked for.
    """
    from papertally.io import read_results
    from papertally.law import ContestResults
    from papertally.screening.analysis import LADDER, screen
    from papertally.screening.desk import decide

    say = step or (lambda _text: None)
    say("reading the results")
    current = read_results([inputs.results])
    say("reading the baseline")
    previous = read_results([inputs.baseline])
    say("reading the covariates")
    tables = read_covariates(inputs)
    say("matching units")
    now = municipal_votes(current.election, inputs.contest, None, party=inputs.party)
    base = municipal_votes(
        previous.election, inputs.baseline_contest or inputs.contest, None, party=inputs.party
    )
    prepared = prepare_frame(now, base, tables, inputs.group, inputs.extra_controls)
    frame = prepared.frame
    if frame.group.sum() == 0 or frame.group.sum() == len(frame):
        raise PapertallyError(
            f"--group {inputs.group.label}: {int(frame.group.sum())} of {len(frame)} units are in "
            "the group; the screening needs units in and out of it"
        )
    say(f"screening {len(frame):,} units ({permutations} permutations)")
    result = screen(
        frame,
        categories=prepared.categories,
        steps=[*LADDER, *inputs.extra_controls],
        permutations=permutations,
        cluster=inputs.cluster,
    )
    say("the decision desk")
    election = current.election
    contest = election.contest(now.contest)
    count = next(c for c in election.counts if c.contest == contest.name)
    flagged = {o.key for o in result.outliers}
    decision = decide(
        ContestResults.from_count(contest, count),
        state=state or election.state,
        election_date=election.date,
        office=office or contest.office or contest.name,
        targeted_units=len(flagged),
        targeted_ballots=int(sum(now.units[k].total for k in flagged)),
        targeted_votes_at_stake=sum(o.votes_at_stake for o in result.outliers),
        screening_summary=result.verdict,
        recount_cost_per_ballot=recount_cost_per_ballot,
        audit_cost_per_ballot=audit_cost_per_ballot,
        polling_trials=polling_trials,
        progress=say,
    )
    described = {
        "results": inputs.results.name,
        "baseline": inputs.baseline.name,
        "el190": inputs.el190.name if inputs.el190 else None,
        "equipment": inputs.equipment.name if inputs.equipment else None,
        "covariates": [p.name for p in inputs.covariates],
        "party": inputs.party,
        "group": inputs.group.label,
        "cluster": inputs.cluster,
        "permutations": permutations,
        "polling_trials": polling_trials,
    }
    return ScreeningOutcome(described, prepared, result, decision)
