"""Map the contest and choice names of CVR files onto one standard list, explicitly.

Counties name the same contest differently ("PRESIDENT" and "President of the United
States"). An audit must know they are one contest, and a wrong guess would compare the wrong
tallies, so nothing is matched by similarity alone: :func:`propose_mapping` suggests, for each
name not in the standard list, the closest standard names (``difflib``), and the user confirms
a :class:`NameMapping`; :func:`apply_standardization` applies only what the mapping says and
refuses, listing every name left over with its suggestions, when anything is unaccounted for.
A name identical to a standard name needs no mapping.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from papertally.errors import PapertallyError
from papertally.model.cards import CardCollection
from papertally.types import ChoiceName, ContestName

StandardNames = Mapping[ContestName, Sequence[ChoiceName]] | Sequence[ContestName]
"""The standard contests, optionally each with its standard choices."""


@dataclass
class NameMapping:
    """What the user confirmed: found name → standard name, and contests not in the audit."""

    contests: dict[ContestName, ContestName] = field(default_factory=dict)
    choices: dict[tuple[ContestName, ChoiceName], ChoiceName] = field(default_factory=dict)
    """``(standard contest name, found choice name)`` → standard choice name."""
    not_standard: set[ContestName] = field(default_factory=set)
    """Found contests that are deliberately left out of the standard list (kept as they are)."""


@dataclass(frozen=True)
class UnmappedName:
    """A found name with no confirmed mapping, and the closest standard names."""

    found: str
    contest: ContestName | None
    """For a choice, the standard contest it belongs to; ``None`` for a contest."""
    suggestions: tuple[str, ...]

    def describe(self) -> str:
        """Return e.g. ``contest 'PRESIDENT' (closest: 'President')``."""
        what = (
            f"choice {self.found!r} of {self.contest!r}"
            if self.contest
            else f"contest {self.found!r}"
        )
        if self.suggestions:
            return f"{what} (closest: {', '.join(repr(s) for s in self.suggestions)})"
        return f"{what} (no close standard name)"


def closest(name: str, candidates: Sequence[str], n: int = 3) -> tuple[str, ...]:
    """Return up to ``n`` standard names close to ``name``, best first (case-insensitive)."""
    folded = {c.casefold(): c for c in candidates}
    exact = folded.get(name.casefold())
    matches = difflib.get_close_matches(name.casefold(), list(folded), n=n, cutoff=0.5)
    ordered = ([exact] if exact else []) + [folded[m] for m in matches]
    return tuple(dict.fromkeys(ordered))[:n]


def _standard(standard: StandardNames) -> dict[ContestName, list[ChoiceName] | None]:
    if isinstance(standard, Mapping):
        return {c: list(choices) for c, choices in standard.items()}
    return dict.fromkeys(standard)


def propose_mapping(
    collection: CardCollection, standard: StandardNames
) -> tuple[NameMapping, list[UnmappedName]]:
    """Suggest a mapping for the user to confirm, and list the names with no suggestion.

    Each found name not in the standard list is proposed its closest standard name; that is a
    proposal only, to be shown to and confirmed by a person before :func:`apply_standardization`.
    """
    wanted = _standard(standard)
    mapping = NameMapping()
    unmapped: list[UnmappedName] = []
    for found in collection.contest_names():
        if found in wanted:
            continue
        suggestions = closest(found, list(wanted))
        if suggestions:
            mapping.contests[found] = suggestions[0]
        else:
            unmapped.append(UnmappedName(found, None, ()))
    for contest in collection.contests:
        target = contest.name if contest.name in wanted else mapping.contests.get(contest.name)
        choices = wanted.get(target) if target else None
        if choices is None or target is None:
            continue
        for code in contest.choices:
            found = collection.choices[code].name
            if found in choices:
                continue
            suggestions = closest(found, choices)
            if suggestions:
                mapping.choices[(target, found)] = suggestions[0]
            else:
                unmapped.append(UnmappedName(found, target, ()))
    return mapping, unmapped


def unmapped_names(
    collection: CardCollection, standard: StandardNames, mapping: NameMapping
) -> list[UnmappedName]:
    """Return every found name the mapping does not account for, with suggestions."""
    wanted = _standard(standard)
    problems: list[UnmappedName] = []
    for found in collection.contest_names():
        if found in wanted or found in mapping.not_standard:
            continue
        target = mapping.contests.get(found)
        if target is None or target not in wanted:
            problems.append(UnmappedName(found, None, closest(found, list(wanted))))
    for contest in collection.contests:
        target = contest.name if contest.name in wanted else mapping.contests.get(contest.name)
        choices = wanted.get(target) if target else None
        if choices is None or target is None:
            continue
        for code in contest.choices:
            found = collection.choices[code].name
            if found in choices:
                continue
            mapped = mapping.choices.get((target, found))
            if mapped is None or mapped not in choices:
                problems.append(UnmappedName(found, target, closest(found, choices)))
    return problems


def apply_standardization(
    collection: CardCollection, standard: StandardNames, mapping: NameMapping
) -> None:
    """Rename the collection's contests and choices as the confirmed ``mapping`` says.

    Raises :class:`PapertallyError` listing every unaccounted-for name (with the closest
    standard names) and changes nothing in that case.
    """
    problems = unmapped_names(collection, standard, mapping)
    if problems:
        listed = "; ".join(p.describe() for p in problems)
        raise PapertallyError(
            f"{len(problems)} name(s) in the CVRs of {collection.name or 'this collection'!r} "
            f"are not in the standard list and not in the confirmed mapping: {listed}"
        )
    wanted = _standard(standard)
    choice_renames: dict[tuple[ContestName, ChoiceName], ChoiceName] = {}
    for contest in collection.contests:
        target = contest.name if contest.name in wanted else mapping.contests.get(contest.name)
        if target is None:
            continue
        for code in contest.choices:
            found = collection.choices[code].name
            mapped = mapping.choices.get((target, found))
            if mapped is not None:
                choice_renames[(contest.name, found)] = mapped
    collection.rename(
        {k: v for k, v in mapping.contests.items() if k not in mapping.not_standard},
        choice_renames,
    )
