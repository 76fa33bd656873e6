"""The ballot-card model: cards in columns, readable views, tallies, merging."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papertally.errors import PapertallyError
from papertally.model import CardCollection, CardError, Mark, merge_tallies
from papertally.model.cards import ABSENT, BulkCards


def small_collection() -> tuple[CardCollection, dict[str, int]]:
    """Return a collection with a vote-for-1 contest and a 3-rank contest, and their codes."""
    cards = CardCollection("Test County")
    mayor = cards.contest_code("1", "Mayor", 1)
    rcv = cards.contest_code("2", "Council (RCV)")
    cards.contests[rcv].ranks = 3
    codes = {
        "mayor": mayor,
        "rcv": rcv,
        "alice": cards.choice_code(mayor, "a", "Alice"),
        "bob": cards.choice_code(mayor, "b", "Bob"),
        "x": cards.choice_code(rcv, "x", "Xavier"),
        "y": cards.choice_code(rcv, "y", "Yolanda"),
    }
    return cards, codes


def test_cards_read_back_as_given() -> None:
    cards, c = small_collection()
    cards.add_card(
        1001,
        "Tab 1",
        "Batch 7",
        3,
        [(c["mayor"], None, None, [(c["alice"], 1)]), (c["rcv"], 0, 0, [(c["y"], 2), (c["x"], 1)])],
        imprinted_id="1-7-3",
        ballot_style="Style A",
        precinct="P-1",
        counting_group="Absentee",
        sheet=1,
    )
    card = cards.card(0)
    assert (card.card_id, card.tabulator, card.batch, card.record_id) == (
        "1001",
        "Tab 1",
        "Batch 7",
        "3",
    )
    assert (card.imprinted_id, card.ballot_style, card.precinct) == ("1-7-3", "Style A", "P-1")
    assert (card.counting_group, card.sheet, card.is_phantom) == ("Absentee", 1, False)
    mayor = card.contest("Mayor")
    assert mayor is not None and mayor.marks == (Mark("Alice", 1),)
    assert (mayor.overvotes, mayor.undervotes) == (0, 0)
    council = card.contest("Council (RCV)")
    assert council is not None and council.choices() == ("Xavier", "Yolanda")
    assert card.contest("Sheriff") is None


def test_ids_keep_leading_zeros_and_text() -> None:
    cards, _ = small_collection()
    cards.add_card("00042", "0002", "B", "X", [])
    cards.add_card(None, "T", "B", 7, [], derived_imprint=True)
    first, second = cards.card(0), cards.card(1)
    assert (first.card_id, first.tabulator, first.record_id) == ("00042", "0002", "X")
    assert second.card_id == second.imprinted_id == "T-B-7"
    assert cards.encode_id(None) == ABSENT


def test_ids_in_other_scripts_digits_are_kept_as_text() -> None:
    """``"²".isdigit()`` holds but ``int("²")`` fails, and ``int("١٢")`` is 12: both stay text."""
    cards, _ = small_collection()
    cards.add_card("²", "١٢", "B", "X", [])
    card = cards.card(0)
    assert (card.card_id, card.tabulator) == ("²", "١٢")


def test_overvote_counts_for_nobody_and_undervotes_are_derived() -> None:
    cards, c = small_collection()
    cards.add_card(1, "T", "B", 1, [(c["mayor"], None, None, [(c["alice"], 1), (c["bob"], 1)])])
    cards.add_card(2, "T", "B", 2, [(c["mayor"], None, None, [])])
    cards.add_card(3, "T", "B", 3, [(c["mayor"], None, None, [(c["bob"], 1)])])
    assert cards.tally("Mayor") == {"Alice": 0, "Bob": 1}
    over, blank = cards.card(0).contests[0], cards.card(1).contests[0]
    assert (over.overvotes, over.undervotes) == (1, 0)
    assert (blank.overvotes, blank.undervotes) == (0, 1)
    assert cards.cards_with_contest() == {"Mayor": 3, "Council (RCV)": 0}


def test_ranked_contest_tallies_first_choices_and_skips_rank_one_overvotes() -> None:
    cards, c = small_collection()
    rcv, x, y = c["rcv"], c["x"], c["y"]
    cards.add_card(1, "T", "B", 1, [(rcv, 0, 0, [(x, 2), (y, 1)])])
    cards.add_card(2, "T", "B", 2, [(rcv, 0, 0, [(x, 1), (y, 1)])])
    cards.add_card(3, "T", "B", 3, [(rcv, 0, 0, [(x, 1)])])
    assert cards.tally("Council (RCV)") == {"Xavier": 1, "Yolanda": 1}


def test_a_card_with_the_same_contest_twice_is_refused_and_not_kept() -> None:
    cards, c = small_collection()
    with pytest.raises(CardError, match="contest '1' more than once"):
        cards.add_card(1, "T", "B", 1, [(c["mayor"], 0, 0, []), (c["mayor"], 0, 0, [])])
    assert len(cards) == 0


def test_unknown_contest_tally_is_a_clear_error() -> None:
    cards, _ = small_collection()
    with pytest.raises(PapertallyError, match=r"no contest 'Sheriff'.*'Mayor'"):
        cards.tally("Sheriff")


def test_batch_counts_positions_and_phantoms() -> None:
    cards, c = small_collection()
    for record in (1, 2, 3):
        cards.add_card(record, "T1", "B1", record, [(c["mayor"], None, None, [])])
    cards.add_card(4, "T2", "B1", 1, [])
    cards.add_phantom("T2", "B1", 2)
    assert cards.batch_counts() == {("T1", "B1"): 3, ("T2", "B1"): 1}
    assert cards.find_cards("T1", "B1") == [0, 1, 2]
    assert cards.find_cards("T1", "B1", "2") == [1]
    assert cards.find_cards("T9", "B1") == []
    assert cards.card(4).is_phantom


def test_duplicate_positions_are_found_but_sheets_of_one_ballot_are_not() -> None:
    cards, _ = small_collection()
    cards.add_card(1, "T", "B", 5, [], sheet=0)
    cards.add_card(2, "T", "B", 5, [], sheet=1)
    cards.add_card(3, "T", "B", 6, [])
    cards.add_card(4, "T", "B", 6, [])
    assert cards.duplicate_positions() == [[2, 3]]


def test_contest_counts_by_precinct() -> None:
    cards, c = small_collection()
    cards.add_card(1, "T", "B", 1, [(c["mayor"], None, None, [(c["alice"], 1)])], precinct="P1")
    cards.add_card(2, "T", "B", 2, [(c["mayor"], None, None, [(c["bob"], 1)])], precinct="P2")
    cards.add_card(3, "T", "B", 3, [(c["mayor"], None, None, [(c["bob"], 1)])], precinct="P2")
    counts = {count.contest: count for count in cards.contest_counts("Dane", by="precinct")}
    mayor = counts["Mayor"]
    assert mayor.units["Dane|P1"].votes == {"Alice": 1, "Bob": 0}
    assert mayor.units["Dane|P2"].votes == {"Alice": 0, "Bob": 2}
    assert mayor.units["Dane|P2"].ballots_cast == 2
    assert mayor.totals() == cards.tally("Mayor")
    with pytest.raises(PapertallyError, match="cannot group"):
        cards.contest_counts("Dane", by="ward")


def test_extend_merges_catalogues_and_strings() -> None:
    first, c1 = small_collection()
    first.add_card(1, "T", "B", "X", [(c1["mayor"], None, None, [(c1["alice"], 1)])])
    second = CardCollection()
    sheriff = second.contest_code("9", "Sheriff", 1)
    mayor = second.contest_code("1", "Mayor", 1)
    bob = second.choice_code(mayor, "b", "Bob")
    carol = second.choice_code(sheriff, "c", "Carol")
    second.add_card(
        "zz", "T2", "B", "Y", [(mayor, None, None, [(bob, 1)]), (sheriff, 0, 0, [(carol, 1)])]
    )
    first.extend(second)
    assert len(first) == 2
    merged = first.card(1)
    assert (merged.card_id, merged.tabulator, merged.record_id) == ("zz", "T2", "Y")
    assert first.tallies() == {
        "Mayor": {"Alice": 1, "Bob": 1},
        "Council (RCV)": {"Xavier": 0, "Yolanda": 0},
        "Sheriff": {"Carol": 1},
    }


def test_bulk_cards_are_checked() -> None:
    cards, c = small_collection()
    bulk = BulkCards(
        card_ids=[1, 2],
        tabulators=[cards.strings.code("T")] * 2,
        batches=[cards.strings.code("B")] * 2,
        records=[1, 2],
        imprints=[ABSENT, ABSENT],
        styles=[-1, -1],
        precincts=[-1, -1],
        groups=[-1, -1],
        sheets=[-1, -1],
        sources=[0, 0],
        flags=[0, 0],
        entry_counts=[1, 2],
        e_contests=[c["mayor"], c["mayor"], c["rcv"]],
        e_overs=[0, 0, 0],
        e_unders=[0, 1, 0],
        mark_counts=[1, 0, 1],
        m_choices=[c["alice"], c["x"]],
        m_ranks=[1, 1],
    )
    cards.add_cards_bulk(bulk)
    assert cards.tallies()["Mayor"] == {"Alice": 1, "Bob": 0}
    assert cards.card(1).contests[1].marks == (Mark("Xavier", 1),)
    bulk.e_contests[2] = c["mayor"]
    with pytest.raises(CardError) as error:
        cards.add_cards_bulk(bulk)
    assert error.value.position == 1
    bulk.m_ranks.pop()
    with pytest.raises(ValueError, match="mark"):
        cards.add_cards_bulk(bulk)


def test_merge_tallies_sums_counties() -> None:
    assert merge_tallies([{"M": {"A": 1}}, {"M": {"A": 2, "B": 1}}, {"S": {"C": 4}}]) == {
        "M": {"A": 3, "B": 1},
        "S": {"C": 4},
    }


def test_a_value_out_of_range_leaves_the_collection_unchanged() -> None:
    cards, c = small_collection()
    cards.add_card(1, "T", "B", 1, [(c["rcv"], 0, 0, [(c["x"], 1)])])
    with pytest.raises(CardError, match="out of range"):
        cards.add_card(2, "T", "B", 2, [(c["rcv"], 0, 0, [(c["x"], 1), (c["y"], 70000)])])
    assert len(cards) == 1
    assert cards.tally("Council (RCV)") == {"Xavier": 1, "Yolanda": 0}
    assert cards.memory_bytes() > 0


def naive_tally(cards: CardCollection) -> dict[str, dict[str, int]]:
    """Tally card by card from the readable views, by the module's rules, for comparison."""
    result: dict[str, dict[str, int]] = {
        c.name: {cards.choices[k].name: 0 for k in c.choices} for c in cards.contests
    }
    ranked = {c.name for c in cards.contests if c.is_ranked}
    for card in cards:
        for entry in card.contests:
            if entry.overvotes:
                continue
            marks = entry.marks
            if entry.contest in ranked:
                firsts = [m for m in marks if m.rank == 1]
                marks = tuple(firsts) if len(firsts) == 1 else ()
            for mark in marks:
                result[entry.contest][mark.choice] += 1
    return result


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.tuples(st.integers(0, 2), st.integers(1, 3)), max_size=4),
            st.lists(st.tuples(st.integers(0, 2), st.integers(1, 3)), max_size=4),
            st.booleans(),
        ),
        max_size=25,
    )
)
def test_vectorized_tally_equals_card_by_card_tally(
    drawn: list[tuple[list[tuple[int, int]], list[tuple[int, int]], bool]],
) -> None:
    cards = CardCollection()
    plain = cards.contest_code("p", "Plain", 2)
    ranked = cards.contest_code("r", "Ranked")
    cards.contests[ranked].ranks = 3
    plain_choices = [cards.choice_code(plain, str(i)) for i in range(3)]
    ranked_choices = [cards.choice_code(ranked, str(i)) for i in range(3)]
    for n, (plain_marks, ranked_marks, with_ranked) in enumerate(drawn):
        entries: list[tuple[int, int | None, int | None, list[tuple[int, int]]]] = [
            (plain, None, None, [(plain_choices[c], 1) for c, _ in plain_marks])
        ]
        if with_ranked:
            entries.append((ranked, 0, 0, [(ranked_choices[c], r) for c, r in ranked_marks]))
        cards.add_card(n, "T", "B", n, entries)
    assert cards.tallies() == naive_tally(cards)
    counts = cards.contest_counts("C", by="batch")
    assert {c.contest: c.totals() for c in counts if c.units} == {
        name: votes for name, votes in cards.tallies().items() if cards.cards_with_contest()[name]
    }


def test_card_index_out_of_range() -> None:
    cards, _ = small_collection()
    cards.add_card(1, "T", "B", 1, [])
    with pytest.raises(IndexError, match="card 1 is not in a collection of 1 cards"):
        cards.card(1)
    with pytest.raises(IndexError):
        cards.card(-1)
