"""How rare a move was: the share of days whose window return (or spread) was at or
below the one on ``as_of``.

As of means as of: every day compared ends on or before ``as_of``, and its window uses
only closes up to that day, so the answer for a day never reads a later close.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import params
from ..errors import BadArgument, NoData
from ..settings import DEFAULT_SINCE
from .history import History, as_history, inner_join
from .windows import window_start, window_starts


def _window_returns(history: History, span: params.Window) -> np.ndarray:
    """The return over ``span`` ending on every day of ``history`` (NaN where the window
    reaches before the first day). Memoised per history and window."""

    def compute() -> np.ndarray:
        ends = np.arange(len(history))
        starts = window_starts(history.dates, ends, span)
        values = np.full(len(ends), np.nan)
        ok = starts >= 0
        values[ok] = history.close[ends[ok]] / history.close[starts[ok]] - 1.0
        values.flags.writeable = False
        return values

    return history.memo(("window returns", span.rows, span.period), compute)


def _share_at_or_below(values: np.ndarray, history: History, span: params.Window,
                       as_of: object, since: object, label: str) -> float:
    """The share of the days in [since, as_of] with a value whose window is complete that
    is at or below the value on ``as_of`` (which counts itself)."""
    end_day = params.optional_date(as_of, "as_of")
    end = history.locate(end_day)
    window_start(history, end, span, label)  # as_of's own window must be complete
    since_day = params.optional_date(since, "since")
    day = history.day_numbers[end] if end_day is None else end_day
    if since_day is not None and since_day > day:
        raise BadArgument("since", f"{params.to_date(since_day)} is after as_of "
                          f"{params.to_date(day)}; since must be on or before as_of")
    first = history.locate_since(since_day)
    chosen = values[first:end + 1]
    known = chosen[~np.isnan(chosen)]
    if not len(known):  # cannot happen once as_of's own window is complete; kept for safety
        raise NoData(f"no day of {label} in the range has a complete {span} window")
    return float(np.count_nonzero(known <= values[end]) / len(known))


def spread_percentile(
    small: pd.Series | History,
    large: pd.Series | History,
    window: object = "1M",
    as_of: object = None,
    since: object = DEFAULT_SINCE,
) -> float:
    """The share (a fraction) of the common dates in [``since``, ``as_of``] whose spread
    R_small - R_large over ``window`` was at or below the spread on ``as_of``; dates whose
    window reaches before the first common date are left out. 0.99: the spread on
    ``as_of`` was above 99% of the spreads before it."""
    joined_small, joined_large = inner_join(as_history(small), as_history(large))
    span = params.window(window)

    def compute() -> np.ndarray:
        values = _window_returns(joined_small, span) - _window_returns(joined_large, span)
        values.flags.writeable = False
        return values

    spreads = joined_small.memo(("spreads", joined_large.serial, span.rows, span.period),
                                compute)
    return _share_at_or_below(spreads, joined_small, span, as_of, since,
                              f"{joined_small.ticker}/{joined_large.ticker}")


def return_percentile(
    closes: pd.Series | History,
    window: object = "1M",
    as_of: object = None,
    since: object = DEFAULT_SINCE,
) -> float:
    """The share (a fraction) of the days in [``since``, ``as_of``] whose return over
    ``window`` was at or below the return on ``as_of``; days whose window reaches before
    the first stored day are left out."""
    history = as_history(closes)
    span = params.window(window)
    history.require_rows()
    return _share_at_or_below(_window_returns(history, span), history, span, as_of, since,
                              history.ticker)
