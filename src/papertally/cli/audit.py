"""The ``papertally audit`` commands: sampling (audit_sample) and risk, sizes (audit_stats)."""

from __future__ import annotations

import typer

from papertally.cli import audit_oneaudit, audit_sample, audit_stats

app = typer.Typer(help="Risk-limiting audits: sample sizes, samples, risk.", no_args_is_help=True)
audit_sample.register(app)
audit_stats.register(app)
app.add_typer(audit_oneaudit.app, name="oneaudit")
