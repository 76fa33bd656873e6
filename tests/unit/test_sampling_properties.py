"""Properties of the samplers over many small random manifests and seeds (hypothesis)."""

from __future__ import annotations

import consistent_sampler
from cryptorandom import sample as crypto_sample
from cryptorandom.cryptorandom import SHA256
from hypothesis import given, settings
from hypothesis import strategies as st

from papertally.audit.consistent import consistent_sample_manifest, trim_ticket
from papertally.audit.manifest import Batch, Manifest
from papertally.audit.prng import Sha256Prng, sample_by_index
from papertally.audit.sampling import SamplingMethod, draw_sample

seeds = st.text(alphabet="0123456789", min_size=20, max_size=30)
counties = st.sampled_from(["Dane", "Iowa", "Sauk"])


@st.composite
def manifests(draw: st.DrawFn) -> Manifest:
    """A manifest of up to 8 batches of up to 25 ballots in up to 3 counties."""
    specs = draw(
        st.lists(
            st.tuples(counties, st.integers(0, 25), st.sampled_from([None, "A", "B"])),
            min_size=1,
            max_size=8,
        ).filter(lambda s: sum(n for _, n, _ in s) > 0)
    )
    return Manifest(
        Batch(county, f"Batch {i}", n, tabulator=tabulator)
        for i, (county, n, tabulator) in enumerate(specs)
    )


@settings(max_examples=40, deadline=None)
@given(manifests(), seeds, st.booleans(), st.integers(1, 60))
def test_consistent_draws_equal_reference(
    manifest: Manifest, seed: str, with_replacement: bool, count: int
) -> None:
    if not with_replacement:
        count = min(count, manifest.total_ballots)
    ballots = [
        ((b.jurisdiction, b.tabulator, b.name), p)
        for b in manifest.batches
        for p in range(1, b.ballots + 1)
    ]
    expected = [
        (ticket, str(item), generation)
        for ticket, item, generation in consistent_sampler.sampler(
            ballots, seed=seed, take=count, with_replacement=with_replacement, digits=18
        )
    ]
    ours = consistent_sample_manifest(manifest, seed, count, with_replacement=with_replacement)
    assert [(trim_ticket(d.ticket, 18), d.item_id, d.generation) for d in ours] == expected


@settings(max_examples=40, deadline=None)
@given(manifests(), seeds, counties)
def test_a_county_alone_is_sampled_in_the_same_order(
    manifest: Manifest, seed: str, county: str
) -> None:
    """Rivest (2018): the sample of a sub-collection is the filtered sample of the whole."""
    whole = draw_sample(manifest, seed, manifest.total_ballots)
    own = [b for b in manifest.batches if b.jurisdiction == county]
    if not sum(b.ballots for b in own):
        return
    alone = draw_sample(Manifest(own), seed, sum(b.ballots for b in own))
    filtered = [(d.batch, d.location.position, d.ticket) for d in whole.draws if d.batch in own]
    assert filtered == [(d.batch, d.location.position, d.ticket) for d in alone.draws]


@settings(max_examples=40, deadline=None)
@given(manifests(), seeds, st.sampled_from(list(SamplingMethod)), st.booleans(), st.data())
def test_rounds_extend_and_draws_are_valid(
    manifest: Manifest,
    seed: str,
    method: SamplingMethod,
    with_replacement: bool,
    data: st.DataObject,
) -> None:
    total = manifest.total_ballots
    limit = 3 * total if with_replacement else total
    size = data.draw(st.integers(1, limit))
    first = data.draw(st.integers(0, size))
    whole = draw_sample(manifest, seed, size, method=method, with_replacement=with_replacement)
    start = draw_sample(manifest, seed, first, method=method, with_replacement=with_replacement)
    rest = draw_sample(
        manifest,
        seed,
        size - first,
        method=method,
        with_replacement=with_replacement,
        already_drawn=first,
    )
    assert start.draws + rest.draws == whole.draws
    indices = [d.location.manifest_index for d in whole.draws]
    assert all(0 <= i < total for i in indices)
    if not with_replacement:
        assert len(set(indices)) == len(indices)
    for draw in whole.draws:
        assert 1 <= draw.location.position <= draw.batch.ballots


@settings(max_examples=40, deadline=None)
@given(seeds, st.integers(1, 3_000), st.data(), st.booleans())
def test_sample_by_index_equals_cryptorandom(
    seed: str, population: int, data: st.DataObject, replace: bool
) -> None:
    count = data.draw(st.integers(1, population if not replace else 200))
    expected = crypto_sample.sample_by_index(population, count, replace=replace, prng=SHA256(seed))
    ours = sample_by_index(Sha256Prng(seed), population, count, with_replacement=replace)
    assert [item for item, _ in ours] == expected.tolist()
