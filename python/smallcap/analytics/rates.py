"""Sensitivity of a ticker to interest rates."""

from __future__ import annotations

import pandas as pd

from .. import params
from ..errors import NoAnswer
from .history import History, as_history, inner_join
from .windows import window_start


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
    returns = joined.returns[start + 1 : end + 1]
    changes = joined_rate.changes[start + 1 : end + 1]
    if len(returns) < 2:
        raise NoAnswer("the window holds fewer than two daily changes; use a longer window")
    x = changes - changes.mean()
    variance = float(x @ x)
    if variance == 0.0:
        raise NoAnswer(f"{joined_rate.ticker} did not move over the window; the beta is undefined")
    return float(x @ (returns - returns.mean()) / variance)
