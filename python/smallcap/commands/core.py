"""Core sub-commands: load-csv, load-dir, report, status, call."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from pathlib import Path
from typing import Any

from .. import api, params
from ..errors import BadArgument, NoData

# Reference file names (../shared/data) whose Yahoo symbol carries a caret.
INDEX_FILES = {"RUT": "^RUT", "GSPC": "^GSPC", "NDX": "^NDX", "DJI": "^DJI", "TNX": "^TNX",
               "IRX": "^IRX", "TYX": "^TYX", "VIX": "^VIX"}
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
    p.set_defaults(run=run_report)

    p = sub.add_parser("status", help="what the store holds per ticker")
    p.set_defaults(run=run_status)

    p = sub.add_parser("call", help="call one catalogue function, e.g. call streak_count 5")
    p.add_argument("function", help="catalogue function, e.g. streak_count or STREAK_COUNT")
    p.add_argument("args", nargs="*", help="positional arguments, in the Excel order")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(run=run_call)

    p = sub.add_parser("serve", help="serve the catalogue as JSON over HTTP on this machine")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8750)
    p.set_defaults(run=run_serve)


def _console() -> Any:
    from rich.console import Console

    return Console()


def run_load_csv(args: argparse.Namespace) -> int:
    result = api.load_csv(args.ticker, args.file, replace=args.replace)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{result.ticker}: {result.added} rows added, {len(result.revised)} revised; "
          f"file covers {result.first_date} to {result.last_date}")
    return 0


def ticker_for_file(path: Path) -> str:
    """The Yahoo symbol a reference file name stands for (RUT.csv -> ^RUT, IWM.csv -> IWM)."""
    stem = path.stem.upper()
    return params.ticker(INDEX_FILES.get(stem, stem), "file name")


def run_load_dir(args: argparse.Namespace) -> int:
    files = sorted(args.folder.glob("*.csv"))
    if not files:
        raise BadArgument("folder", f"{args.folder} holds no .csv file")
    for path in files:
        run_load_csv(argparse.Namespace(ticker=ticker_for_file(path), file=path, replace=False))
    return 0


def _refresh_if_needed(as_of: dt.date | None, console: Any) -> bool:
    """Fill an empty or stale store from Yahoo Finance; offline, say so in one line.
    Returns False when the store is still empty afterwards."""
    store = api.current_store()
    last = store.last_date(api.DEFAULT_TICKER)
    today = dt.date.today()
    if last is not None and (as_of is not None and as_of <= last
                             or (today - last).days <= STALE_AFTER_DAYS):
        return True
    from ..sources.refresh import refresh

    outcome = refresh(show_progress=True)
    if outcome.ok:
        return True
    if outcome.offline:
        console.print(
            "[yellow]Yahoo Finance is unreachable (no internet?): "
            f"{'the store is empty' if last is None else f'showing data up to {last}'}. "
            "Load data offline with: smallcap load-csv ^RUT FILE[/yellow]"
        )
    else:
        console.print(f"[yellow]{outcome.summary()}[/yellow]")
    return store.last_date(api.DEFAULT_TICKER) is not None


def run_report(args: argparse.Namespace) -> int:
    from rich.table import Table

    from ..report import story

    console = _console()
    day = params.optional_date(args.as_of, "--as-of")
    as_of = None if day is None else params.to_date(day)
    if not args.no_refresh and not _refresh_if_needed(as_of, console):
        return 1
    try:
        day, claims = story(as_of)
    except NoData as exc:
        console.print(f"smallcap: {exc.message}")
        return 1
    table = Table(title=f"The small-cap story on {day:%A %Y-%m-%d}", show_lines=True)
    table.add_column("The note said")
    table.add_column("We find", justify="right", style="bold")
    table.add_column("How", overflow="fold")
    for claim in claims:
        table.add_row(claim.claim, claim.figure if claim.ok else f"[red]{claim.figure}[/red]",
                      claim.detail)
    console.print(table)
    return 0


def run_status(args: argparse.Namespace) -> int:
    from rich.table import Table

    store = api.current_store()
    table = Table(title=f"Store {store.path}")
    for column in api.STATUS_COLUMNS:
        table.add_column(column)
    tickers = store.tickers()
    for ticker in tickers:
        row = api.data_status(ticker, store=store).iloc[0]
        table.add_row(*(_text(row[c]) for c in api.STATUS_COLUMNS))
    _console().print(table if tickers else "The store is empty: smallcap refresh, or load-csv.")
    return 0


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def run_call(args: argparse.Namespace) -> int:
    from .. import service

    result = service.call(args.function, [None if a == "" else a for a in args.args])
    if args.json:
        print(json.dumps(service.to_json(result), indent=1))
    elif hasattr(result, "itertuples"):
        from rich.table import Table

        table = Table()
        for column in result.columns:
            table.add_column(str(column))
        for row in result.itertuples(index=False):
            table.add_row(*(_text(v) for v in row))
        _console().print(table)
    else:
        print(_text(result))
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from .. import service

    print(f"smallcap: serving the catalogue on http://{args.host}:{args.port}/ "
          "(GET /functions; Ctrl+C stops)")
    service.serve(args.host, args.port)
    return 0
