"""CSV source: Yahoo-style files, validation messages that name the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from smallcap import api
from smallcap.errors import CsvFormatError
from smallcap.sources.csv import read_price_csv


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
