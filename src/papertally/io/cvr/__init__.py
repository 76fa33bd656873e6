"""Cast vote record (CVR) readers: every major vendor's export into one ballot-card model.

Formats (see docs/cvr-formats.md): Dominion Democracy Suite JSON (5.2 flat sessions and 5.5+
multi-card sessions, with manifests), Dominion CSV/Excel, ES&S CVR CSV with its Ballots
files, Hart XML (one file per card, in zips or folders), Clear Ballot CSV, NIST SP 1500-103
JSON and XML, and papertally's generic CVR CSV. Formats are detected from content.
"""

from papertally.io.cvr.checks import (
    Finding,
    check_batches,
    check_cards_unique,
    check_manifest_total,
    check_tallies,
)
from papertally.io.cvr.common import CvrFormat, InputPart
from papertally.io.cvr.detect import Detected, detect
from papertally.io.cvr.read import plan_files, read_cvrs
from papertally.io.cvr.standardize import (
    NameMapping,
    UnmappedName,
    apply_standardization,
    propose_mapping,
)

__all__ = [
    "CvrFormat",
    "Detected",
    "Finding",
    "InputPart",
    "NameMapping",
    "UnmappedName",
    "apply_standardization",
    "check_batches",
    "check_cards_unique",
    "check_manifest_total",
    "check_tallies",
    "detect",
    "plan_files",
    "propose_mapping",
    "read_cvrs",
]
