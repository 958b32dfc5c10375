"""The per-history caches behind the warm answers (running counts of signal days, the
previous close at or above each close, running sums for RATE_BETA, prefix ranks for the
percentiles) give what a plain computation over the same closes gives, on every kind
of day: early, late, at an all-time high, with since inside the history."""

from __future__ import annotations

import numpy as np
import pytest

from smallcap import analytics, params
from smallcap.analytics.rarity import _window_returns
from smallcap.analytics.streaks import run_lengths
from smallcap.errors import NoAnswer


def days_of(history, every: int = 97) -> list[int]:
    n = len(history)
    return sorted({1, 2, 100, n // 2, n - 300, n - 1, *range(0, n, every)})


def test_highest_since_agrees_with_a_plain_scan(rut) -> None:
    closes = rut.close
    for position in days_of(rut):
        day = str(rut.dates[position])
        earlier = np.flatnonzero(closes[:position] >= closes[position])
        if not len(earlier):
            with pytest.raises(NoAnswer):
                analytics.highest_since(rut, day)
        else:
            assert str(analytics.highest_since(rut, day)) == str(rut.dates[earlier[-1]])


@pytest.mark.parametrize("since", ["1979-01-01", "2000-03-01", "2020-01-02"])
def test_streak_count_agrees_with_counting_signal_days(rut, since) -> None:
    runs = run_lengths(rut, 0.01)
    first = int(np.searchsorted(rut.dates, np.datetime64(since)))
    for position in days_of(rut, 301):
        day = str(rut.dates[position])
        if position < first:
            continue
        want = int(np.count_nonzero(runs[first:position + 1] == 5))
        assert analytics.streak_count(rut, 5, 0.01, since, day) == want


@pytest.mark.parametrize("window", [21, 63, 252])
def test_rate_beta_agrees_with_the_direct_slope(reference_store, window) -> None:
    rut, tnx = reference_store.history("^RUT"), reference_store.history("^TNX")
    joined, rate = analytics.history.inner_join(rut, tnx)
    for position in days_of(joined, 211):
        if position <= window:
            continue
        x = rate.changes[position - window + 1:position + 1]
        y = joined.returns[position - window + 1:position + 1]
        want = np.polyfit(x, y, 1)[0]
        got = analytics.rate_beta(rut, tnx, window, str(joined.dates[position]))
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("window", ["1M", "1Y", 63])
def test_percentiles_agree_with_counting(reference_store, window) -> None:
    rut, gspc = reference_store.history("^RUT"), reference_store.history("^GSPC")
    joined, partner = analytics.history.inner_join(rut, gspc)
    span = params.window(window)
    returns = _window_returns(rut, span)
    spreads = _window_returns(joined, span) - _window_returns(partner, span)
    for history, values, call in (
            (rut, returns, lambda day, since: analytics.return_percentile(rut, window, day, since)),
            (joined, spreads, lambda day, since: analytics.spread_percentile(
                rut, gspc, window, day, since))):
        for since in ("1979-01-01", "2008-06-02"):
            first = int(np.searchsorted(history.dates, np.datetime64(since)))
            for position in days_of(history, 389):
                if np.isnan(values[position]) or position < first:
                    continue
                chosen = values[first:position + 1]
                known = chosen[~np.isnan(chosen)]
                want = np.count_nonzero(known <= values[position]) / len(known)
                assert call(str(history.dates[position]), since) == want
