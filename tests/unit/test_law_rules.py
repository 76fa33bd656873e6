"""The shipped rule files: every state and DC, sources on every rule, schema checks, date ranges."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from papertally.errors import PapertallyError
from papertally.law import STATE_NAMES, load_all, rule_for, state_code, state_law
from papertally.law.schema import StateLaw


def test_every_state_and_dc_has_a_rule_file() -> None:
    laws = load_all()
    assert sorted(laws) == sorted(STATE_NAMES)
    assert len(laws) == 51


def test_every_rule_has_a_source_url_and_a_citation() -> None:
    missing = [
        f"{law.state}:{rule.id}"
        for law in load_all().values()
        for rule in law.rules
        if not rule.sources or not rule.citation.strip()
        or not all(s.startswith(("http://", "https://")) for s in rule.sources)
    ]  # fmt: skip
    assert missing == []


def test_every_state_answers_for_a_2024_election() -> None:
    for code in STATE_NAMES:
        assert rule_for(code, date(2024, 11, 5)).id


def _minimal(**rule: Any) -> dict[str, Any]:
    base = {
        "id": "xx-1",
        "effective_from": "2020-01-01",
        "as_of_year": 2020,
        "citation": "X. Stat. 1",
        "sources": ["https://example.org/law"],
        "summary": "s",
        "requests": [
            {"who_text": "anyone", "fee": {"kind": "none", "text": "free"}, "refund": {"text": "-"}}
        ],
    }
    base.update(rule)
    return {"state": "XX", "name": "X", "rules": [base]}


def test_a_rule_without_a_source_is_refused() -> None:
    StateLaw.model_validate(_minimal())
    with pytest.raises(ValidationError, match="sources"):
        StateLaw.model_validate(_minimal(sources=[]))
    with pytest.raises(ValidationError, match="not a URL"):
        StateLaw.model_validate(_minimal(sources=["Ballotpedia"]))


def test_schema_refuses_unknown_offices_and_overlapping_eras() -> None:
    bad_office = _minimal()
    bad_office["rules"][0]["requests"][0]["offices"] = ["dogcatcher"]
    with pytest.raises(ValidationError, match="unknown office"):
        StateLaw.model_validate(bad_office)
    two = _minimal()
    two["rules"].append(dict(two["rules"][0], id="xx-2", effective_from="2021-01-01"))
    with pytest.raises(ValidationError, match="overlap"):
        StateLaw.model_validate(two)


def test_wisconsin_has_three_eras_in_order() -> None:
    ids = [r.id for r in state_law("Wisconsin").rules]
    assert ids == ["wi-pre2015", "wi-2015-act36", "wi-2017-act120"]
    assert rule_for("WI", date(2011, 4, 5)).id == "wi-pre2015"
    assert rule_for("WI", date(2016, 11, 8)).id == "wi-2015-act36"
    assert rule_for("WI", date(2020, 11, 3)).id == "wi-2017-act120"


def test_a_date_outside_every_rule_says_so() -> None:
    with pytest.raises(PapertallyError, match="does not guess"):
        rule_for("WI", date(1990, 11, 6))
    with pytest.raises(PapertallyError, match="first date the sources confirm"):
        rule_for("CO", date(2014, 11, 4))


def test_state_names_and_codes_with_hints() -> None:
    assert state_code("wi") == "WI"
    assert state_code(" district of  columbia ") == "DC"
    with pytest.raises(PapertallyError, match="did you mean 'Wisconsin'"):
        state_code("Wisconson")
    with pytest.raises(PapertallyError, match=r"did you mean .*WI"):
        state_code("WX")


def test_uncertain_facts_are_marked() -> None:
    flagged = sum(1 for law in load_all().values() for rule in law.rules if rule.uncertain)
    assert flagged >= 30
    assert any("Verified Voting" in u for u in rule_for("MO", date(2024, 1, 1)).uncertain)


def test_every_rule_cites_a_statute_section() -> None:
    """Issue 12: every rule cites the statute section (a section number, not just a name)."""
    import re

    bare = [
        f"{law.state}:{rule.id}"
        for law in load_all().values()
        for rule in law.rules
        if not re.search(r"\d", rule.citation)
    ]
    assert bare == []
