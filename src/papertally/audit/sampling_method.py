"""The two ways an audit's draws are made from its seed (see :mod:`papertally.audit.sampling`).

Kept apart from the sampler, which needs numpy, so the command line can offer ``--method``
without importing it.
"""

from enum import StrEnum


class SamplingMethod(StrEnum):
    """How pseudo-random draws are made from the seed."""

    CONSISTENT = "consistent"
    """Rivest's consistent sampler (Arlo)."""
    PRNG = "prng"
    """Stark's SHA-256 PRNG, ``sample_by_index`` (cryptorandom)."""
