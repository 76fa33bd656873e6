"""Results commands: ``import``, ``inspect``, ``reconcile``, ``demo``."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the results commands to the top-level ``app``."""
