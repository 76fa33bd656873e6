"""Shared test fixtures: where the real public data lives, and skipping cleanly without it."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Return ``../shared/data``; skip the test, saying why, where that folder is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"shared test data not found at {SHARED_DATA} (it sits beside the project root)"
        )
    return SHARED_DATA
