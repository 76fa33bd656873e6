"""Stark's SHA-256 pseudo-random number generator and the samplers built on it.

Ottoboni & Stark (2018), "Random problems with R" (arXiv:1809.06520), and Stark & Ottoboni's
``cryptorandom`` package argue that audits need a PRNG with a huge state and no known weakness,
and propose one built on SHA-256 in counter mode. This module gives the same numbers as
``cryptorandom`` 0.4 (tested against it), so a sample drawn here can be checked with Stark's tools:

* the state is SHA-256 fed with ``str(seed) + ","``; output number k (k = 0, 1, …) is the digest
  of that input followed by k zero bytes, read as a 256-bit big-endian integer;
* ``random()`` is that integer times 2**-256, as a float; ``cryptorandom`` rounds the integer
  to the nearest float, which gives exactly 1.0 for outputs within 2**202 of 2**256 (chance
  2**-54), so there, and only there, we return the largest float below 1 instead
  (:func:`unit_interval`): every draw lies in [0, 1), and every other one equals
  ``cryptorandom``'s;
* ``getrandbits(k)`` takes bits from the low end of a buffer that grows by whole outputs, each new
  output placed above the bits left; ``randbelow(n)`` draws ``bit_length(n-1)`` bits and rejects
  values ≥ n (so integers are exactly uniform);
* ``sample_by_index`` draws k of 1..N one by one: a uniform position in the list of items not yet
  drawn, the last item moved into the gap (without replacement), or k uniform integers (with).
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import numpy.typing as npt

from papertally.errors import PapertallyError

HASH_BITS = 256
_SCALE = 2.0**-HASH_BITS
_BELOW_ONE = math.nextafter(1.0, 0.0)
"""The largest float below 1: ``1 − 2**-53``."""


def unit_interval(value: int) -> float:
    """Return a 256-bit output ``value`` as a float in [0, 1): ``value·2**-256``, below 1.

    ``float(value)`` rounds to the nearest float, so the top ``2**202`` outputs scale to 1.0;
    those become ``1 − 2**-53``, which keeps every draw in [0, 1) (a Fisher-Yates step
    ``⌊i + u(N − i)⌋`` then never reaches ``N``) and every other draw equal to
    ``cryptorandom``'s.
    """
    return min(float(value) * _SCALE, _BELOW_ONE)


class Sha256Prng:
    """SHA-256 counter-mode PRNG giving the same stream as ``cryptorandom.SHA256(seed)``.

    Audits pass the seed as the string of digits rolled, leading zeros kept; ``SHA256`` of the
    same digits as an ``int`` would drop them and give another stream.
    """

    def __init__(self, seed: str | int) -> None:
        self.seed = seed
        self._state = hashlib.sha256(f"{seed},".encode())
        self.counter = 0
        """How many 256-bit outputs have been used."""
        self._bits = 0
        self._bits_left = 0
        self._bits_started = False

    def next_output(self) -> int:
        """Return the next 256-bit output as an integer and advance the counter."""
        value = int.from_bytes(self._state.digest(), "big")
        self._state.update(b"\x00")
        self.counter += 1
        return value

    def random(self) -> float:
        """Return a float in [0, 1): the next output scaled by 2**-256 (:func:`unit_interval`)."""
        return unit_interval(self.next_output())

    def randoms(self, count: int) -> npt.NDArray[np.float64]:
        """Return the next ``count`` values of :meth:`random` as an array."""
        return np.array([self.random() for _ in range(count)], dtype=np.float64)

    def getrandbits(self, bits: int) -> int:
        """Return ``bits`` pseudo-random bits, taken from the low end of the bit buffer."""
        if not self._bits_started:
            self._bits = self.next_output()
            self._bits_left = HASH_BITS
            self._bits_started = True
        while bits > self._bits_left:
            self._bits |= self.next_output() << self._bits_left
            self._bits_left += HASH_BITS
        value = self._bits & ((1 << bits) - 1)
        self._bits >>= bits
        self._bits_left -= bits
        return value

    def randbelow(self, n: int) -> int:
        """Return a uniform integer in 0..n-1 by rejection sampling of random bits."""
        if n <= 0:
            raise PapertallyError(f"cannot draw a number below {n}")
        bits = (n - 1).bit_length()
        value = self.getrandbits(bits)
        while value >= n:
            value = self.getrandbits(bits)
        return value

    def randint(self, low: int, high: int) -> int:
        """Return a uniform integer in ``low..high-1`` (``high`` excluded, as in numpy)."""
        return low + self.randbelow(high - low)


def sample_by_index(
    prng: Sha256Prng, population: int, count: int, *, with_replacement: bool = False
) -> list[tuple[int, int]]:
    """Draw ``count`` of the items 1..``population``; return ``(item, value drawn)`` in draw order.

    The value drawn is the pseudo-random integer of that step: without replacement, the 1-based
    place in the list of items not yet drawn (the last one is moved into the gap), as in
    ``cryptorandom.sample.sample_by_index``; with replacement it is the item itself. The first
    m draws of a larger sample are the sample of size m, so later rounds extend earlier ones.
    """
    if population <= 0:
        raise PapertallyError("there are no items to sample")
    if with_replacement:
        drawn = [1 + prng.randbelow(population) for _ in range(count)]
        return [(item, item) for item in drawn]
    if count > population:
        raise PapertallyError(f"cannot draw {count} items without replacement from {population}")
    moved: dict[int, int] = {}
    """Sparse view of the shrinking list: place → item, where it differs from place."""
    result: list[tuple[int, int]] = []
    for step in range(count):
        remaining = population - step
        place = 1 + prng.randbelow(remaining)
        result.append((moved.get(place, place), place))
        if place < remaining:
            moved[place] = moved.get(remaining, remaining)
        moved.pop(remaining, None)
    return result


def fisher_yates_sample(prng: Sha256Prng, population: int, count: int) -> list[int]:
    """Return ``count`` of 1..``population`` without replacement by a Fisher-Yates shuffle.

    Draws ``count`` floats u first, then swaps place i with ``floor(i + u_i (N - i))``, as
    ``cryptorandom.sample.fykd_sample``; ``count = population`` gives a random permutation.
    """
    if not 0 <= count <= population:
        raise PapertallyError(f"cannot draw {count} items without replacement from {population}")
    uniforms = prng.randoms(count)
    steps = np.arange(count, dtype=np.int64)
    targets = (steps + uniforms * (population - steps)).astype(np.int64).tolist()
    moved: dict[int, int] = {}
    for place, target in enumerate(targets):
        here = moved.get(place, place + 1)
        moved[place] = moved.get(target, target + 1)
        moved[target] = here
    return [moved.get(place, place + 1) for place in range(count)]


def random_permutation(prng: Sha256Prng, population: int) -> list[int]:
    """Return 1..``population`` in a pseudo-random order (``cryptorandom``'s Fisher-Yates)."""
    return fisher_yates_sample(prng, population, population)


def weighted_sample_with_replacement(
    prng: Sha256Prng, weights: npt.ArrayLike, count: int
) -> list[tuple[int, float]]:
    """Draw ``count`` 0-based indices with chances proportional to ``weights``, with replacement.

    Each draw is the first index whose normalized cumulative weight reaches a uniform u, as in
    ``cryptorandom.sample.elimination_sample`` with replacement; returns ``(index, u)`` pairs.
    """
    array = np.asarray(weights, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise PapertallyError("weighted sampling needs at least one weight")
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise PapertallyError("weights must be finite and not negative")
    total = float(array.sum())
    if total <= 0:
        raise PapertallyError("at least one weight must be positive")
    cumulative = np.cumsum(array) / total
    uniforms = prng.randoms(count)
    indices = np.minimum(np.searchsorted(cumulative, uniforms), array.size - 1)
    return list(zip(indices.tolist(), uniforms.tolist(), strict=True))
