"""Fixtures of the gate's tests."""

from __future__ import annotations

import pytest

from tests.gate.helpers import FAKE_KEY, KEY_ENV


@pytest.fixture
def key_env(monkeypatch: pytest.MonkeyPatch) -> str:
    """The environment variable the gate reads its (fake) key from."""
    monkeypatch.setenv(KEY_ENV, FAKE_KEY)
    return KEY_ENV
