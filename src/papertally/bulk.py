"""Help for code that builds or reads hundreds of thousands of small objects at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while bulk data is built or read.

    A statewide import makes millions of dicts, tuples and dataclasses that hold no reference
    cycles; every full collection would walk all of them again, costing about a quarter of the
    reading time. Reference counting still frees everything; the collector is restored (if it
    was on) however the block ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
