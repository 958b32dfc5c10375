"""The Excel functions, called headless as xlwings calls them: Excel-shaped arguments
(None for omitted, floats for whole numbers, datetimes, serials, 1-D/2-D ranges) and
Excel-shaped results, compared with the pure smallcap.api; bad input gives a cell error."""

from __future__ import annotations

import datetime as dt
import inspect
import math

import pandas as pd
import pytest
from _excel_helpers import excel_table, excel_value, same_cells
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smallcap
from smallcap import api, catalogue, frames, udfs
from smallcap.errors import SmallcapError

NOTE = dt.datetime(2024, 7, 16)  # the market note's Tuesday
NOTE_SERIAL = 45489.0  # the same day as an Excel serial number


@pytest.fixture(scope="module", autouse=True)
def reference(reference_store_path):
    """UDFs read the process's default store, as in the UDF server: point it at the
    reference data for this module."""
    store = api.use_store(reference_store_path)
    yield store
    api.use_store(None)


# -- every function, Excel-shaped arguments, same answer as the API ----------------------

CASES = [
    ("RUT_STREAK", (None, None, NOTE), (0.01, "^RUT", "2024-07-16")),
    ("RUT_STREAK", (), (0.01, "^RUT", None)),
    ("RUT_STREAK", (0.01, " iwm ", NOTE_SERIAL), (0.01, "IWM", "2024-07-16")),
    ("RUT_STREAK", ([[0.005]], [["^GSPC"]], [[NOTE]]), (0.005, "^GSPC", "2024-07-16")),
    ("RUT_STREAK", (-0.01, "^RUT", dt.datetime(2022, 6, 13)), (-0.01, "^RUT", "2022-06-13")),
    ("STREAK_COUNT", (5.0, 0.01, "^RUT", "1979-01-01", NOTE), (5, 0.01, "^RUT", "1979-01-01",
                                                                "2024-07-16")),
    ("STREAK_COUNT", (None, None, None, None, NOTE), (5, 0.01, "^RUT", "1979-01-01",
                                                      "2024-07-16")),
    ("STREAK_COUNT", (3.0, "2%", None, dt.datetime(2000, 1, 1)), (3, 0.02, "^RUT", "2000-01-01",
                                                                 None)),
    ("STREAK_EPISODES", (5.0, 0.01, None, None, NOTE), (5, 0.01, "^RUT", "1979-01-01",
                                                        "2024-07-16")),
    ("STREAK_EPISODES", (4.0, -0.01, "^GSPC", dt.datetime(2000, 1, 1), None),
     (4, -0.01, "^GSPC", "2000-01-01", None)),
    ("ROTATION_SPREAD", ("1M", None, None, NOTE), ("1M", "^RUT", "^GSPC", "2024-07-16")),
    ("ROTATION_SPREAD", (21.0, "IWM", "^GSPC", NOTE_SERIAL), (21, "IWM", "^GSPC", "2024-07-16")),
    ("ROTATION_SPREAD", ("ytd", "^rut", "^gspc", NOTE), ("YTD", "^RUT", "^GSPC", "2024-07-16")),
    ("ROTATION_RATIO", ("1M", None, None, NOTE), ("1M", "^RUT", "^GSPC", "2024-07-16")),
    ("ROTATION_RATIO", ([["3M"]], None, None, None), ("3M", "^RUT", "^GSPC", None)),
    ("ROTATION_SERIES", ("1M", None, None, dt.datetime(2024, 6, 1), NOTE),
     ("1M", "^RUT", "^GSPC", "2024-06-01", "2024-07-16")),
    ("ROTATION_SERIES", (63.0, "IWM", "SPY", "2024-01-01", None),
     (63, "IWM", "SPY", "2024-01-01", None)),
    ("WINDOW_RETURN", (None, None, NOTE), ("^RUT", "1M", "2024-07-16")),
    ("WINDOW_RETURN", ("^RUT", 63.0), ("^RUT", 63, None)),
    ("WINDOW_RETURN", ("^GSPC", "1Y", "2024-07-16"), ("^GSPC", "1Y", "2024-07-16")),
    ("HIGHEST_SINCE", ("^RUT", NOTE), ("^RUT", "2024-07-16")),
    ("HIGHEST_SINCE", (None, NOTE_SERIAL), ("^RUT", "2024-07-16")),
    ("FORWARD_RETURNS", (), (50, 5, 0.01, "^RUT", "^GSPC", "1979-01-01")),
    ("FORWARD_RETURNS", (10.0, 5.0, 0.01, "^RUT", "^GSPC", dt.datetime(1990, 1, 1)),
     (10, 5, 0.01, "^RUT", "^GSPC", "1990-01-01")),
    ("FORWARD_RETURNS", (None, None, None, None, None, None, NOTE),
     (50, 5, 0.01, "^RUT", "^GSPC", "1979-01-01", "2024-07-16")),
    ("SPREAD_PERCENTILE", ("1M", None, None, NOTE), ("1M", "^RUT", "^GSPC", "2024-07-16")),
    ("SPREAD_PERCENTILE", (21.0, "IWM", "SPY", NOTE_SERIAL, dt.datetime(2010, 1, 1)),
     (21, "IWM", "SPY", "2024-07-16", "2010-01-01")),
    ("RETURN_PERCENTILE", (None, None, NOTE), ("^RUT", "1M", "2024-07-16")),
    ("RETURN_PERCENTILE", ("^GSPC", "YTD", None, "2000-01-01"), ("^GSPC", "YTD", None,
                                                                  "2000-01-01")),
    ("RATE_BETA", (252.0, None, None, NOTE), (252, "^RUT", "^TNX", "2024-07-16")),
    ("RATE_BETA", (63.0, "IWM"), (63, "IWM", "^TNX", None)),
    ("PRICE", ("^RUT", NOTE), ("^RUT", "2024-07-16")),
    ("PRICE", (None, None), ("^RUT", None)),
    ("PRICE", ("IWM", NOTE_SERIAL), ("IWM", "2024-07-16")),
    ("PRICE", ("^RUT", dt.datetime(2024, 7, 13)), ("^RUT", "2024-07-13")),  # a Saturday
    ("CLOSE_PRICE", ("^RUT", dt.datetime(2024, 7, 13)), ("^RUT", "2024-07-13")),
    ("PRICE_HISTORY", ("^RUT", dt.datetime(2024, 7, 1), NOTE), ("^RUT", "2024-07-01",
                                                               "2024-07-16")),
    ("PRICE_HISTORY", ("^TNX", "2024-07-01", NOTE_SERIAL), ("^TNX", "2024-07-01", "2024-07-16")),
    ("PRICE_HISTORY", (), ("^RUT", None, None)),
    ("DATA_STATUS", ("^RUT",), ("^RUT",)),
    ("DATA_STATUS", (None,), ("^RUT",)),
]


def test_every_excel_name_has_a_case():
    assert {c[0] for c in CASES} == set(catalogue.excel_names())


@pytest.mark.parametrize(("name", "excel_args", "api_args"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_udf_matches_api(name, excel_args, api_args):
    fn = catalogue.find(name)
    python = getattr(api, fn.name)
    got = getattr(udfs, name)(*excel_args)
    expected = python(*api_args)
    if hasattr(expected, "columns"):  # Python's table is pandas-native; a cell spills:
        spilled = fn.call(api.current_store(), [*api_args, *[None] * (
            len(fn.arguments) - len(api_args))])
        pd.testing.assert_frame_equal(expected, frames.table(spilled))  # the same figures
        expected = spilled
        want = excel_table(expected)
        assert isinstance(got, list) and len(got) == len(want) >= 2
        assert got[0] == list(expected.columns)
        assert all(isinstance(row, list) and len(row) == len(got[0]) for row in got)
        assert same_cells(got, want, rel=0.0)
    else:
        assert same_cells(got, excel_value(expected), rel=0.0), (got, expected)


def test_results_are_plain_excel_values():
    assert type(udfs.RUT_STREAK(0.01, "^RUT", NOTE)) is int
    assert type(udfs.HIGHEST_SINCE("^RUT", NOTE)) is dt.datetime
    assert udfs.HIGHEST_SINCE("^RUT", NOTE) == dt.datetime(2022, 1, 4)
    assert type(udfs.PRICE("^RUT", NOTE)) is float
    status = udfs.DATA_STATUS("^RUT")
    assert [type(v) for v in status[1]] == [str, dt.datetime, dt.datetime, int, dt.datetime,
                                            str]
    table = udfs.FORWARD_RETURNS(2000.0)  # recent episodes: horizon not complete
    cells = [v for row in table for v in row]
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in cells)
    assert [row[0] for row in table[-4:]] == ["count", "median", "mean", "share positive"]
    # those show empty cells, not NaN
    assert any(v is None for row in table[1:-4] for v in row[1:])
    assert all(type(v) is dt.datetime for row in table[1:-4] for v in row[:1])


def test_the_market_note_from_cells():
    assert udfs.PRICE("^RUT", NOTE) / udfs.PRICE("^RUT", dt.datetime(2024, 7, 15)) - 1 > 0.035
    assert udfs.HIGHEST_SINCE("^RUT", NOTE).year == 2022
    assert udfs.STREAK_COUNT(5.0, 0.01, "^RUT", "1979-01-01", NOTE) == 5
    assert udfs.WINDOW_RETURN("^RUT", "1M", NOTE) == pytest.approx(0.128, abs=0.001)
    assert udfs.ROTATION_RATIO("1M", "^RUT", "^GSPC", NOTE) == pytest.approx(3, abs=0.1)


def test_keyword_calls_and_too_many_arguments():
    assert udfs.RUT_STREAK(as_of=NOTE) == api.streak_length(as_of="2024-07-16")
    assert udfs.PRICE(date=NOTE, ticker="IWM") == api.price("IWM", "2024-07-16")
    assert udfs.PRICE("^RUT", NOTE, "extra").startswith("#VALUE! PRICE: takes at most 2")
    assert udfs.PRICE(nonsense=1) == ("#VALUE! nonsense: PRICE has no argument 'nonsense'; "
                                      "it takes ticker, date")


# -- bad input: a clear error in the cell, never an exception ------------------------------

COM_NA = -2146826246
COM_DIV0 = -2146826281
ALL_TIME_HIGH = dt.datetime(2026, 1, 22)  # ^RUT's highest close in the reference data
BAD = [
    # (function, arguments, error code the cell starts with, words the message names)
    ("RUT_STREAK", ("abc",), "#VALUE!", "threshold"),
    ("RUT_STREAK", (1.5,), "#VALUE!", "threshold"),
    ("RUT_STREAK", (-1.0,), "#VALUE!", "threshold"),
    ("RUT_STREAK", (True,), "#VALUE!", "threshold"),
    ("RUT_STREAK", (math.nan,), "#VALUE!", "threshold"),
    ("RUT_STREAK", (0.01, "bad ticker!"), "#VALUE!", "ticker"),
    ("RUT_STREAK", (0.01, "^XYZ"), "#N/A", "no data for ^XYZ"),
    ("RUT_STREAK", (0.01, 42.0), "#VALUE!", "ticker"),
    ("RUT_STREAK", (0.01, "^RUT", "not a date"), "#VALUE!", "as_of"),
    ("RUT_STREAK", (0.01, "^RUT", dt.datetime(1950, 1, 1)), "#NUM!", "first stored date"),
    ("STREAK_COUNT", (0.0,), "#VALUE!", "length"),
    ("STREAK_COUNT", (2.5,), "#VALUE!", "length"),
    ("STREAK_COUNT", (-3.0,), "#VALUE!", "length"),
    ("STREAK_COUNT", ("five",), "#VALUE!", "length"),
    ("STREAK_COUNT", (5.0, 0.01, "^RUT", "2025-01-01", "2024-01-01"), "#VALUE!", "since"),
    ("STREAK_COUNT", (5.0, 0.01, "^RUT", "garbage"), "#VALUE!", "since"),
    ("STREAK_EPISODES", (5.0, 2.0), "#VALUE!", "threshold"),
    ("STREAK_EPISODES", (5.0, 0.01, "^" * 21), "#VALUE!", "ticker"),
    ("STREAK_EPISODES", (5.0, 0.01, "^RUT", None, dt.datetime(1900, 3, 1)), "#NUM!", "as_of"),
    ("ROTATION_SPREAD", ("2M",), "#VALUE!", "window"),
    ("ROTATION_SPREAD", (0.0,), "#VALUE!", "window"),
    ("ROTATION_SPREAD", (-5.0,), "#VALUE!", "window"),
    ("ROTATION_SPREAD", ("1M", "^XYZ"), "#N/A", "^XYZ"),
    ("ROTATION_SPREAD", ("1M", "^RUT", "bad/ticker"), "#VALUE!", "large"),
    ("ROTATION_RATIO", (100000.0,), "#NUM!", "window"),
    ("ROTATION_RATIO", ("1M", "^RUT", "^GSPC", "31/12/2024"), "#VALUE!", "as_of"),
    ("ROTATION_SERIES", ("1M", "^RUT", "^GSPC", "2024-02-30"), "#VALUE!", "start"),
    ("ROTATION_SERIES", ("1M", "^RUT", "^GSPC", "2024-07-10", "2024-07-01"), "#VALUE!", "start"),
    ("WINDOW_RETURN", ("^RUT", "1Q"), "#VALUE!", "window"),
    ("WINDOW_RETURN", ("^RUT", 21.5), "#VALUE!", "window"),
    ("WINDOW_RETURN", ("^RUT", math.inf), "#VALUE!", "window"),
    ("WINDOW_RETURN", ("^RUT", "1M", dt.datetime(1950, 1, 1)), "#NUM!", "as_of"),
    ("HIGHEST_SINCE", ("^RUT", ALL_TIME_HIGH), "#N/A", "all-time high"),
    ("HIGHEST_SINCE", ("^XYZ",), "#N/A", "no data for ^XYZ"),
    ("FORWARD_RETURNS", (0.0,), "#VALUE!", "horizon"),
    ("FORWARD_RETURNS", (50.0, 0.0), "#VALUE!", "length"),
    ("FORWARD_RETURNS", (50.0, 5.0, 1.0), "#VALUE!", "threshold"),
    ("FORWARD_RETURNS", (50.0, 5.0, 0.01, "^RUT", "^XYZ"), "#N/A", "^XYZ"),
    ("RATE_BETA", (1.0,), "#VALUE!", "window"),
    ("RATE_BETA", (252.0, "^RUT", "^XYZ"), "#N/A", "^XYZ"),
    ("RATE_BETA", ("abc",), "#VALUE!", "window"),
    ("PRICE", ("^RUT", "yesterday"), "#VALUE!", "date"),
    ("PRICE", ("^RUT", -5.0), "#VALUE!", "date"),
    ("PRICE", ("^RUT", dt.datetime(1900, 1, 1)), "#NUM!", "date"),
    ("PRICE_HISTORY", ("^XYZ",), "#N/A", "no data for ^XYZ"),
    ("PRICE_HISTORY", ("^RUT", "x"), "#VALUE!", "start"),
    ("DATA_STATUS", ("^XYZ",), "#N/A", "no data for ^XYZ"),
    ("DATA_STATUS", (3.0,), "#VALUE!", "ticker"),
    # Excel-shaped trouble: ranges, error values from other cells, extra arguments
    ("PRICE", ([],), "#VALUE!", "the range is empty"),
    ("PRICE_HISTORY", ([["^RUT", "^GSPC"]],), "#VALUE!", "not a range of 2 cells"),
    ("STREAK_EPISODES", (None, None, None, None, [[NOTE, NOTE]]), "#VALUE!", "as_of"),
    ("PRICE", (COM_NA,), "#N/A", "ticker"),
    ("RUT_STREAK", (COM_DIV0,), "#DIV/0!", "threshold"),
    ("PRICE", ("#N/A no data for ^XYZ — refresh first",), "#N/A", "no data for ^XYZ"),
    ("WINDOW_RETURN", ("^RUT", "#VALUE! window: bad"), "#VALUE!", "window: bad"),
    ("PRICE", ("^RUT", None, None), "#VALUE!", "at most 2 arguments"),
]


def test_there_are_at_least_forty_bad_input_cases():
    assert len(BAD) >= 40


@pytest.mark.parametrize(("name", "args", "code", "words"), BAD,
                         ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_gives_a_clear_cell_error(name, args, code, words):
    got = getattr(udfs, name)(*args)
    assert isinstance(got, str), got
    assert got.startswith(code + " ") or got == code, got
    assert words.lower() in got.lower(), got
    assert "\n" not in got and "Traceback" not in got
    assert len(got) < 300


def test_cell_text_is_the_api_exception_message():
    with pytest.raises(SmallcapError) as caught:
        api.window_return("^RUT", "1Q")
    assert udfs.WINDOW_RETURN("^RUT", "1Q") == caught.value.cell_text()
    with pytest.raises(SmallcapError) as caught:
        api.price("^XYZ")
    assert udfs.PRICE("^XYZ") == caught.value.cell_text() == (
        "#N/A " + caught.value.message)
    assert udfs.PRICE("^XYZ").startswith("#N/A no data for ^XYZ — refresh first")


def test_unexpected_errors_become_one_line_of_text():
    def boom(reader, x=1.0):
        """Divides by zero."""
        return x / 0

    fn = catalogue.Function("boom", ("BOOM",), (catalogue.Argument(
        "x", catalogue.THRESHOLD, 0.5, "a number"),), catalogue.NUMBER, "Divides by zero.", boom)
    assert udfs.excel_call(fn, "BOOM", (0.25,), {}) == (
        "#VALUE! BOOM failed: ZeroDivisionError: float division by zero")
    assert udfs.excel_call(fn, "BOOM", ([[0.25, 2.0]],), {}) == [[
        "#VALUE! BOOM failed: ZeroDivisionError: float division by zero",
        "#VALUE! x: must be a fraction between -1 and 1 (0.01 means 1%), got 2.0"]]


def test_blank_and_omitted_arguments_take_the_spec_defaults():
    assert udfs.ROTATION_SPREAD("", "  ", None, NOTE) == udfs.ROTATION_SPREAD("1M", "^RUT",
                                                                              "^GSPC", NOTE)
    assert udfs.STREAK_COUNT([[None]], None, None, None, NOTE) == 5


def test_to_excel_conversions():
    import numpy as np
    import pandas as pd

    assert udfs.to_excel(float("nan")) is None
    assert udfs.to_excel(np.float64("nan")) is None
    assert udfs.to_excel(float("inf")).startswith("#NUM!")
    assert udfs.to_excel(np.int64(7)) == 7 and type(udfs.to_excel(np.int64(7))) is int
    assert udfs.to_excel(dt.date(2024, 7, 16)) == NOTE
    assert type(udfs.to_excel(pd.Timestamp("2024-07-16", tz="UTC"))) is dt.datetime
    assert udfs.to_excel(np.datetime64("2024-07-16")) == NOTE
    assert udfs.to_excel(np.datetime64("NaT")) is None
    assert udfs.to_excel(pd.NaT) is None
    frame = pd.DataFrame({"d": pd.to_datetime(["2024-07-16", None]), "x": [1.5, np.nan]})
    assert udfs.table_rows(frame) == [["d", "x"], [NOTE, 1.5], [None, None]]
    assert udfs.table_rows(frame.iloc[:0]) == [["d", "x"]]


# -- never raises, whatever Excel passes ---------------------------------------------------

EXCEL_SCALARS = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-2146826288, max_value=10**6),
    st.sampled_from([COM_NA, COM_DIV0, -2146826259]),
    st.text(max_size=12),
    st.sampled_from(["^RUT", "^GSPC", "IWM", "1M", "YTD", "2024-07-16", "1%", "#N/A", "^XYZ"]),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.booleans(),
)
EXCEL_ARGS = st.one_of(
    EXCEL_SCALARS,
    st.lists(EXCEL_SCALARS, max_size=3),
    st.lists(st.lists(EXCEL_SCALARS, min_size=1, max_size=2), min_size=1, max_size=2),
)


@pytest.mark.parametrize("name", udfs.UDF_NAMES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_udfs_never_raise(name, data):
    func = getattr(udfs, name)
    count = len(inspect.signature(func).parameters)
    args = data.draw(st.lists(EXCEL_ARGS, max_size=count))
    got = func(*args)
    if isinstance(got, str):
        assert got.startswith("#") and "\n" not in got, got
    elif isinstance(got, list):
        assert got and all(isinstance(row, list) for row in got)
    else:
        assert got is None or type(got) in (int, float, dt.datetime), got
        assert not (isinstance(got, float) and not math.isfinite(got))


def test_smallcap_exports_the_ribbon_main():
    from smallcap import ribbon

    assert smallcap.main is ribbon.main
