"""The ``papertally`` command: results commands at the top, ``audit``, ``cvr`` and ``law`` groups
below."""

from __future__ import annotations

import sys

import typer

from papertally import __version__
from papertally.cli import audit as audit_commands
from papertally.cli import cvr as cvr_commands
from papertally.cli import irv as irv_commands
from papertally.cli import law as law_commands
from papertally.cli import results as results_commands
from papertally.cli import screen as screen_commands
from papertally.cli import verify as verify_commands
from papertally.cli import web as web_commands

app = typer.Typer(
    name="papertally",
    help="Recounts, reconciliation and risk-limiting audits of paper ballots.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
results_commands.register(app)
web_commands.register(app)
verify_commands.register(app)
app.add_typer(audit_commands.app, name="audit")
cvr_commands.register(app)
irv_commands.register(app)
app.add_typer(law_commands.app, name="law")
screen_commands.register(app)


@app.command()
def version() -> None:
    """Print papertally's version."""
    typer.echo(__version__)


def main() -> None:
    """Entry point of the console script.

    ``papertally version`` is answered before Typer parses anything: parsing any command
    makes Typer import pydantic to convert its options (about 0.1 s, a third of the start-up).
    """
    if sys.argv[1:] == ["version"]:
        version()
        return
    app()
