"""The shape of a state's recount law, as the rule files in ``law/rules/*.yaml`` write it down.

Every file holds one state (or DC) and one or more *rules*, each in force over a range of
election dates. A rule says which recounts happen on their own (``automatic``, in stages), who may
ask for one and on what terms (``requests``), what is paid and refunded, and by when things must
happen (``deadlines``). Margin conditions are small trees of :data:`MarginTest` nodes, so that
"the lesser of 1,000 votes or 0.5% of the votes for the two candidates" is written as it reads.

Validated with pydantic when the rules load (see :mod:`papertally.law.rules`); a rule without a
source URL or a statute citation is refused.
"""

from __future__ import annotations

import itertools
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator


class OfficeType(StrEnum):
    """Kinds of contest that recount laws tell apart."""

    PRESIDENT = "president"
    US_SENATE = "us_senate"
    US_HOUSE = "us_house"
    GOVERNOR = "governor"
    STATEWIDE = "statewide"
    """Any other office elected statewide (attorney general, supreme court, ...)."""
    STATE_SENATE = "state_senate"
    STATE_HOUSE = "state_house"
    LEGISLATIVE = "legislative"
    """A state legislative seat where the chamber is not said."""
    COUNTY = "county"
    LOCAL = "local"
    """Municipal, school, district and other local offices."""
    STATEWIDE_QUESTION = "statewide_question"
    QUESTION = "question"
    """A local ballot question, referendum or measure."""


class ElectionType(StrEnum):
    """General (including special) elections and primaries."""

    GENERAL = "general"
    PRIMARY = "primary"


_CANDIDATE_OFFICES = frozenset(o for o in OfficeType if "question" not in o.value)

OFFICE_GROUPS: dict[str, frozenset[OfficeType]] = {
    "all": frozenset(OfficeType),
    "candidates": _CANDIDATE_OFFICES,
    "all_statewide": frozenset(
        {
            OfficeType.PRESIDENT,
            OfficeType.US_SENATE,
            OfficeType.GOVERNOR,
            OfficeType.STATEWIDE,
            OfficeType.STATEWIDE_QUESTION,
        }
    ),
    "statewide_offices": frozenset(
        {OfficeType.PRESIDENT, OfficeType.US_SENATE, OfficeType.GOVERNOR, OfficeType.STATEWIDE}
    ),
    "federal": frozenset({OfficeType.PRESIDENT, OfficeType.US_SENATE, OfficeType.US_HOUSE}),
    "legislative": frozenset(
        {OfficeType.STATE_SENATE, OfficeType.STATE_HOUSE, OfficeType.LEGISLATIVE}
    ),
    "local": frozenset({OfficeType.COUNTY, OfficeType.LOCAL}),
    "questions": frozenset({OfficeType.QUESTION, OfficeType.STATEWIDE_QUESTION}),
}
"""Names a rule file may use in ``offices`` besides the office types themselves."""

OFFICE_NAMES = tuple(sorted({*OFFICE_GROUPS, *(o.value for o in OfficeType)}))


def expand_offices(names: list[str]) -> frozenset[OfficeType]:
    """Return the office types that a list of office and group names covers."""
    result: set[OfficeType] = set()
    for name in names:
        result |= OFFICE_GROUPS[name] if name in OFFICE_GROUPS else {OfficeType(name)}
    return frozenset(result)


def _check_offices(names: list[str]) -> list[str]:
    unknown = [n for n in names if n not in OFFICE_NAMES]
    if unknown:
        raise ValueError(f"unknown office names {unknown}; known: {', '.join(OFFICE_NAMES)}")
    return names


OfficeNames = Annotated[list[str], AfterValidator(_check_offices)]


def covers_office(names: list[str], office: OfficeType) -> bool:
    """Say whether ``names`` covers ``office``; plain "legislative" matches either chamber."""
    covered = expand_offices(names)
    if office in covered:
        return True
    return office is OfficeType.LEGISLATIVE and bool(
        covered & {OfficeType.STATE_SENATE, OfficeType.STATE_HOUSE}
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Base = Literal["office_total", "top_two", "winner", "ballots_cast"]
"""What a percentage is of: all votes for the office, the votes of the two candidates compared,
the (last) winner's votes, or the ballots cast."""

Op = Literal["<", "<="]


class PercentTest(_Strict):
    """The margin is under (or at most) ``value`` percent of ``base``."""

    kind: Literal["percent"] = "percent"
    value: float = Field(gt=0, le=100)
    base: Base = "office_total"
    op: Op = "<="


class VotesTest(_Strict):
    """The margin is under (or at most) ``value`` votes."""

    kind: Literal["votes"] = "votes"
    value: int = Field(ge=0)
    op: Op = "<="


class TieTest(_Strict):
    """The two candidates have the same number of votes."""

    kind: Literal["tie"] = "tie"


class AllTest(_Strict):
    """Every part holds ("the lesser of", "both")."""

    kind: Literal["all"] = "all"
    label: str = "both of"
    tests: list[MarginTest] = Field(min_length=2)


class AnyTest(_Strict):
    """At least one part holds ("the greater of", "either")."""

    kind: Literal["any"] = "any"
    label: str = "either of"
    tests: list[MarginTest] = Field(min_length=2)


class SizeBracket(_Strict):
    """The test that applies to contests with at most ``up_to`` votes (``None``: any size)."""

    up_to: int | None = None
    test: MarginTest


class BySizeTest(_Strict):
    """A different test by contest size (e.g. 10 votes where 4,000 or fewer are cast)."""

    kind: Literal["by_size"] = "by_size"
    size_of: Base = "office_total"
    brackets: list[SizeBracket] = Field(min_length=2)

    @model_validator(mode="after")
    def _last_bracket_is_open(self) -> BySizeTest:
        if self.brackets[-1].up_to is not None:
            raise ValueError("the last size bracket must have no up_to (it covers the rest)")
        return self


class ShareTest(_Strict):
    """The petitioner's votes are at least ``value`` percent of the winner's (Illinois)."""

    kind: Literal["share_of_winner"] = "share_of_winner"
    value: float = Field(gt=0, le=100)


MarginTest = Annotated[
    PercentTest | VotesTest | TieTest | AllTest | AnyTest | BySizeTest | ShareTest,
    Field(discriminator="kind"),
]


class AutomaticStage(_Strict):
    """One stage of an automatic recount: its name, trigger and what it covers."""

    name: str
    trigger: MarginTest
    offices: OfficeNames = ["all"]
    elections: list[ElectionType] = [ElectionType.GENERAL, ElectionType.PRIMARY]
    waivable: bool = False
    """The trailing candidate may waive it."""
    after_previous: bool = False
    """The trigger is measured on the margin left by the previous stage."""
    method: str = ""
    text: str
    supersedes: list[str] = []
    """Names of earlier stages this one replaces when triggered (Washington: one hand recount
    instead of a machine recount, RCW 29A.64.021(1)(b))."""
    cost_text: str = "At public cost."
    """Who pays for the automatic recount, as the statute says."""
    replaces_requests: bool = False
    """When triggered, this is the fullest recount the law offers, so a paid petition is moot and
    no fee is quoted (Washington's mandatory hand recount)."""


class FeeBand(_Strict):
    """One line of a fee schedule: the first band whose ``when`` holds applies."""

    when: MarginTest | None = None
    when_text: str = "otherwise"
    amount: float | None = Field(default=None, ge=0)
    per: Literal["precinct", "ward", "district", "ballot", "flat", "extra_precinct"] = "flat"
    estimated_cost: bool = False
    """The petitioner pays the estimated actual cost instead of a set amount."""


FeeKind = Literal[
    "none", "per_unit", "per_ballot", "flat", "schedule", "estimated_cost", "bond", "unspecified"
]


class Fee(_Strict):
    """What a petitioner pays up front and how it is worked out."""

    kind: FeeKind
    text: str
    bands: list[FeeBand] = []
    by_office: dict[str, list[FeeBand]] = {}
    """Bands per office name (New Hampshire's flat fees by office and margin)."""
    per_ballot_rates: dict[str, float] = {}
    """Dollars per ballot by method, e.g. ``{machine: 0.15, manual: 0.25}`` (Washington)."""
    base_amount: float = Field(default=0, ge=0)
    included_units: int = Field(default=0, ge=0)
    minimum: float | None = None
    maximum: float | None = None
    trued_up: bool = False
    """The deposit is an estimate; the actual cost is settled afterwards (refund or bill)."""
    set_by: str | None = None


RefundCondition = Literal[
    "outcome_changed",
    "petitioner_elected",
    "share_moved",
    "district_shift",
    "margin_halved",
    "cost_below_estimate",
    "unused_deposit",
    "fraud_or_error_found",
    "petitioner_gains",
]


class Refund(_Strict):
    """When the petitioner gets money back."""

    conditions: list[RefundCondition] = []
    share_moved_points: float | None = None
    text: str


class StandingCondition(_Strict):
    """A condition on who may petition beyond the margin (e.g. being "aggrieved"), with rulings.

    ``status`` says how papertally answers: ``contested`` when a court has held a petitioner like
    this one lacks standing (the answer names the ruling), ``required`` when the petition must only
    allege it.
    """

    condition: Literal["aggrieved", "could_have_won", "alleges_fraud_or_mistake"]
    text: str
    applies_below_rank: int | None = None
    """The condition is contested for petitioners ranked below this place (``None``: any)."""
    max_share_pct: float | None = None
    """... and with at most this percentage of the votes for the office."""
    status: Literal["contested", "required"] = "required"
    ruling: str = ""
    ruling_source: str = ""


class RequestRoute(_Strict):
    """A way to ask for a recount: who may, for which contests, within what margin, at what cost."""

    available: bool = True
    who: list[Literal["candidate", "losing_candidate", "voters", "party", "official", "court"]] = []
    who_text: str
    offices: OfficeNames = ["all"]
    elections: list[ElectionType] = [ElectionType.GENERAL, ElectionType.PRIMARY]
    eligibility: MarginTest | None = None
    """The petitioner's margin behind the (last) winner must pass this to ask at all."""
    eligibility_text: str = ""
    free_when: MarginTest | None = None
    """Public cost (no fee) when the petitioner's margin passes this."""
    free_text: str = ""
    fee: Fee
    refund: Refund
    standing: list[StandingCondition] = []
    partial: Literal["counties", "wards", "precincts", "counties_and_wards", "none", "unknown"] = (
        "unknown"
    )
    """Whether a petition may cover only some units (and which), as the statute allows."""


DeadlineEvent = Literal["request", "start", "finish", "results_due", "deposit", "petition_review"]
Anchor = Literal["election", "canvass", "certification", "request", "order"]


class Deadline(_Strict):
    """A deadline: ``days`` (or ``hours``) after an anchor event, counted as the law says."""

    event: DeadlineEvent
    anchor: Anchor
    days: int | None = Field(default=None, ge=0)
    hours: int | None = Field(default=None, ge=0)
    count: Literal["calendar", "business", "calendar_no_sundays"] = "calendar"
    weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday"] | None = None
    """With ``nth``: the nth such weekday after the anchor (``days`` unused)."""
    nth: int = 1
    time: str | None = None
    """Clock time on the last day, e.g. ``"17:00"``."""
    offices: OfficeNames = ["all"]
    elections: list[ElectionType] = [ElectionType.GENERAL, ElectionType.PRIMARY]
    applies_to: Literal["any", "automatic", "requested"] = "any"
    text: str
    uncertain: bool = False

    @model_validator(mode="after")
    def _has_a_length(self) -> Deadline:
        if self.days is None and self.hours is None and self.weekday is None:
            raise ValueError("a deadline needs days, hours or a weekday")
        return self


class KnownDate(_Strict):
    """A recorded date of an anchor event for one election (e.g. when the canvass ended)."""

    election: date
    anchor: Anchor
    date: date
    text: str
    source: str
    uncertain: bool = False


class Rule(_Strict):
    """A state's recount law over one range of election dates."""

    id: str
    effective_from: date
    effective_from_basis: Literal["enactment", "first_confirmed"] = "enactment"
    """``enactment``: the law took effect then; ``first_confirmed``: the earliest date the sources
    confirm (the rule may be older, but papertally does not guess)."""
    effective_to: date | None = None
    """Last election date the rule covers; ``None``: still in force as far as the sources say."""
    as_of_year: int
    citation: str = Field(min_length=3)
    sources: list[str] = Field(min_length=1)
    summary: str
    uncertain: list[str] = []
    """Facts the sources disagree on or do not confirm; shown with every answer."""
    automatic: list[AutomaticStage] = []
    requests: list[RequestRoute] = Field(min_length=1)
    deadlines: list[Deadline] = []
    method: str = ""
    notes: str = ""
    known_dates: list[KnownDate] = []
    session_law: str = ""
    """The session law that opened this era (or last changed the rule), where established."""
    published_units: dict[str, int] = {}
    """Counts the state publishes, e.g. ``{precinct: 7786}``, for fees per precinct or ward when
    the results file is not at that level."""
    published_units_source: str = ""

    @field_validator("sources")
    @classmethod
    def _sources_are_urls(cls, sources: list[str]) -> list[str]:
        for url in sources:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"source {url!r} is not a URL")
        return sources

    @model_validator(mode="after")
    def _range_is_ordered(self) -> Rule:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(f"rule {self.id}: effective_to is before effective_from")
        return self

    def in_force(self, on: date) -> bool:
        """Say whether this rule covers an election held ``on``."""
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


class UnknownEra(_Strict):
    """A range of election dates whose rule the sources do not establish, and what is known."""

    effective_from: date
    effective_to: date
    known: str
    sources: list[str] = []


class StateLaw(_Strict):
    """One rule file: a state (or DC) and its rules in date order, without overlaps."""

    state: str = Field(pattern=r"^[A-Z]{2}$")
    name: str
    rules: list[Rule] = Field(min_length=1)
    unknown_eras: list[UnknownEra] = []

    @model_validator(mode="after")
    def _rules_do_not_overlap(self) -> StateLaw:
        ordered = sorted(self.rules, key=lambda r: r.effective_from)
        for earlier, later in itertools.pairwise(ordered):
            if earlier.effective_to is None or earlier.effective_to >= later.effective_from:
                raise ValueError(f"{self.state}: rules {earlier.id} and {later.id} overlap")
        for era in self.unknown_eras:
            for rule in self.rules:
                if rule.in_force(era.effective_from) or rule.in_force(era.effective_to):
                    raise ValueError(f"{self.state}: an unknown era overlaps rule {rule.id}")
        return self


for _model in (AllTest, AnyTest, SizeBracket, BySizeTest, AutomaticStage, FeeBand):
    _model.model_rebuild()
