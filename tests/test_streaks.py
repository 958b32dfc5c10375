"""Streak functions: the note's figures on real ^RUT history, a brute-force loop, properties."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smallcap import analytics
from smallcap.analytics import History

import naive

NOTE = dt.date(2024, 7, 16)


def test_note_day_is_a_five_day_streak(rut: History) -> None:
    assert analytics.streak_length(rut, 0.01, NOTE) == 5
    assert analytics.streak_length(rut, 0.01, NOTE - dt.timedelta(days=1)) == 4


def test_fifth_episode_since_1979(rut: History) -> None:
    assert analytics.streak_count(rut, 5, 0.01, "1979-01-01", NOTE) == 5
    table = analytics.streak_episodes(rut, 5, 0.01, "1979-01-01", NOTE)
    assert [d.isoformat() for d in table["signal"]] == [
        "1998-10-20", "2000-01-20", "2009-09-10", "2020-04-28", "2024-07-16"]
    # the day before the note the fifth run had not yet reached five days
    assert analytics.streak_count(rut, 5, 0.01, "1979-01-01", "2024-07-15") == 4


def test_a_seven_day_run_is_one_episode() -> None:
    closes = pd.Series([100.0] + [100 * 1.02 ** k for k in range(1, 8)] + [90.0],
                       index=pd.bdate_range("2024-01-01", periods=9))
    assert analytics.streak_count(closes, 5, 0.01, "2024-01-01") == 1
    table = analytics.streak_episodes(closes, 5, 0.01, "2024-01-01")
    assert table["days"].tolist() == [7]
    assert table["run_return"].iloc[0] == pytest.approx(1.02 ** 7 - 1)
    assert analytics.streak_count(closes, 3, 0.01, "2024-01-01") == 1
    assert analytics.streak_count(closes, 8, 0.01, "2024-01-01") == 0


def test_negative_threshold_counts_losing_streaks() -> None:
    closes = pd.Series([100, 98, 96, 94, 95, 93], dtype=float,
                       index=pd.bdate_range("2024-01-01", periods=6))
    assert analytics.streak_length(closes, -0.01, "2024-01-04") == 3
    assert analytics.streak_length(closes, -0.01) == 1
    assert analytics.streak_length(closes, 0.01) == 0


@pytest.mark.parametrize("threshold,length", [(0.01, 5), (0.005, 3), (0.0, 7), (-0.01, 3),
                                              (0.02, 2), (-0.02, 2)])
def test_episodes_equal_brute_force_on_real_history(rut: History, threshold: float,
                                                    length: int) -> None:
    dates = [d.item() for d in rut.dates]
    closes = rut.close.tolist()
    since, as_of = dt.date(1979, 1, 1), dt.date(2025, 6, 30)
    expected = naive.episodes(dates, closes, length, threshold, since, as_of)
    table = analytics.streak_episodes(rut, length, threshold, since, as_of)
    assert len(table) == len(expected) > 0
    for row, want in zip(table.to_dict(orient="records"), expected, strict=True):
        assert {k: row[k] for k in ("start", "signal", "end", "days")} == {
            k: want[k] for k in ("start", "signal", "end", "days")}
        assert row["run_return"] == pytest.approx(want["run_return"], rel=1e-12)
    assert analytics.streak_count(rut, length, threshold, since, as_of) == len(expected)


def test_run_cut_by_as_of_ends_on_as_of(rut: History) -> None:
    # the 2000-01-20 run went on to 2000-01-21; seen from 2000-01-20 it ends there
    table = analytics.streak_episodes(rut, 5, 0.01, "2000-01-01", "2000-01-20")
    assert table["end"].tolist() == [dt.date(2000, 1, 20)]
    assert table["days"].tolist() == [5]


def test_since_filters_on_the_signal_day(rut: History) -> None:
    assert analytics.streak_count(rut, 5, 0.01, "2009-09-10", NOTE) == 3
    assert analytics.streak_count(rut, 5, 0.01, "2009-09-11", NOTE) == 2


def series_from_returns(values: list[float]) -> pd.Series:
    closes = 100 * np.cumprod(np.concatenate(([1.0], 1 + np.asarray(values))))
    return pd.Series(closes, index=pd.bdate_range("2001-01-01", periods=len(closes)))


returns_lists = st.lists(
    st.one_of(st.floats(-0.05, 0.05), st.sampled_from([0.0, 0.01, -0.01, 0.02])),
    min_size=1, max_size=120)


@settings(max_examples=150, deadline=None)
@given(returns_lists, st.sampled_from([0.0, 0.005, 0.01, -0.005, -0.01]),
       st.integers(1, 6), st.data())
def test_streak_functions_agree_with_naive_loop(values, threshold, length, data) -> None:
    closes = series_from_returns(values)
    dates = [d.date() for d in closes.index]
    as_of_index = data.draw(st.integers(0, len(dates) - 1))
    since_index = data.draw(st.integers(0, as_of_index))
    as_of, since = dates[as_of_index], dates[since_index]
    runs = naive.run_lengths(closes.tolist(), threshold)
    assert analytics.streak_length(closes, threshold, as_of) == runs[as_of_index]
    expected = naive.episodes(dates, closes.tolist(), length, threshold, since, as_of)
    assert analytics.streak_count(closes, length, threshold, since, as_of) == len(expected)
    table = analytics.streak_episodes(closes, length, threshold, since, as_of)
    assert table["signal"].tolist() == [e["signal"] for e in expected]
    assert table["end"].tolist() == [e["end"] for e in expected]
    assert table["days"].tolist() == [e["days"] for e in expected]
