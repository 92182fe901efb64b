"""The catalogue's JSON copy: what the YAML says, rebuilt by its tool, and never read stale."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import orjson
from tools.build_catalogue import CONTRACTS

from runcontract.catalogue import (
    CATALOGUE_FILES,
    COPY_FILE,
    catalogue_of,
    contract_documents,
    load_catalogue,
    read_documents,
    read_yaml,
)

ROOT = Path(__file__).resolve().parents[2]


def _from_yaml(folder: Path) -> dict[str, object]:
    return {name: read_yaml((folder / name).read_bytes()) for name in CATALOGUE_FILES}


def test_the_shipped_copy_is_what_the_tool_makes() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_catalogue.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_the_copy_says_what_the_yaml_says() -> None:
    copy = orjson.loads((CONTRACTS / COPY_FILE).read_bytes())
    assert copy["documents"] == _from_yaml(CONTRACTS)
    assert contract_documents() == _from_yaml(CONTRACTS)
    assert list(contract_documents()) == list(CATALOGUE_FILES)  # rules keep their order


def test_the_rules_read_from_the_copy_are_those_read_from_the_yaml() -> None:
    from_yaml = catalogue_of(_from_yaml(CONTRACTS))
    assert list(load_catalogue().rules.items()) == list(from_yaml.rules.items())


def test_an_edited_yaml_file_is_read_though_the_copy_was_not_rebuilt(tmp_path: Path) -> None:
    folder = tmp_path / "contracts"
    shutil.copytree(CONTRACTS, folder)
    edited = folder / "lifecycle.yaml"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nedited: yes\n", encoding="utf-8")
    documents = read_documents(folder)
    assert documents["lifecycle.yaml"]["edited"] is True
    assert documents == _from_yaml(folder)


def test_a_broken_or_missing_copy_means_the_yaml_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "contracts"
    shutil.copytree(CONTRACTS, folder)
    (folder / COPY_FILE).write_bytes(b'{"crc32": ')
    assert read_documents(folder) == _from_yaml(folder)
    (folder / COPY_FILE).unlink()
    assert read_documents(folder) == _from_yaml(folder)
