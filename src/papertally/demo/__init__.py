"""Synthetic elections for the demo, tests and benchmarks (seeded, so reproducible)."""

from typing import TYPE_CHECKING

from papertally.lazy import lazy_exports

if TYPE_CHECKING:
    from papertally.demo.generator import (
        CANDIDATES,
        CONTEST,
        DemoShape,
        generate_statewide_election,
    )
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "generator": (
                "CANDIDATES",
                "CONTEST",
                "DemoShape",
                "generate_statewide_election",
            ),
        },
    )

__all__ = [
    "CANDIDATES",
    "CONTEST",
    "DemoShape",
    "generate_statewide_election",
]
