"""What a Yahoo chart answer says about itself, read from the raw answer yfinance parsed.

- :func:`wrong_symbol`: the answer's ``meta.symbol`` names another ticker than the one
  asked for (a mirror or cache serving the wrong file): the refresh refuses it.
- :func:`closeless_bars`: the bars that came without a close (``null``) or with a close of
  0. yfinance drops a bar whose every field is empty or 0 without a word; the refresh
  reports each such day (counted and dated) instead, so a hole in the history is seen.

Pure functions on the chart result (``chart.result[0]``); no I/O.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

MISSING, ZERO = "no close", "close 0"


def wrong_symbol(result: dict, ticker: str) -> str | None:
    """The one-line refusal when the answer's ``meta.symbol`` is another ticker's (case
    aside); None when it is ``ticker``'s or the answer does not say."""
    meta = result.get("meta")
    symbol = meta.get("symbol") if isinstance(meta, dict) else None
    if not isinstance(symbol, str) or not symbol.strip():
        return None
    if symbol.strip().upper() == ticker.upper():
        return None
    return (f"{ticker}: Yahoo answered with the history of {symbol.strip()[:20]!r} when "
            f"asked for {ticker}; nothing stored")


def closeless_bars(result: dict, skip: dt.date | None = None) -> list[tuple[dt.date, str]]:
    """(exchange-local day, ``"no close"`` or ``"close 0"``) of each bar without a usable
    close, oldest first; ``skip``: the live session's day (its close is not final)."""
    stamps = result.get("timestamp") or []
    indicators = result.get("indicators")
    quotes = indicators.get("quote") if isinstance(indicators, dict) else None
    quote = quotes[0] if isinstance(quotes, list) and quotes else None
    closes = quote.get("close") if isinstance(quote, dict) else None
    if not stamps or not isinstance(closes, list) or len(closes) != len(stamps):
        return []
    values = np.array([np.nan if c is None else c for c in closes], dtype="float64")
    bad = ~np.isfinite(values) | (values == 0.0)
    if not bad.any():
        return []
    tz = (result.get("meta") or {}).get("exchangeTimezoneName") or "UTC"
    where = np.flatnonzero(bad)
    days = pd.to_datetime(np.asarray(stamps, dtype="int64")[where], unit="s", utc=True)
    found = [(day, ZERO if values[k] == 0.0 else MISSING)
             for day, k in zip(days.tz_convert(tz).date, where, strict=True) if day != skip]
    return sorted(found)


def describe(bars: list[tuple[dt.date, str]], shown: int = 3) -> str:
    """``2 day(s) without a close skipped: 2026-02-19 (close 0), 2026-02-20 (no close)``
    (the first ``shown`` days, then how many more)."""
    listed = ", ".join(f"{day} ({kind})" for day, kind in bars[:shown])
    more = f" and {len(bars) - shown} more" if len(bars) > shown else ""
    return f"{len(bars)} day(s) without a close skipped: {listed}{more}"
