"""Reading and writing results files: WEC ward reports, OpenElections CSV, the generic CSV.

Adapters around the model: each reader turns one file into an :class:`~papertally.model.Election`
and the warnings found on the way; :func:`read_results` recognises each file's format by its
content and merges the files into one election.
"""

from typing import TYPE_CHECKING

from papertally.lazy import lazy_exports

if TYPE_CHECKING:
    from papertally.io.detect import FORMATS, GENERIC_FORMAT, OPENELECTIONS_FORMAT, detect_format
    from papertally.io.generic_csv import write_generic_csv
    from papertally.io.progress import ProgressCallback
    from papertally.io.read import read_results, read_results_file
    from papertally.io.wec import WEC_FORMAT
    from papertally.io.wec_writer import write_wec_report
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "detect": (
                "FORMATS",
                "GENERIC_FORMAT",
                "OPENELECTIONS_FORMAT",
                "detect_format",
            ),
            "generic_csv": ("write_generic_csv",),
            "progress": ("ProgressCallback",),
            "read": ("read_results", "read_results_file"),
            "wec": ("WEC_FORMAT",),
            "wec_writer": ("write_wec_report",),
        },
    )

__all__ = [
    "FORMATS",
    "GENERIC_FORMAT",
    "OPENELECTIONS_FORMAT",
    "WEC_FORMAT",
    "ProgressCallback",
    "detect_format",
    "read_results",
    "read_results_file",
    "write_generic_csv",
    "write_wec_report",
]
