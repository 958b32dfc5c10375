"""The catalogue on the local store: ``smallcap.<function>(...)``.

Each function takes the Excel function's arguments, in the same order and with the
same defaults, reads the tickers from the store (cached in memory per store version)
and calls the pure function in :mod:`smallcap.analytics`. Every function also takes a
keyword-only ``store`` (a Store or a path); by default the store of
:func:`current_store`.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable

import pandas as pd

from . import analytics, catalogue, params, pyface, settings
from .catalogue import Reader
from .errors import BadArgument, NoData
from .settings import DEFAULT_LARGE, DEFAULT_RATE, DEFAULT_SINCE, DEFAULT_TICKER, default_tickers
from .store import Store, WriteResult, open_store

StoreLike = Store | str | os.PathLike[str] | None


def use_store(path: str | os.PathLike[str] | Store | None) -> Store:
    """Make ``path`` the default store of this process (None: back to $SMALLCAP_STORE or
    the user's data folder). Returns the Store. The choice lives in the store layer
    (:func:`smallcap.store.use_store`, :func:`smallcap.settings.choose_store`)."""
    from . import store as layer

    return layer.use_store(path)


def current_store() -> Store:
    """The store used when a function is not given one."""
    return _store(None)


_chosen_pair: tuple[object, Store] | None = None  # (the chosen path object, its Store)


def _store(store: StoreLike) -> Store:
    """``store=`` as a Store: given, or the current one (a chosen store is remembered for
    as long as the choice stands: the hot path of every call)."""
    global _chosen_pair
    if store is None:
        chosen = settings.chosen_store()
        pair = _chosen_pair
        if pair is not None and pair[0] is chosen and chosen is not None:
            return pair[1]
        current = open_store()
        _chosen_pair = (chosen, current)
        return current
    return store if isinstance(store, Store) else open_store(store)


# -- the catalogue: one declaration per function, one line of logic each ----------------
# ``reader.history`` reads a ticker once per call; arguments arrive parsed by kind
# (see smallcap.catalogue.ARGUMENTS). Adding a function: its pure function in
# analytics, one declaration here, then ``smallcap addin build`` for the VBA wrappers.

declare = functools.partial(catalogue.declare,
                            python=lambda fn: pyface.function(fn, _store))


@declare("RUT_STREAK", result=catalogue.WHOLE_NUMBER)
def streak_length(reader: Reader, threshold=0.01, ticker=DEFAULT_TICKER, as_of=None) -> int:
    """Days in a row, ending on as_of, whose daily return beat threshold (0 if as_of did not).

    >>> smallcap.streak_length(as_of="2024-07-16")  # the note's five-day streak
    5
    """
    return analytics.streak_length(reader.history(ticker), threshold, as_of)


@declare("STREAK_COUNT", result=catalogue.WHOLE_NUMBER)
def streak_count(reader: Reader, length=5, threshold=0.01, ticker=DEFAULT_TICKER,
                 since=DEFAULT_SINCE, as_of=None) -> int:
    """Number of streaks that reached length days (signal day in [since, as_of]).

    >>> smallcap.streak_count(5, as_of="2024-07-16")  # "the fifth such streak"
    5
    """
    return analytics.streak_count(reader.history(ticker), length, threshold, since, as_of)


@declare("STREAK_EPISODES", result=catalogue.TABLE)
def streak_episodes(reader: Reader, length=5, threshold=0.01, ticker=DEFAULT_TICKER,
                    since=DEFAULT_SINCE, as_of=None) -> pd.DataFrame:
    """Table of streak episodes: start, signal date, end, days, run return (spills).

    >>> table = smallcap.streak_episodes(5, as_of="2024-07-16")
    >>> len(table), str(table.index[-1].date()), round(float(table["run_return"].iloc[-1]), 4)
    (5, '2024-07-16', 0.1154)
    """
    return analytics.streak_episodes(reader.history(ticker), length, threshold, since, as_of)


def _pairs(combine: Callable[[float, float], float]) -> Callable[..., list]:
    """The quick path of a lifted two-ticker return function: ``combine(R_small, R_large)``
    per element (NaN: the body answers)."""

    def many(reader: Reader, windows: list, smalls: list, larges: list, as_ofs: list) -> list:
        days = catalogue.day_numbers(as_ofs, "as_of")

        def compute(h: list, k: list[int]) -> list[float]:
            small, large = analytics.pair_returns(h[0], h[1], [windows[i] for i in k],
                                                  [days[i] for i in k])
            return list(map(combine, small, large))

        return catalogue.per_history(reader, list(zip(smalls, larges, strict=True)), compute)

    return many


def _window_returns(reader: Reader, tickers: list, windows: list, as_ofs: list) -> list:
    """The quick path of a lifted WINDOW_RETURN."""
    days = catalogue.day_numbers(as_ofs, "as_of")
    return catalogue.per_history(reader, [(t,) for t in tickers], lambda h, k: (
        analytics.window_returns(h[0], [windows[i] for i in k], [days[i] for i in k])))


def _spread(small: float, large: float) -> float:
    return small - large


@declare("ROTATION_SPREAD", result=catalogue.FRACTION, many=_pairs(_spread))
def rotation_spread(reader: Reader, window="1M", small=DEFAULT_TICKER, large=DEFAULT_LARGE,
                    as_of=None) -> float:
    """Small-cap minus large-cap return over window ending on as_of (a fraction).

    >>> round(smallcap.rotation_spread("1M", as_of="2024-07-16"), 4)
    0.085
    """
    return analytics.rotation_spread(reader.history(small), reader.history(large), window, as_of)


@declare("ROTATION_RATIO", result=catalogue.NUMBER, many=_pairs(analytics.ratio_or_nan))
def rotation_ratio(reader: Reader, window="1M", small=DEFAULT_TICKER, large=DEFAULT_LARGE,
                   as_of=None) -> float:
    """Small-cap return divided by large-cap return over window (3 = "triple the gains").

    >>> round(smallcap.rotation_ratio("1M", as_of="2024-07-16"), 3)  # "triple the S&P 500"
    2.959
    """
    return analytics.rotation_ratio(reader.history(small), reader.history(large), window, as_of)


@declare("ROTATION_SERIES", result=catalogue.TABLE)
def rotation_series(reader: Reader, window="1M", small=DEFAULT_TICKER, large=DEFAULT_LARGE,
                    start=None, end=None) -> pd.DataFrame:
    """Table for charting: date, small return, large return, spread over window (spills).

    >>> series = smallcap.rotation_series("1M", start="2024-07-16", end="2024-07-16")
    >>> round(float(series.loc["2024-07-16", "small_return"]), 4)
    0.1284
    """
    return analytics.rotation_series(reader.history(small), reader.history(large), window,
                                     start, end)


@declare("WINDOW_RETURN", result=catalogue.FRACTION, many=_window_returns)
def window_return(reader: Reader, ticker=DEFAULT_TICKER, window="1M", as_of=None) -> float:
    """Return over window ending on as_of: C(as_of) / C(window start) - 1 (a fraction).

    >>> round(smallcap.window_return("^RUT", "1M", "2024-07-16"), 4)  # "up 12.8% in a month"
    0.1284
    """
    return analytics.window_return(reader.history(ticker), window, as_of)


@declare("HIGHEST_SINCE", result=catalogue.A_DATE)
def highest_since(reader: Reader, ticker=DEFAULT_TICKER, as_of=None) -> dt.date:
    """Latest date before as_of with a close at or above as_of's close ("highest since").

    >>> smallcap.highest_since(as_of="2024-07-16")  # "highest close since January 2022"
    datetime.date(2022, 1, 4)
    """
    return analytics.highest_since(reader.history(ticker), as_of)


@declare("FORWARD_RETURNS", result=catalogue.TABLE)
def forward_returns(reader: Reader, horizon=50, length=5, threshold=0.01, small=DEFAULT_TICKER,
                    large=DEFAULT_LARGE, since=DEFAULT_SINCE, as_of=None) -> pd.DataFrame:
    """Table: returns, peak and drawdown horizon days after each streak signal, as known on
    as_of (pending: blank), then count/median/mean/share positive.

    In Python the table holds the episodes only, indexed by signal day;
    ``smallcap.summary(table)`` gives the four summary rows.

    >>> table = smallcap.forward_returns(50, as_of="2024-07-16")
    >>> round(float(table.loc["1998-10-20", "peak_gain"]), 4), table["peak_day"].iloc[-1]
    (0.1776, <NA>)
    >>> smallcap.summary(table).loc["count", "small_return"]  # the 2024 streak is pending
    np.float64(4.0)
    """
    return analytics.forward_returns(reader.history(small), reader.history(large), horizon,
                                     length, threshold, since, as_of)


@declare("SPREAD_PERCENTILE", result=catalogue.FRACTION,
         help={"since": "first day compared (spreads of days on or after it)"})
def spread_percentile(reader: Reader, window="1M", small=DEFAULT_TICKER, large=DEFAULT_LARGE,
                      as_of=None, since=DEFAULT_SINCE) -> float:
    """Share of days in [since, as_of] whose window spread was at or below as_of's.

    >>> round(smallcap.spread_percentile("1M", as_of="2024-07-16"), 4)
    0.9919
    """
    return analytics.spread_percentile(reader.history(small), reader.history(large), window,
                                       as_of, since)


@declare("RETURN_PERCENTILE", result=catalogue.FRACTION,
         help={"since": "first day compared (returns of days on or after it)"})
def return_percentile(reader: Reader, ticker=DEFAULT_TICKER, window="1M", as_of=None,
                      since=DEFAULT_SINCE) -> float:
    """Share of days in [since, as_of] whose window return was at or below as_of's.

    >>> round(smallcap.return_percentile("^RUT", "1M", "2024-07-16"), 4)
    0.982
    """
    return analytics.return_percentile(reader.history(ticker), window, as_of, since)


@declare("RATE_BETA", result=catalogue.NUMBER,
         help={"window": "trading days of daily returns in the regression"})
def rate_beta(reader: Reader, window=252, ticker=DEFAULT_TICKER, rate=DEFAULT_RATE,
              as_of=None) -> float:
    """Slope of the daily return on the daily yield change (per percentage point).

    >>> round(smallcap.rate_beta(as_of="2024-07-16"), 4)
    -0.0767
    """
    return analytics.rate_beta(reader.history(ticker), reader.history(rate), window, as_of)


@declare("PRICE", result=catalogue.NUMBER, aliases={
    "CLOSE_PRICE": "Excel's built-in bond function PRICE() shadows an add-in's PRICE"})
def price(reader: Reader, ticker=DEFAULT_TICKER, date=None) -> float:
    """Close on date (adjusted close for a fund), or on the last trading day before it.

    >>> round(smallcap.price("^RUT", "2024-07-16"), 2)  # "the Russell 2000 jumped 3.5%"
    2263.67
    """
    return analytics.price(reader.history(ticker), date)


@declare("PRICE_HISTORY", result=catalogue.TABLE)
def price_history(reader: Reader, ticker=DEFAULT_TICKER, start=None, end=None) -> pd.DataFrame:
    """Table of daily prices: date, close, adjusted close (spills).

    >>> table = smallcap.price_history("^RUT", "2024-07-15", "2024-07-16")
    >>> table["close"].round(2).tolist(), table.index.name
    ([2187.02, 2263.67], 'date')
    """
    return analytics.price_history(reader.history(ticker), start, end)


STATUS_COLUMNS = ["ticker", "first_date", "last_date", "rows", "refreshed_at", "source"]


@declare("DATA_STATUS", result=catalogue.TABLE)
def data_status(reader: Reader, ticker=DEFAULT_TICKER) -> pd.DataFrame:
    """What the store holds for ticker: first date, last date, rows, last refresh (UTC).

    >>> status = smallcap.data_status("^RUT")
    >>> str(status["first_date"].iloc[0].date()), bool(status["rows"].iloc[0] > 9000)
    ('1987-09-10', True)
    """
    status = reader.status(ticker)
    if not status["rows"]:
        hint = params.caret_hint(ticker)  # RUT for ^RUT
        raise NoData(f"no data for {ticker} — {hint}" if hint else f"no data for {ticker} — "
                     f"refresh first (smallcap refresh {ticker}, or smallcap load-csv {ticker} "
                     "FILE)")
    # a table function's body gets the Store itself (a lifted call's Reader wraps one); a
    # store with no refresh log (xlwings Lite's, read from the workbook) names its source
    store = getattr(reader, "store", reader)
    if hasattr(store, "refresh_log"):
        from .sources.provenance import provenance  # the Yahoo source only when asked

        status["source"] = provenance(store, ticker)
    return pd.DataFrame([{column: status[column] for column in STATUS_COLUMNS}],
                        columns=STATUS_COLUMNS)


# -- data jobs ----------------------------------------------------------------------------


def load_csv(ticker: str, path: str | os.PathLike[str], *, store: StoreLike = None,
             replace: bool = False) -> WriteResult:
    """Validate a Yahoo-style CSV and write it into the store in one transaction.

    Implausible data is refused with :class:`~smallcap.errors.ImplausibleData` and nothing
    is written: a close that is not a number > 0, a day outside 1900-2100, or a file that
    would revise more than 5 stored closes by more than ``SMALLCAP_REVISION_TOLERANCE``
    (or any one by more than 20%) unless ``replace`` (see :func:`smallcap.sources.csv.load`).
    """
    from .sources.csv import load

    symbol, path = params.ticker(ticker), params.path(path, "path")
    return load(_store(store), symbol, path, replace=params.flag(replace, "replace"))


def data_table(tickers: str | tuple[str, ...] | list[str] | None = None, *,
               store: StoreLike = None) -> pd.DataFrame:
    """The dashboard's Data sheet: ``date``, then the adjusted close of each ticker that
    has data (outer join on dates; NaN where a ticker has no row that day). ``tickers``:
    a list, or one ticker as text."""
    chosen = _store(store)
    if isinstance(tickers, str):  # one ticker, not its letters
        tickers = (tickers,)
    elif tickers is not None and not isinstance(tickers, list | tuple):
        raise BadArgument("tickers", f"expected a list of tickers such as "
                                 f"['^RUT', 'IWM'], got {type(tickers).__name__}")
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

