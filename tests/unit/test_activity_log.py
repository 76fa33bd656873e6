"""The hash-chained activity log detects altered, removed and reordered entries."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from papertally.model.activity import GENESIS_HASH, ActivityEntry, next_entry, verify_chain


def make_log(n: int) -> list[ActivityEntry]:
    log: list[ActivityEntry] = []
    for i in range(n):
        log.append(
            next_entry(
                log[-1] if log else None,
                actor=f"clerk{i % 3}",
                action="tally.enter",
                subject=f"unit/{i}",
                details={"votes": {"A": i, "B": 2 * i}},
                recorded_at=datetime(2016, 12, 1, 9, i % 60, tzinfo=UTC),
            )
        )
    return log


def test_an_untouched_log_verifies_and_reports_its_head() -> None:
    log = make_log(5)
    result = verify_chain(log)
    assert result.intact
    assert result.entries_checked == 5
    assert result.head_hash == log[-1].entry_hash
    assert verify_chain([]).head_hash == GENESIS_HASH


def test_an_altered_entry_is_the_first_break() -> None:
    log = make_log(6)
    log[2] = replace(log[2], details={"votes": {"A": 999, "B": 4}})
    result = verify_chain(log)
    assert not result.intact
    assert result.first_break == 3
    assert result.reason is not None and "altered" in result.reason


def test_a_removed_or_reordered_entry_is_detected() -> None:
    log = make_log(5)
    assert verify_chain(log[:2] + log[3:]).first_break == 4
    assert verify_chain([log[0], log[2], log[1]]).first_break == 3


def test_a_rewritten_history_misses_the_published_head() -> None:
    log = make_log(4)
    head = log[-1].entry_hash
    rewritten = make_log(3)
    rewritten.append(next_entry(rewritten[-1], actor="x", action="certify", subject="state"))
    assert verify_chain(log, expected_head=head).intact
    result = verify_chain(rewritten, expected_head=head)
    assert not result.intact and result.reason is not None and "head hash" in result.reason


@given(st.integers(min_value=1, max_value=12), st.data())
def test_changing_any_entry_breaks_the_chain_at_that_entry(n: int, data: st.DataObject) -> None:
    log = make_log(n)
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    log[index] = replace(log[index], actor="intruder")
    assert verify_chain(log).first_break == index + 1
