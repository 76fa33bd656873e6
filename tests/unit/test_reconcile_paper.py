"""Paper-record reconciliation: poll book, ballots, absentee envelopes and votes."""

from __future__ import annotations

from papertally.reconcile.paper import (
    BalanceCheck,
    ChallengedBallot,
    PaperRecords,
    reconcile_paper_records,
    summarize_balances,
    summarize_by_county,
)


def test_a_ward_whose_records_agree_balances() -> None:
    records = PaperRecords(
        poll_book_voters=400,
        ballots_issued=401,
        ballots_counted=400,
        absentee_envelopes=50,
        absentee_ballots=50,
        challenged=(ChallengedBallot("voter not on poll list", rejected=True),),
    )
    balance = reconcile_paper_records("Dane|Ward 1", "Dane", records, {"A": 210, "B": 188})
    assert balance.balanced
    assert set(balance.checks_made) == set(BalanceCheck)
    assert balance.largest_imbalance == 0


def test_detroit_precinct_with_52_ballots_for_307_voters_is_flagged() -> None:
    records = PaperRecords(poll_book_voters=307, ballots_counted=52)
    balance = reconcile_paper_records("Wayne|Detroit 152", "Wayne", records, {"A": 40, "B": 12})
    assert not balance.balanced
    (imbalance,) = balance.imbalances
    assert imbalance.check is BalanceCheck.POLL_BOOK_VS_BALLOTS
    assert imbalance.difference == -255
    assert balance.largest_imbalance == 255


def test_more_votes_than_ballots_allow_is_flagged_but_undervotes_are_not() -> None:
    over = reconcile_paper_records("C|1", "C", PaperRecords(ballots_counted=100), {"A": 101})
    under = reconcile_paper_records("C|2", "C", PaperRecords(ballots_counted=100), {"A": 90})
    two_seats = reconcile_paper_records(
        "C|3", "C", PaperRecords(ballots_counted=100), {"A": 100, "B": 100}, votes_allowed=2
    )
    assert [i.check for i in over.imbalances] == [BalanceCheck.VOTES_VS_BALLOTS]
    assert under.balanced
    assert two_seats.balanced


def test_absentee_envelopes_and_tolerance() -> None:
    records = PaperRecords(absentee_envelopes=30, absentee_ballots=31)
    assert not reconcile_paper_records("C|1", "C", records, {}).balanced
    assert reconcile_paper_records("C|1", "C", records, {}, tolerance=1).balanced


def test_unknown_records_make_no_check() -> None:
    balance = reconcile_paper_records("C|1", "C", PaperRecords(), {"A": 5})
    assert balance.checks_made == ()
    assert balance.balanced


def test_summaries_count_unbalanced_wards_per_county_and_state() -> None:
    balances = [
        reconcile_paper_records(
            "A|1", "A", PaperRecords(poll_book_voters=10, ballots_counted=10), {}
        ),
        reconcile_paper_records(
            "A|2", "A", PaperRecords(poll_book_voters=10, ballots_counted=7), {}
        ),
        reconcile_paper_records(
            "B|1",
            "B",
            PaperRecords(
                poll_book_voters=5,
                ballots_counted=6,
                challenged=(
                    ChallengedBallot("no initials", 2),
                    ChallengedBallot("x", rejected=True),
                ),
            ),
            {},
        ),
    ]
    state = summarize_balances(balances)
    assert (state.wards_checked, state.wards_unbalanced) == (3, 2)
    assert state.net_ballot_difference == -3 + 1
    assert (state.challenged_ballots, state.rejected_ballots) == (3, 1)
    assert [b.unit for b in state.unbalanced] == ["A|2", "B|1"]
    counties = summarize_by_county(balances)
    assert list(counties) == ["A", "B"]
    assert counties["A"].wards_unbalanced == 1
