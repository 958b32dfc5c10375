"""The ``smallcap`` command line: a thin adapter that parses arguments, calls the
package and prints. Each group of sub-commands lives in ``smallcap.commands.<name>``
and registers itself with :func:`register`.

Exit codes (README): 0 done (also when the reader of the output leaves early:
``smallcap report | head``), 1 partly done (some tickers or files failed, each named), 2 an
error (a user error: one line on stderr, ``error: ...``, with the fix when there is one), 3
offline (``refresh``: Yahoo Finance unreachable), 130 interrupted (Ctrl+C). The global
options ``--store PATH`` and ``-v`` go before or after the command; a ``--store`` that is
empty or in a folder that does not exist is refused before anything is touched."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from importlib import import_module
from typing import NoReturn

from . import settings
from .errors import BadArgument, SmallcapError

COMMAND_MODULES = (
    "smallcap.commands.core",      # load-csv, load-dir, report, status, serve
    "smallcap.commands.call",      # call
    "smallcap.commands.refresh",   # refresh (Yahoo Finance)
    "smallcap.commands.addin",     # addin build / install / uninstall
    "smallcap.commands.workbook",  # workbook build
    "smallcap.commands.lite",      # lite build (xlwings Lite: Excel on a Mac or the web)
)
EXIT_OK, EXIT_PARTIAL, EXIT_ERROR, EXIT_OFFLINE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
STORE_HELP = "SQLite store to use (default: $SMALLCAP_STORE, else the user's data folder)"
VERBOSE_HELP = "log what the sources and the store do (to stderr); tracebacks of internal errors"


class _Parser(argparse.ArgumentParser):
    """A usage error in one line on stderr, exit 2 (argparse's own prints the usage too)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_ERROR, f"error: {self.prog}: {message} (see {self.prog} -h)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="smallcap",
        description="Small-cap rally analytics on a local price store.",
        epilog="Exit codes: 0 done, 1 partly done, 2 error, 3 offline (refresh), "
        "130 interrupted. --store and -v go before or after the command. "
        "smallcap call lists the functions.",
    )
    parser.add_argument("--store", metavar="PATH", help=STORE_HELP)
    parser.add_argument("-v", "--verbose", action="store_true", help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a command group not shipped in this build
                continue
            raise
        module.register(sub)
    _global_options_everywhere(parser)
    return parser


def _global_options_everywhere(parser: argparse.ArgumentParser) -> None:
    """Accept ``--store`` and ``-v`` after every command and sub-command too. They are
    left unset there unless given (SUPPRESS), so ``smallcap -v report`` keeps its -v."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for command in {id(p): p for p in action.choices.values()}.values():
            taken = set(command._option_string_actions)
            if "--store" not in taken:
                command.add_argument("--store", metavar="PATH", default=argparse.SUPPRESS,
                                     help=STORE_HELP)
            if not {"-v", "--verbose"} & taken:
                command.add_argument("-v", "--verbose", action="store_true",
                                     default=argparse.SUPPRESS, help=VERBOSE_HELP)
            _global_options_everywhere(command)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``smallcap`` console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # -h (0) or a usage error, already printed (2)
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    verbose = bool(getattr(args, "verbose", False))
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    else:  # messages reach the user through the command's own output, not stray log lines
        package_log = logging.getLogger("smallcap")
        if not any(isinstance(h, logging.NullHandler) for h in package_log.handlers):
            package_log.addHandler(logging.NullHandler())
    previous = settings.chosen_store()
    try:
        chosen = getattr(args, "store", None)
        if chosen is not None:  # the store of this command (smallcap.use_store's)
            settings.choose_store(store_option(chosen))
        return int(args.run(args) or 0)
    except SmallcapError as exc:
        return _error(exc.message)
    except KeyboardInterrupt:
        print("error: interrupted; the store keeps what it held before", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader of our output left (smallcap report | head): done
        _silence_stdout()
        return EXIT_OK
    except OSError as exc:  # a file or folder the command was pointed at
        if verbose:
            traceback.print_exc()
        return _error(_os_text(exc))
    except Exception as exc:  # a bug: one line, the traceback only with -v
        if verbose:
            traceback.print_exc()
        text = " ".join(str(exc).split())[:300]
        return _error(f"internal error: {type(exc).__name__}{': ' if text else ''}{text} "
                      f"({'see the traceback above' if verbose else 'rerun with -v for details'})")
    finally:
        settings.choose_store(previous)


def _error(message: str) -> int:
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    return EXIT_ERROR


def store_option(text: str) -> str:
    """``--store PATH``, checked before anything is touched: an empty path, or a file in a
    folder that does not exist, is refused (a folder, or another program's file, is
    refused by the store itself when it is opened)."""
    if not text.strip():
        raise BadArgument("--store", "the store path is empty: give a file, e.g. "
                          f"--store smallcap.sqlite (or leave --store out for {settings.STORE_ENV}"
                          " or the default)")
    try:
        folder = os.path.dirname(os.path.abspath(os.path.expanduser(text)))
    except (OSError, ValueError) as exc:
        raise BadArgument("--store", f"{text!r} is not a path ({exc})") from None
    if not os.path.isdir(folder):
        raise BadArgument("--store", f"{text}: the folder {folder} does not exist; create it "
                          "first (the store file itself is created by the first load)")
    return text


def _os_text(exc: OSError) -> str:
    """An OSError in one line: what failed on which path."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    paths = [p for p in (exc.filename, exc.filename2) if p is not None]
    return f"{': '.join(map(str, paths))}: {reason}" if paths else reason


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not complain."""
    if sys.stdout is not sys.__stdout__:  # not the process's own stdout (tests, embedding)
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
