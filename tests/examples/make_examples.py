"""Write the example runs of tests/examples (valid/ and invalid/) afresh.

    python -m tests.examples.make_examples

Valid examples: one run per profile and status. Invalid examples: one run per single break of
tests/engine/breaks.py, named after the rule it must trip. The files are reviewed and
committed; this script only saves typing when a rule is added.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from runcontract.engine import Engine
from runcontract.model import Profile
from tests.engine.breaks import BREAKS, DEVIATIONS
from tests.synth import PROFILES, STATUSES, build_run

HERE = Path(__file__).resolve().parent


def main() -> None:
    default, strict = Engine(), Engine(strict=True)
    rng = random.Random(42)
    for profile in PROFILES:
        for status in STATUSES[profile]:
            run = build_run(rng, profile, status)
            assert default.check_run(run) == []
            path = HERE / "valid" / f"{profile}-{status}.json"
            path.write_text(json.dumps(run, indent=2) + "\n")
    seen: dict[str, int] = {}
    for item in BREAKS + DEVIATIONS:
        engine = strict if item.code.startswith("D") else default
        for _ in range(500):
            profile = rng.choice(item.profiles)
            if isinstance(item.applies, tuple):
                statuses = [s for s in item.applies if s in STATUSES[profile]]
                run = build_run(rng, profile, rng.choice(statuses))
            else:
                run = build_run(rng, profile)
                if not item.applies(run):
                    continue
            item.apply(run)
            if item.code in {v.rule for v in engine.check_run(run, profile=Profile(profile))}:
                break
        else:
            raise SystemExit(f"no example found for {item.code}")
        seen[item.code] = seen.get(item.code, 0) + 1
        suffix = f"-{seen[item.code]}" if seen[item.code] > 1 else ""
        path = HERE / "invalid" / f"{item.code}-{profile}-{run['status']}{suffix}.json"
        path.write_text(json.dumps(run, indent=2) + "\n")


if __name__ == "__main__":
    main()
