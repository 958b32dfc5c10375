"""Price levels: the close on a day, the price history, and "highest since"."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .. import params
from ..errors import BadArgument, NoAnswer, NoData
from .history import History, as_history
from .streaks import _dates


def price(closes: pd.Series | History, date: object = None) -> float:
    """Close on ``date`` (the last trading day on or before it; the latest when None)."""
    history = as_history(closes)
    return float(history.close[history.locate(params.optional_date(date, "date"), "date")])


def highest_since(closes: pd.Series | History, as_of: object = None) -> dt.date:
    """The latest date before ``as_of`` whose close was >= the close on ``as_of``
    ("highest level since ..."). Raises NoAnswer naming the all-time high when no
    earlier close was as high."""
    history = as_history(closes)
    position = history.locate(params.optional_date(as_of, "as_of"))
    level = history.close[position]
    earlier = _last_at_or_above(history, position, level)
    if earlier is None:
        day = params.to_date(history.dates[position])
        raise NoAnswer(
            f"{history.ticker or 'the series'} closed at an all-time high on {day} "
            f"({level:,.2f}): no earlier close was as high"
        )
    return params.to_date(history.day_numbers[earlier])


def _last_at_or_above(history: History, position: int, level: float) -> int | None:
    """The last index before ``position`` whose close is >= ``level`` (the close on
    ``position``), or None: one look-up in the memoised previous-at-or-above index of
    every day, found once per history with a stack (each day pushed and popped once)."""
    if level != history.close[position]:  # another level: scan for it
        earlier = np.flatnonzero(history.close[:position] >= level)
        return int(earlier[-1]) if len(earlier) else None
    return history.memo("previous at or above", lambda: _previous_at_or_above(
        history.close))[position]


def _previous_at_or_above(close: np.ndarray) -> list[int | None]:
    found: list[int | None] = []
    stack: list[int] = []  # indices whose closes decrease strictly: the candidates
    values = close.tolist()
    for i, value in enumerate(values):
        while stack and not values[stack[-1]] >= value:
            stack.pop()
        found.append(stack[-1] if stack else None)
        stack.append(i)
    return found


HISTORY_COLUMNS = ["date", "close", "adj_close"]


def price_history(
    closes: pd.Series | History, start: object = None, end: object = None
) -> pd.DataFrame:
    """Rows with ``start`` <= date <= ``end``: date, raw close and adjusted close."""
    history = as_history(closes)
    history.require_rows()
    start_day = params.optional_date(start, "start")
    end_day = params.optional_date(end, "end")
    if start_day is not None and end_day is not None and start_day > end_day:
        raise BadArgument(
            "start", f"{params.to_date(start_day)} is after end {params.to_date(end_day)}"
        )
    first = history.locate_since(start_day)
    last = history.locate(end_day, "end")
    if first > last:
        raise NoData(f"no trading day of {history.ticker} between the given start and end")
    rows = slice(first, last + 1)
    return pd.DataFrame(
        {
            "date": _dates(history.dates[rows]),
            "close": history.raw_close[rows],
            "adj_close": history.close[rows],
        },
        columns=HISTORY_COLUMNS,
    )
