"""Reconciliation: compare two counts of a contest unit by unit and say what changed.

Pure domain code over :mod:`papertally.model`: no files, store, web or CLI imports.
"""

from papertally.reconcile.compare import (
    DEFAULT_LARGEST,
    DEFAULT_TOLERANCE_SHARE,
    DEFAULT_TOLERANCE_VOTES,
    CountyChange,
    Reconciliation,
    Standing,
    UnitDifference,
    reconcile_counts,
    reconcile_election,
    reconcile_elections,
    standing_of,
)

__all__ = [
    "DEFAULT_LARGEST",
    "DEFAULT_TOLERANCE_SHARE",
    "DEFAULT_TOLERANCE_VOTES",
    "CountyChange",
    "Reconciliation",
    "Standing",
    "UnitDifference",
    "reconcile_counts",
    "reconcile_election",
    "reconcile_elections",
    "standing_of",
]
