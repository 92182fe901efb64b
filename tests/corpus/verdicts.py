"""Judge the real corpus and the cassettes of ../shared, one file at a time.

Used by test_corpus.py, and run as a script to write expected_verdicts.yaml afresh:
    python -m tests.corpus.verdicts > tests/corpus/expected_verdicts.yaml
The file is reviewed by a person before it is committed: a change in it is a change in what
runcontract says about the real API.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from runcontract.engine import Engine
from runcontract.model import ObjectResult, Observation, ReadError, Severity
from runcontract.sources import read_paths

SHARED = Path(__file__).resolve().parents[3] / "shared"
CORPUS = SHARED / "corpus" / "real"
CASSETTES = SHARED / "corpus" / "cassettes"
_ROW = re.compile(r"^\| `(?P<file>[^`]+\.json)` \| (?P<cls>REAL-REC|REAL-PRINTED|HAND) \|")


def provenance() -> dict[str, str]:
    """File name -> REAL-REC, REAL-PRINTED or HAND, from corpus/real/PROVENANCE.md."""
    text = (CORPUS / "PROVENANCE.md").read_text(encoding="utf-8")
    return {m["file"]: m["cls"] for line in text.splitlines() if (m := _ROW.match(line))}


def inputs() -> Iterator[tuple[str, Path]]:
    """(name relative to corpus/, path) of every corpus file and cassette."""
    for path in sorted(CORPUS.glob("*/*.json")):
        yield f"real/{path.parent.name}/{path.name}", path
    for path in sorted(CASSETTES.glob("*/*")):
        if path.suffix in (".yaml", ".yml", ".json"):
            yield f"cassettes/{path.parent.name}/{path.name}", path


class CorpusReadError(Exception):
    """A file of the test data could not be read: the readers broke, not the API."""


def judge(path: Path, engine: Engine) -> list[ObjectResult]:
    tracker = engine.lifecycle_tracker()
    results = []
    for item in read_paths([str(path)]):
        if isinstance(item, ReadError):
            raise CorpusReadError(f"{item.source}: {item.message}")
        if isinstance(item, Observation):
            result = engine.judge(item)
            if tracker is not None:
                tracker.observe(item, result)
            results.append(result)
    return results


def verdict(results: list[ObjectResult]) -> dict[str, Any]:
    """Objects, failed objects, and each rule's count by severity."""
    errors: Counter[str] = Counter()
    warnings: Counter[str] = Counter()
    for result in results:
        for violation in result.violations:
            (errors if violation.severity is Severity.ERROR else warnings)[violation.rule] += 1
    return {
        "objects": len(results),
        "failed": sum(result.failed for result in results),
        "errors": dict(sorted(errors.items())),
        "warnings": dict(sorted(warnings.items())),
    }


def all_verdicts() -> dict[str, dict[str, Any]]:
    default, strict = Engine(), Engine(strict=True)
    table = {}
    for name, path in inputs():
        table[name] = {
            "default": verdict(judge(path, default)),
            "strict": verdict(judge(path, strict)),
        }
    return table


if __name__ == "__main__":
    classes = provenance()
    out = {}
    for name, entry in all_verdicts().items():
        kind = classes.get(Path(name).name, "CASSETTE" if name.startswith("cassettes/") else "?")
        out[name] = {"class": kind, **entry}
    sys.stdout.write(
        "# Expected verdicts on ../shared/corpus, one file at a time (python -m\n"
        "# tests.corpus.verdicts writes it afresh). Reviewed: every default-mode error is in a\n"
        "# HAND documentation example or a REAL-PRINTED object passed through an SDK; REAL-REC\n"
        "# objects and cassettes get warnings for the deviations of deviations.yaml only.\n"
    )
    yaml.safe_dump(out, sys.stdout, sort_keys=False, width=100)
