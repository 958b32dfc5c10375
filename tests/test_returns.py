"""Window returns and rotation: calendar windows, the note's month, properties."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smallcap import analytics, params
from smallcap.analytics import History
from smallcap.analytics.windows import calendar_anchor, calendar_anchors
from smallcap.errors import NoAnswer, OutOfRange

import naive

NOTE = dt.date(2024, 7, 16)


def test_note_month_is_a_calendar_month(rut: History, gspc: History) -> None:
    small = analytics.window_return(rut, "1M", NOTE)
    large = analytics.window_return(gspc, "1M", NOTE)
    assert small == pytest.approx(0.1284, abs=5e-5)
    assert large == pytest.approx(0.0434, abs=5e-5)
    assert analytics.rotation_ratio(rut, gspc, "1M", NOTE) == pytest.approx(2.96, abs=5e-3)
    assert analytics.rotation_spread(rut, gspc, "1M", NOTE) == pytest.approx(small - large)
    # 21 trading days is a different window: only 11.02%
    assert analytics.window_return(rut, 21, NOTE) == pytest.approx(0.1102, abs=5e-5)
    # "1M" starts at the close of 2024-06-14, 20 trading days earlier
    start = rut.locate(params.date("2024-06-14", "day"))
    assert rut.locate(params.date(NOTE, "day")) - start == 20
    assert analytics.window_return(rut, 20, NOTE) == pytest.approx(small, rel=1e-12)


def test_day_move_is_a_one_row_window(rut: History) -> None:
    assert analytics.window_return(rut, 1, NOTE) == pytest.approx(0.0350, abs=5e-5)


@pytest.mark.parametrize("day,period,expected", [
    ("2023-03-31", "1M", "2023-02-28"),
    ("2024-03-31", "1M", "2024-02-29"),
    ("2024-05-31", "3M", "2024-02-29"),
    ("2024-08-31", "6M", "2024-02-29"),
    ("2024-02-29", "1Y", "2023-02-28"),
    ("2024-07-16", "1W", "2024-07-09"),
    ("2024-07-16", "YTD", "2023-12-31"),
    ("2024-01-15", "1M", "2023-12-15"),
])
def test_calendar_anchor(day: str, period: str, expected: str) -> None:
    assert calendar_anchor(dt.date.fromisoformat(day), period) == dt.date.fromisoformat(expected)
    vector = calendar_anchors(np.array([day], dtype="datetime64[D]"), period)
    assert str(vector[0]) == expected


@settings(max_examples=200, deadline=None)
@given(st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)), st.sampled_from([1, 3, 6, 12]))
def test_calendar_anchor_matches_naive_month_arithmetic(day, months) -> None:
    period = {1: "1M", 3: "3M", 6: "6M", 12: "1Y"}[months]
    assert calendar_anchor(day, period) == naive.month_back(day, months)
    vector = calendar_anchors(np.array([day], dtype="datetime64[D]"), period)
    assert vector[0].item() == naive.month_back(day, months)


def test_ytd_starts_at_last_close_of_previous_year(rut: History) -> None:
    last_2023 = rut.close[rut.locate(params.date("2023-12-31", "day"))]
    expected = rut.close[rut.locate(params.date(NOTE, "day"))] / last_2023 - 1
    assert analytics.window_return(rut, "YTD", NOTE) == pytest.approx(expected, rel=1e-12)


def test_weekend_as_of_means_the_friday(rut: History) -> None:
    assert analytics.window_return(rut, "1M", "2024-07-14") == analytics.window_return(
        rut, "1M", "2024-07-12")


def test_rotation_series_matches_pointwise_spread(rut: History, gspc: History) -> None:
    table = analytics.rotation_series(rut, gspc, "1M", "2024-06-01", NOTE)
    assert table["date"].iloc[-1] == NOTE
    assert table["date"].iloc[0] == dt.date(2024, 6, 3)
    for row in table.iloc[::5].itertuples():
        assert row.spread == pytest.approx(analytics.rotation_spread(rut, gspc, "1M", row.date))
        assert row.small_return == pytest.approx(analytics.window_return(rut, "1M", row.date))
    numeric = analytics.rotation_series(rut, gspc, 21, "2024-06-01", NOTE)
    assert numeric["small_return"].iloc[-1] == pytest.approx(0.1102, abs=5e-5)


def test_rotation_series_drops_incomplete_windows(rut: History, gspc: History) -> None:
    table = analytics.rotation_series(rut, gspc, 5, None, "1987-10-01")
    assert table["date"].iloc[0] == rut.dates[5].item()


def test_two_ticker_functions_use_common_dates_only() -> None:
    days = pd.bdate_range("2024-01-01", periods=6)
    small = pd.Series([100, 110, 121, 130, 140, 150], index=days, dtype=float)
    large = pd.Series([10, 11, 12, 13], index=days[[0, 2, 3, 5]], dtype=float)
    # common dates: 0, 2, 3, 5; two common rows back from the last is index 2
    assert analytics.rotation_spread(small, large, 2) == pytest.approx(
        (150 / 121 - 1) - (13 / 11 - 1))
    # as_of on a date only one ticker has resolves to the last common date before it
    assert analytics.rotation_spread(small, large, 1, days[4]) == pytest.approx(
        (130 / 121 - 1) - (12 / 11 - 1))


def test_ratio_of_flat_large_is_an_error() -> None:
    days = pd.bdate_range("2024-01-01", periods=3)
    with pytest.raises(NoAnswer, match="ratio"):
        analytics.rotation_ratio(pd.Series([1.0, 2, 3], days), pd.Series([5.0, 5, 5], days), 2)


def test_window_longer_than_history(rut: History) -> None:
    with pytest.raises(OutOfRange, match="window"):
        analytics.window_return(rut, 20000)
    with pytest.raises(OutOfRange, match="first stored date"):
        analytics.window_return(rut, "1Y", "1988-01-04")


closes_strategy = st.lists(st.floats(0.5, 2.0), min_size=4, max_size=80).map(
    lambda v: pd.Series(100 * np.cumprod(v), index=pd.bdate_range("2010-01-01", periods=len(v))))


@settings(max_examples=120, deadline=None)
@given(closes_strategy, closes_strategy, st.integers(1, 3))
def test_rotation_spread_is_antisymmetric(a, b, window) -> None:
    if min(len(a), len(b)) <= window:
        with pytest.raises(OutOfRange):
            analytics.rotation_spread(a, b, window)
        return
    assert analytics.rotation_spread(a, b, window) == pytest.approx(
        -analytics.rotation_spread(b, a, window), abs=1e-12)


@settings(max_examples=120, deadline=None)
@given(closes_strategy, st.data())
def test_window_return_composes_over_adjacent_windows(closes, data) -> None:
    n = len(closes)
    first = data.draw(st.integers(1, n - 2))
    second = data.draw(st.integers(1, n - 1 - first))
    end = first + second
    mid_day = closes.index[end - second]
    end_day = closes.index[end]
    whole = analytics.window_return(closes, first + second, end_day)
    left = analytics.window_return(closes, first, mid_day)
    right = analytics.window_return(closes, second, end_day)
    assert (1 + whole) == pytest.approx((1 + left) * (1 + right), rel=1e-9)


def test_rebase_starts_at_the_level_and_keeps_gaps() -> None:
    scaled = analytics.rebase(pd.Series([50.0, 55.0, np.nan, 45.0]))
    assert scaled[0] == 100.0 and scaled[1] == pytest.approx(110.0)
    assert np.isnan(scaled[2]) and scaled[3] == pytest.approx(90.0)
    assert analytics.rebase(np.array([4.0, 2.0]), 1.0).tolist() == [1.0, 0.5]
