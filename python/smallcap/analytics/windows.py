"""Look-back windows: a number of trading days, or a calendar period.

A calendar window ending on day D starts at the last close on or before the same
calendar day one period earlier, the day clipped to the month's end (2023-03-31
minus 1M is 2023-02-28); "YTD" starts at the last close of the previous year.
"""

from __future__ import annotations

import bisect
import datetime as dt

import numpy as np

from .. import params
from ..errors import OutOfRange
from ..params import Window
from .history import History

MONTHS = {"1M": 1, "3M": 3, "6M": 6, "1Y": 12}


def _shift_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved back ``months`` calendar months, clipped to the target month's end."""
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    next_first = dt.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_first - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last_day))


def calendar_anchor(day: dt.date, period: str) -> dt.date:
    """The calendar day one ``period`` before ``day`` (YTD: 31 December of the previous year)."""
    if period == "1W":
        return day - dt.timedelta(days=7)
    if period == "YTD":
        return dt.date(day.year - 1, 12, 31)
    return _shift_months(day, MONTHS[period])


def calendar_anchors(days: np.ndarray, period: str) -> np.ndarray:
    """Vectorised :func:`calendar_anchor` over ``datetime64[D]`` days."""
    days = days.astype("datetime64[D]")
    if period == "1W":
        return days - np.timedelta64(7, "D")
    months = days.astype("datetime64[M]")
    if period == "YTD":
        years = days.astype("datetime64[Y]")
        return years.astype("datetime64[D]") - np.timedelta64(1, "D")
    target = months - np.timedelta64(MONTHS[period], "M")
    day_of_month = (days - months.astype("datetime64[D]")).astype("int64")
    month_length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        "int64"
    )
    return target.astype("datetime64[D]") + np.minimum(day_of_month, month_length - 1)


def window_start(history: History, end: int, window: Window, ticker: str = "") -> int:
    """Index of the close a window ending at index ``end`` of ``history`` starts from."""
    dates = history.dates
    if window.rows:
        start = end - window.rows
        if start < 0:
            raise OutOfRange(
                "window",
                f"{window.rows} trading days before {params.to_date(dates[end])} reach past "
                f"{history.first_day_text(ticker)}; use a shorter window or a later as_of",
            )
        return start
    # every day's start for this period, computed once per history (numpy), then looked up
    start = _starts(history, window)[end]
    if start < 0:
        anchor = calendar_anchor(params.to_date(dates[end]), window.period)
        raise OutOfRange(
            "window",
            f"a {window.period} window ending {params.to_date(dates[end])} starts on {anchor}, "
            f"before {history.first_day_text(ticker)}; use a later as_of",
        )
    return start


def window_starts(dates: np.ndarray, ends: np.ndarray, window: Window) -> np.ndarray:
    """Vectorised :func:`window_start`; -1 where the window reaches before the first date."""
    if window.rows:
        starts = ends - window.rows
    else:
        anchors = calendar_anchors(dates[ends], window.period)
        starts = np.searchsorted(dates, anchors, side="right") - 1
    return np.where(starts >= 0, starts, -1)


def ends_and_starts(history: History, windows: list[object], days: list[int | None]
                    ) -> list[tuple[int, int] | None]:
    """For many (window, as_of day number) pairs on one history: the indices of each
    as_of and of its window's start, or None where :meth:`History.locate` or
    :func:`window_start` would raise (the caller then asks the single call why). A
    bisect and a list look-up per pair: the start of every day is memoised per period."""
    numbers = history.day_numbers
    last = len(numbers) - 1
    tables: dict[str, list[int]] = {}
    located: dict[int | None, int] = {None: last}
    found: list[tuple[int, int] | None] = []
    for window, day in zip(windows, days, strict=True):
        end = located.get(day)
        if end is None:
            end = located[day] = bisect.bisect_right(numbers, day) - 1
        span = params.window(window)
        if span.rows:
            start = end - span.rows
        else:
            table = tables.get(span.period)
            if table is None:
                table = tables[span.period] = _starts(history, span)
            start = table[end] if end >= 0 else -1
        found.append((end, start) if end >= 0 and start >= 0 else None)
    return found


def _starts(history: History, window: Window) -> list[int]:
    """The start index of a calendar window ending on each day (memoised per history)."""
    dates = history.dates
    return history.memo(("starts", window.period), lambda: window_starts(
        dates, np.arange(len(dates)), window).tolist())
