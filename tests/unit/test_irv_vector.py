"""Ranked CVR cards turned into preference lists in bulk (issue 15) give exactly what reading
each card in turn gives, under each jurisdiction's rules, on random ballots with overvotes,
skipped and repeated rankings, blank cards, cards without the contest and phantoms."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from papertally.audit.irv.ballots import (
    MAINE,
    SAN_FRANCISCO,
    BallotRules,
    marks_by_rank,
    preference_list,
)
from papertally.io.cvr import read_cvrs
from papertally.model.cards import CardCollection
from papertally.workflows.irv import ranked_from_cards

NAMES = ("Alice", "Bob", "Chuan", "Diego", "Erin")


def _write(path: Path, seed: int, cards: int) -> None:
    rng = random.Random(seed)
    header = ["Card ID", "Tabulator", "Batch", "Record ID"]
    header += [f"Mayor (Ranks=5) | {n}" for n in NAMES] + ["Clerk (Vote For=1) | Fay"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for i in range(cards):
            if rng.random() < 0.1:
                cells = [""] * len(NAMES)
            else:
                cells = [str(rng.choice([0, 0, 1, 2, 3, 4, 5])) for _ in NAMES]
            writer.writerow([f"c{i}", "T1", f"B{i // 50}", i % 50 + 1, *cells, "1"])


def _one_by_one(collection: CardCollection, rules: BallotRules) -> dict[str, tuple[int, ...]]:
    """The per-card reading the bulk one replaces: each card's marks, rank by rank."""
    definition = next(c for c in collection.contests if c.name == "Mayor")
    index = {collection.choices[c].name: i for i, c in enumerate(definition.choices)}
    out: dict[str, tuple[int, ...]] = {}
    for card in collection:
        if card.is_phantom:
            continue
        entry = card.contest("Mayor")
        marks = [] if entry is None else [(index[m.choice], m.rank) for m in entry.marks]
        out[card.card_id] = preference_list(marks_by_rank(marks), rules) if entry else ()
    return out


@pytest.mark.parametrize("rules", [SAN_FRANCISCO, MAINE])
@pytest.mark.parametrize("seed", [1, 2])
def test_bulk_preference_lists_equal_the_card_by_card_reading(
    tmp_path: Path, rules: BallotRules, seed: int
) -> None:
    path = tmp_path / "cvrs.csv"
    _write(path, seed, 1500)
    collection = read_cvrs([path])
    collection.add_phantom("T1", "B0", "99")
    expected = _one_by_one(collection, rules)
    found = ranked_from_cards(collection, "Mayor", rules)
    assert found.cards == expected
    ballots = {r: n for r, n in zip(found.ballots.rankings, found.ballots.counts, strict=True)}
    counted: dict[tuple[int, ...], int] = {}
    for card in collection:
        if not card.is_phantom and card.contest("Mayor") is not None:
            key = expected[card.card_id]
            counted[key] = counted.get(key, 0) + 1
    assert ballots == counted
    assert any(len(r) > 1 for r in ballots) and () in ballots
