"""Sampling: our draws equal the reference packages' (consistent-sampler, cryptorandom), rounds
extend one another, and the sample API reports tickets, repeats and retrieval lists."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import consistent_sampler
import numpy as np
import pytest
from cryptorandom import sample as crypto_sample
from cryptorandom.cryptorandom import SHA256

from papertally.audit import consistent
from papertally.audit.consistent import (
    _keys_of_job,
    _scan_job,
    _split_jobs,
    ballot_id,
    batch_id_prefix,
    consistent_sample,
    consistent_sample_manifest,
    first_ticket,
    fork_context,
    key_threshold,
    manifest_ticket_keys,
    next_ticket,
    seed_hash,
    trim_ticket,
)
from papertally.audit.manifest import Batch, Manifest
from papertally.audit.prng import (
    Sha256Prng,
    fisher_yates_sample,
    random_permutation,
    sample_by_index,
    weighted_sample_with_replacement,
)
from papertally.audit.sampling import (
    SamplingMethod,
    draw_ppeb,
    draw_sample,
    natural_key,
    retrieval_list,
    validate_seed,
)
from papertally.errors import PapertallyError
from papertally.io.manifests import read_manifests

SEEDS = ["01234567890123456789", "98765432109876543210", "31415926535897932384626433"]


def small_manifest() -> Manifest:
    """Three counties, tabulators present or absent, and names that need quoting."""
    return Manifest(
        [
            Batch("Dane", "Batch 1", 40, container="Box 1", tabulator="T1"),
            Batch("Dane", "Batch 2", 25, container="Box 1", tabulator=None),
            Batch("Dane", "Batch 10", 7, container="Box 2", tabulator="T1"),
            Batch("Iowa", "O'Brien's", 31, tabulator='Tab "A"'),
            Batch("Iowa", "empty", 0),
            Batch("Sauk", "1", 52),
        ]
    )


def reference_manifest_draws(
    manifest: Manifest, seed: str, count: int, with_replacement: bool
) -> list[tuple[str, str, int]]:
    """Draw with Rivest's package exactly as Arlo calls it (ids, digits=18)."""
    ballots = [
        ((b.jurisdiction, b.tabulator, b.name), position)
        for b in manifest.batches
        for position in range(1, b.ballots + 1)
    ]
    draws = consistent_sampler.sampler(
        ballots,
        seed=seed,
        take=count,
        with_replacement=with_replacement,
        output="tuple",
        digits=18,
    )
    return [(ticket, str(item), generation) for ticket, item, generation in draws]


# --- Rivest's consistent sampler ------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("with_replacement", [False, True])
def test_manifest_draws_equal_the_reference_package(seed: str, with_replacement: bool) -> None:
    manifest = small_manifest()
    count = 120 if with_replacement else manifest.total_ballots
    ours = consistent_sample_manifest(manifest, seed, count, with_replacement=with_replacement)
    expected = reference_manifest_draws(manifest, seed, count, with_replacement)
    assert [(trim_ticket(d.ticket, 18), d.item_id, d.generation) for d in ours] == expected
    for draw in ours:
        location = manifest.location(draw.item_index)
        assert draw.item_id == ballot_id(location.batch, location.position)
    if with_replacement:
        assert any(d.generation > 1 for d in ours)


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_id_list_draws_equal_the_reference_package(seed: str) -> None:
    ids = [f"ballot-{i:05d}" for i in range(2_000)]
    for with_replacement in (False, True):
        ours = consistent_sample(ids, seed, 300, with_replacement=with_replacement)
        expected = list(
            consistent_sampler.sampler(
                ids, seed=seed, take=300, with_replacement=with_replacement, digits=9
            )
        )
        assert [(trim_ticket(d.ticket, 9), d.item_id, d.generation) for d in ours] == expected


def test_ticket_functions_equal_the_reference_package() -> None:
    seed = SEEDS[0]
    hashed = seed_hash(seed)
    assert hashed == consistent_sampler.sha256_hex(seed)
    ticket = first_ticket(hashed, "AB-130")
    assert ticket == consistent_sampler.first_fraction("AB-130", seed)
    for x in [ticket, "0.25471", "0.9991234567890", "0.99999", "0.9"]:
        assert next_ticket(x) == consistent_sampler.next_fraction(x)
        assert next_ticket(x) > x
        for digits in (4, 9, 18):
            assert trim_ticket(x, digits) == consistent_sampler.trim(x, digits)


def test_later_rounds_extend_earlier_ones() -> None:
    manifest = small_manifest()
    for with_replacement in (False, True):
        big = consistent_sample_manifest(manifest, SEEDS[1], 90, with_replacement=with_replacement)
        for n in (1, 17, 60):
            small = consistent_sample_manifest(
                manifest, SEEDS[1], n, with_replacement=with_replacement
            )
            assert small == big[:n]


def test_parallel_hashing_gives_the_same_draws() -> None:
    manifest = small_manifest()
    one = consistent_sample_manifest(manifest, SEEDS[2], 100, with_replacement=True, workers=1)
    two = consistent_sample_manifest(manifest, SEEDS[2], 100, with_replacement=True, workers=2)
    assert one == two
    # The work split between processes covers every ballot once, in order.
    prefixes = [(seed_hash(SEEDS[2]) + batch_id_prefix(b)).encode() for b in manifest.batches]
    counts = [b.ballots for b in manifest.batches]
    whole = _keys_of_job(list(zip(prefixes, counts, strict=True)))
    for parts in (2, 3, 8):
        jobs = _split_jobs(prefixes, counts, parts)
        assert np.array_equal(np.concatenate([_keys_of_job(job) for job, _ in jobs]), whole)
        sizes = [sum(count for _, count in job) for job, _ in jobs]
        assert [first for _, first in jobs] == [sum(sizes[:k]) for k in range(len(jobs))]
        # Each job's candidates carry their manifest-wide index and exact ticket.
        entries = [e for job, first in jobs for e in _scan_job(job, first, 10**9 - 1)]
        assert [e[3] for e in entries] == list(range(manifest.total_ballots))
        for ticket, item, _, index in entries:
            location = manifest.location(index)
            assert item == ballot_id(location.batch, location.position)
            assert ticket == first_ticket(seed_hash(SEEDS[2]), item)


def test_a_large_manifest_uses_the_key_threshold_and_equals_the_reference() -> None:
    manifest = Manifest(Batch("C", f"B{i}", 250, tabulator="T") for i in range(80))
    assert key_threshold(100, manifest.total_ballots) < 10**8
    for with_replacement in (False, True):
        ours = consistent_sample_manifest(
            manifest, SEEDS[0], 100, with_replacement=with_replacement
        )
        expected = reference_manifest_draws(manifest, SEEDS[0], 100, with_replacement)
        assert [(trim_ticket(d.ticket, 18), d.item_id, d.generation) for d in ours] == expected


def test_a_threshold_too_low_falls_back_to_every_ballot(monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = small_manifest()
    expected = consistent_sample_manifest(manifest, SEEDS[1], 50)
    monkeypatch.setattr(consistent, "key_threshold", lambda wanted, total: 0)
    assert consistent_sample_manifest(manifest, SEEDS[1], 50) == expected


def test_no_forking_while_other_threads_run() -> None:
    manifest = small_manifest()
    stop = threading.Event()
    waiter = threading.Thread(target=stop.wait)
    waiter.start()
    try:
        assert fork_context() is None
        two = consistent_sample_manifest(manifest, SEEDS[0], 30, workers=2)
    finally:
        stop.set()
        waiter.join()
    assert two == consistent_sample_manifest(manifest, SEEDS[0], 30, workers=1)


def test_ticket_keys_are_the_first_nine_ticket_digits_even_in_huge_batches() -> None:
    manifest = Manifest([Batch("C", "small", 3), Batch("C", "huge", 70_000, tabulator="T")])
    keys = manifest_ticket_keys(manifest, SEEDS[0], workers=1)
    hashed = seed_hash(SEEDS[0])
    expected = [
        int(first_ticket(hashed, ballot_id(batch, p))[2:11])
        for batch in manifest.batches
        for p in range(1, batch.ballots + 1)
    ]
    assert keys.tolist() == expected


def test_distinct_ids_required() -> None:
    with pytest.raises(PapertallyError, match="distinct"):
        consistent_sample(["a", "a"], SEEDS[0], 1)


# --- Stark's SHA-256 PRNG ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", [*SEEDS, 12345])
def test_prng_stream_equals_cryptorandom(seed: str | int) -> None:
    theirs, ours = SHA256(seed), Sha256Prng(seed)
    assert list(theirs.random(5)) == ours.randoms(5).tolist()
    assert [theirs.randint(0, 1000) for _ in range(50)] == [
        ours.randint(0, 1000) for _ in range(50)
    ]
    assert theirs.getrandbits(300) == ours.getrandbits(300)
    assert theirs.randint(7, 8) == ours.randint(7, 8)
    assert theirs.random() == ours.random()
    assert theirs.counter == ours.counter


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("population", "count", "replace"),
    [(100, 30, False), (5_000, 5_000, False), (1_000, 300, True), (1, 1, False)],
)
def test_sample_by_index_equals_cryptorandom(
    seed: str, population: int, count: int, replace: bool
) -> None:
    expected = crypto_sample.sample_by_index(population, count, replace=replace, prng=SHA256(seed))
    ours = sample_by_index(Sha256Prng(seed), population, count, with_replacement=replace)
    assert [item for item, _ in ours] == expected.tolist()
    longer = sample_by_index(Sha256Prng(seed), population, count, with_replacement=True)
    shorter = sample_by_index(Sha256Prng(seed), population, count // 2, with_replacement=True)
    assert longer[: count // 2] == shorter


@pytest.mark.parametrize("seed", SEEDS)
def test_fisher_yates_and_permutation_equal_cryptorandom(seed: str) -> None:
    assert fisher_yates_sample(Sha256Prng(seed), 100, 30) == (
        crypto_sample.fykd_sample(100, 30, prng=SHA256(seed)).tolist()
    )
    permutation = crypto_sample.random_permutation(40, prng=SHA256(seed))
    ours = random_permutation(Sha256Prng(seed), 40)
    assert [x - 1 for x in ours] == permutation.tolist()
    assert sorted(ours) == list(range(1, 41))


@pytest.mark.parametrize("seed", SEEDS)
def test_weighted_sampling_equals_cryptorandom(seed: str) -> None:
    weights = [0.5, 3.0, 0.0, 1.0, 7.25]
    expected = crypto_sample.random_sample(
        5, 60, replace=True, p=weights, method="Elimination", prng=SHA256(seed)
    )
    ours = weighted_sample_with_replacement(Sha256Prng(seed), weights, 60)
    assert [index for index, _ in ours] == expected.tolist()
    assert 2 not in expected.tolist()


def test_prng_input_errors() -> None:
    prng = Sha256Prng(SEEDS[0])
    with pytest.raises(PapertallyError):
        prng.randbelow(0)
    with pytest.raises(PapertallyError, match="without replacement"):
        sample_by_index(prng, 3, 4)
    with pytest.raises(PapertallyError, match="not negative"):
        weighted_sample_with_replacement(prng, [1.0, -1.0], 3)
    with pytest.raises(PapertallyError, match="positive"):
        weighted_sample_with_replacement(prng, [0.0, 0.0], 3)


# --- the sample API -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", ["", "1234", "0123456789 0123456789", "01234567890123456789x"])
def test_bad_seeds_are_explained(seed: str) -> None:
    with pytest.raises(PapertallyError, match="seed"):
        validate_seed(seed)
    assert validate_seed(" 01234567890123456789 ") == "01234567890123456789"


def test_consistent_sample_reports_tickets_and_locations() -> None:
    manifest = small_manifest()
    sample = draw_sample(manifest, SEEDS[0], 25)
    expected = reference_manifest_draws(manifest, SEEDS[0], 25, False)
    assert [d.ticket for d in sample.draws] == [ticket for ticket, _, _ in expected]
    assert [d.sequence for d in sample.draws] == list(range(1, 26))
    assert all(not d.is_repeat for d in sample.draws)
    assert sample.distinct_ballots == 25
    for draw, (_, item, _) in zip(sample.draws, expected, strict=True):
        assert ballot_id(draw.batch, draw.location.position) == item


def test_rounds_continue_after_earlier_draws() -> None:
    manifest = small_manifest()
    for method in SamplingMethod:
        for with_replacement in (False, True):
            whole = draw_sample(
                manifest, SEEDS[1], 50, method=method, with_replacement=with_replacement
            )
            first = draw_sample(
                manifest, SEEDS[1], 20, method=method, with_replacement=with_replacement
            )
            second = draw_sample(
                manifest,
                SEEDS[1],
                30,
                method=method,
                with_replacement=with_replacement,
                already_drawn=20,
            )
            assert first.draws + second.draws == whole.draws


def test_prng_sample_equals_cryptorandom_on_the_manifest() -> None:
    manifest = small_manifest()
    sample = draw_sample(manifest, SEEDS[2], 40, method=SamplingMethod.PRNG)
    expected = crypto_sample.sample_by_index(manifest.total_ballots, 40, prng=SHA256(SEEDS[2]))
    assert [d.location.manifest_index + 1 for d in sample.draws] == expected.tolist()


def test_repeats_are_counted_and_retrieval_list_groups_them() -> None:
    manifest = Manifest([Batch("Dane", "B1", 3), Batch("Dane", "B2", 2)])
    sample = draw_sample(manifest, SEEDS[0], 40, with_replacement=True)
    counts = Counter(d.location.manifest_index for d in sample.draws)
    assert sum(counts.values()) == 40
    seen: Counter[int] = Counter()
    for draw in sample.draws:
        seen[draw.location.manifest_index] += 1
        assert draw.times_drawn == seen[draw.location.manifest_index]
        assert draw.is_repeat == (seen[draw.location.manifest_index] > 1)
    entries = sample.retrieval_list()["Dane"]
    assert [(e.batch.name, e.position) for e in entries] == sorted(
        (manifest.location(i).batch.name, manifest.location(i).position) for i in counts
    )
    for entry in entries:
        index = manifest.index_of(manifest.batches.index(entry.batch), entry.position)
        assert entry.times_drawn == counts[index] == len(entry.tickets)
        assert list(entry.sequences) == sorted(entry.sequences)


def test_retrieval_list_order_is_natural_and_per_county() -> None:
    manifest = small_manifest()
    sample = draw_sample(manifest, SEEDS[0], manifest.total_ballots)
    listing = retrieval_list(sample.draws)
    assert list(listing) == ["Dane", "Iowa", "Sauk"]
    dane = listing["Dane"]
    keys = [
        (natural_key(e.batch.container), natural_key(e.batch.tabulator), natural_key(e.batch.name))
        for e in dane
    ]
    assert keys == sorted(keys)
    names = list(dict.fromkeys(e.batch.name for e in dane))
    assert names == ["Batch 2", "Batch 1", "Batch 10"]
    assert natural_key("Batch 2") < natural_key("Batch 10")
    assert sum(len(v) for v in listing.values()) == manifest.total_ballots


def test_sample_input_errors() -> None:
    manifest = small_manifest()
    with pytest.raises(PapertallyError, match="full hand count"):
        draw_sample(manifest, SEEDS[0], manifest.total_ballots + 1)
    with pytest.raises(PapertallyError, match="no ballots"):
        draw_sample(Manifest([Batch("C", "1", 0)]), SEEDS[0], 1)
    with pytest.raises(PapertallyError, match="negative"):
        draw_sample(manifest, SEEDS[0], -1)


def test_arlo_small_election_sample_equals_the_reference(shared_data: Path) -> None:
    files = sorted((shared_data / "arlo-small-election").glob("* - ballot manifest.csv"))
    manifest = read_manifests(files)
    sample = draw_sample(manifest, SEEDS[0], 60, with_replacement=True)
    expected = reference_manifest_draws(manifest, SEEDS[0], 60, True)
    assert [d.ticket for d in sample.draws] == [ticket for ticket, _, _ in expected]
    assert [d.times_drawn for d in sample.draws] == [g for _, _, g in expected]


# --- PPEB -----------------------------------------------------------------------------------


def test_ppeb_draws_in_proportion_to_error_bounds() -> None:
    batches = [Batch("C", str(i), 100) for i in range(4)]
    bounds = [1.0, 0.0, 3.0, 6.0]
    draws = draw_ppeb(batches, bounds, SEEDS[0], 4_000)
    counts = Counter(d.batch_number for d in draws)
    assert counts[1] == 0
    shares = np.array([counts[i] for i in range(4)]) / 4_000
    assert np.allclose(shares, np.array(bounds) / 10, atol=0.03)
    expected = crypto_sample.random_sample(
        4, 100, replace=True, p=bounds, method="Elimination", prng=SHA256(SEEDS[0])
    )
    assert [d.batch_number for d in draws[:100]] == expected.tolist()
    later = draw_ppeb(batches, bounds, SEEDS[0], 10, already_drawn=100)
    assert later == draws[100:110]
    assert all(d.times_drawn >= 1 for d in draws)
    assert any(d.is_repeat for d in draws)


def test_ppeb_input_errors() -> None:
    batches = [Batch("C", "1", 10)]
    with pytest.raises(PapertallyError, match="one per batch"):
        draw_ppeb(batches, [1.0, 2.0], SEEDS[0], 3)
    with pytest.raises(PapertallyError, match="seed"):
        draw_ppeb(batches, [1.0], "123", 3)
