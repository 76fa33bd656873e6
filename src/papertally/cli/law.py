"""The ``papertally law`` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="Recount law: triggers, eligibility, fees, deadlines.", no_args_is_help=True)
