"""A tampered store (issue 17, case 16): a price written behind smallcap's back that is
not a number > 0 is a damaged-store StoreError naming the ticker and the day, like a bad
date; no answer is computed from it and no RuntimeWarning (with a source path) reaches a
user. Reads never write: the tampered file stays byte-identical."""

from __future__ import annotations

import sqlite3
import warnings
from pathlib import Path

import pytest

import smallcap
from smallcap import cli
from smallcap.errors import StoreError
from smallcap.store import Store

DAY = "2024-07-15"


@pytest.fixture()
def tampered(tmp_path: Path, shared_data: Path):
    """A store holding SPY, and a function writing one row's prices behind our back."""
    path = tmp_path / "spy.sqlite"
    store = Store(path)
    smallcap.load_csv("SPY", shared_data / "SPY.csv", store=store)
    store.close()

    def tamper(close: object, adj: object, day: str = DAY) -> None:
        conn = sqlite3.connect(path)
        conn.execute("UPDATE prices SET close = ?, adj_close = ? WHERE ticker = 'SPY' AND "
                     "date = ?", (close, adj, day))
        conn.commit()
        conn.close()

    return path, tamper


def snapshot(path: Path) -> bytes:
    """The store file (SQLite may leave its empty -wal and -shm side files beside it)."""
    return path.read_bytes()


@pytest.mark.parametrize(("close", "adj"), [(-5.0, 550.0), (550.0, 0.0), (0.0, 0.0),
                                            (550.0, 1e300), (550.0, -1e-9)])
def test_a_stored_price_that_is_no_price_is_a_damaged_store(tampered, close, adj):
    path, tamper = tampered
    tamper(close, adj)
    before = snapshot(path)
    calls = [
        lambda store: smallcap.price("SPY", "2024-07-16", store=store),
        lambda store: smallcap.window_return("SPY", "1M", "2024-07-16", store=store),
        lambda store: smallcap.streak_length(0.01, "SPY", store=store),
        lambda store: smallcap.rotation_spread("1M", "SPY", "SPY", store=store),
    ]
    for call in calls:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # a numpy warning fails the test
            with pytest.raises(StoreError) as caught:
                call(Store(path))
        message = caught.value.message
        assert "is damaged" in message and f"SPY on {DAY}" in message and "\n" not in message
        assert f"{close!r}" in message and f"{adj!r}" in message
    assert snapshot(path) == before


def test_the_command_line_says_so_in_one_line_without_a_warning(tampered, capfd):
    path, tamper = tampered
    tamper(-5.0, 550.0)
    code = cli.main(["--store", str(path), "call", "window_return", "SPY", "1M", "2024-07-16"])
    _, err = capfd.readouterr()
    assert code == 2 and err.count("\n") == 1 and f"SPY on {DAY}" in err
    assert "Warning" not in err and ".py" not in err


def test_a_replace_from_the_file_repairs_it(tampered, shared_data):
    path, tamper = tampered
    tamper(550.0, 0.0)
    store = Store(path)
    with pytest.raises(StoreError):
        smallcap.price("SPY", DAY, store=store)
    smallcap.load_csv("SPY", shared_data / "SPY.csv", store=store, replace=True)
    assert smallcap.price("SPY", DAY, store=store) > 0


def test_a_good_store_reads_without_a_warning(tampered):
    path, _ = tampered
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert smallcap.window_return("SPY", "1M", "2024-07-16", store=Store(path)) > 0
