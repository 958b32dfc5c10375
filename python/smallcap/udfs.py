"""Excel worksheet functions (xlwings classic COM UDFs, Windows), one per SPEC row.

Each function is one line of logic: the :func:`cell` adapter does the rest.

- Arguments come as Excel hands them over: ``None`` for an empty cell or an omitted
  argument (the SPEC default is used), floats for whole numbers, ``datetime`` for dates,
  1-D/2-D lists for ranges (a one-cell range is unwrapped), Excel error values (COM
  error codes, or ``"#N/A ..."`` text from another smallcap cell) which are passed on.
- Results go back as Excel values: ints/floats (NaN becomes an empty cell), dates as
  ``datetime`` (a real Excel date), tables as a row-major 2-D list with one header row
  that spills as a native dynamic array.
- Nothing ever raises into xlwings (which would pop a traceback dialog): a
  :class:`~smallcap.errors.SmallcapError` becomes its ``cell_text()``, e.g.
  ``#N/A no data for ^XYZ — refresh first``; anything unexpected becomes one
  ``#VALUE! ...`` line.

The UDF server is a long-lived process: the store keeps loaded histories in memory per
store version, so a refresh by another process shows on the next recalculation.
``smallcap addin build`` generates the VBA wrappers from this module.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import logging
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import xlwings as xw

from . import api
from .analytics.streaks import DEFAULT_SINCE
from .errors import BadArgument, SmallcapError

__all__ = [
    "CATEGORY",
    "DATA_STATUS",
    "FORWARD_RETURNS",
    "HIGHEST_SINCE",
    "PRICE",
    "CLOSE_PRICE",
    "PRICE_HISTORY",
    "RATE_BETA",
    "ROTATION_RATIO",
    "ROTATION_SERIES",
    "ROTATION_SPREAD",
    "RUT_STREAK",
    "STREAK_COUNT",
    "STREAK_EPISODES",
    "UDF_NAMES",
    "WINDOW_RETURN",
    "cell",
    "table_rows",
    "to_excel",
]

CATEGORY = "smallcap"
log = logging.getLogger(__name__)

# COM error codes (VT_ERROR scodes) Excel passes for a cell holding an error value.
COM_ERRORS = {
    -2146826281: "#DIV/0!",
    -2146826246: "#N/A",
    -2146826259: "#NAME?",
    -2146826288: "#NULL!",
    -2146826252: "#NUM!",
    -2146826265: "#REF!",
    -2146826273: "#VALUE!",
    -2146826245: "#GETTING_DATA",
}
# The texts Excel errors show as; an argument starting with one of these is passed on.
ERROR_TEXTS = (*COM_ERRORS.values(), "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#BUSY!")
_ERROR_PREFIXES = tuple(sorted(ERROR_TEXTS, key=len, reverse=True))


class _PassOn(Exception):
    """An argument already holds an error: the cell shows that error."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


# -- arguments --------------------------------------------------------------------------


def _argument(value: Any, name: str, default: Any) -> Any:
    """One Excel argument as the pure function wants it (``None``/blank -> the default)."""
    kind = type(value)
    if kind is float or kind is dt.datetime:
        return value
    if value is None:
        return default
    if kind is str:
        if not value or value.isspace():
            return default
        if value[0] == "#" and value.startswith(_ERROR_PREFIXES):
            raise _PassOn(value)
        return value
    if kind is int and value in COM_ERRORS:
        raise _PassOn(f"{COM_ERRORS[value]} {name}: the argument cell holds {COM_ERRORS[value]}")
    if isinstance(value, list | tuple | np.ndarray):
        cells = (value.ravel().tolist() if isinstance(value, np.ndarray) else
                 [c for row in value for c in (row if isinstance(row, list | tuple) else (row,))])
        if len(cells) != 1:
            raise BadArgument(name, f"expected a single cell, got a range of {len(cells)} cells")
        return _argument(cells[0], name, default)
    return value


# -- results ----------------------------------------------------------------------------


def to_excel(value: Any) -> Any:
    """One Python value as an Excel cell value: dates become ``datetime`` (Excel dates),
    NaN and NaT become ``None`` (an empty cell), numpy scalars become Python numbers."""
    kind = type(value)
    if kind is int or kind is str or value is None:
        return value
    if kind is float:
        if math.isfinite(value):
            return value
        return None if math.isnan(value) else "#NUM! the result is infinite"
    if value is pd.NaT:
        return None
    if isinstance(value, dt.datetime):  # also pandas Timestamp; a tz-aware one keeps its clock
        return dt.datetime(value.year, value.month, value.day, value.hour, value.minute,
                           value.second, value.microsecond)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return to_excel(float(value))
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else value.astype("datetime64[us]").item()
    if isinstance(value, pd.DataFrame):
        return table_rows(value)
    return str(value)


class _ExcelCells(dict):
    """Memoised :func:`to_excel` for the cells of a table's non-numeric columns: a date
    becomes midnight ``datetime`` (what Excel takes as a date) once, then costs one dict
    lookup per cell."""

    def __missing__(self, value: Any) -> Any:
        converted = to_excel(value)
        if type(value) is dt.date and len(self) < 200_000:  # every trading day fits
            self[value] = converted
        return converted


_EXCEL_CELLS = _ExcelCells()


def table_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """A DataFrame as a row-major 2-D list with one header row (spills natively)."""
    header = [str(c) for c in frame.columns]
    if frame.empty:
        return [header]
    cells = frame.to_numpy(dtype=object)  # one pass: Python floats, ints, dates, text
    numeric = (float, int, np.floating, np.integer)
    for j, first in enumerate(cells[0].tolist()):
        if not isinstance(first, numeric) or isinstance(first, bool):
            cells[:, j] = list(map(_EXCEL_CELLS.__getitem__, cells[:, j].tolist()))
    missing = pd.isna(cells)  # NaN and NaT become empty cells
    if missing.any():
        cells[missing] = None
    return [header, *cells.tolist()]


# -- the adapter ------------------------------------------------------------------------


def cell(body: Callable[..., Any]) -> Callable[..., Any]:
    """Make ``body`` (a one-line call into :mod:`smallcap.api`) safe for an Excel cell:
    Excel-shaped arguments in (``None`` = default), Excel values out, and every error
    turned into the text the cell shows. Never raises."""
    signature = inspect.signature(body)
    names = tuple(signature.parameters)
    defaults = tuple(p.default for p in signature.parameters.values())
    count = len(names)
    title = body.__name__

    @functools.wraps(body)
    def adapter(*args: Any, **kwargs: Any) -> Any:
        try:
            if kwargs:
                bound = signature.bind(*args, **kwargs)
                args = tuple(bound.arguments.get(n) for n in names)
            elif len(args) > count:
                return (f"#VALUE! {title} takes at most {count} arguments "
                        f"({', '.join(names)}), got {len(args)}")
            values = [_argument(v, names[i], defaults[i]) for i, v in enumerate(args)]
            return to_excel(body(*values))
        except SmallcapError as err:
            return err.cell_text()
        except _PassOn as passed:
            return passed.text
        except TypeError as err:
            if kwargs:  # an unknown keyword from a Python caller
                return f"#VALUE! {title}: {err}"
            log.exception("%s failed", title)
            return f"#VALUE! {title} failed: {type(err).__name__}: {err}"
        except Exception as err:  # never a traceback dialog in Excel
            log.exception("%s failed", title)
            return f"#VALUE! {title} failed: {type(err).__name__}: {err}"

    # xlwings turns type hints into converters; the adapter converts on its own.
    adapter.__annotations__ = {}
    return adapter


# -- argument help shown in the Function Wizard -------------------------------------------

_TICKER = "Yahoo symbol, e.g. ^RUT, ^GSPC, IWM; default ^RUT"
_SMALL = "small-cap ticker; default ^RUT"
_LARGE = "large-cap ticker; default ^GSPC"
_THRESHOLD = "daily return a day must beat, as a fraction (0.01 = 1%); default 0.01"
_LENGTH = "run length in trading days that makes an episode; default 5"
_SINCE = "count episodes signalled on or after this date; default 1979-01-01"
_AS_OF = "the day asked about (last trading day on or before it); default the latest"
_WINDOW = 'trading days (21, 63, 252) or "1W", "1M", "3M", "6M", "1Y", "YTD"'
_START = "first date of the table; default the first stored"
_END = "last date of the table; default the latest stored"

# -- the functions (SPEC.md, same argument order and defaults) ------------------------------


@xw.func(category=CATEGORY)
@xw.arg("threshold", doc=_THRESHOLD)
@xw.arg("ticker", doc=_TICKER)
@xw.arg("as_of", doc=_AS_OF)
@xw.ret()
@cell
def RUT_STREAK(threshold=0.01, ticker="^RUT", as_of=None):
    """Days in a row, ending on as_of, whose daily return beat threshold (0 if as_of did not)."""
    return api.streak_length(threshold, ticker, as_of)


@xw.func(category=CATEGORY)
@xw.arg("length", doc=_LENGTH)
@xw.arg("threshold", doc=_THRESHOLD)
@xw.arg("ticker", doc=_TICKER)
@xw.arg("since", doc=_SINCE)
@xw.arg("as_of", doc=_AS_OF)
@xw.ret()
@cell
def STREAK_COUNT(length=5, threshold=0.01, ticker="^RUT", since=DEFAULT_SINCE, as_of=None):
    """Number of streaks that reached length days (signal day in [since, as_of])."""
    return api.streak_count(length, threshold, ticker, since, as_of)


@xw.func(category=CATEGORY)
@xw.arg("length", doc=_LENGTH)
@xw.arg("threshold", doc=_THRESHOLD)
@xw.arg("ticker", doc=_TICKER)
@xw.arg("since", doc=_SINCE)
@xw.arg("as_of", doc=_AS_OF)
@xw.ret(transpose=False)
@cell
def STREAK_EPISODES(length=5, threshold=0.01, ticker="^RUT", since=DEFAULT_SINCE, as_of=None):
    """Table of streak episodes: start, signal date, end, days, run return (spills)."""
    return api.streak_episodes(length, threshold, ticker, since, as_of)


@xw.func(category=CATEGORY)
@xw.arg("window", doc=_WINDOW + '; default "1M"')
@xw.arg("small", doc=_SMALL)
@xw.arg("large", doc=_LARGE)
@xw.arg("as_of", doc=_AS_OF)
@xw.ret()
@cell
def ROTATION_SPREAD(window="1M", small="^RUT", large="^GSPC", as_of=None):
    """Small-cap minus large-cap return over window ending on as_of (a fraction)."""
    return api.rotation_spread(window, small, large, as_of)


@xw.func(category=CATEGORY)
@xw.arg("window", doc=_WINDOW + '; default "1M"')
@xw.arg("small", doc=_SMALL)
@xw.arg("large", doc=_LARGE)
@xw.arg("as_of", doc=_AS_OF)
@xw.ret()
@cell
def ROTATION_RATIO(window="1M", small="^RUT", large="^GSPC", as_of=None):
    """Small-cap return divided by large-cap return over window (3 = "triple the gains")."""
    return api.rotation_ratio(window, small, large, as_of)


@xw.func(category=CATEGORY)
@xw.arg("window", doc=_WINDOW + '; default "1M"')
@xw.arg("small", doc=_SMALL)
@xw.arg("large", doc=_LARGE)
@xw.arg("start", doc=_START)
@xw.arg("end", doc=_END)
@xw.ret(transpose=False)
@cell
def ROTATION_SERIES(window="1M", small="^RUT", large="^GSPC", start=None, end=None):
    """Table for charting: date, small return, large return, spread over window (spills)."""
    return api.rotation_series(window, small, large, start, end)


@xw.func(category=CATEGORY)
@xw.arg("ticker", doc=_TICKER)
@xw.arg("window", doc=_WINDOW + '; default "1M"')
@xw.arg("as_of", doc=_AS_OF)
@xw.ret()
@cell
def WINDOW_RETURN(ticker="^RUT", window="1M", as_of=None):
    """Return over window ending on as_of: C(as_of) / C(window start) - 1 (a fraction)."""
    return api.window_return(ticker, window, as_of)


@xw.func(category=CATEGORY)
@xw.arg("ticker", doc=_TICKER)
@xw.arg("as_of", doc=_AS_OF)
@xw.ret()
@cell
def HIGHEST_SINCE(ticker="^RUT", as_of=None):
    """Latest date before as_of with a close at or above as_of's close ("highest since")."""
    return api.highest_since(ticker, as_of)


@xw.func(category=CATEGORY)
@xw.arg("horizon", doc="trading days after the signal day; default 50 (about ten weeks)")
@xw.arg("length", doc=_LENGTH)
@xw.arg("threshold", doc=_THRESHOLD)
@xw.arg("small", doc=_SMALL)
@xw.arg("large", doc=_LARGE)
@xw.arg("since", doc=_SINCE)
@xw.ret(transpose=False)
@cell
def FORWARD_RETURNS(horizon=50, length=5, threshold=0.01, small="^RUT", large="^GSPC",
                    since=DEFAULT_SINCE):
    """Table: returns horizon days after each streak signal, then count/median/mean/share."""
    return api.forward_returns(horizon, length, threshold, small, large, since)


@xw.func(category=CATEGORY)
@xw.arg("window", doc="trading days of daily returns in the regression; default 252")
@xw.arg("ticker", doc=_TICKER)
@xw.arg("rate", doc="yield ticker; default ^TNX (10-year Treasury)")
@xw.arg("as_of", doc=_AS_OF)
@xw.ret()
@cell
def RATE_BETA(window=252, ticker="^RUT", rate="^TNX", as_of=None):
    """Slope of the daily return on the daily yield change (per percentage point)."""
    return api.rate_beta(window, ticker, rate, as_of)


@xw.func(category=CATEGORY)
@xw.arg("ticker", doc=_TICKER)
@xw.arg("date", doc="the day (last trading day on or before it); default the latest")
@xw.ret()
@cell
def PRICE(ticker="^RUT", date=None):
    """Close on date (adjusted close for a fund), or on the last trading day before it."""
    return api.price(ticker, date)


@xw.func(category=CATEGORY)
@xw.arg("ticker", doc=_TICKER)
@xw.arg("date", doc="the day (last trading day on or before it); default the latest")
@xw.ret()
@cell
def CLOSE_PRICE(ticker="^RUT", date=None):
    """PRICE under a name Excel's built-in bond PRICE() does not shadow: use this in cells."""
    return api.price(ticker, date)


@xw.func(category=CATEGORY)
@xw.arg("ticker", doc=_TICKER)
@xw.arg("start", doc=_START)
@xw.arg("end", doc=_END)
@xw.ret(transpose=False)
@cell
def PRICE_HISTORY(ticker="^RUT", start=None, end=None):
    """Table of daily prices: date, close, adjusted close (spills)."""
    return api.price_history(ticker, start, end)


@xw.func(category=CATEGORY)
@xw.arg("ticker", doc=_TICKER)
@xw.ret(transpose=False)
@cell
def DATA_STATUS(ticker="^RUT"):
    """What the store holds for ticker: first date, last date, rows, last refresh (UTC)."""
    return api.data_status(ticker)


UDF_NAMES = (
    "RUT_STREAK", "STREAK_COUNT", "STREAK_EPISODES", "ROTATION_SPREAD", "ROTATION_RATIO",
    "ROTATION_SERIES", "WINDOW_RETURN", "HIGHEST_SINCE", "FORWARD_RETURNS", "RATE_BETA",
    "PRICE", "CLOSE_PRICE", "PRICE_HISTORY", "DATA_STATUS",
)
