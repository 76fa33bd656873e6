"""An IRV contest of the app's stored audits: its RAIRE assertions as the spec fixed them at
the seed, and each drawn card's discrepancy code for each (pure: the spec and the cards only).

The spec's ``irv`` part (:class:`~papertally.audit.contests.ContestSpec`) holds the candidates,
the winner, the ballot rules and every assertion (raire-rs JSON, margin in cards, name); the
cards' CVRs and readings are preference lists by candidate name. Each assertion is then measured
by the card-level comparison of every other contest (SHANGRLA, Stark 2020, §3.2), on the
overstatement of its assorter (:func:`papertally.audit.irv.audit.discrepancy_codes`).
"""

from __future__ import annotations

from collections.abc import Sequence

from papertally.audit.contests import AuditedCard, CardVotes, ContestSpec
from papertally.audit.irv.audit import CardRanking, discrepancy_codes
from papertally.audit.irv.raire import IrvAssertion
from papertally.errors import PapertallyError


def irv_assertions(spec: ContestSpec) -> list[tuple[str, IrvAssertion, float]]:
    """Return an IRV spec's assertions: name, assertion and diluted margin (over ``N``)."""
    if spec.irv is None:
        raise PapertallyError(f"contest {spec.name!r} is not an IRV contest")
    n = len(spec.irv["candidates"])
    return [
        (
            str(a["name"]),
            IrvAssertion.from_json(a["assertion"], n),
            int(a["margin"]) / spec.cards,
        )
        for a in spec.irv["assertions"]
    ]


def card_ranking(spec: ContestSpec, votes: CardVotes | None, index: dict[str, int]) -> CardRanking:
    """Return a card's preference list in an IRV contest (``None``: no CVR / not found)."""
    if votes is None:
        return None
    names = list(dict.fromkeys(votes.get(spec.name) or ()))
    unknown = [n for n in names if n not in index]
    if unknown:
        raise PapertallyError(f"contest {spec.name!r}: {unknown[0]!r} is not a candidate")
    return tuple(index[n] for n in names)


def irv_codes(
    spec: ContestSpec, cards: Sequence[AuditedCard]
) -> list[tuple[str, float, list[str]]]:
    """Return each assertion's name, diluted margin and the drawn cards' discrepancy codes
    (the overstatement of the assertion's assorter, :func:`papertally.audit.irv.audit.
    discrepancy_codes`): the input of the same CLCA measurement as plurality contests."""
    assert spec.irv is not None
    index = {name: i for i, name in enumerate(spec.irv["candidates"])}
    cvrs = [card_ranking(spec, c.cvr, index) for c in cards]
    papers = [card_ranking(spec, c.paper, index) for c in cards]
    return [
        (name, margin, discrepancy_codes(assertion, cvrs, papers))
        for name, assertion, margin in irv_assertions(spec)
    ]


def irv_card_codes(spec: ContestSpec, card: AuditedCard) -> dict[str, str]:
    """Return one drawn card's discrepancy code for each of the spec's assertions."""
    return {name: codes[0] for name, _, codes in irv_codes(spec, [card])}
