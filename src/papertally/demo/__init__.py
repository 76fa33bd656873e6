"""Synthetic elections for the demo, tests and benchmarks (seeded, so reproducible)."""

from papertally.demo.generator import CANDIDATES, CONTEST, DemoShape, generate_statewide_election

__all__ = [
    "CANDIDATES",
    "CONTEST",
    "DemoShape",
    "generate_statewide_election",
]
