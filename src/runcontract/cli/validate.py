"""`runcontract validate`: judge recorded run objects and report what breaks the contract."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from runcontract._data import data_dir
from runcontract.cli.options import validate_options
from runcontract.reporters import REPORTERS

OPTIONS = validate_options(sorted(REPORTERS))


def add_parser(subparsers: argparse._SubParsersAction[Any]) -> None:
    from runcontract.cli import COMMANDS, add_command  # noqa: PLC0415 - the package imports us

    add_command(
        subparsers,
        "validate",
        summary=COMMANDS["validate"][1],
        description=(
            "Judge every run object found in the given files and folders (JSON, JSON arrays, "
            "list responses, JSONL, HAR, vcrpy / Ruby VCR / R vcr cassettes, .NET session "
            "records) against the schema of its profile and the contract rules, and each "
            "run's successive observations against the lifecycle rules. Exit codes: 0 no "
            "error, 1 contract violations, 2 usage error, 3 could not check (nothing was found "
            "to judge, or an input was unreadable)."
        ),
        options=OPTIONS,
        handler=validate,
    )


def validate(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from runcontract.cli import UsageError, report_stream  # noqa: PLC0415
    from runcontract.cli.terminal import (  # noqa: PLC0415
        LiveValidateProgress,
        colour_wanted,
        is_terminal,
    )
    from runcontract.engine import Engine, SelectionError  # noqa: PLC0415
    from runcontract.model import Profile  # noqa: PLC0415
    from runcontract.reporters.text import TextReporter, counted  # noqa: PLC0415
    from runcontract.runner import Progress, exit_code, validate_paths  # noqa: PLC0415

    paths = list(args.paths)
    if args.examples:
        paths.append(str(data_dir("examples")))
    if not paths:
        raise UsageError(
            "runcontract validate: give at least one PATH (or - for stdin, or --examples)"
        )
    try:
        engine = Engine(
            profile=None if args.profile == "auto" else Profile(args.profile),
            strict=args.strict,
            select=args.select,
            ignore=args.ignore,
            lifecycle=args.lifecycle,
            files_in_order=args.files_in_order,
        )
    except SelectionError as exc:
        raise UsageError(f"runcontract validate: {exc}") from exc
    progress: Progress | None = None
    if args.progress is not False and is_terminal(stderr):
        # asked for: at once; by default only for an input that takes a while
        progress = LiveValidateProgress(
            stderr, colour=colour_wanted(args.color, stderr), after=0 if args.progress else 0.5
        )
    elif args.progress:
        progress = Progress(stderr)  # lines, for a log
    with report_stream(args.output, stdout, "validate") as stream:
        if args.format == "text":
            colour = args.output is None and colour_wanted(args.color, stdout)
            reporter: Any = TextReporter(stream, quiet=args.quiet, colour=colour)
        else:
            reporter = REPORTERS[args.format](stream, quiet=args.quiet)
        from runcontract import jobs  # noqa: PLC0415 - multiprocessing only where it is used

        count = jobs.jobs_for(paths, args.jobs)
        if args.dask:  # Dask is imported only when asked for
            from runcontract.archive.command import validate_from_args  # noqa: PLC0415

            lines = (
                stderr if args.progress or (args.progress is None and is_terminal(stderr)) else None
            )
            summary = validate_from_args(args, paths, reporter, lines)
        elif count > 1:
            summary = jobs.validate_in_jobs(paths, engine, reporter, jobs=count, progress=progress)
        else:
            summary = validate_paths(paths, engine, reporter, stdin=args.stdin, progress=progress)
    if args.output:
        stdout.write(
            f"runcontract: {counted(summary.objects, 'run object')}, {summary.failed} failed, "
            f"{summary.unreadable} unreadable; report written to {args.output}\n"
        )
    if summary.objects == 0 and not summary.unreadable:
        # not after a JSON or JUnit report on stdout: the report must stay one whole document
        notes = stderr if args.format != "text" and not args.output else stdout
        notes.write("runcontract: no run objects found in the given inputs\n")
    return exit_code(summary)
