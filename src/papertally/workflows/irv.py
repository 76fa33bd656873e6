"""IRV use-cases shared by the command line and the benchmarks: read a ranked contest from any
file, count it, choose or check RAIRE assertions, and measure an audit's risk from readings.

Inputs: CVR exports of any reader of :mod:`papertally.io.cvr` that carries ranks (Dominion JSON
and CSV, NIST SP 1500-103 ``Rank``, Clear Ballot, the generic CSV's ``(Ranks=R)`` columns),
whose marks are turned into preference lists under the jurisdiction's
:class:`~papertally.audit.irv.ballots.BallotRules`; or the files other RAIRE tools exchange
(raire-rs JSON, Arlo's ``.raire``; :mod:`papertally.io.raire_formats`), which hold preference
lists already.

Audit readings (``--readings`` on the command line) are a CSV with a ``card_id`` column (the
CVR's card id, or the ballot id of a ``.raire`` file) and a ``paper`` column: the preference
list the auditors read, candidate names separated by ``>`` (``Alice>Bob``), empty or ``blank``
for a card ranking nobody, ``not found`` for a card that could not be found; one row per drawn
card, in draw order.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from papertally.audit.contests import AuditedCard, AuditType, ContestSpec
from papertally.audit.irv.audit import CardRanking
from papertally.audit.irv.ballots import (
    SAN_FRANCISCO,
    BallotRules,
    RankedBallots,
    Ranking,
    preference_list,
    tabulate,
)
from papertally.audit.irv.raire import IrvAssertion, find_assertions, verify_assertions
from papertally.audit.irv.spec import card_ranking, irv_assertions
from papertally.errors import FileLocation, InputFileError, PapertallyError, closest_match_hint
from papertally.io.raire_formats import (
    IrvContestFile,
    read_arlo_assertions,
    read_arlo_raire,
    read_raire_assertions_json,
    read_raire_json,
)
from papertally.model.cards import CardCollection
from papertally.types import ChoiceName, ContestName, CountyName

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from papertally.io.audit_export import AuditFiles

NOT_FOUND = "not found"
BLANK = "blank"


@dataclass(frozen=True)
class RankedContest:
    """One IRV contest ready to count and audit."""

    name: ContestName
    ballots: RankedBallots
    winner: ChoiceName | None
    """The reported winner where the file states one."""
    cards: dict[str, Ranking]
    """Each card's preference list by card id (a card without the contest: ``()``; no entries
    where the file has no ids)."""
    total_ballots: int | None = None
    """Cards a sample may draw, where the file states it (raire-rs ``audit``)."""


def _is_raire_json(path: Path) -> bool:
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:4096]
    except OSError:
        return False
    return '"votes"' in head or '"num_candidates"' in head


def _pick(names: Sequence[str], contest: str | None, path: str) -> str:
    if contest is None:
        if len(names) != 1:
            raise PapertallyError(
                f"{path}: several ranked contests ({', '.join(names)}); choose one with --contest"
            )
        return names[0]
    if contest not in names:
        raise PapertallyError(
            f"{path}: no ranked contest {contest!r}; ranked contests: {', '.join(names) or 'none'}"
            f"{closest_match_hint(contest, list(names))}"
        )
    return contest


def _from_file(found: IrvContestFile, cards: dict[str, Ranking]) -> RankedContest:
    return RankedContest(found.name, found.ballots, found.winner, cards, found.total_ballots)


def ranked_from_cards(
    collection: CardCollection, contest: ContestName | None, rules: BallotRules
) -> RankedContest:
    """Return a ranked contest of a CVR collection: every card showing it, as preference lists.

    A card that does not show the contest is not one of its ballots, but its CVR is known: if
    drawn, it reads as ranking nobody (½ in every assorter, no discrepancy when the paper agrees).
    A phantom card (in the manifest, no CVR) is left out and counted by the audit as the worst
    case.
    """
    import numpy as np

    ranked = [c.name for c in collection.contests if c.is_ranked]
    name = _pick(ranked, contest, collection.name or "the CVRs")
    definition = next(c for c in collection.contests if c.name == name)
    candidates = [collection.choices[c].name for c in definition.choices]
    index = {n: i for i, n in enumerate(candidates)}
    candidate_of = np.full(len(collection.choices) + 1, -1, dtype=np.int64)
    for code, choice in enumerate(collection.choices):
        if collection.contests[choice.contest].name == name:
            candidate_of[code] = index[choice.name]
    real = np.flatnonzero(~collection.phantoms())
    row_of_card = np.full(len(collection), -1, dtype=np.int64)
    tables: list[Ranking] = []
    for code, contest_def in enumerate(collection.contests):
        if contest_def.name != name:
            continue
        card_of_entry, bounds, choices, ranks = collection.contest_marks(code)
        rows, inverse = _rank_table(card_of_entry.size, bounds, candidate_of[choices], ranks)
        known = row_of_card[card_of_entry] >= 0
        row_of_card[card_of_entry[~known][::-1]] = inverse[~known][::-1] + len(tables)
        tables.extend(
            preference_list([{-1, -2} if v == -2 else set() if v < 0 else {v} for v in row], rules)
            for row in rows
        )
    rows_of_real = row_of_card[real]
    shown = rows_of_real[rows_of_real >= 0]
    lists: dict[Ranking, int] = {}
    for row, count in enumerate(np.bincount(shown, minlength=len(tables)).tolist()):
        if count:
            lists[tables[row]] = lists.get(tables[row], 0) + count
    cards = {
        collection.card_id(i): () if r < 0 else tables[r]
        for i, r in zip(real.tolist(), rows_of_real.tolist(), strict=True)
    }
    ballots = RankedBallots.from_lists(candidates, lists)
    # a sample is drawn from every card: margins are diluted over all of them
    total = len(cards) if len(cards) > ballots.total else None
    return RankedContest(name, ballots, None, cards, total)


def _rank_table(
    entries: int,
    bounds: NDArray[np.int64],
    candidates: NDArray[np.int64],
    ranks: NDArray[np.int16],
) -> tuple[list[list[int]], NDArray[np.int64]]:
    """Return the distinct rank tables of a contest's entries and each entry's table.

    A table lists, rank by rank, the candidate marked (``-1``: no mark, ``-2``: several): the
    input of :func:`~papertally.audit.irv.ballots.preference_list`, built for all entries at
    once (a mark repeated at one rank counts once) so the rules run once per distinct table.
    """
    import numpy as np

    width = int(ranks.max()) if ranks.size else 0
    if entries == 0 or width < 1:
        return [[]], np.zeros(entries, dtype=np.int64)
    entry = np.repeat(np.arange(entries, dtype=np.int64), np.diff(bounds))
    keep = ranks >= 1
    cells = entry[keep] * width + ranks[keep].astype(np.int64) - 1
    picked = candidates[keep]
    marks = np.bincount(cells, minlength=entries * width)
    if marks.max(initial=0) > 1:  # a candidate marked twice at one rank counts once
        span = int(picked.max()) + 2
        _, first = np.unique(cells * span + picked + 1, return_index=True)
        cells, picked = cells[first], picked[first]
        marks = np.bincount(cells, minlength=entries * width)
    cell = cells
    table = np.full(entries * width, -1, dtype=np.int64)
    single = marks[cell] == 1
    table[cell[single]] = picked[single]
    table[marks > 1] = -2
    grid = table.reshape(entries, width)
    base = int(candidates.max(initial=0)) + 3
    if base**width < 2**62:  # each table as one number: sorting numbers beats sorting rows
        keys = (grid + 2) @ (base ** np.arange(width, dtype=np.int64))
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        return grid[first].tolist(), inverse.reshape(-1).astype(np.int64)
    rows, inverse = np.unique(grid, axis=0, return_inverse=True)
    return rows.tolist(), inverse.reshape(-1).astype(np.int64)


def read_ranked_contest(
    paths: Sequence[Path], *, contest: str | None = None, rules: BallotRules = SAN_FRANCISCO
) -> RankedContest:
    """Read one ranked contest from a raire-rs JSON file, an Arlo ``.raire`` file or CVRs."""
    if not paths:
        raise PapertallyError("no input files given")
    first = paths[0]
    if first.suffix.lower() == ".raire" or _is_raire_json(first):
        if len(paths) > 1:
            raise PapertallyError(f"{first.name}: give one .raire or raire-rs JSON file alone")
        if first.suffix.lower() == ".raire":
            found = read_arlo_raire(first)
            chosen = _pick([c.name for c in found], contest, first.name)
            one = next(c for c in found if c.name == chosen)
            return _from_file(one, _arlo_cards(first, chosen, one.ballots))
        return _from_file(read_raire_json(first), {})
    from papertally.io.cvr import read_cvrs

    return ranked_from_cards(read_cvrs(list(paths)), contest, rules)


def _arlo_cards(path: Path, contest: str, ballots: RankedBallots) -> dict[str, Ranking]:
    """Each ballot id's preference list in an Arlo ``.raire`` file (already checked on reading)."""
    index = {name: i for i, name in enumerate(ballots.candidates)}
    out: dict[str, Ranking] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split(",")]
        if len(cells) >= 2 and cells[0] == contest:
            out[cells[1]] = tuple(index[c] for c in cells[2:] if c)
    return out


def read_assertions(
    path: Path, contest: RankedContest, source: Sequence[Path] = ()
) -> list[IrvAssertion]:
    """Read an assertion file: raire-rs output JSON, or Arlo's ``.raire.out`` (which needs the
    ``.raire`` ballots it was made from, given as ``source``)."""
    n = len(contest.ballots.candidates)
    if path.suffix.lower() == ".out":
        if not source or source[0].suffix.lower() != ".raire":
            raise PapertallyError(f"{path.name}: an Arlo .raire.out needs its .raire ballot file")
        found = read_arlo_assertions(path, read_arlo_raire(source[0]))
        return found.get(contest.name, [])
    data_names = _candidate_names(path)
    _, assertions = read_raire_assertions_json(path, n)
    if data_names is not None and list(data_names) != list(contest.ballots.candidates):
        raise InputFileError(
            FileLocation(str(path)),
            f"its candidates ({', '.join(data_names)}) are not the contest's "
            f"({', '.join(contest.ballots.candidates)}), in that order",
        )
    return assertions


def _candidate_names(path: Path) -> list[str] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    names = (data.get("metadata") or {}).get("candidates") if isinstance(data, dict) else None
    return [str(n) for n in names] if isinstance(names, list) else None


def parse_paper(text: str, candidates: Sequence[ChoiceName]) -> CardRanking:
    """Parse one reading: ``Alice>Bob``, empty or ``blank``, or ``not found``."""
    value = text.strip()
    if value.lower() == NOT_FOUND:
        return None
    if not value or value.lower() == BLANK:
        return ()
    out: list[int] = []
    for part in value.split(">"):
        name = part.strip()
        if name not in candidates:
            raise PapertallyError(
                f"unknown candidate {name!r}; the candidates are {', '.join(candidates)}"
                f"{closest_match_hint(name, list(candidates))}"
            )
        if candidates.index(name) in out:
            raise PapertallyError(f"{name!r} is ranked twice in {value!r}")
        out.append(candidates.index(name))
    return tuple(out)


def read_readings(
    path: Path, contest: RankedContest, *, need_cvrs: bool
) -> tuple[list[CardRanking], list[CardRanking]]:
    """Read the auditors' readings: each drawn card's CVR (by card id) and paper, in draw order.

    A card id that has no CVR gives ``None`` (scored as the worst case); ``need_cvrs`` (a
    comparison audit) requires a ``card_id`` column.
    """
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as error:
        raise InputFileError(FileLocation(str(path)), f"cannot read the file: {error}") from None
    if not rows:
        raise InputFileError(FileLocation(str(path)), "the file is empty")
    header = [h.strip().lower() for h in rows[0]]
    if "paper" not in header or (need_cvrs and "card_id" not in header):
        needed = "card_id and paper" if need_cvrs else "paper"
        raise InputFileError(FileLocation(str(path), row=1), f"expected the columns {needed}")
    i_paper = header.index("paper")
    i_card = header.index("card_id") if "card_id" in header else None
    cvrs: list[CardRanking] = []
    papers: list[CardRanking] = []
    seen: set[str] = set()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            papers.append(
                parse_paper(row[i_paper] if i_paper < len(row) else "", contest.ballots.candidates)
            )
        except PapertallyError as error:
            raise InputFileError(
                FileLocation(str(path), row=number, column="paper"), str(error)
            ) from None
        if i_card is not None:
            card = row[i_card].strip() if i_card < len(row) else ""
            if not card or card in seen:
                problem = "a card id is needed" if not card else f"card {card!r} is read twice"
                raise InputFileError(FileLocation(str(path), row=number, column="card_id"), problem)
            seen.add(card)
            cvrs.append(contest.cards.get(card))
    if need_cvrs and not contest.cards:
        raise PapertallyError(
            "the ballots file has no card ids (raire-rs JSON): a comparison audit needs CVRs "
            "with card ids"
        )
    return cvrs, papers


# -- IRV contests of the app's stored audits ---------------------------------------------------

APP_RULES = SAN_FRANCISCO
"""The ballot rules of the app's IRV audits: the CVRs' rankings become preference lists under
them (:func:`papertally.io.audit_export.card_votes`), and the audit board records the paper's
preference list the same way (an overvoted ranking ends it, a skipped ranking passes)."""


def audit_ballots(cvrs: Mapping[CountyName, CardCollection], contest: ContestName) -> RankedBallots:
    """Return the ranked ballots of ``contest`` over every county's CVRs (counties in order;
    candidates in the order first seen), under :data:`APP_RULES`."""
    candidates: dict[ChoiceName, None] = {}
    named: list[tuple[tuple[ChoiceName, ...], int]] = []
    for collection in cvrs.values():
        if not any(d.name == contest and d.is_ranked for d in collection.contests):
            continue
        found = ranked_from_cards(collection, contest, APP_RULES).ballots
        candidates.update(dict.fromkeys(found.candidates))
        named.extend(
            (tuple(found.candidates[c] for c in ranking), count)
            for ranking, count in zip(found.rankings, found.counts, strict=True)
        )
    return RankedBallots.from_named(list(candidates), named)


def with_irv(spec: ContestSpec, files: AuditFiles) -> ContestSpec:
    """Return ``spec`` with its RAIRE assertions when the CVRs show the contest ranked.

    The winner is the CVRs' IRV count (:func:`~papertally.audit.irv.ballots.tabulate`; a tie
    is an error); the assertions are chosen over the audit's ``N`` cards
    (:func:`~papertally.audit.irv.raire.find_assertions`, comparison difficulty) and stored in
    the spec, so every round, the report and ``papertally verify`` use the same ones. Only a
    ballot comparison audit takes an IRV contest (RAIRE needs the CVRs).
    """
    if spec.name not in files.ranked_contests:
        return spec
    if spec.audit_type is not AuditType.BALLOT_COMPARISON or spec.winners != 1:
        raise PapertallyError(
            f"contest {spec.name!r} is ranked-choice (IRV): the app audits it by ballot "
            "comparison with one winner (RAIRE assertions measured by CLCA); choose ballot "
            "comparison"
        )
    plain = [
        county
        for county, collection in files.cvrs.items()
        if any(d.name == spec.name and not d.is_ranked for d in collection.contests)
    ]
    if plain:
        raise PapertallyError(
            f"contest {spec.name!r} is ranked-choice in some counties' CVRs but not in "
            f"{plain[0]}'s: check that every county exported the same contest"
        )
    ballots = audit_ballots(files.cvrs, spec.name)
    winner = tabulate(ballots).winner
    result = find_assertions(ballots, winner, total_ballots=spec.cards)
    irv = {
        "candidates": list(ballots.candidates),
        "winner": winner,
        "rules": APP_RULES.name,
        "assertions": [
            {
                "name": s.assertion.describe(ballots.candidates),
                "assertion": s.assertion.to_json(),
                "margin": s.margin,
            }
            for s in result.assertions
        ],
    }
    return replace(spec, irv=irv)


def irv_hand_count(spec: ContestSpec, cards: Sequence[AuditedCard]) -> tuple[ChoiceName, ...]:
    """Return the IRV winner of the papers of every card (a full hand count); none on a tie."""
    assert spec.irv is not None
    candidates = list(spec.irv["candidates"])
    index = {name: i for i, name in enumerate(candidates)}
    lists: dict[Ranking, int] = {}
    for card in cards:
        ranking = card_ranking(spec, card.paper, index)
        if ranking is not None:
            lists[ranking] = lists.get(ranking, 0) + 1
    try:
        return (tabulate(RankedBallots.from_lists(candidates, lists)).winner,)
    except PapertallyError:
        return ()


def check_irv_spec(spec: ContestSpec, files: AuditFiles | None) -> str | None:
    """Return the first problem of an IRV spec's assertions, or ``None``: they must rule out
    every elimination order another candidate wins (the RAIRE verifier) and, when the CVR
    files are at hand, the winner and every margin must be those the CVRs give."""
    if spec.irv is None:
        return None
    where = f"contest {spec.name!r}"
    try:
        candidates = [str(c) for c in spec.irv["candidates"]]
        listed = irv_assertions(spec)
        winner = candidates.index(str(spec.irv["winner"]))
    except (KeyError, TypeError, ValueError, PapertallyError) as error:
        return f"{where}: the IRV assertions cannot be read ({error})"
    check = verify_assertions([a for _, a, _ in listed], winner, len(candidates))
    if not check.ok:
        order = " → ".join(candidates[c] for c in check.open_orders[0])
        return f"{where}: the assertions leave the elimination order {order} open"
    if files is None:
        return None
    ballots = audit_ballots(files.cvrs, spec.name)
    if list(ballots.candidates) != candidates:
        return f"{where}: the candidates {candidates} are not the CVRs' {list(ballots.candidates)}"
    try:
        counted = tabulate(ballots).winner
    except PapertallyError as error:
        return f"{where}: the CVRs' IRV count fails: {error}"
    if counted != candidates[winner]:
        return f"{where}: the recorded winner {candidates[winner]!r}; the CVRs elect {counted!r}"
    for name, assertion, margin in listed:
        recomputed = assertion.margin(ballots)
        if recomputed <= 0 or abs(recomputed / spec.cards - margin) > 1e-12:
            return (
                f"{where}, assertion {name!r}: margin recorded {round(margin * spec.cards)}, "
                f"the CVRs give {recomputed}"
            )
    return None


OVERVOTE_AT_RANK = "overvote"
"""An audit board's reading of a ranking that marks several candidates."""


def paper_ranking(marks: Sequence[str], candidates: Sequence[ChoiceName]) -> list[ChoiceName]:
    """Return the preference list an audit board records for a ranked card under
    :data:`APP_RULES`, from what it read at rank 1, 2, …: a candidate, ``""`` (no mark) or
    :data:`OVERVOTE_AT_RANK`. Refuses a name that is not a candidate."""
    index = {name: i for i, name in enumerate(candidates)}
    at_rank: list[set[int]] = []
    for rank, mark in enumerate(marks, start=1):
        if mark == OVERVOTE_AT_RANK:
            at_rank.append({-1, -2})
        elif not mark:
            at_rank.append(set())
        elif mark in index:
            at_rank.append({index[mark]})
        else:
            raise PapertallyError(
                f"rank {rank}: {mark[:60]!r} is not a candidate"
                f"{closest_match_hint(mark, list(candidates))}"
            )
    return [candidates[c] for c in preference_list(at_rank, APP_RULES)]
