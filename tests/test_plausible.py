"""Plausibility on every write path: the rules (smallcap.analytics.plausible), the store's
write, load-csv and load-dir. Every refused write leaves the stored rows byte-identical
(a dump of ``SELECT * FROM prices`` before and after)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import stored_rows as prices

from smallcap import api
from smallcap.analytics import plausible
from smallcap.cli import main
from smallcap.errors import ImplausibleData, SourceError
from smallcap.store import Store

LIMITS = plausible.Limits(tolerance=0.001)



def rows(start: str, values: list[float], adj: list[float] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"date": pd.bdate_range(start, periods=len(values)), "close": values})
    if adj is not None:
        frame["adj_close"] = adj
    return frame


@pytest.fixture
def held(empty_store: Store) -> Store:
    """^RUT on ten business days from 2024-01-01, closes 100 ... 109."""
    empty_store.write("^RUT", rows("2024-01-01", [100.0 + i for i in range(10)]), "t")
    return empty_store


def write_csv(folder: Path, name: str, lines: list[str]) -> Path:
    path = folder / name
    path.write_text("Date,Close\n" + "".join(f"{line}\n" for line in lines))
    return path


# -- the rules ---------------------------------------------------------------------------------


def test_price_and_year_masks() -> None:
    values = np.array([1.0, 0.0, -1.0, math.inf, math.nan, 1e-300, 1e308, 1e-6, 1e9])
    assert plausible.bad_prices(values).tolist() == [
        False, True, True, True, True, True, True, False, False]
    days = np.array(["1899-12-31", "1900-01-01", "2100-12-31", "2101-01-01"],
                    dtype="datetime64[D]")
    assert plausible.bad_years(days).tolist() == [True, False, False, True]


@pytest.mark.parametrize("old,new,match", [
    ([100.0] * 6, [101.0] * 6, r"would revise 6 stored close\(s\) by more than 0.1% "
                               r"\(at most 5 may be\), first 2024-01-01: 100 -> 101 \(\+1.0%\)"),
    ([100.0, 200.0], [100.0, 250.0], r"would move 1 stored close\(s\) by more than 20%, first "
                                     r"2024-01-02: 200 -> 250 \(\+25.0%\)"),
    ([100.0, 0.0], [100.0, 5.0], r"first 2024-01-02: 0 -> 5 \(was 0\)"),
])
def test_revisions_beyond_the_limits_are_named(old, new, match) -> None:
    days = [str(d.date()) for d in pd.bdate_range("2024-01-01", periods=len(old))]
    with pytest.raises(ImplausibleData, match=match) as caught:
        plausible.check_revisions("^RUT", days, np.array(old), np.array(new), LIMITS)
    assert caught.value.message.startswith("^RUT: ") and "\n" not in caught.value.message


def test_revisions_within_the_limits_pass() -> None:
    days = [str(d.date()) for d in pd.bdate_range("2024-01-01", periods=8)]
    old = np.array([100.0] * 5 + [math.nan] * 3)  # three new days: not revisions
    plausible.check_revisions("^RUT", days, old, np.array([119.0] * 8), LIMITS)  # 5 at +19%
    tiny = np.full(8, 100.0)
    plausible.check_revisions("^RUT", days, tiny, tiny * 1.0009, LIMITS)  # under 0.1%


@pytest.mark.parametrize("factor", [0.0, -1.0, 1e-9, 0.49, 1.51, math.inf, math.nan])
def test_a_rescale_outside_the_band_is_refused(factor: float) -> None:
    with pytest.raises(ImplausibleData, match=rf"IWM: the adjusted close of 2024-07-16 implies "
                       rf"rescaling the stored adjusted closes by a factor of {factor:.6g}, "
                       r"outside 0.5 to 1.5; nothing stored"):
        plausible.check_rescale("IWM", factor, dt.date(2024, 7, 16))


@pytest.mark.parametrize("factor", [0.5, 0.97, 1.0, 1.5])
def test_a_rescale_inside_the_band_passes(factor: float) -> None:
    plausible.check_rescale("IWM", factor, dt.date(2024, 7, 16))


# -- Store.write: every row, every writer ---------------------------------------------------------


@pytest.mark.parametrize("bad,match", [
    (rows("2024-01-02", [100.0, 0.0]), r"no valid close \(first 2024-01-03: close 0, adjusted "
                                       r"close 0\); a close must be a number from 1e-06 to 1e\+09"),
    (rows("2024-01-02", [-1.0]), r"first 2024-01-02: close -1"),
    (rows("2024-01-02", [1.0], adj=[0.0]), r"first 2024-01-02: close 1, adjusted close 0"),
    (rows("2024-01-02", [math.inf]), "close inf"),
    (rows("2024-01-02", [math.nan]), "close nan"),
    (pd.DataFrame({"date": ["2024-07-16junk"], "close": [1.0]}),
     r"'2024-07-16junk' is not a date \(expected YYYY-MM-DD\)"),
    (pd.DataFrame({"date": ["2024-07-161"], "close": [1.0]}), "'2024-07-161' is not a date"),
    (pd.DataFrame({"date": ["2024-07-16 10:30"], "close": [1.0]}), "is not a date"),
    (pd.DataFrame({"date": [pd.Timestamp("2024-07-16 10:30")], "close": [1.0]}),
     "2024-07-16 10:30:00 is not a whole day"),
    (pd.DataFrame({"date": ["0001-01-01"], "close": [1.0]}), r"outside years 1900 to 2100"),
    (pd.DataFrame({"date": ["9999-12-31"], "close": [1.0]}), r"first 9999-12-31"),
    (pd.DataFrame({"date": [dt.date(1899, 12, 29)], "close": [1.0]}), "outside years"),
    (pd.DataFrame({"date": [pd.NaT], "close": [1.0]}), r"1 row\(s\) have no date"),
    (pd.DataFrame({"date": [20240716], "close": [1.0]}), "numbers, not dates"),
])
def test_implausible_rows_are_refused_by_every_write(held: Store, bad: pd.DataFrame,
                                                     match: str) -> None:
    before = prices(held.path)
    with pytest.raises(SourceError, match=match) as caught:
        held.write("^RUT", bad, "t")
    assert caught.value.message.startswith("^RUT: ") and "\n" not in caught.value.message
    assert prices(held.path) == before


def test_the_write_refuses_a_revision_beyond_the_limits_before_writing(held: Store) -> None:
    before = prices(held.path)
    version = held.version()
    log = len(held.refresh_log())
    many = rows("2024-01-01", [110.0 + i for i in range(12)])  # 10 revised by ~10%, 2 new
    with pytest.raises(ImplausibleData, match=r"would revise 10 stored close\(s\)"):
        held.write("^RUT", many, "t", limits=LIMITS)
    lone = rows("2024-01-12", [109.0 * 0.75, 200.0])  # one close -25%, one new day
    with pytest.raises(ImplausibleData, match=r"would move 1 stored close\(s\) by more than 20%, "
                                              r"first 2024-01-12: 109 -> 81.75 \(-25.0%\)"):
        held.write("^RUT", lone, "t", limits=LIMITS)
    assert prices(held.path) == before
    assert held.version() == version and len(held.refresh_log()) == log


def test_replace_or_an_explanation_lets_a_revision_through(held: Store) -> None:
    doubled = rows("2024-01-01", [200.0 + 2 * i for i in range(10)])
    result = held.write("^RUT", doubled, "split", limits=LIMITS, explained_by="a 2:1 split")
    assert len(result.revised) == 10
    assert held.refresh_log()["message"].iloc[0] == "revisions explained by a 2:1 split"
    back = rows("2024-01-01", [100.0 + i for i in range(10)])
    replaced = held.write("^RUT", back, "t", limits=LIMITS, replace=True)
    assert (replaced.added, len(replaced.revised), replaced.removed) == (0, 10, 0)  # counted
    assert [r[2] for r in prices(held.path)] == [100.0 + i for i in range(10)]


def test_small_revisions_and_new_days_pass_the_limits(held: Store) -> None:
    update = rows("2024-01-10", [107.5, 108.5, 109.5, 110.0, 111.0])  # 3 revised, 2 new
    result = held.write("^RUT", update, "t", limits=LIMITS)
    assert result.added == 2 and len(result.revised) == 3


# -- load-csv and load-dir ------------------------------------------------------------------------


def test_load_csv_of_the_wrong_file_is_refused_and_replace_takes_it(
        shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    store = tmp_path / "s.sqlite"
    assert main(["--store", str(store), "load-csv", "^RUT", str(shared_data / "RUT.csv")]) == 0
    capsys.readouterr()
    before = prices(store)
    assert main(["--store", str(store), "load-csv", "^RUT", str(shared_data / "IWM.csv")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == (
        "error: ^RUT: would revise 6473 stored close(s) by more than 0.1% (at most 5 may be)"
        ", first 2000-05-26: 457.37 -> 32.9291 (-92.8%); nothing stored; if IWM.csv is right "
        "for ^RUT, load it with --replace\n")
    assert prices(store) == before
    code = main(["--store", str(store), "load-csv", "^RUT", str(shared_data / "IWM.csv"),
                 "--replace"])
    out = capsys.readouterr().out  # every ^RUT day the file lacks is counted as removed
    assert code == 0 and out.startswith("^RUT: 0 rows added, 6473 revised (6473 by more than")
    assert "), 3213 removed; rows changed 1987-09-10 to 2026-02-23; file covers" in out
    assert len(prices(store)) == 6473


def test_a_csv_close_of_zero_is_refused(held: Store, tmp_path: Path) -> None:
    before = prices(held.path)
    path = write_csv(tmp_path, "zero.csv", ["2024-01-15,110", "2024-01-16,0"])
    with pytest.raises(ImplausibleData, match=r"zero.csv, line 3: Close '0' is not a number > 0"):
        api.load_csv("^RUT", path, store=held)
    assert prices(held.path) == before


def test_accepted_revisions_print_one_line(held: Store, tmp_path: Path,
                                           capsys: pytest.CaptureFixture) -> None:
    path = write_csv(tmp_path, "r.csv", ["2024-01-11,108.5", "2024-01-12,109", "2024-01-15,110"])
    assert main(["--store", str(held.path), "load-csv", "^RUT", str(path)]) == 0
    assert capsys.readouterr().out == (
        "^RUT: 1 rows added, 1 revised (1 by more than 0.1%, first 2024-01-11: 108 -> 108.5), "
        "0 removed; rows changed 2024-01-11 to 2024-01-15; file covers 2024-01-11 to "
        "2024-01-15\n")


def test_load_dir_loads_what_is_valid_and_names_each_refused_file(
        held: Store, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    write_csv(folder, "IWM.CSV", ["2024-01-02,50", "2024-01-03,51"])  # upper-case suffix
    write_csv(folder, "spy.csv", ["2024-01-02,400"])
    write_csv(folder, "QQQ.csv", ["2024-01-02,400", "2024-01-03,0"])  # a close of 0
    write_csv(folder, "RUT.csv", [f"2024-01-{d:02},{500 + d}" for d in range(1, 13)])  # wrong
    write_csv(folder, "bad name.csv", ["2024-01-02,1"])  # not a ticker
    (folder / "dir.csv").mkdir()  # not a file
    (folder / "notes.txt").write_text("not a CSV")
    rut = [r for r in prices(held.path) if r[0] == "^RUT"]
    assert main(["--store", str(held.path), "load-dir", str(folder)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "IWM: 2 rows added, 0 revised, 0 removed; rows changed 2024-01-02 to 2024-01-03; "
        "file covers 2024-01-02 to 2024-01-03",
        "SPY: 1 rows added, 0 revised, 0 removed; rows changed 2024-01-02 to 2024-01-02; "
        "file covers 2024-01-02 to 2024-01-02"]
    refused = err.splitlines()
    assert [line.split(":")[0] for line in refused] == [
        "refused QQQ.csv", "refused RUT.csv", "refused bad name.csv", "refused dir.csv",
        "error"]
    assert "line 3: Close '0' is not a number > 0" in refused[0]
    assert "^RUT: would revise" in refused[1]
    assert "is not a ticker symbol" in refused[2]
    assert "is a folder, not a file" in refused[3]
    assert refused[4] == ("error: refused QQQ.csv, RUT.csv, bad name.csv, dir.csv; loaded 2 "
                          "of 6 file(s)")
    stored = prices(held.path)
    assert [r for r in stored if r[0] == "^RUT"] == rut
    assert {r[0] for r in stored} == {"^RUT", "IWM", "SPY"}


def test_load_dir_of_a_folder_without_csv_files(tmp_path: Path,
                                                capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "notes.txt").write_text("x")
    assert main(["--store", str(tmp_path / "s.sqlite"), "load-dir", str(tmp_path)]) == 2
    assert "holds no .csv file" in capsys.readouterr().err
    assert main(["--store", str(tmp_path / "s.sqlite"), "load-dir",
                 str(tmp_path / "notes.txt")]) == 2
    assert "is not a folder" in capsys.readouterr().err


# -- what a revision means (smallcap.analytics.revisions): splits and dividends ------------------

from smallcap.analytics import revisions  # noqa: E402
from smallcap.analytics.revisions import Split  # noqa: E402


def stored_frame(start: str, values: list[float], adj: list[float] | None = None) -> pd.DataFrame:
    """Stored rows as Store.frame gives them: indexed by date, close and adj_close."""
    index = pd.DatetimeIndex(pd.bdate_range(start, periods=len(values)), name="date")
    return pd.DataFrame({"close": values, "adj_close": adj if adj is not None else values},
                        index=index)


def fetched_rows(start: str, values: list[float], adj: list[float] | None = None) -> pd.DataFrame:
    frame = rows(start, values, adj if adj is not None else values)
    frame["date"] = frame["date"].to_numpy().astype("datetime64[D]")
    return frame


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def test_common_ratio_is_every_close_moved_by_one_ratio() -> None:
    old = np.array([100.0, 200.0, 50.0])
    assert plausible.common_ratio(old, old / 2, 0.001) == pytest.approx(0.5)
    assert plausible.common_ratio(old, old * 1.0005, 0.001) is None  # within the tolerance
    assert plausible.common_ratio(old, old * [0.5, 0.5, 1.0], 0.001) is None  # not all
    assert plausible.common_ratio(old, old * [0.5, 0.5, 0.52], 0.001) is None  # not one ratio
    assert plausible.common_ratio(old[:1], old[:1] / 2, 0.001) is None  # one close: a revision
    assert plausible.common_ratio(np.array([0.0, 1.0]), np.array([1.0, 2.0]), 0.001) is None


def test_check_revisions_compares_after_what_a_split_explains() -> None:
    days = [str(d.date()) for d in pd.bdate_range("2024-01-01", periods=6)]
    old = np.full(6, 100.0)
    plausible.check_revisions("IWM", days, old, old / 2, LIMITS, scale=np.full(6, 2.0))
    with pytest.raises(ImplausibleData, match=r"^IWM: would revise 6 stored close\(s\) by more "
                       r"than 0.1% \(at most 5 may be\), first 2024-01-01: 100 -> 50 \(-50.0%\), "
                       r"after a note; nothing stored$"):
        plausible.check_revisions("IWM", days, old, old / 2, LIMITS, scale=np.full(6, 1.5),
                                  note="after a note")


def test_a_uniform_revision_nothing_explains_is_refused_with_one_line() -> None:
    days = ["2024-01-01", "2024-01-02"]
    with pytest.raises(ImplausibleData) as caught:
        plausible.refuse_uniform("IWM", days, np.array([100.0, 110.0]),
                                 np.array([101.0, 111.1]), 1.01, LIMITS, "that nothing explains")
    assert caught.value.message == (
        "IWM: would revise all 2 overlapping stored closes by one ratio, 1.01, that nothing "
        "explains, first 2024-01-01: 100 -> 101 (+1.0%); nothing stored")


def test_a_split_after_the_last_check_means_a_whole_history() -> None:
    stored = stored_frame("2024-01-01", [100.0, 101.0, 102.0])
    fetched = fetched_rows("2024-01-01", [100.0, 101.0, 102.0, 51.5])
    split = Split(day("2024-01-04"), 2.0, 1.0)
    meaning = revisions.judge_overlap("IWM", stored, fetched, [split], day("2024-01-03"), LIMITS)
    assert meaning.kind == "split" and meaning.splits == (split,)
    # recorded already (checked through its day), and the overlap agrees: nothing to do
    assert revisions.judge_overlap("IWM", stored, fetched, [split], day("2024-01-04"),
                                   LIMITS) == revisions.PLAIN
    # recorded, but every overlapping close moved by its ratio (Yahoo adjusted late): a split
    halved = fetched_rows("2024-01-01", [50.0, 50.5, 51.0])
    meaning = revisions.judge_overlap("IWM", stored, halved, [split], day("2024-01-04"), LIMITS)
    assert meaning.kind == "split" and meaning.splits == (split,)
    with pytest.raises(ImplausibleData, match="that no split Yahoo reports explains"):
        revisions.judge_overlap("IWM", stored, halved, [], day("2024-01-04"), LIMITS)


def test_a_dividend_rescale_is_decided_in_the_same_place() -> None:
    stored = stored_frame("2024-01-01", [100.0, 101.0], adj=[90.0, 90.9])
    moved = fetched_rows("2024-01-01", [100.0, 101.0, 102.0], adj=[88.2, 89.082, 90.0])
    meaning = revisions.judge_overlap("IWM", stored, moved, [], None, LIMITS)
    assert meaning.kind == "rescale" and meaning.day == day("2024-01-01")
    assert meaning.factor == pytest.approx(0.98)
    zero = fetched_rows("2024-01-01", [100.0, 101.0], adj=[1e-9, 1e-9])
    with pytest.raises(ImplausibleData, match=r"factor of 1.11111e-11, outside 0.5 to 1.5"):
        revisions.judge_overlap("IWM", stored, zero, [], None, LIMITS)


def test_a_whole_history_is_explained_stretch_by_stretch() -> None:
    # stored before two splits (2:1 on Jan 3, 3:1 on Jan 5), each close as traded that day;
    # Yahoo's history after both
    stored = stored_frame("2024-01-01", [600.0, 606.0, 306.0, 309.0, 104.0])
    fetched = fetched_rows("2024-01-01", [100.0, 101.0, 102.0, 103.0, 104.0, 105.0])
    first, second = Split(day("2024-01-03"), 2.0, 1.0), Split(day("2024-01-05"), 3.0, 1.0)
    meaning = revisions.judge_history("IWM", stored, fetched, [second, first], None, LIMITS)
    assert meaning.kind == "split" and meaning.splits == (first, second)
    assert meaning.revised == 0 and revisions.describe(meaning.splits) == (
        "splits on 2024-01-03 (2:1), 2024-01-05 (3:1)")
    # stored after the first split already: only the second explains a move
    stored = stored_frame("2024-01-01", [300.0, 303.0, 306.0, 309.0])
    meaning = revisions.judge_history("IWM", stored, fetched, [first, second], None, LIMITS)
    assert meaning.splits == (second,)
    # the same history with no split reported is refused
    with pytest.raises(ImplausibleData, match="with no split Yahoo reports to explain them"):
        revisions.judge_history("IWM", stored, fetched, [], None,
                                plausible.Limits(tolerance=0.001, max_revised=3))


def test_a_whole_history_must_keep_the_stored_days() -> None:
    stored = stored_frame("2024-01-01", [100.0 + i for i in range(8)])
    fetched = fetched_rows("2024-01-09", [100.0, 101.0])  # lacks the 6 days before
    with pytest.raises(ImplausibleData, match=r"^IWM: Yahoo's whole history lacks 6 stored "
                       r"day\(s\), first 2024-01-01 \(close 100\); nothing stored$"):
        revisions.judge_history("IWM", stored, fetched, [], None, LIMITS)


def test_a_whole_history_with_a_step_at_a_reported_split_is_refused() -> None:
    fetched = fetched_rows("2024-01-01", [100.0, 101.0, 50.5, 51.0])  # not adjusted before
    split = Split(day("2024-01-03"), 2.0, 1.0)
    with pytest.raises(ImplausibleData, match=r"^IWM: Yahoo reports a split on 2024-01-03 "
                       r"\(2:1\) but its history is not adjusted for it \(close 2024-01-02: "
                       r"101, 2024-01-03: 50.5, -50.0%\); nothing stored; try again later$"):
        revisions.judge_history("IWM", stored_frame("2024-01-01", [100.0]), fetched, [split],
                                None, LIMITS)
    # recorded as checked already: not looked at again
    revisions.judge_history("IWM", stored_frame("2024-01-01", [100.0]), fetched, [split],
                            day("2024-01-03"), LIMITS)
