"""Hypothesis settings shared by the property-based fuzz tests.

Budgets are small so the fast lane stays fast; ``NEWSWATCH_FUZZ_SCALE=50`` multiplies every
budget for a long fuzzing session. No example database: nothing is written into the checkout,
and a failure prints the example and the seed that reproduce it.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

SCALE = float(os.environ.get("NEWSWATCH_FUZZ_SCALE", "1"))


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
