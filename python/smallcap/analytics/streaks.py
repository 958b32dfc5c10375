"""Streaks: runs of consecutive trading days whose daily return beats a threshold.

A day qualifies when its close-to-close return r > threshold (threshold >= 0) or
r < threshold (threshold < 0). An *episode* of length L is a run that reaches L
days; it is counted once, on the day it reaches L (its *signal* day), however
long the run goes on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import params
from ..errors import BadArgument
from ..settings import DEFAULT_SINCE
from .history import History, as_history


def qualifying(returns: np.ndarray, threshold: float) -> np.ndarray:
    """Boolean mask of days whose return beats ``threshold`` (NaN never qualifies)."""
    return returns > threshold if threshold >= 0 else returns < threshold


def run_lengths(history: History, threshold: float) -> np.ndarray:
    """For each day, the length (trading days) of the qualifying run ending that day; 0 if
    the day does not qualify. Memoised per History and threshold."""

    def compute() -> np.ndarray:
        mask = qualifying(history.returns, threshold)
        index = np.arange(len(mask))
        last_break = np.maximum.accumulate(np.where(mask, -1, index))
        runs = index - last_break
        runs.flags.writeable = False
        return runs

    return history.memo(("runs", threshold), compute)


def run_ends(history: History, threshold: float) -> np.ndarray:
    """For each day, the index of the last day of the qualifying run containing it."""

    def compute() -> np.ndarray:
        mask = qualifying(history.returns, threshold)
        n = len(mask)
        index = np.arange(n)
        next_break = np.minimum.accumulate(np.where(mask, n, index)[::-1])[::-1]
        return next_break - 1

    return history.memo(("ends", threshold), compute)


def signal_days(history: History, length: int, threshold: float) -> np.ndarray:
    """Indices of the days on which a qualifying run reaches ``length`` days."""
    return history.memo(
        ("signals", length, threshold),
        lambda: np.flatnonzero(run_lengths(history, threshold) == length),
    )


def _bounds(history: History, since: object, as_of: object) -> tuple[int, int]:
    """Index range [first, last] of days in [since, as_of]; validates since <= as_of."""
    end_day = params.optional_date(as_of, "as_of")
    last = history.locate(end_day)
    since_day = params.optional_date(since, "since")
    if since_day is not None and end_day is not None and since_day > end_day:
        raise BadArgument(
            "since",
            f"{params.to_date(since_day)} is after as_of {params.to_date(end_day)}; "
            "since must be on or before as_of",
        )
    if since_day is not None and since_day > history.day_numbers[last] and end_day is None:
        raise BadArgument(
            "since",
            f"{params.to_date(since_day)} is after the last stored date "
            f"{params.to_date(history.dates[last])}",
        )
    return history.locate_since(since_day), last


def _signals_in_range(
    closes: pd.Series | History, length: object, threshold: object, since: object, as_of: object
) -> tuple[History, int, float, np.ndarray, int]:
    """Parse the episode arguments; return the History, length, threshold, the indices of
    the signal days in [since, as_of] (a binary-searched slice) and the index of as_of."""
    history = as_history(closes)
    days = params.whole(length, "length")
    limit = params.threshold(threshold)
    first, last = _bounds(history, since, as_of)
    signals = signal_days(history, days, limit)
    chosen = signals[np.searchsorted(signals, first) : np.searchsorted(signals, last, side="right")]
    return history, days, limit, chosen, last


def streak_length(
    closes: pd.Series | History, threshold: float = 0.01, as_of: object = None
) -> int:
    """Trading days in the qualifying run ending on ``as_of`` (0 when ``as_of`` itself
    does not qualify). ``threshold`` is a daily return as a fraction (0.01 = 1%)."""
    history = as_history(closes)
    limit = params.threshold(threshold)
    position = history.locate(params.optional_date(as_of, "as_of"))
    return int(run_lengths(history, limit)[position])


def streak_count(
    closes: pd.Series | History,
    length: int = 5,
    threshold: float = 0.01,
    since: object = DEFAULT_SINCE,
    as_of: object = None,
) -> int:
    """Number of episodes whose run reached ``length`` trading days on a day in
    [``since``, ``as_of``]; a 7-day run is one episode of length 5."""
    history = as_history(closes)
    days = params.whole(length, "length")
    limit = params.threshold(threshold)
    first, last = _bounds(history, since, as_of)
    counts = history.memo(  # episodes signalled on or before each day
        ("signal counts", days, limit),
        lambda: np.cumsum(run_lengths(history, limit) == days).tolist())
    return counts[last] - counts[first - 1] if first > 0 else counts[last]


EPISODE_COLUMNS = ["start", "signal", "end", "days", "run_return"]


def streak_episodes(
    closes: pd.Series | History,
    length: int = 5,
    threshold: float = 0.01,
    since: object = DEFAULT_SINCE,
    as_of: object = None,
) -> pd.DataFrame:
    """One row per episode signalled in [``since``, ``as_of``]: first day of the run
    (``start``), the day it reached ``length`` (``signal``), its last day up to ``as_of``
    (``end``), its length in trading days (``days``) and the compound return of the
    run's days as a fraction (``run_return`` = C(end) / C(day before start) - 1)."""
    history, days, limit, signals, last = _signals_in_range(closes, length, threshold, since, as_of)
    starts = signals - days + 1
    ends = np.minimum(run_ends(history, limit)[signals], last)
    close = history.close
    return pd.DataFrame(
        {
            "start": _dates(history.dates[starts]),
            "signal": _dates(history.dates[signals]),
            "end": _dates(history.dates[ends]),
            "days": (ends - starts + 1).astype("int64"),
            "run_return": close[ends] / close[starts - 1] - 1.0,
        },
        columns=EPISODE_COLUMNS,
    )


def _dates(days: np.ndarray) -> np.ndarray:
    """``datetime64[D]`` array to an object array of ``datetime.date``."""
    return days.astype("datetime64[D]").astype(object)
