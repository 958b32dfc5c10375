"""How rare a move was: SPREAD_PERCENTILE and RETURN_PERCENTILE against a plain loop over
the reference data, and what they promise (as of means as of)."""

from __future__ import annotations

import bisect
import datetime as dt

import pandas as pd
import pytest

from smallcap import analytics
from smallcap.errors import BadArgument, OutOfRange

import naive


def start_index(dates: list[dt.date], end: int, window: object) -> int:
    """Index of the close a window ending at ``dates[end]`` starts from (-1: before the
    first date), written out day by day."""
    if isinstance(window, int):
        return end - window
    day = dates[end]
    if window == "1M":
        anchor = naive.month_back(day, 1)
    elif window == "1Y":
        anchor = naive.month_back(day, 12)
    elif window == "YTD":
        anchor = dt.date(day.year - 1, 12, 31)
    else:
        anchor = day - dt.timedelta(days=7)
    return bisect.bisect_right(dates, anchor) - 1


def loop_values(dates: list[dt.date], closes: list[list[float]], window: object
                ) -> list[float | None]:
    """The window return (one series) or spread (two) ending on each day; None when the
    window is not complete."""
    out: list[float | None] = []
    for end in range(len(dates)):
        start = start_index(dates, end, window)
        if start < 0:
            out.append(None)
            continue
        moves = [c[end] / c[start] - 1 for c in closes]
        out.append(moves[0] - moves[1] if len(moves) == 2 else moves[0])
    return out


def loop_share(dates: list[dt.date], values: list[float | None], as_of: dt.date,
               since: dt.date) -> float:
    end = naive.last_on_or_before(dates, as_of)
    at = values[end]
    compared = [v for d, v in zip(dates, values, strict=True)
                if since <= d <= dates[end] and v is not None]
    return sum(1 for v in compared if v <= at) / len(compared)


DAYS = ["2024-07-16", "2020-04-28", "2009-09-10", "1998-10-20", "2026-02-20"]


@pytest.mark.parametrize("window", ["1M", 21, "YTD", "1W"])
def test_spread_percentile_equals_a_loop(rut, gspc, window) -> None:
    small = dict(zip([d.item() for d in rut.dates], rut.close.tolist(), strict=True))
    large = dict(zip([d.item() for d in gspc.dates], gspc.close.tolist(), strict=True))
    common = sorted(set(small) & set(large))
    values = loop_values(common, [[small[d] for d in common], [large[d] for d in common]],
                         window)
    for day in DAYS:
        for since in (dt.date(1979, 1, 1), dt.date(2000, 1, 1)):
            if since.isoformat() > day:
                continue
            want = loop_share(common, values, dt.date.fromisoformat(day), since)
            got = analytics.spread_percentile(rut, gspc, window, day, since)
            assert got == pytest.approx(want, abs=1e-15), (window, day, since)


@pytest.mark.parametrize("ticker,window", [("^RUT", "1M"), ("^RUT", 63), ("^GSPC", "1Y")])
def test_return_percentile_equals_a_loop(reference_store, ticker, window) -> None:
    history = reference_store.history(ticker)
    dates = [d.item() for d in history.dates]
    values = loop_values(dates, [history.close.tolist()], window)
    for day in DAYS:
        want = loop_share(dates, values, dt.date.fromisoformat(day), dt.date(1979, 1, 1))
        assert analytics.return_percentile(history, window, day) == pytest.approx(want,
                                                                                  abs=1e-15)


def test_the_notes_month_was_rare(rut, gspc) -> None:
    """The issue's measurement: the +8.50 pp one-month spread of 2024-07-16 was above about
    99% of all one-month spreads since 1987."""
    assert analytics.rotation_spread(rut, gspc, "1M", "2024-07-16") == pytest.approx(0.0850,
                                                                                     abs=5e-5)
    assert analytics.spread_percentile(rut, gspc, "1M", "2024-07-16") == pytest.approx(
        0.99, abs=0.005)


def test_as_of_uses_no_later_close(rut, gspc) -> None:
    for day in ("2009-09-10", "2024-07-16"):
        small, large = rut.to_series()[:day], gspc.to_series()[:day]
        assert analytics.spread_percentile(rut, gspc, "1M", day) == \
            analytics.spread_percentile(small, large, "1M")
        assert analytics.return_percentile(rut, "3M", day) == \
            analytics.return_percentile(small, "3M")


def test_bad_ranges_are_refused(rut, gspc) -> None:
    with pytest.raises(BadArgument, match="since"):
        analytics.spread_percentile(rut, gspc, "1M", "2024-07-16", "2024-07-17")
    with pytest.raises(OutOfRange, match="window"):  # as_of's own window is not complete
        analytics.spread_percentile(rut, gspc, "1M", "1987-09-20")
    with pytest.raises(OutOfRange, match="as_of"):
        analytics.return_percentile(rut, "1M", "1950-01-01")


def test_a_tie_counts_as_at_or_below() -> None:
    days = pd.bdate_range("2024-01-01", periods=6)
    closes = pd.Series([100.0, 110.0, 100.0, 110.0, 100.0, 110.0], index=days)
    # one-day returns: +10%, -9.09%, +10%, -9.09%, +10%: on the last day, all 5 at or below
    assert analytics.return_percentile(closes, 1) == 1.0
    assert analytics.return_percentile(closes, 1, days[4]) == pytest.approx(2 / 4)


def test_it_lifts_over_arrays(reference_store) -> None:
    """Like every scalar function: a range of windows (a row) and of pairs (a column) give a
    grid whose every element is the single call's answer."""
    import smallcap

    windows, smalls = ["1M", "3M", 21], ["^RUT", "IWM"]
    got = smallcap.spread_percentile([windows], [[s] for s in smalls], "SPY", "2024-07-16",
                                     store=reference_store)
    assert got.shape == (2, 3)
    for i, small in enumerate(smalls):
        for j, window in enumerate(windows):
            assert got.iloc[i, j] == smallcap.spread_percentile(
                window, small, "SPY", "2024-07-16", store=reference_store)
