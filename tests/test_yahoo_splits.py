"""A refresh across a stock split keeps one consistent history: the split Yahoo reports (in
the incremental window, or older than it but newer than the last check), a reverse split,
a uniform revision nothing explains (refused, rows byte-identical), ``refresh --full``, and
a refresh killed during the full re-fetch. Against the local Yahoo server
(tests/yahoo_server.py), which serves a split as Yahoo does: the event, and every close
before it divided by its ratio."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yahoo_server as server_module
from conftest import stored_rows as prices
from yahoo_server import SplitEvent, YahooServer, csv_path

import smallcap
from smallcap.analytics.revisions import Split
from smallcap.cli import main
from smallcap.sources.refresh import CHECKED, refresh
from smallcap.store import Store

yahoo_server = server_module.yahoo_server  # fixtures: the module's server, reset per test
yahoo = server_module.yahoo

CUT = "2026-01-30"  # the store's last day before a refresh; the server has up to 2026-02-23
SPLIT = "2026-02-09"  # a day after CUT, older than the server's last day
REPO = Path(__file__).resolve().parents[1]


def csv_rows(symbol: str, until: str | None = None, since: str | None = None,
             scale: float = 1.0) -> pd.DataFrame:
    """The reference file's closes (as close and adjusted close), divided by ``scale``."""
    frame = pd.read_csv(csv_path(symbol))
    rows = pd.DataFrame({"date": pd.to_datetime(frame["Date"]).to_numpy().astype("datetime64[D]"),
                         "close": frame["Close"].to_numpy(dtype="float64") / scale})
    rows["adj_close"] = rows["close"]
    if until is not None:
        rows = rows.loc[rows["date"] <= np.datetime64(until)]
    if since is not None:
        rows = rows.loc[rows["date"] >= np.datetime64(since)]
    return rows.reset_index(drop=True)



def assert_consistent(store: Store, ticker: str, ratio: float, until: str) -> None:
    """Every stored close and adjusted close is the reference close divided by ``ratio``,
    on every reference day up to ``until``: one history at the new scale, no step."""
    expected = csv_rows(ticker, until, scale=ratio)
    got = store.frame(ticker)
    assert (got.index.values.astype("datetime64[D]") == expected["date"].to_numpy()).all()
    np.testing.assert_allclose(got["close"].to_numpy(), expected["close"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(got["adj_close"].to_numpy(), expected["close"].to_numpy(),
                               rtol=1e-12)


def history_requests(server: YahooServer, symbol: str) -> list[server_module.Logged]:
    """The history requests for ``symbol`` (not yfinance's time-zone probe, ``range=1d``)."""
    return [r for r in server.chart_requests(symbol) if "period1" in r.query]


def asked_from(request: server_module.Logged) -> dt.date:
    stamp = pd.Timestamp(int(request.query["period1"]), unit="s", tz="UTC")
    return stamp.tz_convert("America/New_York").date()


@pytest.fixture
def fetched(yahoo: YahooServer, tmp_path: Path) -> Store:
    """A store holding IWM up to CUT, fetched whole from the server (so its splits are
    checked through CUT)."""
    store = Store(tmp_path / "store.sqlite")
    yahoo.cutoff["IWM"] = np.datetime64(CUT)
    assert refresh(["IWM"], store=store).ok
    del yahoo.cutoff["IWM"]
    yahoo.log.clear()
    yield store
    store.close()


@pytest.fixture
def loaded(tmp_path: Path) -> Store:
    """A store holding IWM up to CUT from the reference file (no record of a Yahoo fetch)."""
    store = Store(tmp_path / "store.sqlite")
    store.write("IWM", csv_rows("IWM", CUT), "csv")
    yield store
    store.close()


# -- a split Yahoo reports ----------------------------------------------------------------------


def test_a_split_inside_the_incremental_window_replaces_the_whole_history(
    yahoo: YahooServer, fetched: Store
) -> None:
    stored = len(fetched.frame("IWM"))
    yahoo.cutoff["IWM"] = np.datetime64("2026-02-13")  # the split happened 4 days ago
    yahoo.splits["IWM"] = [SplitEvent(SPLIT, 2, 1)]
    report = refresh(["IWM"], store=fetched)
    [iwm] = report.results
    assert iwm.ok, iwm.message
    line = (f"split on {SPLIT} (2:1): whole history re-fetched, {stored} row(s) replaced, "
            "10 added")
    assert iwm.message == iwm.note == line
    assert iwm.splits == [Split(dt.date(2026, 2, 9), 2.0, 1.0)]
    assert (iwm.added, iwm.replaced, iwm.revised) == (10, stored, 0)
    assert report.revision_lines() == [f"IWM: {line}"]
    assert ": 10 row(s) added, " in report.summary()
    assert f"{stored} replaced (whole history of IWM)" in report.summary()
    assert_consistent(fetched, "IWM", 2.0, "2026-02-13")
    # the incremental request saw the split; the second asked for the whole history
    first, second = history_requests(yahoo, "IWM")
    assert asked_from(first) == dt.date(2026, 1, 23)
    assert asked_from(second) < dt.date(2000, 5, 26)
    logged = fetched.refresh_log()
    assert logged["message"].iloc[0] == (f"revisions explained by split on {SPLIT} (2:1); "
                                         f"whole history re-fetched; {CHECKED}2026-02-13")
    # the return over the stored days is the reference's again (no step at the split)
    assert smallcap.price("IWM", "2026-02-13", store=fetched) == pytest.approx(262.96 / 2,
                                                                               rel=1e-5)
    # the next refresh is incremental again: the split is recorded, not fetched twice
    del yahoo.cutoff["IWM"]
    yahoo.log.clear()
    [again] = refresh(["IWM"], store=fetched).results
    assert again.ok and again.added == 5 and again.replaced == 0 and again.revised == 0
    [request] = history_requests(yahoo, "IWM")
    assert asked_from(request) == dt.date(2026, 2, 6)
    assert_consistent(fetched, "IWM", 2.0, "2026-02-23")


def test_a_split_older_than_the_window_but_newer_than_the_last_full_fetch_is_caught(
    yahoo: YahooServer, fetched: Store
) -> None:
    # rows past a split on 2026-02-02 written without a look at Yahoo's splits (an older
    # smallcap's incremental refresh): the new scale from the split on, the old before it
    fetched.write("IWM", csv_rows("IWM", "2026-02-13", since="2026-02-02", scale=2.0), "yahoo")
    assert fetched.last_date("IWM") == dt.date(2026, 2, 13)  # window from 2026-02-06
    yahoo.splits["IWM"] = [SplitEvent("2026-02-02", 2, 1)]
    [iwm] = refresh(["IWM"], store=fetched).results
    assert iwm.ok, iwm.message
    assert iwm.message.startswith("split on 2026-02-02 (2:1): whole history re-fetched, ")
    assert_consistent(fetched, "IWM", 2.0, "2026-02-23")
    first, _ = history_requests(yahoo, "IWM")
    assert asked_from(first) == dt.date(2026, 1, 30)  # splits were checked through CUT


def test_a_whole_history_an_older_smallcap_fetched_counts_as_the_last_check(
    yahoo: YahooServer, tmp_path: Path
) -> None:
    # an older smallcap's log: a whole history from Yahoo (no record of splits checked),
    # then an incremental refresh across a split on 2026-02-02 that stored a step
    store = Store(tmp_path / "s.sqlite")
    store.write("IWM", csv_rows("IWM", CUT), "yahoo")
    store.write("IWM", csv_rows("IWM", "2026-02-13", since="2026-02-02", scale=2.0), "yahoo")
    yahoo.splits["IWM"] = [SplitEvent("2026-02-02", 2, 1)]
    [iwm] = refresh(["IWM"], store=store).results
    assert iwm.ok and iwm.splits == [Split(dt.date(2026, 2, 2), 2.0, 1.0)], iwm.message
    first, _ = history_requests(yahoo, "IWM")
    assert asked_from(first) == dt.date(2026, 1, 30)
    assert_consistent(store, "IWM", 2.0, "2026-02-23")
    store.close()


def test_a_reverse_split_on_a_ticker_loaded_from_csv(yahoo: YahooServer, loaded: Store) -> None:
    yahoo.splits["IWM"] = [SplitEvent(SPLIT, 1, 10)]  # ten shares become one
    [iwm] = refresh(["IWM"], store=loaded).results
    assert iwm.ok, iwm.message
    assert iwm.message.startswith(f"split on {SPLIT} (1:10): whole history re-fetched, "
                                  f"{len(csv_rows('IWM', CUT))} row(s) replaced, 15 added")
    assert_consistent(loaded, "IWM", 0.1, "2026-02-23")  # every close ten times what it was


def test_a_split_already_reflected_by_the_stored_rows_changes_no_close(
    yahoo: YahooServer, tmp_path: Path
) -> None:
    # a CSV downloaded after the split: already at the new scale; no record says so, so the
    # split in the window is checked against the whole history, which agrees
    store = Store(tmp_path / "s.sqlite")
    store.write("IWM", csv_rows("IWM", "2026-02-13", scale=2.0), "csv")
    yahoo.splits["IWM"] = [SplitEvent(SPLIT, 2, 1)]
    [iwm] = refresh(["IWM"], store=store).results
    assert iwm.ok and iwm.revised == 0 and iwm.added == 5, iwm.message
    assert_consistent(store, "IWM", 2.0, "2026-02-23")
    store.close()


# -- refused: the stored rows stay byte-identical ------------------------------------------------


def test_a_uniform_revision_no_split_explains_is_refused(yahoo: YahooServer,
                                                         loaded: Store) -> None:
    before = prices(loaded.path)
    yahoo.splits["IWM"] = [SplitEvent(SPLIT, 2, 1, reported=False)]  # halved, no event
    [iwm] = refresh(["IWM"], store=loaded).results
    assert not iwm.ok and iwm.kind == "implausible"
    assert iwm.message == (
        "would revise 6 stored close(s) by more than 0.1% (at most 5 may be), first "
        "2026-01-23: 264.81 -> 132.405 (-50.0%), every overlapping close by one ratio, 0.5, "
        "that no split Yahoo reports explains; nothing stored; the stored rows are kept (to "
        "take Yahoo's: smallcap load-csv IWM FILE --replace)")
    assert prices(loaded.path) == before
    assert len(history_requests(yahoo, "IWM")) == 1  # no whole history asked for
    assert loaded.refresh_log()["ok"].iloc[0] == 0


def test_a_small_uniform_revision_within_the_limits_is_refused_too(
    yahoo: YahooServer, tmp_path: Path
) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.write("IWM", csv_rows("IWM", CUT, since="2026-01-28"), "csv")  # three days
    before = prices(store.path)
    yahoo.splits["IWM"] = [SplitEvent(SPLIT, 1, 1.01, reported=False)]  # every close +1%
    [iwm] = refresh(["IWM"], store=store).results
    assert not iwm.ok and iwm.kind == "implausible"
    assert iwm.message.startswith(
        "would revise all 3 overlapping stored closes by one ratio, 1.01, that no split Yahoo "
        "reports explains, first 2026-01-28: 263.3 -> 265.933 (+1.0%); nothing stored")
    assert prices(store.path) == before
    store.close()


def test_a_split_yahoo_has_not_adjusted_for_yet_is_refused(yahoo: YahooServer,
                                                           fetched: Store) -> None:
    before = prices(fetched.path)
    yahoo.splits["IWM"] = [SplitEvent(SPLIT, 2, 1, adjusted=False)]  # a step on the day
    [iwm] = refresh(["IWM"], store=fetched).results
    assert not iwm.ok and iwm.kind == "implausible"
    assert iwm.message == (
        f"Yahoo reports a split on {SPLIT} (2:1) but its history is not adjusted for it (close "
        "2026-02-06: 265.02, 2026-02-09: 133.44, -49.6%); nothing stored; try again later")
    assert prices(fetched.path) == before


def test_a_split_the_whole_history_contradicts_is_refused(yahoo: YahooServer,
                                                          fetched: Store) -> None:
    before = prices(fetched.path)
    yahoo.splits["IWM"] = [SplitEvent(SPLIT, 2, 1)]
    for day in ("2019-03-01", "2019-03-04", "2019-03-05", "2019-03-06", "2019-03-07",
                "2019-03-08"):
        yahoo.revisions[("IWM", day)] = 1.05  # six old closes revised besides the split
    [iwm] = refresh(["IWM"], store=fetched).results
    assert not iwm.ok and iwm.kind == "implausible"
    assert iwm.message.startswith("would revise 6 stored close(s) by more than 0.1% (at most 5 "
                                  "may be), first 2019-03-01: ")
    assert f"beyond what the split on {SPLIT} (2:1) Yahoo reports explain; nothing " \
           "stored" in iwm.message
    assert prices(fetched.path) == before


# -- smallcap refresh --full ---------------------------------------------------------------------


def test_refresh_full_replaces_the_history_after_the_same_checks(
    yahoo: YahooServer, loaded: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(loaded.path)
    stored = len(loaded.frame("IWM"))
    code = main(["--store", path, "refresh", "--full", "IWM", "-q"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "") and out.count("\n") == 1
    assert out.startswith(f"refreshed 1/1 ticker(s): 15 row(s) added, {stored} replaced "
                          "(whole history of IWM), last date 2026-02-23, rows changed "
                          "2026-02-02 to 2026-02-23 (")  # the same history: new days alone
    [request] = history_requests(yahoo, "IWM")
    assert asked_from(request) < dt.date(2000, 5, 26)
    assert_consistent(loaded, "IWM", 1.0, "2026-02-23")
    assert loaded.refresh_log()["message"].iloc[0] == (f"whole history re-fetched; {CHECKED}"
                                                       "2026-02-23")
    # revisions nothing explains: refused like any write, the rows kept
    before = prices(loaded.path)
    for day in ("2019-03-01", "2019-03-04", "2019-03-05", "2019-03-06", "2019-03-07",
                "2019-03-08"):
        yahoo.revisions[("IWM", day)] = 1.05
    code = main(["--store", path, "refresh", "--full", "IWM"])
    out, err = capsys.readouterr()
    assert code == 1 and out.rstrip().splitlines()[-1].startswith("refreshed 0/1 ticker(s)")
    assert err.startswith("error: IWM: would revise 6 stored close(s) by more than 0.1% (at "
                          "most 5 may be), first 2019-03-01: ")
    assert "with no split Yahoo reports to explain them; nothing stored" in err
    assert prices(loaded.path) == before


def test_refresh_full_repairs_a_step_an_older_refresh_stored(
    yahoo: YahooServer, loaded: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    # the store: an older smallcap's refresh across a 2:1 split on 2026-02-02 stored
    # the new scale after it and kept the old one before it; no record of a whole fetch
    loaded.write("IWM", csv_rows("IWM", "2026-02-23", since="2026-02-02", scale=2.0), "yahoo")
    yahoo.splits["IWM"] = [SplitEvent("2026-02-02", 2, 1)]
    [iwm] = refresh(["IWM"], store=loaded).results  # the window no longer shows the split
    assert iwm.ok and iwm.added == 0 and iwm.replaced == 0
    stored = len(loaded.frame("IWM"))
    code = main(["--store", str(loaded.path), "refresh", "--full", "IWM"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert (f"IWM: split on 2026-02-02 (2:1): whole history re-fetched, {stored} row(s) "
            "replaced\n") in out
    assert_consistent(loaded, "IWM", 2.0, "2026-02-23")


# -- killed during the full re-fetch ---------------------------------------------------------------

# refreshes IWM, pausing inside its write transaction (rows written, not committed) after
# writing its pid to the marker file, so the test can kill it there
PAUSED_REFRESH = """
import os, sys, time
from pathlib import Path
from smallcap.sources.refresh import refresh
from smallcap.store import Store

def pause():
    Path(sys.argv[2]).write_text(str(os.getpid()))
    time.sleep(60)

refresh(['IWM'], store=Store(sys.argv[1]), on_written=pause)
"""


@pytest.mark.timeout(120)
def test_sigkill_during_the_full_refetch_keeps_the_old_rows(yahoo: YahooServer,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    store = Store(path)
    store.write("IWM", csv_rows("IWM", CUT), "csv")
    store.close()
    before = prices(path)
    yahoo.splits["IWM"] = [SplitEvent(SPLIT, 2, 1)]
    marker = tmp_path / "inside-transaction"
    child = subprocess.Popen([sys.executable, "-c", PAUSED_REFRESH, str(path), str(marker)],
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, child.communicate(timeout=10)
            assert time.monotonic() < deadline, "the refresh never reached its write"
            time.sleep(0.05)
        # inside the replace: the whole history was asked for, and the write lock is held
        assert len(history_requests(yahoo, "IWM")) == 2
        probe = sqlite3.connect(path, timeout=0.1)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            probe.execute("BEGIN IMMEDIATE")
        probe.close()
        assert int(marker.read_text()) == child.pid
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    assert prices(path) == before
    # the same refresh, not killed, replaces the history
    store = Store(path)
    [iwm] = refresh(["IWM"], store=store).results
    assert iwm.ok and iwm.splits and iwm.replaced == len(before), iwm.message
    assert_consistent(store, "IWM", 2.0, "2026-02-23")
    store.close()
