"""Reports of a reconciliation: a self-contained HTML file, a CSV per unit, and the figures."""

from typing import TYPE_CHECKING

from papertally.lazy import lazy_exports

if TYPE_CHECKING:
    from papertally.report.html import render_html_report, write_html_report
    from papertally.report.plots import (
        county_net_change_chart,
        margin_change_histogram,
        report_figures,
    )
    from papertally.report.unit_csv import (
        unit_difference_header,
        unit_difference_rows,
        write_unit_differences_csv,
    )
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "html": ("render_html_report", "write_html_report"),
            "plots": (
                "county_net_change_chart",
                "margin_change_histogram",
                "report_figures",
            ),
            "unit_csv": (
                "unit_difference_header",
                "unit_difference_rows",
                "write_unit_differences_csv",
            ),
        },
    )

__all__ = [
    "county_net_change_chart",
    "margin_change_histogram",
    "render_html_report",
    "report_figures",
    "unit_difference_header",
    "unit_difference_rows",
    "write_html_report",
    "write_unit_differences_csv",
]
