"""Per-ticker freshness: a write invalidates only the tickers it wrote; an incremental
write of a cached ticker re-reads just its new rows; an older store file still reads."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import OLD_SCHEMA_TABLES

from smallcap.store import Store


def rows(start: str, values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.bdate_range(start, periods=len(values)), "close": values})


def same(history, path: Path, ticker: str) -> None:
    """``history`` holds exactly what a fresh Store reads for ``ticker``."""
    fresh = Store(path)
    try:
        expected = fresh.history(ticker)
        assert np.array_equal(history.dates, expected.dates)
        assert np.array_equal(history.close, expected.close)
        assert np.array_equal(history.raw_close, expected.raw_close)
    finally:
        fresh.close()


@pytest.fixture()
def two(tmp_path: Path):
    """A reader Store with ^RUT and ^GSPC cached, and a second Store (another writer)."""
    path = tmp_path / "store.sqlite"
    reader, writer = Store(path), Store(path)
    writer.write("^RUT", rows("2024-01-01", [1.0, 2.0, 3.0, 4.0]), "t")
    writer.write("^GSPC", rows("2024-01-01", [10.0, 11.0, 12.0, 13.0]), "t")
    reader.history("^RUT"), reader.history("^GSPC")
    yield reader, writer
    reader.close()
    writer.close()


def test_a_write_of_another_ticker_keeps_the_cached_history(two) -> None:
    reader, writer = two
    rut, gspc = reader.history("^RUT"), reader.history("^GSPC")
    version = reader.version()
    writer.write("^GSPC", rows("2024-01-05", [14.0, 15.0]), "t")
    assert reader.version() > version
    assert reader.history("^RUT") is rut
    fresh = reader.history("^GSPC")
    assert fresh is not gspc and fresh.close.tolist()[-2:] == [14.0, 15.0]
    writer.write("QQQ", rows("2024-01-01", [5.0]), "t")  # a ticker nobody cached
    assert reader.history("^RUT") is rut and reader.history("^GSPC") is fresh


def no_full_reload(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Store, ticker: str) -> None:
        raise AssertionError(f"{ticker} was reloaded in full")

    monkeypatch.setattr(Store, "_load", refuse)


def test_new_rows_of_a_cached_ticker_are_appended(two, monkeypatch) -> None:
    reader, writer = two
    before = reader.history("^RUT")
    writer.write("^RUT", rows("2024-01-04", [4.5, 5.0, 6.0]), "t")  # revises 01-04, adds two
    with monkeypatch.context() as patch:
        no_full_reload(patch)
        after = reader.history("^RUT")
    assert after is not before
    assert after.close.tolist() == [1.0, 2.0, 3.0, 4.5, 5.0, 6.0]
    same(after, reader.path, "^RUT")
    assert reader.history("^RUT") is after


def test_own_write_and_several_writes_between_calls(two, monkeypatch) -> None:
    reader, writer = two
    reader.write("^RUT", rows("2024-01-05", [5.0]), "t")  # this Store's own write
    with monkeypatch.context() as patch:
        no_full_reload(patch)
        assert reader.history("^RUT").close.tolist()[-1] == 5.0
    writer.write("^RUT", rows("2024-01-08", [6.0]), "t")
    writer.write("^RUT", rows("2024-01-02", [2.5, 3.5]), "t")  # two writes: full reload
    history = reader.history("^RUT")
    assert history.close.tolist() == [1.0, 2.5, 3.5, 4.0, 5.0, 6.0]
    same(history, reader.path, "^RUT")


def test_writes_between_version_checks_accumulate(two, monkeypatch) -> None:
    reader, writer = two
    writer.write("^RUT", rows("2024-01-05", [5.0]), "t")
    reader.version()  # sees the write; ^RUT will re-read from 01-05
    writer.write("^RUT", rows("2024-01-03", [3.25]), "t")
    reader.version()  # a second write on top: re-read from 01-03
    with monkeypatch.context() as patch:
        no_full_reload(patch)
        assert reader.history("^RUT").close.tolist() == [1.0, 2.0, 3.25, 4.0, 5.0]
    same(reader.history("^RUT"), reader.path, "^RUT")


def test_a_replace_reloads_the_whole_ticker(two) -> None:
    reader, writer = two
    writer.write("^RUT", rows("2024-02-01", [7.0, 8.0]), "t", replace=True)
    history = reader.history("^RUT")
    assert history.close.tolist() == [7.0, 8.0]
    assert str(history.dates[0]) == "2024-02-01"


def test_a_failed_write_keeps_every_cached_history(two) -> None:
    reader, _ = two
    rut = reader.history("^RUT")

    def fail() -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        reader.write("^RUT", rows("2024-01-05", [9.0]), "t", on_written=fail)
    assert reader.history("^RUT") is rut


WRITER = textwrap.dedent("""
    import sys
    import pandas as pd
    from smallcap.store import Store
    Store(sys.argv[1]).write(sys.argv[2], pd.DataFrame({"date": ["2024-01-05"],
                                                        "close": [float(sys.argv[3])]}), "w")
""")


def test_another_process_writes_one_ticker(two) -> None:
    reader, _ = two
    rut, gspc = reader.history("^RUT"), reader.history("^GSPC")
    subprocess.run([sys.executable, "-c", WRITER, str(reader.path), "^GSPC", "14"],
                   check=True, timeout=120)
    assert reader.history("^RUT") is rut
    assert reader.history("^GSPC") is not gspc
    assert reader.history("^GSPC").close.tolist()[-1] == 14.0


# -- a store written by an older smallcap (no ticker_version, no meta 'tracked') -------------

OLD_SCHEMA = OLD_SCHEMA_TABLES + """
INSERT INTO meta(key, value) VALUES ('version', '7');
INSERT INTO prices VALUES ('^RUT', '2024-01-01', 1.0, 1.0), ('^RUT', '2024-01-02', 2.0, 2.0),
                          ('^GSPC', '2024-01-01', 10.0, 10.0), ('^GSPC', '2024-01-02', 11.0, 11.0);
"""


def old_write(path: Path, ticker: str, date: str, close: float) -> None:
    """What an older smallcap's write did: the row and meta.version, nothing else."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT OR REPLACE INTO prices VALUES (?, ?, ?, ?)", (ticker, date, close, close))
    conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version'")
    conn.execute("COMMIT")
    conn.close()


def test_an_old_store_file_reads_and_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(OLD_SCHEMA)
    conn.close()
    store = Store(path)
    assert store.version() == 7
    assert store.history("^RUT").close.tolist() == [1.0, 2.0]
    assert store.history("^GSPC").close.tolist() == [10.0, 11.0]
    conn = sqlite3.connect(path)  # a read never writes: upgraded on the next write
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'ticker_version'").fetchone()
    conn.close()
    rut = store.history("^RUT")
    store.write("^GSPC", rows("2024-01-03", [12.0]), "t")  # upgraded, then tracked: ^RUT stays
    assert store.history("^RUT") is rut
    assert store.history("^GSPC").close.tolist() == [10.0, 11.0, 12.0]
    conn = sqlite3.connect(path)
    assert sorted(conn.execute("SELECT ticker, version FROM ticker_version").fetchall()) == [
        ("^GSPC", 8), ("^RUT", 7)]
    conn.close()
    store.close()


def test_a_write_by_an_older_smallcap_reloads_everything(two) -> None:
    reader, _ = two
    gspc = reader.history("^GSPC")
    old_write(reader.path, "^RUT", "2024-01-05", 5.0)
    assert reader.history("^RUT").close.tolist()[-1] == 5.0
    assert reader.history("^GSPC") is not gspc  # untracked write: nothing cached is trusted
    same(reader.history("^GSPC"), reader.path, "^GSPC")
    old_write(reader.path, "QQQ", "2024-01-05", 1.0)  # a ticker with no ticker_version row
    assert reader.history("QQQ").close.tolist() == [1.0]
