"""Load the rule files shipped in ``papertally/law/rules/`` (one YAML file per state and DC).

Each file is read once, when its state is first asked for, and validated with pydantic
(:class:`~papertally.law.schema.StateLaw`); a malformed file is an error naming the file, never a
silently missing state. One state's question reads one file, not all 51.
"""

from __future__ import annotations

import difflib
import functools
from datetime import date
from importlib import resources
from importlib.resources.abc import Traversable

import yaml
from pydantic import ValidationError

from papertally.errors import PapertallyError, closest_match_hint
from papertally.law.schema import Rule, StateLaw

EARLIEST = date(2000, 1, 1)
"""papertally's rule files cover elections from 2000 on (issue 12)."""

STATE_NAMES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip
"""The 50 states and DC by postal code."""


def state_code(name: str) -> str:
    """Return the postal code for a code or name in any case; an error with a hint if unknown."""
    folded = " ".join(name.split()).casefold()
    for code, full in STATE_NAMES.items():
        if folded in (code.casefold(), full.casefold()):
            return code
    if folded in {"d.c.", "washington dc", "washington, d.c."}:
        return "DC"
    if len(folded) <= 2:
        close = difflib.get_close_matches(folded.upper(), list(STATE_NAMES), n=4, cutoff=0.5)
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    else:
        hint = closest_match_hint(name.strip().title(), list(STATE_NAMES.values()))
    raise PapertallyError(
        f"unknown state {name!r}{hint}; give a two-letter code such as WI or a full name"
    )


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it (several times faster)."""


def _rules_folder() -> Traversable:
    return resources.files("papertally.law") / "rules"


@functools.cache
def _rule_file(name: str) -> StateLaw:
    """Return the validated law in the rule file ``name`` (``wi.yaml``); cached per file."""
    entry = _rules_folder() / name
    try:
        data = yaml.load(entry.read_text(encoding="utf-8"), Loader=_LOADER)
        law = StateLaw.model_validate(data)
    except (ValidationError, yaml.YAMLError) as error:
        raise PapertallyError(f"rule file {name} is not valid: {error}") from error
    if name != f"{law.state.lower()}.yaml":
        raise PapertallyError(f"rule file {name} holds state {law.state}")
    return law


@functools.cache
def load_all() -> dict[str, StateLaw]:
    """Return every state's law by postal code, validated; cached after the first call."""
    names = sorted(e.name for e in _rules_folder().iterdir() if e.name.endswith(".yaml"))
    return {law.state: law for law in map(_rule_file, names)}


def state_law(state: str) -> StateLaw:
    """Return the law of ``state`` (code or name), reading only that state's rule file."""
    code = state_code(state)
    name = f"{code.lower()}.yaml"
    if not (_rules_folder() / name).is_file():
        raise PapertallyError(f"no rule file for {STATE_NAMES[code]} ({code})")
    return _rule_file(name)


class UnknownEraError(PapertallyError):
    """No rule on file is established for this election date: what is known, and no guess."""

    def __init__(self, state: str, on: date, known: list[str], sources: list[str]) -> None:
        self.state, self.on, self.known, self.sources = state, on, known, sources
        super().__init__(
            f"unknown era: papertally has no established {STATE_NAMES[state]} recount rule for "
            f"an election on {on.isoformat()} and does not guess. " + " ".join(known)
        )


def rule_for(state: str, on: date) -> Rule:
    """Return the rule in force for an election held ``on``.

    A date before 2000 is refused; a later date no rule covers raises :class:`UnknownEraError`
    with what the rule file records about that era and the ranges it does cover.
    """
    law = state_law(state)
    if on < EARLIEST:
        raise PapertallyError(
            f"the date {on.isoformat()} is before {EARLIEST.isoformat()}: papertally's recount "
            "rules cover elections from 2000 on and does not guess about earlier law"
        )
    for rule in law.rules:
        if rule.in_force(on):
            return rule
    ranges = "; ".join(
        _describe_range(r) for r in sorted(law.rules, key=lambda r: r.effective_from)
    )
    known: list[str] = []
    sources: list[str] = []
    for era in law.unknown_eras:
        if era.effective_from <= on <= era.effective_to:
            known.append(
                f"What is known of {era.effective_from.isoformat()} to "
                f"{era.effective_to.isoformat()}: {era.known.strip()}"
            )
            sources += era.sources
    known.append(f"The rules on file cover: {ranges}.")
    raise UnknownEraError(law.state, on, known, sources)


def _describe_range(rule: Rule) -> str:
    start = rule.effective_from.isoformat()
    if rule.effective_from_basis == "first_confirmed":
        start += " (first date the sources confirm; the law may be older)"
    end = rule.effective_to.isoformat() if rule.effective_to else "now"
    return f"{rule.id} {start} to {end}"
