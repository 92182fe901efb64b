"""`validate --jobs N`: the inputs judged by N worker processes, reported as one process would.

Two ways, one report:
- inputs that are all plain JSON Lines files are cut into N byte ranges, one a worker, and the
  lifecycle of runs seen in two ranges is stitched at the end (ranges.py, stitch.py): no line is
  read twice;
- any other inputs (recordings, documents, gzip) are read by every worker, each judging the runs
  whose id hashes to it (routed.py).

Workers are forked (they inherit the engine as built); where fork is not available, or stdin is
an input (it can be read once only), the inputs are judged in this process.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from runcontract.sources.paths import FoundFile, expand
from runcontract.sources.reader import STDIN_PATH

if TYPE_CHECKING:
    from runcontract.engine import Engine
    from runcontract.model import Summary
    from runcontract.reporters import Reporter
    from runcontract.runner import Progress

__all__ = ["WORTH_SHARDING_BYTES", "cores", "jobs_for", "validate_in_jobs"]

# Below this much input, starting the workers costs more than they save (each compiles the
# schemas and types it needs again).
WORTH_SHARDING_BYTES: Final = 16 * 1_048_576


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def jobs_for(paths: Sequence[str], asked: int | None) -> int:
    """How many workers to judge `paths` with: as asked, or all cores for inputs that pay."""
    if STDIN_PATH in paths or not hasattr(os, "fork"):
        return 1
    if asked is not None:
        return max(1, asked)
    size = 0
    for given in paths:
        try:
            for found in expand(given):
                if isinstance(found, FoundFile):
                    size += Path(found.path).stat().st_size
        except OSError:
            continue  # reading it says what is wrong
    return cores() if size >= WORTH_SHARDING_BYTES else 1


def validate_in_jobs(
    paths: Sequence[str],
    engine: Engine,
    reporter: Reporter,
    *,
    jobs: int,
    progress: Progress | None = None,
) -> Summary:
    """`runner.validate_paths` with `jobs` workers, reported exactly as one process reports."""
    # the ways of judging in workers are imported by what uses them: `validate` of one small
    # file asks only `jobs_for`
    from runcontract.jobs.ranges import plan, validate_ranges  # noqa: PLC0415
    from runcontract.jobs.routed import validate_routed  # noqa: PLC0415
    from runcontract.runner import validate_paths  # noqa: PLC0415

    if jobs <= 1 or STDIN_PATH in paths:
        return validate_paths(paths, engine, reporter, progress=progress)
    parts = plan(paths, jobs)
    if parts is not None:
        return validate_ranges(parts, engine, reporter, progress=progress)
    return validate_routed(paths, engine, reporter, jobs=jobs, progress=progress)
