"""The rule catalogue: contracts/*.yaml read into Rule records, and who emits each rule.

The catalogue is data; this module only reads it and answers questions about it (which rules
are on for a profile and a mode, what severity a rule has). The checks that implement the rules
live in runcontract.rules (object rules), runcontract.engine.lifecycle (lifecycle rules) and
runcontract.gate (HTTP rules); each declares the codes it emits in the same way, with
`@emits(kind, *codes)` (object checks with `@object_check(*codes)`), so the catalogue,
--select / --ignore and the docs all read one list. A test holds every declared code to a
catalogue entry and every catalogue entry to a declaration.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypeVar

import orjson

from runcontract._data import data_dir
from runcontract.errors import RuncontractError
from runcontract.model import JSON, Profile, Severity, Violation

CATALOGUE_FILES = ("rules.yaml", "deviations.yaml", "lifecycle.yaml", "http.yaml")
# The YAML files as one JSON document, which orjson reads at startup in a fraction of the
# time PyYAML takes to import; tools/build_catalogue.py writes it.
COPY_FILE = "catalogue.json"

Kind = Literal["object", "lifecycle", "http"]
Emitter = TypeVar("Emitter", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Declaration:
    """A check (a function, a method, or a table of another tool's checks) and the codes it emits.

    `kind` says what it judges: one run object, the observations of one run, or one HTTP
    exchange. What may emit a code is found here and nowhere else.
    """

    kind: Kind
    name: str  # module.qualname of the check, or of the table
    codes: frozenset[str]


DECLARATIONS: list[Declaration] = []


def declare(kind: Kind, name: str, codes: Iterable[str]) -> Declaration:
    """Declare a check that is not a function of ours: a table mapping another tool's checks."""
    declaration = Declaration(kind, name, frozenset(codes))
    DECLARATIONS.append(declaration)
    return declaration


def emits(kind: Kind, *codes: str) -> Callable[[Emitter], Emitter]:
    """Declare the rule codes a lifecycle or HTTP check emits (object checks: `object_check`)."""

    def register(function: Emitter) -> Emitter:
        declare(kind, f"{function.__module__}.{function.__qualname__}", codes)
        return function

    return register


class CatalogueError(RuncontractError):
    """The shipped contracts/ folder is broken: a bug in runcontract, not in the user's input."""


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    name: str
    title: str
    family: str
    severity: Severity
    profiles: frozenset[Profile]
    evidence: str
    deviation: bool = False
    match: Mapping[str, JSON] | None = None
    # Rules whose finding on the same object breaks this rule's premise: with one of them
    # found, this one is a consequence of the same defect and is not reported.
    suppressed_by: frozenset[str] = frozenset()

    def severity_in(self, *, strict: bool) -> Severity:
        """Deviations of the real API are warnings by default and errors under --strict."""
        if self.deviation and strict:
            return Severity.ERROR
        return self.severity


def _rule(entry: Mapping[str, Any], *, family: str | None, deviation: bool) -> Rule:
    try:
        return Rule(
            code=str(entry["code"]),
            name=str(entry["name"]),
            title=str(entry["title"]),
            family=family or str(entry["family"]),
            severity=Severity.WARNING if deviation else Severity(entry["severity"]),
            profiles=frozenset(Profile(p) for p in entry["profiles"]),
            evidence=" ".join(str(entry["evidence"]).split()),
            deviation=deviation,
            match=entry.get("match"),
            suppressed_by=frozenset(str(code) for code in entry.get("suppressed_by", ())),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise CatalogueError(f"rule entry {entry.get('code', '?')}: {exc!r}") from exc


def read_yaml(raw: bytes) -> Any:
    """One YAML document of contracts/, read with libyaml's safe loader where PyYAML has it."""
    import yaml  # noqa: PLC0415 - only when the JSON copy is stale, and for the tool

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(raw, Loader=loader)  # noqa: S506 - a safe loader


def checksum(raw: bytes) -> int:
    """What the JSON copy records of each YAML file, to notice one edited since the copy."""
    return zlib.crc32(raw)


def read_documents(folder: Path) -> dict[str, Any]:
    """The documents of the catalogue's YAML files in `folder`, by file name.

    From the JSON copy when it was made from these very files; otherwise (a YAML file edited
    and the copy not rebuilt) from the YAML, so the catalogue is never stale, only slower.
    """
    raws = {n: (folder / n).read_bytes() for n in CATALOGUE_FILES if (folder / n).is_file()}
    try:
        copy = orjson.loads((folder / COPY_FILE).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        copy = None
    if isinstance(copy, dict) and copy.get("crc32") == {n: checksum(r) for n, r in raws.items()}:
        documents = copy.get("documents")
        if isinstance(documents, dict) and all(name in documents for name in raws):
            return {name: documents[name] for name in raws}
    return {name: read_yaml(raw) for name, raw in raws.items()}


@cache
def contract_documents() -> dict[str, Any]:
    """The shipped catalogue's documents (`read_documents` of contracts/), read once."""
    return read_documents(data_dir("contracts"))


@cache
def load_catalogue() -> Catalogue:
    return catalogue_of(contract_documents())


def catalogue_of(documents: Mapping[str, Any]) -> Catalogue:
    """The catalogue the documents of its files (`read_documents`) describe."""
    rules: list[Rule] = []
    for doc in documents.values():
        for entry in doc.get("rules", []):
            rules.append(_rule(entry, family=None, deviation=False))
        for entry in doc.get("deviations", []):
            rules.append(_rule(entry, family="deviations", deviation=True))
    return Catalogue(rules)


class Catalogue:
    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules: dict[str, Rule] = {}
        for rule in rules:
            if rule.code in self.rules:
                raise CatalogueError(f"rule code {rule.code} is defined twice")
            self.rules[rule.code] = rule
        for rule in self.rules.values():
            unknown = sorted(rule.suppressed_by - set(self.rules))
            if unknown or rule.code in rule.suppressed_by:
                raise CatalogueError(
                    f"rule {rule.code} is suppressed_by {', '.join(unknown) or rule.code}, "
                    "which is not another rule"
                )

    def __getitem__(self, code: str) -> Rule:
        return self.rules[code]

    def __contains__(self, code: object) -> bool:
        return code in self.rules

    def unsuppressed(self, violations: list[Violation]) -> list[Violation]:
        """The violations of one object less those another of them explains (`suppressed_by`).

        One defect, one finding: milliseconds in created_at are T006, and the order rules that
        compare created_at with the other timestamps only repeat it.
        """
        found = {violation.rule for violation in violations}
        return [
            violation
            for violation in violations
            if not (self.rules[violation.rule].suppressed_by & found)
        ]

    def deviations(self) -> list[Rule]:
        return [rule for rule in self.rules.values() if rule.deviation]

    def resolve_selection(self, patterns: Iterable[str]) -> set[str]:
        """Expand codes and prefixes ("T", "T00", "T001") into codes; unknown ones raise."""
        chosen: set[str] = set()
        for raw in patterns:
            pattern = raw.strip().upper()
            if not pattern:
                continue
            found = {code for code in self.rules if code.startswith(pattern)}
            if not found:
                raise KeyError(pattern)
            chosen |= found
        return chosen


def declarations() -> list[Declaration]:
    """Every check of every kind, with the codes it emits: what `--select` and the docs read.

    Imports the modules that declare (the gate's among them), so it is for tests and tools,
    not for a command's startup.
    """
    # imported here: they import this module, and a command needs only its own checks
    import runcontract.engine.lifecycle  # noqa: PLC0415 - declares the lifecycle checks
    import runcontract.gate.driver  # noqa: PLC0415 - declares the scenarios' HTTP checks
    import runcontract.gate.judge  # noqa: PLC0415 - declares the answers' HTTP checks
    import runcontract.gate.phases  # noqa: PLC0415, F401 - declares schemathesis's checks
    from runcontract.engine.schemacheck import SCHEMA_RULE  # noqa: PLC0415
    from runcontract.rules import OBJECT_CHECKS  # noqa: PLC0415

    shapes = {rule.code for rule in load_catalogue().deviations() if "schema" in (rule.match or {})}
    return [
        Declaration("object", "runcontract.engine.schemacheck", frozenset({SCHEMA_RULE, *shapes})),
        *(
            Declaration("object", f"{check.run.__module__}.{check.name}", check.codes)
            for check in OBJECT_CHECKS
        ),
        *DECLARATIONS,
    ]
