"""Test-wide settings: a deterministic Hypothesis profile for CI, chosen by environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    print_blob=True,
    deadline=None,
    # CI machines are shared; a slow example is not a failing one.
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=50)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

SHARED = Path(__file__).resolve().parent.parent / "shared"


@pytest.fixture(scope="session")
def shared() -> Path:
    """The test data beside the checkout: the upstream specs, the real corpus, the cassettes."""
    if not SHARED.is_dir():
        pytest.fail(f"test data not found at {SHARED}: tests need ../shared beside the checkout")
    return SHARED
