"""Forward returns after streak episodes, against a brute-force loop on real history."""

from __future__ import annotations

import datetime as dt
import math
import statistics

import numpy as np
import pandas as pd
import pytest

from smallcap import analytics
from smallcap.analytics import History

import naive


def brute_force(small: History, large: History, horizon: int, length: int, threshold: float,
                since: dt.date, as_of: dt.date | None = None) -> list[tuple]:
    """(signal, small return, large return, peak gain, peak day, drawdown) per episode,
    walking the days one by one; None where the horizon is not over by as_of."""
    small_dates = [d.item() for d in small.dates]
    large_by_day = {d.item(): c for d, c in zip(large.dates, large.close, strict=True)}
    small_by_day = dict(zip(small_dates, small.close.tolist(), strict=True))
    common = sorted(set(small_by_day) & set(large_by_day))
    day = common[-1] if as_of is None else as_of
    last = naive.last_on_or_before(common, day)  # the last common date on or before as_of
    signals = [e["signal"] for e in naive.episodes(
        small_dates, small.close.tolist(), length, threshold, since, day)]
    rows = []
    for signal in signals:
        start = naive.last_on_or_before(common, signal)
        if start < 0 or start + horizon > last:
            rows.append((signal, None, None, None, None, None))
            continue
        a, b = common[start], common[start + horizon]
        path = [small_by_day[common[k]] for k in range(start, start + horizon + 1)]
        peak, peak_day = path[1], 1
        for k in range(2, len(path)):
            if path[k] > peak:
                peak, peak_day = path[k], k
        high, worst = path[0], 0.0
        for close in path:
            high = max(high, close)
            worst = min(worst, close / high - 1)
        rows.append((signal, small_by_day[b] / small_by_day[a] - 1,
                     large_by_day[b] / large_by_day[a] - 1, peak / path[0] - 1, peak_day, worst))
    return rows


@pytest.mark.parametrize("horizon,length,threshold,large_ticker,as_of", [
    (50, 5, 0.01, "^GSPC", None), (50, 5, 0.01, "^GSPC", "2024-07-16"),
    (50, 5, 0.01, "^GSPC", "2020-05-15"), (10, 3, 0.01, "^GSPC", None),
    (250, 4, 0.01, "^NDX", "2010-06-30"), (20, 3, -0.01, "^GSPC", None),
    (5, 2, 0.015, "IWM", "2024-07-19")])
def test_forward_returns_equal_brute_force(reference_store, horizon, length, threshold,
                                           large_ticker, as_of) -> None:
    small, large = reference_store.history("^RUT"), reference_store.history(large_ticker)
    day = None if as_of is None else dt.date.fromisoformat(as_of)
    expected = brute_force(small, large, horizon, length, threshold, dt.date(1979, 1, 1), day)
    table = analytics.forward_returns(small, large, horizon, length, threshold, "1979-01-01",
                                      as_of)
    episodes, summary = table.iloc[:-4], table.iloc[-4:]
    assert list(table.columns) == ["signal", "small_return", "large_return", "spread",
                                   "peak_gain", "peak_day", "drawdown", "status"]
    assert summary["status"].isna().all()
    assert len(episodes) == len(expected) > 0
    for row, (signal, small_r, large_r, peak, peak_day, drawdown) in zip(
            episodes.itertuples(), expected, strict=True):
        assert row.signal == signal
        assert (row.status == "complete") == (small_r is not None)
        if small_r is None:  # pending: every figure blank
            assert all(math.isnan(v) for v in (row.small_return, row.large_return, row.spread,
                                                row.peak_gain, row.peak_day, row.drawdown))
            continue
        assert row.small_return == pytest.approx(small_r, rel=1e-12)
        assert row.large_return == pytest.approx(large_r, rel=1e-12)
        assert row.spread == pytest.approx(small_r - large_r, rel=1e-9, abs=1e-15)
        assert row.peak_gain == pytest.approx(peak, rel=1e-12, abs=1e-15)
        assert row.peak_day == peak_day
        assert row.drawdown == pytest.approx(drawdown, rel=1e-12, abs=1e-15)
    assert summary["signal"].tolist() == ["count", "median", "mean", "share positive"]
    columns = {"small_return": 1, "peak_gain": 3, "peak_day": 4, "drawdown": 5}
    for column, k in columns.items():
        complete = [row[k] for row in expected if row[1] is not None]
        got = summary[column].tolist()
        assert got[0] == len(complete)
        if complete:
            assert got[1] == pytest.approx(statistics.median(complete))
            assert got[2] == pytest.approx(statistics.mean(complete))
        if column in ("peak_day", "drawdown"):  # a share of positive values says nothing
            assert math.isnan(got[3])
        elif complete:
            assert got[3] == pytest.approx(sum(v > 0 for v in complete) / len(complete))


def test_the_notes_forecast_in_its_own_terms(rut, gspc) -> None:
    """As of 2024-07-16 the four earlier episodes are complete and the note's own is
    pending; as of the latest day the note's episode shows what followed (the issue's
    figures, measured by a plain loop above)."""
    table = analytics.forward_returns(rut, gspc, as_of="2024-07-16").set_index("signal")
    note = dt.date(2024, 7, 16)
    assert math.isnan(table.loc[note, "small_return"]) and math.isnan(table.loc[note, "peak_gain"])
    assert table.loc["count", "small_return"] == 4
    peaks = table.loc[[dt.date(1998, 10, 20), dt.date(2000, 1, 20), dt.date(2009, 9, 10),
                       dt.date(2020, 4, 28)], "peak_gain"]
    assert [round(p, 3) for p in peaks] == [0.178, 0.149, 0.049, 0.184]
    assert table.loc["median", "small_return"] == pytest.approx(0.050, abs=0.0005)
    after = analytics.forward_returns(rut, gspc).set_index("signal").loc[note]
    assert after["peak_gain"] < 0  # never closed above the note-day close in 50 days
    assert after["drawdown"] == pytest.approx(-0.101, abs=0.0005)


def test_as_of_uses_no_later_close(rut, gspc) -> None:
    """The table as of a day equals the table computed from series cut after that day."""
    for day in ("2009-09-10", "2009-11-20", "2024-07-16", "2024-09-25"):
        cut = dt.date.fromisoformat(day)
        small = rut.to_series()[:str(cut)]
        large = gspc.to_series()[:str(cut)]
        whole = analytics.forward_returns(rut, gspc, as_of=day)
        truncated = analytics.forward_returns(small, large)
        pd.testing.assert_frame_equal(whole, truncated, check_exact=True)


def test_as_of_and_since_are_checked(rut, gspc) -> None:
    from smallcap.errors import BadArgument, OutOfRange

    with pytest.raises(BadArgument, match="since"):
        analytics.forward_returns(rut, gspc, since="2024-07-17", as_of="2024-07-16")
    with pytest.raises(OutOfRange, match="as_of"):
        analytics.forward_returns(rut, gspc, as_of="1950-01-01")
    # a day after the last stored one means the last common date
    pd.testing.assert_frame_equal(analytics.forward_returns(rut, gspc, as_of="2030-01-01"),
                                  analytics.forward_returns(rut, gspc))


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


def test_status_tells_pending_from_never() -> None:
    """Episodes are measured on the days both tickers have: a signal before the first of
    them can never complete, one whose days are not over is pending until a stated day at
    the earliest, one after the large ticker's last close waits for it to catch up."""
    days = pd.bdate_range("2024-01-01", periods=40)  # a Monday; day 34 is Friday 2024-02-16
    growth = [1.02 if k % 3 else 1.0 for k in range(40)]  # two-day runs: signals 2, 5, ... 38
    small = pd.Series(100 * np.cumprod(growth), index=days, name="S")
    large = pd.Series(range(1, 31), index=days[5:35], dtype=float, name="L")  # days 5 .. 34
    table = analytics.forward_returns(small, large, 3, 2, 0.01, "2024-01-01", days[-1].date())
    status = {d: s for d, s in zip(table["signal"], table["status"], strict=True)
              if isinstance(d, dt.date)}
    assert list(status) == [days[k].date() for k in range(2, 40, 3)]
    assert status[days[2].date()] == ("cannot complete: the signal is before the first day "
                                      "both S and L have (2024-01-08)")
    assert [status[days[k].date()] for k in range(5, 30, 3)] == ["complete"] * 9
    assert status[days[32].date()] == ("pending: 1 of 3 days to go after 2024-02-16, "
                                       "complete on 2024-02-19 at the earliest")
    assert [status[days[k].date()] for k in (35, 38)] == [
        "pending: no L close on or after the signal by 2024-02-16"] * 2
    figures = table.set_index("signal").loc[list(status)]
    done = figures["status"] == "complete"
    assert figures.loc[done, "small_return"].notna().all()
    assert figures.loc[~done, "small_return"].isna().all()
    assert table.set_index("signal").loc["count", "small_return"] == done.sum() == 9


def test_status_names_the_large_ticker_it_waits_for(reference_store) -> None:
    """^GSPC goes on after ^RUT's last day (2026-02-23): its later signals wait for ^RUT."""
    gspc, rut = reference_store.history("^GSPC"), reference_store.history("^RUT")
    table = analytics.forward_returns(gspc, rut, 50, 2, 0.005, "2026-01-01", "2026-07-31")
    late = table[[isinstance(d, dt.date) and d > dt.date(2026, 2, 23) for d in table["signal"]]]
    assert len(late)
    assert set(late["status"]) == {"pending: no ^RUT close on or after the signal by 2026-02-23"}
