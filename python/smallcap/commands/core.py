"""Core sub-commands: load-csv, load-dir, report, status, serve (call: :mod:`.call`)."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
from pathlib import Path
from typing import Any

from .. import api, params, settings
from ..cors import LITE_ORIGIN
from ..errors import BadArgument, NoData, SmallcapError, StoreError

STALE_AFTER_DAYS = 4


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("load-csv", help="load a Yahoo-style CSV of daily prices into the store")
    p.add_argument("ticker", help="Yahoo symbol, e.g. ^RUT")
    p.add_argument("file", type=Path)
    p.add_argument("--replace", action="store_true",
                   help="drop the ticker's stored rows first (still one transaction)")
    p.set_defaults(run=run_load_csv)

    p = sub.add_parser("load-dir", help="load every NAME.csv of a folder (RUT.csv -> ^RUT)")
    p.add_argument("folder", type=Path)
    p.set_defaults(run=run_load_dir)

    p = sub.add_parser("report", help="the small-cap rally story for one day")
    p.add_argument("--as-of", help="day to report on (default: latest stored day)")
    p.add_argument("--no-refresh", action="store_true",
                   help="never go online, even when the store is empty or stale")
    p.add_argument("--sample", action="store_true",
                   help="report from the bundled sample history (offline; your store is "
                   "not read or changed)")
    p.set_defaults(run=run_report)

    p = sub.add_parser("status", help="what the store holds per ticker")
    p.set_defaults(run=run_status)

    p = sub.add_parser("serve", help="serve the catalogue as JSON over HTTP on this machine")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8750, help="port (default 8750; 0: any free)")
    p.add_argument("--workers", type=int, default=None,
                   help="threads answering requests (default $SMALLCAP_SERVE_WORKERS, else 16)")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds a client has to send its request (default "
                   "$SMALLCAP_SERVE_TIMEOUT, else 10)")
    p.add_argument("--cors", nargs="?", const=LITE_ORIGIN, default=None, metavar="ORIGIN",
                   help="let pages of ORIGIN read the answers (CORS; alone: xlwings Lite's "
                   f"{LITE_ORIGIN}, for its load_history)")
    p.set_defaults(run=run_serve)


def _console() -> Any:
    """A rich Console whose closed pipe (``smallcap report | head``) raises BrokenPipeError
    for :func:`smallcap.cli.main` to end quietly with exit 0 (rich itself exits 1)."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError(32, "the reader of the output left")

    return _Console()


def run_load_csv(args: argparse.Namespace) -> int:
    """One line per load: rows added, revised (and the first revision beyond the
    tolerance, without ``-v``) and removed (``--replace``), the first and last day whose
    stored row changed, then the file's range; warnings on stderr."""
    from ..sources.csv import load

    ticker = _ticker_first(args.ticker, args.file)
    result = load(api.current_store(), ticker, params.path(args.file, "FILE"),
                  replace=args.replace, replace_hint="--replace")
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    revised = f"{len(result.revised)} revised"
    tolerance = settings.revision_tolerance()
    beyond = [(day, old, new) for day, old, new in result.revised
              if abs(new - old) > tolerance * abs(old)]
    if beyond:
        day, old, new = beyond[0]
        revised += (f" ({len(beyond)} by more than {tolerance * 100:.6g}%, first {day}: "
                    f"{old:.6g} -> {new:.6g})")
    readjusted = f", {result.readjusted} adjusted closes revised" if result.readjusted else ""
    touched = (f"rows changed {result.touched[0]} to {result.touched[1]}" if result.touched
               else "no stored row changed")
    print(f"{result.ticker}: {result.added} rows added, {revised}, {result.removed} removed"
          f"{readjusted}; {touched}; file covers {result.first_date} to {result.last_date}")
    return 0


def _ticker_first(ticker: str, file: Path) -> str:
    """The ticker argument as a symbol; ``load-csv FILE TICKER`` (swapped) says so."""
    named = Path(ticker)
    if (named.suffix.lower() == ".csv" or named.is_file()) and not file.exists():
        raise BadArgument("ticker", f"{ticker!r} is a file and {str(file)!r} is not: the "
                          f"ticker comes first: smallcap load-csv {file} {ticker}")
    return params.ticker(ticker)


def ticker_for_file(path: Path) -> str:
    """The Yahoo symbol a reference file name stands for (RUT.csv -> ^RUT, IWM.csv -> IWM,
    rut.CSV -> ^RUT)."""
    stem = path.stem.upper()
    return params.ticker(settings.INDEX_FILES.get(stem, stem), "file name")


def run_load_dir(args: argparse.Namespace) -> int:
    """Load every ``NAME.csv`` (any case of ``.csv``) of the folder, each in its own
    transaction: the valid ones are loaded, each refused one is named in one line on
    stderr; exit 1 when any was refused. A store fault stops the whole load (exit 2)."""
    folder = args.folder
    try:
        files = sorted((p for p in folder.iterdir() if p.suffix.lower() == ".csv"),
                       key=lambda p: p.name)
    except OSError as exc:
        raise BadArgument("folder", f"{folder} is not a folder that can be read "
                          f"({exc.strerror or exc})") from None
    if not files:
        raise BadArgument("folder", f"{folder} holds no .csv file")
    refused = []
    for path in files:
        try:
            run_load_csv(argparse.Namespace(ticker=ticker_for_file(path), file=path,
                                            replace=False))
        except StoreError:
            raise
        except SmallcapError as exc:
            refused.append(path.name)
            message = exc.message
            for named in (str(path), path.name):  # the file is named once, first
                if message.startswith(named):
                    message = message[len(named):].lstrip(":, ")
                    break
            print(f"refused {path.name}: {message}", file=sys.stderr)
    if refused:
        print(f"error: refused {', '.join(refused)}; loaded {len(files) - len(refused)} of "
              f"{len(files)} file(s)", file=sys.stderr)
        return 1
    return 0


def _refresh_if_needed(as_of: dt.date | None, console: Any) -> None:
    """Fill an empty or stale store from Yahoo Finance (on a terminal, a passing line names
    the ticker being fetched). When that fails and data is stored, one yellow line says so
    and the report goes on with it; with nothing stored, :class:`NoData` (one line, exit 2)."""
    store = api.current_store()
    last = store.last_date(api.DEFAULT_TICKER)
    today = dt.date.today()
    if last is not None and (as_of is not None and as_of <= last
                             or (today - last).days <= STALE_AFTER_DAYS):
        return
    from ..sources.refresh import refresh

    with console.status("Refreshing from Yahoo Finance ...") as status:
        def progress(ticker: str, index: int, total: int) -> None:
            status.update(f"Refreshing {ticker} from Yahoo Finance ({index + 1} of {total}) ...")

        outcome = refresh(progress=progress)
    if outcome.ok:
        return
    why = ("Yahoo Finance is unreachable (no internet?)" if outcome.offline
           else outcome.summary().splitlines()[0])
    now = store.last_date(api.DEFAULT_TICKER)
    if now is None:
        raise NoData(f"{why}, and the store holds no {api.DEFAULT_TICKER}: see the bundled "
                     "sample with smallcap report --sample, or load data offline with "
                     f"smallcap load-csv {api.DEFAULT_TICKER} FILE")
    console.print(f"[yellow]{why}: showing data up to {now}.[/yellow]")


def run_report(args: argparse.Namespace) -> int:
    """The note's story for a day (see :mod:`smallcap.report`); an empty store that cannot
    be filled, or a day before the first stored one, is an error (one line, exit 2)."""
    from ..report import print_story, story

    console = _console()
    day = params.optional_date(args.as_of, "--as-of")
    as_of = None if day is None else params.to_date(day)
    if args.sample:
        return _report_sample(as_of, console)
    if not args.no_refresh:
        _refresh_if_needed(as_of, console)
    print_story(story(as_of), console)
    return 0


def _report_sample(as_of: dt.date | None, console: Any) -> int:
    """The report from the bundled sample history, loaded into a temporary store (the
    user's store is neither read nor written), after one line saying it is a sample."""
    import tempfile

    from ..report import print_story, story
    from ..sources import sample
    from ..store import Store

    previous = settings.chosen_store()
    with tempfile.TemporaryDirectory(prefix="smallcap-sample-") as tmp:
        store = Store(Path(tmp) / "sample.sqlite")
        try:
            for _ticker, _result in sample.load(store):
                pass
            api.use_store(store)
            last = store.last_date(api.DEFAULT_TICKER)
            console.print(f"Sample data: the history bundled with smallcap, {api.DEFAULT_TICKER} "
                          f"up to {last} (not live; smallcap refresh fetches live data).",
                          highlight=False)
            print_story(story(as_of), console)
        finally:
            api.use_store(previous)
            store.close()
    return 0


def run_status(args: argparse.Namespace) -> int:
    from rich.table import Table

    from .. import service
    from ..report import justify

    store = api.current_store()
    table = Table(title=f"Store {store.path}")
    tickers = store.tickers()
    rows = [[service.call("data_status", [ticker], store=store).iloc[0][c]
             for c in api.STATUS_COLUMNS] for ticker in tickers]
    for k, column in enumerate(api.STATUS_COLUMNS):
        table.add_column(column, justify=justify([row[k] for row in rows]))
    for row in rows:
        table.add_row(*(_text(v) for v in row))
    if not tickers:  # say which store: the user may have meant another one
        where = "is empty" if store.path.exists() else "does not exist yet"
        print(f"The store {store.path} {where}: smallcap refresh, or smallcap load-csv "
              "TICKER FILE (--store PATH for another store).")
        return 0
    _console().print(table)
    return 0


def _text(value: Any, digits: int = 6) -> str:
    """A value as the terminal shows it: blank for a missing one, a number with ``digits``
    significant digits (tables use 4: `--json` gives every digit)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or (
            type(value).__name__ == "NaTType"):
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def run_serve(args: argparse.Namespace) -> int:
    """Bind first (a bad host or port, a port in use: one line, exit 2), then serve until
    Ctrl+C (exit 130). Without -v, internal errors are one line each on stderr."""
    import logging

    from .. import service

    server = service.listen(args.host, args.port, workers=args.workers, timeout=args.timeout,
                            cors=args.cors)
    log = logging.getLogger(service.__name__)
    handler = None
    if not getattr(args, "verbose", False):
        handler = logging.StreamHandler(sys.stderr)
        handler.setLevel(logging.WARNING)
        handler.setFormatter(logging.Formatter("smallcap serve: %(message)s"))
        log.addHandler(handler)
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in host else host
    print(f"smallcap: serving the catalogue on http://{shown}:{port}/ (GET /functions; "
          f"{server.workers} workers; Ctrl+C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("smallcap: stopped serving", file=sys.stderr)
        return 130
    finally:
        server.server_close()
        if handler is not None:
            log.removeHandler(handler)
    return 0
