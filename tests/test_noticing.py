"""Tests that notice (issue 17): each one pins a behaviour a mutation run showed untested.
A batch path that fails is logged and counted (never hidden by the per-element fallback);
empty inputs (a rebase, zero episodes, a range with no stored rows); the edge of a window
(since == as_of); declared defaults; a history's dates in any order, never twice; an Excel
serial typed as text on the CLI and HTTP; a bad close on the first overlapping day of a
revision; fetched rows sharing no day with the stored ones; the "store holds none of"
message; Yahoo's duplicate bars and HTTP errors other than 404 and 429; a port out of range.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import numpy as np
import pandas as pd
import pytest
from conftest import http_get, stored_rows

import smallcap
from smallcap import analytics, api, catalogue, cli, service
from smallcap.analytics import forward, plausible, revisions
from smallcap.analytics.history import History
from smallcap.errors import BadArgument, ImplausibleData, NoData
from smallcap.pyface import ElementWarning
from smallcap.sources import yahoo
from smallcap.store import Store

AS_OF = "2024-07-16"
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 in Excel's 1900 date system


def serial(day: str) -> str:
    return str((dt.date.fromisoformat(day) - EXCEL_EPOCH).days)


# -- the batch path of a lifted call: answered, or logged and counted --------------------------

def test_window_return_over_a_range_is_answered_by_the_batch_path(reference_store,
                                                                  caplog) -> None:
    before = catalogue.FALLBACKS["window_return"]
    tickers, windows = ["^RUT", "IWM", "^GSPC"], ["1W", "1M", "3M", "YTD", 21]
    got = smallcap.window_return(np.array([tickers]).T, np.array([windows], dtype=object),
                                 AS_OF, store=reference_store)
    assert catalogue.FALLBACKS["window_return"] == before  # the numpy path answered
    assert "numpy path failed" not in caplog.text
    assert got.shape == (3, 5)
    for i, ticker in enumerate(tickers):
        for j, window in enumerate(windows):
            assert got.iloc[i, j] == smallcap.window_return(ticker, window, AS_OF,
                                                            store=reference_store)


@pytest.mark.parametrize("name", ["window_return", "rotation_spread", "rotation_ratio"])
def test_a_failing_batch_path_is_logged_and_counted_and_the_body_still_answers(
        reference_store, caplog, name) -> None:
    fn = catalogue.find(name)

    def broken(*args):
        raise ZeroDivisionError("a bug in the numpy path")

    crashing = dataclasses.replace(fn, many=broken)
    raw = [None] * len(fn.arguments)
    raw[fn.names.index("as_of")] = [AS_OF, "2024-07-15", "2024-07-12"]
    before = catalogue.FALLBACKS[name]
    with caplog.at_level(logging.WARNING, logger="smallcap.catalogue"):
        lifted = catalogue.lift(crashing, raw, catalogue.Reader(reference_store),
                                one_dimension="column")
    assert catalogue.FALLBACKS[name] == before + 1
    assert f"{name}: the numpy path failed over 3 elements (ZeroDivisionError" in caplog.text
    expected = [getattr(smallcap, name)(as_of=d, store=reference_store)
                for d in (AS_OF, "2024-07-15", "2024-07-12")]
    assert lifted.values[:, 0].tolist() == pytest.approx(expected)


# -- empty inputs and edges --------------------------------------------------------------------

@pytest.mark.parametrize("empty", [pd.Series([], dtype="float64"), np.array([]), []])
def test_rebasing_an_empty_series_is_empty(empty) -> None:
    rebased = analytics.rebase(empty)
    assert rebased.dtype == np.float64 and rebased.shape == (0,)


def test_rebasing_starts_at_the_level() -> None:
    assert analytics.rebase([2.0, 3.0, np.nan], 50.0)[:2].tolist() == [50.0, 75.0]


def test_summarising_zero_episodes_counts_zero_and_leaves_the_rest_empty(recwarn) -> None:
    rows = forward.summarise(np.empty((0, 3)))
    assert rows.shape == (4, 3)
    assert rows[0].tolist() == [0.0, 0.0, 0.0] and np.isnan(rows[1:]).all()
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_forward_returns_with_no_episode_is_a_table_of_zero_counts(reference_store) -> None:
    table = smallcap.forward_returns(50, 5, 0.5, store=reference_store)  # pandas: episodes
    assert len(table) == 0 and table.index.name == "signal" and table.index.dtype.kind == "M"
    assert list(table.columns) == forward.FORWARD_COLUMNS[1:]
    assert pd.api.types.is_string_dtype(table["status"])  # text even with no row
    summary = smallcap.summary(table)  # over the figures: every column but the status
    assert list(summary.columns) == forward.FIGURES
    assert summary.loc["count"].tolist() == [0.0] * len(forward.FIGURES)
    assert summary.drop(index="count").isna().all().all()
    spilled = service.call("forward_returns", ["50", "5", "0.5"], store=reference_store)
    count = spilled.set_index("signal").loc["count"]
    assert count[forward.FIGURES].tolist() == [0.0] * len(forward.FIGURES)
    assert count["status"] is None  # the summary rows' status is blank


@pytest.mark.parametrize("call", [
    lambda s, since: smallcap.return_percentile("^RUT", "1M", AS_OF, since, store=s),
    lambda s, since: smallcap.spread_percentile("1M", "^RUT", "^GSPC", AS_OF, since, store=s),
], ids=["return", "spread"])
def test_a_percentile_since_its_own_as_of_is_one_day_at_or_below_itself(reference_store,
                                                                         call) -> None:
    assert call(reference_store, AS_OF) == 1.0
    assert call(reference_store, "2024-07-15") in (0.5, 1.0)  # two days: itself, one other
    with pytest.raises(BadArgument, match="since must be on or before as_of"):
        call(reference_store, "2024-07-17")


def test_rate_beta_window_defaults_to_252_days(reference_store) -> None:
    rut, tnx = reference_store.history("^RUT"), reference_store.history("^TNX")
    assert analytics.rate_beta(rut, tnx, as_of=AS_OF) == analytics.rate_beta(rut, tnx, 252,
                                                                            AS_OF)
    assert analytics.rate_beta(rut, tnx, as_of=AS_OF) != analytics.rate_beta(rut, tnx, 251,
                                                                             AS_OF)
    assert smallcap.rate_beta(as_of=AS_OF, store=reference_store) == smallcap.rate_beta(
        252, as_of=AS_OF, store=reference_store)


def test_streak_length_threshold_defaults_to_one_percent() -> None:
    days = pd.bdate_range("2024-01-01", periods=6)
    closes = pd.Series(100 * np.cumprod([1, 1.02, 1.015, 1.005, 1.012, 1.011]), index=days)
    assert analytics.streak_length(closes) == analytics.streak_length(closes, 0.01) == 2
    assert analytics.streak_length(closes, 0.004) == 5
    assert analytics.streak_length(closes, 0.0115) == 0


def test_streak_length_default_threshold_in_the_api(reference_store) -> None:
    assert smallcap.streak_length(as_of=AS_OF, store=reference_store) == smallcap.streak_length(
        0.01, as_of=AS_OF, store=reference_store)


# -- a history's dates ---------------------------------------------------------------------------

def test_unsorted_dates_give_the_history_of_the_sorted_ones() -> None:
    days = pd.to_datetime(["2024-01-04", "2024-01-02", "2024-01-05", "2024-01-03"])
    closes = pd.Series([103.0, 101.0, 104.0, 102.0], index=days, name="X")
    history = History.from_series(closes)
    assert history.close.tolist() == [101.0, 102.0, 103.0, 104.0]
    assert analytics.price(closes, "2024-01-03") == 102.0
    assert analytics.window_return(closes, 1, "2024-01-05") == pytest.approx(104 / 103 - 1)


def test_a_day_given_twice_is_refused_naming_it() -> None:
    days = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-02"])
    closes = pd.Series([101.0, 102.0, 99.0], index=days, name="X")
    with pytest.raises(BadArgument, match="X: 2024-01-02 appears 2 times"):
        History.from_series(closes)
    with pytest.raises(BadArgument, match="appears 2 times"):
        analytics.price(closes, "2024-01-03")


# -- an Excel serial typed as text ----------------------------------------------------------------

def test_an_excel_serial_as_text_on_the_cli_is_that_day(reference_store_path, capsys) -> None:
    answers = []
    for day in (AS_OF, serial(AS_OF)):
        assert cli.main(["--store", str(reference_store_path), "call", "price", "^RUT",
                         day]) == 0
        answers.append(capsys.readouterr().out)
    assert answers[0] == answers[1] and answers[0].strip()


def test_an_excel_serial_as_text_over_http_is_that_day(base_url) -> None:
    iso = http_get(f"{base_url}/streak_length?as_of={AS_OF}")
    text = http_get(f"{base_url}/streak_length?as_of={serial(AS_OF)}")
    assert iso[0] == 200 and text == iso
    before = http_get(f"{base_url}/price?ticker=%5ERUT&date={serial('2024-07-15')}")
    assert before[0] == 200 and before != http_get(f"{base_url}/price?ticker=%5ERUT&date="
                                                   f"{serial(AS_OF)}")


# -- revisions: the first overlapping day, no common day --------------------------------------------

def stored_frame(days: list[str], close: list[float], adj: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"close": close, "adj_close": adj},
                        index=pd.DatetimeIndex(pd.to_datetime(days), name="date"))


def fetched(days: list[str], close: list[float], adj: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.to_datetime(days).to_numpy().astype("datetime64[D]"),
                         "close": close, "adj_close": adj})


DAYS = ["2024-07-15", "2024-07-16", "2024-07-17"]
LIMITS = plausible.Limits(tolerance=0.001)


@pytest.mark.parametrize("bad", [0.0, np.nan, -1.0])
@pytest.mark.parametrize("side", ["stored", "fetched"])
def test_a_bad_close_on_the_first_overlapping_day_is_no_rescale(bad, side) -> None:
    """No adjustment factor can be read off a close that is not > 0: the revision is plain
    (the store's write then refuses the bad close), never a rescale by inf or NaN."""
    good = [100.0, 101.0, 102.0]
    broken = [bad, 101.0, 102.0]
    stored = stored_frame(DAYS, broken if side == "stored" else good, [98.0, 99.0, 100.0])
    rows = fetched(DAYS, broken if side == "fetched" else good, [97.0, 98.0, 99.0])
    assert revisions.judge_overlap("IWM", stored, rows, (), None, LIMITS) == revisions.PLAIN


def test_a_bad_fetched_close_on_the_first_overlapping_day_leaves_the_store_as_it_was(
        tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.write("IWM", fetched(DAYS, [100.0, 101.0, 102.0], [98.0, 99.0, 100.0]), "csv")
    before = stored_rows(tmp_path / "s.sqlite")
    with pytest.raises(ImplausibleData, match="IWM.*2024-07-15"):
        store.write("IWM", fetched(DAYS, [0.0, 101.0, 102.0], [0.0, 99.0, 100.0]), "yahoo",
                    limits=LIMITS)
    store.close()
    assert stored_rows(tmp_path / "s.sqlite") == before


def test_fetched_rows_sharing_no_day_with_the_stored_ones_are_plain_new_rows() -> None:
    stored = stored_frame(["2024-07-13", "2024-07-14"], [100.0, 101.0], [90.0, 91.0])
    rows = fetched(DAYS, [100.0, 101.0, 102.0], [50.0, 51.0, 52.0])  # another factor
    assert revisions.judge_overlap("IWM", stored, rows, (), None, LIMITS) == revisions.PLAIN
    empty = stored_frame([], [], [])
    assert revisions.judge_overlap("IWM", empty, rows, (), None, LIMITS) == revisions.PLAIN


def test_a_write_whose_range_holds_no_stored_row_shows_its_check_an_empty_frame(
        tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.write("IWM", fetched(["2024-07-01", "2024-07-02"], [99.0, 98.0], [97.0, 96.0]), "csv")
    seen = []

    def check(stored: pd.DataFrame) -> None:
        seen.append(stored)

    result = store.write("IWM", fetched(DAYS, [100.0, 101.0, 102.0], [98.0, 99.0, 100.0]),
                         "yahoo", check=check)
    store.write("IWM", fetched([], [], []), "yahoo", check=check)
    store.close()
    assert result.added == 3 and result.revised == []
    for frame in seen:
        assert frame.empty and list(frame.columns) == ["close", "adj_close"]
        assert isinstance(frame.index, pd.DatetimeIndex) and frame.index.name == "date"
        assert frame["close"].dtype == np.float64


def test_a_whole_history_check_sees_every_stored_row(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.write("IWM", fetched(["2024-07-01", "2024-07-02"], [99.0, 98.0], [97.0, 96.0]), "csv")
    seen = []
    store.write("IWM", fetched(DAYS, [100.0, 101.0, 102.0], [98.0, 99.0, 100.0]), "yahoo",
                replace=True, check=seen.append)
    store.close()
    assert [d.isoformat() for d in seen[0].index.date] == ["2024-07-01", "2024-07-02"]
    assert seen[0]["adj_close"].tolist() == [97.0, 96.0]


# -- messages ---------------------------------------------------------------------------------------

def test_a_store_holding_none_of_the_tickers_says_which(empty_store) -> None:
    with pytest.raises(NoData) as caught:
        api.data_table(["^RUT", "IWM"], store=empty_store)
    assert caught.value.message == "the store holds none of ^RUT, IWM — refresh first"


def test_a_data_table_leaves_out_a_ticker_it_does_not_hold(reference_store) -> None:
    table = api.data_table(["^RUT", "ZZZZ"], store=reference_store)
    assert list(table.columns) == ["date", "^RUT"]


# -- Yahoo's answers ---------------------------------------------------------------------------------

def chart(stamps: list[int], live: tuple[int, int] | None = None) -> dict:
    meta = {"exchangeTimezoneName": "America/New_York"}
    if live is not None:
        meta["currentTradingPeriod"] = {"regular": {"start": live[0], "end": live[1]}}
    return {"meta": meta, "timestamp": stamps}


OPEN = 1721136600  # 2024-07-16 09:30 New York, in epoch seconds


def test_two_bars_on_one_day_are_refused_naming_the_day() -> None:
    now = pd.Timestamp("2024-07-20", tz="UTC")
    with pytest.raises(yahoo.YahooFetchError, match="two bars for 2024-07-16") as caught:
        yahoo.check_raw_chart(chart([OPEN - 86400, OPEN, OPEN + 3600]), "^RUT", now)
    assert caught.value.kind == "payload" and not caught.value.retryable
    assert yahoo.check_raw_chart(chart([OPEN - 86400, OPEN]), "^RUT", now) is None


def test_the_live_session_may_come_twice_and_is_named() -> None:
    during = pd.Timestamp(OPEN + 3600, unit="s", tz="UTC")
    day = yahoo.check_raw_chart(chart([OPEN - 86400, OPEN, OPEN + 3600],
                                      live=(OPEN, OPEN + 23400)), "^RUT", during)
    assert day == dt.date(2024, 7, 16)
    after = pd.Timestamp(OPEN + 30000, unit="s", tz="UTC")  # the session has closed
    with pytest.raises(yahoo.YahooFetchError, match="two bars for 2024-07-16"):
        yahoo.check_raw_chart(chart([OPEN, OPEN + 3600], live=(OPEN, OPEN + 23400)),
                              "^RUT", after)


# -- the server's port -------------------------------------------------------------------------------

@pytest.mark.parametrize("port", [65536, -1, 70000, 1.5, True, "8750"])
def test_a_port_out_of_range_is_refused_naming_it(port) -> None:
    with pytest.raises(BadArgument, match="--port: .* is not a port"):
        service.listen("127.0.0.1", port)


def test_the_cli_refuses_port_65536_in_one_line(capsys) -> None:
    assert cli.main(["serve", "--port", "65536"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "65536" in err and "Traceback" not in err


# -- survivors of the mutation run (benchmarks/mutation.py) ------------------------------------

@pytest.mark.parametrize("day", [np.datetime64(AS_OF), np.datetime64(AS_OF, "D"),
                                 np.datetime64(f"{AS_OF}T00:00:00")])
def test_a_numpy_date_is_that_day(reference_store, day) -> None:
    assert smallcap.price("^RUT", day, store=reference_store) == smallcap.price(
        "^RUT", AS_OF, store=reference_store)


@pytest.mark.parametrize("day,ok", [(np.datetime64("0001-01-01"), True),
                                    (np.datetime64("9999-12-31"), True),
                                    (np.datetime64("0000-12-31"), False),
                                    (np.datetime64("10000-01-01"), False)])
def test_numpy_dates_from_year_1_to_9999_only(day, ok) -> None:
    from smallcap import params

    if ok:
        assert params.to_date(params.date(day, "as_of")) == dt.date.fromisoformat(
            str(day).zfill(10))
    else:
        with pytest.raises(BadArgument, match="is not a date from year 1 to 9999"):
            params.date(day, "as_of")


@pytest.mark.parametrize("text,fraction", [("1.5%", 0.015), ("-2%", -0.02), ("-0.5", -0.5),
                                           (" -0.25% ", -0.0025), ("0.999", 0.999)])
def test_a_threshold_as_text_is_read_whole(text, fraction) -> None:
    from smallcap import params

    assert params.threshold(text) == pytest.approx(fraction, rel=1e-12)


@pytest.mark.parametrize("value", [np.float64(-0.01), -0.99, np.int64(0), "-0.999"])
def test_negative_thresholds_down_to_minus_one_are_fractions(value) -> None:
    from smallcap import params

    assert params.threshold(value) == float(value)


@pytest.mark.parametrize("value", [-1, "-1", "-100%", 1, "100%", np.float64(-1.0)])
def test_a_threshold_of_one_or_minus_one_is_refused(value) -> None:
    from smallcap import params

    with pytest.raises(BadArgument, match="between -1 and 1"):
        params.threshold(value)


def test_excel_serials_run_from_1_to_the_last_day_of_9999() -> None:
    from smallcap import params

    assert params.to_date(params.date(2958465, "as_of")) == dt.date(9999, 12, 31)
    assert params.to_date(params.date(2958465.5, "as_of")) == dt.date(9999, 12, 31)
    assert params.date(1, "as_of") == params.date(2, "as_of") - 1
    for value in (2958466, 0.99, 0, -1):
        with pytest.raises(BadArgument, match="is not an Excel date serial number"):
            params.date(value, "as_of")


@pytest.mark.parametrize("value", [AS_OF, serial(AS_OF), int(serial(AS_OF)),
                                   np.datetime64(AS_OF), pd.Timestamp(AS_OF)])
def test_a_calendar_date_argument_is_a_date(value) -> None:
    from smallcap import params

    got = params.calendar_date(value, "start")
    assert isinstance(got, dt.date) and pd.Timestamp(got) == pd.Timestamp(AS_OF)
    if not isinstance(value, pd.Timestamp):
        assert type(got) is dt.date


def test_a_datetime_as_of_is_its_day(reference_store) -> None:
    from smallcap import params

    moment = dt.datetime(2024, 7, 16, 15, 30)
    assert params.optional_date(moment, "as_of") == params.optional_date(AS_OF, "as_of")
    assert smallcap.price("^RUT", moment, store=reference_store) == smallcap.price(
        "^RUT", AS_OF, store=reference_store)


def test_the_declarations_cannot_be_changed_by_an_adapter() -> None:
    fn = catalogue.find("streak_count")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fn.arguments[0].default = 7
    with pytest.raises(dataclasses.FrozenInstanceError):
        fn.result = "table"
    assert len({*fn.arguments}) == len(fn.arguments)  # hashable: usable as keys


@pytest.mark.parametrize("title", ["STREAK_COUNT", "streak_count", None])
def test_an_argument_given_twice_names_the_function_as_called(title) -> None:
    fn = catalogue.find("streak_count")
    with pytest.raises(BadArgument) as caught:
        fn.bind([5], {"length": 6}, title)
    assert caught.value.message == f"length: {title or 'streak_count'} got 'length' twice"
    with pytest.raises(BadArgument, match=f"^{title or 'streak_count'}: takes at most 5"):
        fn.bind([1, 2, 3, 4, 5, 6], {}, title)
    with pytest.raises(BadArgument, match=f"{title or 'streak_count'} has no argument 'x'"):
        fn.bind([], {"x": 1}, title)


def test_call_names_the_spelling_used(reference_store) -> None:
    excel = catalogue.find("streak_count").excel[0]
    with pytest.raises(BadArgument, match=f"length: {excel} got 'length' twice"):
        service.call(excel, ["5"], {"length": "6"}, store=reference_store)


@pytest.mark.parametrize("window,text", [(21, "21"), ("63", "63"), ("1m", "1M"),
                                         ("YTD", "YTD")])
def test_a_window_reads_as_it_was_meant(window, text) -> None:
    from smallcap import params

    assert str(params.window(window)) == text


def test_the_wizard_help_states_each_default() -> None:
    arguments = {a.name: a for a in catalogue.find("window_return").arguments}
    assert arguments["window"].wizard_help.endswith(f'; default "{arguments["window"].default}"')
    assert arguments["ticker"].wizard_help.endswith(f"; default {arguments['ticker'].default}")
    assert arguments["as_of"].default is None
    assert arguments["as_of"].wizard_help.endswith(f"; default {arguments['as_of'].empty}")
    assert "None" not in arguments["as_of"].wizard_help


def test_a_one_element_range_is_not_a_label_a_longer_one_is(reference_store) -> None:
    one = smallcap.streak_count([5], as_of=AS_OF, store=reference_store)
    two = smallcap.streak_count([5, 6], as_of=AS_OF, store=reference_store)
    assert one.index.name is None and list(one.index) == [0]
    assert two.index.name == "length" and list(two.index) == [5, 6]
    assert one.iloc[0] == two.loc[5] == smallcap.streak_count(5, as_of=AS_OF,
                                                              store=reference_store)


def test_a_range_with_a_bad_element_still_takes_the_batch_path(reference_store,
                                                               caplog) -> None:
    before = catalogue.FALLBACKS["window_return"]
    with pytest.warns(ElementWarning, match="bogus"):
        got = smallcap.window_return(["^RUT", "IWM", "^RUT"], ["1M", "bogus", "3M"], AS_OF,
                                     store=reference_store)
    assert catalogue.FALLBACKS["window_return"] == before
    assert "numpy path failed" not in caplog.text
    assert np.isnan(got.iloc[1])
    assert isinstance(got.attrs["errors"][("IWM", "bogus")], BadArgument)
    assert got.iloc[0] == smallcap.window_return("^RUT", "1M", AS_OF, store=reference_store)
    assert got.iloc[2] == smallcap.window_return("^RUT", "3M", AS_OF, store=reference_store)


def test_status_names_the_source_of_the_last_refresh(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    store.write("IWM", fetched(DAYS, [100.0, 101.0, 102.0], [98.0, 99.0, 100.0]), "csv")
    store.write("IWM", fetched(["2024-07-18"], [103.0], [101.0]), "yahoo")
    status = store.status("IWM")
    store.close()
    assert status["source"] == "yahoo" and status["rows"] == 4
    assert isinstance(status["refreshed_at"], dt.datetime)


def sqlite_error(sql_or_uri: str) -> Exception:
    import sqlite3

    try:
        if sql_or_uri.startswith("file:"):
            sqlite3.connect(sql_or_uri, uri=True)
        else:
            sqlite3.connect(":memory:").execute(sql_or_uri)
    except sqlite3.Error as exc:
        return exc
    raise AssertionError("no error")


def test_an_sqlite_fault_is_one_line_saying_what_to_do(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    cannot_open = sqlite_error(f"file:{tmp_path}/no/such/folder/x.sqlite?mode=ro")
    assert cannot_open.sqlite_errorcode & 0xFF == 14  # SQLITE_CANTOPEN
    for doing, can in (("read", "be read"), ("write", "be written")):
        message = store._fault(cannot_open, doing).message
        assert message.startswith(f"cannot open the store at {store.path} (")
        assert message.endswith(f"check that the file and its folder exist and can {can}")
    other = sqlite_error("SELECT * FROM no_such_table")
    message = store._fault(other, "write").message
    assert message == f"cannot write the store at {store.path}: no such table: no_such_table"


def test_a_time_in_a_date_is_refused_naming_the_first(empty_store) -> None:
    days = pd.to_datetime(["2024-07-15 00:00", "2024-07-16 09:30", "2024-07-17 10:00"])
    rows = pd.DataFrame({"date": days, "close": [1.0, 2.0, 3.0]})
    with pytest.raises(ImplausibleData, match="IWM: 2024-07-16 09:30:00 is not a whole day"):
        empty_store.write("IWM", rows, "csv")


@pytest.mark.parametrize("stored", ["20240718", "2024-7-18", "2024-07-18T00:00"])
def test_a_stored_date_not_written_yyyy_mm_dd_is_a_damaged_store(tmp_path, stored) -> None:
    import sqlite3

    from smallcap.store import StoreError

    store = Store(tmp_path / "s.sqlite")
    store.write("IWM", fetched(DAYS, [100.0, 101.0, 102.0], [98.0, 99.0, 100.0]), "csv")
    store.close()
    with sqlite3.connect(tmp_path / "s.sqlite") as conn:  # written behind the store's back
        conn.execute("UPDATE prices SET date = ? WHERE date = '2024-07-17'", (stored,))
    conn.close()
    store = Store(tmp_path / "s.sqlite")
    with pytest.raises(StoreError, match=f"a stored date of IWM: '{stored}' is not a "
                                         "YYYY-MM-DD date"):
        store.last_date("IWM")
    store.close()


def test_a_write_shows_its_check_every_stored_row_it_overwrites(tmp_path) -> None:
    store = Store(tmp_path / "s.sqlite")
    days = ["2024-07-12", *DAYS, "2024-07-18"]
    store.write("IWM", fetched(days, [99.0, 100.0, 101.0, 102.0, 103.0],
                               [97.0, 98.0, 99.0, 100.0, 101.0]), "csv")
    seen = []
    store.write("IWM", fetched(DAYS, [100.0, 101.0, 102.0], [98.0, 99.0, 100.0]), "yahoo",
                check=seen.append)
    store.close()
    assert [d.isoformat() for d in seen[0].index.date] == DAYS
    assert seen[0]["close"].tolist() == [100.0, 101.0, 102.0]


def test_retry_waits_double_up_to_the_cap() -> None:
    settings = dataclasses.replace(yahoo.YahooSettings.from_env(), backoff=0.5,
                                   backoff_max=3.0)
    assert [settings.wait(a) for a in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
