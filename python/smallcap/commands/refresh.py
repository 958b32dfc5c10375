"""``smallcap refresh [TICKERS...]``: incremental refresh from Yahoo Finance."""

from __future__ import annotations

import argparse
import sys

from ..settings import DEFAULT_TICKERS, TICKERS_ENV, YAHOO_URL_ENV
from ..sources.refresh import refresh

USER_ERRORS = ("bad_ticker", "no_data")  # not a symbol; Yahoo has no such symbol: exit 2


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
    p.add_argument("--full", action="store_true",
                   help="fetch each ticker's whole history again and replace the stored one "
                        "(after the same checks: only revisions a split Yahoo reports explains, "
                        "beyond the usual limits)")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress bar and no per-ticker lines: one summary line")
    p.set_defaults(run=run_refresh)


def run_refresh(args: argparse.Namespace) -> int:
    """Exit code 0 when every ticker was refreshed, 2 when a ticker is not a symbol or
    Yahoo has no such symbol (a user error), 1 when some failed otherwise (each one's
    message is printed), 3 when offline (no ticker could reach Yahoo). With ``-q``
    exactly one line on stdout: the summary, then why each failed ticker failed."""
    report = refresh(args.tickers or None, show_progress=not args.quiet,
                     full=getattr(args, "full", False))
    if report.offline:  # the same reason for every ticker: say it once
        reasons = [report.failed[0].message]
    else:
        reasons = [f"{result.ticker}: {result.message}" for result in report.failed]
    if args.quiet:  # one line (cron, scripts): the summary, then the reasons
        print(" — ".join([report.summary(), *(" ".join(r.split()) for r in reasons)]))
    else:
        for reason in reasons:
            print(f"error: {reason}", file=sys.stderr)
        for line in report.revision_lines():  # accepted revisions, histories replaced
            print(line)
        print(report.summary())
    if report.ok:
        return 0
    if any(result.kind in USER_ERRORS for result in report.failed):
        return 2
    return 3 if report.offline else 1
