"""Hostile Python arguments (issue 17, cases 6 and 15): every public function refuses a
wrong argument type with BadArgument (a wrong keyword: TypeError), never a pathlib or
numpy error; a boolean accepts only booleans; a store path is a file, never a folder; a
ticker given as text is one ticker. The store is byte-identical after every refusal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import stored_rows

import smallcap
from smallcap import analytics, api, cli
from smallcap.errors import BadArgument, StoreError
from smallcap.store import Store, open_store


@pytest.fixture()
def iwm(tmp_path: Path, shared_data: Path) -> Store:
    store = Store(tmp_path / "iwm.sqlite")
    smallcap.load_csv("IWM", shared_data / "IWM.csv", store=store)
    store.close()
    return store


def same_bytes(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in path.parent.glob(path.name + "*")}


@pytest.mark.parametrize("flag", ["false", "False", "", 0, 1, None, "yes", np.int64(0), [False]])
def test_replace_accepts_only_a_boolean(iwm, shared_data, flag):
    before = same_bytes(iwm.path)
    with pytest.raises(BadArgument, match=r"^replace: expected True or False, got "):
        smallcap.load_csv("IWM", shared_data / "IWM.csv", store=iwm, replace=flag)
    assert same_bytes(iwm.path) == before


def test_replace_takes_true_false_and_numpy_booleans(iwm, shared_data, tmp_path):
    part = tmp_path / "IWM.csv"
    part.write_text((shared_data / "IWM.csv").read_text().splitlines()[0] + "\n" +
                    "\n".join((shared_data / "IWM.csv").read_text().splitlines()[-10:]) + "\n")
    stored = len(stored_rows(iwm.path))
    assert smallcap.load_csv("IWM", part, store=iwm, replace=np.bool_(False)).removed == 0
    assert smallcap.load_csv("IWM", part, store=iwm, replace=True).removed == stored - 10
    assert len(stored_rows(iwm.path)) == 10


def test_the_command_line_takes_only_the_flag(iwm, shared_data, capsys):
    before = same_bytes(iwm.path)
    for argv in (["--replace=false"], ["--replace", "false"]):
        code = cli.main(["--store", str(iwm.path), "load-csv", "IWM", str(shared_data / "IWM.csv"),
                         *argv])
        assert code == 2 and capsys.readouterr().err.count("\n") == 1
    assert same_bytes(iwm.path) == before


@pytest.mark.parametrize("path", [0, b"IWM.csv", None, ["IWM.csv"], 3.5, np.int64(7)])
def test_load_csv_refuses_a_path_that_is_not_text_or_a_path(iwm, path):
    before = same_bytes(iwm.path)
    with pytest.raises(BadArgument, match=r"^path: expected a file path \(text or pathlib.Path\)"):
        smallcap.load_csv("ZZA", path, store=iwm)
    assert same_bytes(iwm.path) == before


def test_a_list_of_one_path_is_refused(iwm, shared_data):
    with pytest.raises(BadArgument, match="got list"):
        smallcap.load_csv("IWM", [shared_data / "IWM.csv"], store=iwm)


@pytest.mark.parametrize("store", [b"iwm.sqlite", 5, ["iwm.sqlite"], 2.0])
def test_a_store_that_is_not_a_path_is_refused_everywhere(shared_data, store):
    calls = [
        lambda: smallcap.price("IWM", store=store),
        lambda: smallcap.window_return(["IWM", "SPY"], store=store),
        lambda: smallcap.load_csv("IWM", shared_data / "IWM.csv", store=store),
        lambda: api.data_table(["IWM"], store=store),
        lambda: smallcap.use_store(store),
        lambda: open_store(store),
        lambda: Store(store),
        lambda: smallcap.refresh(["IWM"], store=store),
    ]
    for call in calls:
        with pytest.raises(BadArgument, match=r"^store: expected a file path"):
            call()


def test_use_store_refuses_a_folder_and_keeps_the_store_it_had(tmp_path, iwm):
    chosen = smallcap.use_store(iwm.path)
    try:
        with pytest.raises(StoreError, match="it is a folder, not a file"):
            smallcap.use_store(tmp_path)
        assert smallcap.current_store() is chosen
        assert smallcap.price("IWM", "2024-07-16") > 0
    finally:
        smallcap.use_store(None)
    with pytest.raises(StoreError, match="it is a folder, not a file"):
        smallcap.price("IWM", store=tmp_path)


def test_data_table_reads_one_ticker_given_as_text(iwm):
    table = api.data_table("IWM", store=iwm)
    assert list(table.columns) == ["date", "IWM"]
    with pytest.raises(BadArgument, match="^tickers: expected a list of tickers"):
        api.data_table(5, store=iwm)


def test_refresh_refuses_arguments_of_the_wrong_type(iwm):
    before = same_bytes(iwm.path)
    with pytest.raises(BadArgument, match="^tickers: "):
        smallcap.refresh(5, store=iwm)
    with pytest.raises(BadArgument, match="^tickers: "):
        smallcap.refresh(b"IWM", store=iwm)
    with pytest.raises(BadArgument, match="^full: expected True or False"):
        smallcap.refresh(["IWM"], store=iwm, full="false")
    with pytest.raises(BadArgument, match="^show_progress: expected True or False"):
        smallcap.refresh(["IWM"], store=iwm, show_progress=1)
    assert same_bytes(iwm.path) == before


def test_a_wrong_keyword_is_a_type_error(iwm, shared_data):
    with pytest.raises(TypeError):
        smallcap.load_csv("IWM", shared_data / "IWM.csv", store=iwm, replce=True)


@pytest.mark.parametrize("closes", [
    pd.Series(["a", "b"], index=pd.to_datetime(["2024-01-02", "2024-01-03"])),
    pd.Series([1.0, 2.0], index=["x", "y"]),
    pd.Series([1.0, 2.0], index=[1, 2]),
    "abc", None, [1.0, 2.0], np.array([1.0, 2.0]),
])
def test_the_pure_functions_refuse_what_is_not_a_series_of_closes_by_date(closes):
    with pytest.raises(BadArgument, match="^closes: expected"):
        analytics.streak_length(closes, 0.01)


@pytest.mark.parametrize(("path", "expected"), [
    ("IWM\x00.csv", "holds a NUL character"),
    ("~no-such-user-here/s.sqlite", "no such user's home folder"),
])
def test_a_path_that_cannot_be_one_is_a_bad_argument(iwm, shared_data, path, expected):
    calls = [lambda: smallcap.price("IWM", store=path), lambda: smallcap.use_store(path),
             lambda: Store(path)]
    if "\x00" in path:
        calls.append(lambda: smallcap.load_csv("IWM", path, store=iwm))
    for call in calls:
        with pytest.raises(BadArgument, match=expected):
            call()
