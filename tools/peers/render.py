"""docs/peers.md from the results of the peer runs: a pure function of its input."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from tools.peers.evidence import EVIDENCE, Evidence, locate
from tools.peers.findings import Finding

EXIT_MEANING = {
    0: "conformant",
    1: "contract violations",
    2: "usage error",
    3: "could not check",
}


@dataclass(frozen=True)
class PeerResult:
    name: str
    version: str
    about: str  # what the server is and what it takes to serve it, in markdown
    server_command: str
    gate_command: str
    exit_code: int | None  # None: the gate did not run to its end (`failure` says why)
    budget: int
    runs_created: int | None  # counted by the server's own code, not from the answers
    gate_runs_created: int | None  # what the gate's summary says it created
    seconds: float
    summary: str  # the gate's own summary lines
    findings: Sequence[Finding] = ()
    problems: Sequence[str] = ()  # why the gate could not check, as it says
    failure: str | None = None  # why the gate did not run, or was killed
    runcontract: str = ""  # the commit of the gate that judged


@dataclass(frozen=True)
class Page:
    generated: str  # when
    options: str  # the script's own options
    peers: Sequence[PeerResult] = field(default_factory=tuple)


Locator = Callable[[Evidence], "int | None"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _exit(result: PeerResult) -> str:
    if result.exit_code is None:
        return "none: the gate did not run to its end"
    return f"{result.exit_code} ({EXIT_MEANING.get(result.exit_code, 'unknown')})"


def _runs(result: PeerResult) -> str:
    server = "not counted" if result.runs_created is None else str(result.runs_created)
    held = ""
    if result.runs_created is not None:
        held = " (held)" if result.runs_created <= result.budget else " (**exceeded**)"
    gate = (
        ""
        if result.gate_runs_created is None
        else f"; the gate's summary says {result.gate_runs_created}"
    )
    return f"{server} of budget {result.budget}{held}{gate}"


def _example(finding: Finding) -> str:
    example = finding.example
    exchange = example.exchange
    if exchange is not None:
        status = "no answer" if exchange.status is None else str(exchange.status)
        request = f"{_code(f'{exchange.method} {exchange.path}')} → {status} ({example.unit})"
    else:
        request = f"in {example.unit}"
    value = f" (value {_code(example.value)})" if example.value is not None else ""
    return f"{request}: {_code(example.where)}: {example.message}{value}"


Catalogue = Mapping[str, Sequence[Evidence]]


def _catalogue_evidence(rule: str) -> str:
    from runcontract.catalogue import load_catalogue  # noqa: PLC0415 - only for such rules

    found = load_catalogue().rules.get(rule)
    return found.evidence if found is not None else ""


def _evidence(rule: str, locate_quote: Locator, evidence: Catalogue) -> list[str]:
    entries = evidence.get(rule, ())
    if not entries:
        own = _catalogue_evidence(rule)
        if own:
            return [f"- evidence (the rule's own, in `contracts/`; no quote on file here): {own}"]
        return ["- evidence: *none on file for this rule; read it against the spec first*"]
    lines = []
    for entry in entries:
        line = locate_quote(entry)
        where = f"`{entry.file}`" + (f" line {line}" if line else " (**quote not found there**)")
        lines.append(f"- evidence, {where}: “{entry.quote}” {entry.reading}")
    return lines


def _by_rule(
    findings: Sequence[Finding],
    titles: Mapping[str, str],
    locate_quote: Locator,
    evidence: Catalogue,
) -> list[str]:
    """One block per rule: its evidence once, then each operation with a count and an example."""
    rules: dict[str, list[Finding]] = {}
    for finding in findings:
        rules.setdefault(finding.rule, []).append(finding)
    lines: list[str] = []
    for rule, members in rules.items():
        answers = sum(f.count for f in members)
        title = titles.get(rule, "")
        lines += [
            f"#### {rule} ({members[0].severity}){f': {title}' if title else ''}",
            "",
            f"{answers} answers, {len(members)} operations.",
            "",
        ]
        disputes = sorted({f.disputed for f in members if f.disputed is not None})
        if disputes:
            lines += [f"- **does not stand**: {why}" for why in disputes]
        else:
            lines += _evidence(rule, locate_quote, evidence)
        lines += ["", "| operation | answers | first example |", "| --- | --- | --- |"]
        lines += [
            f"| {_cell(_code(f.operation))} | {f.count} | {_cell(_example(f))} |" for f in members
        ]
        lines.append("")
    return lines


def render_peer(
    result: PeerResult,
    titles: Mapping[str, str],
    locate_quote: Locator = locate,
    evidence: Catalogue = EVIDENCE,
) -> list[str]:
    lines = [f"## {result.name} {result.version}", "", result.about.strip(), ""]
    lines += [
        "| | |",
        "| --- | --- |",
        f"| server | {_cell(_code(result.server_command))} |",
        f"| gate | {_cell(_code(result.gate_command))} |",
        f"| exit code | {_exit(result)} |",
        f"| runs created, counted by the server | {_runs(result)} |",
        f"| wall time of the gate | {result.seconds:.1f} s |",
    ]
    if result.runcontract:
        lines.append(f"| runcontract (the gate) | {result.runcontract} |")
    lines.append("")
    if result.failure:
        lines += [f"The gate did not run to its end: {result.failure}", ""]
    if result.summary:
        lines += ["The gate's summary:", "", "```text", result.summary.strip(), "```", ""]
    if result.problems:
        lines += ["What the gate says it could not check:", ""]
        lines += [f"- {problem}" for problem in result.problems]
        lines.append("")
    standing = [f for f in result.findings if f.disputed is None]
    disputed = [f for f in result.findings if f.disputed is not None]
    errors = {f.rule for f in standing if f.severity == "error"}
    warnings = {f.rule for f in standing if f.severity != "error"}
    lines += [
        f"### Findings: {len(errors)} rules broken, {len(warnings)} warned "
        f"({len(standing)} distinct rule and operation pairs)",
        "",
    ]
    if not standing:
        lines += ["None.", ""]
    lines += _by_rule(standing, titles, locate_quote, evidence)
    if disputed:
        lines += [
            f"### Reported by the gate but not standing: the gate's errors, or breaks no "
            f"evidence establishes ({len(disputed)} rule and operation pairs)",
            "",
        ]
        lines += _by_rule(disputed, titles, locate_quote, evidence)
    return lines


def render(
    page: Page,
    titles: Mapping[str, str],
    locate_quote: Locator = locate,
    evidence: Catalogue = EVIDENCE,
) -> str:
    lines = [
        "# What the gate finds in open-source Assistants servers",
        "",
        "Each server below was installed from the package index into a venv of its own, served on "
        "127.0.0.1, and judged by `runcontract gate` as a user would run it against their own "
        "API. A finding is one rule broken by one operation: its code (the rule catalogue is in "
        "`contracts/`), the operation, how many answers broke it, the first of them, and the "
        "upstream spec sentence (`../shared/reference`) or real API recording "
        "(`../shared/corpus`) that makes it a break. Runs are counted by the server's own code, "
        "to show the gate's `--budget` held.",
        "",
        f"Generated by `python -m tools.peers.run {page.options}` {page.generated}; each "
        "server's gate command line below is exactly what it ran.",
        "",
    ]
    for result in page.peers:
        lines += render_peer(result, titles, locate_quote, evidence)
    return "\n".join(lines).rstrip() + "\n"
