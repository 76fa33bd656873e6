"""The reconciliation report: one self-contained HTML file a county clerk can open and print.

Everything is inside the file (styles, figures as inline SVG), so it can be e-mailed or archived
with the canvass papers and still read years later without a network.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from papertally import __version__
from papertally.reconcile import Reconciliation
from papertally.report.files import write_text_atomically
from papertally.report.plots import report_figures

TEMPLATE = "reconciliation.html.j2"


def _number(value: int | float) -> str:
    """Format a count with thousands separators (``1,498,880``)."""
    return f"{value:,}"


def _signed(value: int) -> str:
    """Format a change with its sign (``+371``, ``−312``, ``0``); the minus is U+2212."""
    if value > 0:
        return f"+{value:,}"
    if value < 0:
        return f"\u2212{-value:,}"
    return "0"


def _percent(value: float) -> str:
    """Format a share as a percentage with one decimal (``4.7 %``)."""
    return f"{100 * value:.1f}\u00a0%"


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("papertally.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["number"] = _number
    environment.filters["signed"] = _signed
    environment.filters["percent"] = _percent
    return environment


def render_html_report(
    rec: Reconciliation,
    *,
    election_name: str | None = None,
    sources: list[str] | None = None,
    generated_at: datetime | None = None,
) -> str:
    """Return the HTML report of ``rec``: summary, totals, counties, largest and flagged units.

    ``sources`` names the files or store the counts came from and ``generated_at`` the time of
    the report, both printed in the header so every number can be traced back.
    """
    context: dict[str, Any] = {
        "rec": rec,
        "election_name": election_name,
        "sources": sources or [],
        "generated_at": generated_at.strftime("%Y-%m-%d %H:%M %Z").strip() if generated_at else "",
        "version": __version__,
        "figures": report_figures(rec),
        "changed": rec.changed_units,
        "flagged": rec.flagged_units,
        "largest": rec.largest_changes,
    }
    return _environment().get_template(TEMPLATE).render(context)


def write_html_report(
    rec: Reconciliation,
    path: str | Path,
    *,
    election_name: str | None = None,
    sources: list[str] | None = None,
    generated_at: datetime | None = None,
) -> Path:
    """Write :func:`render_html_report` to ``path`` (whole or not at all) and return the path."""
    html = render_html_report(
        rec, election_name=election_name, sources=sources, generated_at=generated_at
    )
    return write_text_atomically(path, html)
