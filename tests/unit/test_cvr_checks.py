"""Pre-sample checks (CVRs vs manifest, manifest vs independent count, tallies vs canvass) and
the explicit standardization of contest and choice names."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from papertally.errors import PapertallyError
from papertally.io.cvr import (
    NameMapping,
    apply_standardization,
    check_batches,
    check_cards_unique,
    check_manifest_total,
    check_tallies,
    propose_mapping,
    read_cvrs,
)
from papertally.io.cvr.checks import CheckKind
from papertally.model import ContestCount, merge_tallies
from papertally.model.cards import CardCollection

COUNTIES = ["Kendall Park", "Mount Olive", "Siletz", "Waurika", "Worthington Hills"]


def arlo(shared_data: Path) -> Path:
    return shared_data / "arlo-small-election"


def manifest_of(shared_data: Path, county: str) -> dict[tuple[str, str], int]:
    path = arlo(shared_data) / f"{county} - ballot manifest.csv"
    with path.open(newline="") as stream:
        return {
            (row["Tabulator"], row["Batch Name"]): int(row["Number of Ballots"])
            for row in csv.DictReader(stream)
        }


def test_small_election_cvrs_match_manifests_and_reported_tallies(shared_data: Path) -> None:
    tallies = []
    for county in COUNTIES:
        cards = read_cvrs([arlo(shared_data) / f"{county} - cvrs.csv"], name=county)
        assert check_batches(cards, manifest_of(shared_data, county)) == []
        assert check_cards_unique(cards) == []
        tallies.append(cards.tallies())
    spec = json.loads((arlo(shared_data) / "small-election.spec.json").read_text())
    merged = merge_tallies(tallies)
    for contest in spec["contests"]:
        assert merged[contest["name"]] == contest["tally"], contest["name"]


def test_batch_not_in_manifest_names_file_and_card(shared_data: Path) -> None:
    county = "Mount Olive"
    cards = read_cvrs([arlo(shared_data) / f"{county} - cvrs.csv"], name=county)
    manifest = manifest_of(shared_data, county)
    count = manifest.pop(("Tabulator B", "Batch 2"))
    manifest[("Tabulator B", "Batch 20")] = count
    findings = check_batches(cards, manifest)
    kinds = sorted(f.check for f in findings)
    assert kinds == [CheckKind.BATCH_NOT_IN_MANIFEST, CheckKind.BATCH_WITHOUT_CVRS]
    missing = next(f for f in findings if f.check is CheckKind.BATCH_NOT_IN_MANIFEST)
    assert missing.message == (
        "batch 'Batch 2' of tabulator 'Tabulator B' holds 22 CVR(s) but is not in the ballot "
        "manifest (did you mean \"batch 'Batch 20' of tabulator 'Tabulator B'\"?); its first CVR "
        "is card '9' (record 1) in Mount Olive - cvrs.csv"
    )


def test_batch_count_mismatch_and_name_only_manifest(shared_data: Path) -> None:
    cards = read_cvrs([arlo(shared_data) / "Siletz - cvrs.csv"])
    manifest = {batch: n for (_, batch), n in manifest_of(shared_data, "Siletz").items()}
    assert check_batches(cards, manifest) == []
    manifest["Batch 1"] += 2
    (finding,) = check_batches(cards, manifest)
    assert (finding.check, finding.expected, finding.found) == (CheckKind.BATCH_COUNT, 28, 26)
    assert (
        finding.message == "batch 'Batch 1': the manifest lists 28 ballot(s), the CVRs 26 (2 fewer)"
    )


def test_manifest_total_against_poll_books() -> None:
    manifest = {("T", "B1"): 100, ("T", "B2"): 50}
    assert check_manifest_total(manifest, 150) == []
    (finding,) = check_manifest_total(manifest, 152, "the poll books")
    assert finding.message == (
        "the ballot manifest totals 150 ballot(s) but the poll books count 152 (2 fewer in the "
        "manifest)"
    )


def test_tallies_against_canvass(shared_data: Path) -> None:
    cards = read_cvrs([arlo(shared_data) / "Siletz - cvrs.csv"], name="Siletz")
    canvass = ContestCount("Minister of Farming", "original canvass")
    canvass.set_votes("Siletz|all", "Erin George", 41)
    canvass.set_votes("Siletz|all", "Alex Hall", 5)
    assert check_tallies(cards, [canvass]) == []
    canvass.set_votes("Siletz|all", "Alex Hall", 7)
    missing = ContestCount("Minister of Farmin", "original canvass")
    findings = check_tallies(cards, [canvass, missing])
    assert [f.message for f in findings] == [
        "'Minister of Farming', 'Alex Hall': the original canvass has 7 vote(s), the CVRs 5 (-2)",
        "contest 'Minister of Farmin' of the original canvass is in no CVR "
        "(did you mean 'Minister of Farming'?)",
    ]


def test_cvr_contest_counts_feed_the_tally_check(shared_data: Path) -> None:
    cards = read_cvrs([arlo(shared_data) / "Waurika - cvrs.csv"], name="Waurika")
    counts = cards.contest_counts("Waurika", by="batch")
    assert check_tallies(cards, counts) == []
    magic = next(c for c in counts if c.contest == "Master of Magic")
    assert magic.totals()["Rene Carr"] == 197
    assert all("|Tabulator " in unit for unit in magic.units)


def test_duplicate_positions_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "generic.csv"
    path.write_text(
        "Card ID,Tabulator,Batch,Record ID,Mayor | Alice\nc1,T,B,1,1\nc2,T,B,2,0\nc3,T,B,1,1\n"
    )
    (finding,) = check_cards_unique(read_cvrs([path]))
    assert finding.message == (
        "2 CVRs claim tabulator 'T', batch 'B', record 1: card 'c1' in generic.csv, "
        "card 'c3' in generic.csv"
    )


def county_cards(contest: str, choices: list[str]) -> CardCollection:
    cards = CardCollection("County B")
    code = cards.contest_code(contest, contest, 1)
    codes = [cards.choice_code(code, c) for c in choices]
    cards.add_card(1, "T", "B", 1, [(code, None, None, [(codes[0], 1)])])
    return cards


STANDARD = {"President": ["Ann Smith", "Bo Jones"], "Sheriff": ["Cy Young"]}


def test_standardization_needs_confirmation_and_suggests_closest() -> None:
    cards = county_cards("PRESIDENT", ["SMITH, ANN", "Bo Jones"])
    mapping, unmapped = propose_mapping(cards, STANDARD)
    assert mapping.contests == {"PRESIDENT": "President"}
    assert mapping.choices == {("President", "SMITH, ANN"): "Ann Smith"}
    assert unmapped == []
    with pytest.raises(PapertallyError) as error:
        apply_standardization(cards, STANDARD, NameMapping())
    assert "contest 'PRESIDENT' (closest: 'President')" in str(error.value)
    assert cards.contest_names() == ["PRESIDENT"], "nothing renamed on refusal"
    confirmed = NameMapping(
        contests={"PRESIDENT": "President"}, choices={("President", "SMITH, ANN"): "Ann Smith"}
    )
    apply_standardization(cards, STANDARD, confirmed)
    assert cards.tallies() == {"President": {"Ann Smith": 1, "Bo Jones": 0}}


def test_standardization_refuses_unmapped_choices_and_wrong_targets() -> None:
    cards = county_cards("President", ["Ann Smyth", "Bo Jones"])
    with pytest.raises(
        PapertallyError, match=r"choice 'Ann Smyth' of 'President' \(closest: 'Ann Smith'\)"
    ):
        apply_standardization(cards, STANDARD, NameMapping())
    wrong = NameMapping(choices={("President", "Ann Smyth"): "Ann Smithe"})
    with pytest.raises(PapertallyError, match="1 name"):
        apply_standardization(cards, STANDARD, wrong)


def test_contests_outside_the_standard_must_be_declared() -> None:
    cards = county_cards("Dog Catcher", ["Rex"])
    with pytest.raises(PapertallyError, match=r"contest 'Dog Catcher' \(no close standard name\)"):
        apply_standardization(cards, list(STANDARD), NameMapping())
    apply_standardization(cards, list(STANDARD), NameMapping(not_standard={"Dog Catcher"}))
    assert cards.contest_names() == ["Dog Catcher"]
