"""The shared retry timing: exponential backoff with full jitter, bounded by the cap."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pinpoint_runtime.core.retries import full_jitter_backoff


@given(st.integers(min_value=1, max_value=60))
def test_backoff_stays_between_zero_and_the_exponential_bound(retry: int) -> None:
    delay = full_jitter_backoff(retry, base=0.1, cap=5.0)
    assert 0.0 <= delay <= min(5.0, 0.1 * 2 ** (retry - 1))


def test_backoff_is_jittered() -> None:
    delays = {full_jitter_backoff(6, base=0.1, cap=5.0) for _ in range(50)}
    assert len(delays) > 40  # full jitter: the waits of concurrent clients do not line up


def test_retry_counts_from_one() -> None:
    with pytest.raises(ValueError, match="counts from 1"):
        full_jitter_backoff(0, base=0.1, cap=5.0)
