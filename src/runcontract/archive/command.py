"""The command-line side of archives: `validate --dask ADDRESS` and `runcontract drift`."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Sequence
from typing import Any, TextIO

from runcontract.archive import ArchiveError, require
from runcontract.archive.cluster import LOCAL, connect
from runcontract.archive.drift import Drift, as_json, tally, write_markdown, write_text
from runcontract.archive.inputs import Part, parts_of
from runcontract.archive.judging import Settings, read_part, validate_archive
from runcontract.model import Profile, Summary
from runcontract.redact import redact
from runcontract.reporters import Reporter
from runcontract.vocabulary import ExitCode

DASK_HELP = (
    f"judge on Dask: {LOCAL} (a cluster of this machine's cores) or the scheduler's address "
    "(tcp://HOST:8786); PATHs may then be fsspec URLs (s3://, gs://, ...). "
    "Needs pip install 'runcontract[dask]'"
)


def add_dask_option(parser: argparse._ActionsContainer) -> None:
    parser.add_argument("--dask", metavar="ADDRESS", default=None, help=DASK_HELP)


def _usage(message: str) -> Exception:
    from runcontract.cli import UsageError  # noqa: PLC0415 - the CLI owns its usage errors

    return UsageError(message)


def validate_from_args(
    args: argparse.Namespace, paths: Sequence[str], reporter: Reporter, progress: TextIO | None
) -> Summary:
    """`validate --dask ADDRESS` with the options of `validate` as parsed."""
    settings = Settings(
        profile=None if args.profile == "auto" else Profile(args.profile),
        strict=args.strict,
        select=tuple(args.select),
        ignore=tuple(args.ignore),
        lifecycle=args.lifecycle,
        files_in_order=args.files_in_order,
    )
    return validate_on_dask(args.dask, paths, settings, reporter, progress)


def validate_on_dask(
    address: str,
    paths: Sequence[str],
    settings: Settings,
    reporter: Reporter,
    progress: TextIO | None = None,
) -> Summary:
    """`validate --dask`: bad usage and a missing extra are usage errors (exit 2)."""
    if "-" in paths:
        raise _usage("runcontract validate: --dask reads files and URLs, not stdin (-)")
    try:
        with connect(address) as client:
            on_part = None
            if progress is not None:
                stream = progress

                def on_part(label: str) -> None:
                    stream.write(redact(f"runcontract: {label}: done") + "\n")

            return validate_archive(paths, settings, reporter, client, on_part=on_part)
    except ArchiveError as exc:
        raise _usage(f"runcontract validate: {exc}") from exc


def add_drift_parser(subparsers: argparse._SubParsersAction[Any]) -> None:
    parser = subparsers.add_parser(
        "drift",
        help="report how recorded runs depart from their profile, by month",
        description=(
            "For each profile: fields seen that its schema does not have, enum values outside "
            "its enums, required fields missing and type changes, each with its count, the "
            "first and last created_at month seen and one example source; and when each "
            "top-level key was first and last seen."
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="file, folder or fsspec URL")
    parser.add_argument(
        "--profile",
        choices=["auto", *(p.value for p in Profile)],
        default="auto",
        help="compare every object with this profile (default: detect per object)",
    )
    parser.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    parser.add_argument("--output", metavar="FILE", help="write the report here, not stdout")
    add_dask_option(parser)
    parser.set_defaults(handler=drift_command)


add_parser = add_drift_parser  # what the command line's table calls


def drift_command(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    profile = None if args.profile == "auto" else Profile(args.profile)
    if "-" in args.paths:
        raise _usage("runcontract drift: give files, folders or URLs (stdin is not read)")
    try:
        parts = parts_of(args.paths)
        drift = (
            _drift_on_dask(args.dask, parts, profile) if args.dask else _drift_here(parts, profile)
        )
    except ArchiveError as exc:
        raise _usage(f"runcontract drift: {exc}") from exc
    rendered = io.StringIO()
    if args.format == "json":
        rendered.write(json.dumps(as_json(drift), indent=2, ensure_ascii=False) + "\n")
    elif args.format == "markdown":
        write_markdown(drift, rendered)
    else:
        write_text(drift, rendered)
    from runcontract.cli import report_stream  # noqa: PLC0415 - the CLI is loaded by then

    with report_stream(args.output, stdout, "drift") as stream:
        # an enum value or a file name seen may be a key someone logged
        stream.write(redact(rendered.getvalue()))
    objects = sum(seen.count for seen in drift.objects.values())
    if objects == 0:
        stderr.write("runcontract: no run objects found in the given inputs\n")
    # as validate says it: a report over nothing, or over inputs not all read, is no verdict
    return ExitCode.COULD_NOT_CHECK if objects == 0 or drift.unreadable else ExitCode.OK


def drift_of_part(part: Part, profile: Profile | None) -> Drift:
    return tally(read_part(part, None), part.index, profile)


def _drift_here(parts: Sequence[Part], profile: Profile | None) -> Drift:
    drift = Drift()
    for part in parts:
        tally(read_part(part, None), part.index, profile, drift)
    return drift


def _drift_on_dask(address: str, parts: Sequence[Part], profile: Profile | None) -> Drift:
    delayed = require("dask.delayed").delayed
    with connect(address) as client:
        tallies = [delayed(drift_of_part, pure=True)(part, profile) for part in parts]
        drift = Drift()
        # tallies are small (one entry per distinct finding): added up as they come
        for future in client.compute(tallies):
            drift.merge(future.result())
            future.release()
        return drift
