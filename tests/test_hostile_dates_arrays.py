"""Hostile dates and arrays (issue 17, cases 7-10): a bare four-digit number is a year in
every adapter (Python, Excel cell, command line, HTTP), never an Excel serial; NaT inside
an array is that element's error; nanosecond datetime arrays are dates; a message about a
pair names the pair and the first day both have."""

from __future__ import annotations

import datetime as dt
import urllib.parse

import numpy as np
import pandas as pd
import pytest
from conftest import http_get

import smallcap
from smallcap import cli, params, udfs
from smallcap.errors import BadArgument, OutOfRange

pytestmark = pytest.mark.usefixtures("reference_as_default")
NOTE = "2024-07-16"


# -- case 7: a four-digit number where a date is expected is a year ------------------------------


def test_a_year_is_the_first_of_january_of_it():
    assert params.date(2000, "since") == params.date("2000-01-01", "since")
    assert params.date(2000.0, "since") == params.date(" 2000 ", "since")
    assert params.date(np.int64(1979), "since") == params.date("1979-01-01", "since")
    assert params.date(45489, "as_of") == params.date(NOTE, "as_of")  # still a serial
    assert params.date(999, "as_of") == params.date("1902-09-25", "as_of")  # still a serial


@pytest.mark.parametrize("value", [2000.5, "2000.5", 1999.25])
def test_a_four_digit_number_with_a_fraction_is_refused(value):
    with pytest.raises(BadArgument, match="neither a year"):
        params.date(value, "since")


def test_every_adapter_reads_2000_as_the_year(reference_store_path, base_url, capsys):
    as_year = smallcap.streak_count(5, 0.01, "^RUT", 2000, NOTE)
    as_day = smallcap.streak_count(5, 0.01, "^RUT", "2000-01-01", NOTE)
    as_serial = smallcap.streak_count(5, 0.01, "^RUT", "1905-06-22", NOTE)
    assert as_year == as_day != as_serial  # the probe's 5 (serial) against 4 (the year)
    assert udfs.STREAK_COUNT(5.0, 0.01, "^RUT", 2000.0, dt.datetime(2024, 7, 16)) == as_day
    assert cli.main(["--store", str(reference_store_path), "call", "streak_count", "5", "0.01",
                     "^RUT", "2000", NOTE]) == 0
    assert capsys.readouterr().out.strip() == str(as_day)
    query = urllib.parse.urlencode({"length": 5, "since": 2000, "as_of": NOTE})
    assert http_get(f"{base_url}/streak_count?{query}") == (200, {"value": as_day})


def test_every_adapter_refuses_a_year_with_a_fraction(reference_store_path, base_url, capsys):
    assert udfs.PRICE("^RUT", 2000.5).startswith("#VALUE! ")
    assert cli.main(["--store", str(reference_store_path), "call", "price", "^RUT",
                     "2000.5"]) == 2
    assert "neither a year" in capsys.readouterr().err
    status, body = http_get(f"{base_url}/price?date=2000.5")
    assert status == 400 and "neither a year" in body["error"]["message"]


# -- cases 8 and 9: NaT and nanosecond dates in arrays ------------------------------------------


def test_nat_inside_an_array_is_that_elements_error():
    days = pd.Series(pd.to_datetime([NOTE, None, "2024-07-15"]))
    with pytest.warns(UserWarning, match="1 of 3 elements have no answer"):
        got = smallcap.price("^RUT", days)
    assert got.iloc[0] == smallcap.price("^RUT", NOTE)
    [error] = got.attrs["errors"].values()  # NaN in the float64 result, its error kept
    assert np.isnan(got.iloc[1]) and isinstance(error, BadArgument)
    assert "empty date" in error.message
    assert got.iloc[2] == smallcap.price("^RUT", "2024-07-15")
    for lone in (pd.NaT, np.datetime64("NaT"), np.datetime64("NaT", "ns")):
        with pytest.raises(BadArgument):
            smallcap.price("^RUT", lone)
    with pytest.warns(UserWarning, match="no answer"):
        listed = smallcap.price("^RUT", [dt.date(2024, 7, 16), pd.NaT])
    [error] = listed.attrs["errors"].values()
    assert np.isnan(listed.iloc[1]) and isinstance(error, BadArgument)


def test_a_nanosecond_datetime_array_is_read_as_dates():
    days = pd.to_datetime([NOTE, "2024-07-15"])
    expected = [smallcap.price("^RUT", NOTE), smallcap.price("^RUT", "2024-07-15")]
    for array in (pd.Series(days), days.to_numpy(), days, np.array(days, dtype="datetime64[ns]")):
        got = smallcap.price("^RUT", array)
        assert list(got) == expected, type(array)
    one = np.array(["2024-07-01"], dtype="datetime64[ns]")  # a table's one-value argument
    table = smallcap.price_history("^RUT", one, NOTE)
    assert table.index[0] == pd.Timestamp(2024, 7, 1)  # Python's tables: a DatetimeIndex


def test_a_nanosecond_date_grid_keeps_its_shape():
    grid = np.array([[NOTE, "NaT"]], dtype="datetime64[ns]")
    with pytest.warns(UserWarning, match="no answer"):
        got = smallcap.window_return("^RUT", "1M", grid)
    assert got.iloc[0] == smallcap.window_return("^RUT", "1M", NOTE)
    [error] = got.attrs["errors"].values()
    assert np.isnan(got.iloc[1]) and isinstance(error, BadArgument)


# -- case 10: a pair's messages name the pair and its common first day ---------------------------


@pytest.mark.parametrize("call", [
    lambda: smallcap.rotation_spread("1M", "^RUT", "^TNX", "2001-01-01"),
    lambda: smallcap.rotation_ratio("1M", "^RUT", "^TNX", "2001-01-10"),
    lambda: smallcap.rotation_spread(21, "^RUT", "^TNX", "2001-01-10"),
    lambda: smallcap.rate_beta(252, "^RUT", "^TNX", "2001-06-01"),
    lambda: smallcap.forward_returns(50, 5, 0.01, "^RUT", "^TNX", None, "2000-06-01"),
])
def test_a_pair_message_names_the_pair_and_the_first_day_both_have(call):
    with pytest.raises(OutOfRange) as caught:
        call()
    message = caught.value.message
    assert "the first day ^RUT and ^TNX both have (2001-01-02)" in message
    assert "first stored date of ^RUT" not in message


def test_a_single_ticker_message_still_names_its_own_first_day():
    with pytest.raises(OutOfRange, match=r"first stored date of \^RUT \(1987-09-10\)"):
        smallcap.price("^RUT", "1980-01-01")
