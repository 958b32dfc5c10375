"""Sensitivity of a ticker to interest rates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import params
from ..errors import BadArgument, NoAnswer
from .history import History, as_history, inner_join
from .windows import window_start

#: The fewest daily changes a rate beta is estimated from: a line through two points fits
#: them exactly (any slope, no error), through one it is not defined.
MIN_BETA_CHANGES = 3


def rate_beta(
    closes: pd.Series | History,
    rate: pd.Series | History,
    window: object = 252,
    as_of: object = None,
) -> float:
    """Least-squares slope of the ticker's daily return (fraction) on the daily change of
    the yield (percentage points; ^TNX quotes the 10-year yield in percent) over the
    ``window`` common trading days ending on ``as_of``. -0.05 means the ticker tends to
    fall 5% on a day the yield rises one percentage point."""
    joined, joined_rate = inner_join(as_history(closes), as_history(rate))
    span = params.window(window)
    end = joined.locate(params.optional_date(as_of, "as_of"))
    start = window_start(joined, end, span, f"{joined.ticker}/{joined_rate.ticker}")
    # checked before either path (the cached sums or the direct one): the same rule
    if end - start < MIN_BETA_CHANGES:
        raise BadArgument("window", f"the window ({span}) holds {end - start} daily change(s) to "
                          f"{params.to_date(joined.dates[end])}: a rate beta needs at least "
                          f"{MIN_BETA_CHANGES} (a window of {MIN_BETA_CHANGES} trading days "
                          "or more); fewer fit a line exactly and estimate nothing")
    sums = joined.memo(("rate sums", joined_rate.serial), lambda: _running_sums(
        joined.returns, joined_rate.changes))
    if sums is not None:
        sx, sy, sxx, sxy = (column[end] - column[start] for column in sums)
        count = end - start
        variance = sxx - sx * sx / count
        if variance > 1e-9 * sxx:  # well away from a flat yield: the sums are exact enough
            return (sxy - sx * sy / count) / variance
    returns = joined.returns[start + 1 : end + 1]
    changes = joined_rate.changes[start + 1 : end + 1]
    x = changes - changes.mean()
    variance = float(x @ x)
    if variance == 0.0:
        raise NoAnswer(f"{joined_rate.ticker} did not move over the window; the beta is undefined")
    return float(x @ (returns - returns.mean()) / variance)


def _running_sums(returns: np.ndarray, changes: np.ndarray) -> tuple[list[float], ...] | None:
    """Running sums (from day 1 on; 0 on day 0) of x, y, x*x and x*y, x the yield change
    and y the return: any window's slope in four look-ups. Summed from the first day on,
    so a sum up to a day never depends on a later close (as of means as of, to the bit).
    None when a day has no value (the window is then computed directly)."""
    x, y = changes[1:], returns[1:]
    if not len(x) or not (np.isfinite(x).all() and np.isfinite(y).all()):
        return None
    columns = []
    for values in (x, y, x * x, x * y):
        running = np.empty(len(values) + 1)
        running[0] = 0.0
        np.cumsum(values, out=running[1:])
        columns.append(running.tolist())
    return tuple(columns)
