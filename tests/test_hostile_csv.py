"""Hostile CSV files (issue 17, cases 1-5): every line held to the header's limits before
parsing, every stored column an answer uses (close and adjusted close) held to the
revision rules, no day after today, no ambiguous or unknown column, and summaries that
count what a --replace removed. The store is byte-identical after every refusal."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yahoo_server as server_module
from conftest import stored_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yahoo_server import YahooServer

import smallcap
from smallcap import cli
from smallcap.analytics import plausible
from smallcap.errors import CsvFormatError, ImplausibleData, ImplausibleRow
from smallcap.sources import csv_shape
from smallcap.sources.refresh import refresh
from smallcap.store import Store

yahoo_server = server_module.yahoo_server  # fixtures: the module's server, reset per test
yahoo = server_module.yahoo


def files(path: Path) -> dict[str, bytes]:
    """The store and its side files, byte for byte."""
    return {p.name: p.read_bytes() for p in path.parent.glob(path.name + "*")}


@pytest.fixture()
def spy(tmp_path: Path, shared_data: Path) -> Store:
    """A store holding SPY from the reference file, closed so its bytes are settled."""
    store = Store(tmp_path / "spy.sqlite")
    smallcap.load_csv("SPY", shared_data / "SPY.csv", store=store)
    store.close()
    return store


def refused(store: Store, path: Path, kind: type[Exception], match: str, **options) -> str:
    """Load ``path`` as SPY, expect ``kind`` matching ``match`` in one line, and the store
    byte-identical afterwards; the message."""
    before = files(store.path)
    with pytest.raises(kind, match=match) as caught:
        smallcap.load_csv("SPY", path, store=store, **options)
    store.close()
    assert "\n" not in caught.value.message
    assert files(store.path) == before
    return caught.value.message


# -- case 1: every line held to the limits, failing fast ----------------------------------------


@pytest.mark.parametrize("extra", [30_000, 1_000_000])
def test_a_data_row_with_thousands_of_fields_is_refused_before_parsing(spy, tmp_path, extra):
    wide = tmp_path / "wide.csv"
    wide.write_text("Date,Close\n2024-07-16,1" + ",1" * extra + "\n")
    refused(spy, wide, CsvFormatError, rf"wide.csv, line 2: has more than "
            rf"{csv_shape.MAX_COLUMNS} fields")


def test_the_first_line_over_a_limit_is_named(spy, tmp_path):
    long = tmp_path / "long.csv"
    rows = [f"2024-01-{d:02},{100 + d}" for d in range(2, 10)]
    rows[5] = "2024-01-07,1" + "0" * csv_shape.MAX_FIELD_BYTES  # line 7: one field too long
    rows[6] = "2024-01-08" + ",1" * csv_shape.MAX_COLUMNS  # line 8: too many fields
    long.write_text("Date,Close\n" + "\n".join(rows) + "\n")
    refused(spy, long, CsvFormatError,
            rf"long.csv, line 7: has a field of more than {csv_shape.MAX_FIELD_BYTES} bytes")


def test_more_rows_than_the_limit_are_refused(spy, tmp_path):
    many = tmp_path / "many.csv"
    many.write_text("Date,Close\n" + "2024-01-02,1\n" * (csv_shape.MAX_ROWS + 1))
    refused(spy, many, CsvFormatError, rf"line {csv_shape.MAX_ROWS + 2}: is past the limit of "
            f"{csv_shape.MAX_ROWS:,} data rows")


def test_load_dir_refuses_a_wide_file_and_loads_the_others(tmp_path, capsys):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "IWM.csv").write_text("Date,Close\n2024-01-02,50\n2024-01-03,51\n")
    (folder / "SPY.csv").write_text("Date,Close\n2024-01-02,400" + ",1" * 1_000_000 + "\n")
    code = cli.main(["--store", str(tmp_path / "s.sqlite"), "load-dir", str(folder)])
    out, err = capsys.readouterr()
    assert code == 1 and out.startswith("IWM: 2 rows added")
    assert f"refused SPY.csv: line 2: has more than {csv_shape.MAX_COLUMNS} fields" in err
    assert {r[0] for r in stored_rows(tmp_path / "s.sqlite")} == {"IWM"}


# -- case 2: adjusted closes held to the revision rules -----------------------------------------


def with_adjusted(shared_data: Path, tmp_path: Path, change) -> Path:
    """SPY.csv with an Adj Close column (= Close), then ``change(frame)`` applied to it."""
    frame = pd.read_csv(shared_data / "SPY.csv")[["Date", "Close"]]
    frame["Adj Close"] = frame["Close"]
    change(frame)
    path = tmp_path / "SPY_adjusted.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("factor", [0.001, 10.0, 1e9])
def test_a_reload_that_rescales_recent_adjusted_closes_is_refused(spy, shared_data, tmp_path,
                                                                  factor):
    def last_three(frame: pd.DataFrame) -> None:
        frame.loc[frame.index[-3:], "Adj Close"] *= factor

    path = with_adjusted(shared_data, tmp_path, last_three)
    message = refused(spy, path, ImplausibleData, r"^SPY")
    if factor < 1e9:  # (1e9 times a price is no price at all: refused as a value)
        assert "3 stored adjusted close(s) by more than 20%, first 2026-02-19" in message


def test_a_dividend_rebasing_older_adjusted_closes_is_accepted_and_counted(spy, shared_data,
                                                                           tmp_path):
    def dividend(frame: pd.DataFrame) -> None:  # every day before the last three, x 0.99
        frame.loc[frame.index[:-3], "Adj Close"] *= 0.99

    path = with_adjusted(shared_data, tmp_path, dividend)
    result = smallcap.load_csv("SPY", path, store=spy)
    assert (result.added, len(result.revised), result.removed) == (0, 0, 0)
    assert result.readjusted == len(spy.frame("SPY")) - 3
    assert result.touched == (dt.date(1993, 1, 29), dt.date(2026, 2, 18))


def test_an_adjusted_rescale_that_is_not_a_rebasing_is_refused(spy, shared_data, tmp_path):
    def middle(frame: pd.DataFrame) -> None:  # one factor, but not from the first day on
        frame.loc[frame.index[100:200], "Adj Close"] *= 0.99

    path = with_adjusted(shared_data, tmp_path, middle)
    refused(spy, path, ImplausibleData, r"SPY: would revise 100 stored adjusted close\(s\) "
            r"by more than 0.1% \(at most 5 may be\), first 1993-06-23")


def test_a_refresh_holds_the_adjusted_closes_to_the_same_rule(yahoo: YahooServer,
                                                              tmp_path: Path):
    store = Store(tmp_path / "s.sqlite")
    yahoo.adj_factor["IWM"] = 0.98
    yahoo.cutoff["IWM"] = np.datetime64("2026-01-30")
    assert refresh(["IWM"], store=store).ok
    yahoo.cutoff.clear()
    before = stored_rows(store.path)
    for day in ("2026-01-28", "2026-01-29", "2026-01-30"):  # stored days the refresh re-reads
        yahoo.adj_revisions[("IWM", day)] = 0.001
    [result] = refresh(["IWM"], store=store).results
    assert not result.ok and result.kind == "implausible"
    assert result.message.startswith("would move 3 stored adjusted close(s) by more than 20%, "
                                      "first 2026-01-28: ")
    assert stored_rows(store.path) == before  # (the failure itself is in the refresh log)


# -- case 3: ambiguous and unknown columns --------------------------------------------------------


@pytest.mark.parametrize(("header", "expected"), [
    ("Date,Close,CLOSE", r"columns 2 \('Close'\) and 3 \('CLOSE'\) both mean Close"),
    ("Date,Close, close ", r"columns 2 \('Close'\) and 3 \('close '\) both mean Close"),
    ("Date,Close,Adj Close,adj_close", r"columns 3 .* and 4 .* both mean Adj Close"),
    ("Date,DATE,Close", r"columns 1 \('Date'\) and 2 \('DATE'\) both mean Date"),
    ("Date,Close,Price", r"column 3 \('Price'\) is not a column smallcap knows"),
    ("Date,Close,", r"column 3 has no name"),
])
def test_a_header_that_does_not_say_one_meaning_per_column_is_refused(spy, tmp_path, header,
                                                                      expected):
    path = tmp_path / "cols.csv"
    fields = header.count(",") + 1
    path.write_text(f"{header}\n2024-07-16" + ",1" * (fields - 1) + "\n")
    refused(spy, path, CsvFormatError, rf"cols.csv, line 1: {expected}")


def test_yahoo_web_table_footnote_marks_are_read():
    data = b"Date,Close*,Adj Close**\n2024-07-16,10,9\n"
    assert csv_shape.header_columns(data, "x.csv") == ["date", "close", "adj close"]


# -- case 4: no day after today -----------------------------------------------------------------


def test_a_close_dated_in_the_future_is_refused(spy, tmp_path):
    path = tmp_path / "future.csv"
    path.write_text("Date,Close\n2026-02-24,690\n2042-07-16,700\n")
    refused(spy, path, ImplausibleRow, r"future.csv, line 3: '2042-07-16' is after today")


def test_tomorrow_is_refused_from_any_source(tmp_path):
    today = plausible.last_day()
    with pytest.raises(ImplausibleData, match=f"dated after today \\({today}\\)"):
        Store(tmp_path / "s.sqlite").write("SPY", pd.DataFrame({
            "date": [today, today + dt.timedelta(days=2)], "close": [1.0, 2.0]}), "t")
    assert not (tmp_path / "s.sqlite").exists() or not stored_rows(tmp_path / "s.sqlite")


def test_the_last_day_is_today_in_the_zone_furthest_ahead():
    late = dt.datetime(2024, 7, 16, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert plausible.last_day(late) >= dt.date(2024, 7, 17)  # already the 17th in UTC
    assert plausible.last_day(dt.datetime(2024, 7, 16, 12)) == dt.date(2024, 7, 16)


# -- case 5: --replace counts what it removed ----------------------------------------------------


def test_replace_counts_added_revised_and_removed_with_the_days_touched(spy, shared_data,
                                                                        tmp_path, capsys):
    last100 = tmp_path / "last100.csv"
    pd.read_csv(shared_data / "SPY.csv").tail(100).to_csv(last100, index=False)
    stored = len(spy.frame("SPY"))
    code = cli.main(["--store", str(spy.path), "load-csv", "SPY", str(last100), "--replace"])
    out = capsys.readouterr().out
    assert code == 0
    assert out == (f"SPY: 0 rows added, 0 revised, {stored - 100} removed; rows changed "
                   "1993-01-29 to 2025-09-29; file covers 2025-09-30 to 2026-02-23\n")
    log = spy.refresh_log()
    assert log["message"].iloc[0] == f"removed {stored - 100} stored row(s), 1993-01-29 to " \
        "2025-09-29"
    again = smallcap.load_csv("SPY", shared_data / "SPY.csv", store=spy)
    assert (again.added, again.removed, again.touched) == (
        stored - 100, 0, (dt.date(1993, 1, 29), dt.date(2025, 9, 29)))
    same = smallcap.load_csv("SPY", shared_data / "SPY.csv", store=spy)
    assert (same.added, len(same.revised), same.removed, same.touched) == (0, 0, 0, None)


def naive_violations(data: bytes) -> list[tuple[int, str]]:
    """Every line over a limit and why, one line at a time (the slow, obvious way)."""
    found = []
    lines = data.split(b"\n")
    for number, text in enumerate(lines, start=1):
        if any(len(field) > csv_shape.MAX_FIELD_BYTES for field in re.split(rb"[,\r]", text)):
            found.append((number, f"has a field of more than {csv_shape.MAX_FIELD_BYTES} bytes"))
        if text.count(b",") >= csv_shape.MAX_COLUMNS:
            found.append((number, f"has more than {csv_shape.MAX_COLUMNS} fields"))
    if len(lines) - (lines[-1] == b"") > csv_shape.MAX_ROWS + 1:
        found.append((csv_shape.MAX_ROWS + 2,
                      f"is past the limit of {csv_shape.MAX_ROWS:,} data rows"))
    return sorted(found)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=60).map(lambda b: bytes(b"a,\r\n"[x % 4] for x in b)),
       st.integers(min_value=1, max_value=9))
def test_the_chunked_scan_finds_what_a_line_by_line_reading_finds(data, chunk):
    limits = {"CHUNK": chunk, "MAX_COLUMNS": 3, "MAX_FIELD_BYTES": 4, "MAX_ROWS": 5}
    saved = {name: getattr(csv_shape, name) for name in limits}
    try:
        for name, value in limits.items():
            setattr(csv_shape, name, value)
        found, expected = csv_shape.first_violation(data), naive_violations(data)
        if not expected:
            assert found is None
        else:  # the first line over a limit, for one of the limits it breaks
            assert found is not None and found[0] == expected[0][0] and found in expected
    finally:
        for name, value in saved.items():
            setattr(csv_shape, name, value)


def test_a_close_only_file_over_adjusted_closes_says_why_it_is_refused(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    days = [f"2024-01-{d:02}" for d in range(2, 13)]
    store.write("SPY", pd.DataFrame({"date": days, "close": [100.0 + d for d in range(11)],
                                     "adj_close": [90.0 + d for d in range(11)]}), "t")
    store.close()
    close_only = tmp_path / "SPY.csv"
    close_only.write_text("Date,Close\n" + "".join(f"{d},{100.0 + i}\n"
                                                     for i, d in enumerate(days)))
    message = refused(store, close_only, ImplausibleData, "stored adjusted close")
    assert message.endswith("SPY.csv has no Adj Close column, so its Close is taken as the "
                            "adjusted close")
