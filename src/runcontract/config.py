"""Settings from a file: `runcontract.toml`, or `[tool.runcontract]` in `pyproject.toml`.

The file is found from the current folder upward: in each folder a `runcontract.toml` wins over a
`pyproject.toml`, and a `pyproject.toml` counts only when it has a `[tool.runcontract]` table (as
ruff and mypy look for theirs); `--config PATH` names the file instead. One table per command:

    # pyproject.toml                      # runcontract.toml
    [tool.runcontract.validate]           [validate]
    strict = true                         strict = true
    [tool.runcontract.gate]               [gate]
    budget = 10                           budget = 10

Keys are the commands' long options without their dashes (`max-examples = 5`); paths in a file
are read from the file's folder. A flag on the command line wins over the file.
"""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runcontract.cli.options import Kind, Option
from runcontract.errors import RuncontractError

COMMANDS = ("validate", "gate")


class ConfigError(RuncontractError, ValueError):
    """The configuration file cannot be read or holds a key or value no option takes."""


@dataclass
class Settings:
    """The values a file sets for one command, already checked, and the file they came from."""

    values: dict[str, Any] = field(default_factory=dict)
    source: Path | None = None


def find_config(start: Path) -> Path | None:
    """The file that configures a command started in `start`, or None."""
    for folder in (start, *start.parents):
        own = folder / "runcontract.toml"
        if own.is_file():
            return own
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "runcontract" in _read(pyproject).get("tool", {}):
            return pyproject
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def load_settings(
    command: str, options: Iterable[Option], *, explicit: Path | None, start: Path
) -> Settings:
    """The settings `command` takes from `explicit` or the file found from `start`."""
    path = explicit if explicit is not None else find_config(start)
    if path is None:
        return Settings()
    if explicit is not None and not explicit.is_file():
        raise ConfigError(f"{explicit}: no such configuration file")
    document = _read(path)
    if path.name == "pyproject.toml":
        root, prefix = document.get("tool", {}).get("runcontract", {}), "tool.runcontract."
    else:
        root, prefix = document, ""
    if not isinstance(root, dict):
        raise ConfigError(f"{path}: [{prefix.rstrip('.')}] must be a table")
    for key, value in root.items():
        if key not in COMMANDS or not isinstance(value, dict):
            raise ConfigError(
                f"{path}: unknown key '{prefix}{key}': options go in the tables "
                + " and ".join(f"[{prefix}{c}]" for c in COMMANDS)
            )
    table: dict[str, Any] = root.get(command, {})
    known = {o.name: o for o in options if o.in_file}
    values = {}
    for key, value in table.items():
        where = f"{path}: [{prefix}{command}] {key}"
        option = known.get(key)
        if option is None:
            raise ConfigError(
                f"{where}: unknown key; the keys of [{prefix}{command}] are: "
                + ", ".join(sorted(known))
            )
        values[key] = _checked(option, value, where, path.parent)
    return Settings(values, path)


def _checked(option: Option, value: Any, where: str, folder: Path) -> Any:
    """The value as the command line would have read it, or a ConfigError saying what is wrong."""
    wrong = ConfigError(f"{where}: expected {option.describe_type()}, got {value!r}")
    if option.kind is Kind.SWITCH:
        if not isinstance(value, bool):
            raise wrong
        return value
    if option.kind in (Kind.LIST, Kind.REPEATED, Kind.PATHS):
        items = [value] if isinstance(value, str) and option.kind is Kind.LIST else value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise wrong
        if option.kind is Kind.PATHS:
            return [i if i == "-" else str(folder / i) for i in items]
        if option.kind is Kind.REPEATED:
            return list(items)
        found: list[Any] = []
        for item in items:
            found.extend(_parsed(option, item, where))
        if option.holds_paths:  # KIND=PATH pairs (--report)
            found = [(kind, str(folder / path)) for kind, path in found]
        return found
    if isinstance(value, bool) or not isinstance(value, option.file_type):
        raise wrong
    if isinstance(value, list):  # a list where a comma-separated value is taken (phases)
        if not all(isinstance(i, str) for i in value):
            raise wrong
        value = ",".join(value)
    if option.choices is not None and value not in option.choices:
        raise wrong
    parsed = _parsed(option, str(value), where)
    return str(folder / parsed) if option.holds_paths else parsed


def _parsed(option: Option, text: str, where: str) -> Any:
    try:
        return option.parse(text)
    except argparse.ArgumentTypeError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
