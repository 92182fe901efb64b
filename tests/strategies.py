"""Hypothesis strategies shared by the test packages: valid runs, any JSON, junk put into runs."""

from __future__ import annotations

from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from tests.synth import PROFILES, STATUSES, build_run

Run = dict[str, Any]


@st.composite
def runs(draw: st.DrawFn, profile: str | None = None, status: str | None = None) -> Run:
    rng = draw(st.randoms(use_true_random=False))
    chosen = profile or draw(st.sampled_from(PROFILES))
    if status is not None:
        assume(status in STATUSES[chosen])
    return build_run(rng, chosen, status)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def add_junk(run: dict[str, Any], data: st.DataObject) -> None:
    """Replace a few of the run's fields with any JSON, and add a key to one nested object."""
    for key in data.draw(st.lists(st.sampled_from(sorted(run)), min_size=1, max_size=4)):
        run[key] = data.draw(json_values)
    nested = data.draw(st.sampled_from(["required_action", "usage", "tools", "metadata"]))
    if isinstance(run.get(nested), dict):
        run[nested][data.draw(st.text(max_size=8))] = data.draw(json_values)
