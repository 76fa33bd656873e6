"""Synthetic elections for the demo, tests and benchmarks (seeded, so reproducible)."""

from papertally.demo.generator import CANDIDATES, CONTEST, DemoShape, generate_statewide_election
from papertally.demo.wec_layout import wec_rows, write_wec_report

__all__ = [
    "CANDIDATES",
    "CONTEST",
    "DemoShape",
    "generate_statewide_election",
    "wec_rows",
    "write_wec_report",
]
