"""Hostile input is normal input: for every catalogue function and all four adapters
(Python, an Excel cell, ``smallcap call``, ``smallcap serve``), generated hostile values
for every argument give a value or a typed error, never a traceback, a 5xx, a dropped
connection, ``inf`` or ``NaN``. The functions come from the catalogue, so a new one is
fuzzed without touching this file."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import math
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import smallcap
from smallcap import catalogue, cli, udfs

FUNCTIONS = list(catalogue.functions())
TRIED = {"python": 0, "excel": 0, "cli": 0, "http": 0}

SPECIAL = [
    None, "", "   ", "^RUT", "iwm", "^XYZ", "../etc/passwd", "RUT'; DROP TABLE prices;--",
    "\x00", "é€𝄞", "A" * 5000, "1%", "-1%", "150%", "1e20", "-5", "0", "2024-07-16",
    "2024-07-16junk", "2024-07-161", "2024-02-30", "0001-01-01", "9999-12-31", "45489",
    "1M", "2M", "ytd", "1W ", "#N/A upstream", "#DIV/0!", "nan", "inf", "-inf", "True",
    0, 1, -1, 5, 50, 10**6, 10**20, -(10**20), 2**63, 0.01, -0.01, 0.999999, 1.0, -1.0,
    1e-300, 1e308, math.inf, -math.inf, math.nan, -0.0, 45489.0, 2958466.0, True, False,
    dt.datetime(2024, 7, 16), dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31),
    dt.date(1899, 12, 30), dt.date(2100, 1, 1), pd.NaT, np.datetime64("NaT"),
    pd.Timestamp("2024-07-16"), np.datetime64("2024-07-16"),
    np.float64(math.inf), np.int64(-5), -2146826246,
]
HOSTILE = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=30),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
)
CALLS = st.tuples(st.sampled_from(FUNCTIONS), st.lists(HOSTILE, max_size=8))
FUZZ = settings(max_examples=250, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


pytestmark = pytest.mark.usefixtures("reference_as_default")


def finite_value(value) -> bool:
    """A scalar answer as the adapters may hand it out: never inf or NaN."""
    if isinstance(value, float | np.floating):
        return math.isfinite(value)
    return True


def check_python_result(result) -> None:
    """Typed pandas results (no object column but text), no infinity; an element without
    an answer is NaN/NaT with its SmallcapError in ``attrs["errors"]``."""
    if isinstance(result, pd.DataFrame | pd.Series):
        frame = result.to_frame() if isinstance(result, pd.Series) else result
        numbers = frame.select_dtypes("number").to_numpy(dtype="float64", na_value=np.nan)
        assert not np.isinf(numbers).any()
        assert all(dtype.kind != "O" or isinstance(dtype, pd.StringDtype)
                   for dtype in frame.dtypes), frame.dtypes  # text: the string dtype
        for error in result.attrs.get("errors", {}).values():
            assert isinstance(error, smallcap.SmallcapError), error
    else:
        assert finite_value(result), result


@FUZZ
@given(call=CALLS)
def test_python(call):
    fn, args = call
    args = args[: len(fn.arguments) + 1]
    TRIED["python"] += 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # elements without an answer: said once, kept
            result = getattr(smallcap, fn.name)(*args)
    except smallcap.SmallcapError as error:
        assert error.message and "\n" not in error.message
        return
    except TypeError as error:  # Python's own rule: too many arguments
        assert len(args) > len(fn.arguments) and "positional" in str(error), error
        return
    check_python_result(result)


def excel_shapes(args):
    """Some arguments as Excel ranges: a row, a column, a 1x1."""
    shaped = []
    for i, value in enumerate(args):
        shaped.append([[value]] if i % 3 == 0 else ([[value, value]] if i % 3 == 1 else value))
    return shaped


def check_cell(value) -> None:
    if isinstance(value, str):
        assert value.startswith("#") or value, value
    else:
        assert value is None or finite_value(value), value


@FUZZ
@given(call=CALLS, ranges=st.booleans())
def test_excel(call, ranges):
    fn, args = call
    TRIED["excel"] += 1
    for name in fn.excel:
        got = getattr(udfs, name)(*(excel_shapes(args) if ranges else args))
        if isinstance(got, list):
            for row in got:
                assert isinstance(row, list)
                for value in row:
                    check_cell(value)
        else:
            check_cell(got)
            if isinstance(got, str):
                assert got.startswith("#") and "\n" not in got, got


def as_text(value) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


@FUZZ
@given(call=CALLS, spelling=st.integers(min_value=0, max_value=3))
def test_cli(call, spelling):
    fn, args = call
    name = (fn.name, fn.excel[-1], fn.name.upper(), fn.excel[0].lower())[spelling]
    TRIED["cli"] += 1
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["call", "--json", name, "--", *map(as_text, args)])
    assert "Traceback" not in out.getvalue() + err.getvalue()
    if code == 0:
        body = json.loads(out.getvalue())
        assert "value" in body or "rows" in body
        assert "Infinity" not in out.getvalue() and "NaN" not in out.getvalue()
    elif out.getvalue():  # --json: the error as JSON on stdout, still exit 2
        assert code == 2 and err.getvalue() == "", (code, err.getvalue())
        assert set(json.loads(out.getvalue())) == {"error"}
    else:
        assert code == 2, (code, err.getvalue())
        assert err.getvalue().count("\n") == 1 and err.getvalue().startswith("error: ")


@FUZZ
@given(call=CALLS)
def test_http(base_url, call):
    fn, args = call
    TRIED["http"] += 1
    query = urllib.parse.urlencode([(a.name, as_text(v)) for a, v in zip(
        fn.arguments, args, strict=False)])
    url = f"{base_url}/{urllib.parse.quote(fn.excel[-1])}?{query}"
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    body = json.loads(text)  # JSON, never an HTML page (json.loads refuses NaN? no: checked)
    assert "Infinity" not in text and "NaN" not in text
    if status == 200:
        assert "value" in body or "rows" in body
    else:
        assert status in (400, 404, 422), (status, body)
        assert body["error"]["code"].startswith("#") and "\n" not in body["error"]["message"]


def test_report_how_much_was_tried():
    """Runs last in this module: says how many hostile calls the suite made."""
    print(f"hostile calls tried: {TRIED} (total {sum(TRIED.values())})")
    assert all(TRIED.values())
