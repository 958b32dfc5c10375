"""Forward returns after streak episodes, against a brute-force loop on real history."""

from __future__ import annotations

import datetime as dt
import math
import statistics

import pandas as pd
import pytest

from smallcap import analytics
from smallcap.analytics import History

import naive


def brute_force(small: History, large: History, horizon: int, length: int, threshold: float,
                since: dt.date) -> list[tuple[dt.date, float | None, float | None]]:
    small_dates = [d.item() for d in small.dates]
    signals = [e["signal"] for e in naive.episodes(
        small_dates, small.close.tolist(), length, threshold, since, small_dates[-1])]
    large_by_day = {d.item(): c for d, c in zip(large.dates, large.close, strict=True)}
    small_by_day = dict(zip(small_dates, small.close.tolist(), strict=True))
    common = sorted(set(small_by_day) & set(large_by_day))
    rows = []
    for signal in signals:
        start = naive.last_on_or_before(common, signal)
        if start < 0 or start + horizon >= len(common):
            rows.append((signal, None, None))
            continue
        a, b = common[start], common[start + horizon]
        rows.append((signal, small_by_day[b] / small_by_day[a] - 1,
                     large_by_day[b] / large_by_day[a] - 1))
    return rows


@pytest.mark.parametrize("horizon,length,threshold,large_ticker", [
    (50, 5, 0.01, "^GSPC"), (10, 3, 0.01, "^GSPC"), (250, 4, 0.01, "^NDX"),
    (20, 3, -0.01, "^GSPC"), (5, 2, 0.015, "IWM")])
def test_forward_returns_equal_brute_force(reference_store, horizon, length, threshold,
                                           large_ticker) -> None:
    small, large = reference_store.history("^RUT"), reference_store.history(large_ticker)
    expected = brute_force(small, large, horizon, length, threshold, dt.date(1979, 1, 1))
    table = analytics.forward_returns(small, large, horizon, length, threshold, "1979-01-01")
    episodes, summary = table.iloc[:-4], table.iloc[-4:]
    assert len(episodes) == len(expected) > 0
    for row, (signal, want_small, want_large) in zip(episodes.itertuples(), expected,
                                                     strict=True):
        assert row.signal == signal
        if want_small is None:
            assert math.isnan(row.small_return) and math.isnan(row.spread)
        else:
            assert row.small_return == pytest.approx(want_small, rel=1e-12)
            assert row.large_return == pytest.approx(want_large, rel=1e-12)
            assert row.spread == pytest.approx(want_small - want_large, rel=1e-9, abs=1e-15)
    complete = [s for _, s, _ in expected if s is not None]
    assert summary["signal"].tolist() == ["count", "median", "mean", "share positive"]
    assert summary["small_return"].iloc[0] == len(complete)
    if complete:
        assert summary["small_return"].iloc[1] == pytest.approx(statistics.median(complete))
        assert summary["small_return"].iloc[2] == pytest.approx(statistics.mean(complete))
        assert summary["small_return"].iloc[3] == pytest.approx(
            sum(s > 0 for s in complete) / len(complete))


def test_incomplete_horizon_is_blank() -> None:
    days = pd.bdate_range("2024-01-01", periods=10)
    small = pd.Series([100 * 1.02 ** k for k in range(10)], index=days)
    large = pd.Series(range(1, 11), index=days, dtype=float)
    table = analytics.forward_returns(small, large, 3, 5, 0.01, "2024-01-01")
    # one episode (signal on day index 5); 3 days later is index 8: complete
    assert table["signal"].iloc[0] == days[5].date()
    assert table["small_return"].iloc[0] == pytest.approx(1.02 ** 3 - 1)
    assert table["large_return"].iloc[0] == pytest.approx(9 / 6 - 1)
    table = analytics.forward_returns(small, large, 5, 5, 0.01, "2024-01-01")
    assert math.isnan(table["small_return"].iloc[0])
    assert table["small_return"].iloc[1] == 0  # count of complete episodes
    assert math.isnan(table["small_return"].iloc[2])  # no median without complete rows
