"""The report's figures, drawn with matplotlib and returned as inline SVG.

Figures are built with :class:`matplotlib.figure.Figure` directly (no ``pyplot``, no GUI), so
they work headless and in threads; PNG output, where asked for, goes through the Agg renderer.
"""

from __future__ import annotations

import base64
import io

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from papertally.reconcile import Reconciliation

GAIN = "#2b6cb0"
LOSS = "#c05621"
NEUTRAL = "#718096"


def _svg(figure: Figure) -> str:
    """Return ``figure`` as an ``<svg>`` element, without the XML prologue, text kept as text."""
    buffer = io.StringIO()
    FigureCanvasAgg(figure)
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "papertally"}):
        figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def png_base64(figure: Figure) -> str:
    """Return ``figure`` as a base64 PNG (Agg renderer), for ``<img src="data:...">``."""
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def margin_change_histogram(rec: Reconciliation) -> Figure:
    """Return the distribution of per-unit change of the leader's lead, over changed units.

    Unchanged units are left out of the bars, which they would dwarf, and counted in the title.
    One bar per vote up to ±``limit`` (the 99th percentile of the size of the changes, at least
    5); the rare units beyond are counted in the two end bars, so one outlier cannot squash the
    rest of the picture, and the title says how many there are.
    """
    figure = Figure(figsize=(7.5, 3.2), dpi=100)
    axes = figure.add_subplot()
    changes = np.array([u.margin_change for u in rec.changed_units], dtype=np.int64)
    unchanged = len(rec.units) - len(changes)
    lead, runner_up = rec.margin_pair or ("", "")
    title = f"{len(changes):,} units changed, {unchanged:,} unchanged (not drawn)"
    if len(changes):
        limit = max(5, int(np.ceil(np.quantile(np.abs(changes), 0.99))))
        beyond = int((np.abs(changes) > limit).sum())
        values = np.clip(changes, -limit, limit)
        heights = np.bincount(values + limit, minlength=2 * limit + 1)
        positions = np.arange(-limit, limit + 1)
        colours = [GAIN if p > 0 else LOSS if p < 0 else NEUTRAL for p in positions.tolist()]
        axes.bar(positions, heights, width=0.9, color=colours)
        axes.axvline(0, color="black", linewidth=0.8)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        if beyond:
            title += f"; {beyond:,} beyond ±{limit} counted in the end bars"
    else:
        axes.text(0.5, 0.5, "no unit changed", ha="center", va="center", transform=axes.transAxes)
    axes.set_xlabel(f"change of {_short(lead)}'s lead over {_short(runner_up)} in the unit (votes)")
    axes.set_ylabel("reporting units")
    axes.set_title(title, fontsize=10)
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def county_net_change_chart(rec: Reconciliation) -> Figure:
    """Return a bar per county: the change of the leader's lead there, largest gains on top."""
    counties = sorted(rec.counties, key=lambda c: (c.margin_change, c.county))
    height = max(2.5, 0.18 * len(counties) + 1.0)
    figure = Figure(figsize=(7.5, height), dpi=100)
    axes = figure.add_subplot()
    values = [c.margin_change for c in counties]
    colours = [GAIN if v > 0 else LOSS if v < 0 else NEUTRAL for v in values]
    positions = list(range(len(counties)))
    axes.barh(positions, values, color=colours, height=0.7)
    axes.set_yticks(positions, labels=[c.county.title() for c in counties], fontsize=7)
    axes.axvline(0, color="black", linewidth=0.8)
    lead, runner_up = rec.margin_pair or ("", "")
    axes.set_xlabel(f"change of {_short(lead)}'s lead over {_short(runner_up)} (votes)")
    axes.set_ylim(-0.7, len(counties) - 0.3)
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def _short(name: str) -> str:
    """Return a candidate's surname-ish short name for axis labels (``"DAVID T. PROSSER, JR."``
    → ``"Prosser"``)."""
    words = [w for w in name.replace(",", " ").split() if w.rstrip(".").isalpha()]
    words = [w for w in words if w.upper().rstrip(".") not in {"JR", "SR", "II", "III"}]
    return words[-1].title() if words else name


def report_figures(rec: Reconciliation) -> dict[str, str]:
    """Return the report's figures as inline SVG, by name (``margin_histogram``, ``counties``)."""
    return {
        "margin_histogram": _svg(margin_change_histogram(rec)),
        "counties": _svg(county_net_change_chart(rec)),
    }
