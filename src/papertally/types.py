"""Domain type aliases, so signatures say what a string or number stands for."""

from typing import TypeAlias

CountyName: TypeAlias = str
ReportingUnitId: TypeAlias = str
"""Unique within an election: ``"<county>|<unit name>"`` (see :func:`papertally.model.unit_id`)."""
ContestName: TypeAlias = str
ChoiceName: TypeAlias = str
CountName: TypeAlias = str
"""The name of a tally of a contest, such as ``"original canvass"`` or ``"recount"``."""
ElectionId: TypeAlias = int
BallotId: TypeAlias = str
BatchKey: TypeAlias = tuple[str, str]
"""``(jurisdiction or county, batch name)``: batches are named per county."""
