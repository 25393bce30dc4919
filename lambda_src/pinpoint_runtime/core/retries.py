"""Retry timing shared by the runtime's AWS callers (Firehose, DynamoDB, ...)."""

from __future__ import annotations

import random


def full_jitter_backoff(retry: int, *, base: float, cap: float) -> float:
    """Seconds to wait before retry number ``retry`` (1, 2, ...): exponential backoff with full jitter,
    ``uniform(0, min(cap, base * 2 ** (retry - 1)))`` (AWS Architecture Blog, "Exponential Backoff And Jitter")."""
    if retry < 1:
        raise ValueError("retry counts from 1")
    return random.uniform(0.0, min(cap, base * 2 ** (retry - 1)))
