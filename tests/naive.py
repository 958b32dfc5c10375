"""Brute-force loop implementations the tests compare the vectorised functions with.

Deliberately plain Python over lists: slow, obvious, independent of smallcap's code.
"""

from __future__ import annotations

import datetime as dt


def returns(closes: list[float]) -> list[float | None]:
    return [None] + [closes[i] / closes[i - 1] - 1 for i in range(1, len(closes))]


def qualifies(r: float | None, threshold: float) -> bool:
    if r is None or r != r:
        return False
    return r > threshold if threshold >= 0 else r < threshold


def run_lengths(closes: list[float], threshold: float) -> list[int]:
    out, run = [], 0
    for r in returns(closes):
        run = run + 1 if qualifies(r, threshold) else 0
        out.append(run)
    return out


def episodes(dates: list[dt.date], closes: list[float], length: int, threshold: float,
             since: dt.date, as_of: dt.date) -> list[dict]:
    """Episodes as (start, signal, end, days, run_return), walking day by day."""
    found = []
    rs = returns(closes)
    i = 0
    n = len(closes)
    while i < n and dates[i] <= as_of:
        if qualifies(rs[i], threshold):
            start = i
            j = i
            while j + 1 < n and dates[j + 1] <= as_of and qualifies(rs[j + 1], threshold):
                j += 1
            if j - start + 1 >= length:
                signal = start + length - 1
                if dates[signal] >= since:
                    found.append({
                        "start": dates[start], "signal": dates[signal], "end": dates[j],
                        "days": j - start + 1, "run_return": closes[j] / closes[start - 1] - 1,
                    })
            i = j + 1
        else:
            i += 1
    return found


def last_on_or_before(dates: list[dt.date], day: dt.date) -> int:
    best = -1
    for i, d in enumerate(dates):
        if d <= day:
            best = i
    return best


def month_back(day: dt.date, months: int) -> dt.date:
    year, month = day.year, day.month - months
    while month < 1:
        month += 12
        year -= 1
    for d in range(day.day, 0, -1):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")
