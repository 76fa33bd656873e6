"""RAIRE assertions and their verifier, against the published examples and other tools' output."""

from __future__ import annotations

import itertools
import math
import random
from pathlib import Path

import pytest
from tests.unit.test_irv_ballots import paper_example_1

from papertally.audit.irv.ballots import RankedBallots, tabulate
from papertally.audit.irv.raire import (
    IrvAssertion,
    find_assertions,
    score_assertions,
    verify_assertions,
)
from papertally.errors import PapertallyError
from papertally.io.raire_formats import (
    read_arlo_assertions,
    read_arlo_raire,
    read_raire_assertions_json,
    read_raire_json,
)

GUIDE = ("NEB_assertions", "guide", "one_candidate_dominates", "two_leading_candidates")
NSW = ("Ballina", "Bellingen", "Burwood", "Byron")


def every_assertion(n: int) -> list[IrvAssertion]:
    """Every NEB and every NEN assertion over ``n`` candidates."""
    out = []
    for w, lose in itertools.permutations(range(n), 2):
        out.append(IrvAssertion("NEB", w, lose))
        for size in range(2, n + 1):
            for group in itertools.combinations(range(n), size):
                if w in group and lose in group:
                    out.append(IrvAssertion("NEN", w, lose, frozenset(group)))
    return out


def test_paper_example_1_four_assertions_and_proven_least_difficulty() -> None:
    ballots = paper_example_1()
    result = find_assertions(ballots, "c4")
    assert len(result.assertions) == 4
    assert verify_assertions([a.assertion for a in result.assertions], 3, 4).ok
    # The final round's NEN (c4 beats c1 when only they continue) has diluted margin 1/15 ...
    final = IrvAssertion("NEN", 3, 0, frozenset({0, 3}))
    assert final.margin(ballots) == 60000 // 15
    assert final in {a.assertion for a in result.assertions}
    # ... but ruling out c2, c4, c3, c1 needs c2 > c3 in round 1 (margin 1,000, difficulty
    # 60): no set of NEB/NEN assertions at all does better, checked exhaustively.
    assert result.difficulty == pytest.approx(60.0)
    scored = score_assertions(every_assertion(4), ballots)
    easier = [s.assertion for s in scored if s.difficulty < 60.0]
    check = verify_assertions(easier, 3, 4)
    assert not check.ok
    assert check.open_orders == ((1, 3, 2, 0),)


@pytest.mark.parametrize("name", GUIDE)
def test_guide_examples_match_the_published_assertions(shared_data: Path, name: str) -> None:
    folder = shared_data / "irv" / "guide"
    contest = read_raire_json(folder / f"a_guide_to_RAIRE_eg_{name}.input.json")
    assert contest.winner is not None
    result = find_assertions(
        contest.ballots, contest.winner, total_ballots=contest.total_ballots, kind=contest.kind
    )
    winner, theirs = read_raire_assertions_json(
        folder / f"a_guide_to_RAIRE_eg_{name}.assertions.json", len(contest.ballots.candidates)
    )
    assert winner == result.winner
    scored = score_assertions(theirs, contest.ballots, total_ballots=contest.total_ballots)
    assert result.difficulty == pytest.approx(max(s.difficulty for s in scored))
    assert len(result.assertions) == len(theirs)
    assert verify_assertions(theirs, result.winner, len(contest.ballots.candidates)).ok


def test_guide_example_numbers(shared_data: Path) -> None:
    contest = read_raire_json(shared_data / "irv/guide/a_guide_to_RAIRE_eg_guide.input.json")
    assert contest.ballots.total == 13500
    assert contest.winner == "Chuan"
    result = find_assertions(contest.ballots, "Chuan", total_ballots=13500)
    assert len(result.assertions) == 5
    assert result.difficulty == pytest.approx(27.0)
    assert result.margin == 500


@pytest.mark.parametrize("name", NSW)
def test_nsw_2021_mayoral_difficulty_as_published(shared_data: Path, name: str) -> None:
    folder = shared_data / "irv" / "nsw2021"
    contest = read_raire_json(folder / f"{name}_Mayoral.json")
    assert contest.winner is not None
    result = find_assertions(contest.ballots, contest.winner, total_ballots=contest.total_ballots)
    winner, theirs = read_raire_assertions_json(
        folder / f"{name}_Mayoral_out.json", len(contest.ballots.candidates)
    )
    published = score_assertions(theirs, contest.ballots, total_ballots=contest.total_ballots)
    assert winner == result.winner
    assert result.difficulty == pytest.approx(max(s.difficulty for s in published), rel=1e-12)
    n = len(contest.ballots.candidates)
    assert verify_assertions([a.assertion for a in result.assertions], result.winner, n).ok


def test_arlo_berkeley_2010_matches_arlo_assertions(shared_data: Path) -> None:
    folder = shared_data / "irv" / "arlo"
    contests = read_arlo_raire(folder / "Berkeley_2010.raire")
    theirs = read_arlo_assertions(folder / "Berkeley_2010.raire.out", contests)
    assert [c.name for c in contests] == ["1", "2", "3", "4"]
    for contest in contests:
        assert contest.winner is not None
        result = find_assertions(contest.ballots, contest.winner)
        scored = score_assertions(theirs[contest.name], contest.ballots)
        assert result.difficulty == pytest.approx(max(s.difficulty for s in scored))
        assert len(result.assertions) == len(theirs[contest.name])
        n = len(contest.ballots.candidates)
        assert verify_assertions(theirs[contest.name], result.winner, n).ok


def test_arlo_aspen_2009_wrong_winner_gives_no_assertions_and_an_error(
    shared_data: Path,
) -> None:
    folder = shared_data / "irv" / "arlo"
    contests = read_arlo_raire(folder / "Aspen_2009_wrong_winner.raire")
    theirs = read_arlo_assertions(folder / "Aspen_2009_wrong_winner.raire.out", contests)
    assert [len(contest.ballots.candidates) for contest in contests] == [11, 5]
    for contest in contests:
        assert theirs[contest.name] == []
        assert contest.winner is not None
        with pytest.raises(PapertallyError, match="does not win the IRV count"):
            find_assertions(contest.ballots, contest.winner)


def test_aspen_2009_council_with_its_true_winner(shared_data: Path) -> None:
    contest = read_arlo_raire(shared_data / "irv/arlo/Aspen_2009_wrong_winner.raire")[0]
    result = find_assertions(contest.ballots, "8")
    check = verify_assertions([a.assertion for a in result.assertions], result.winner, 11)
    assert check.ok
    assert math.isfinite(result.difficulty)
    # every assertion is needed: dropping any one reopens some elimination order
    for dropped in result.assertions:
        rest = [a.assertion for a in result.assertions if a is not dropped]
        assert not verify_assertions(rest, result.winner, 11, limit=0).ok


def test_verifier_names_the_orders_an_incomplete_set_leaves_open() -> None:
    ballots = paper_example_1()
    result = find_assertions(ballots, "c4")
    hardest = result.assertions[0].assertion
    rest = [a.assertion for a in result.assertions if a.assertion != hardest]
    check = verify_assertions(rest, 3, 4)
    assert not check.ok
    assert (1, 3, 2, 0) in check.open_orders
    empty = verify_assertions([], 3, 4, limit=3)
    assert len(empty.open_orders) == 3 and empty.more_open


def test_tie_cannot_be_audited() -> None:
    ballots = RankedBallots.from_named(
        ["A", "B", "C"], [(["A"], 10), (["B", "A"], 6), (["C", "B"], 4)]
    )
    # C eliminated, B gets 10 and ties A: the count itself refuses
    with pytest.raises(PapertallyError, match="tied for the final round"):
        find_assertions(ballots, "A")


def test_polling_difficulty_is_the_square_and_gap_bounds_the_loss() -> None:
    ballots = paper_example_1()
    comparison = find_assertions(ballots, "c4")
    polling = find_assertions(ballots, "c4", kind="polling")
    assert polling.difficulty == pytest.approx(comparison.difficulty**2)
    loose = find_assertions(ballots, "c4", gap=100.0)
    assert loose.difficulty <= comparison.difficulty + 100.0
    assert verify_assertions([a.assertion for a in loose.assertions], 3, 4).ok
    with pytest.raises(PapertallyError, match="optimality gap"):
        find_assertions(ballots, "c4", gap=-1)


def least_difficulty(ballots: RankedBallots, winner: int) -> float:
    """The least hardest difficulty of any NEB/NEN assertion set confirming ``winner``, by
    trying every threshold (brute force)."""
    n = len(ballots.candidates)
    scored = score_assertions(every_assertion(n), ballots)
    for limit in sorted({s.difficulty for s in scored if math.isfinite(s.difficulty)}):
        usable = [s.assertion for s in scored if s.difficulty <= limit]
        if verify_assertions(usable, winner, n, limit=0).ok:
            return limit
    return math.inf


@pytest.mark.parametrize("seed", range(12))
def test_search_is_optimal_complete_and_minimal_on_random_contests(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.choice((3, 4, 5))
    weights = [rng.random() ** 2 for _ in range(n)]
    lists: dict[tuple[int, ...], int] = {}
    for _ in range(rng.randrange(200, 2000)):
        order = sorted(range(n), key=lambda c: -weights[c] * rng.random())
        ranking = tuple(order[: rng.randrange(1, n + 1)])
        lists[ranking] = lists.get(ranking, 0) + 1
    ballots = RankedBallots.from_lists([f"C{i}" for i in range(n)], lists)
    try:
        winner = tabulate(ballots).winner
    except PapertallyError:
        pytest.skip("a tie decides this random contest")
    result = find_assertions(ballots, winner)
    chosen = [a.assertion for a in result.assertions]
    assert verify_assertions(chosen, result.winner, n).ok
    assert result.difficulty == pytest.approx(least_difficulty(ballots, result.winner))
    for dropped in chosen:
        rest = [a for a in chosen if a != dropped]
        assert not verify_assertions(rest, result.winner, n, limit=0).ok
