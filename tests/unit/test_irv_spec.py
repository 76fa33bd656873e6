"""An IRV contest spec of the app's audits (issue 15): assertions read back from the spec,
each card's discrepancy codes, the board's ranked reading, and a full hand count by IRV."""

from __future__ import annotations

import pytest

from papertally.audit.contests import AuditedCard, AuditType, ContestSpec
from papertally.audit.irv.raire import IrvAssertion
from papertally.audit.irv.spec import irv_assertions, irv_card_codes, irv_codes
from papertally.errors import PapertallyError
from papertally.workflows.irv import irv_hand_count, paper_ranking

CANDIDATES = ["Alice", "Bob", "Chuan"]


def spec(assertions: list[dict[str, object]] | None = None) -> ContestSpec:
    neb = IrvAssertion("NEB", 0, 1)
    nen = IrvAssertion("NEN", 0, 2, frozenset({0, 2}))
    listed = assertions or [
        {"name": "NEB: Alice not eliminated before Bob", "assertion": neb.to_json(), "margin": 10},
        {"name": "NEN: Alice beats Chuan", "assertion": nen.to_json(), "margin": 20},
    ]
    return ContestSpec(
        "Mayor",
        AuditType.BALLOT_COMPARISON,
        0.05,
        {"Alice": 50, "Bob": 40, "Chuan": 10},
        100,
        irv={"candidates": CANDIDATES, "winner": "Alice", "assertions": listed},
    )


def card(cvr: list[str] | None, paper: list[str] | None) -> AuditedCard:
    return AuditedCard(
        1, None if cvr is None else {"Mayor": cvr}, None if paper is None else {"Mayor": paper}
    )


def test_the_spec_round_trips_and_gives_margins_over_all_cards() -> None:
    again = ContestSpec.from_json(spec().to_json())
    assert [(n, m) for n, _, m in irv_assertions(again)] == [
        ("NEB: Alice not eliminated before Bob", 0.1),
        ("NEN: Alice beats Chuan", 0.2),
    ]


def test_discrepancy_codes_per_assertion() -> None:
    s = spec()
    # CVR "Alice", paper "Bob": NEB(Alice, Bob) scores 1 then 0 (two-vote overstatement);
    # NEN(Alice, Chuan) scores 1 then 1/2 (the paper ranks neither): one vote.
    assert irv_card_codes(s, card(["Alice"], ["Bob"])) == {
        "NEB: Alice not eliminated before Bob": "o2",
        "NEN: Alice beats Chuan": "o1",
    }
    assert set(irv_card_codes(s, card(["Bob"], ["Alice"])).values()) <= {"u2", "u1"}
    assert set(irv_card_codes(s, card(None, ["Alice"])).values()) == {"phantom"}
    assert set(irv_card_codes(s, card(["Alice"], None)).values()) == {"phantom"}
    codes = irv_codes(s, [card(["Alice", "Bob"], ["Alice", "Bob"])] * 3)
    assert [c for _, _, c in codes] == [["0"] * 3, ["0"] * 3]
    with pytest.raises(PapertallyError, match="'Zed' is not a candidate"):
        irv_card_codes(s, card(["Zed"], ["Alice"]))


def test_a_malformed_assertion_in_a_spec_is_a_user_error() -> None:
    bad = spec([{"name": "x", "assertion": {"type": "NEB", "winner": 0, "loser": 7}, "margin": 1}])
    with pytest.raises(PapertallyError, match=r"outside 0\.\.2"):
        irv_assertions(bad)
    odd = spec([{"name": "x", "assertion": {"type": "XYZ", "winner": 0, "loser": 1}, "margin": 1}])
    with pytest.raises(PapertallyError, match="NEB or NEN"):
        irv_assertions(odd)


def test_the_boards_ranked_reading_follows_san_franciscos_rules() -> None:
    assert paper_ranking(["", "Bob", "", "Alice"], CANDIDATES) == ["Bob", "Alice"]
    assert paper_ranking(["Alice", "Alice", "Chuan"], CANDIDATES) == ["Alice", "Chuan"]
    assert paper_ranking(["Chuan", "overvote", "Bob"], CANDIDATES) == ["Chuan"]
    with pytest.raises(PapertallyError, match="rank 2: 'Bobb' is not a candidate"):
        paper_ranking(["Alice", "Bobb"], CANDIDATES)


def test_a_full_hand_count_tabulates_the_papers_by_irv() -> None:
    # First preferences Alice 4, Bob 3, Chuan 2: Chuan's two go to Bob, who wins 5 to 4 (a
    # plurality count of first choices would say Alice); a card not found is left out.
    papers = [["Alice"]] * 4 + [["Bob"]] * 3 + [["Chuan", "Bob"]] * 2 + [None]
    cards = [card(["Alice"], p) for p in papers]
    assert irv_hand_count(spec(), cards) == ("Bob",)
    tied = [card(["Alice"], p) for p in [["Alice"], ["Bob"]]]
    assert irv_hand_count(spec(), tied) == ()
