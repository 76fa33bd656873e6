"""Recount law of the 50 states and DC, and what a recount of a given margin is likely to do.

Pure domain code (no file, store or web imports). The rules ship as hand-checked YAML files in
``law/rules/`` (one per state and DC), validated on first use:

* :func:`assess_recount` - automatic triggers, who may ask, fee, refund and deadlines for one
  contest's results under the rule in force on the election date;
* :func:`rule_for` / :func:`state_law` - the rules themselves;
* :func:`estimate_cost` / :func:`settle` - county estimates, modelled gaps, refund or balance;
* :func:`flip_outlook` - the chance a recount changes the winner, from the past statewide recounts;
* :func:`electoral_picture` - which states would have to flip to change a presidential winner.
"""

from typing import TYPE_CHECKING

from papertally.lazy import lazy_exports

if TYPE_CHECKING:
    from papertally.law.calendar import electors_dates
    from papertally.law.cost import CostEstimate, CountyCost, Settlement, estimate_cost, settle
    from papertally.law.electoral import ElectoralPicture, StateResult, electoral_picture
    from papertally.law.engine import (
        RecountAssessment,
        assess_recount,
        parse_election_type,
        parse_office,
    )
    from papertally.law.history import FlipOutlook, flip_outlook, history_facts, load_history
    from papertally.law.margins import ContestResults
    from papertally.law.rules import STATE_NAMES, load_all, rule_for, state_code, state_law
    from papertally.law.schema import ElectionType, OfficeType, Rule, StateLaw
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "calendar": ("electors_dates",),
            "cost": (
                "CostEstimate",
                "CountyCost",
                "Settlement",
                "estimate_cost",
                "settle",
            ),
            "electoral": ("ElectoralPicture", "StateResult", "electoral_picture"),
            "engine": (
                "RecountAssessment",
                "assess_recount",
                "parse_election_type",
                "parse_office",
            ),
            "history": (
                "FlipOutlook",
                "flip_outlook",
                "history_facts",
                "load_history",
            ),
            "margins": ("ContestResults",),
            "rules": (
                "STATE_NAMES",
                "load_all",
                "rule_for",
                "state_code",
                "state_law",
            ),
            "schema": ("ElectionType", "OfficeType", "Rule", "StateLaw"),
        },
    )

__all__ = [
    "STATE_NAMES",
    "ContestResults",
    "CostEstimate",
    "CountyCost",
    "ElectionType",
    "ElectoralPicture",
    "FlipOutlook",
    "OfficeType",
    "RecountAssessment",
    "Rule",
    "Settlement",
    "StateLaw",
    "StateResult",
    "assess_recount",
    "electoral_picture",
    "electors_dates",
    "estimate_cost",
    "flip_outlook",
    "history_facts",
    "load_all",
    "load_history",
    "parse_election_type",
    "parse_office",
    "rule_for",
    "settle",
    "state_code",
    "state_law",
]
