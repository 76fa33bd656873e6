"""The allow-list of sources a recount rule may cite (``law/sources.yaml``, issue 12).

A rule must rest on the law itself or on an authoritative account of it: the legislature's
statute text, the state election office, court opinions, established legal publishers, and
nonpartisan recount-law compilations that cite the statutes (NCSL, Verified Voting, Ballotpedia).
News organisations are trusted for historical facts only, so every rule also needs one source of
another kind. Proxies, mirrors and machine-written statute pages are not on the list.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field

from papertally.law.schema import StateLaw

SourceKind = Literal["statute", "election_office", "court", "legal_publisher", "research", "news"]


class TrustedDomain(BaseModel):
    """One allowed domain (it and its subdomains), what kind of source it is, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    domain: str = Field(pattern=r"^[a-z0-9.-]+\.[a-z]{2,}$")
    kind: SourceKind
    why: str = Field(min_length=10)


@functools.cache
def trusted_domains() -> tuple[TrustedDomain, ...]:
    """Return the allow-list shipped in ``law/sources.yaml``."""
    text = (resources.files("papertally.law") / "sources.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return tuple(TrustedDomain.model_validate(entry) for entry in data["domains"])


def trusted(url: str) -> TrustedDomain | None:
    """Return the allow-list entry covering ``url``'s host, or ``None`` if it is not trusted."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    for entry in trusted_domains():
        if host == entry.domain or host.endswith("." + entry.domain):
            return entry
    return None


@dataclass(frozen=True)
class SourceProblem:
    """A rule citing a source off the allow-list, or resting on news alone."""

    state: str
    rule: str
    url: str
    problem: str


def source_problems(law: StateLaw) -> list[SourceProblem]:
    """Return every source of ``law`` that is not trusted, and rules with no non-news source."""
    found: list[SourceProblem] = []
    for rule in law.rules:
        urls = [*rule.sources, *(d.source for d in rule.known_dates)]
        entries = [(url, trusted(url)) for url in urls]
        found += [
            SourceProblem(law.state, rule.id, url, "not on the allow-list (law/sources.yaml)")
            for url, entry in entries
            if entry is None
        ]
        if not any(entry is not None and entry.kind != "news" for _, entry in entries):
            found.append(
                SourceProblem(law.state, rule.id, "", "no statute, official or research source")
            )
    for era in law.unknown_eras:
        found += [
            SourceProblem(law.state, f"unknown era from {era.effective_from}", url,
                          "not on the allow-list (law/sources.yaml)")
            for url in era.sources
            if trusted(url) is None
        ]  # fmt: skip
    return found
