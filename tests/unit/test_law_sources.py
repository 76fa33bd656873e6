"""Every recount rule rests on trusted sources (issue 12): the allow-list in law/sources.yaml."""

from __future__ import annotations

import pytest

from papertally.law import load_all
from papertally.law.schema import StateLaw
from papertally.law.sources import source_problems, trusted, trusted_domains

BAD = [
    "http://cozy.pub?url=https%3A%2F%2Fballotpedia.org%2FRecount_laws_in_Florida",
    "https://gamestartup.netlify.app/host-https-ballotpedia.org/Recount_laws_in_Pennsylvania",
    "https://tomorrow.paperai.life/https://ballotpedia.org/Recount_laws_in_Ohio",
    "https://courtgpt.ai/laws/alaska/title-15/chapter-20/article-2/section-15-20-430",
    "https://lexace.ai/us/statute/vermont/17-V.S.A.-§-2601",
    "http://ceimn-d9.devd.triplo.co/node/107/printable/print",
    "https://ballotpedia.org.evil.example/Recount_laws_in_Ohio",
]


def test_no_rule_cites_a_source_off_the_allow_list() -> None:
    problems = [p for law in load_all().values() for p in source_problems(law)]
    assert problems == []


@pytest.mark.parametrize("url", BAD)
def test_the_proxies_and_machine_written_pages_named_in_issue_12_are_refused(url: str) -> None:
    assert trusted(url) is None


def test_subdomains_of_trusted_domains_are_trusted_and_each_entry_says_why() -> None:
    entry = trusted("https://app.leg.wa.gov/RCW/default.aspx?cite=29A.64.021")
    assert entry is not None and entry.kind == "statute"
    assert trusted("https://supreme.justia.com/cases/federal/us/531/98/") is not None
    domains = [d.domain for d in trusted_domains()]
    assert len(domains) == len(set(domains))
    assert all(len(d.why) >= 10 for d in trusted_domains())


def _law(sources: list[str]) -> StateLaw:
    rule = {
        "id": "xx-1",
        "effective_from": "2020-01-01",
        "as_of_year": 2020,
        "citation": "X. Stat. 1",
        "sources": sources,
        "summary": "s",
        "requests": [
            {"who_text": "anyone", "fee": {"kind": "none", "text": "free"}, "refund": {"text": "-"}}
        ],
    }
    return StateLaw.model_validate({"state": "XX", "name": "X", "rules": [rule]})


def test_a_rule_on_news_alone_or_on_a_mirror_is_reported() -> None:
    news_only = source_problems(_law(["https://www.washingtonpost.com/x"]))
    assert [p.problem for p in news_only] == ["no statute, official or research source"]
    mirror = source_problems(_law(["https://ballotpedia.org/x", "https://lexace.ai/y"]))
    assert [p.url for p in mirror] == ["https://lexace.ai/y"]
    statute = "https://codes.ohio.gov/ohio-revised-code/section-3515.011"
    assert source_problems(_law([statute])) == []
