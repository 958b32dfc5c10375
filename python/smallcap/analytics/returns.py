"""Window returns and the rotation between a small-cap and a large-cap ticker.

R = C(as_of) / C(window start) - 1, as a fraction. Two-ticker functions use only the
dates both tickers have (inner join) and resolve ``as_of`` and the window on them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import params
from ..errors import BadArgument, NoAnswer, NoData, OutOfRange
from .history import History, as_history, inner_join
from .streaks import _dates
from .windows import ends_and_starts, window_start, window_starts


def _window_return(history: History, window: object, as_of: object) -> float:
    span = params.window(window)
    end = history.locate(params.optional_date(as_of, "as_of"))
    start = window_start(history, end, span, history.ticker)
    return float(history.close[end] / history.close[start] - 1.0)


def window_return(
    closes: pd.Series | History, window: object = "1M", as_of: object = None
) -> float:
    """Return over ``window`` (trading days or "1W"/"1M"/"3M"/"6M"/"1Y"/"YTD") ending on
    ``as_of``, as a fraction."""
    return _window_return(as_history(closes), window, as_of)


def _pair_returns(
    small: pd.Series | History, large: pd.Series | History, window: object, as_of: object
) -> tuple[float, float]:
    joined_small, joined_large = inner_join(as_history(small), as_history(large))
    span = params.window(window)
    end = joined_small.locate(params.optional_date(as_of, "as_of"))
    try:
        start = window_start(joined_small, end, span)
    except OutOfRange:  # the same error, naming the pair
        window_start(joined_small, end, span, f"{joined_small.ticker}/{joined_large.ticker}")
        raise
    return (
        float(joined_small.close[end] / joined_small.close[start] - 1.0),
        float(joined_large.close[end] / joined_large.close[start] - 1.0),
    )


def window_returns(history: History, windows: list[object], days: list[int | None]
                   ) -> list[float]:
    """:func:`window_return` for many (window, as_of day number) pairs of one history at
    once; NaN where the single call would raise. Same arithmetic, same bits."""
    close = history.memo("close list", history.close.tolist)
    return [close[p[0]] / close[p[1]] - 1.0 if p else math.nan
            for p in ends_and_starts(history, windows, days)]


def pair_returns(small: History, large: History, windows: list[object],
                 days: list[int | None]) -> tuple[list[float], list[float]]:
    """R_small and R_large for many (window, as_of day number) pairs on the two tickers'
    common dates; NaN where the single call would raise."""
    joined_small, joined_large = inner_join(small, large)
    pairs = ends_and_starts(joined_small, windows, days)
    return (window_returns_at(joined_small, pairs), window_returns_at(joined_large, pairs))


def window_returns_at(history: History, pairs: list[tuple[int, int] | None]) -> list[float]:
    close = history.memo("close list", history.close.tolist)
    return [close[p[0]] / close[p[1]] - 1.0 if p else math.nan for p in pairs]


def rotation_spread(
    small: pd.Series | History,
    large: pd.Series | History,
    window: object = "1M",
    as_of: object = None,
) -> float:
    """R_small - R_large over ``window`` ending on ``as_of`` (fractions, common dates)."""
    small_return, large_return = _pair_returns(small, large, window, as_of)
    return small_return - large_return


def ratio_reading(small_return: float, large_return: float) -> tuple[str, str] | None:
    """The rule of ``ROTATION_RATIO``, stated once for every host: R_small / R_large reads
    as "small caps did this many times as well" only when the large-cap leg gained (a
    negative ratio then says small caps lost while large caps gained). None when the
    ratio means that; otherwise (what happened, what it means) for the no-answer message."""
    if large_return > 0.0:
        return None
    if large_return == 0.0:
        return "the large-cap leg did not move", "the ratio is undefined, use ROTATION_SPREAD"
    if small_return < 0.0:
        return "both legs fell", "the ratio is not meaningful, use ROTATION_SPREAD"
    return ("the large-cap leg fell while the small-cap leg did not",
            "the ratio's sign reads backwards, use ROTATION_SPREAD")


def ratio_or_nan(small_return: float, large_return: float) -> float:
    """R_small / R_large where :func:`ratio_reading` allows it, else NaN (the quick path
    of a lifted call: the single call then says why)."""
    return small_return / large_return if large_return > 0.0 else math.nan


def rotation_ratio(
    small: pd.Series | History,
    large: pd.Series | History,
    window: object = "1M",
    as_of: object = None,
) -> float:
    """R_small / R_large over ``window`` ending on ``as_of`` ("triple the gains" = 3.0).
    :class:`NoAnswer` unless the large-cap return is above 0 (:func:`ratio_reading`)."""
    small_return, large_return = _pair_returns(small, large, window, as_of)
    why = ratio_reading(small_return, large_return)
    if why is not None:  # name both legs and their returns
        names = [as_history(h).ticker or leg for h, leg in ((small, "small"), (large, "large"))]
        raise NoAnswer(f"{why[0]} ({names[0]} {small_return:+.2%}, {names[1]} "
                       f"{large_return:+.2%}): {why[1]}")
    return small_return / large_return


def rebase(closes: pd.Series | np.ndarray, level: float = 100.0) -> np.ndarray:
    """Closes scaled so that the first one equals ``level`` (100: "rebased to 100");
    NaN stays NaN. Returns a float array."""
    values = np.asarray(closes, dtype="float64")
    if not len(values):
        return values
    return values / values[0] * level


SERIES_COLUMNS = ["date", "small_return", "large_return", "spread"]


def rotation_series(
    small: pd.Series | History,
    large: pd.Series | History,
    window: object = "1M",
    start: object = None,
    end: object = None,
) -> pd.DataFrame:
    """For each common date in [``start``, ``end``] whose window is complete: R_small,
    R_large and their spread over ``window`` ending that day (fractions)."""
    joined_small, joined_large = inner_join(as_history(small), as_history(large))
    span = params.window(window)
    start_day = params.optional_date(start, "start")
    end_day = params.optional_date(end, "end")
    if start_day is not None and end_day is not None and start_day > end_day:
        raise BadArgument(
            "start", f"{params.to_date(start_day)} is after end {params.to_date(end_day)}"
        )
    last = joined_small.locate(end_day, "end")
    first = joined_small.locate_since(start_day)
    ends = np.arange(first, last + 1)
    starts = window_starts(joined_small.dates, ends, span)
    keep = starts >= 0
    ends, starts = ends[keep], starts[keep]
    if not len(ends):
        raise NoData(
            f"no date in the range has a complete {span} window for "
            f"{joined_small.ticker}/{joined_large.ticker}; widen the range or shorten the window"
        )
    small_returns = joined_small.close[ends] / joined_small.close[starts] - 1.0
    large_returns = joined_large.close[ends] / joined_large.close[starts] - 1.0
    return pd.DataFrame(
        {
            "date": _dates(joined_small.dates[ends]),
            "small_return": small_returns,
            "large_return": large_returns,
            "spread": small_returns - large_returns,
        },
        columns=SERIES_COLUMNS,
    )
