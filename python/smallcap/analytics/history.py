"""Price histories as numpy arrays, with the derived arrays memoised.

Every analytics function accepts either a pandas Series of closes (indexed by date)
or a :class:`History`. A History is immutable; what is derived from it (daily
returns, run lengths for a threshold, the inner join with another history) is
computed once and kept, so a long-lived process that keeps Histories per store
version answers a repeated question with a binary search and an array lookup.
"""

from __future__ import annotations

import bisect
import itertools
from typing import Any

import numpy as np
import pandas as pd

from .. import params
from ..errors import BadArgument, NoData, OutOfRange

_serial = itertools.count(1)


class History:
    """Daily closes of one ticker: ``dates`` (``datetime64[D]``, strictly increasing) and
    ``close`` (float64; for a fund the adjusted close). ``raw_close`` keeps the unadjusted
    close when it is known; ``pair`` names the two tickers of a history restricted to the
    days both have (:func:`inner_join`), for messages about its first day."""

    __slots__ = ("ticker", "dates", "close", "raw_close", "serial", "_memo", "pair")

    def __init__(
        self,
        ticker: str,
        dates: np.ndarray,
        close: np.ndarray,
        raw_close: np.ndarray | None = None,
        pair: str = "",
    ) -> None:
        dates = np.asarray(dates, dtype="datetime64[D]")
        close = np.asarray(close, dtype="float64")
        if dates.shape != close.shape or dates.ndim != 1:
            raise ValueError("dates and close must be 1-D arrays of the same length")
        if len(dates) > 1 and not bool(np.all(dates[1:] > dates[:-1])):
            raise ValueError(f"{ticker}: dates must be strictly increasing")
        self.ticker = ticker
        self.dates = dates
        self.close = close
        self.raw_close = close if raw_close is None else np.asarray(raw_close, dtype="float64")
        self.serial = next(_serial)
        self.pair = pair  # "^RUT and ^TNX" for a history restricted to a pair's common days
        self._memo: dict[Any, Any] = {}
        dates.flags.writeable = False
        close.flags.writeable = False

    def __len__(self) -> int:
        return len(self.dates)

    def __repr__(self) -> str:
        if not len(self):
            return f"History({self.ticker!r}, empty)"
        return f"History({self.ticker!r}, {self.dates[0]}..{self.dates[-1]}, {len(self)} rows)"

    # -- construction -------------------------------------------------------------------

    @classmethod
    def from_series(cls, closes: pd.Series, ticker: str | None = None) -> History:
        """A History from a Series of closes indexed by date, in any order (NaN rows are
        dropped); a day given twice raises :class:`BadArgument`."""
        if not isinstance(closes, pd.Series):
            raise BadArgument("closes", f"expected a pandas Series of closes, got {type(closes)}")
        series = closes.dropna()
        try:
            if pd.api.types.is_numeric_dtype(series.index.dtype) and len(series):
                raise ValueError(f"the index holds {series.index.dtype} numbers, not dates")
            index = pd.DatetimeIndex(series.index)
            values = series.to_numpy(dtype="float64")
        except (TypeError, ValueError, OverflowError) as exc:
            first = " ".join(str(exc).split())[:120]
            raise BadArgument("closes", "expected numbers indexed by date, e.g. "
                              f"Series(closes, index=pd.to_datetime(days)) ({first})") from None
        if index.tz is not None:
            index = index.tz_localize(None)
        dates = index.values.astype("datetime64[D]")
        order = np.argsort(dates, kind="stable")
        name = str(ticker or series.name or "")
        twice = dates[order][1:][np.diff(dates[order]) == np.timedelta64(0, "D")]
        if len(twice):  # which close would be the day's? refused, not guessed
            raise BadArgument("closes", f"{name or 'the series'}: {twice[0]} appears "
                              f"{int((dates == twice[0]).sum())} times; give one close per day")
        return cls(name, dates[order], values[order])

    def to_series(self) -> pd.Series:
        """The closes as a Series indexed by date."""
        return pd.Series(self.close, index=pd.DatetimeIndex(self.dates, name="date"),
                         name=self.ticker or "close")

    def memo(self, key: Any, compute: Any) -> Any:
        """Return ``compute()``, computed once per History and ``key``."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = compute()
            return value

    # -- derived arrays -----------------------------------------------------------------

    @property
    def returns(self) -> np.ndarray:
        """Close-to-close daily returns as fractions; ``returns[0]`` is NaN."""
        return self.memo("returns", self._compute_returns)

    def _compute_returns(self) -> np.ndarray:
        out = np.empty_like(self.close)
        out[0:1] = np.nan
        with np.errstate(divide="ignore", invalid="ignore"):  # a close of 0: answers say so
            np.divide(self.close[1:], self.close[:-1], out=out[1:])
        out[1:] -= 1.0
        out.flags.writeable = False
        return out

    @property
    def changes(self) -> np.ndarray:
        """Close-to-close differences (for a yield: percentage points); ``changes[0]`` is NaN."""
        return self.memo("changes", lambda: np.concatenate(([np.nan], np.diff(self.close))))

    # -- locating days ------------------------------------------------------------------

    @property
    def day_numbers(self) -> list[int]:
        """The dates as day numbers (days since 1970-01-01) in a list, for bisect."""
        return self.memo("day_numbers", lambda: self.dates.astype("int64").tolist())

    def require_rows(self) -> None:
        if not len(self):
            raise NoData(f"no data for {self.ticker or 'this series'} — refresh first")

    def locate(self, day: int | None, argument: str = "as_of") -> int:
        """Index of the last trading day on or before day number ``day`` (the latest day
        when None)."""
        self.require_rows()
        if day is None:
            return len(self.dates) - 1
        numbers = self._memo.get("day_numbers")
        position = bisect.bisect_right(numbers if numbers is not None else self.day_numbers,
                                       day) - 1
        if position < 0:
            raise OutOfRange(argument, f"{params.to_date(day)} is before "
                             f"{self.first_day_text()}; pick a later date")
        return position

    def first_day_text(self, ticker: str = "") -> str:
        """``the first stored date of ^RUT (1987-09-10)``; for a pair's common days, ``the
        first day ^RUT and ^TNX both have (2001-01-02)``."""
        first = params.to_date(self.dates[0])
        if self.pair:
            return f"the first day {self.pair} both have ({first})"
        return f"the first stored date of {ticker or self.ticker or 'the data'} ({first})"

    def locate_since(self, day: int | None) -> int:
        """Index of the first trading day on or after day number ``day`` (0 when None)."""
        if day is None:
            return 0
        return bisect.bisect_left(self.day_numbers, day)


def as_history(closes: pd.Series | History, ticker: str | None = None) -> History:
    """Accept a Series or a History; return a History."""
    if isinstance(closes, History):
        return closes
    return History.from_series(closes, ticker)


def inner_join(a: History, b: History) -> tuple[History, History]:
    """The two histories restricted to the dates both have (memoised on ``a``)."""
    # keyed by the partner's ticker, so a reloaded partner replaces its old join
    serial, joined = a.memo(("join", b.ticker), lambda: (b.serial, _inner_join(a, b)))
    if serial != b.serial:
        joined = _inner_join(a, b)
        a._memo[("join", b.ticker)] = (b.serial, joined)
    return joined


def _inner_join(a: History, b: History) -> tuple[History, History]:
    common, ia, ib = np.intersect1d(a.dates, b.dates, assume_unique=True, return_indices=True)
    if not len(common):
        raise NoData(f"{a.ticker} and {b.ticker} have no trading dates in common")
    return (
        History(a.ticker, common, a.close[ia], a.raw_close[ia], f"{a.ticker} and {b.ticker}"),
        History(b.ticker, common, b.close[ib], b.raw_close[ib], f"{a.ticker} and {b.ticker}"),
    )
