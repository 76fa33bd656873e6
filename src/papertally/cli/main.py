"""The ``papertally`` command: results commands at the top, ``audit``, ``cvr`` and ``law`` groups
below.

Sub-commands are registered lazily (issue 11: ``papertally --help`` in 0.3 s): :data:`COMMANDS`
names each one, the module that defines it (by ``register(app)`` or a Typer ``app``) and its
one-line help, so the help listing imports no command module and running a command imports only
its own. A new command goes into :data:`COMMANDS`; ``tests/integration/test_cli_start.py`` checks
that the listing matches what the modules define.
"""

from __future__ import annotations

import sys
from typing import ClassVar

import typer

from papertally import __version__
from papertally.cli.lazy_group import LazyCommand, LazyGroup

COMMANDS: tuple[LazyCommand, ...] = (
    LazyCommand(
        "import",
        "papertally.cli.results",
        "Import results files into the store as one election; print its id, counts and warnings.",
    ),
    LazyCommand(
        "inspect",
        "papertally.cli.results",
        "Show what the files hold: contests, counts, units, counties, totals, warnings; for cast"
        " vote records, what ``papertally cvr inspect`` shows.",
    ),
    LazyCommand(
        "reconcile",
        "papertally.cli.results",
        "Compare two counts of a contest unit by unit: what changed, where, does the outcome"
        " stand.",
    ),
    LazyCommand("elections", "papertally.cli.results", "List the elections in the store."),
    LazyCommand(
        "demo",
        "papertally.cli.results",
        "Make a synthetic statewide recount, import it, reconcile it and write the report.",
    ),
    LazyCommand(
        "serve", "papertally.cli.web", "Run the recount web app on the store (migrated on start)."
    ),
    LazyCommand(
        "verify",
        "papertally.cli.verify",
        "Recompute the sample and every risk measurement of an audit export; exit 1 on a mismatch.",
    ),
    LazyCommand(
        "screen",
        "papertally.cli.screen",
        "Screen swing by voting technology and absentee voting; weigh recount and audit.",
    ),
    LazyCommand("user", "papertally.cli.web", "Accounts of the recount app.", group=True),
    LazyCommand("log", "papertally.cli.web", "The tamper-evident activity log.", group=True),
    LazyCommand(
        "audit",
        "papertally.cli.audit",
        "Risk-limiting audits: sample sizes, samples, risk.",
        group=True,
    ),
    LazyCommand(
        "cvr",
        "papertally.cli.cvr",
        "Cast vote records: cards, contests, tallies, pre-sample checks.",
        group=True,
    ),
    LazyCommand(
        "irv",
        "papertally.cli.irv",
        "Ranked-choice (IRV) contests: count, RAIRE assertions, verify, audit.",
        group=True,
    ),
    LazyCommand(
        "law",
        "papertally.cli.law",
        "Recount law: triggers, eligibility, fees, deadlines.",
        group=True,
    ),
)
"""Every sub-command but ``version``, in the order of the help listing (commands, then groups)."""


class PapertallyGroup(LazyGroup):
    """The top-level group: :data:`COMMANDS` imported on use."""

    lazy_commands: ClassVar[tuple[LazyCommand, ...]] = COMMANDS


app = typer.Typer(
    name="papertally",
    cls=PapertallyGroup,
    help="Recounts, reconciliation and risk-limiting audits of paper ballots.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def root() -> None:
    """Make ``app`` a group: Typer turns an app of a single command into that command."""


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
