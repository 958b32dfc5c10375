"""The ``smallcap`` command line: a thin adapter that parses arguments, calls the
package and prints. Each group of sub-commands lives in ``smallcap.commands.<name>``
and registers itself with :func:`register`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from importlib import import_module

from . import settings
from .errors import SmallcapError

COMMAND_MODULES = (
    "smallcap.commands.core",      # load-csv, load-dir, report, status, call
    "smallcap.commands.refresh",   # refresh (Yahoo Finance)
    "smallcap.commands.addin",     # addin build / install / uninstall
    "smallcap.commands.workbook",  # workbook build
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smallcap",
        description="Small-cap rally analytics on a local price store.",
    )
    parser.add_argument(
        "--store",
        metavar="PATH",
        help="SQLite store to use (default: $SMALLCAP_STORE, else the user's data folder)",
    )
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log what the sources and the store do (to stderr)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a command group not shipped in this build
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``smallcap`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    else:  # messages reach the user through the command's own output, not stray log lines
        logging.getLogger("smallcap").addHandler(logging.NullHandler())
    previous = settings.chosen_store()
    if args.store:  # the store of this command (what smallcap.use_store chooses)
        settings.choose_store(args.store)
    try:
        return int(args.run(args) or 0)
    except SmallcapError as exc:
        print(f"smallcap: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("smallcap: interrupted; the store keeps what it held before", file=sys.stderr)
        return 130
    finally:
        settings.choose_store(previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
