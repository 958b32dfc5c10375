"""Regressions from a hostile-input probe of the whole product: each case once failed
(overwrote a file, stored an absurd close, hung, answered with a traceback or a
multi-line error) and must now give one typed line and change nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import smallcap
from smallcap import cli, settings, udfs

pytestmark = pytest.mark.usefixtures("reference_as_default")


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str) -> None:
    assert code == 2 and err.count("\n") == 1 and err.startswith("error: "), (code, err)
    assert "Traceback" not in err


@pytest.mark.parametrize("name", ["victim.xlsx", "victim.txt"])
def test_workbook_build_never_overwrites_a_file_that_is_not_a_workbook(
        tmp_path, capsys, name, reference_store_path):
    victim = tmp_path / name
    victim.write_text("root:x:0:0:root:/root:/bin/bash\n")
    before = victim.read_bytes()
    code, _, err = run(["--store", str(reference_store_path), "workbook", "build",
                        str(victim)], capsys)
    one_line_error(code, err)
    assert victim.read_bytes() == before


def rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT * FROM prices ORDER BY ticker, date").fetchall()


@pytest.mark.parametrize("close", ["1e308", "1e-300", "0", "-5"])
def test_an_absurd_close_is_refused_and_changes_nothing(tmp_path, capsys, close):
    store = tmp_path / "s.sqlite"
    good = tmp_path / "good.csv"
    good.write_text("Date,Close\n2024-01-02,100\n2024-01-03,101\n")
    assert run(["--store", str(store), "load-csv", "ABC", str(good)], capsys)[0] == 0
    before = rows(store)
    bad = tmp_path / "bad.csv"
    bad.write_text(f"Date,Close\n2024-01-04,{close}\n")
    for extra in ([], ["--replace"]):
        code, _, err = run(["--store", str(store), "load-csv", "ABC", str(bad), *extra], capsys)
        one_line_error(code, err)
        assert rows(store) == before


@pytest.mark.parametrize("name,value", [
    ("SMALLCAP_YAHOO_RETRIES", "1e20"),
    ("SMALLCAP_YAHOO_BACKOFF", "5e9"),
    ("SMALLCAP_YAHOO_BACKOFF_MAX", "1e308"),
    ("SMALLCAP_YAHOO_TIMEOUT", "1e308"),
    ("SMALLCAP_YAHOO_URL", "http://[::1"),
    ("SMALLCAP_YAHOO_URL", "http://127.0.0.1:99999"),
    ("SMALLCAP_TICKERS", ",,,"),
])
def test_a_setting_that_could_hang_or_crash_a_refresh_is_refused(
        tmp_path, capsys, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    code, out, err = run(["--store", str(tmp_path / "s.sqlite"), "refresh", "-q"], capsys)
    one_line_error(code, err)
    assert name in err and not (tmp_path / "s.sqlite").exists()


def test_a_store_under_an_unknown_home_is_one_line(capsys, monkeypatch):
    one_line_error(*run(["--store", "~no_such_user_here/x.sqlite", "status"], capsys)[::2])
    settings._expanded.cache_clear()
    with pytest.raises(smallcap.BadArgument, match="SMALLCAP_STORE"):
        settings._expanded("~no_such_user_here/x.sqlite")


@pytest.mark.parametrize("argv", [["serve", "--timeout", "1e308"], ["serve", "--host", ""]])
def test_serve_refuses_what_it_cannot_honour(capsys, argv):
    one_line_error(*run(argv, capsys)[::2])


def test_a_csv_with_thousands_of_columns_is_refused_before_parsing(tmp_path, capsys):
    wide = tmp_path / "wide.csv"
    wide.write_text("Date,Close" + ",x" * 20000 + "\n2024-01-02,1" + ",1" * 20000 + "\n")
    code, _, err = run(["--store", str(tmp_path / "s.sqlite"), "load-csv", "ABC", str(wide)],
                       capsys)
    one_line_error(code, err)
    assert "line 1: has more than 64 fields" in err


@pytest.mark.parametrize("day", [np.datetime64("20000-01-01"), np.datetime64("-5000-01-01")])
def test_numpy_dates_out_of_range_are_typed_errors(day):
    with pytest.raises(smallcap.BadArgument, match="not a date from year 1 to 9999"):
        smallcap.price("^RUT", day)
    assert udfs.PRICE("^RUT", day).startswith("#VALUE! date: ")


def test_errors_are_one_bounded_line_whatever_the_input():
    cell = udfs.RUT_STREAK(pd.Series(["^RUT", "IWM"]))
    assert cell.startswith("#VALUE! threshold") and "\n" not in cell
    with pytest.raises(smallcap.BadArgument) as caught:
        smallcap.streak_count(-(10**308))
    assert len(caught.value.message) <= smallcap.SmallcapError.MAX_MESSAGE


def test_ragged_and_three_dimensional_ranges_are_one_error():
    assert udfs.PRICE([["^RUT", "IWM"], ["SPY"]]) == (
        "#VALUE! ticker: rows of the range have different lengths")
    assert udfs.PRICE([[["^RUT"]]]).startswith("#VALUE! ticker: expected a range of rows")
    with pytest.raises(smallcap.BadArgument, match="different lengths"):
        smallcap.price([["^RUT", "IWM"], ["SPY"]])
