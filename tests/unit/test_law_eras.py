"""Recount law back to 2000 (issue 12): the acceptance cases, each citing its source, the
"unknown era" answer, and the rules that were wrong (Washington today, Michigan's standing and
per-precinct fee)."""

from __future__ import annotations

from datetime import date

import pytest

from papertally.errors import PapertallyError
from papertally.law import ContestResults, assess_recount, rule_for
from papertally.law.doc import coverage_by_year, general_election_day
from papertally.law.engine import UnitCount
from papertally.law.rules import UnknownEraError, load_all


def two(a: int, b: int, units: int = 0, level: str | None = None) -> ContestResults:
    """Return a two-candidate contest."""
    return ContestResults("Contest", {"A": a, "B": b}, units=units, unit_level=level)


def test_florida_2000() -> None:
    """Bush v. Gore, 531 U.S. 98 (2000): the automatic machine recount under Fla. Stat.
    § 102.141(4) at 0.5% or less, and manual recounts on a candidate's or party's request to the
    county canvassing boards under § 102.166 (https://supreme.justia.com/cases/federal/us/531/98/).
    """
    fl = ContestResults("President", {"Bush": 2_912_790, "Gore": 2_911_006, "Other": 139_314})
    a = assess_recount(fl, "FL", date(2000, 11, 7), "president", candidate="Gore")
    assert a.rule_id == "fl-2000" and a.automatic_stages == ["machine recount"]
    assert "0.5% of all votes for the office" in a.automatic[0].why
    assert a.request.available and a.request.may_request
    assert "county canvassing board" in a.request.who and "manual recount" in a.request.who
    wide = assess_recount(two(1_000_000, 980_000), "FL", date(2000, 11, 7), "president")
    assert wide.automatic_stages == []


def test_washington_2004_governor() -> None:
    """Gregoire-Rossi: Rossi led the first count by 261 votes, so the machine recount was
    mandatory (under 2,000 votes and 0.5%); it left him 42 ahead, and the Democrats requested and
    paid for the statewide hand recount (a $730,000 deposit), which reversed the result. Margins:
    AP in The Seattle Times, 2004-12-30
    (http://community.seattletimes.nwsource.com/archive/?date=20041230&slug=webguvrace30) and
    McDonald v. Reed, 153 Wn.2d 201 (2004); the deposit: Washington Post, 2004-12-03. Law: RCW
    29A.64 as recodified by Laws of 2004, ch. 271 (MRSC archive).

    The per-candidate totals once typed here (Rossi 1,371,153, Gregoire 1,370,892) were not
    found in any allowed source, so the contest is built from the sourced facts only: the
    261-vote margin and about 2.74 million votes for the two (of "more than 2.8 million" ballots,
    the Libertarian Bennett taking about 2%, AP 2004-11-03 in USA Today)."""
    wa = ContestResults("Governor", {"Rossi": 1_370_261, "Gregoire": 1_370_000})
    a = assess_recount(wa, "WA", date(2004, 11, 2), "governor", method="manual")
    assert a.rule_id == "wa-2004" and a.margin_votes == 261
    assert a.automatic_stages == ["machine recount"]
    assert a.request.available and a.request.may_request and not a.request.free
    assert a.request.fee is not None and a.request.fee.amount is not None
    assert "$0.25 x" in a.request.fee.arithmetic
    # 25 cents on the 2.74 million votes for the two (ballots cast were somewhat more): about
    # the $730,000 the Democrats deposited.
    assert 650_000 < a.request.fee.amount < 760_000
    assert "outcome" in a.request.refund


def test_washington_current_law_is_one_free_hand_recount() -> None:
    """RCW 29A.64.021 (as amended by Laws of 2005, ch. 243): statewide, under 1,000 votes and
    0.25% of the two candidates' votes, the mandatory recount is by hand instead of by machine,
    and no cost may be charged to any candidate. The engine used to report both recounts and a
    fee of $421,238.55."""
    close = ContestResults("Governor", {"A": 1_684_000, "B": 1_683_200}, ballots_cast=3_400_000)
    a = assess_recount(close, "WA", date(2024, 11, 5), "governor")
    assert a.rule_id == "wa-2005"
    assert a.automatic_stages == ["manual recount (statewide)"]
    machine = a.automatic[0]
    assert machine.name == "machine recount" and "replaced by the manual recount" in machine.why
    assert a.request.free and a.request.fee is None
    assert "No cost of a mandatory recount may be charged" in a.request.why_free
    fees = [f for f in a.findings if f.topic == "fee"]
    assert fees == []
    machine_only = assess_recount(two(1_000_000, 998_500), "WA", date(2024, 11, 5), "governor")
    assert machine_only.automatic_stages == ["machine recount"]


def test_minnesota_2008_senate() -> None:
    """Coleman-Franken: the State Canvassing Board's count of 2008-11-18 had Coleman 1,211,590,
    Franken 1,211,375, a margin of 215 (Minnesota Secretary of State via AP, USA Today,
    2009-01-05: http://usatoday30.usatoday.com/news/politics/2009-01-05-minn-senate_N.htm);
    Barkley's 437,505 is his final certified figure (Minnesota Election Archive). Under 0.5%, so
    an automatic recount at public cost; Minn. Stat. § 204C.35 subd. 1 (2007 text, Revisor of
    Statutes), made a hand recount by Laws 2008, ch. 336.

    The figures once typed here (Coleman 1,212,629, Franken 1,212,414) were wrong: 1,212,629 is
    Franken's final total after the 2009 election contest, when he led by 312."""
    mn = ContestResults(
        "U.S. Senate", {"Coleman": 1_211_590, "Franken": 1_211_375, "Barkley": 437_505}
    )
    a = assess_recount(mn, "MN", date(2008, 11, 4), "us_senate")
    assert a.rule_id == "mn-2008" and a.margin_votes == 215
    assert a.automatic_stages == ["automatic hand recount"] and a.tier == "automatic"
    assert "0.5%" in a.automatic[0].why
    wide = assess_recount(two(1_000_000, 980_000), "MN", date(2008, 11, 4), "us_senate")
    assert wide.automatic_stages == []


def test_vermont_2006_auditor() -> None:
    """Brock 111,486, Salmon 111,349 (Brattleboro Reformer, 2006-12-05); a losing candidate
    could seek a recount at state expense under 5% (VPR, 2006); the hand recount reversed it."""
    vt = ContestResults(
        "Auditor", {"Brock": 111_486, "Salmon": 111_349, "Abbott": 23_454, "Levy": 4_229}
    )
    a = assess_recount(vt, "VT", date(2006, 11, 7), "statewide")
    assert a.rule_id == "vt-2006" and a.margin_votes == 137
    assert a.request.may_request and a.request.free and a.tier == "free_on_request"
    assert a.automatic_stages == []
    brock = assess_recount(vt, "VT", date(2006, 11, 7), "statewide", candidate="Brock")
    assert not brock.request.may_request


def test_ohio_2022() -> None:
    """Ohio Rev. Code § 3515.011 (unchanged since S.B. 79, 1984, per codes.ohio.gov): automatic
    recount at 0.25% or less of the total vote statewide, 0.5% in district and county races."""
    when = date(2022, 11, 8)
    assert rule_for("OH", when).id == "oh-2000"
    inside = assess_recount(two(1_000_000, 995_500), "OH", when, "us_senate")
    assert inside.automatic_stages == ["automatic recount (statewide)"]
    outside = assess_recount(two(1_000_000, 994_000), "OH", when, "us_senate")
    assert outside.automatic_stages == []
    house = assess_recount(two(100_000, 99_600), "OH", when, "us_house")
    assert house.automatic_stages == ["automatic recount (other contests)"]


def test_alaska_2022_and_the_unknown_era_before() -> None:
    """Alaska Stat. 15.20.430-.450 (CEIMN database, 2018): a tie is recounted automatically; a
    defeated candidate or 10 voters may ask, free within 20 votes or under 0.5% of the two
    candidates' votes."""
    when = date(2022, 11, 8)
    assert rule_for("AK", when).id == "ak-2018"
    free = assess_recount(two(10_000, 9_990), "AK", when, "state_house")
    assert free.automatic_stages == [] and free.request.free
    tie = assess_recount(two(5_000, 5_000), "AK", when, "state_house")
    assert tie.automatic_stages == ["tie recount"]
    with pytest.raises(UnknownEraError, match="unknown era") as caught:
        rule_for("AK", date(2010, 11, 2))
    assert "$1,000 / $2,000 / $15,000 is not established" in str(caught.value)
    assert "ak-2018 2018-09-27" in str(caught.value)


def test_wisconsin_2011_prosser_kloppenburg_was_free() -> None:
    """Prosser 752,323, Kloppenburg 745,007, scattering 1,550 (WEC ward report): 0.488%, within
    the 0.5% free margin of Wis. Stat. § 9.01 before 2015 Act 36. The Government Accountability
    Board's memo to clerks of April 2011 (https://elections.wi.gov/node/1714): at 0.488% "the
    petitioner would not be required to pay any fee"; the counties bear the cost."""
    wi = ContestResults(
        "Supreme Court", {"Prosser": 752_323, "Kloppenburg": 745_007, "Scattering": 1_550}
    )
    a = assess_recount(wi, "WI", date(2011, 4, 5), "statewide")
    assert a.rule_id == "wi-pre2015"
    assert round(a.margin_pct_of_office, 3) == 0.488
    assert a.request.free and a.request.fee is None and a.tier == "free_on_request"
    later = assess_recount(wi, "WI", date(2016, 4, 5), "statewide")
    assert not later.request.free  # Act 36: free only at 0.25% or less


def test_an_era_the_sources_do_not_establish_is_answered_as_unknown() -> None:
    with pytest.raises(UnknownEraError) as caught:
        rule_for("VT", date(2012, 11, 6))
    message = str(caught.value)
    assert "unknown era" in message and "does not guess" in message
    assert "2% (5% for state representative)" in message
    assert rule_for("VT", date(2024, 11, 5)).id == "vt-2024"
    assert rule_for("VT", date(2006, 11, 7)).id == "vt-2006"


def test_a_date_before_2000_is_refused_in_one_line() -> None:
    with pytest.raises(PapertallyError, match="before 2000-01-01") as caught:
        rule_for("WA", date(1999, 11, 2))
    assert "\n" not in str(caught.value)


MI_2016 = {"Trump": 2_279_543, "Clinton": 2_268_839, "Johnson": 172_136, "Stein": 51_463}


def test_michigan_2016_stein_may_petition_but_standing_is_contested() -> None:
    """Attorney General v Board of State Canvassers, 318 Mich App 242 (2016): Stein, 4th with
    about 1%, was not 'aggrieved' under MCL 168.879(1)(b)."""
    mi = ContestResults("President", MI_2016, units=7_786, unit_level="precinct")
    a = assess_recount(mi, "MI", date(2016, 11, 8), "president", candidate="Stein")
    assert a.request.petition == "contested"
    petitioner = next(f for f in a.findings if f.topic == "petitioner")
    assert petitioner.conclusion == (
        "Stein may petition: contested (court held not aggrieved in 2016)"
    )
    assert "318 Mich App 242" in a.request.why
    clinton = assess_recount(mi, "MI", date(2016, 11, 8), "president", candidate="Clinton")
    assert clinton.request.petition == "may"


def test_michigan_per_precinct_fee_needs_a_precinct_count() -> None:
    """$125 a precinct: 83 counties gave $10,375; the 7,786 precincts give $973,250."""
    county_level = ContestResults("President", MI_2016, units=83, unit_level="county")
    a = assess_recount(county_level, "MI", date(2016, 11, 8), "president", candidate="Stein")
    assert a.request.fee is not None and a.request.fee.amount == 973_250
    assert "published count" in a.request.units
    given = assess_recount(county_level, "MI", date(2016, 11, 8), "president", candidate="Stein",
                           units=UnitCount(100, "precinct", "100 precincts given"))  # fmt: skip
    assert given.request.fee is not None and given.request.fee.amount == 12_500
    no_count = assess_recount(county_level, "MI", date(2020, 11, 3), "president")
    assert no_count.request.fee is not None and no_count.request.fee.amount is None
    assert "give --precincts N" in no_count.request.units


def test_targeted_petitions_only_where_the_state_allows_them() -> None:
    wi = two(1_630_866, 1_610_184)
    a = assess_recount(wi, "WI", date(2020, 11, 3), "president", counties=["Milwaukee", "Dane"])
    assert a.counties == ["Milwaukee", "Dane"] and a.request.partial == "counties_and_wards"
    with pytest.raises(PapertallyError, match="does not allow a recount petition for only some"):
        assess_recount(two(100_000, 99_000), "VT", date(2006, 11, 7), "statewide",
                       counties=["Windham"])  # fmt: skip


def test_pennsylvania_before_and_after_act_97_of_2004() -> None:
    """Act 97 (Oct. 8, 2004, P.L. 807) added the automatic statewide recount at 0.5% (§ 1404(g),
    per the General Assembly's bill text citing it); before it, recounts were by petition, district
    by district (The Morning Call, 2004-10-07)."""
    close = two(2_485_967, 2_480_000)
    before = assess_recount(close, "PA", date(2000, 11, 7), "president")
    assert before.rule_id == "pa-pre2004" and before.automatic_stages == []
    assert before.request.fee is not None and "$50.00 per district" in before.request.fee.arithmetic
    after = assess_recount(close, "PA", date(2004, 11, 2), "president")
    assert after.rule_id == "pa-2004"
    assert after.automatic_stages == ["automatic recount and recanvass"]


def test_north_carolina_statewide_right_to_a_recount_since_1989() -> None:
    """S.L. 1989-89: statewide, a recount within the lesser of 0.5% or 10,000 votes; carried into
    G.S. 163-182.7 by S.L. 2001-398."""
    within = two(1_000_000, 995_500)
    for when, rule in ((date(2000, 11, 7), "nc-1989"), (date(2008, 11, 4), "nc-2002")):
        a = assess_recount(within, "NC", when, "us_senate")
        assert a.rule_id == rule and a.request.may_request, rule
    big = two(3_000_000, 2_989_000)  # 0.18%, but more than 10,000 votes
    assert not assess_recount(big, "NC", date(2008, 11, 4), "us_senate").request.may_request


def test_new_hampshire_connecticut_and_virginia_back_to_what_the_sources_confirm() -> None:
    assert rule_for("NH", date(2016, 11, 8)).id == "nh-2008"
    with pytest.raises(UnknownEraError, match="1994, 1995 and 2008"):
        rule_for("NH", date(2004, 11, 2))
    assert rule_for("CT", date(2016, 11, 8)).id == "ct-2013"
    with pytest.raises(UnknownEraError, match=r"231 Conn\. 602"):
        rule_for("CT", date(2008, 11, 4))
    assert rule_for("VA", date(2021, 11, 2)).id == "va-2020"
    with pytest.raises(UnknownEraError, match=r"24\.2-800"):
        rule_for("VA", date(2009, 11, 3))


def test_michigan_automatic_recount_since_1970_and_no_invented_fee() -> None:
    """MCL 168.880a (1969 PA 268, eff. 1970-03-20; Michigan Legislature): a statewide contest
    decided by 2,000 votes or less is recounted; the pre-2016 deposit amounts are unknown."""
    a = assess_recount(two(1_500_000, 1_498_500), "MI", date(2004, 11, 2), "us_senate")
    assert a.rule_id == "mi-1970" and a.automatic_stages == ["automatic recount"]
    house = assess_recount(two(150_000, 140_000), "MI", date(2004, 11, 2), "us_house")
    assert house.request.fee is not None and house.request.fee.amount is None
    assert "not established" in house.request.fee.arithmetic


def test_minnesota_2001_rewrite_and_the_1997_text_before_it() -> None:
    """Revisor of Statutes: § 204C.35 subd. 1 rewritten by Laws 2001 ch. 10 (statewide offices
    under 0.5%), made manual by Laws 2008 ch. 336; the 1997 text covered only legislative and
    district judicial races."""
    a = assess_recount(two(1_000_000, 996_000), "MN", date(2006, 11, 7), "us_senate")
    assert a.rule_id == "mn-2001" and a.automatic_stages == ["automatic recount"]
    with pytest.raises(UnknownEraError, match="legislative and district judicial"):
        rule_for("MN", date(2000, 11, 7))


def test_south_carolina_one_percent_automatic_recount_since_before_2000() -> None:
    """S.C. Code § 7-17-280 as quoted by the General Assembly's 1999 S. 245: a recount at not
    more than 1% of the votes for the office, unless the other candidate waives it."""
    a = assess_recount(two(1_000_000, 985_000), "SC", date(2004, 11, 2), "us_senate")
    assert a.rule_id == "sc-2000" and a.automatic_stages == ["automatic recount"]
    assert a.automatic[0].waivable


def test_montana_2006_senate_and_nebraska_2012() -> None:
    """Montana 2006 (Election Law @ Moritz, 2006-11-08): a state-funded recount at 1/4 of 1% or
    less on the defeated candidate's petition; a bond between 1/4 and 1/2 of 1%. Nebraska: an
    automatic recount at 1% of the winner's votes (CEIMN, 2010)."""
    wide = assess_recount(two(200_000, 196_000), "MT", date(2006, 11, 7), "us_senate")
    assert wide.rule_id == "mt-2000" and not wide.request.may_request  # 1%: beyond the right
    close = assess_recount(two(100_000, 99_800), "MT", date(2006, 11, 7), "us_senate")
    assert close.request.may_request and close.request.free
    ne = assess_recount(two(100_000, 99_100), "NE", date(2012, 11, 6), "us_house")
    assert ne.rule_id == "ne-2010" and ne.automatic_stages == ["automatic recount"]


def test_alabama_automatic_recount_in_general_elections_from_2010() -> None:
    """Code of Ala. § 17-16-20 (CEIMN, 2010-10-21): automatic recount of a general election at
    0.5% or less, waivable; not in primaries (Attorney General, June 2010)."""
    general = assess_recount(two(100_000, 99_600), "AL", date(2010, 11, 2), "governor")
    assert general.rule_id == "al-2010" and general.automatic_stages == ["automatic recount"]
    primary = assess_recount(two(100_000, 99_600), "AL", date(2012, 3, 13), "state_house",
                             "primary")  # fmt: skip
    assert primary.automatic_stages == []


def test_new_york_before_and_after_the_2021_automatic_hand_recount() -> None:
    """Before 2021 New York had no automatic recount in close elections (The Citizen, Auburn,
    2019-12-16); from 2021-01-01 a hand recount at 20 votes or 0.5% (NewsChannel 9, 2020-12-31)."""
    close = two(100_000, 99_900)
    before = assess_recount(close, "NY", date(2020, 11, 3), "us_house")
    assert before.rule_id == "ny-pre2021" and before.tier == "barred"
    after = assess_recount(close, "NY", date(2022, 11, 8), "us_house")
    assert after.rule_id == "ny-2021" and after.automatic_stages == ["automatic hand recount"]


def test_washington_2000_senate_recount_had_no_vote_cap() -> None:
    """Cantwell 1,199,260, Gorton 1,197,307 before the recount (AP, The Daily Herald,
    https://www.heraldnet.com/news/cantwell-stays-in-lead/): "a recount is automatic when an
    election margin is less than half of 1 percent of the vote, which would be about 12,000 votes
    in this case" - RCW 29.64.015 as amended by Laws 1991 ch. 90, no 2,000-vote cap yet."""
    wa = ContestResults("U.S. Senate", {"Cantwell": 1_199_260, "Gorton": 1_197_307})
    a = assess_recount(wa, "WA", date(2000, 11, 7), "us_senate")
    assert a.rule_id == "wa-2000" and a.margin_votes == 1_953
    assert a.automatic_stages == ["machine recount"]
    # 5,000 votes of 2.4 million is inside 0.5% but over 2,000: a recount in 2000, not in 2004.
    wider = two(1_202_500, 1_197_500)
    assert assess_recount(wider, "WA", date(2000, 11, 7), "us_senate").automatic_stages == [
        "machine recount"
    ]
    assert assess_recount(wider, "WA", date(2004, 11, 2), "us_senate").automatic_stages == []
    assert a.request.fee is None or a.request.fee.amount is None  # deposit not established
    # Laws 2001 ch. 225 (effective 2001-07-22) added the 2,000-vote cap (the enacted bill's
    # digest, leg.wa.gov): the same 5,000-vote margin is no longer recounted in 2002.
    assert rule_for("WA", date(2002, 11, 5)).id == "wa-2001"
    assert assess_recount(wider, "WA", date(2002, 11, 5), "us_senate").automatic_stages == []
    close = assess_recount(two(1_000_000, 998_500), "WA", date(2002, 11, 5), "us_senate")
    assert close.automatic_stages == ["machine recount"]


def test_arizona_2010_proposition_112_automatic_recount() -> None:
    """Proposition 112 failed by 123 votes; state law required an automatic recount of a
    constitutional amendment decided by 200 votes or less (Arizona Republic, 2010-11-16,
    http://archive.azcentral.com/arizonarepublic/local/articles/2010/11/16/20101116arizona-prop-112-recount.html).
    The article gives the margin and about 1.75 million ballots, not the totals, so the contest
    is built from those two figures."""
    prop = ContestResults("Proposition 112", {"No": 870_123, "Yes": 870_000})
    a = assess_recount(prop, "AZ", date(2010, 11, 2), "statewide_question")
    assert a.rule_id == "az-pre2022" and a.margin_votes == 123
    assert a.automatic_stages == ["automatic recount (statewide)"]
    with pytest.raises(UnknownEraError):
        rule_for("AZ", date(2008, 11, 4))


def test_iowa_oregon_indiana_back_to_their_older_sources() -> None:
    """Iowa Code § 50.48 (2009 Code, Justia; CEIMN October 2016): no automatic recount, free
    within the greater of 50 votes or 1%. ORS 258.280 (CEIMN May 2014, 2013 ORS): automatic at
    one-fifth of one percent of the two candidates' votes. Indiana (CEIMN September 2013): no
    automatic recount, petitions to the State Recount Commission."""
    ia = assess_recount(two(600_000, 596_000), "IA", date(2010, 11, 2), "governor")
    assert ia.rule_id == "ia-2023" and ia.automatic_stages == [] and ia.request.free
    with pytest.raises(UnknownEraError):
        rule_for("IA", date(2008, 11, 4))
    oregon = assess_recount(two(800_000, 798_500), "OR", date(2014, 11, 4), "us_senate")
    assert oregon.rule_id == "or-2024" and oregon.automatic_stages == ["automatic recount"]
    assert rule_for("OR", date(2010, 11, 2)).id == "or-2024"  # The Oregonian, 2010-11-03
    with pytest.raises(UnknownEraError):
        rule_for("OR", date(2008, 11, 4))
    indiana = assess_recount(two(1_000_000, 999_000), "IN", date(2016, 11, 8), "us_senate")
    assert indiana.rule_id == "in-2024" and indiana.automatic_stages == []
    assert indiana.request.may_request


def test_texas_no_ground_needed_for_voting_system_results_since_2010() -> None:
    """Tex. Elec. Code § 212.0241 (FindLaw, current through 2024): "A ground for obtaining an
    initial recount ... is not required to obtain an initial recount of electronic voting system
    results" for a candidate shown not elected; the rule used to refuse anyone beyond 10%. CEIMN's
    Texas page of 2010-10-21 confirms the tie-only automatic recount and candidate petitions."""
    wide = two(6_000_000, 4_000_000)  # lost by 20 points, a third of the winner's votes
    a = assess_recount(wide, "TX", date(2018, 11, 6), "us_senate", candidate="B")
    assert a.rule_id == "tx-2024" and a.automatic_stages == [] and a.request.may_request
    tie = assess_recount(two(5_000, 5_000), "TX", date(2012, 11, 6), "state_house")
    assert tie.automatic_stages == ["tie recount"]
    with pytest.raises(UnknownEraError):
        rule_for("TX", date(2008, 11, 4))


def test_new_mexico_2016_quarter_percent_and_colorado_2020() -> None:
    """NMSA § 1-14-24 (2016 text, Justia): automatic recount under one-fourth of one percent of
    the votes for a federal or statewide office. C.R.S. § 1-10.5-101 (CEIMN, October 2020): 0.5%
    or less of the highest number of votes cast in the contest."""
    nm_in = assess_recount(two(400_000, 398_500), "NM", date(2016, 11, 8), "president")  # 0.19%
    assert nm_in.rule_id == "nm-2024" and nm_in.automatic_stages == ["automatic recount"]
    nm_out = assess_recount(two(400_000, 397_500), "NM", date(2016, 11, 8), "president")  # 0.31%
    assert nm_out.automatic_stages == []
    assert rule_for("NM", date(2014, 11, 4)).id == "nm-2008"  # 0.5% then
    # 4,500 votes is 0.45% of the winner's 1,000,000: automatic.
    co = assess_recount(two(1_000_000, 995_500), "CO", date(2020, 11, 3), "us_senate")
    assert co.rule_id == "co-2023" and co.automatic_stages == ["automatic recount"]
    with pytest.raises(UnknownEraError):
        rule_for("CO", date(2014, 11, 4))


def test_california_since_2010_and_nevada_since_2018_have_no_automatic_recount() -> None:
    """California (CEIMN, first released 2010-10-21): voter-requested recounts only, at the
    requester's cost. Nevada (CEIMN, 2018-11-02; NRS 293.403): any defeated candidate may demand
    a recount at any margin, depositing the estimated cost."""
    close = two(3_000_000, 2_999_000)
    ca = assess_recount(close, "CA", date(2012, 11, 6), "us_senate")
    assert ca.rule_id == "ca-2024" and ca.automatic_stages == [] and ca.request.may_request
    assert not ca.request.free
    with pytest.raises(UnknownEraError):
        rule_for("CA", date(2008, 11, 4))
    nv = assess_recount(two(500_000, 400_000), "NV", date(2018, 11, 6), "governor", candidate="B")
    assert nv.rule_id == "nv-2024" and nv.automatic_stages == [] and nv.request.may_request
    # 2016: De La Fuente, last with 2,552 votes (0.23%), could demand a recount, paying the
    # estimated cost (Nevada Appeal, 2016-12-09). Clinton 47.9% and Trump 45.5% (Las Vegas Sun,
    # 2016-11-29); the two totals are rounded from those shares, not the canvass.
    nv16 = ContestResults(
        "President", {"Clinton": 531_500, "Trump": 504_900, "De La Fuente": 2_552}
    )
    last = assess_recount(nv16, "NV", date(2016, 11, 8), "president", candidate="De La Fuente")
    assert last.request.may_request and not last.request.free
    assert rule_for("NV", date(2014, 11, 4)).id == "nv-2024"  # CEIMN, March 2014
    with pytest.raises(UnknownEraError):
        rule_for("NV", date(2012, 11, 6))


def test_coverage_by_year_counts_rules_on_general_election_day() -> None:
    """The docs' coverage row: states and DC with a rule (not an unknown era) on each year's
    general election day, the Tuesday after the first Monday in November (2 U.S.C. § 7)."""
    assert general_election_day(2000) == date(2000, 11, 7)
    assert general_election_day(2024) == date(2024, 11, 5)
    assert general_election_day(2022) == date(2022, 11, 8)
    counts = coverage_by_year(2024)
    assert counts[2024] == 51
    laws = load_all()
    for year in (2000, 2004, 2012):
        day = general_election_day(year)
        covered = [s for s, law in laws.items() if any(r.in_force(day) for r in law.rules)]
        assert counts[year] == len(covered)
    assert any(rule.in_force(date(2000, 11, 7)) for rule in laws["WA"].rules)


def test_vermont_2018_two_and_five_percent() -> None:
    """VPR, 2018-11-26 (Director of Elections Will Senning): a candidate may petition for a
    recount within 2% in county-level races and 5% for state representative."""
    county = assess_recount(two(10_000, 9_700), "VT", date(2018, 11, 6), "county")  # 1.52%
    assert county.rule_id == "vt-2024" and county.request.may_request and county.request.free
    wide = assess_recount(two(10_000, 9_500), "VT", date(2018, 11, 6), "county")  # 2.56%
    assert not wide.request.may_request
    with pytest.raises(UnknownEraError, match="in force by the 2018 general election"):
        rule_for("VT", date(2016, 11, 8))


def test_new_mexico_2014_land_commissioner_under_the_2008_act() -> None:
    """AP, 2014-12-17 (Washington Times): Dunn led Powell by 704 votes of nearly 500,000, the
    first statewide recount "since New Mexico enacted a law in 2008 for automatic recounts when
    the margin between the top two candidates is less than 0.5 percent"; by 2016 the statewide
    threshold was one-fourth of one percent (NMSA § 1-14-24, 2016 text)."""
    land = two(250_185, 249_481)  # the AP gives the margin and the total, not the split
    a = assess_recount(land, "NM", date(2014, 11, 4), "statewide")
    assert a.rule_id == "nm-2008" and a.margin_votes == 704
    assert a.automatic_stages == ["automatic recount"]
    between = two(500_000, 498_000)  # 0.2%: automatic under both texts
    wider = two(500_000, 496_000)  # 0.4%: only under the 2008 act
    assert assess_recount(wider, "NM", date(2014, 11, 4), "statewide").automatic_stages == [
        "automatic recount"
    ]
    assert assess_recount(wider, "NM", date(2016, 11, 8), "statewide").automatic_stages == []
    assert assess_recount(between, "NM", date(2016, 11, 8), "statewide").automatic_stages == [
        "automatic recount"
    ]
    with pytest.raises(UnknownEraError):
        rule_for("NM", date(2006, 11, 7))


def test_virginia_2013_attorney_general_recount() -> None:
    """Herring led Obenshain by 165 of about 2.2 million; the trailing candidate may ask within
    1%, pays above half a percent (Ballotpedia, 2013), and the localities bore the cost below
    0.5% (Reuters, 2013-11-27). Pre-recount figures: Herring 1,103,777, Obenshain 1,103,612,
    write-ins 4,892 (Virginia State Board of Elections via Ballotpedia)."""
    va = ContestResults(
        "Attorney General", {"Herring": 1_103_777, "Obenshain": 1_103_612, "Write-in": 4_892}
    )
    a = assess_recount(va, "VA", date(2013, 11, 5), "statewide", candidate="Obenshain")
    assert a.rule_id == "va-2020" and a.margin_votes == 165
    assert a.automatic_stages == [] and a.request.may_request and a.request.free
    paid = assess_recount(two(1_000_000, 988_000), "VA", date(2013, 11, 5), "statewide")  # 0.6%
    assert paid.request.may_request and not paid.request.free
    beyond = assess_recount(two(1_000_000, 975_000), "VA", date(2013, 11, 5), "statewide")  # 1.3%
    assert not beyond.request.may_request


def test_connecticut_2010_governor_was_beyond_the_2000_vote_cap() -> None:
    """Connecticut Post, 2010-11-08: an automatic recount only below one half of 1 percent or
    2,000 votes, whichever is smaller; Malloy won by 5,810 of 1.1 million, 172 votes outside the
    0.5% alone, so no recanvass."""
    governor = two(553_905, 548_095)  # the 5,810 margin of about 1.1 million, split not given
    a = assess_recount(governor, "CT", date(2010, 11, 2), "governor")
    assert a.rule_id == "ct-2013" and a.margin_votes == 5_810 and a.automatic_stages == []
    close = assess_recount(two(551_000, 549_200), "CT", date(2010, 11, 2), "governor")
    assert close.automatic_stages == ["recanvass"]


def test_new_jersey_since_2015_petition_to_the_superior_court() -> None:
    """CEIMN, June 2015 (2014 N.J. Rev. Stat. 19:28-1): no automatic recount; any candidate may
    apply to a Superior Court judge for a recount in any districts."""
    nj = assess_recount(two(1_000_000, 999_900), "NJ", date(2017, 11, 7), "governor")
    assert nj.rule_id == "nj-2023" and nj.automatic_stages == [] and nj.request.may_request
    with pytest.raises(UnknownEraError):
        rule_for("NJ", date(2013, 11, 5))


def test_utah_2014_north_dakota_2020_wyoming_2016_from_ceimn() -> None:
    """CEIMN: Utah (June 2014) - a request within 0.25%; North Dakota (2020-06-05) - automatic at
    one-half of one percent or less of the highest vote; Wyoming (2016-11-03) - automatic under
    1% of the winning candidate's votes."""
    ut = assess_recount(two(500_000, 498_000), "UT", date(2014, 11, 4), "us_house", candidate="B")
    assert ut.rule_id == "ut-2024" and ut.request.may_request  # 0.2%
    nd = assess_recount(two(200_000, 199_200), "ND", date(2020, 11, 3), "us_house")  # 0.4%
    assert nd.rule_id == "nd-2024" and nd.automatic_stages == ["automatic recount"]
    wy = assess_recount(two(100_000, 99_200), "WY", date(2016, 11, 8), "us_house")  # 0.8%
    assert wy.rule_id == "wy-2024" and wy.automatic_stages == ["automatic recount"]
    for state, before in (("UT", date(2012, 11, 6)), ("ND", date(2018, 11, 6)),
                          ("WY", date(2014, 11, 4))):  # fmt: skip
        with pytest.raises(UnknownEraError):
            rule_for(state, before)


def test_oklahoma_2016_no_automatic_recount_of_state_questions_yet() -> None:
    """CEIMN, February 2016: candidate-, voter- and official-initiated recounts only; the
    automatic recount of close state questions came with 2021 H.B. 2564."""
    question = two(500_000, 498_000)  # 0.2%
    early = assess_recount(question, "OK", date(2018, 11, 6), "statewide_question")
    assert early.rule_id == "ok-2016" and early.automatic_stages == []
    now = assess_recount(question, "OK", date(2024, 11, 5), "statewide_question")
    assert now.automatic_stages == ["automatic recount (state question)"]
    # 2021 H.B. 2564, signed 2021-05-10 (The Oklahoman, 2021-05-13), in force 2021-11-01
    # (Southwest Ledger): the 2022 elections fall under it, the 2021 spring ones did not.
    assert rule_for("OK", date(2022, 11, 8)).id == "ok-2024"
    assert rule_for("OK", date(2021, 11, 1)).id == "ok-2024"
    assert rule_for("OK", date(2021, 10, 31)).id == "ok-2016"


def test_idaho_massachusetts_rhode_island_from_their_ceimn_pages() -> None:
    """CEIMN: Idaho (March 2016; Idaho Code § 34-2309 last amended 2015 chs. 282, 287) - a free
    recount within the greater of 0.1% or 5 votes; Massachusetts (September 2015) - petitions with
    voter signatures, close margin for statewide races; Rhode Island (2016-04-25) - candidate
    requests within close margins."""
    idaho = assess_recount(two(300_000, 299_800), "ID", date(2016, 11, 8), "us_house")  # 0.03%
    assert idaho.rule_id == "id-2022" and idaho.request.free
    ma = assess_recount(two(1_200_000, 1_195_000), "MA", date(2018, 11, 6), "governor")  # 0.21%
    assert ma.rule_id == "ma-2022" and ma.request.may_request
    ri = assess_recount(two(200_000, 199_000), "RI", date(2016, 11, 8), "us_house")  # 0.25%
    assert ri.rule_id == "ri-2024" and ri.request.may_request
    for state, before in (("ID", date(2014, 11, 4)), ("MA", date(2014, 11, 4)),
                          ("RI", date(2014, 11, 4))):  # fmt: skip
        with pytest.raises(UnknownEraError):
            rule_for(state, before)


def test_tennessee_dc_arkansas_from_their_ceimn_pages() -> None:
    """CEIMN: Tennessee (2010-10-21) - recounts only inside an election contest (T.C.A.
    § 2-17-117); District of Columbia (September 2013) - automatic under 1% for the listed
    offices (D.C. Code § 1-1001.11); Arkansas (February 2016) - candidate petitions, paid
    (A.C.A. § 7-5-319)."""
    tn = assess_recount(two(1_000_000, 999_000), "TN", date(2012, 11, 6), "us_senate")
    assert tn.rule_id == "tn-2023" and not tn.request.available
    dc = assess_recount(two(100_000, 99_500), "DC", date(2014, 11, 4), "local")  # 0.25%
    assert dc.rule_id == "dc-2024" and dc.automatic_stages == ["automatic recount"]
    ar = assess_recount(two(500_000, 400_000), "AR", date(2016, 11, 8), "us_senate", candidate="B")
    assert ar.rule_id == "ar-2024" and ar.request.may_request and not ar.request.free
    for state, before in (("TN", date(2008, 11, 4)), ("DC", date(2012, 11, 6)),
                          ("AR", date(2014, 11, 4))):  # fmt: skip
        with pytest.raises(UnknownEraError):
            rule_for(state, before)


def test_illinois_louisiana_mississippi_back_to_their_older_sources() -> None:
    """Illinois (Illinois Public Media, 2010-11-03): the loser may ask for a discovery recount
    of a quarter of the ballots, which cannot change the result. Louisiana (CEIMN, July 2015):
    recounts only of absentee and early ballots. Mississippi (CEIMN, statutes through 2015): no
    recount law."""
    il = assess_recount(two(1_745_000, 1_713_000), "IL", date(2010, 11, 2), "governor")
    assert il.rule_id == "il-2022" and il.automatic_stages == []
    la = assess_recount(two(700_000, 690_000), "LA", date(2015, 11, 21), "governor")
    assert la.rule_id == "la-2024" and la.automatic_stages == []
    ms = assess_recount(two(400_000, 399_900), "MS", date(2015, 11, 3), "governor")
    assert ms.rule_id == "ms-2024" and not ms.request.available
    for state, before in (("IL", date(2008, 11, 4)), ("LA", date(2014, 11, 4)),
                          ("MS", date(2012, 11, 6))):  # fmt: skip
        with pytest.raises(UnknownEraError):
            rule_for(state, before)


def test_kentucky_before_the_2021_automatic_recount() -> None:
    """CEIMN (September 2013, October 2018): no automatic recount; candidates petition the
    circuit court with a bond, except for Governor, Lieutenant Governor and the General Assembly
    (KRS 120.155, 120.185)."""
    close = two(700_000, 699_000)
    county = assess_recount(close, "KY", date(2018, 11, 6), "county")
    assert county.rule_id == "ky-2013" and county.automatic_stages == []
    assert county.request.may_request
    governor = assess_recount(close, "KY", date(2019, 11, 5), "governor")
    assert governor.rule_id == "ky-2013" and not governor.request.may_request
    assert assess_recount(close, "KY", date(2023, 11, 7), "governor").automatic_stages == [
        "automatic recount"
    ]
    with pytest.raises(UnknownEraError):
        rule_for("KY", date(2011, 11, 8))


def test_hawaii_before_its_2019_recount_law_had_only_election_contests() -> None:
    """Waters v. Nago, SCEC-14-0001317 (Haw. 2014, Justia): a 41-vote loss went to the Supreme
    Court as an election contest (HRS § 11-172); Hawaii had no recount statute (Honolulu
    Star-Bulletin, 2010-05-16)."""
    council = two(10_041, 10_000)
    a = assess_recount(council, "HI", date(2014, 11, 4), "local")
    assert a.rule_id == "hi-2010" and a.automatic_stages == [] and not a.request.available
    later = assess_recount(council, "HI", date(2020, 11, 3), "local")
    assert later.automatic_stages == ["mandatory recount"]  # within 100 votes, 2019 law
    with pytest.raises(UnknownEraError):
        rule_for("HI", date(2008, 11, 4))


def test_alaska_2014_route_and_free_margin_without_an_invented_deposit() -> None:
    """CEIMN, September 2013: tie-only automatic recount, requests by a defeated candidate or 10
    voters; free within 20 votes or under 0.5% of the two candidates' votes. The deposit amounts
    of 2013-2018 are not established, so none is computed."""
    free = assess_recount(two(10_000, 9_990), "AK", date(2014, 11, 4), "state_house")
    assert free.rule_id == "ak-2013" and free.request.free
    paid = assess_recount(two(150_000, 140_000), "AK", date(2014, 11, 4), "us_senate")
    assert paid.request.may_request and not paid.request.free
    assert paid.request.fee is not None and paid.request.fee.amount is None
    assert "not established" in paid.request.fee.arithmetic


def test_kansas_2020_close_vote_recount_at_state_cost() -> None:
    """CEIMN, 2020-08-03 (K.S.A. 25-3107): candidate-requested recounts, the close-vote-margin
    ones at public cost in national and state general elections (0.5%, current sources)."""
    close = assess_recount(two(700_000, 697_000), "KS", date(2020, 11, 3), "us_senate")  # 0.21%
    assert close.rule_id == "ks-2023" and close.request.free
    with pytest.raises(UnknownEraError):
        rule_for("KS", date(2018, 11, 6))


def test_maryland_2016_free_recount_only_within_one_tenth_of_a_percent() -> None:
    """CEIMN's Maryland page of 2016-04-25 and the General Assembly's older text of Election Law
    § 12-107(b)(2)(iii) (mgaleg.maryland.gov): the county pays when the margin is 0.1% or less of
    the two top candidates' votes; today it is 0.25%. 2022 Md. Laws ch. 625 (S.B. 101) changed
    §§ 12-101, 12-103 and 12-107 on a date not established, so 2022-2023 is an unknown era."""
    close = two(1_000_000, 998_500)  # 0.075% of the two top candidates' votes
    middle = two(1_000_000, 996_000)  # 0.2%
    then = assess_recount(close, "MD", date(2018, 11, 6), "governor", candidate="B")
    assert then.rule_id == "md-2016" and then.request.may_request and then.request.free
    paid = assess_recount(middle, "MD", date(2018, 11, 6), "governor", candidate="B")
    assert paid.request.may_request and not paid.request.free
    now = assess_recount(middle, "MD", date(2024, 11, 5), "governor", candidate="B")
    assert now.rule_id == "md-2024" and now.request.free
    # No 5% limit on petitions before Ch. 625: a candidate 10 points behind may still ask.
    far = assess_recount(two(550_000, 450_000), "MD", date(2018, 11, 6), "governor", candidate="B")
    assert far.request.may_request and not far.request.free
    with pytest.raises(UnknownEraError, match="Chapter 625"):
        rule_for("MD", date(2022, 11, 8))
    with pytest.raises(UnknownEraError):
        rule_for("MD", date(2014, 11, 4))


def test_maine_2016_free_within_two_percent_then_one_percent_or_1000_votes() -> None:
    """CEIMN's Maine page of 2016-06-13 (statutes current through 2015-10-15): a state or federal
    candidate trailing by 2% or less of the votes for the office pays nothing
    (http://ceimn.org/ceimn-state-recount-laws-searchable-database/states/Maine); its page of
    2020-03-01: statewide and multicounty recounts are free only within the lesser of 1% or
    1,000 votes (21-A M.R.S. § 737-A sub-§ 1-A, proposed in the 128th Legislature's H.P. 230,
    enacted on a date not established)."""
    house = two(180_000, 175_000)  # 5,000 votes, 1.4% of the office's votes
    then = assess_recount(house, "ME", date(2016, 11, 8), "us_house", candidate="B")
    assert then.rule_id == "me-2016" and then.request.may_request and then.request.free
    now = assess_recount(house, "ME", date(2020, 11, 3), "us_house", candidate="B")
    assert now.rule_id == "me-2024" and now.request.may_request and not now.request.free
    wide = assess_recount(two(180_000, 170_000), "ME", date(2016, 11, 8), "us_house")  # 2.9%
    assert not wide.request.free
    for between in (date(2017, 11, 7), date(2018, 11, 6)):
        with pytest.raises(UnknownEraError, match=r"H\.P\. 230"):
            rule_for("ME", between)
    with pytest.raises(UnknownEraError):
        rule_for("ME", date(2014, 11, 4))


def test_missouri_one_percent_until_2012_then_half_a_percent_statewide() -> None:
    """Missouri Digital News, November 2000 (http://mdn.org/2000/STORIES/MORULES.HTM): "If the
    margin of victory is less than 1 percent, then the losing candidate is entitled to a
    recount"; AP, 2012-08-09 (CBS St. Louis): still 1%. Dexter Daily Statesman, 2014
    (http://dddnews.com/story/2112851.html): Amendment 1, defeated by 2,490 of 996,672 votes
    (0.25%), recounted because statewide contests are eligible below one-half of 1%."""
    close = two(1_000_000, 993_000)  # 0.35% of the office's votes
    middle = two(1_000_000, 985_000)  # 0.76%
    for day in (date(2000, 11, 7), date(2008, 11, 4), date(2012, 11, 6)):
        a = assess_recount(middle, "MO", day, "us_senate", candidate="B")
        assert a.rule_id == "mo-2000" and a.request.may_request
    beyond = assess_recount(two(1_000_000, 975_000), "MO", date(2008, 11, 4), "us_senate")
    assert not beyond.request.may_request  # 1.27%
    later = assess_recount(middle, "MO", date(2016, 11, 8), "us_senate", candidate="B")
    assert later.rule_id == "mo-2023" and not later.request.may_request
    amendment_1 = two(499_581, 497_091)
    august = assess_recount(amendment_1, "MO", date(2014, 8, 5), "statewide_question")
    assert august.rule_id == "mo-2023" and august.request.may_request
    assert assess_recount(close, "MO", date(2014, 11, 4), "us_house").request.may_request
    with pytest.raises(UnknownEraError, match="Nixon"):
        rule_for("MO", date(2013, 11, 5))


def test_georgia_2018_seventh_district_recount_at_one_percent() -> None:
    """AP in The Seattle Times, 2018-11-20: Bourdeaux trailed Woodall by 419 of 280,411 votes
    and requested a recount; "Georgia law allows a recount if the margin between the candidates
    is 1 percent or less". 2019 H.B. 316 set today's 0.5%. Only the margin and the total are
    sourced; the split between the two is built from them."""
    district_7 = two(140_415, 139_996)
    a = assess_recount(district_7, "GA", date(2018, 11, 6), "us_house", candidate="B")
    assert a.rule_id == "ga-2018" and a.margin_votes == 419 and a.request.may_request
    eight_tenths = two(1_000_000, 984_000)  # 0.81%: eligible in 2018, not since H.B. 316
    assert assess_recount(eight_tenths, "GA", date(2018, 11, 6), "governor").request.may_request
    later = assess_recount(eight_tenths, "GA", date(2020, 11, 3), "governor")
    assert later.rule_id == "ga-2020" and not later.request.may_request
    wide = two(1_000_000, 972_000)  # 1.4%, as in the 2018 governor's race: no recount
    assert not assess_recount(wide, "GA", date(2018, 11, 6), "governor").request.may_request
    with pytest.raises(UnknownEraError, match=r"H\.B\. 316"):
        rule_for("GA", date(2019, 11, 5))
    with pytest.raises(UnknownEraError):
        rule_for("GA", date(2016, 11, 8))


def test_delaware_from_ceimn_july_2020() -> None:
    """CEIMN's Delaware page updated 2020-07-05 (https://ceimn.org/node/112/printable/print)
    quotes 15 Del. C. § 5702(c): a statewide candidate may apply to the Superior Court for a
    recount at state expense when the margin is below the lesser of 1,000 votes or one half of
    one percent of the two candidates' votes."""
    close = two(250_000, 249_400)  # 600 votes, 0.12%
    a = assess_recount(close, "DE", date(2020, 11, 3), "us_senate", candidate="B")
    assert a.rule_id == "de-2024" and a.request.may_request and a.request.free
    over_cap = two(250_000, 248_900)  # 1,100 votes (0.22%): above the 1,000-vote cap
    assert not assess_recount(over_cap, "DE", date(2020, 11, 3), "us_senate").request.may_request
    with pytest.raises(UnknownEraError):
        rule_for("DE", date(2018, 11, 6))


def test_colorado_2016_automatic_recount_within_half_a_percent_of_the_winner() -> None:
    """The Denver Post, 2016-11-03
    (https://www.denverpost.com/2016/11/03/what-triggers-a-recount-in-colorado-elections/): an
    automatic recount when the difference is one half of one percent or less of the leading
    candidate's votes, paid by the state for state races; beyond it a candidate may ask and pay."""
    inside = assess_recount(two(1_300_000, 1_293_600), "CO", date(2016, 11, 8), "president")
    assert inside.rule_id == "co-2023" and inside.automatic_stages == ["automatic recount"]
    outside = assess_recount(two(1_300_000, 1_293_000), "CO", date(2016, 11, 8), "president")
    assert outside.automatic_stages == [] and outside.request.may_request
    assert not outside.request.free


def test_south_dakota_2002_senate_thune_could_ask_within_a_quarter_percent() -> None:
    """AP in The Washington Times, 2002-11-07: Johnson 167,481, Thune 166,954 (unofficial), and
    "Mr. Thune has the right to ask for a recount, because the margin was less than the
    one-quarter of 1 percent threshold specified under the law"; the canvass left 524 votes
    (ABC News, 2002-11-13) and Thune did not ask."""
    senate = ContestResults("U.S. Senate", {"Johnson": 167_481, "Thune": 166_954, "Evans": 3_071})
    a = assess_recount(senate, "SD", date(2002, 11, 5), "us_senate", candidate="Thune")
    assert a.rule_id == "sd-2024" and a.request.may_request and a.request.free
    assert a.automatic_stages == []  # automatic only on a tie
    wide = two(170_000, 168_500)  # 0.44%: beyond the quarter percent
    assert not assess_recount(wide, "SD", date(2002, 11, 5), "us_senate").request.may_request
    with pytest.raises(UnknownEraError):
        rule_for("SD", date(2000, 11, 7))
