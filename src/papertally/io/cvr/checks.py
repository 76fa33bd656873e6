"""Checks to run on CVRs before any sample is drawn; each returns findings, never raises.

A ballot-comparison audit is only as good as the correspondence between the CVRs, the
ballot manifest and the paper (Lindeman & Stark, "A Gentle Introduction to Risk-Limiting
Audits", IEEE Security & Privacy 2012, §"ballot manifest"; Stark, "Sets of Half-Average
Nulls Generate Risk-Limiting Audits", 2020, on phantoms). So before sampling we check:

* the number of CVRs per batch against the manifest's count of ballots in that batch;
* the manifest's total against an independent count (poll books, or the canvass's
  ballots cast);
* the CVR tallies against the canvass totals of each contest;
* that no two CVRs claim the same physical position (tabulator, batch, record, sheet).

The manifest is taken as a plain mapping, batch → number of ballots (keys ``(tabulator,
batch)``, or batch names alone where the manifest has no tabulator column), so these checks
work with any manifest reader.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from papertally.errors import closest_match_hint
from papertally.model.cards import CardCollection
from papertally.model.results import ContestCount


class CheckKind(StrEnum):
    """What a finding is about."""

    BATCH_NOT_IN_MANIFEST = "batch-not-in-manifest"
    BATCH_WITHOUT_CVRS = "batch-without-cvrs"
    BATCH_COUNT = "batch-count"
    MANIFEST_TOTAL = "manifest-total"
    CONTEST_NOT_IN_CVRS = "contest-not-in-cvrs"
    CHOICE_TALLY = "choice-tally"
    DUPLICATE_POSITION = "duplicate-position"


@dataclass(frozen=True)
class Finding:
    """One mismatch found by a check, with the numbers on both sides where there are some."""

    check: CheckKind
    subject: str
    """The batch, contest or total concerned."""
    expected: int | None
    """The number the reference (manifest, independent count, canvass) gives."""
    found: int | None
    """The number the CVRs (or the manifest, against an independent count) give."""
    message: str


ManifestCounts = Mapping[tuple[str, str], int] | Mapping[str, int]


def _normalize(manifest: ManifestCounts) -> tuple[dict[tuple[str, str], int], bool]:
    """Return the manifest keyed ``(tabulator, batch)`` and whether tabulators are known."""
    keyed: dict[tuple[str, str], int] = {}
    for key, count in manifest.items():
        pair = key if isinstance(key, tuple) else ("", key)
        keyed[(str(pair[0]).strip(), str(pair[1]).strip())] = int(count)
    return keyed, any(tab for tab, _ in keyed)


def _label(key: tuple[str, str]) -> str:
    tab, batch = key
    return f"batch {batch!r} of tabulator {tab!r}" if tab else f"batch {batch!r}"


def check_batches(collection: CardCollection, manifest: ManifestCounts) -> list[Finding]:
    """Compare the CVRs per batch with the manifest's ballots per batch.

    Reports batches with CVRs the manifest lacks (naming the file and card where the batch's
    first CVR is, with the closest manifest batch), manifest batches without any CVR, and
    batches whose counts differ.
    """
    keyed, with_tabulator = _normalize(manifest)
    cvr_counts: dict[tuple[str, str], int] = {}
    first_card: dict[tuple[str, str], int] = {}
    firsts = collection.first_card_of_batches()
    for (tab, batch), n in collection.batch_counts().items():
        key = (tab, batch) if with_tabulator else ("", batch)
        cvr_counts[key] = cvr_counts.get(key, 0) + n
        first_card.setdefault(key, firsts[(tab, batch)])
    findings: list[Finding] = []
    manifest_labels = [_label(k) for k in keyed]
    for key, found in cvr_counts.items():
        if key not in keyed:
            card = collection.card(first_card[key])
            hint = closest_match_hint(_label(key), manifest_labels)
            findings.append(
                Finding(
                    CheckKind.BATCH_NOT_IN_MANIFEST,
                    _label(key),
                    None,
                    found,
                    f"{_label(key)} holds {found} CVR(s) but is not in the ballot manifest{hint}; "
                    f"its first CVR is card {card.card_id!r} (record {card.record_id}) "
                    f"in {Path(card.source).name}",
                )
            )
    for key, expected in keyed.items():
        found = cvr_counts.get(key, 0)
        if key not in cvr_counts:
            if expected:
                findings.append(
                    Finding(
                        CheckKind.BATCH_WITHOUT_CVRS,
                        _label(key),
                        expected,
                        0,
                        f"the manifest lists {expected} ballot(s) in {_label(key)} but no CVR "
                        "is in that batch",
                    )
                )
        elif found != expected:
            findings.append(
                Finding(
                    CheckKind.BATCH_COUNT,
                    _label(key),
                    expected,
                    found,
                    f"{_label(key)}: the manifest lists {expected} ballot(s), the CVRs {found} "
                    f"({abs(found - expected)} {'more' if found > expected else 'fewer'})",
                )
            )
    return findings


def check_manifest_total(
    manifest: ManifestCounts, independent_count: int, source: str = "the poll books"
) -> list[Finding]:
    """Compare the manifest's total ballots with an independent count of ballots cast."""
    total = sum(int(n) for n in manifest.values())
    if total == independent_count:
        return []
    difference = total - independent_count
    return [
        Finding(
            CheckKind.MANIFEST_TOTAL,
            "total",
            independent_count,
            total,
            f"the ballot manifest totals {total} ballot(s) but {source} count "
            f"{independent_count} ({abs(difference)} {'more' if difference > 0 else 'fewer'} "
            "in the manifest)",
        )
    ]


def check_tallies(collection: CardCollection, canvass: Iterable[ContestCount]) -> list[Finding]:
    """Compare each canvass contest's totals with the tally of the CVRs, choice by choice."""
    tallies = collection.tallies()
    findings: list[Finding] = []
    for count in canvass:
        reported = count.totals()
        cvr = tallies.get(count.contest)
        if cvr is None:
            hint = closest_match_hint(count.contest, list(tallies))
            findings.append(
                Finding(
                    CheckKind.CONTEST_NOT_IN_CVRS,
                    count.contest,
                    sum(reported.values()),
                    None,
                    f"contest {count.contest!r} of the {count.name} is in no CVR{hint}",
                )
            )
            continue
        for choice in dict.fromkeys([*reported, *cvr]):
            expected, found = reported.get(choice, 0), cvr.get(choice, 0)
            if expected != found:
                findings.append(
                    Finding(
                        CheckKind.CHOICE_TALLY,
                        f"{count.contest} / {choice}",
                        expected,
                        found,
                        f"{count.contest!r}, {choice!r}: the {count.name} has {expected} "
                        f"vote(s), the CVRs {found} ({found - expected:+d})",
                    )
                )
    return findings


def check_cards_unique(collection: CardCollection) -> list[Finding]:
    """Report CVRs that claim the same physical place (tabulator, batch, record, sheet)."""
    findings = []
    for group in collection.duplicate_positions():
        cards = [collection.card(i) for i in group]
        first = cards[0]
        where = ", ".join(f"card {c.card_id!r} in {Path(c.source).name}" for c in cards)
        findings.append(
            Finding(
                CheckKind.DUPLICATE_POSITION,
                f"{first.tabulator} / {first.batch} / {first.record_id}",
                1,
                len(cards),
                f"{len(cards)} CVRs claim tabulator {first.tabulator!r}, batch {first.batch!r}, "
                f"record {first.record_id}"
                + (f", sheet {first.sheet}" if first.sheet is not None else "")
                + f": {where}",
            )
        )
    return findings
