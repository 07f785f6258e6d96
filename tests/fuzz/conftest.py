"""Shared hypothesis settings for the fuzz suite: modest example counts (the whole suite
stays well under a minute), no per-example deadline (CI machines stall), and a fixed
derandomised seed would hide new findings, so examples stay random."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
FUZZ_SLOW = settings(FUZZ, max_examples=60)
