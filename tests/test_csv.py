"""CSV source: Yahoo-style files, validation messages that name the line."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from conftest import stored_rows as prices

from smallcap import api
from smallcap.errors import CsvFormatError, ImplausibleData, InputTooLarge, NotARegularFile
from smallcap.sources.csv import read_price_csv

POSIX = pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(),
                           reason="FIFOs and /dev/zero are POSIX")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prices.csv"
    path.write_text(text)
    return path


def test_yahoo_export_with_adj_close(tmp_path: Path) -> None:
    path = write(tmp_path, "Date,Open,High,Low,Close,Adj Close,Volume\n"
                 "2024-01-02,1,1,1,10.0,9.5,100\n2024-01-03,1,1,1,11.0,10.45,100\n")
    rows = read_price_csv(path).rows
    assert rows["close"].tolist() == [10.0, 11.0]
    assert rows["adj_close"].tolist() == [9.5, 10.45]


def test_date_and_close_only_with_offsets(tmp_path: Path) -> None:
    path = write(tmp_path, "date,close\n2024-01-02 00:00:00-05:00,10\n2024-01-03,11\n")
    parsed = read_price_csv(path)
    assert [str(d)[:10] for d in parsed.rows["date"]] == ["2024-01-02", "2024-01-03"]
    assert parsed.rows["adj_close"].tolist() == [10.0, 11.0]


@pytest.mark.parametrize("text,match", [
    ("Date,Close\n2024-01-02,10\n2024-13-03,11\n", r"line 3: '2024-13-03' is not a date"),
    ("Date,Close\n2024-01-02,10\n2024-01-03,abc\n", r"line 3: Close 'abc'"),
    ("Date,Close\n2024-01-02,10\n2024-01-02,11\n", r"line 3: 2024-01-02 appears more than once"),
    ("Date,Open\n2024-01-02,10\n", r"line 1: no 'Close' column"),
    ("Date,Close\n", r"no data rows"),
    ("", r"empty"),
    ("Date,Open,High,Low,Close\n2024-01-02,1,1,1,\n", r"line 2: the Close is missing"),
    ("Date,Close,Adj Close\n2024-01-02,10,-1\n", r"line 2: Adj Close '-1'"),
])
def test_bad_files_name_the_line(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(CsvFormatError, match=match):
        read_price_csv(write(tmp_path, text))


def test_null_rows_are_skipped_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "Date,Open,High,Low,Close,Adj Close,Volume\n"
                 "2024-01-02,1,1,1,10,10,1\n2024-01-03,null,null,null,null,null,null\n"
                 "2024-01-04,1,1,1,11,11,1\n")
    parsed = read_price_csv(path)
    assert len(parsed.rows) == 2
    assert "skipped 1 row" in parsed.warnings[0] and "line 3" in parsed.warnings[0]


def test_gaps_and_disorder_are_warned(tmp_path: Path) -> None:
    path = write(tmp_path, "Date,Close\n2024-03-01,12\n2024-01-02,10\n2024-01-03,11\n")
    warnings = read_price_csv(path).warnings
    assert any("sorted" in w for w in warnings)
    assert any("gap" in w and "2024-01-03 to 2024-03-01" in w for w in warnings)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CsvFormatError, match="no such file"):
        read_price_csv(tmp_path / "nope.csv")


def test_reference_files_load_with_the_row_counts_of_the_readme(shared_data: Path,
                                                                 empty_store) -> None:
    result = api.load_csv("^rut ", shared_data / "RUT.csv", store=empty_store)
    assert result.ticker == "^RUT" and result.added == 9686
    assert str(result.first_date) == "1987-09-10" and str(result.last_date) == "2026-02-23"
    again = api.load_csv("^RUT", shared_data / "RUT.csv", store=empty_store)
    assert again.added == 0 and again.revised == []


def test_bad_file_leaves_store_untouched(tmp_path: Path, empty_store) -> None:
    good = write(tmp_path, "Date,Close\n2024-01-02,10\n")
    api.load_csv("^RUT", good, store=empty_store)
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Close\n2024-01-03,10\n2024-01-04,x\n")
    with pytest.raises(CsvFormatError, match="bad.csv, line 3"):
        api.load_csv("^RUT", bad, store=empty_store, replace=True)
    assert empty_store.history("^RUT").close.tolist() == [10.0]


# -- hostile files: refused before reading, the store's rows byte-identical ------------------------



@pytest.fixture
def loaded(tmp_path: Path, empty_store):
    api.load_csv("^RUT", write(tmp_path, "Date,Close\n2024-01-02,10\n2024-01-03,11\n"),
                 store=empty_store)
    return empty_store


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo.csv"
    os.mkfifo(path)  # nobody writes: opening it to read would wait forever
    return path


def _dev_zero(tmp_path: Path) -> Path:
    path = tmp_path / "zero.csv"
    path.symlink_to("/dev/zero")  # reading it never ends
    return path


@pytest.mark.parametrize("make,match", [
    (lambda tmp: tmp, r"is a folder, not a file; give a CSV file"),
    (lambda tmp: "", r"no file given \(an empty path\)"),
    pytest.param(_fifo, r"fifo.csv: is a FIFO \(named pipe\), not a file", marks=POSIX),
    pytest.param(_dev_zero, r"zero.csv: is a device, not a file", marks=POSIX),
], ids=["folder", "empty path", "FIFO", "symlink to /dev/zero"])
def test_a_path_that_is_not_a_regular_file_is_refused_before_reading(
        tmp_path: Path, loaded, make, match: str) -> None:
    before = prices(loaded.path)
    began = time.perf_counter()
    with pytest.raises(CsvFormatError, match=match) as caught:
        api.load_csv("^RUT", make(tmp_path), store=loaded)
    assert time.perf_counter() - began < 5
    assert isinstance(caught.value, NotARegularFile) or "empty path" in caught.value.message
    assert prices(loaded.path) == before


def test_a_symlink_to_a_regular_file_is_read(tmp_path: Path) -> None:
    target = write(tmp_path, "Date,Close\n2024-01-02,10\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert read_price_csv(link).rows["close"].tolist() == [10.0]


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path: Path, loaded,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    before = prices(loaded.path)
    path = write(tmp_path, "Date,Close\n" + "".join(f"2023-01-{d:02},10\n" for d in range(1, 29)))
    size = path.stat().st_size
    monkeypatch.setenv("SMALLCAP_MAX_CSV_BYTES", str(size - 1))
    with pytest.raises(InputTooLarge, match=rf"prices.csv: {size:,} bytes is larger than "
                       rf"SMALLCAP_MAX_CSV_BYTES \({size - 1:,} bytes\)"):
        api.load_csv("^RUT", path, store=loaded)
    assert prices(loaded.path) == before
    monkeypatch.setenv("SMALLCAP_MAX_CSV_BYTES", str(size))
    assert len(read_price_csv(path).rows) == 28


@pytest.mark.parametrize("value", ["0", "-5", "64MB", "inf", "1e30"])
def test_a_malformed_size_cap_names_the_variable(tmp_path: Path, value: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from smallcap.errors import BadArgument

    monkeypatch.setenv("SMALLCAP_MAX_CSV_BYTES", value)
    with pytest.raises(BadArgument, match=rf"^SMALLCAP_MAX_CSV_BYTES: '{value}' is not a whole"):
        read_price_csv(write(tmp_path, "Date,Close\n2024-01-02,10\n"))


@pytest.mark.parametrize("date,match", [
    ("0001-01-01", r"line 3: '0001-01-01' is outside years 1900 to 2100"),
    ("9999-12-31", r"line 3: '9999-12-31' is outside years 1900 to 2100"),
    ("1899-12-29", r"outside years 1900 to 2100"),
    ("2101-01-03", r"outside years 1900 to 2100"),
])
def test_years_outside_1900_to_2100_are_refused(tmp_path: Path, loaded, date: str,
                                                match: str) -> None:
    before = prices(loaded.path)
    with pytest.raises(ImplausibleData, match=match):
        api.load_csv("^RUT", write(tmp_path, f"Date,Close\n2024-01-04,12\n{date},10\n"),
                     store=loaded)
    assert prices(loaded.path) == before


@pytest.mark.parametrize("date", ["2024-07-16junk", "2024-07-161", "2024-07-16 junk",
                                  "2024-07-16T25", "2024-07-16 00:00:00-04:00 x", "20240716"])
def test_a_date_with_trailing_junk_is_refused(tmp_path: Path, loaded, date: str) -> None:
    before = prices(loaded.path)
    with pytest.raises(CsvFormatError, match=rf"line 2: '{date}' is not a date"):
        api.load_csv("^RUT", write(tmp_path, f"Date,Close\n{date},10\n"), store=loaded)
    assert prices(loaded.path) == before


@pytest.mark.parametrize("date", ["2024-07-16", " 2024-07-16 ", "2024-07-16 00:00:00-04:00",
                                  "2024-07-16T00:00:00Z", "2024-07-16 09:30",
                                  "2024-07-16 00:00:00.000+0000"])
def test_a_date_with_a_time_and_offset_is_its_day(tmp_path: Path, date: str) -> None:
    rows = read_price_csv(write(tmp_path, f"Date,Close\n{date},10\n")).rows
    assert str(rows["date"].iloc[0])[:10] == "2024-07-16"


@pytest.mark.parametrize("close,match", [("0", r"Close '0' is not a number > 0"),
                                         ("0.0", r"Close '0.0'"), ("-1", r"Close '-1'")])
def test_a_close_of_zero_or_less_is_refused(tmp_path: Path, loaded, close: str,
                                            match: str) -> None:
    before = prices(loaded.path)
    with pytest.raises(ImplausibleData, match=rf"prices.csv, line 3: {match}"):
        api.load_csv("^RUT", write(tmp_path, f"Date,Close\n2024-01-04,12\n2024-01-05,{close}\n"),
                     store=loaded)
    assert prices(loaded.path) == before
