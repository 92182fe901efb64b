"""`jobs.stitch.Carried`, one process's lifecycle window played forward between byte ranges, held
to the plainest model of it: a list of runs, the oldest first, one run let go for each new run
once the window is full."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from runcontract.jobs.stitch import Carried

IDS = [f"run_{number}" for number in range(24)]

ranges = st.lists(
    st.tuples(
        st.lists(st.sampled_from(IDS), unique=True, max_size=10),  # a range's window at its end
        st.lists(st.booleans(), min_size=10, max_size=10),  # whether each had ended
        st.lists(st.sampled_from(IDS), unique=True, max_size=14),  # the next range's firsts
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=400, deadline=None)
@given(window=st.integers(1, 12), steps=ranges, chunk=st.integers(1, 15))
def test_the_window_played_forward_is_one_process_window(
    window: int, steps: list[tuple[list[str], list[bool], list[str]]], chunk: int
) -> None:
    """Played a range's first sights at a time, `chunk` of them, as a worker tells them."""
    carried = Carried(window)
    model: list[tuple[str, int, bool]] = []  # (run, keeper, ended), the oldest first
    forgotten = 0
    for keeper, (remembered, ended, firsts) in enumerate(steps):
        flags = ended[: len(remembered)]
        carried.add(keeper, remembered, bytes(flags))
        model = [run for run in model if run[0] not in remembered]
        model += [(run_id, keeper, done) for run_id, done in zip(remembered, flags, strict=True)]
        expected = []
        for seen, run_id in enumerate(firsts, 1):
            kept = next((run for run in model if run[0] == run_id), None)
            if kept is not None:
                model.remove(kept)
                expected.append((seen - 1, run_id, kept[1]))
            elif model and len(model) + seen > window:
                forgotten += not model.pop(0)[2]
        played = []
        for start in range(0, len(firsts), chunk):
            played += carried.play(firsts[start : start + chunk], start)
        assert played == expected
        assert [(run_id, *kept) for run_id, kept in carried.runs.items()] == model
        assert carried.forgotten == forgotten
