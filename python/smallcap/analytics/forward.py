"""Forward returns after streak episodes: what happened within ``horizon`` trading days.

As of means as of: an answer for ``as_of`` uses only closes on or before ``as_of``. An
episode whose horizon is not over by ``as_of`` is *pending*: listed, with blank figures,
and left out of the summary rows. Its ``status`` says which it is: ``complete``, pending
(until when at the earliest, or until the large-cap ticker catches up) or never
completable (with the reason), so "not yet" and "never" read differently.
"""

from __future__ import annotations

import bisect
import warnings

import numpy as np
import pandas as pd

from .. import params
from ..errors import BadArgument
from ..settings import DEFAULT_SINCE, SUMMARY_ROWS
from .history import History, as_history, inner_join
from .streaks import _dates, signal_days

FORWARD_COLUMNS = ["signal", "small_return", "large_return", "spread", "peak_gain",
                   "peak_day", "drawdown", "status"]
#: The figures (every column but the first and the last).
FIGURES = FORWARD_COLUMNS[1:-1]
COMPLETE = "complete"
#: Columns whose "share positive" summary says nothing (a peak day or a run's length is
#: always positive, a drawdown never is): left blank.
NO_SHARE = ("peak_day", "drawdown", "days")
_CHUNK = 1 << 21  # cells of one (episodes x horizon) block of closes


def forward_returns(
    small: pd.Series | History,
    large: pd.Series | History,
    horizon: int = 50,
    length: int = 5,
    threshold: float = 0.01,
    since: object = DEFAULT_SINCE,
    as_of: object = None,
) -> pd.DataFrame:
    """One row per episode of ``small`` (found on its own history, signalled in [``since``,
    ``as_of``]) and what followed, as fractions, from the signal day's close over the next
    ``horizon`` common trading days (when the signal day is not a common date, the last
    common date before it is the start):

    - ``small_return``, ``large_return``, ``spread``: the return to the close ``horizon``
      days later, and small minus large;
    - ``peak_gain``: the highest close of ``small`` within those days over the start close,
      minus 1 (negative when it never closed above it); ``peak_day``: trading days from the
      start to that close (the first, on a tie); ``drawdown``: the worst fall of ``small``
      from its running high (the start close included) within those days, <= 0.

    Only closes on or before ``as_of`` (default: the last common date) are used: an
    episode whose horizon ends after ``as_of`` is pending, with blank (NaN) figures.
    ``status`` (:func:`statuses`) tells ``complete`` from pending and from never
    completable. Then four summary rows over the complete episodes: ``count``,
    ``median``, ``mean``, ``share positive`` (blank for ``peak_day`` and ``drawdown``;
    the status blank)."""
    small_history, large_history = as_history(small), as_history(large)
    steps = params.whole(horizon, "horizon")
    days = params.whole(length, "length")
    limit = params.threshold(threshold)
    small_history.require_rows()
    since_day = params.optional_date(since, "since")
    as_of_day = params.optional_date(as_of, "as_of")

    joined_small, joined_large = inner_join(small_history, large_history)
    last = joined_small.locate(as_of_day)  # the last common date on or before as_of
    day = joined_small.day_numbers[last] if as_of_day is None else as_of_day
    if since_day is not None and since_day > day:
        raise BadArgument("since", f"{params.to_date(since_day)} is after as_of "
                          f"{params.to_date(day)}; since must be on or before as_of")
    signals = signal_days(small_history, days, limit)  # runs are causal: no later close used
    numbers = small_history.day_numbers
    first = small_history.locate_since(since_day)
    stop = bisect.bisect_right(numbers, day)  # small's days on or before as_of
    signals = signals[np.searchsorted(signals, first):np.searchsorted(signals, stop)]
    signal_dates = small_history.dates[signals]

    starts = np.searchsorted(joined_small.dates, signal_dates, side="right") - 1
    targets = starts + steps
    complete = (starts >= 0) & (targets <= last)
    done = np.flatnonzero(complete)

    def forward(joined: History) -> np.ndarray:
        values = np.full(len(starts), np.nan)
        values[done] = joined.close[targets[done]] / joined.close[starts[done]] - 1.0
        return values

    small_returns = forward(joined_small)
    large_returns = forward(joined_large)
    peak_gain, peak_day, drawdown = (np.full(len(starts), np.nan) for _ in range(3))
    peak_gain[done], peak_day[done], drawdown[done] = path_figures(
        joined_small.close, starts[done], steps)
    values = np.column_stack([small_returns, large_returns, small_returns - large_returns,
                              peak_gain, peak_day, drawdown])
    summary = summarise(values)
    summary[-1, [FIGURES.index(c) for c in NO_SHARE if c in FIGURES]] = np.nan
    labels = np.empty(len(starts) + len(SUMMARY_ROWS), dtype=object)
    labels[:len(starts)] = _dates(signal_dates)
    labels[len(starts):] = SUMMARY_ROWS
    status = np.full(len(labels), None, dtype=object)
    status[:len(starts)] = statuses(joined_small, joined_large, signal_dates, starts, last,
                                    steps)
    both = np.vstack([values, summary])
    return pd.DataFrame({"signal": labels, **{name: both[:, k] for k, name in
                                              enumerate(FIGURES)}, "status": status},
                        columns=FORWARD_COLUMNS)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """The summary rows of an episode table, as their own float64 DataFrame: one row per
    statistic (``count``, ``median``, ``mean``, ``share positive``, over the episodes
    whose figures are known; pending ones are left out), one column per numeric column of
    ``table``; "share positive" is blank for ``peak_day``, ``drawdown`` and ``days``. The
    same numbers as the rows FORWARD_RETURNS spills below its episodes."""
    numbers = table.select_dtypes("number")
    values = numbers.to_numpy(dtype="float64", na_value=np.nan)
    figures = summarise(values.reshape(len(numbers), numbers.shape[1]))
    for k, column in enumerate(numbers.columns):
        if column in NO_SHARE:
            figures[-1, k] = np.nan
    return pd.DataFrame(figures, index=pd.Index(SUMMARY_ROWS, name="statistic"),
                        columns=numbers.columns)
def statuses(joined_small: History, joined_large: History, signal_dates: np.ndarray,
             starts: np.ndarray, last: int, steps: int) -> list[str]:
    """Each episode's status, from its start (the index of its start among the common
    dates, -1 before the first) and ``last``, the last common date known on as_of:

    - ``complete``: its ``steps`` common days are over;
    - ``pending: N of H days to go after D, complete on E at the earliest``: its days are
      not over on D (the last common day known); E counts N weekdays on from D, the
      soonest the last one can come;
    - ``pending: no LARGE close on or after the signal by D``: the signal came after the
      large-cap ticker's last close known on as_of; it is measured once that catches up;
    - ``cannot complete: the signal is before the first day both ... have (F)``: no close
      of both tickers on or before it to start from, now or later."""
    known = joined_small.dates[last]
    known_day = params.to_date(known)
    pair = f"{joined_small.ticker} and {joined_large.ticker}"
    first = params.to_date(joined_small.dates[0])
    remaining = starts + steps - last
    earliest = np.busday_offset(known, np.maximum(remaining, 0), roll="forward")
    out = []
    for k, start in enumerate(starts.tolist()):
        if start < 0:
            out.append(f"cannot complete: the signal is before the first day both {pair} "
                       f"have ({first})")
        elif signal_dates[k] > known:
            out.append(f"pending: no {joined_large.ticker} close on or after the signal by "
                       f"{known_day}")
        elif remaining[k] > 0:
            out.append(f"pending: {remaining[k]} of {steps} days to go after {known_day}, "
                       f"complete on {params.to_date(earliest[k])} at the earliest")
        else:
            out.append(COMPLETE)
    return out


def path_figures(close: np.ndarray, starts: np.ndarray, steps: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For windows ``close[s : s + steps + 1]`` (every one inside ``close``): the peak gain
    (highest close after ``s`` over ``close[s]``, minus 1), the trading day of that peak
    (1 .. steps, the first on a tie) and the drawdown (the lowest close over the running
    high, minus 1). Vectorised over blocks of windows."""
    count = len(starts)
    gain, day, fall = np.empty(count), np.empty(count), np.empty(count)
    offsets = np.arange(steps + 1)
    block = max(1, _CHUNK // (steps + 1))
    for lo in range(0, count, block):  # a loop over blocks of episodes, not over rows
        s = starts[lo:lo + block]
        path = close[s[:, None] + offsets]  # (episodes, steps + 1): the start close first
        after = path[:, 1:]
        top = np.argmax(after, axis=1)
        gain[lo:lo + block] = after[np.arange(len(s)), top] / path[:, 0] - 1.0
        day[lo:lo + block] = top + 1
        fall[lo:lo + block] = (path / np.maximum.accumulate(path, axis=1)).min(axis=1) - 1.0
    return gain, day, fall


def summarise(values: np.ndarray) -> np.ndarray:
    """Summary rows of columns of figures (NaN ignored): count, median, mean, share
    positive, as a (4, columns) array."""
    count = (~np.isnan(values)).sum(axis=0)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN column: NaN, not a warning
        median = np.nanmedian(values, axis=0) if len(values) else np.full(values.shape[1], np.nan)
        mean = np.nanmean(values, axis=0) if len(values) else np.full(values.shape[1], np.nan)
        share = (values > 0).sum(axis=0) / count
    return np.vstack([count.astype("float64"), median, mean, share])
