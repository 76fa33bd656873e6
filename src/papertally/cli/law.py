"""The ``papertally law``  commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="law commands.", no_args_is_help=True)
