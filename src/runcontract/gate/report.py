"""The gate's verdict, rendered: the text summary, and the reporters' formats for --report.

Reporters render; the exit code comes from the outcome (GateOutcome.exit_code), never from here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import TextIO

from runcontract.gate.judge import Verdict
from runcontract.gate.session import EXIT_COULD_NOT_CHECK, EXIT_OK, GateOutcome
from runcontract.gate.traffic import Problem
from runcontract.model import ReadError, Severity, Source, Summary, Violation
from runcontract.reporters import REPORTERS
from runcontract.runner import count


def _line(verdict: Verdict, violation: Violation) -> str:
    exchange = verdict.exchange
    where = f"interaction {exchange.interaction}" if exchange.interaction else "-"
    run = "-"
    for result in verdict.results:
        if violation in result.violations:
            run = result.run_id or "-"
            break
    line = (
        f"  {violation.severity.value:<7} {violation.rule}  {verdict.unit} | {exchange.label} "
        f"({where}) | run {run} | {violation.path}: {violation.message}"
    )
    if violation.related is not None:
        line += f" (earlier: {violation.related.entry or violation.related})"
    return line


def _grouped(pairs: Iterable[tuple[Verdict, Violation]], *, limit: int) -> Iterable[str]:
    groups: dict[tuple[str, str], list[tuple[Verdict, Violation]]] = defaultdict(list)
    for verdict, violation in pairs:
        groups[(violation.rule, verdict.unit)].append((verdict, violation))
    for (rule, unit), members in sorted(groups.items()):
        for verdict, violation in members[:limit]:
            yield _line(verdict, violation)
        if len(members) > limit:
            yield f"  ... and {len(members) - limit} more {rule} in {unit}"


def operation_of(verdict: Verdict) -> str:
    """The operation an answer belongs to, in the document's words (no ids)."""
    if verdict.operation is not None:
        return verdict.operation.label
    return "requests outside the document"


def distinct(pairs: Iterable[tuple[Verdict, Violation]]) -> Iterable[str]:
    """One line per (rule, operation): how often, and the first answer that showed it.

    Under it, that answer's request as a command, so the finding can be seen again by hand.
    """
    groups: dict[tuple[str, str], list[tuple[Verdict, Violation]]] = defaultdict(list)
    for verdict, violation in pairs:
        groups[(violation.rule, operation_of(verdict))].append((verdict, violation))
    for (rule, operation), members in sorted(groups.items()):
        verdict, violation = members[0]
        exchange = verdict.exchange
        where = f"interaction {exchange.interaction}" if exchange.interaction else "-"
        yield (
            f"  {violation.severity.value:<7} {rule}  x{len(members):<4} {operation} | e.g. "
            f"{verdict.unit} ({where}) | {violation.path}: {violation.message}"
        )
        if violation.reproduce is not None:
            yield f"            reproduce ({where}): {violation.reproduce}"


def write_text(outcome: GateOutcome, stream: TextIO, *, verbose: bool = False) -> None:
    write = stream.write
    errors = [(v, x) for v, x in outcome.violations() if x.severity is Severity.ERROR]
    warnings = [(v, x) for v, x in outcome.violations() if x.severity is Severity.WARNING]
    if errors:
        lines = list(distinct(errors))
        write(
            f"\nviolations: {len(errors)} in {len(lines)} distinct findings (rule, operation; "
            "the json and junit reports list every one):\n"
        )
        for line in lines:
            write(line + "\n")
        if verbose:
            write("\nevery violation:\n")
            for line in _grouped(errors, limit=10**9):
                write(line + "\n")
    if warnings:
        counts = Counter(x.rule for _, x in warnings)
        listing = ", ".join(f"{rule} x{n}" for rule, n in sorted(counts.items()))
        write(f"\nwarnings ({len(warnings)}; they do not fail the gate): {listing}\n")
        if verbose:
            for line in distinct(warnings):
                write(line + "\n")
            write("\nevery warning:\n")
            for line in _grouped(warnings, limit=10**9):
                write(line + "\n")
        else:
            write("  (--verbose lists them)\n")
    write("\n" + summary_text(outcome) + "\n")


def summary_text(outcome: GateOutcome) -> str:
    counters = outcome.counters
    answered = sum(1 for v in outcome.verdicts if v.exchange.interaction)
    lines = [
        f"summary: {answered} answers from {outcome.target} in {outcome.seconds:.1f} s; "
        f"{outcome.runs_observed} run objects judged; {outcome.runs_created} runs created "
        f"(distinct run ids in the answers); {counters.run_requests} run-creating requests "
        f"sent (budget {outcome.budget})",
        f"  429 answers: {counters.rate_limited}; requests retried: {counters.retried}; "
        f"server errors (5xx): {counters.server_errors}; not sent for the budget: "
        f"{counters.skipped_for_budget}; not sendable: "
        f"{counters.problems.get(Problem.UNSENDABLE, 0)}",
    ]
    if outcome.scenarios:
        done = sum(1 for s in outcome.scenarios if s.outcome == "done")
        lines.append(f"  lifecycle scenarios: {done} of {len(outcome.scenarios)} done")
        for scenario in outcome.scenarios:
            if scenario.outcome != "done" and not scenario.could_not_check:
                lines.append(f"    {scenario.name}: {scenario.detail}")
    if outcome.phases is not None:
        per_phase = ", ".join(f"{p} {n}" for p, n in outcome.phases.cases.items())
        lines.append(
            f"  schemathesis: {outcome.phases.total} cases ({per_phase}) in "
            f"{outcome.phases.seconds:.1f} s"
        )
    errors = outcome.count(Severity.ERROR)
    warnings = outcome.count(Severity.WARNING)
    found = sum(errors.values())
    lines.append(
        f"  violations: {found} errors, {sum(warnings.values())} warnings"
        + (f" ({', '.join(f'{r} x{n}' for r, n in sorted(errors.items()))})" if errors else "")
    )
    code = outcome.exit_code
    if code == EXIT_COULD_NOT_CHECK and outcome.problems:
        lines.append(f"verdict: could not check (exit {code}): the target could not be judged:")
        lines.extend(f"  - {problem}" for problem in outcome.problems)
        if found:
            lines.append(f"  ({found} violations were seen in what was answered; listed above)")
    elif code == EXIT_COULD_NOT_CHECK:
        lines.append(
            f"verdict: could not check (exit {code}): nothing was found, but not everything "
            "could be checked:"
        )
    elif code == EXIT_OK:
        lines.append(f"verdict: conformant (exit {code})")
    else:
        lines.append(f"verdict: contract violations (exit {code})")
        if outcome.unfinished:
            lines.append("  not checked (the verdict stands on what was judged):")
    if not outcome.problems:
        lines.extend(f"  - {item}" for item in outcome.unfinished)
    return "\n".join(lines)


def write_report(outcome: GateOutcome, kind: str, stream: TextIO) -> None:
    """The validate reporters' formats: one result per run object and per HTTP finding."""
    reporter = REPORTERS[kind](stream, quiet=False)
    summary = Summary(files=len({v.unit for v in outcome.verdicts}))
    reporter.start()
    for result in outcome.results():
        count(summary, result)
        reporter.result(result)
    # What could not be checked is an error item of its own: a report with gaps never reads as
    # a pass, and the findings beside it stay as they are.
    for index, item in enumerate([*outcome.problems, *outcome.unfinished], 1):
        summary.unreadable += 1
        source = Source(f"gate {outcome.target}", f"not checked {index}")
        reporter.read_error(ReadError(source, item))
    reporter.finish(summary)
