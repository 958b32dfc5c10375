"""``smallcap refresh [TICKERS...]``: incremental refresh from Yahoo Finance."""

from __future__ import annotations

import argparse
import sys

from ..settings import DEFAULT_TICKERS, TICKERS_ENV, YAHOO_URL_ENV
from ..sources.refresh import refresh


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "refresh",
        help="fetch new daily closes from Yahoo Finance (incremental)",
        description=(
            "Fetch daily closes from Yahoo Finance into the store, only what it lacks "
            "(plus a one-week overlap to catch revised closes). Each ticker is one "
            "transaction: a failed ticker keeps its stored rows and the others go on. "
            f"Default tickers: {', '.join(DEFAULT_TICKERS)} (or ${TICKERS_ENV}). "
            f"Yahoo's address: ${YAHOO_URL_ENV}."
        ),
    )
    p.add_argument("tickers", nargs="*", metavar="TICKER", help="Yahoo symbols, e.g. ^RUT IWM")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar, summary only")
    p.set_defaults(run=run_refresh)


def run_refresh(args: argparse.Namespace) -> int:
    """Exit code 0 when every ticker was refreshed, 1 when some failed (each one's
    message is printed), 3 when offline (no ticker could reach Yahoo)."""
    report = refresh(args.tickers or None, show_progress=not args.quiet)
    if report.offline:  # the same reason for every ticker: say it once
        print(f"failed: {report.failed[0].message}", file=sys.stderr)
    else:
        for result in report.failed:
            print(f"failed: {result.ticker}: {result.message}", file=sys.stderr)
    print(report.summary())
    if report.ok:
        return 0
    return 3 if report.offline else 1
