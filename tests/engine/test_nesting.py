"""The compiled nesting check holds to the walk it spares: the same verdict, the same place."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from runcontract.engine.nesting import MAX_NESTING, too_deep, walk_too_deep

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=40,
)


def _nested(depth: int, *, key: str | None = None) -> Any:
    value: Any = 1
    for level in range(depth):
        value = {key or f"k{level}": value} if level % 2 else [value]
    return value


@settings(max_examples=300, deadline=None)
@given(value=_VALUES, limit=st.integers(min_value=0, max_value=6))
def test_the_compiled_check_and_the_walk_agree_on_any_json(value: Any, limit: int) -> None:
    assert too_deep(value, limit) == walk_too_deep(value, limit)


def test_they_agree_around_the_limit_and_far_past_it() -> None:
    for depth in (1, MAX_NESTING - 1, MAX_NESTING, MAX_NESTING + 1, 5_000):
        value = {"metadata": {"a": _nested(depth)}}
        assert too_deep(value) == walk_too_deep(value)
    assert too_deep(_nested(MAX_NESTING)) is None
    found = too_deep(_nested(MAX_NESTING + 1))
    assert found is not None
    assert found.startswith("$[0].k99[0].k97")


def test_a_scalar_nests_nowhere() -> None:
    assert too_deep("text") is None
    assert too_deep(None) is None
