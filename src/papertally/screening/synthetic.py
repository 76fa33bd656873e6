"""Synthetic states for validating the screening and timing it: known truth, no real data.

Each state has counties of municipalities with log-normal sizes; the baseline share varies by
county and unit; the swing depends on size (small towns swing more, as in Wisconsin 2016), on
the baseline share and on a county shock, plus noise shrinking with size. One technology is
used by a share ``group_share`` of the units, mostly small towns, so a naive comparison finds
an "effect" that size explains. An effect of ``effect`` (a fraction: 0.02 = 2 points) can be
planted in every unit using the technology.

Least-favourable nulls for the permutation test's size (all off by default, so the default
states stay the ones the docs measured): ``size_sd`` widens the log-normal spread of unit sizes
(a few huge units dominate the weighted fit); ``county_skew`` makes counties unequal in size
(county ``c`` drawn with probability proportional to ``(c + 1) ** -county_skew``);
``shock_spread`` makes the county shocks heteroskedastic (each county's shock SD is 1 point times
``exp(shock_spread * N(0, 1))``); ``tech_counties`` puts the technology in that many whole
counties, the largest by votes, with a share ``mix`` of units on the other side in every county,
as Wisconsin's equipment goes by county (MacKinnon & Webb 2017's few treated clusters).
"""

from __future__ import annotations

import numpy as np

from papertally.screening.frame import ScreeningFrame, county_codes


def synthetic_state(
    units: int = 2_000,
    *,
    counties: int = 72,
    effect: float = 0.0,
    group_share: float = 0.10,
    seed: int = 1,
    size_sd: float = 1.3,
    county_skew: float = 0.0,
    shock_spread: float = 0.0,
    tech_counties: int = 0,
    mix: float = 0.05,
) -> ScreeningFrame:
    """Return a synthetic matched state (see the module's notes)."""
    rng = np.random.default_rng(seed)
    other = np.random.default_rng([seed, 14])
    county = np.sort(rng.integers(0, counties, units))
    if county_skew > 0:
        odds = np.arange(1, counties + 1, dtype=np.float64) ** -county_skew
        county = np.sort(other.choice(counties, units, p=odds / odds.sum()))
    log_votes = rng.normal(6.6, size_sd, units)
    votes = np.maximum(np.round(np.exp(log_votes)), 20.0)
    size = np.log(votes)
    small = (size - size.mean()) / size.std()
    county_share = rng.normal(0.47, 0.06, counties)
    baseline = np.clip(county_share[county] + 0.04 * -small + rng.normal(0, 0.05, units), 0.1, 0.9)
    score = -1.2 * small + rng.logistic(size=units)
    uses = score >= np.quantile(score, 1 - group_share)
    if tech_counties > 0:
        by_votes = np.argsort(-np.bincount(county, weights=votes, minlength=counties))
        uses = np.isin(county, by_votes[:tech_counties]) ^ (other.random(units) < mix)
    county_shock = rng.normal(0, 0.01, counties)
    if shock_spread > 0:
        county_shock = county_shock * np.exp(shock_spread * other.normal(size=counties))
    turnout = rng.normal(0.02, 0.05, units)
    absentee = np.clip(rng.beta(2, 14, units) + 0.02 * small, 0.0, 0.6)
    swing = (
        0.06
        - 0.025 * small
        - 0.08 * (baseline - 0.47)
        + county_shock[county]
        + rng.normal(0, 0.01, units)
        + rng.normal(0, 1, units) * 0.5 / np.sqrt(votes)
    )
    swing = swing + effect * uses
    names = [f"COUNTY {c:02d}" for c in county]
    codes, county_names = county_codes(names)
    focus = np.round(votes * np.clip(baseline + swing, 0, 1))
    return ScreeningFrame(
        keys=[f"{names[i]}|UNIT {i}" for i in range(units)],
        names=[f"UNIT {i}" for i in range(units)],
        counties=names,
        swing=swing,
        weight=votes,
        group=uses.astype(np.float64),
        controls={
            "baseline_share": baseline,
            "log_size": size,
            "turnout_change": turnout,
            "absentee_share": absentee,
        },
        county=codes,
        county_names=county_names,
        votes_now=votes,
        focus_now=focus,
        group_label="technology X",
    )
