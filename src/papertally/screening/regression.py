"""Weighted regression of swing on a group indicator, cluster-robust errors, permutation test.

The estimate is the coefficient of the indicator in a regression of swing on the indicator and
the controls, weighted by votes, with county fixed effects optional. By the Frisch-Waugh-Lovell
theorem it equals the regression of the swing's residual on the indicator's residual after both
are projected off the controls, and its cluster-robust (CR1) variance is the same computed from
those residuals (Cameron & Miller 2015, "A practitioner's guide to cluster-robust inference");
confidence intervals use Student's t with G - 1 degrees of freedom (G clusters), as they advise.

The permutation test is the studentized Freedman & Lane (1983) test on the weighted scale, i.e.
the wild cluster restricted bootstrap-t of Cameron, Gelbach & Miller (2008, "Bootstrap-based
improvements for inference with clustered errors"): the residuals of the model without the
indicator are multiplied by one random weight per county and the cluster-robust t statistic of
the indicator is recomputed in every draw, so the test compares like with like (a pivot, whose
null distribution depends little on the unknown error variances). The p-value counts the
observed statistic among the draws, ``(1 + #{|t*| >= |t|}) / (1 + B)``, so that the test of B
draws keeps the size of the test it approximates (Davison & Hinkley 1997, ch. 4.2). The weights are
Rademacher signs (whole-county sign flips, Winkler, Ridgway, Webster, Smith & Nichols 2014,
"Permutation inference for the general linear model") with 12 counties or more, and Webb's
six-point weights with fewer, where 2^G sign patterns are too few for smooth p-values (Webb
2023, "Reworking wild bootstrap-based inference for clustered errors"; MacKinnon & Webb 2017).
Anderson & Robinson (2001) and Winkler et al. find Freedman-Lane the most reliable scheme when
the indicator is correlated with the controls, as equipment is with town size.

Few treated clusters: when the technology is used in few counties (or, with county fixed
effects, few counties mix users and non-users), the comparison rests on those counties alone
and no test on them can be trusted at 5% (MacKinnon & Webb 2017, "Wild bootstrap inference for
wildly different cluster sizes"; 2018, "The wild bootstrap for few (treated) clusters"). Their
effective number ``m`` is counted (:func:`_identifying`); on ``m`` counties a sign-flip test has
at most ``2^(m-1)`` distinct values of ``|t|``, so it cannot reach p <= 0.05 below ``m = 6``:
the estimate then says so (``permutation_note``) and :attr:`Estimate.permutation_rejects` is
false whatever the p-value. In the synthetic least-favourable nulls this rule took the rate from
up to 8.5% (3 treated counties of 72) to at most 5.5% (docs/screening.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from papertally.screening.frame import FloatArray, IntArray, ScreeningFrame

Cluster = Literal["county", "unit"]
PERMUTATION_SEED = 20_161_108
CHUNK = 64
LEVEL = 0.05
"""The level at which the permutation test rejects in reports and in the size checks."""
WEBB_BELOW = 12
"""Counties below which Webb's six-point weights replace sign flips (MacKinnon & Webb 2017)."""
WEBB_WEIGHTS = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
RADEMACHER = np.array([-1.0, 1.0])
MIN_IDENTIFYING = 6
"""Fewest counties carrying the comparison for a sign-flip test to reach p <= 0.05:
``2^(m-1)`` distinct |t| values must exceed 1 / 0.05 = 20."""


@dataclass(frozen=True)
class Estimate:
    """The group effect under one specification, with its uncertainty."""

    label: str
    controls: tuple[str, ...]
    county_effects: bool
    coefficient: float
    """Difference in swing (share points as a fraction, 0.01 = 1 point) group vs others."""
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    permutation_p: float | None
    permutations: int
    clusters: int
    units: int
    weights: str = "Rademacher"
    """The bootstrap weights of the permutation test: "Rademacher" (sign flips) or "Webb"."""
    identifying_clusters: int = 0
    """Counties carrying the comparison (see the module's notes on few treated clusters)."""
    permutation_note: str | None = None
    """Why the permutation test cannot decide at 5%, when it cannot."""

    @property
    def significant(self) -> bool:
        """Return whether the 95% interval excludes zero."""
        return self.ci_low > 0 or self.ci_high < 0

    @property
    def permutation_rejects(self) -> bool:
        """Return whether the permutation test rejects "no effect" at 5% and can be trusted to."""
        return (
            self.permutation_p is not None
            and self.permutation_note is None
            and self.permutation_p <= LEVEL
        )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dictionary, with the figures also in percentage points."""
        data = dict(self.__dict__)
        data["controls"] = list(self.controls)
        data["points"] = 100 * self.coefficient
        data["ci_points"] = [100 * self.ci_low, 100 * self.ci_high]
        data["significant"] = self.significant
        data["permutation_rejects"] = self.permutation_rejects
        return data


class Design:
    """Rows sorted by county, weights applied, fixed effects and controls ready to partial out."""

    def __init__(
        self,
        frame: ScreeningFrame,
        controls: Sequence[str],
        *,
        county_effects: bool,
        cluster: Cluster,
        indicator: FloatArray | None = None,
    ) -> None:
        unknown = [c for c in controls if c not in frame.controls]
        if unknown:
            raise ValueError(f"unknown controls {unknown}; known: {sorted(frame.controls)}")
        self.order = np.argsort(frame.county, kind="stable")
        county = frame.county[self.order]
        self.n = len(county)
        weight = frame.weight[self.order]
        if np.any(weight <= 0):
            raise ValueError("every unit needs a positive weight (votes)")
        self.sw = np.sqrt(weight)
        groups = county if county_effects else np.zeros(self.n, dtype=np.int64)
        self._starts, self._group_index = _runs(groups)
        self._group_weight = np.add.reduceat(weight, self._starts)
        self._weight = weight
        cols = [frame.controls[c][self.order] for c in controls]
        z = self.absorb(np.column_stack(cols) * self.sw[:, None]) if cols else None
        if z is not None:
            q, r = np.linalg.qr(z)
            keep = np.abs(np.diag(r)) > 1e-9 * max(1.0, float(np.abs(np.diag(r)).max()))
            self.q: FloatArray | None = q[:, keep]
        else:
            self.q = None
        self.k = len(self._starts) + (0 if self.q is None else self.q.shape[1]) + 1
        d = (frame.group if indicator is None else indicator)[self.order]
        self.r_d = self.project(self.absorb(d * self.sw))
        self.rdd = float(self.r_d @ self.r_d)
        if self.rdd <= 1e-12 * max(1.0, float(np.sum(weight))):
            raise ValueError("the indicator is constant once the controls are accounted for")
        if cluster == "county":
            self._cstarts: IntArray | None = _runs(county)[0]
            self.clusters = len(self._cstarts)
        else:
            self._cstarts = None
            self.clusters = self.n
        if self.clusters < 2:
            raise ValueError("at least two clusters are needed for cluster-robust errors")
        self._blocks = _runs(county)[1]
        self._bounds = np.append(_runs(county)[0], self.n)
        self.identifying = _identifying(
            d, self.r_d, weight, self._bounds[:-1], within=county_effects
        )
        self.weights = "Webb" if len(self._bounds) - 1 < WEBB_BELOW else "Rademacher"
        self.df = self.clusters - 1
        g, n, k = self.clusters, self.n, self.k
        self.correction = g / (g - 1) * (n - 1) / max(n - k, 1)

    def absorb(self, v: FloatArray) -> FloatArray:
        """Return ``v`` (weighted scale) with weighted group means (intercept or FE) removed."""
        x = v / (self.sw if v.ndim == 1 else self.sw[:, None])
        w = self._weight if v.ndim == 1 else self._weight[:, None]
        means = np.add.reduceat(x * w, self._starts, axis=0)
        means /= self._group_weight if v.ndim == 1 else self._group_weight[:, None]
        x = x - means[self._group_index]
        return np.asarray(x * (self.sw if v.ndim == 1 else self.sw[:, None]), dtype=np.float64)

    def project(self, v: FloatArray) -> FloatArray:
        """Return ``v`` with its projection on the (absorbed) controls removed."""
        if self.q is None:
            return v
        return np.asarray(v - self.q @ (self.q.T @ v), dtype=np.float64)

    def weighted_swing(self, frame: ScreeningFrame) -> FloatArray:
        """Return the swing on the weighted scale, sorted, with controls partialled out."""
        return self.project(self.absorb(frame.swing[self.order] * self.sw))

    def t_stats(self, r_y: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Return (coefficient, CR1 standard error) of the indicator for each column of ``r_y``."""
        beta = (self.r_d @ r_y) / self.rdd
        u = r_y - np.multiply.outer(self.r_d, beta) if r_y.ndim > 1 else r_y - beta * self.r_d
        scores = (self.r_d[:, None] * u) if u.ndim > 1 else self.r_d * u
        if self._cstarts is not None:
            scores = np.add.reduceat(scores, self._cstarts, axis=0)
        meat = np.sum(scores * scores, axis=0)
        se = np.sqrt(self.correction * meat) / self.rdd
        return np.asarray(beta, dtype=np.float64), np.asarray(se, dtype=np.float64)

    def residuals(self, r_y: FloatArray) -> FloatArray:
        """Return the full model's residuals in original row order, on the weighted scale."""
        beta = float(self.r_d @ r_y) / self.rdd
        u = r_y - beta * self.r_d
        out = np.empty_like(u)
        out[self.order] = u
        return out

    def _cluster_matrix(self, v: FloatArray) -> FloatArray:
        """Return ``B[h, g] = (r_d 1_h)' M (v 1_g)`` over counties ``h, g`` (clusters by county).

        ``M = M_F - QQ'`` (fixed effects or intercept ``F``, then the controls' basis ``Q``);
        ``M_F`` removes each group's weighted mean, so every term is a sum over a county or a
        (county, group) cell: O(n) work, no n x G matrix.
        """
        counties = int(self._blocks[-1]) + 1
        groups = len(self._starts)
        cells = (counties, groups)
        yc = np.zeros(cells)
        dc = np.zeros(cells)
        np.add.at(yc, (self._blocks, self._group_index), v * self.sw)
        np.add.at(dc, (self._blocks, self._group_index), self.r_d * self.sw)
        out = np.diag(np.add.reduceat(self.r_d * v, self._bounds[:-1]))
        out -= (dc / self._group_weight[None, :]) @ yc.T
        if self.q is not None:
            yq = np.add.reduceat(v[:, None] * self.q, self._bounds[:-1], axis=0)
            dq = np.add.reduceat(self.r_d[:, None] * self.q, self._bounds[:-1], axis=0)
            out -= dq @ yq.T
        return np.asarray(out, dtype=np.float64)

    def permutation_p(
        self, r_y: FloatArray, permutations: int, seed: int = PERMUTATION_SEED
    ) -> float:
        """Return the two-sided p-value of the t statistic under county-level weights.

        ``r_y`` is the swing with the controls partialled out, i.e. the residual of the model
        without the indicator (Freedman-Lane). Each draw multiplies all residuals of a county by
        the same weight ``eta_g`` (a sign, or Webb's six points with few counties), so
        county-level shocks move as one block (the wild cluster restricted bootstrap-t of
        Cameron, Gelbach & Miller 2008). Since ``r_d`` is orthogonal to the controls, a draw's
        coefficient is ``sum_g eta_g b_g / r_d'r_d``; with clusters by county its cluster
        scores are ``B eta - c beta`` with ``B`` and ``c`` computed once.
        """
        beta, se = self.t_stats(r_y)
        observed = abs(float(beta) / float(se)) if float(se) > 0 else np.inf
        rng = np.random.default_rng(seed)
        blocks = int(self._blocks[-1]) + 1
        per_block = np.add.reduceat(self.r_d * r_y, self._bounds[:-1])
        fast: tuple[FloatArray, FloatArray] | None = None
        if self._cstarts is not None:
            fast = (self._cluster_matrix(r_y), np.add.reduceat(self.r_d * self.r_d, self._cstarts))
        exceed = 0
        done = 0
        while done < permutations:
            size = min(CHUNK * 16 if fast is not None else CHUNK, permutations - done)
            eta = rng.choice(WEBB_WEIGHTS if self.weights == "Webb" else RADEMACHER, (blocks, size))
            b = (per_block @ eta) / self.rdd
            if fast is not None:
                scores = fast[0] @ eta - np.multiply.outer(fast[1], b)
                s = np.sqrt(self.correction * np.sum(scores * scores, axis=0)) / self.rdd
            else:
                values = r_y[:, None] * eta[self._blocks]
                b, s = self.t_stats(self.project(self.absorb(values)))
            with np.errstate(divide="ignore", invalid="ignore"):
                t = np.abs(b / s)
            exceed += int(np.sum(t >= observed * (1 - 1e-9)))
            done += size
        return (1 + exceed) / (1 + permutations)


def _effective(x: FloatArray) -> float:
    """Return the effective number of nonnegative shares ``x``: ``(sum x)^2 / sum x^2``."""
    total = float(np.sum(x * x))
    return float(np.sum(x)) ** 2 / total if total > 0 else 0.0


def _identifying(
    d: FloatArray, r_d: FloatArray, weight: FloatArray, starts: IntArray, *, within: bool
) -> int:
    """Return how many counties carry the comparison of indicator ``d`` (rows sorted by county).

    The effective number (an inverse Herfindahl index, after Carter, Schnepel & Steigerwald
    2017's effective number of clusters) of the counties' shares of the indicator's residual
    variation ``r_d'r_d``: 72 counties of which 3 hold most of it count about 3. For a 0/1
    indicator also at most the effective number of counties over which the group's votes are
    spread, and of those over which the others' are (MacKinnon & Webb 2018's treated and
    control clusters); with county effects, at most the counties that have both.
    """
    if len(d) == 0:
        return 0
    effective = _effective(np.add.reduceat(r_d * r_d, starts))
    if np.all((d == 0) | (d == 1)):
        inside = np.add.reduceat(weight * d, starts)
        outside = np.add.reduceat(weight * (1 - d), starts)
        if within:
            effective = min(effective, float(np.sum((inside > 0) & (outside > 0))))
        else:
            effective = min(effective, _effective(inside), _effective(outside))
    return int(np.floor(effective + 1e-9))


def _few_clusters_note(design: Design) -> str | None:
    """Return why the permutation test cannot reach 5% on ``design``, or ``None`` if it can."""
    m = design.identifying
    if m >= MIN_IDENTIFYING:
        return None
    return (
        f"in effect only {m} count{'y carries' if m == 1 else 'ies carry'} the comparison (a "
        f"test needs at least {MIN_IDENTIFYING} to reach p <= 0.05; MacKinnon & Webb 2018): "
        "the permutation test cannot decide, whatever its p-value"
    )


def _runs(codes: IntArray) -> tuple[IntArray, IntArray]:
    """Return the start of each run of equal sorted codes and each row's run number."""
    if len(codes) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    change = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate([[0], change]).astype(np.int64)
    index = np.zeros(len(codes), dtype=np.int64)
    index[change] = 1
    return starts, np.cumsum(index)


def estimate(
    frame: ScreeningFrame,
    controls: Sequence[str] = (),
    *,
    county_effects: bool = False,
    cluster: Cluster = "county",
    permutations: int = 999,
    label: str | None = None,
    indicator: FloatArray | None = None,
) -> Estimate:
    """Return the group effect on swing under one specification (see the module's notes)."""
    from scipy import stats

    design = Design(
        frame, controls, county_effects=county_effects, cluster=cluster, indicator=indicator
    )
    r_y = design.weighted_swing(frame)
    beta_a, se_a = design.t_stats(r_y)
    beta, se = float(beta_a), float(se_a)
    crit = float(stats.t.ppf(0.975, design.df))
    p = float(2 * stats.t.sf(abs(beta / se), design.df)) if se > 0 else 0.0
    perm = design.permutation_p(r_y, permutations) if permutations > 0 else None
    words = list(controls) + (["county fixed effects"] if county_effects else [])
    return Estimate(
        label=label or ("no controls" if not words else " + ".join(words)),
        controls=tuple(controls),
        county_effects=county_effects,
        coefficient=beta,
        se=se,
        ci_low=beta - crit * se,
        ci_high=beta + crit * se,
        p_value=p,
        permutation_p=perm,
        permutations=permutations,
        clusters=design.clusters,
        units=design.n,
        weights=design.weights,
        identifying_clusters=design.identifying,
        permutation_note=_few_clusters_note(design) if permutations > 0 else None,
    )


def coefficient_table(
    frame: ScreeningFrame,
    controls: Sequence[str],
    *,
    county_effects: bool,
    cluster: Cluster = "county",
    absorb: bool = True,
) -> list[dict[str, float | str]]:
    """Return every coefficient of the model (fixed effects left out), fitted by statsmodels.

    Weighted least squares with cluster-robust (CR1) errors and t(G - 1) inference. With
    ``absorb`` the county means are removed first (the same coefficients by Frisch-Waugh-
    Lovell, in a fraction of the time on 100,000 units; the small-sample factor then counts
    only the terms shown); without it the county dummies are fitted and the indicator's row
    equals :func:`estimate`'s figures (checked in the tests).
    """
    import statsmodels.api as sm

    names = [frame.group_label, *controls]
    columns = [frame.group, *(frame.controls[c] for c in controls)]
    groups = frame.county if cluster == "county" else np.arange(len(frame))
    if absorb:
        design = Design(frame, controls, county_effects=county_effects, cluster=cluster)
        exog = design.absorb(np.column_stack(columns)[design.order] * design.sw[:, None])
        endog = design.absorb(frame.swing[design.order] * design.sw)
        model = sm.OLS(endog, exog)
        groups = groups[design.order]
        offset = 0
    else:
        columns.insert(0, np.ones(len(frame)))
        if county_effects:
            dummies = (frame.county[:, None] == np.arange(1, len(frame.county_names))).astype(float)
            columns.extend(dummies.T)
        model = sm.WLS(frame.swing, np.column_stack(columns), weights=frame.weight)
        offset = 1
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    ci = fit.conf_int()
    return [
        {
            "term": name,
            "coefficient": float(fit.params[i + offset]),
            "se": float(fit.bse[i + offset]),
            "ci_low": float(ci[i + offset][0]),
            "ci_high": float(ci[i + offset][1]),
            "p_value": float(fit.pvalues[i + offset]),
        }
        for i, name in enumerate(names)
    ]
