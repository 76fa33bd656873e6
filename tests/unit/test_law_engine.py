"""The recount-law engine on real contests: the issue's acceptance cases and the fee shapes."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papertally.errors import PapertallyError
from papertally.law import ContestResults, assess_recount, electors_dates
from papertally.law.margins import evaluate
from papertally.law.schema import AllTest, AnyTest, PercentTest, VotesTest
from papertally.model import Choice, Contest, ContestCount

WI_2016 = {
    "Trump": 1_404_440,
    "Clinton": 1_381_823,
    "Johnson": 106_674,
    "Stein": 31_072,
    "Castle": 12_162,
    "Moorehead": 1_770,
    "De La Fuente": 1_502,
    "Scattering": 36_310,
}


def wi_2016() -> ContestResults:
    """Return the 2016 Wisconsin presidential canvass (total 2,975,753 for the office)."""
    results = ContestResults("President", WI_2016, units=3_620)
    assert results.office_total == 2_975_753
    return results


def two(a: int, b: int, units: int = 0, ballots: int | None = None) -> ContestResults:
    """Return a two-candidate contest."""
    return ContestResults("Contest", {"A": a, "B": b}, units=units, ballots_cast=ballots)


def test_wisconsin_2016_president() -> None:
    a = assess_recount(wi_2016(), "WI", date(2016, 11, 8), "president")
    assert a.rule_id == "wi-2015-act36"
    assert a.automatic == [] and a.automatic_stages == []
    assert a.request.available and a.request.may_request
    assert "Any candidate" in a.request.who
    assert not a.request.free
    assert "0.7600%" in a.request.why_free and "0.25%" in a.request.why_free
    assert a.tier == "paid_on_request"
    assert a.request.fee is not None and a.request.fee.kind == "estimated_cost"
    assert a.request.fee.trued_up
    request = a.deadline("request")
    assert request is not None and request.date == date(2016, 11, 25) and request.time == "17:00"
    harbor = a.deadline("safe_harbor")
    assert harbor is not None and harbor.date == date(2016, 12, 13)
    assert any("uncertain" in u for u in a.uncertain)


def test_wisconsin_2016_any_candidate_even_stein_may_ask() -> None:
    a = assess_recount(wi_2016(), "WI", date(2016, 11, 8), "president", candidate="Stein")
    assert a.request.may_request and a.tier == "paid_on_request"


def test_wisconsin_act_120_refuses_stein_with_the_reason() -> None:
    a = assess_recount(wi_2016(), "WI", date(2018, 11, 6), "president", candidate="stein")
    assert a.rule_id == "wi-2017-act120"
    assert a.request.petitioner == "Stein"
    assert not a.request.may_request
    assert a.tier == "barred"
    assert "at most 1%" in a.request.why and "not met" in a.request.why
    clinton = assess_recount(wi_2016(), "WI", date(2018, 11, 6), "president")
    assert clinton.request.may_request and clinton.tier == "paid_on_request"


def test_wisconsin_2020_president_asks_the_next_business_day() -> None:
    a = assess_recount(two(1_630_866, 1_610_184), "WI", date(2020, 11, 3), "president")
    request = a.deadline("request")
    assert request is not None and request.date == date(2020, 11, 18)


def test_florida_2000_machine_recount_under_the_law_of_2000() -> None:
    fl = ContestResults("President", {"Bush": 2_912_790, "Gore": 2_911_006, "Other": 139_314})
    a = assess_recount(fl, "FL", date(2000, 11, 7), "president")
    assert a.rule_id == "fl-2000"
    assert a.automatic_stages == ["machine recount"]
    assert a.margin_votes == 1_784
    assert a.request.available and "manual recount" in a.request.who
    harbor = a.deadline("safe_harbor")
    assert harbor is not None and harbor.date == date(2000, 12, 12)


def test_florida_two_stage_machine_then_manual_review() -> None:
    fl = ContestResults("President", {"Bush": 2_912_790, "Gore": 2_911_006, "Other": 139_314})
    a = assess_recount(fl, "FL", date(2018, 11, 6), "us_senate")
    assert a.automatic_stages == ["machine recount", "manual review of overvotes and undervotes"]
    wider = assess_recount(two(4_075_445, 4_041_762), "FL", date(2018, 11, 6), "governor")
    assert wider.automatic_stages == ["machine recount"]
    due = [d.date for d in wider.deadlines if d.event in {"results_due", "finish"}]
    assert due == [date(2018, 11, 15), date(2018, 11, 18)]


def test_pennsylvania_automatic_only_for_statewide_offices() -> None:
    close = two(3_380_310, 3_350_972)
    senate = assess_recount(close, "PA", date(2024, 11, 5), "us_senate")
    assert senate.automatic_stages == ["automatic recount and recanvass"]
    finish = senate.deadline("finish")
    assert finish is not None and finish.date == date(2024, 11, 26)
    house = assess_recount(close, "PA", date(2024, 11, 5), "state_house")
    assert house.automatic_stages == []
    assert house.request.fee is not None and "$50.00 per district" in house.request.fee.arithmetic
    wide = assess_recount(two(3_500_000, 3_400_000), "PA", date(2024, 11, 5), "us_senate")
    assert wide.automatic_stages == []


def test_michigan_2016_fee_is_125_dollars_per_precinct() -> None:
    mi = ContestResults(
        "President",
        {"Trump": 2_279_543, "Clinton": 2_268_839, "Johnson": 172_136, "Stein": 51_463},
        units=7_786,
    )
    a = assess_recount(mi, "MI", date(2016, 11, 8), "president", candidate="Stein")
    assert a.request.fee is not None
    assert a.request.fee.amount == 973_250
    assert "$125.00 x 7,786" in a.request.fee.arithmetic
    request = a.deadline("request")
    assert request is not None and request.date == date(2016, 11, 30)
    close = assess_recount(two(100_000, 99_700, units=40), "MI", date(2016, 11, 8), "president")
    assert close.request.fee is not None and close.request.fee.amount == 25 * 40


def test_washington_needs_both_tests() -> None:
    when = date(2024, 11, 5)
    under_both = assess_recount(two(1_000_750, 999_250), "WA", when, "governor")
    assert under_both.automatic_stages == ["machine recount"]
    votes_only = assess_recount(two(100_000, 98_800), "WA", when, "governor")
    assert votes_only.automatic_stages == []
    assert "not met" in votes_only.automatic[0].why
    share_only = assess_recount(two(2_001_200, 1_998_800), "WA", when, "governor")
    assert share_only.automatic_stages == []
    hand = assess_recount(two(1_000_400, 999_600), "WA", when, "governor")
    assert hand.automatic_stages == ["manual recount (statewide)"]


def test_washington_fee_per_ballot() -> None:
    a = assess_recount(two(600_000, 400_000, ballots=1_010_000), "WA", date(2024, 11, 5),
                       "governor")  # fmt: skip
    assert a.request.fee is not None and a.request.fee.amount == pytest.approx(151_500)


def test_colorado_uses_the_winners_votes() -> None:
    when = date(2024, 11, 5)
    inside = assess_recount(two(100_000, 99_550), "CO", when, "statewide")
    assert inside.automatic_stages == ["automatic recount"]
    outside = assess_recount(two(100_000, 99_400), "CO", when, "statewide")
    assert outside.margin_pct_of_office < 0.5
    assert outside.automatic_stages == []
    assert "the winner's votes (100,000)" in outside.automatic[0].why


def test_fee_shapes_new_hampshire_indiana_idaho() -> None:
    when = date(2024, 11, 5)
    nh = assess_recount(two(100_000, 99_000), "NH", when, "president")
    assert nh.request.fee is not None and nh.request.fee.amount == 500
    nh_rep = assess_recount(two(1_000, 975), "NH", when, "state_house")
    assert nh_rep.request.fee is not None and nh_rep.request.fee.amount == 20
    indiana = assess_recount(two(10_000, 9_950, units=25), "IN", when, "local")
    assert indiana.request.fee is not None and indiana.request.fee.amount == 100 + 10 * 15
    idaho = assess_recount(two(2_003, 1_998), "ID", when, "local")
    assert idaho.request.free and idaho.tier == "free_on_request"


def test_electors_dates_change_with_the_electoral_count_reform_act() -> None:
    old = electors_dates(date(2020, 11, 3))
    assert (
        old is not None and old.meeting == date(2020, 12, 14) and old.deadline == date(2020, 12, 8)
    )
    new = electors_dates(date(2024, 11, 5))
    assert new is not None and new.meeting == date(2024, 12, 17)
    assert new.deadline == date(2024, 12, 11) and "ascertainment" in new.deadline_name


def test_bad_input_is_explained() -> None:
    with pytest.raises(PapertallyError, match="office is missing"):
        assess_recount(two(10, 5), "WI", date(2016, 11, 8), None)
    with pytest.raises(PapertallyError, match="did you mean 'president'"):
        assess_recount(two(10, 5), "WI", date(2016, 11, 8), "presdent")
    with pytest.raises(PapertallyError, match="no losing candidate"):
        assess_recount(ContestResults("Sheriff", {"Solo": 900, "Scattering": 4}), "WI",
                       date(2016, 11, 8), "county")  # fmt: skip
    with pytest.raises(PapertallyError, match="did you mean 'Stein'"):
        assess_recount(wi_2016(), "WI", date(2016, 11, 8), "president", candidate="Stien")


def test_results_from_a_model_count() -> None:
    contest = Contest("Mayor", choices=[Choice("A"), Choice("B")])
    count = ContestCount(contest="Mayor", name="original canvass")
    count.set_votes("X|1", "A", 60)
    count.set_votes("X|2", "A", 40)
    count.set_votes("X|2", "B", 90)
    results = ContestResults.from_count(contest, count)
    assert results.totals == {"A": 100, "B": 90} and results.units == 2
    assert results.ballots_cast is None


@given(
    st.integers(0, 10_000), st.integers(10, 1_000_000), st.floats(0.01, 5), st.integers(1, 5_000)
)
def test_lesser_of_and_greater_of_match_min_and_max(
    margin: int, rest: int, pct: float, cap: int
) -> None:
    results = ContestResults("C", {"A": margin + rest, "B": rest, "C": 7})
    s = results.standing()
    percent = PercentTest(value=pct, base="office_total", op="<=")
    votes = VotesTest(value=cap, op="<=")
    limit = results.office_total * pct / 100
    assert evaluate(AllTest(tests=[percent, votes]), s).passed == (margin <= min(limit, cap))
    assert evaluate(AnyTest(tests=[percent, votes]), s).passed == (margin <= max(limit, cap))


def test_primaries_and_general_elections_differ() -> None:
    close = two(100_000, 99_800)
    general = assess_recount(close, "AL", date(2024, 11, 5), "governor")
    assert general.automatic_stages == ["automatic recount"]
    primary = assess_recount(close, "AL", date(2024, 5, 21), "governor", "primary")
    assert primary.automatic_stages == []
    assert "does not apply to a primary" in primary.automatic[0].why


def test_deadline_shapes() -> None:
    ks = assess_recount(two(100_000, 90_000), "KS", date(2024, 11, 5), "us_senate")
    request = ks.deadline("request")
    assert request is not None and request.date == date(2024, 11, 15) and request.time == "17:00"
    wv = assess_recount(two(100, 90), "WV", date(2024, 11, 5), "local",
                        anchors={"canvass": date(2024, 11, 15)})  # fmt: skip
    request = wv.deadline("request")
    assert request is not None and request.date == date(2024, 11, 19)
    given = assess_recount(wi_2016(), "WI", date(2016, 11, 8), "president",
                           anchors={"canvass": date(2016, 11, 22)})  # fmt: skip
    request = given.deadline("request")
    assert request is not None and request.date == date(2016, 11, 28)
    unknown = assess_recount(two(100, 90), "GA", date(2024, 11, 5), "us_house")
    request = unknown.deadline("request")
    assert request is not None and request.date is None and "--certification-date" in request.why


def test_counting_days() -> None:
    from papertally.law.calendar import add_days

    saturday = date(2024, 11, 16)
    assert add_days(saturday, 2, "calendar_no_sundays", "KY") == date(2024, 11, 19)
    assert add_days(date(2016, 11, 23), 1, "business", "WI") == date(2016, 11, 25)
