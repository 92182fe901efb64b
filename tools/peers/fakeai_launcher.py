"""Start `fakeai server` exactly as its CLI does, and count the runs it creates.

    <fakeai venv>/bin/python fakeai_launcher.py --stats FILE -- server --host H --port P

Runs in FakeAI's own venv. The arguments after `--` go to FakeAI's CLI unchanged
(`fakeai.cli.main`, the `fakeai` console script); uvicorn then imports `fakeai.app` in this
process. Before that, the one function FakeAI calls to name a new run (`_generate_run_id`, called
once per run by its create-run route, streaming or not) is wrapped to count its calls, and the
count goes to the stats file each time it grows: the run budget is checked on the server's side,
and deleting a thread (which drops its runs from FakeAI's store) does not lower it. Nothing else
is changed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

# `fakeai.app` the attribute is the FastAPI object (the package re-exports it); the module is
# what uvicorn imports and what names the runs.
server_module = importlib.import_module("fakeai.app")
cli_module = importlib.import_module("fakeai.cli")


def count_runs(stats: Path) -> None:
    name_run = server_module._generate_run_id  # the only place a run is born
    created = 0

    def counted() -> str:
        nonlocal created
        created += 1
        stats.write_text(json.dumps({"runs_created": created}))
        return name_run()

    server_module._generate_run_id = counted
    stats.write_text(json.dumps({"runs_created": 0}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stats", type=Path, required=True)
    parser.add_argument("fakeai_args", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    arguments = (
        options.fakeai_args[1:] if options.fakeai_args[:1] == ["--"] else options.fakeai_args
    )
    count_runs(options.stats)
    sys.argv = ["fakeai", *arguments]
    return cli_module.main()


if __name__ == "__main__":
    sys.exit(main())
