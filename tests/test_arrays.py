"""Scalar functions lift over ranges the way Excel's built-ins do: one call, the broadcast
shape, each element's error in its own cell; the same in Python (a labelled pandas result)."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smallcap
from smallcap import api, catalogue, udfs
from smallcap.store import Store

NOTE = dt.datetime(2024, 7, 16)


pytestmark = pytest.mark.usefixtures("reference_as_default")


def test_a_column_of_tickers_with_a_row_of_windows_spills_the_grid():
    tickers = [["^RUT"], ["IWM"], ["^XYZ"], ["^GSPC"]]
    windows = [["1W", "1M", "3M", "2M", 21.0, "YTD"]]
    got = udfs.WINDOW_RETURN(tickers, windows, [[NOTE]])
    assert len(got) == 4 and all(len(row) == 6 for row in got)
    for i, (ticker,) in enumerate(tickers):
        for j, window in enumerate(windows[0]):
            assert got[i][j] == udfs.WINDOW_RETURN(ticker, window, NOTE), (ticker, window)
    assert got[2][0].startswith("#N/A no data for ^XYZ")  # its own cell
    assert got[0][3].startswith("#VALUE! window: '2M' is not a window")
    assert got[0][1] == pytest.approx(0.1284, abs=1e-4)


def test_pairs_down_and_windows_across_in_one_rotation_formula():
    smalls, larges = [["^RUT"], ["IWM"], ["^RUT"], ["IWM"]], [["^GSPC"], ["SPY"], ["^NDX"], ["QQQ"]]
    windows = [["1W", "1M", "3M", "6M", "1Y", "YTD"]]
    got = udfs.ROTATION_SPREAD(windows, smalls, larges, [[NOTE]])
    expected = [[api.rotation_spread(w, s[0], g[0], NOTE) for w in windows[0]]
                for s, g in zip(smalls, larges, strict=True)]
    assert got == expected
    assert got[0][1] == pytest.approx(0.0850, abs=1e-4)
    ratios = udfs.ROTATION_RATIO(windows, smalls, larges, [[NOTE], [NOTE], [NOTE], [NOTE]])
    assert ratios == [[udfs.ROTATION_RATIO(w, s[0], g[0], NOTE) for w in windows[0]]
                      for s, g in zip(smalls, larges, strict=True)]


def test_a_single_value_with_a_range_takes_the_range_shape():
    row = udfs.RUT_STREAK([[0.0, 0.01, 0.02]], "^RUT", NOTE)
    assert row == [[udfs.RUT_STREAK(t, "^RUT", NOTE) for t in (0.0, 0.01, 0.02)]]
    column = udfs.PRICE("^RUT", [[NOTE], [dt.datetime(2024, 7, 13)]])
    assert column == [[2263.669921875], [udfs.PRICE("^RUT", dt.datetime(2024, 7, 12))]]
    assert udfs.PRICE([["^RUT"]], [[NOTE]]) == udfs.PRICE("^RUT", NOTE)  # 1x1: one value


def test_shapes_that_cannot_broadcast_give_one_error_naming_both():
    got = udfs.ROTATION_SPREAD([["1M", "3M"]], [["^RUT"], ["IWM"]], [["^GSPC"], ["SPY"], ["QQQ"]])
    assert got == ("#VALUE! small, large: cannot combine a 2×1 range with a 3×1 range: "
                   "use one row, one column or the same shape")
    with pytest.raises(smallcap.BadArgument, match="ticker, window: cannot combine a 3×1"):
        smallcap.window_return(["^RUT", "IWM", "SPY"], [["1M"], ["3M"]])


def test_a_table_function_given_a_range_says_it_needs_one_value():
    got = udfs.PRICE_HISTORY([["^RUT"], ["IWM"]])
    assert got == ("#VALUE! ticker: PRICE_HISTORY returns a table, so ticker takes one value, "
                   "not a range of 2 cells")
    with pytest.raises(smallcap.BadArgument, match="takes one value"):
        smallcap.forward_returns([50, 20])
    assert udfs.PRICE_HISTORY([["^RUT"]], NOTE, NOTE)[1][1] == pytest.approx(2263.67, abs=0.01)


def test_an_error_value_in_a_range_is_passed_on_in_its_own_cell():
    got = udfs.PRICE([["^RUT", "#N/A no data for ^XYZ", -2146826281]], NOTE)
    assert got[0][0] == pytest.approx(2263.67, abs=0.01)
    assert got[0][1] == "#N/A no data for ^XYZ"
    assert got[0][2] == "#DIV/0! ticker: the argument cell holds #DIV/0!"


def test_python_returns_a_labelled_result(reference_store):
    frame = smallcap.window_return(["^RUT", "IWM"], [["1M", "3M"]], "2024-07-16",
                                   store=reference_store)
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.index) == ["^RUT", "IWM"] and frame.index.name == "ticker"
    assert list(frame.columns) == ["1M", "3M"] and frame.columns.name == "window"
    assert frame.loc["IWM", "3M"] == smallcap.window_return("IWM", "3M", "2024-07-16",
                                                            store=reference_store)
    with pytest.warns(UserWarning, match="no answer"):
        series = smallcap.price(pd.Series(["^RUT", "^NOPE"]), "2024-07-16",
                                store=reference_store)
    assert isinstance(series, pd.Series) and list(series.index) == ["^RUT", "^NOPE"]
    assert series["^RUT"] == pytest.approx(2263.67, abs=0.01)
    assert np.isnan(series["^NOPE"])  # float64: no answer is NaN, its error kept beside
    assert isinstance(series.attrs["errors"]["^NOPE"], smallcap.NoData)


class CountingStore(Store):
    """A store that counts how often a call asks it for a ticker's history."""

    def __init__(self, path):
        super().__init__(path)
        self.asked: list[str] = []

    def history(self, ticker):
        self.asked.append(ticker)
        return super().history(ticker)


def test_each_ticker_is_read_once_per_call(reference_store_path):
    store = CountingStore(reference_store_path)
    tickers = [["^RUT"], ["IWM"]] * 10
    grid = smallcap.rotation_spread([["1W", "1M", "3M", "6M", "1Y", "YTD"]], tickers, "^GSPC",
                                    "2024-07-16", store=store)
    assert grid.shape == (20, 6)
    assert sorted(store.asked) == ["IWM", "^GSPC", "^RUT"]
    store.close()


# -- the property: a lifted call is the element-wise scalar calls, errors included ------------

TICKERS = ["^RUT", "IWM", "^GSPC", "^XYZ", "bad ticker!", "", None, "#N/A upstream"]
WINDOWS = ["1M", "3M", "YTD", 21.0, 5.0, "2M", 0.0, 1e20, None, "1w"]
DATES = [NOTE, dt.datetime(2000, 1, 3), "2024-07-13", 45489.0, "1950-01-01", "junk", None]


def shaped(values: list, rows: int, cols: int) -> object:
    if rows == cols == 1:
        return values[0]
    return [values[r * cols:(r + 1) * cols] for r in range(rows)]


@st.composite
def argument(draw, pool):
    rows, cols = draw(st.sampled_from([(1, 1), (1, 1), (3, 1), (1, 4), (3, 4), (2, 1)]))
    values = draw(st.lists(st.sampled_from(pool), min_size=rows * cols, max_size=rows * cols))
    return shaped(values, rows, cols), (rows, cols)


def element(arg, shape, i, j):
    value, (rows, cols) = arg
    if rows == cols == 1:
        return value
    return value[i if rows > 1 else 0][j if cols > 1 else 0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ticker=argument(TICKERS), window=argument(WINDOWS), as_of=argument(DATES))
def test_lifted_equals_element_wise(ticker, window, as_of):
    args = (ticker, window, as_of)
    got = udfs.WINDOW_RETURN(*(a[0] for a in args))
    shapes = [a[1] for a in args]
    rows = {s[0] for s in shapes} - {1}
    cols = {s[1] for s in shapes} - {1}
    if len(rows) > 1 or len(cols) > 1:
        assert isinstance(got, str) and got.startswith("#VALUE!") and "cannot combine" in got
        return
    n, m = (rows.pop() if rows else 1), (cols.pop() if cols else 1)
    expected = [[udfs.WINDOW_RETURN(*(element(a, None, i, j) for a in args)) for j in range(m)]
                for i in range(n)]
    if n == m == 1:
        assert got == expected[0][0]
    else:
        assert got == expected


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small=st.lists(st.sampled_from(TICKERS[:5]), min_size=1, max_size=4),
       window=st.lists(st.sampled_from(WINDOWS), min_size=1, max_size=3))
def test_python_lifted_equals_element_wise(small, window):
    expected = {}
    for s in small:
        for w in window:
            try:
                expected[s, w] = smallcap.rotation_spread(w, s, "^GSPC", "2024-07-16")
            except smallcap.SmallcapError as error:
                expected[s, w] = error
    failed = [e for e in expected.values() if isinstance(e, Exception)]
    if len(failed) == len(expected):  # no element has an answer: the first error is raised
        with pytest.raises(smallcap.SmallcapError) as raised:
            smallcap.rotation_spread([window], small, "^GSPC", "2024-07-16")
        first = expected[small[0], window[0]]
        assert type(raised.value) is type(first) and str(raised.value) == str(first)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = smallcap.rotation_spread([window], small, "^GSPC", "2024-07-16")
    assert got.to_numpy().dtype == np.float64
    values = got.to_numpy().reshape(len(small), len(window))
    errors = got.attrs.get("errors", {})
    for i, s in enumerate(small):
        for j, w in enumerate(window):
            want = expected[s, w]
            if isinstance(want, Exception):
                assert np.isnan(values[i, j])
                labels = [(s, w), s, w]  # a grid's label, or a row's or a column's
                error = next(errors[k] for k in labels if k in errors)
                assert type(error) is type(want) and str(error) == str(want)
            else:
                assert values[i, j] == want


def test_catalogue_lift_reports_the_broadcast_labels():
    fn = catalogue.find("WINDOW_RETURN")
    lifted = catalogue.lift(fn, [["^RUT", "IWM"], [["1M", "3M", "6M"]], None],
                            catalogue.Reader(api.current_store()), one_dimension="column")
    assert lifted.values.shape == (2, 3)
    assert lifted.labels == (["^RUT", "IWM"], ["1M", "3M", "6M"])
    assert lifted.names == ("ticker", "window")


def test_a_timestamp_is_one_value_not_a_range(reference_store):
    day = pd.Timestamp("2024-07-16")
    assert smallcap.price("^RUT", day, store=reference_store) == smallcap.price(
        "^RUT", "2024-07-16", store=reference_store)
    assert udfs.PRICE("^RUT", day) == udfs.PRICE("^RUT", NOTE)
