"""The screening report: one self-contained HTML file with the findings, the ladder, the
decision desk and the figures (matplotlib, inline SVG; PNG for the web page's CSP)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from papertally import __version__
from papertally.report.files import write_text_atomically
from papertally.report.html import _environment
from papertally.report.plots import GAIN, LOSS, NEUTRAL, _svg, png_base64
from papertally.screening.analysis import Screening
from papertally.screening.frame import ScreeningFrame

TEMPLATE = "screening.html.j2"


def swing_histogram(frame: ScreeningFrame) -> Figure:
    """Return the distribution of swing (points) in the group and in the other units."""
    figure = Figure(figsize=(7.5, 3.0), dpi=100)
    axes = figure.add_subplot()
    points = 100 * frame.swing
    low, high = np.quantile(points, [0.005, 0.995])
    edges = [float(x) for x in np.linspace(low, high, 41)]
    group = frame.group > 0
    axes.hist(np.clip(points[~group], low, high), edges, color=NEUTRAL, alpha=0.6, label="others")
    axes.hist(np.clip(points[group], low, high), edges, color=LOSS, alpha=0.6, label="in group")
    axes.set_xlabel("swing (percentage points, units' counts; extremes clipped)")
    axes.set_ylabel("units")
    axes.set_title(frame.group_label)
    axes.legend()
    return figure


def ladder_chart(screening: Screening) -> Figure:
    """Return the group effect with its 95% interval at each step of the ladder."""
    steps = screening.ladder
    figure = Figure(figsize=(7.5, 0.45 * len(steps) + 1.0), dpi=100)
    axes = figure.add_subplot()
    y = np.arange(len(steps))[::-1]
    mid = np.array([100 * e.coefficient for e in steps])
    low = np.array([100 * e.ci_low for e in steps])
    high = np.array([100 * e.ci_high for e in steps])
    colours = [LOSS if e.significant else GAIN for e in steps]
    axes.errorbar(mid, y, xerr=[mid - low, high - mid], fmt="none", ecolor=NEUTRAL, capsize=3)
    axes.scatter(mid, y, c=colours, zorder=3)
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_yticks(y, [e.label for e in steps])
    axes.set_xlabel("difference in swing, group vs others (points, 95% CI)")
    return figure


def size_scatter(frame: ScreeningFrame) -> Figure:
    """Return swing against votes (log scale), the group marked: why size matters."""
    figure = Figure(figsize=(7.5, 3.4), dpi=100)
    axes = figure.add_subplot()
    group = frame.group > 0
    axes.scatter(frame.votes_now[~group], 100 * frame.swing[~group], s=6, c=NEUTRAL, alpha=0.5,
                 label="others")  # fmt: skip
    axes.scatter(frame.votes_now[group], 100 * frame.swing[group], s=6, c=LOSS, alpha=0.5,
                 label="in group")  # fmt: skip
    axes.set_xscale("log")
    axes.set_xlabel("votes in the unit (log scale)")
    axes.set_ylabel("swing (points)")
    axes.legend()
    return figure


def absentee_scatter(frame: ScreeningFrame) -> Figure | None:
    """Return swing against absentee share, where the frame has it."""
    if "absentee_share" not in frame.controls:
        return None
    figure = Figure(figsize=(7.5, 3.0), dpi=100)
    axes = figure.add_subplot()
    axes.scatter(100 * frame.controls["absentee_share"], 100 * frame.swing, s=6, c=GAIN, alpha=0.5)
    axes.set_xlabel("absentee ballots counted, % of ballots")
    axes.set_ylabel("swing (points)")
    return figure


def figures(
    frame: ScreeningFrame, screening: Screening, encode: Callable[[Figure], str] = _svg
) -> dict[str, str]:
    """Return the report's figures by name, each encoded by ``encode`` (SVG by default)."""
    out = {
        "histogram": encode(swing_histogram(frame)),
        "ladder": encode(ladder_chart(screening)),
        "size": encode(size_scatter(frame)),
    }
    absentee = absentee_scatter(frame)
    if absentee is not None:
        out["absentee"] = encode(absentee)
    return out


def png_figures(frame: ScreeningFrame, screening: Screening) -> dict[str, str]:
    """Return the figures as base64 PNG, for pages whose policy forbids inline styles."""
    return figures(frame, screening, png_base64)


def render_screening_report(
    outcome: dict[str, Any],
    frame: ScreeningFrame,
    screening: Screening,
    *,
    generated_at: datetime | None = None,
) -> str:
    """Return the screening report of ``outcome`` (the workflow's dictionary) as HTML."""
    context = {
        "o": outcome,
        "s": outcome["screening"],
        "d": outcome["decision"],
        "m": outcome["matching"],
        "figures": figures(frame, screening),
        "generated_at": generated_at.strftime("%Y-%m-%d %H:%M %Z").strip() if generated_at else "",
        "version": __version__,
    }
    return _environment().get_template(TEMPLATE).render(context)


def write_screening_report(
    outcome: dict[str, Any],
    frame: ScreeningFrame,
    screening: Screening,
    path: str | Path,
    *,
    generated_at: datetime | None = None,
) -> Path:
    """Write :func:`render_screening_report` to ``path`` (whole or not at all)."""
    html = render_screening_report(outcome, frame, screening, generated_at=generated_at)
    return write_text_atomically(path, html)
