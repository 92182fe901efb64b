"""`runcontract serve`: the reference server over HTTP, with the wall clock.

`add_serve_parser(subparsers)` adds the subcommand to the main CLI and `run_serve(args, stdout,
stderr)` runs it; `python -m runcontract.server` calls the same function with the same options.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
from typing import Any, TextIO

from runcontract.server.executor import DEFAULT_STEP_SECONDS
from runcontract.server.faults import UnknownFaultError, list_faults
from runcontract.vocabulary import FAIL_PHRASE, LONG_PHRASE

DESCRIPTION = (
    "Serve an in-memory reference implementation of the Assistants Runs API under /v1 "
    "(point OpenAI(base_url='http://HOST:PORT/v1') at it). Runs step queued -> in_progress -> "
    "completed, one step every --step-seconds; naming a function tool in the last user message "
    "makes the run require action, and the phrases "
    f"'{FAIL_PHRASE}' and '{LONG_PHRASE}' make it fail or run long. "
    "--fault NAME makes it break one contract rule on purpose (see --list-faults)."
)


def configure_serve_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8000, help="port to listen on; 0 picks a free one (8000)"
    )
    parser.add_argument(
        "--step-seconds",
        type=float,
        default=DEFAULT_STEP_SECONDS,
        metavar="SECONDS",
        help=f"how long each step of a run lasts ({DEFAULT_STEP_SECONDS})",
    )
    parser.add_argument(
        "--fault",
        dest="faults",
        action="append",
        default=[],
        metavar="NAME",
        help="switch on a fault mode (repeatable); see --list-faults",
    )
    parser.add_argument(
        "--list-faults", action="store_true", help="print the fault modes and what each breaks"
    )
    parser.add_argument(
        "--api-key",
        default=None,
        metavar="KEY",
        help="accept only this bearer token (default: the key in --api-key-env)",
    )
    parser.add_argument(
        "--api-key-env",
        default="OPENAI_API_KEY",
        metavar="NAME",
        help="accept only the key in this environment variable when it is set, as the gate "
        "sends it (OPENAI_API_KEY); with neither, any non-empty token is accepted",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated ids (0)")
    return parser


def add_serve_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add `serve` to the `runcontract` subcommands (an argparse _SubParsersAction)."""
    from runcontract.cli import COMMANDS  # noqa: PLC0415 - the CLI imports this module

    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        help=COMMANDS["serve"][1],
        description=DESCRIPTION,
    )
    parser.set_defaults(handler=run_serve)
    return configure_serve_parser(parser)


add_parser = add_serve_parser  # the name every command module of `runcontract` gives it


def format_faults() -> list[str]:
    """One line a fault: its name, the rule it breaks ("-" where no rule names it yet), what it
    does."""
    faults = list_faults()
    width = max(len(f.name) for f in faults)
    return [f"{f.name:<{width}}  {f.rule or '-':<4}  {f.description}" for f in faults]


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if sock.family == socket.AF_INET6 else host
    return f"http://{shown}:{port}/v1"


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket, bound before uvicorn starts, so a busy port is a plain OSError."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def _key_policy(args: argparse.Namespace) -> tuple[str | None, str]:
    """The key the server accepts, and how that reads (never the key itself)."""
    if args.api_key:
        return args.api_key, "accepts only the key given by --api-key"
    from_env = os.environ.get(args.api_key_env, "")
    if from_env:
        return from_env, f"accepts only the key in ${args.api_key_env}"
    return None, (
        f"accepts any bearer token: set ${args.api_key_env} (or --api-key) to refuse the "
        "others, as the contract does (a gate reports H009 otherwise)"
    )


def run_serve(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.list_faults:
        for line in format_faults():
            print(line, file=stdout)
        return 0
    if args.step_seconds < 0:
        print(
            f"runcontract serve: --step-seconds must be >= 0, not {args.step_seconds}", file=stderr
        )
        return 2
    # Imported here so `--list-faults` and the CLI's other commands stay quick.
    import uvicorn  # noqa: PLC0415

    from runcontract.server.app import create_app  # noqa: PLC0415

    api_key, accepting = _key_policy(args)
    try:
        app = create_app(
            faults=args.faults, step_seconds=args.step_seconds, api_key=api_key, seed=args.seed
        )
    except UnknownFaultError as exc:
        print(f"runcontract serve: {exc}", file=stderr)
        return 2
    try:
        sock = _listen(args.host, args.port)
    except OSError as exc:
        print(f"runcontract serve: could not listen on {args.host}:{args.port}: {exc}", file=stderr)
        return 1
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        loop="asyncio",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    faults = f" with faults: {', '.join(args.faults)}" if args.faults else ""

    async def announce() -> None:
        while not server.started:
            await asyncio.sleep(0.002)
        url = _url(sock)
        print(f"runcontract reference server listening on {url}{faults}", file=stdout, flush=True)
        print(f"runcontract reference server {accepting}", file=stdout, flush=True)

    async def serve() -> bool:
        announcing = asyncio.create_task(announce())
        try:
            await server.serve(sockets=[sock])
        except SystemExit:  # uvicorn exits this way when it cannot start
            return False
        finally:
            announcing.cancel()
        return server.started

    with sock:
        try:
            started = asyncio.run(serve())
        except KeyboardInterrupt:
            started = True  # uvicorn shut down gracefully, then re-raised the SIGINT it caught
    if not started:
        print(f"runcontract serve: the server did not start on {_url(sock)}", file=stderr)
        return 1
    print("runcontract reference server stopped", file=stdout, flush=True)
    return 0
