"""`runcontract gate`: parse the options, run the gate, render the outcome, return the exit code."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, TextIO, cast
from urllib.parse import urlsplit

from runcontract.model import Profile
from runcontract.options import add_rule_options, rule_codes

REPORT_KINDS = ("text", "json", "junit", "sarif")


def _phases(text: str) -> list[str]:
    from runcontract.gate.session import ALL_PHASES  # noqa: PLC0415

    chosen = rule_codes(text)
    unknown = [p for p in chosen if p not in ALL_PHASES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown phase {', '.join(unknown)}; phases: {', '.join(ALL_PHASES)}"
        )
    return chosen


def _positive(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a number above 0, got {text}")
        return value

    return parse


def _budget(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number of runs, got {text!r}")
    return int(text)


def _reports(text: str) -> list[tuple[str, str]]:
    found = []
    for part in rule_codes(text):
        kind, sep, path = part.partition("=")
        if not sep or kind not in REPORT_KINDS or not path:
            raise argparse.ArgumentTypeError(
                f"expected KIND=PATH with KIND one of {', '.join(REPORT_KINDS)}, got {part!r}"
            )
        found.append((kind, path))
    return found


def add_gate_parser(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "gate",
        help="judge a running Assistants API (the embedded reference server by default)",
        description=(
            "Judge a running Assistants API before it is deployed: lifecycle scenarios driven "
            "through its own endpoints, then schemathesis's phases (examples, coverage, "
            "fuzzing, stateful) generated from the corrected OpenAPI document, every answer "
            "judged by every runcontract rule. Without --base-url it runs against the embedded "
            "reference server, in-process. Exit codes: 0 conformant, 1 contract violations, "
            "2 usage error, 3 could not check (the target could not be judged: unreachable, "
            "authentication refused, no answer; or nothing found where not everything could "
            "be checked). A violation seen in a judged answer is exit 1 even when some "
            "scenarios could not finish."
        ),
    )
    target = parser.add_argument_group("target")
    target.add_argument(
        "--base-url",
        metavar="URL",
        help="the API's base URL including its prefix, as the SDK takes it "
        "(https://api.openai.com/v1); default: the embedded reference server",
    )
    target.add_argument(
        "--api-key-env",
        metavar="NAME",
        default="OPENAI_API_KEY",
        help="the environment variable holding the API key (default OPENAI_API_KEY); "
        "the key is never printed, reported or recorded",
    )
    target.add_argument(
        "--profile",
        choices=["seed", "v1", "v2"],
        default="v2",
        help="default v2; seed judges run objects by the seed-era schema, with v1 requests "
        "(OpenAI-Beta: assistants=v1) and the v1 document",
    )
    target.add_argument(
        "--assistant-id", metavar="ID", help="use this assistant instead of creating one"
    )
    target.add_argument("--model", default="gpt-4o-mini", help="model of the assistant created")
    target.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="(embedded server only) switch on a fault mode, to see the gate fail; "
        "`runcontract serve --list-faults` lists them",
    )
    limits = parser.add_argument_group("limits (everything the gate does is bounded)")
    limits.add_argument(
        "--budget",
        type=_budget,
        default=30,
        metavar="RUNS",
        help="the most runs the gate may create (a real API costs money); default 30",
    )
    limits.add_argument(
        "--max-examples",
        type=_positive(int),
        default=20,
        metavar="N",
        help="schemathesis examples per operation and phase; default 20",
    )
    limits.add_argument("--workers", type=_positive(int), default=2, metavar="N", help="default 2")
    limits.add_argument(
        "--timeout",
        type=_positive(float),
        default=600.0,
        metavar="SECONDS",
        help="the whole gate, writing included: requests stop 5%% of it (at most 5 s) "
        "before, for the reports; default 600",
    )
    limits.add_argument(
        "--request-timeout",
        type=_positive(float),
        default=30.0,
        metavar="SECONDS",
        help="each request, stream included; default 30",
    )
    limits.add_argument(
        "--phases",
        type=_phases,
        default=None,
        metavar="LIST",
        help="lifecycle,examples,coverage,fuzzing,stateful (default: all)",
    )
    limits.add_argument(
        "--seed",
        type=int,
        default=0,
        help="schemathesis seed; the same seed sends the same cases (default 0)",
    )
    rules = parser.add_argument_group("rules")
    add_rule_options(rules)
    output = parser.add_argument_group("output")
    output.add_argument(
        "--report",
        type=_reports,
        action="extend",
        default=[],
        metavar="KIND=PATH,...",
        help="also write reports: junit=PATH, json=PATH, sarif=PATH, text=PATH",
    )
    output.add_argument(
        "--record",
        metavar="PATH",
        help="write all traffic as a vcrpy cassette, credentials removed; "
        "`runcontract validate PATH` judges it offline",
    )
    output.add_argument("-v", "--verbose", action="store_true", help="list every warning")
    output.add_argument(
        "--print-document",
        choices=["v1", "v2"],
        metavar="PROFILE",
        help="print the gate's corrected OpenAPI document of a profile and exit",
    )
    output.add_argument(
        "--no-cleanup",
        action="store_true",
        help="keep the assistant and threads the gate created on a remote target",
    )
    parser.set_defaults(handler=run_gate)


def _usage(message: str) -> Exception:
    from runcontract.cli import UsageError  # noqa: PLC0415 - the CLI owns its usage errors

    return UsageError(f"runcontract gate: {message}")


def _options(args: argparse.Namespace) -> tuple[Any, str]:
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
        cleanup=not args.no_cleanup,
    )
    return options, key


def run_gate(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from runcontract.engine import Engine, SelectionError  # noqa: PLC0415
    from runcontract.gate.document import document_path  # noqa: PLC0415
    from runcontract.gate.report import write_report, write_text  # noqa: PLC0415
    from runcontract.gate.secrets import MaskedStream, Secret  # noqa: PLC0415
    from runcontract.gate.session import run_gate as gate  # noqa: PLC0415

    if args.print_document:
        stdout.write(document_path(Profile(args.print_document)).read_text(encoding="utf-8"))
        return 0
    options, key = _options(args)
    try:
        Engine(select=options.select, ignore=options.ignore)
    except SelectionError as exc:
        raise _usage(str(exc)) from exc
    for _, path in args.report:
        if not Path(path).parent.is_dir():
            raise _usage(f"cannot write the report {path}: no such folder")
    if options.record is not None and not options.record.parent.is_dir():
        raise _usage(f"cannot write the recording {options.record}: no such folder")
    secret = Secret(key)
    out = cast(TextIO, MaskedStream(stdout, secret))

    def progress(line: str) -> None:
        out.write(f"gate: {line}\n")
        out.flush()

    outcome = gate(options, key, progress, secret=secret)
    write_text(outcome, out, verbose=args.verbose)
    for kind, path in args.report:
        with Path(path).open("w", encoding="utf-8") as handle:
            write_report(outcome, kind, cast(TextIO, MaskedStream(handle, secret)))
        out.write(f"report written: {kind} {path}\n")
    if options.record is not None:
        out.write(f"{outcome.recording}\n")
    return outcome.exit_code
