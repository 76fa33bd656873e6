"""The table every screening statistic works on: one row per matched unit, as numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

CONTROL_LABELS = {
    "baseline_share": "baseline share",
    "log_size": "log size (votes)",
    "turnout_change": "turnout change (log ratio of votes)",
    "absentee_share": "absentee share",
}
"""The numeric controls the ladder knows, with the words reports use for them."""


@dataclass
class ScreeningFrame:
    """Matched units: swing, weights, group indicator, controls, county and cluster codes.

    ``swing`` is the focus choice's share of all votes now minus its share in the baseline;
    ``weight`` is the votes now (every mean and regression is weighted by votes, so a unit of
    10 voters does not count as much as a city). ``group`` is 1 for units of the group screened
    (e.g. AVC Edge equipment) and 0 otherwise.
    """

    keys: list[str]
    names: list[str]
    counties: list[str]
    swing: FloatArray
    weight: FloatArray
    group: FloatArray
    controls: dict[str, FloatArray]
    county: IntArray
    """Each unit's county as a code 0..C-1 (index into ``county_names``)."""
    county_names: list[str]
    votes_now: FloatArray
    focus_now: FloatArray
    extra: dict[str, FloatArray] = field(default_factory=dict)
    """Other per-unit numbers kept for tables (absentee issued, returned, counted...)."""
    group_label: str = "group"

    def __post_init__(self) -> None:
        n = len(self.keys)
        arrays: dict[str, Any] = {
            "swing": self.swing,
            "weight": self.weight,
            "group": self.group,
            "county": self.county,
            **self.controls,
        }
        for name, array in arrays.items():
            if len(array) != n:
                raise ValueError(f"{name} has {len(array)} rows, expected {n}")
        if n and not np.all(np.isfinite(self.swing)):
            raise ValueError("swing must be finite")

    def __len__(self) -> int:
        return len(self.keys)

    def subset(self, mask: NDArray[np.bool_]) -> ScreeningFrame:
        """Return the rows where ``mask`` is true (county codes renumbered)."""
        index = np.flatnonzero(mask)
        used, county = np.unique(self.county[index], return_inverse=True)
        return ScreeningFrame(
            keys=[self.keys[i] for i in index],
            names=[self.names[i] for i in index],
            counties=[self.counties[i] for i in index],
            swing=self.swing[index],
            weight=self.weight[index],
            group=self.group[index],
            controls={k: v[index] for k, v in self.controls.items()},
            county=county.astype(np.int64),
            county_names=[self.county_names[i] for i in used],
            votes_now=self.votes_now[index],
            focus_now=self.focus_now[index],
            extra={k: v[index] for k, v in self.extra.items()},
            group_label=self.group_label,
        )


def county_codes(counties: list[str]) -> tuple[IntArray, list[str]]:
    """Return each unit's county code and the sorted county names."""
    names = sorted(set(counties))
    lookup = {name: i for i, name in enumerate(names)}
    return np.array([lookup[c] for c in counties], dtype=np.int64), names
