"""The catalogue on the local store: ``smallcap.<function>(...)``.

Each function takes the Excel function's arguments, in the same order and with the
same defaults, reads the tickers from the store (cached in memory per store version)
and calls the pure function in :mod:`smallcap.analytics`. Every function also takes a
keyword-only ``store`` (a Store or a path); by default the store of
:func:`current_store`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

import pandas as pd

from . import analytics, params
from .analytics.history import History
from .analytics.streaks import DEFAULT_SINCE
from .errors import NoData
from .settings import default_tickers
from .store import Store, WriteResult, open_store

DEFAULT_TICKER = "^RUT"
DEFAULT_LARGE = "^GSPC"
DEFAULT_RATE = "^TNX"

StoreLike = Store | str | os.PathLike[str] | None
_chosen: Store | None = None


def use_store(path: str | os.PathLike[str] | Store | None) -> Store:
    """Make ``path`` the default store of this process (None: back to $SMALLCAP_STORE or
    the user's data folder). Returns the Store."""
    global _chosen
    _chosen = path if isinstance(path, Store) else (open_store(path) if path else None)
    return current_store()


def current_store() -> Store:
    """The store used when a function is not given one."""
    return _chosen if _chosen is not None else open_store()


def _store(store: StoreLike) -> Store:
    if store is None:
        return _chosen if _chosen is not None else open_store()
    return store if isinstance(store, Store) else open_store(store)


def _history(ticker: object, store: StoreLike, argument: str = "ticker") -> History:
    return _store(store).history(params.ticker(ticker, argument))


# -- the catalogue (SPEC.md), one line of logic each --------------------------------------


def streak_length(threshold: float = 0.01, ticker: str = DEFAULT_TICKER, as_of: object = None,
                  *, store: StoreLike = None) -> int:
    """Days in a row, ending on ``as_of``, with a daily return beyond ``threshold``."""
    return analytics.streak_length(_history(ticker, store), threshold, as_of)


def streak_count(length: int = 5, threshold: float = 0.01, ticker: str = DEFAULT_TICKER,
                 since: object = DEFAULT_SINCE, as_of: object = None, *,
                 store: StoreLike = None) -> int:
    """Episodes whose run reached ``length`` days on a day in [since, as_of]."""
    return analytics.streak_count(_history(ticker, store), length, threshold, since, as_of)


def streak_episodes(length: int = 5, threshold: float = 0.01, ticker: str = DEFAULT_TICKER,
                    since: object = DEFAULT_SINCE, as_of: object = None, *,
                    store: StoreLike = None) -> pd.DataFrame:
    """Table of episodes: start, signal, end, days, run_return."""
    return analytics.streak_episodes(_history(ticker, store), length, threshold, since, as_of)


def rotation_spread(window: object = "1M", small: str = DEFAULT_TICKER,
                    large: str = DEFAULT_LARGE, as_of: object = None, *,
                    store: StoreLike = None) -> float:
    """R_small - R_large over ``window`` ending on ``as_of`` (fraction)."""
    return analytics.rotation_spread(
        _history(small, store, "small"), _history(large, store, "large"), window, as_of
    )


def rotation_ratio(window: object = "1M", small: str = DEFAULT_TICKER,
                   large: str = DEFAULT_LARGE, as_of: object = None, *,
                   store: StoreLike = None) -> float:
    """R_small / R_large over ``window`` ending on ``as_of``."""
    return analytics.rotation_ratio(
        _history(small, store, "small"), _history(large, store, "large"), window, as_of
    )


def rotation_series(window: object = "1M", small: str = DEFAULT_TICKER,
                    large: str = DEFAULT_LARGE, start: object = None, end: object = None, *,
                    store: StoreLike = None) -> pd.DataFrame:
    """Table: date, small_return, large_return, spread, for charting."""
    return analytics.rotation_series(
        _history(small, store, "small"), _history(large, store, "large"), window, start, end
    )


def window_return(ticker: str = DEFAULT_TICKER, window: object = "1M", as_of: object = None,
                  *, store: StoreLike = None) -> float:
    """C(as_of) / C(window start) - 1 (fraction)."""
    return analytics.window_return(_history(ticker, store), window, as_of)


def highest_since(ticker: str = DEFAULT_TICKER, as_of: object = None, *,
                  store: StoreLike = None) -> dt.date:
    """Latest date before ``as_of`` with a close >= the close on ``as_of``."""
    return analytics.highest_since(_history(ticker, store), as_of)


def forward_returns(horizon: int = 50, length: int = 5, threshold: float = 0.01,
                    small: str = DEFAULT_TICKER, large: str = DEFAULT_LARGE,
                    since: object = DEFAULT_SINCE, *, store: StoreLike = None) -> pd.DataFrame:
    """Table: per episode, small/large return and spread ``horizon`` days on; then summary."""
    return analytics.forward_returns(
        _history(small, store, "small"), _history(large, store, "large"),
        horizon, length, threshold, since,
    )


def rate_beta(window: object = 252, ticker: str = DEFAULT_TICKER, rate: str = DEFAULT_RATE,
              as_of: object = None, *, store: StoreLike = None) -> float:
    """Slope of daily return on the daily yield change (per percentage point)."""
    return analytics.rate_beta(
        _history(ticker, store), _history(rate, store, "rate"), window, as_of
    )


def price(ticker: str = DEFAULT_TICKER, date: object = None, *,
          store: StoreLike = None) -> float:
    """Close (adjusted for a fund) on ``date`` or the last trading day before it."""
    return analytics.price(_history(ticker, store), date)


def price_history(ticker: str = DEFAULT_TICKER, start: object = None, end: object = None, *,
                  store: StoreLike = None) -> pd.DataFrame:
    """Table: date, close, adj_close."""
    return analytics.price_history(_history(ticker, store), start, end)


STATUS_COLUMNS = ["ticker", "first_date", "last_date", "rows", "refreshed_at"]


def data_status(ticker: str = DEFAULT_TICKER, *, store: StoreLike = None) -> pd.DataFrame:
    """Table (one row): ticker, first_date, last_date, rows, refreshed_at (UTC)."""
    symbol = params.ticker(ticker)
    status = _store(store).status(symbol)
    if not status["rows"]:
        raise NoData(f"no data for {symbol} — refresh first (smallcap refresh {symbol}, "
                     f"or smallcap load-csv {symbol} FILE)")
    return pd.DataFrame([{column: status[column] for column in STATUS_COLUMNS}],
                        columns=STATUS_COLUMNS)


# -- data jobs ----------------------------------------------------------------------------


def load_csv(ticker: str, path: str | os.PathLike[str], *, store: StoreLike = None,
             replace: bool = False) -> WriteResult:
    """Validate a Yahoo-style CSV and write it into the store in one transaction."""
    from .sources.csv import read_price_csv

    symbol = params.ticker(ticker)
    parsed = read_price_csv(path)
    result = _store(store).write(symbol, parsed.rows, f"csv:{Path(path).name}", replace=replace)
    return dataclasses.replace(result, warnings=parsed.warnings)


def data_table(tickers: tuple[str, ...] | list[str] | None = None, *,
               store: StoreLike = None) -> pd.DataFrame:
    """The dashboard's Data sheet: ``date``, then the adjusted close of each ticker that
    has data (outer join on dates; NaN where a ticker has no row that day)."""
    chosen = _store(store)
    symbols = [params.ticker(t) for t in (tickers or default_tickers())]
    columns: dict[str, pd.Series] = {}
    for symbol in symbols:
        try:
            columns[symbol] = chosen.history(symbol).to_series()
        except NoData:
            continue
    if not columns:
        raise NoData("the store holds none of " + ", ".join(symbols) + " — refresh first")
    table = pd.concat(columns, axis=1, join="outer", sort=True)
    days = table.index.values.astype("datetime64[D]")
    table.insert(0, "date", days.astype(object))
    return table.reset_index(drop=True)

