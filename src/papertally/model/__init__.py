"""The results model: elections, contests, the jurisdiction tree and named counts.

Pure Python: no database, web or file-format code. Vocabulary follows NIST SP 1500-100
(Election Results Reporting): ReportingUnit, CountItemType, ResultsStatus.
"""

from papertally.model.results import (
    SCATTERING,
    Choice,
    Contest,
    ContestCount,
    CountItemType,
    Election,
    ImportResult,
    ImportWarning,
    ReportingUnit,
    ReportingUnitType,
    ResultsStatus,
    UnitTally,
    standard_count_name,
    unit_id,
)

__all__ = [
    "SCATTERING",
    "Choice",
    "Contest",
    "ContestCount",
    "CountItemType",
    "Election",
    "ImportResult",
    "ImportWarning",
    "ReportingUnit",
    "ReportingUnitType",
    "ResultsStatus",
    "UnitTally",
    "standard_count_name",
    "unit_id",
]
