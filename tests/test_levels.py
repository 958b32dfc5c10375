"""Price, price history and "highest since"."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from smallcap import analytics, params
from smallcap.analytics import History
from smallcap.errors import NoAnswer, NoData, OutOfRange


def test_highest_since_on_note_day(rut: History) -> None:
    assert analytics.highest_since(rut, "2024-07-16") == dt.date(2022, 1, 4)


@pytest.mark.parametrize("day", ["1995-06-01", "2008-10-10", "2016-11-09", "2024-07-16",
                                 "2025-12-01"])
def test_highest_since_equals_brute_force(rut: History, day: str) -> None:
    position = rut.locate(params.date(day, "day"))
    level = rut.close[position]
    expected = None
    for i in range(position - 1, -1, -1):
        if rut.close[i] >= level:
            expected = rut.dates[i].item()
            break
    if expected is None:
        with pytest.raises(NoAnswer, match="all-time high"):
            analytics.highest_since(rut, day)
    else:
        assert analytics.highest_since(rut, day) == expected


def test_all_time_high_is_an_error_naming_it() -> None:
    closes = pd.Series([1.0, 2.0, 3.0], index=pd.bdate_range("2024-01-01", periods=3))
    with pytest.raises(NoAnswer, match=r"all-time high on 2024-01-03"):
        analytics.highest_since(closes)
    dipped = pd.Series([3.0, 1.0, 2.0], index=pd.bdate_range("2024-01-01", periods=3))
    assert analytics.highest_since(dipped) == dt.date(2024, 1, 1)
    level = pd.Series([2.0, 1.0, 2.0], index=pd.bdate_range("2024-01-01", periods=3))
    assert analytics.highest_since(level) == dt.date(2024, 1, 1)  # equal counts as ">="


def test_price_on_weekend_is_fridays_close(rut: History) -> None:
    assert analytics.price(rut, "2024-07-14") == pytest.approx(2148.27, abs=0.01)
    assert analytics.price(rut, dt.datetime(2024, 7, 16, 15, 30)) == pytest.approx(2263.67,
                                                                                   abs=0.01)
    assert analytics.price(rut, 45489) == pytest.approx(2263.67, abs=0.01)  # Excel serial


def test_price_before_history_is_out_of_range(rut: History) -> None:
    with pytest.raises(OutOfRange, match="before the first stored date"):
        analytics.price(rut, "1980-01-01")


def test_price_history_rows_and_columns(rut: History) -> None:
    table = analytics.price_history(rut, "2024-07-13", "2024-07-16")
    assert table.columns.tolist() == ["date", "close", "adj_close"]
    assert table["date"].tolist() == [dt.date(2024, 7, 15), dt.date(2024, 7, 16)]
    with pytest.raises(NoData):
        analytics.price_history(rut, "2024-07-13", "2024-07-14")
