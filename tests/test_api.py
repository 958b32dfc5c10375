"""The store-backed API: same answers as the pure functions, defaults, store selection."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import smallcap
from smallcap import analytics, api

NOTE = "2024-07-16"


def test_api_equals_pure_functions(reference_store) -> None:
    rut, gspc, tnx = (reference_store.history(t) for t in ("^RUT", "^GSPC", "^TNX"))
    kw = {"store": reference_store}
    assert smallcap.streak_length(as_of=NOTE, **kw) == analytics.streak_length(rut, 0.01, NOTE)
    assert smallcap.streak_count(as_of=NOTE, **kw) == 5
    assert smallcap.rotation_spread(as_of=NOTE, **kw) == analytics.rotation_spread(
        rut, gspc, "1M", NOTE)
    assert smallcap.rotation_ratio("1M", "^rut", " ^gspc ", NOTE, **kw) == pytest.approx(2.959,
                                                                                         abs=1e-3)
    assert smallcap.highest_since(as_of=NOTE, **kw) == dt.date(2022, 1, 4)
    assert smallcap.rate_beta(as_of=NOTE, **kw) == analytics.rate_beta(rut, tnx, 252, NOTE)
    pure = analytics.forward_returns(rut, gspc)  # the spilled layout: episodes, then summary
    table = smallcap.forward_returns(**kw)  # pandas-native: the episodes, by signal day
    np.testing.assert_array_equal(table.index.date, pure["signal"].iloc[:len(table)])
    np.testing.assert_array_equal(table["small_return"], pure["small_return"].iloc[:len(table)])
    summary = smallcap.summary(table)  # the figures' summary rows (status is text)
    np.testing.assert_array_equal(summary, pure.iloc[len(table):][list(summary.columns)])
    assert smallcap.price("IWM", NOTE, **kw) == pytest.approx(
        reference_store.frame("IWM").loc[NOTE, "adj_close"])


def test_defaults_use_the_latest_date(reference_store) -> None:
    table = smallcap.price_history(store=reference_store)
    assert table.index[-1] == pd.Timestamp("2026-02-23")
    assert smallcap.price(store=reference_store) == table["adj_close"].iloc[-1]
    # two-ticker default as_of: the last date both have (^RUT ends before ^GSPC)
    series = smallcap.rotation_series(store=reference_store)
    assert series.index[-1] == pd.Timestamp("2026-02-23")
    assert series["spread"].iloc[-1] == pytest.approx(smallcap.rotation_spread(
        store=reference_store))


def test_data_status_row(reference_store) -> None:
    row = smallcap.data_status("^GSPC", store=reference_store).iloc[0]
    assert row["rows"] == 24748
    assert row["first_date"] == pd.Timestamp("1927-12-30")
    assert row["last_date"] == pd.Timestamp("2026-07-13")
    assert isinstance(row["refreshed_at"], dt.datetime)


def test_use_store_and_env(reference_store_path, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SMALLCAP_STORE", str(tmp_path / "other.sqlite"))
    assert api.current_store().path == tmp_path / "other.sqlite"
    with pytest.raises(smallcap.NoData):
        smallcap.price()
    api.use_store(reference_store_path)
    try:
        assert smallcap.streak_count(as_of=NOTE) == 5
    finally:
        api.use_store(None)
    assert api.current_store().path == tmp_path / "other.sqlite"


def test_data_table_joins_on_dates(reference_store) -> None:
    table = api.data_table(("^RUT", "^GSPC", "^XYZ"), store=reference_store)
    assert table.columns.tolist() == ["date", "^RUT", "^GSPC"]
    day = table.set_index("date").loc[dt.date(2024, 7, 16)]
    assert day["^RUT"] == pytest.approx(2263.67, abs=0.01)
    assert table["^RUT"].isna().sum() == len(table) - 9686


def test_import_is_lazy() -> None:
    import subprocess
    import sys

    code = ("import sys, smallcap; smallcap.streak_length; "
            "print(sorted(m for m in ('yfinance', 'xlwings', 'rich', 'curl_cffi') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
