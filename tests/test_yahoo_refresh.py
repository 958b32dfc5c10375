"""The Yahoo source and the incremental refresh, against a local server that speaks
Yahoo's chart API (tests/yahoo_server.py) and the real yfinance code."""

from __future__ import annotations

import json
import logging
import re
import socket
import sqlite3
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yahoo_server as server_module
from yahoo_server import YahooServer, csv_path

import smallcap
from smallcap.sources import yahoo as source
from smallcap.sources.refresh import OVERLAP_DAYS, refresh
from smallcap.store import Store

yahoo_server = server_module.yahoo_server  # fixtures: the module's server, reset per test
yahoo = server_module.yahoo

CUT = "2026-01-30"  # what the store holds before a refresh; the server has up to 2026-02-23


def csv_rows(symbol: str, until: str | None = None) -> pd.DataFrame:
    frame = pd.read_csv(csv_path(symbol))
    rows = pd.DataFrame({"date": pd.to_datetime(frame["Date"]).to_numpy().astype("datetime64[D]"),
                         "close": frame["Close"].to_numpy(dtype="float64"),
                         "adj_close": frame["Close"].to_numpy(dtype="float64")})
    if until is not None:
        rows = rows.loc[rows["date"] <= np.datetime64(until)]
    return rows.reset_index(drop=True)


def snapshot(store: Store, ticker: str) -> list[tuple]:
    with store._lock:
        return store._connect().execute(
            "SELECT date, close, adj_close FROM prices WHERE ticker = ? ORDER BY date", (ticker,)
        ).fetchall()


@pytest.fixture
def filled(tmp_path: Path) -> Store:
    """A store holding ^RUT and IWM up to CUT (from the reference files)."""
    store = Store(tmp_path / "store.sqlite")
    for symbol in ("^RUT", "IWM"):
        store.write(symbol, csv_rows(symbol, CUT), "csv")
    yield store
    store.close()


# -- fetching ------------------------------------------------------------------------------


def test_first_refresh_stores_the_whole_history(yahoo: YahooServer, tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    assert smallcap.refresh is refresh  # the one Python call the ribbon uses
    report = smallcap.refresh(["^RUT"], store=store)
    assert report.ok, report.summary()
    expected = csv_rows("^RUT")
    got = store.frame("^RUT")
    assert len(got) == len(expected) == report.results[0].added
    assert (got.index.values.astype("datetime64[D]") == expected["date"].to_numpy()).all()
    np.testing.assert_allclose(got["close"].to_numpy(), expected["close"].to_numpy(), rtol=1e-12)
    assert report.results[0].last_date == pd.Timestamp(expected["date"].iloc[-1]).date()
    assert report.summary().startswith(
        f"refreshed 1/1 ticker(s): {len(expected)} row(s) added, last date 2026-02-23, rows "
        "changed 1987-09-10 to 2026-02-23 (")
    [chart] = [r for r in yahoo.chart_requests("^RUT") if "period1" in r.query]
    assert int(chart.query["period1"]) < pd.Timestamp("1987-09-10").timestamp()


def test_incremental_refresh_asks_only_the_overlap(yahoo: YahooServer, filled: Store) -> None:
    before = snapshot(filled, "^RUT")
    first = refresh(["^RUT"], store=filled)
    assert first.ok, first.summary()
    new_days = len(csv_rows("^RUT")) - len(before)
    assert first.results[0].added == new_days > 0
    assert snapshot(filled, "^RUT")[: len(before) - 5] == before[:-5]  # older rows untouched
    stored = filled.frame("^RUT")
    np.testing.assert_allclose(stored["close"].to_numpy(), csv_rows("^RUT")["close"].to_numpy())
    [chart] = [r for r in yahoo.chart_requests("^RUT") if "period1" in r.query]
    start = pd.Timestamp(CUT) - pd.Timedelta(days=OVERLAP_DAYS)
    asked_from = pd.Timestamp(int(chart.query["period1"]), unit="s", tz="UTC")
    assert asked_from.tz_convert("America/New_York").date() == start.date()

    yahoo.log.clear()
    second = refresh(["^RUT"], store=filled)
    assert second.ok and second.results[0].added == 0 and second.results[0].revised == 0
    charts = yahoo.chart_requests("^RUT")
    assert len(charts) == 1
    last = filled.last_date("^RUT")
    asked_from = pd.Timestamp(int(charts[0].query["period1"]), unit="s", tz="UTC")
    assert asked_from.tz_convert("America/New_York").date() == last - pd.Timedelta(
        days=OVERLAP_DAYS)
    full = len(json.dumps(yahoo.chart("^RUT", {"range": "max"}, None)).encode())
    assert yahoo.bytes_served() < 0.01 * full
    assert second.results[0].nbytes == yahoo.bytes_served()


def test_revised_overlap_close_replaces_the_stored_one_and_is_logged(
    yahoo: YahooServer, filled: Store, caplog: pytest.LogCaptureFixture
) -> None:
    assert refresh(["^RUT"], store=filled).ok
    day = filled.frame("^RUT").index[-2].date()
    old = float(filled.frame("^RUT", day, day)["close"].iloc[0])
    yahoo.revisions[("^RUT", day.isoformat())] = 1.02
    with caplog.at_level(logging.WARNING, logger="smallcap.sources.refresh"):
        report = refresh(["^RUT"], store=filled)
    result = report.results[0]
    assert result.ok and result.added == 0 and result.revised == 1
    assert result.revisions == [(day, pytest.approx(old), pytest.approx(old * 1.02))]
    assert float(filled.frame("^RUT", day, day)["close"].iloc[0]) == pytest.approx(old * 1.02)
    assert any("revised the close of " + day.isoformat() in m for m in caplog.messages)
    assert "revised" in report.summary()


def test_raw_and_adjusted_close_and_a_moved_adjustment_factor(
    yahoo: YahooServer, tmp_path: Path
) -> None:
    store = Store(tmp_path / "s.sqlite")
    yahoo.adj_factor["IWM"] = 0.98
    yahoo.cutoff["IWM"] = np.datetime64(CUT)
    assert refresh(["IWM"], store=store).ok
    frame = store.frame("IWM")
    np.testing.assert_allclose(frame["adj_close"] / frame["close"], 0.98)
    np.testing.assert_allclose(frame["close"].to_numpy(), csv_rows("IWM", CUT)["close"])
    # a dividend goes ex: Yahoo's factor moves for every earlier day; incremental rows
    # and all older stored rows must stay one consistent adjusted chain
    yahoo.cutoff.clear()
    yahoo.adj_factor["IWM"] = 0.97
    report = refresh(["IWM"], store=store)
    assert report.ok and report.results[0].added > 0
    frame = store.frame("IWM")
    assert len(frame) == len(csv_rows("IWM"))
    np.testing.assert_allclose(frame["adj_close"] / frame["close"], 0.97)


def test_tz_aware_index_becomes_the_exchange_local_trading_day() -> None:
    index = pd.DatetimeIndex(["2024-07-16 00:00", "2024-07-17 00:00"]).tz_localize("Asia/Tokyo")
    frame = pd.DataFrame({"Close": [1.0, 2.0], "Adj Close": [0.5, 1.0]}, index=index)
    rows = source.frame_to_rows(frame, "^N225")
    assert [d.isoformat() for d in rows["date"].dt.date] == ["2024-07-16", "2024-07-17"]
    assert index.tz_convert("UTC")[0].date().isoformat() == "2024-07-15"  # not the UTC day
    assert rows["adj_close"].tolist() == [0.5, 1.0]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # yfinance's own inplace= calls
def test_download_multiindex_columns_give_the_same_rows(yahoo: YahooServer) -> None:
    import yfinance as yf

    settings = source.YahooSettings.from_env()
    fetched = source.fetch_history("IWM", pd.Timestamp("2026-02-02").date(), settings=settings)
    frame = yf.download("IWM", start="2026-02-02", auto_adjust=False, actions=False,
                        progress=False, threads=False, session=source.new_session(settings))
    assert isinstance(frame.columns, pd.MultiIndex)
    rows = source.frame_to_rows(frame, "IWM")
    pd.testing.assert_frame_equal(rows, fetched.rows)
    swapped = frame.swaplevel(axis=1)
    pd.testing.assert_frame_equal(source.frame_to_rows(swapped, "IWM"), fetched.rows)


def test_session_rewrites_yahoo_hosts_only_when_configured() -> None:
    local = source.new_session(source.YahooSettings(url="http://127.0.0.1:8765"))
    assert local.rewrite("https://query1.finance.yahoo.com/v8/finance/chart/%5ERUT?range=1d") \
        == "http://127.0.0.1:8765/v8/finance/chart/%5ERUT?range=1d"
    assert local.rewrite("https://fc.yahoo.com") == "http://127.0.0.1:8765/"
    assert local.rewrite("https://example.org/x") == "https://example.org/x"
    real = source.new_session(source.YahooSettings())
    url = "https://query2.finance.yahoo.com/v1/test/getcrumb"
    assert real.rewrite(url) == url


def test_yfinance_caches_live_in_the_configured_folder(yahoo: YahooServer) -> None:
    from yfinance import cache

    source.fetch_history("^RUT", pd.Timestamp("2026-02-16").date())
    folder = Path(cache._TzDBManager.get_location())
    assert folder.name == "yfinance-cache" and (folder / "tkr-tz.db").exists()
    assert Path.home() not in folder.parents


# -- faults: each leaves the failed ticker's rows as they were, the others refreshed ----------

FAULT_MESSAGES = {
    "429": r"rate-limiting requests \(HTTP 429.*gave up after 3 attempts",
    "500": r"failed with HTTP 500 \(server error\).*gave up after 3 attempts",
    "503": r"failed with HTTP 503 \(server error\).*gave up after 3 attempts",
    "timeout": r"did not answer within 0.3 s \(timeout\).*gave up after 3 attempts",
    "truncated": r"malformed answer \(not valid JSON",
    "malformed": r"malformed answer \(not valid JSON",
    "nan": r"1 row\(s\) without a valid close \(first 2026-02-23\); nothing stored",
    "duplicate": r"two bars for 2026-02-20; nothing stored",
}


@pytest.mark.parametrize("fault", list(FAULT_MESSAGES))
def test_fault_leaves_the_ticker_as_it_was(
    fault: str, yahoo: YahooServer, filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    if fault == "timeout":
        monkeypatch.setenv("SMALLCAP_YAHOO_TIMEOUT", "0.3")
        yahoo.timeout_seconds = 1.0
    before = snapshot(filled, "^RUT")
    yahoo.set_fault("^RUT", fault)
    report = refresh(["^RUT", "IWM"], store=filled)
    rut, iwm = report.results
    assert not rut.ok and not report.ok and not report.offline
    assert rut.message.count("\n") == 0
    assert re.search(FAULT_MESSAGES[fault], rut.message), rut.message
    assert snapshot(filled, "^RUT") == before
    assert rut.last_date == pd.Timestamp(CUT).date()
    assert iwm.ok and iwm.added > 0 and filled.last_date("IWM") > pd.Timestamp(CUT).date()
    logged = filled.refresh_log()
    failure = logged.loc[(logged["ticker"] == "^RUT") & (logged["ok"] == 0)]
    assert failure["message"].iloc[0] == rut.message
    assert "failed: ^RUT" in report.summary()
    retryable = fault in ("429", "500", "503", "timeout")
    assert rut.attempts == (3 if retryable else 1)
    if retryable:  # bounded: yfinance itself tries each request twice on an HTTP error
        assert len(yahoo.chart_requests("^RUT")) <= 3 * 2


def test_transient_server_error_is_retried_then_succeeds(
    yahoo: YahooServer, filled: Store
) -> None:
    yahoo.set_fault("^RUT", "503", count=2)
    report = refresh(["^RUT"], store=filled)
    assert report.ok, report.summary()
    assert report.results[0].attempts == 2 and report.results[0].added > 0


def test_unknown_ticker(yahoo: YahooServer, filled: Store) -> None:
    before = snapshot(filled, "^RUT")
    report = refresh(["^XYZ", "^RUT"], store=filled)
    bad, rut = report.results
    assert not bad.ok and bad.kind == "no_data" and bad.attempts == 1
    assert bad.message == ("Yahoo Finance has no data for ^XYZ (No data found, symbol may be "
                           "delisted); check the symbol")
    assert snapshot(filled, "^XYZ") == []
    assert rut.ok and len(snapshot(filled, "^RUT")) > len(before)


def test_no_network(yahoo: YahooServer, filled: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:  # a port nobody listens on: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("SMALLCAP_YAHOO_URL", f"http://127.0.0.1:{port}")
    before = {t: snapshot(filled, t) for t in ("^RUT", "IWM")}
    report = refresh(["^RUT", "IWM"], store=filled)
    assert report.offline and not report.ok
    for result in report.results:
        assert result.kind == "offline" and result.attempts == 1
        assert result.message == (f"cannot connect to the Yahoo server at http://127.0.0.1:{port} "
                                  "(no network, or the server is down)")
    assert {t: snapshot(filled, t) for t in ("^RUT", "IWM")} == before
    assert report.summary().startswith("offline: cannot reach Yahoo Finance; 2 ticker(s) left")


def test_bad_symbol_is_reported_without_a_request(yahoo: YahooServer, filled: Store) -> None:
    calls: list[tuple[str, int, int]] = []
    report = refresh(["not a ticker", "iwm "], store=filled,
                     progress=lambda *args: calls.append(args))
    bad, iwm = report.results
    assert not bad.ok and bad.kind == "bad_ticker" and "is not a ticker symbol" in bad.message
    assert iwm.ok and iwm.ticker == "IWM"
    assert calls == [("not a ticker", 0, 2), ("IWM", 1, 2)]
    assert {r.symbol for r in yahoo.chart_requests()} == {"IWM"}


def test_a_session_still_trading_is_not_stored(yahoo: YahooServer) -> None:
    # the server's meta says 2026-02-23's regular session ends 16:00 New York time; before
    # that, Yahoo's last bar holds an intraday price, not a close
    since = pd.Timestamp("2026-02-16").date()
    during = pd.Timestamp("2026-02-23 11:00", tz="America/New_York").tz_convert("UTC")
    fetched = source.fetch_history("^RUT", since, now=during)
    assert fetched.dropped_live == [pd.Timestamp("2026-02-23").date()]
    assert fetched.rows["date"].iloc[-1] == pd.Timestamp("2026-02-20")
    after = pd.Timestamp("2026-02-23 16:05", tz="America/New_York").tz_convert("UTC")
    fetched = source.fetch_history("^RUT", since, now=after)
    assert fetched.dropped_live == [] and fetched.rows["date"].iloc[-1] == pd.Timestamp(
        "2026-02-23")


def test_yfinance_gets_its_own_session_back(yahoo: YahooServer) -> None:
    from yfinance.data import YfData

    before = YfData()._session
    source.fetch_history("^RUT", pd.Timestamp("2026-02-16").date())
    assert YfData()._session is before


def test_a_week_without_bars_is_no_new_rows_not_a_fault(yahoo: YahooServer, filled: Store) -> None:
    yahoo.cutoff["^RUT"] = np.datetime64("2026-01-15")  # nothing from the overlap's start on
    before = snapshot(filled, "^RUT")
    report = refresh(["^RUT"], store=filled)
    result = report.results[0]
    assert result.ok and result.added == 0 and result.message == "no new rows"
    assert snapshot(filled, "^RUT") == before
    assert result.last_date == pd.Timestamp(CUT).date()


# -- plausibility: a refused refresh keeps the ticker's rows byte-identical -------------------------


def prices(store: Store) -> list[tuple]:
    """Every stored row, exactly as SQLite holds it."""
    conn = sqlite3.connect(store.path)
    try:
        return conn.execute("SELECT * FROM prices ORDER BY ticker, date").fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("factor", [0.0, -1.0, 1e-9, 0.4, 1.6])
def test_an_adjustment_factor_outside_the_band_keeps_every_stored_row(
    factor: float, yahoo: YahooServer, filled: Store
) -> None:
    before = prices(filled)
    yahoo.adj_factor["IWM"] = factor  # Yahoo's adjusted close now implies this factor
    report = refresh(["IWM"], store=filled)
    [iwm] = report.results
    assert not iwm.ok and iwm.kind == "implausible" and iwm.added == 0
    assert iwm.message == (
        f"the adjusted close of 2026-01-23 implies rescaling the stored adjusted closes by a "
        f"factor of {factor:.6g}, outside 0.5 to 1.5; nothing stored")
    assert prices(filled) == before
    assert "failed: IWM" in report.summary()
    logged = filled.refresh_log()
    assert logged["message"].iloc[0] == iwm.message and logged["ok"].iloc[0] == 0
    assert smallcap.price("IWM", "2024-07-16", store=filled) == pytest.approx(
        float(csv_rows("IWM").set_index("date").loc["2024-07-16", "close"]))


@pytest.mark.parametrize("day,value,match", [
    ("2026-01-29", -1.0, r"1 row\(s\) have no valid close \(first 2026-01-29: close -1, "
                         r"adjusted close -1\); a close must be a number from 1e-06 to 1e\+09; "
                         "nothing stored"),
    ("2026-01-29", 0.0, r"first 2026-01-29: close 0, adjusted close 0"),
    ("2026-02-20", 0.0, r"first 2026-02-20: close 0"),  # a new day
    ("2026-01-29", 1000.0, r"would move 1 stored close\(s\) by more than 20%, first 2026-01-29: "
                           r"2654.78 -> 1000 \(-62.3%\); nothing stored; the stored rows are "
                           r"kept \(to take Yahoo's: smallcap load-csv \^RUT FILE --replace\)"),
], ids=["close -1", "close 0", "close 0 on a new day", "close 1000"])
def test_an_implausible_yahoo_close_keeps_every_stored_row(
    day: str, value: float, match: str, yahoo: YahooServer, filled: Store
) -> None:
    before = prices(filled)
    yahoo.closes[("^RUT", day)] = value
    report = refresh(["^RUT", "IWM"], store=filled)
    rut, iwm = report.results
    assert not rut.ok and rut.kind == "implausible", rut.message
    assert re.search(match, rut.message) and "\n" not in rut.message, rut.message
    assert [r for r in prices(filled) if r[0] == "^RUT"] == [r for r in before if r[0] == "^RUT"]
    assert iwm.ok and iwm.added > 0  # the other ticker goes on


def test_more_than_five_revised_closes_are_refused_five_are_taken(
    yahoo: YahooServer, filled: Store
) -> None:
    overlap = ["2026-01-23", "2026-01-26", "2026-01-27", "2026-01-28", "2026-01-29",
               "2026-01-30"]  # every stored day a refresh asks for again
    before = prices(filled)
    for day in overlap:
        yahoo.revisions[("^RUT", day)] = 1.01
    [rut] = refresh(["^RUT"], store=filled).results
    assert not rut.ok and rut.kind == "implausible"
    assert rut.message.startswith("would revise 6 stored close(s) by more than 0.1% (at most 5 "
                                  "may be), first 2026-01-23: 2669.16 -> 2695.85 (+1.0%)")
    assert prices(filled) == before
    del yahoo.revisions[("^RUT", overlap[0])]
    report = refresh(["^RUT"], store=filled)
    [rut] = report.results
    assert rut.ok and rut.revised == 5 and len(rut.revisions) == 5
    assert "5 close(s) revised; 5 beyond 0.1% (e.g. 2026-01-26 2659.67 -> 2686.27)" \
        in rut.message
    assert report.revision_lines() == [
        "^RUT: 5 close(s) revised beyond 0.1%, first 2026-01-26: 2659.67 -> 2686.27 (+1.0%)"]


def test_an_answer_over_the_size_cap_is_refused(
    yahoo: YahooServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.write("IWM", csv_rows("IWM", CUT), "csv")
    before = prices(store)
    monkeypatch.setenv("SMALLCAP_MAX_YAHOO_BYTES", "100000")  # the whole ^RUT history is ~1 MB
    report = refresh(["^RUT", "IWM"], store=store)
    rut, iwm = report.results
    assert not rut.ok and rut.kind == "payload" and rut.attempts == 1
    assert rut.message == (f"the Yahoo server at {yahoo.url} sent an answer larger than "
                           "SMALLCAP_MAX_YAHOO_BYTES (100,000 bytes); nothing stored")
    assert len(yahoo.chart_requests("^RUT")) == 1
    assert iwm.ok and iwm.added > 0  # a small incremental answer passes
    assert [r for r in prices(store) if r[0] == "^RUT"] == []
    assert len(prices(store)) == len(before) + iwm.added


def test_an_endless_answer_stops_at_the_size_cap(
    yahoo: YahooServer, filled: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMALLCAP_MAX_YAHOO_BYTES", str(2**20))
    monkeypatch.setenv("SMALLCAP_YAHOO_TIMEOUT", "30")  # the cap stops it, not a timeout
    before = prices(filled)
    yahoo.set_fault("^RUT", "endless")
    began = time.perf_counter()
    [rut] = refresh(["^RUT"], store=filled).results
    assert time.perf_counter() - began < 10
    assert not rut.ok and "larger than SMALLCAP_MAX_YAHOO_BYTES (1,048,576 bytes)" in rut.message
    assert prices(filled) == before


def test_credentials_in_the_yahoo_url_are_never_shown(
    yahoo: YahooServer, filled: Store, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture
) -> None:
    secret = "s3cr3t-pa55"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    messages = []
    with caplog.at_level(logging.DEBUG):
        monkeypatch.setenv("SMALLCAP_YAHOO_URL", f"http://user:{secret}@127.0.0.1:{port}")
        [offline] = refresh(["^RUT"], store=filled).results
        assert offline.message == (f"cannot connect to the Yahoo server at "
                                   f"http://***@127.0.0.1:{port} (no network, or the server is "
                                   "down)")
        authed = yahoo.url.replace("http://", f"http://user:{secret}@")
        monkeypatch.setenv("SMALLCAP_YAHOO_URL", authed)
        yahoo.set_fault("^RUT", "500")
        [failed] = refresh(["^RUT"], store=filled).results
        assert failed.message.startswith(f"the Yahoo server at http://***@127.0.0.1:{yahoo.port} "
                                         "failed with HTTP 500")
        yahoo.set_fault("^RUT", None)
        assert refresh(["^RUT"], store=filled).ok  # the credentials are still used
        monkeypatch.setenv("SMALLCAP_YAHOO_URL", f"ftp://user:{secret}@example.com")
        with pytest.raises(smallcap.BadArgument) as caught:
            refresh(["^RUT"], store=filled)
        messages.append(caught.value.message)
    messages += [offline.message, failed.message, caplog.text]
    messages += filled.refresh_log()["message"].tolist()
    assert "ftp://***@example.com" in messages[0]
    assert not [m for m in messages if secret in m]


# -- splits: what the source reads, and the record of splits checked ---------------------------------


def test_every_history_request_asks_for_the_split_events(yahoo: YahooServer,
                                                         filled: Store) -> None:
    assert refresh(["IWM"], store=filled).ok
    [chart] = [r for r in yahoo.chart_requests("IWM") if "period1" in r.query]
    assert "splits" in chart.query["events"].split(",")


def test_the_source_reads_reported_splits_on_their_trading_day() -> None:
    stamp = int(pd.Timestamp("2024-06-10 09:30", tz="America/New_York").timestamp())
    result = {"meta": {"exchangeTimezoneName": "America/New_York"}, "events": {"splits": {
        str(stamp): {"date": stamp, "numerator": 10.0, "denominator": 1.0, "splitRatio": "10:1"},
        "1": {"date": stamp - 86400 * 365, "numerator": 1, "denominator": 10}}}}
    splits = source.chart_splits(result, "NVDA")
    assert [(str(s.day), s.label, s.ratio) for s in splits] == [
        ("2023-06-11", "1:10", 0.1), ("2024-06-10", "10:1", 10.0)]
    assert source.chart_splits({"meta": {}}, "NVDA") == []


@pytest.mark.parametrize("event,match", [
    ({"date": 1718026200, "numerator": 0, "denominator": 1}, "split on 2024-06-10 of 0:1, not a "
                                                             "ratio of share counts"),
    ({"date": 1718026200, "numerator": 2, "denominator": float("nan")}, "of 2:nan"),
    ({"date": "soon", "numerator": 2, "denominator": 1}, "a split that cannot be read"),
    ({"numerator": 2, "denominator": 1}, "a split that cannot be read"),
])
def test_a_split_that_is_not_a_ratio_is_a_payload_fault(event: dict, match: str) -> None:
    with pytest.raises(source.YahooFetchError, match=match) as caught:
        source.chart_splits({"events": {"splits": {"x": event}}}, "NVDA")
    assert caught.value.kind == "payload" and "\n" not in caught.value.message


def test_a_refresh_records_the_day_its_splits_are_checked_through(
    yahoo: YahooServer, filled: Store
) -> None:
    from smallcap.sources.refresh import CHECKED, checked_through

    assert checked_through(filled, "^RUT") is None  # loaded from CSV: no record
    yahoo.cutoff["^RUT"] = np.datetime64("2026-02-06")
    assert refresh(["^RUT"], store=filled).ok
    assert filled.refresh_log()["message"].iloc[0] == f"{CHECKED}2026-02-06"
    assert checked_through(filled, "^RUT") == pd.Timestamp("2026-02-06").date()
    # days another source added since are not checked: the next request starts at the record
    since = csv_rows("^RUT", "2026-02-20")
    filled.write("^RUT", since.loc[since["date"] > np.datetime64("2026-02-06")], "csv")
    del yahoo.cutoff["^RUT"]
    yahoo.log.clear()
    [rut] = refresh(["^RUT"], store=filled).results
    assert rut.ok and rut.added == 1 and rut.revised == 0
    [chart] = [r for r in yahoo.chart_requests("^RUT") if "period1" in r.query]
    asked = pd.Timestamp(int(chart.query["period1"]), unit="s", tz="UTC")
    assert asked.tz_convert("America/New_York").date() == pd.Timestamp("2026-02-06").date()
    assert checked_through(filled, "^RUT") == pd.Timestamp("2026-02-23").date()
