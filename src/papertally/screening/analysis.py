"""The screening itself: swing by group, naive and adjusted group effects, the specification
ladder, outlier units and absentee checks, each with what it can and cannot show.

Methods: weighted least squares with cluster-robust errors and a Freedman-Lane permutation test
(:mod:`papertally.screening.regression`); outliers by Benjamini & Hochberg's (1995) false
discovery rate over normal p-values of robustly scaled residuals. The question is the one of
the 2016 Wisconsin petition: did units voting on one technology swing differently from others,
once what else differs between them is taken into account?
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from papertally.screening.frame import CONTROL_LABELS, FloatArray, ScreeningFrame
from papertally.screening.regression import Cluster, Design, Estimate, coefficient_table, estimate

LADDER = ("baseline_share", "log_size", "turnout_change", "absentee_share")
"""The controls added one by one, in this order, before county fixed effects."""
ADJUSTED = ("baseline_share", "log_size")
"""The controls of the headline adjusted estimate: municipality size and the baseline share."""

CAVEATS = (
    "This is an association between voting technology and swing, not proof that any machine "
    "miscounted: towns that use a technology also differ in size, place and politics, and the "
    "controls capture only what is measured.",
    "A difference that vanishes once a control is added is explained by that control, not by "
    "the equipment; a difference that survives may still come from something unmeasured.",
    "Only the paper settles it: a recount or a risk-limiting audit compares the paper ballots "
    "with the machine counts and can show whether the reported outcome is right; statistics on "
    "results alone cannot.",
    "Outliers are units whose swing the model does not explain, ranked by the votes at stake; "
    "they are where to look first, not evidence of fraud.",
)


@dataclass(frozen=True)
class GroupRow:
    """Swing in one group of units: weighted mean, spread and size."""

    group: str
    units: int
    votes: int
    mean_swing: float
    p10: float
    median: float
    p90: float


@dataclass(frozen=True)
class Outlier:
    """A unit the adjusted model does not explain."""

    key: str
    name: str
    county: str
    swing: float
    residual: float
    z: float
    p_value: float
    q_value: float
    votes: int
    votes_at_stake: int
    in_group: bool


@dataclass
class AbsenteeCheck:
    """Absentee ballots issued, returned and counted, and the absentee share against swing."""

    units: int
    issued: int
    returned: int
    counted: int
    returned_over_issued: list[str]
    counted_over_returned: list[str]
    association: Estimate | None
    notes: list[str] = field(default_factory=list)


@dataclass
class Screening:
    """Everything one screening found, ready for reports, JSON and pages."""

    group_label: str
    units: int
    group_units: int
    votes: int
    group_votes: int
    naive: Estimate
    adjusted: Estimate
    ladder: list[Estimate]
    alone: list[Estimate]
    coefficients: list[dict[str, float | str]]
    distributions: dict[str, list[GroupRow]]
    outliers: list[Outlier]
    outlier_fdr: float
    absentee: AbsenteeCheck | None
    verdict: str
    removed_by: str | None
    strongest_single_control: str | None
    caveats: list[str] = field(default_factory=lambda: list(CAVEATS))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary."""
        absentee = None
        if self.absentee is not None:
            absentee = dict(self.absentee.__dict__)
            association = self.absentee.association
            absentee["association"] = association.to_dict() if association else None
        return {
            "group": self.group_label,
            "units": self.units,
            "group_units": self.group_units,
            "votes": self.votes,
            "group_votes": self.group_votes,
            "naive": self.naive.to_dict(),
            "adjusted": self.adjusted.to_dict(),
            "ladder": [e.to_dict() for e in self.ladder],
            "one_control_at_a_time": [e.to_dict() for e in self.alone],
            "coefficients": self.coefficients,
            "distributions": {
                k: [r.__dict__ for r in rows] for k, rows in self.distributions.items()
            },
            "outliers": [o.__dict__ for o in self.outliers],
            "outlier_fdr": self.outlier_fdr,
            "absentee": absentee,
            "verdict": self.verdict,
            "removed_by": self.removed_by,
            "strongest_single_control": self.strongest_single_control,
            "caveats": self.caveats,
        }


def _weighted_quantiles(values: FloatArray) -> tuple[float, float, float]:
    if len(values) == 0:
        return (float("nan"),) * 3
    p10, p50, p90 = np.quantile(values, [0.1, 0.5, 0.9])
    return float(p10), float(p50), float(p90)


def group_rows(
    frame: ScreeningFrame, labels: Sequence[str], order: Sequence[str] | None = None
) -> list[GroupRow]:
    """Return the swing of the units of each label: in ``order``, else largest (by votes) first."""
    codes, inverse = np.unique(np.asarray(labels, dtype=object), return_inverse=True)
    rows = []
    for i, label in enumerate(codes):
        mask = inverse == i
        w = frame.weight[mask]
        p10, p50, p90 = _weighted_quantiles(frame.swing[mask])
        rows.append(
            GroupRow(
                group=str(label),
                units=int(mask.sum()),
                votes=int(frame.votes_now[mask].sum()),
                mean_swing=float(np.average(frame.swing[mask], weights=w)),
                p10=p10,
                median=p50,
                p90=p90,
            )
        )
    if order is not None:
        rank = {name: i for i, name in enumerate(order)}
        return sorted(rows, key=lambda r: rank.get(r.group, len(rank)))
    return sorted(rows, key=lambda r: -r.votes)


def bands(values: FloatArray, edges: Sequence[float], fmt: str) -> tuple[list[str], list[str]]:
    """Return a band label (``"a to < b"``) for each value, from ascending ``edges``, and the
    labels of all bands in ascending order."""
    bounds = [-np.inf, *edges, np.inf]
    names = []
    for low, high in itertools.pairwise(bounds):
        if np.isinf(low):
            names.append(f"< {fmt.format(high)}")
        elif np.isinf(high):
            names.append(f">= {fmt.format(low)}")
        else:
            names.append(f"{fmt.format(low)} to < {fmt.format(high)}")
    index = np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="right")
    return [names[i] for i in index.tolist()], names


def distributions(
    frame: ScreeningFrame, categories: Mapping[str, Sequence[str]] | None = None
) -> dict[str, list[GroupRow]]:
    """Return swing by group, by technology labels given, absentee band, size band, county."""
    out: dict[str, list[GroupRow]] = {
        frame.group_label: group_rows(frame, ["in group" if g else "others" for g in frame.group])
    }
    for name, labels in (categories or {}).items():
        out[name] = group_rows(frame, labels)
    if "absentee_share" in frame.controls:
        pct = 100 * frame.controls["absentee_share"]
        out["absentee share band (%)"] = group_rows(frame, *bands(pct, [10, 20, 30], "{:.0f}%"))
    out["size band (votes)"] = group_rows(
        frame, *bands(frame.votes_now, [500, 2_000, 10_000, 50_000], "{:,.0f}")
    )
    out["county"] = group_rows(frame, frame.counties)
    return out


NO_WITHIN = (
    "The group never varies within a county (every county is all in or all out), so county "
    "fixed effects cannot be estimated: every comparison here is between counties."
)


def varies_within_counties(frame: ScreeningFrame) -> bool:
    """Return whether some county has units both in and out of the group: without one, county
    fixed effects absorb the group indicator and the within-county comparison does not exist."""
    inside = np.bincount(frame.county, weights=frame.group > 0)
    return bool(np.any((inside > 0) & (inside < np.bincount(frame.county))))


def ladder(
    frame: ScreeningFrame,
    steps: Sequence[str] = LADDER,
    *,
    cluster: Cluster = "county",
    permutations: int = 999,
    tested: Sequence[Sequence[str]] = (ADJUSTED,),
) -> list[Estimate]:
    """Return the group effect as controls are added one by one, then county fixed effects
    (when the group varies within some county).

    Every step has its cluster-robust interval; the permutation test (the slow part) is run for
    the first step, the last (county effects) and the steps whose controls are in ``tested``.
    """
    wanted = {tuple(t) for t in tested}
    usable = [s for s in steps if s in frame.controls]
    out = [estimate(frame, (), cluster=cluster, permutations=permutations, label="no controls")]
    for i in range(1, len(usable) + 1):
        out.append(
            estimate(
                frame,
                usable[:i],
                cluster=cluster,
                permutations=permutations if tuple(usable[:i]) in wanted else 0,
                label="+ " + CONTROL_LABELS.get(usable[i - 1], usable[i - 1]),
            )
        )
    if varies_within_counties(frame):
        out.append(
            estimate(
                frame,
                usable,
                county_effects=True,
                cluster=cluster,
                permutations=permutations,
                label="+ county fixed effects",
            )
        )
    return out


def one_at_a_time(
    frame: ScreeningFrame, steps: Sequence[str] = LADDER, *, cluster: Cluster = "county"
) -> list[Estimate]:
    """Return the group effect with each control alone (and county effects alone, when the
    group varies within some county)."""
    out = [
        estimate(
            frame,
            (c,),
            cluster=cluster,
            permutations=0,
            label=f"only {CONTROL_LABELS.get(c, c)}",
        )
        for c in steps
        if c in frame.controls
    ]
    if varies_within_counties(frame):
        out.append(
            estimate(
                frame, (), county_effects=True, cluster=cluster, permutations=0,
                label="only county fixed effects",
            )
        )  # fmt: skip
    return out


def what_removes_it(naive: Estimate, steps: list[Estimate]) -> str | None:
    """Return the control that removes a significant naive difference, or ``None``: the first
    step of the ladder at which the 95% interval covers zero."""
    if not naive.significant:
        return None
    first = next((e for e in steps[1:] if not e.significant), None)
    if first is None:
        return None
    return first.label.removeprefix("+ ")


def strongest_alone(naive: Estimate, alone: list[Estimate]) -> Estimate | None:
    """Return the single control that alone brings the estimate closest to zero, if any does
    better than no control: the ladder's order matters, this does not."""
    best = min(alone, key=lambda e: abs(e.coefficient), default=None)
    if best is None or abs(best.coefficient) >= abs(naive.coefficient):
        return None
    return best


def outliers(
    frame: ScreeningFrame,
    controls: Sequence[str],
    *,
    county_effects: bool,
    fdr: float = 0.05,
) -> list[Outlier]:
    """Return the units whose swing the model does not explain, at false discovery rate ``fdr``.

    Residuals are taken on the weighted scale (where the model makes their spread equal),
    scaled by their median absolute deviation so a few wild units cannot hide the others,
    given two-sided normal p-values, and kept by Benjamini-Hochberg. Votes at stake: the
    residual share times the unit's votes.
    """
    from scipy import stats

    design = Design(frame, controls, county_effects=county_effects, cluster="county")
    u = design.residuals(design.weighted_swing(frame))
    scale = 1.4826 * float(np.median(np.abs(u - np.median(u))))
    if scale <= 0:
        return []
    z = u / scale
    p = 2 * stats.norm.sf(np.abs(z))
    q = stats.false_discovery_control(p, method="bh")
    residual = u / np.sqrt(frame.weight)
    stake = np.abs(residual) * frame.votes_now
    found = np.flatnonzero(q <= fdr)
    found = found[np.argsort(-stake[found], kind="stable")]
    return [
        Outlier(
            key=frame.keys[i],
            name=frame.names[i],
            county=frame.counties[i],
            swing=float(frame.swing[i]),
            residual=float(residual[i]),
            z=float(z[i]),
            p_value=float(p[i]),
            q_value=float(q[i]),
            votes=int(frame.votes_now[i]),
            votes_at_stake=round(float(stake[i])),
            in_group=bool(frame.group[i]),
        )
        for i in found
    ]


def absentee_check(frame: ScreeningFrame, *, cluster: Cluster = "county") -> AbsenteeCheck | None:
    """Return the absentee checks where the frame has absentee figures, else ``None``.

    The association of absentee share with swing has its cluster-robust interval only (no
    permutation test: it is a continuous covariate, not the screened group).
    """
    needed = ("absentee_issued", "absentee_returned", "absentee_counted")
    if not all(k in frame.extra for k in needed):
        return None
    issued, returned, counted = (frame.extra[k] for k in needed)
    association = None
    notes = [
        "Returned above issued, or counted above returned, is a bookkeeping question for the "
        "clerk (late issues, re-issued ballots, reporting errors), answered from the poll "
        "book and the certificate envelopes.",
    ]
    if "absentee_share" in frame.controls:
        share = frame.controls["absentee_share"]
        others = [c for c in ADJUSTED if c in frame.controls]
        association = estimate(
            frame,
            others,
            cluster=cluster,
            permutations=0,
            label="absentee share, controls: "
            + (" + ".join(CONTROL_LABELS.get(c, c) for c in others) or "none"),
            indicator=share,
        )
        notes.append(
            "The association is the change in swing (share) per unit of absentee share; the "
            "report shows it per 10 points. Places with many absentee voters differ in other "
            "ways too."
        )
    return AbsenteeCheck(
        units=len(frame),
        issued=int(issued.sum()),
        returned=int(returned.sum()),
        counted=int(counted.sum()),
        returned_over_issued=[frame.keys[i] for i in np.flatnonzero(returned > issued)],
        counted_over_returned=[frame.keys[i] for i in np.flatnonzero(counted > returned)],
        association=association,
        notes=notes,
    )


def _verdict(
    frame: ScreeningFrame,
    naive: Estimate,
    adjusted: Estimate,
    removed: str | None,
    single: Estimate | None,
    steps: Sequence[Estimate] = (),
) -> str:
    def pts(e: Estimate) -> str:
        return (
            f"{100 * e.coefficient:+.2f} points (95% CI {100 * e.ci_low:+.2f} to "
            f"{100 * e.ci_high:+.2f}, permutation p = {e.permutation_p:.3g})"
            if e.permutation_p is not None
            else f"{100 * e.coefficient:+.2f} points"
        )

    label = frame.group_label
    alone = (
        f" Of the controls alone, {single.label.removeprefix('only ')} shrinks it most "
        f"({100 * single.coefficient:+.2f} points, 95% CI {100 * single.ci_low:+.2f} to "
        f"{100 * single.ci_high:+.2f})."
        if single is not None
        else ""
    )
    undecided = {(e.controls, e.county_effects): e for e in reversed([naive, adjusted, *steps])}
    alone += "".join(
        f" With {e.label.removeprefix('+ ')}: {e.permutation_note}."
        for e in reversed(undecided.values())
        if e.permutation_note
    )
    text = f"Naive difference in swing, {label} vs others: {pts(naive)}. "
    text += f"Adjusted for {adjusted.label}: {pts(adjusted)}. "
    if not naive.significant:
        return text + "No difference stands out even before controls." + alone
    if adjusted.significant:
        unconfirmed = adjusted.permutation_p is not None and not adjusted.permutation_rejects
        text += "A difference survives these controls" + (
            " by its interval, though the permutation test does not confirm it at 5%; "
            if unconfirmed
            else "; "
        )
        text += (
            f"it is removed by {removed} further up the ladder."
            if removed
            else "it survives every step of the ladder (association, not proof)."
        )
        return text + alone
    return (
        text
        + "The equipment effect does not survive: the naive difference is explained by "
        + f"{removed or 'the controls'}."
        + alone
    )


def screen(
    frame: ScreeningFrame,
    *,
    categories: Mapping[str, Sequence[str]] | None = None,
    adjusted_controls: Sequence[str] = ADJUSTED,
    steps: Sequence[str] = LADDER,
    cluster: Cluster = "county",
    permutations: int = 999,
    fdr: float = 0.05,
) -> Screening:
    """Run the whole screening of ``frame`` (see the module's notes)."""
    if len(frame) < 3 or frame.group.sum() == 0 or frame.group.sum() == len(frame):
        raise ValueError("the screening needs units both in and out of the group")
    usable = [c for c in adjusted_controls if c in frame.controls]
    steps_done = ladder(frame, steps, cluster=cluster, permutations=permutations, tested=[usable])
    naive = steps_done[0]
    same = [e for e in steps_done if e.permutation_p is not None and list(e.controls) == usable]
    adjusted = (
        replace(same[0], label=" + ".join(CONTROL_LABELS.get(c, c) for c in usable))
        if same and not same[0].county_effects
        else estimate(
            frame, usable, cluster=cluster, permutations=permutations,
            label=" + ".join(CONTROL_LABELS.get(c, c) for c in usable) or "no controls",
        )
    )  # fmt: skip
    alone = one_at_a_time(frame, steps, cluster=cluster)
    removed = what_removes_it(naive, steps_done)
    single = strongest_alone(naive, alone)
    full = [s for s in steps if s in frame.controls]
    within = varies_within_counties(frame)
    group = frame.group > 0
    return Screening(
        group_label=frame.group_label,
        units=len(frame),
        group_units=int(group.sum()),
        votes=int(frame.votes_now.sum()),
        group_votes=int(frame.votes_now[group].sum()),
        naive=naive,
        adjusted=adjusted,
        ladder=steps_done,
        alone=alone,
        coefficients=coefficient_table(frame, full, county_effects=within, cluster=cluster),
        distributions=distributions(frame, categories),
        outliers=outliers(frame, full, county_effects=within, fdr=fdr),
        outlier_fdr=fdr,
        absentee=absentee_check(frame, cluster=cluster),
        verdict=_verdict(frame, naive, adjusted, removed, single, steps_done)
        + ("" if within else " " + NO_WITHIN),
        removed_by=removed,
        strongest_single_control=single.label.removeprefix("only ") if single else None,
    )
