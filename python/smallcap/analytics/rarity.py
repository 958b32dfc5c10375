"""How rare a move was: the share of days whose window return (or spread) was at or
below the one on ``as_of``.

As of means as of: every day compared ends on or before ``as_of``, and its window uses
only closes up to that day, so the answer for a day never reads a later close.
"""

from __future__ import annotations

from typing import Any

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
                       as_of: object, since: object, label: Any, key: object) -> float:
    """The share of the days in [since, as_of] with a value whose window is complete that
    is at or below the value on ``as_of`` (which counts itself). ``key`` names ``values``
    in the history's memo (their prefix ranks are kept under it); ``label`` (text, or a
    function giving it) names the series in an error."""
    end_day = params.optional_date(as_of, "as_of")
    end = history.locate(end_day)
    if values[end] != values[end]:  # NaN: as_of's own window is not complete; say why
        window_start(history, end, span, label() if callable(label) else label)
    since_day = params.optional_date(since, "since")
    day = history.day_numbers[end] if end_day is None else end_day
    if since_day is not None and since_day > day:
        raise BadArgument("since", f"{params.to_date(since_day)} is after as_of "
                          f"{params.to_date(day)}; since must be on or before as_of")
    first = history.locate_since(since_day)
    ranks = history.memo(("prefix ranks", key), lambda: _prefix_ranks(values))
    if ranks is not None and first <= ranks[0] <= end:  # every known day from the first
        return ranks[1][end - ranks[0]] / (end - ranks[0] + 1)
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

    key = ("spreads", joined_large.serial, span.rows, span.period)
    spreads = joined_small.memo(key, compute)
    return _share_at_or_below(spreads, joined_small, span, as_of, since,
                              lambda: f"{joined_small.ticker}/{joined_large.ticker}", key)


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
                              history.ticker, ("window returns", span.rows, span.period))


def _prefix_ranks(values: np.ndarray) -> tuple[int, list[int]] | None:
    """``(k, ranks)``: ``k`` the first day with a value, and for every day ``i >= k`` the
    number of days in [k, i] whose value is at or below day i's (itself included), so a
    percentile from the first known day on is one look-up. Found for all days at once by a
    bottom-up merge (each level counts, for the days of a right block, the days of its left
    sibling at or below them: one ``searchsorted``). None when a value is missing after
    ``k`` (the share is then counted directly)."""
    known = np.flatnonzero(~np.isnan(values))
    if not len(known) or not np.isfinite(values[known[0]:]).all():
        return None
    first = int(known[0])
    tail = values[first:]
    n = len(tail)
    order = np.argsort(tail, kind="stable")
    ordered = tail[order]
    groups = np.cumsum(np.concatenate(([True], ordered[1:] != ordered[:-1]))) - 1
    keys = np.empty(n, dtype="int64")
    keys[order] = groups  # equal values share a key
    size = 1 << max(0, (n - 1).bit_length())
    padded = np.full(size, n, dtype="int64")  # after every real day: counts nobody
    padded[:n] = keys
    counts = np.ones(size, dtype="int64")  # the day itself
    rows = padded.reshape(size, 1)
    width = 1
    while width < size:
        pairs = rows.reshape(-1, 2, width)
        offsets = np.arange(len(pairs), dtype="int64") * (n + 1)
        left = (pairs[:, 0, :] + offsets[:, None]).ravel()  # sorted blocks, one after another
        right = padded.reshape(-1, 2, width)[:, 1, :] + offsets[:, None]  # in day order
        found = np.searchsorted(left, right.ravel(), side="right").reshape(right.shape)
        counts.reshape(-1, 2, width)[:, 1, :] += found - (offsets // (n + 1) * width)[:, None]
        rows = np.sort(pairs.reshape(-1, 2 * width), axis=1, kind="stable")  # two runs
        width *= 2
    return first, counts[:n].tolist()
