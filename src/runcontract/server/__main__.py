"""`python -m runcontract.server`: the same as `runcontract serve`."""

from __future__ import annotations

import argparse
import sys

from runcontract.server.cli import DESCRIPTION, configure_serve_parser, run_serve


def main(argv: list[str] | None = None) -> int:
    parser = configure_serve_parser(
        argparse.ArgumentParser(prog="python -m runcontract.server", description=DESCRIPTION)
    )
    return run_serve(parser.parse_args(argv), sys.stdout, sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
