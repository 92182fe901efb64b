"""`runcontract gate`: parse the options, run the gate, render the outcome, return the exit code."""

from __future__ import annotations

import argparse
import io
import os
from pathlib import Path
from typing import Any, TextIO, cast
from urllib.parse import urlsplit

from runcontract.cli.options import GATE_OPTIONS
from runcontract.model import Profile

DESCRIPTION = (
    "Judge a running Assistants API before it is deployed: lifecycle scenarios driven "
    "through its own endpoints, then schemathesis's phases (examples, coverage, "
    "fuzzing, stateful) generated from the corrected OpenAPI document, every answer "
    "judged by every runcontract rule. Without --base-url it runs against the embedded "
    "reference server, in-process. Exit codes: 0 conformant, 1 contract violations, "
    "2 usage error, 3 could not check (the target could not be judged: unreachable, "
    "authentication refused, no answer; or nothing found where not everything could "
    "be checked). A violation seen in a judged answer is exit 1 even when some "
    "scenarios could not finish."
)


def add_parser(subparsers: argparse._SubParsersAction[Any]) -> None:
    from runcontract.cli import COMMANDS, add_command  # noqa: PLC0415 - the package imports us

    add_command(
        subparsers,
        "gate",
        summary=COMMANDS["gate"][1],
        description=DESCRIPTION,
        options=GATE_OPTIONS,
        handler=run_gate,
    )


def _usage(message: str) -> Exception:
    from runcontract.cli import UsageError  # noqa: PLC0415 - the CLI owns its usage errors

    return UsageError(f"runcontract gate: {message}")


def _options(args: argparse.Namespace) -> tuple[Any, str]:
    from runcontract.catalogue import load_catalogue  # noqa: PLC0415
    from runcontract.gate.session import ALL_PHASES, GateOptions, in_process_key  # noqa: PLC0415
    from runcontract.server import UnknownFaultError, list_faults  # noqa: PLC0415

    if args.base_url is not None:
        parts = urlsplit(args.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise _usage(f"--base-url must be an http(s) URL, got {args.base_url!r}")
        if parts.username or parts.password:
            raise _usage("--base-url must not carry credentials; use --api-key-env")
        if args.fault:
            raise _usage("--fault switches faults of the embedded server; drop --base-url")
        key = os.environ.get(args.api_key_env, "")
        if not key.strip():
            raise _usage(f"the environment variable {args.api_key_env} holds no API key")
    else:
        known = {f.name for f in list_faults()}
        unknown = [name for name in args.fault if name not in known]
        if unknown:
            raise _usage(str(UnknownFaultError(unknown)))
        key = in_process_key()
    catalogue = load_catalogue()
    for flag, codes in (("--select", args.select), ("--ignore", args.ignore)):
        try:
            catalogue.resolve_selection(codes)
        except KeyError as exc:
            raise _usage(f"{flag}: no rule has the code {exc.args[0]!r}") from exc
    options = GateOptions(
        base_url=args.base_url,
        api_key_env=args.api_key_env,
        profile=Profile(args.profile),
        strict=args.strict,
        select=tuple(args.select),
        ignore=tuple(args.ignore),
        max_examples=args.max_examples,
        workers=args.workers,
        budget=args.budget,
        timeout=args.timeout,
        request_timeout=args.request_timeout,
        phases=tuple(args.phases) if args.phases else ALL_PHASES,
        record=Path(args.record) if args.record else None,
        assistant_id=args.assistant_id,
        model=args.model,
        seed=args.seed,
        faults=tuple(args.fault),
        cleanup=args.cleanup,
    )
    return options, key


def _check_outputs(reports: list[tuple[str, str]], record: Path | None) -> None:
    for _, path in reports:
        if not Path(path).parent.is_dir():
            raise _usage(f"cannot write the report {path}: no such folder")
    if record is not None and not record.parent.is_dir():
        raise _usage(f"cannot write the recording {record}: no such folder")


def run_gate(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from runcontract.cli.terminal import (  # noqa: PLC0415
        LiveGateProgress,
        colour_wanted,
        console,
        is_terminal,
    )
    from runcontract.gate.document import document_path  # noqa: PLC0415
    from runcontract.gate.report import write_report, write_text  # noqa: PLC0415
    from runcontract.gate.secrets import MaskedStream, Secret  # noqa: PLC0415
    from runcontract.gate.session import run_gate as gate  # noqa: PLC0415

    if args.print_document:
        stdout.write(document_path(Profile(args.print_document)).read_text(encoding="utf-8"))
        return 0
    options, key = _options(args)
    _check_outputs(args.report, options.record)
    secret = Secret(key)
    out = cast(TextIO, MaskedStream(stdout, secret))
    if args.progress is not False and is_terminal(stderr):
        live = LiveGateProgress(
            cast(TextIO, MaskedStream(stderr, secret)),
            colour=colour_wanted(args.color, stderr),
            budget=options.budget,
            timeout=options.timeout,
            seed=options.seed,
        )
        with live:
            outcome = gate(options, key, live, secret=secret, counters_seen=live.watch)
    else:

        def progress(line: str) -> None:
            out.write(f"gate: {line}\n")
            out.flush()

        outcome = gate(options, key, progress, secret=secret)
    text = io.StringIO()
    write_text(outcome, text, verbose=args.verbose)
    if colour_wanted(args.color, stdout):
        painter = console(out, colour=True)
        for line in text.getvalue().splitlines():
            painter.print(line, style=_style(line, outcome.exit_code))
    else:
        out.write(text.getvalue())
    for kind, path in args.report:
        with Path(path).open("w", encoding="utf-8") as handle:
            write_report(outcome, kind, cast(TextIO, MaskedStream(handle, secret)))
        out.write(f"report written: {kind} {path}\n")
    if options.record is not None:
        out.write(f"{outcome.recording}\n")
    if any(p in options.phases for p in ("examples", "coverage", "fuzzing", "stateful")):
        # schemathesis draws its cases from the seed: the same seed, the same cases
        out.write(f"seed {options.seed}: `--seed {options.seed}` sends the same cases again\n")
    return outcome.exit_code


def _style(line: str, exit_code: int) -> str:
    """How a line of the gate's text report is coloured on a terminal."""
    if line.startswith("verdict:"):
        return {0: "bold green", 1: "bold red"}.get(exit_code, "bold yellow")
    if line.startswith("  error"):
        return "red"
    if line.startswith(("violations:", "warnings", "summary:")):
        return "bold"
    return ""
