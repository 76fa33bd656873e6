"""The results model: elections, contests, the jurisdiction tree and named counts.

Pure Python: no database, web or file-format code. Vocabulary follows NIST SP 1500-100
(Election Results Reporting): ReportingUnit, CountItemType, ResultsStatus.
"""

from typing import TYPE_CHECKING

from papertally.lazy import lazy_exports

if TYPE_CHECKING:
    from papertally.model.cards import (
        BallotCard,
        CardCollection,
        CardContest,
        CardError,
        ChoiceDef,
        ContestDef,
        Mark,
        SourceFile,
        merge_tallies,
    )
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
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "cards": (
                "BallotCard",
                "CardCollection",
                "CardContest",
                "CardError",
                "ChoiceDef",
                "ContestDef",
                "Mark",
                "SourceFile",
                "merge_tallies",
            ),
            "results": (
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
            ),
        },
    )

__all__ = [
    "SCATTERING",
    "BallotCard",
    "CardCollection",
    "CardContest",
    "CardError",
    "Choice",
    "ChoiceDef",
    "Contest",
    "ContestCount",
    "ContestDef",
    "CountItemType",
    "Election",
    "ImportResult",
    "ImportWarning",
    "Mark",
    "ReportingUnit",
    "ReportingUnitType",
    "ResultsStatus",
    "SourceFile",
    "UnitTally",
    "merge_tallies",
    "standard_count_name",
    "unit_id",
]
