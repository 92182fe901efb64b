"""Build contracts/catalogue.json, the rule catalogue's YAML files as one JSON document.

    python tools/build_catalogue.py [--check]

The YAML files in contracts/ are what a person edits; every command reads the catalogue at
startup, and orjson reads this JSON copy in a fraction of the time PyYAML takes (whose import
alone costs more). Beside each document the copy holds the CRC-32 of the YAML file it came
from, so the package notices an edited YAML file whose copy was not rebuilt and reads the YAML
instead (`runcontract.catalogue.contract_document`). `--check` writes nothing and exits 1 when
the copy is out of date; a test runs it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

from runcontract.catalogue import CATALOGUE_FILES, COPY_FILE, checksum, read_yaml

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"


def build(folder: Path = CONTRACTS) -> bytes:
    """The JSON copy of the YAML files in `folder`, as bytes to write."""
    checksums: dict[str, int] = {}
    documents: dict[str, Any] = {}
    for name in CATALOGUE_FILES:
        raw = (folder / name).read_bytes()
        document = read_yaml(raw)
        if orjson.loads(orjson.dumps(document)) != document:
            raise SystemExit(f"{name} holds a value JSON cannot say the same way (a date?)")
        checksums[name] = checksum(raw)
        documents[name] = document
    copy = {
        "generated": "by tools/build_catalogue.py from the YAML files beside it; do not edit",
        "crc32": checksums,
        "documents": documents,
    }
    return orjson.dumps(copy, option=orjson.OPT_INDENT_2) + b"\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the copy is stale")
    args = parser.parse_args(argv)
    target = CONTRACTS / COPY_FILE
    built = build()
    if not args.check:
        target.write_bytes(built)
        return 0
    if not target.is_file() or target.read_bytes() != built:
        sys.stderr.write(f"{target} is out of date: run tools/build_catalogue.py\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
