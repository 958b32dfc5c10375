"""Forward returns after streak episodes: what happened ``horizon`` trading days later."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .. import params
from ..settings import DEFAULT_SINCE, SUMMARY_ROWS
from .history import History, as_history, inner_join
from .streaks import _dates, signal_days

FORWARD_COLUMNS = ["signal", "small_return", "large_return", "spread"]


def forward_returns(
    small: pd.Series | History,
    large: pd.Series | History,
    horizon: int = 50,
    length: int = 5,
    threshold: float = 0.01,
    since: object = DEFAULT_SINCE,
) -> pd.DataFrame:
    """One row per episode of ``small`` (found on its own history, signalled on or after
    ``since``): the small and large return and their spread, as fractions, from the
    signal day's close to the close ``horizon`` common trading days later (NaN where that
    day is not in the data yet). When the signal day is not a common date the last common
    date before it is the start. Then four summary rows over the complete episodes:
    ``count``, ``median``, ``mean``, ``share positive`` (a fraction)."""
    small_history, large_history = as_history(small), as_history(large)
    steps = params.whole(horizon, "horizon")
    days = params.whole(length, "length")
    limit = params.threshold(threshold)
    small_history.require_rows()
    since_day = params.optional_date(since, "since")
    signals = signal_days(small_history, days, limit)
    signals = signals[signals >= small_history.locate_since(since_day)]
    signal_dates = small_history.dates[signals]

    joined_small, joined_large = inner_join(small_history, large_history)
    starts = np.searchsorted(joined_small.dates, signal_dates, side="right") - 1
    targets = starts + steps
    complete = (starts >= 0) & (targets < len(joined_small.dates))
    safe_start = np.where(complete, starts, 0)
    safe_target = np.where(complete, targets, 0)

    def forward(joined: History) -> np.ndarray:
        values = joined.close[safe_target] / joined.close[safe_start] - 1.0
        return np.where(complete, values, np.nan)

    small_returns = forward(joined_small)
    large_returns = forward(joined_large)
    table = pd.DataFrame(
        {
            "signal": _dates(signal_dates),
            "small_return": small_returns,
            "large_return": large_returns,
            "spread": small_returns - large_returns,
        },
        columns=FORWARD_COLUMNS,
    )
    return pd.concat([table, summarise(table[FORWARD_COLUMNS[1:]])], ignore_index=True)


def summarise(returns: pd.DataFrame) -> pd.DataFrame:
    """Summary rows of a table of returns (NaN ignored): count, median, mean, share positive."""
    values = returns.to_numpy(dtype="float64")
    count = (~np.isnan(values)).sum(axis=0)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN column: NaN, not a warning
        median = np.nanmedian(values, axis=0) if len(values) else np.full(values.shape[1], np.nan)
        mean = np.nanmean(values, axis=0) if len(values) else np.full(values.shape[1], np.nan)
        share = (values > 0).sum(axis=0) / count
    summary = pd.DataFrame(
        [count.astype("float64"), median, mean, share], columns=list(returns.columns)
    )
    summary.insert(0, FORWARD_COLUMNS[0], np.array(SUMMARY_ROWS, dtype=object))
    return summary
