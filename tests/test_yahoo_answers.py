"""Yahoo's answers are checked before they are used (issue 21, item 3), through the local
Yahoo server (tests/yahoo_server.py) and the real yfinance code:

- an answer whose ``meta.symbol`` names another ticker is refused in one line;
- bars without a close (null) or with a close of 0, which yfinance drops without a word,
  are counted and dated in the refresh summary and the refresh log;
- ``DATA_STATUS`` and ``smallcap status`` say when a history came from a CSV file (its
  splits not checked against Yahoo) until a whole history from Yahoo replaces it.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yahoo_server as server_module
from yahoo_server import YahooServer, csv_path

import smallcap
from smallcap.sources.refresh import refresh
from smallcap.store import Store

yahoo_server = server_module.yahoo_server  # fixtures: the module's server, reset per test
yahoo = server_module.yahoo

CUT = "2026-01-30"  # what the store holds before a refresh; the server has up to 2026-02-23


def csv_rows(symbol: str, until: str) -> pd.DataFrame:
    frame = pd.read_csv(csv_path(symbol))
    days = pd.to_datetime(frame["Date"]).to_numpy().astype("datetime64[D]")
    rows = pd.DataFrame({"date": days, "close": frame["Close"].to_numpy(dtype="float64"),
                         "adj_close": frame["Close"].to_numpy(dtype="float64")})
    return rows.loc[rows["date"] <= np.datetime64(until)].reset_index(drop=True)


def stored(store: Store, ticker: str) -> list[tuple]:
    frame = store.frame(ticker)
    return list(zip(frame.index.astype(str), frame["close"], frame["adj_close"], strict=True))


@pytest.fixture
def filled(tmp_path: Path) -> Store:
    """A store holding ^RUT and IWM up to CUT, loaded as CSV files are."""
    store = Store(tmp_path / "store.sqlite")
    for symbol in ("^RUT", "IWM"):
        store.write(symbol, csv_rows(symbol, CUT), f"csv:{symbol.lstrip('^')}.csv")
    yield store
    store.close()


def test_an_answer_for_another_symbol_is_refused_in_one_line(yahoo: YahooServer,
                                                             filled: Store) -> None:
    before = stored(filled, "^RUT")
    yahoo.meta_symbol["^RUT"] = "^GSPC"
    report = refresh(["^RUT", "IWM"], store=filled)
    rut, iwm = report.results
    assert not rut.ok and rut.kind == "payload"
    assert rut.message == ("Yahoo answered with the history of '^GSPC' when asked for ^RUT; "
                           "nothing stored")
    assert stored(filled, "^RUT") == before
    assert iwm.ok and iwm.added > 0  # the other ticker goes on
    assert "failed: ^RUT" in report.summary()
    logged = filled.refresh_log(ticker="^RUT")
    assert logged["ok"].iloc[0] == 0 and "'^GSPC'" in logged["message"].iloc[0]


def test_the_same_symbol_in_another_case_is_the_same_ticker(yahoo: YahooServer,
                                                            filled: Store) -> None:
    yahoo.meta_symbol["IWM"] = "iwm"
    assert refresh(["IWM"], store=filled).ok


def test_bars_without_a_close_are_counted_and_dated_not_dropped_silently(
        yahoo: YahooServer, filled: Store) -> None:
    """Yahoo sends a bar with every field null, and one with every field 0: yfinance drops
    both (its ``keepna=False`` cleanup); the refresh says so, with their days."""
    yahoo.blank_bars[("^RUT", "2026-02-18")] = math.nan
    yahoo.blank_bars[("^RUT", "2026-02-19")] = 0.0
    report = refresh(["^RUT", "IWM"], store=filled)
    rut, iwm = report.results
    assert rut.ok and iwm.ok, report.summary()
    days = {row[0] for row in stored(filled, "^RUT")}
    assert "2026-02-17" in days and "2026-02-20" in days  # the others are stored
    assert not {"2026-02-18", "2026-02-19"} & days  # no close, so no row
    said = "2 day(s) without a close skipped: 2026-02-18 (no close), 2026-02-19 (close 0)"
    assert rut.skipped == [(dt.date(2026, 2, 18), "no close"), (dt.date(2026, 2, 19), "close 0")]
    assert f"^RUT: {said}" in report.summary() and "\n" not in report.summary()
    assert not iwm.skipped and "IWM:" not in report.summary()
    assert rut.message.endswith(said)
    assert said in filled.refresh_log(ticker="^RUT")["message"].iloc[0]
    # the next refresh reads those days again (its overlap) and says so again
    assert refresh(["^RUT"], store=filled).results[0].skipped == rut.skipped


def test_no_closeless_bar_no_word(yahoo: YahooServer, filled: Store) -> None:
    report = refresh(["^RUT"], store=filled)
    assert report.ok and not report.results[0].skipped
    assert "without a close" not in report.summary()


def test_status_says_a_history_came_from_a_csv(yahoo: YahooServer, filled: Store,
                                              tmp_path: Path) -> None:
    def source(ticker: str) -> str:
        return smallcap.data_status(ticker, store=filled)["source"].iloc[0]

    assert source("^RUT") == "csv: splits not checked"
    assert refresh(["^RUT"], store=filled).ok  # an incremental refresh checks its window
    window = filled.refresh_log(ticker="^RUT")["first_date"].iloc[0]
    assert source("^RUT") == f"csv: splits before {window} not checked"
    assert window < "2026-01-30"  # the overlap the refresh read again
    assert refresh(["^RUT"], store=filled, full=True).ok  # the whole history, from Yahoo
    assert source("^RUT") == "yahoo"
    assert source("IWM") == "csv: splits not checked"
    # the command line's status shows the same words
    done = subprocess.run([sys.executable, "-m", "smallcap.cli", "--store", str(filled.path),
                           "status"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    lines = {line.split()[1]: line for line in done.stdout.splitlines()
             if line.startswith("│ ")}
    assert "csv: splits not checked" in lines["IWM"] and "yahoo" in lines["^RUT"]
    assert "csv" not in lines["^RUT"]


def test_a_first_refresh_is_yahoo(yahoo: YahooServer, tmp_path: Path) -> None:
    store = Store(tmp_path / "fresh.sqlite")
    assert refresh(["IWM"], store=store).ok
    assert smallcap.data_status("IWM", store=store)["source"].iloc[0] == "yahoo"
