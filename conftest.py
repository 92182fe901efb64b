"""Test-wide settings: a deterministic Hypothesis profile for CI, chosen by environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from tests import engines

from runcontract.engine import Engine

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    print_blob=True,
    deadline=None,
    # CI machines are shared; a slow example is not a failing one.
    suppress_health_check=[HealthCheck.too_slow],
)
# No example database: pytest-xdist's workers would share one directory, and a test's examples
# would then depend on what ran before it, and where.
settings.register_profile("dev", deadline=None, max_examples=50, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

SHARED = Path(__file__).resolve().parent.parent / "shared"


@pytest.fixture(scope="session")
def shared() -> Path:
    """The test data beside the checkout: the upstream specs, the real corpus, the cassettes."""
    if not SHARED.is_dir():
        pytest.fail(f"test data not found at {SHARED}: tests need ../shared beside the checkout")
    return SHARED


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The engine as `runcontract validate` builds it: pure, so one serves every test."""
    return engines.default_engine()


@pytest.fixture(scope="session")
def strict_engine() -> Engine:
    """The engine of `runcontract validate --strict`."""
    return engines.strict_engine()
