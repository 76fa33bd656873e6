"""Read and write the files other IRV audit tools exchange: raire-rs JSON and Arlo's ``.raire``.

Formats, as the files in ``../shared/data/irv/`` show them:

* **raire-rs input** (JSON): ``metadata.candidates`` (names), ``num_candidates``, ``votes`` (a
  list of ``{"n": count, "prefs": [candidate indices, most preferred first]}``), ``winner`` (an
  index) and ``audit`` (``type``: ``OneOnMargin`` for a comparison audit, ``OneOnMarginSq`` for
  polling; ``total_auditable_ballots``);
* **raire-rs output** (JSON): ``solution.Ok.assertions``, each ``{"assertion": {"type": "NEB" or
  "NEN", "winner", "loser", "continuing": [...]}, "difficulty", "margin"}``, and
  ``solution.Ok.winner``; ``solution.Err`` when the tool found none;
* **Arlo ``.raire``** (text): the number of contests, then per contest
  ``Contest,<id>,<number of candidates>,<candidate ids…>,winner,<id>``, then one line per ballot
  ``<contest id>,<ballot id>,<candidate ids in preference order…>``; its ``.raire.out`` lists
  per contest (``CONTEST <id>``) lines ``NEB,Winner,<w>,Loser,<l>,Eliminated`` and
  ``NEN,Winner,<w>,Loser,<l>,Eliminated,<ids already eliminated…>``.

Every mistake is one :class:`~papertally.errors.InputFileError` naming the file and line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papertally.audit.irv.ballots import RankedBallots
from papertally.audit.irv.raire import AuditKind, IrvAssertion
from papertally.errors import FileLocation, InputFileError, PapertallyError
from papertally.types import ChoiceName

AUDIT_TYPES: dict[str, AuditKind] = {"OneOnMargin": "comparison", "OneOnMarginSq": "polling"}


@dataclass(frozen=True)
class IrvContestFile:
    """One IRV contest read from a file: its ballots, reported winner and audit setting."""

    name: str
    ballots: RankedBallots
    winner: ChoiceName | None
    total_ballots: int | None = None
    kind: AuditKind = "comparison"


def _fail(path: Path, problem: str, row: int | None = None) -> InputFileError:
    return InputFileError(FileLocation(str(path), row=row), problem)


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise _fail(path, f"cannot read the file: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _fail(path, f"not a JSON file: {error}") from None


def _index(value: Any, count: int, path: Path, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < count:
        raise _fail(path, f"{what}: expected a candidate index 0..{count - 1}, got {value!r}")
    return value


def read_raire_json(path: Path) -> IrvContestFile:
    """Read a raire-rs input file (ballots, winner, audit type and size)."""
    data = _load_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("votes"), list):
        raise _fail(path, "not a raire-rs input file: no 'votes' list")
    names = (data.get("metadata") or {}).get("candidates")
    count = data.get("num_candidates", len(names) if isinstance(names, list) else None)
    if not isinstance(count, int) or count < 2:
        raise _fail(path, f"'num_candidates' must be a number ≥ 2, got {count!r}")
    if not isinstance(names, list) or len(names) != count:
        names = [str(i) for i in range(count)]
    lists: list[tuple[list[int], int]] = []
    for i, vote in enumerate(data["votes"]):
        where = f"votes[{i}]"
        if not isinstance(vote, dict) or not isinstance(vote.get("prefs"), list):
            raise _fail(path, f"{where}: expected {{'n': count, 'prefs': [...]}}")
        n = vote.get("n", 1)
        if not isinstance(n, int) or n < 0:
            raise _fail(path, f"{where}.n: expected a whole number ≥ 0, got {n!r}")
        prefs = [_index(c, count, path, f"{where}.prefs") for c in vote["prefs"]]
        if len(set(prefs)) != len(prefs):
            raise _fail(path, f"{where}.prefs ranks a candidate twice: {prefs}")
        lists.append((prefs, n))
    winner = data.get("winner")
    audit = data.get("audit") or {}
    kind = AUDIT_TYPES.get(str(audit.get("type", "OneOnMargin")))
    if kind is None:
        raise _fail(
            path, f"audit type {audit.get('type')!r} is not one of {', '.join(AUDIT_TYPES)}"
        )
    total = audit.get("total_auditable_ballots")
    if total is not None and (not isinstance(total, int) or total < 0):
        raise _fail(path, f"total_auditable_ballots: expected a whole number, got {total!r}")
    return IrvContestFile(
        name=str((data.get("metadata") or {}).get("contest") or path.stem),
        ballots=RankedBallots.from_lists([str(n) for n in names], lists),
        winner=None if winner is None else str(names[_index(winner, count, path, "winner")]),
        total_ballots=total,
        kind=kind,
    )


def read_raire_assertions_json(
    path: Path, candidates: int
) -> tuple[int | None, list[IrvAssertion]]:
    """Read a raire-rs output file: its winner (index, if stated) and its assertions.

    An ``Err`` solution (the tool found no assertions) gives an empty list.
    """
    data = _load_json(path)
    solution = data.get("solution") if isinstance(data, dict) else None
    if not isinstance(solution, dict):
        raise _fail(path, "not a raire-rs output file: no 'solution'")
    found = solution.get("Ok")
    if not isinstance(found, dict):
        return None, []
    out: list[IrvAssertion] = []
    for i, item in enumerate(found.get("assertions") or []):
        where = f"assertions[{i}]"
        raw = item.get("assertion") if isinstance(item, dict) else None
        if not isinstance(raw, dict) or raw.get("type") not in ("NEB", "NEN"):
            raise _fail(path, f"{where}: expected an assertion of type NEB or NEN")
        w = _index(raw.get("winner"), candidates, path, f"{where}.winner")
        lose = _index(raw.get("loser"), candidates, path, f"{where}.loser")
        continuing = frozenset(
            _index(c, candidates, path, f"{where}.continuing") for c in raw.get("continuing") or []
        )
        try:
            out.append(IrvAssertion(raw["type"], w, lose, continuing))
        except PapertallyError as error:
            raise _fail(path, f"{where}: {error}") from None
    winner = found.get("winner")
    return (None if winner is None else _index(winner, candidates, path, "winner")), out


def read_arlo_raire(path: Path) -> list[IrvContestFile]:
    """Read Arlo's ``.raire`` ballot file: every contest, its ballots and reported winner."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(path, f"cannot read the file: {error}") from None
    contests: dict[str, tuple[list[str], str | None]] = {}
    ballots: dict[str, dict[tuple[str, ...], int]] = {}
    for row, line in enumerate(lines, start=1):
        cells = [c.strip() for c in line.split(",")]
        if not line.strip() or (row == 1 and len(cells) == 1):
            continue
        if cells[0] == "Contest":
            if len(cells) < 3 or not cells[2].isdigit():
                raise _fail(path, "expected Contest,<id>,<candidates>,<ids…>,winner,<id>", row)
            size = int(cells[2])
            names = cells[3 : 3 + size]
            rest = cells[3 + size :]
            if len(names) != size or (rest and (len(rest) != 2 or rest[0] != "winner")):
                raise _fail(path, f"contest {cells[1]}: expected {size} candidate ids", row)
            contests[cells[1]] = (names, rest[1] if rest else None)
            ballots[cells[1]] = {}
            continue
        if cells[0] not in contests or len(cells) < 2:
            raise _fail(path, f"ballot of unknown contest {cells[0]!r}", row)
        prefs = tuple(c for c in cells[2:] if c)
        unknown = [c for c in prefs if c not in contests[cells[0]][0]]
        if unknown or len(set(prefs)) != len(prefs):
            problem = f"unknown candidate {unknown[0]!r}" if unknown else "a repeated candidate"
            raise _fail(path, f"contest {cells[0]}: ballot {cells[1]!r} has {problem}", row)
        ballots[cells[0]][prefs] = ballots[cells[0]].get(prefs, 0) + 1
    return [
        IrvContestFile(
            name=contest,
            ballots=RankedBallots.from_named(names, ballots[contest].items()),
            winner=winner,
        )
        for contest, (names, winner) in contests.items()
    ]


def read_arlo_assertions(
    path: Path, contests: list[IrvContestFile]
) -> dict[str, list[IrvAssertion]]:
    """Read Arlo's ``.raire.out``: each contest's assertions over the contest's candidates."""
    by_name = {c.name: c for c in contests}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(path, f"cannot read the file: {error}") from None
    out: dict[str, list[IrvAssertion]] = {}
    current: IrvContestFile | None = None
    for row, line in enumerate(lines, start=1):
        text = line.strip()
        if not text:
            continue
        if text.startswith("CONTEST"):
            name = text.split(maxsplit=1)[1] if " " in text else ""
            if name not in by_name:
                raise _fail(path, f"unknown contest {name!r}", row)
            current = by_name[name]
            out[name] = []
            continue
        cells = [c.strip() for c in text.split(",")]
        if current is None or len(cells) < 6 or cells[0] not in ("NEB", "NEN"):
            raise _fail(path, "expected NEB|NEN,Winner,<id>,Loser,<id>,Eliminated,…", row)
        names = list(current.ballots.candidates)
        try:
            w, lose = names.index(cells[2]), names.index(cells[4])
            gone = {names.index(c) for c in cells[6:] if c}
        except ValueError:
            raise _fail(path, f"contest {current.name}: unknown candidate id", row) from None
        if cells[0] == "NEN":
            assertion = IrvAssertion("NEN", w, lose, frozenset(range(len(names))) - gone)
        else:
            assertion = IrvAssertion("NEB", w, lose)
        out[current.name].append(assertion)
    return out
