"""The store's hot read path (smallcap.store_read): histories read straight into numpy are
exactly the stored rows; a warm call that skips SQLite (the WAL index header unchanged)
still sees every commit by another process on the very next call; the status of a
cached ticker is what the stored rows say."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from smallcap.errors import StoreError
from smallcap.store import Store


def rows(start: str, values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.bdate_range(start, periods=len(values)), "close": values})


def test_history_is_exactly_the_stored_rows(reference_store_path: Path) -> None:
    store = Store(reference_store_path)
    conn = sqlite3.connect(reference_store_path)
    try:
        for ticker in ("^RUT", "^GSPC", "IWM"):
            stored = conn.execute("SELECT date, close, adj_close FROM prices WHERE ticker = ? "
                                  "ORDER BY date", (ticker,)).fetchall()
            history = store.history(ticker)
            assert [str(d) for d in history.dates] == [r[0] for r in stored]
            assert history.raw_close.tolist() == [r[1] for r in stored]  # bit for bit
            assert history.close.tolist() == [r[2] for r in stored]
            status = store.status(ticker)
            assert (str(status["first_date"]), str(status["last_date"]), status["rows"]) == (
                stored[0][0], stored[-1][0], len(stored))
    finally:
        conn.close()
        store.close()


WRITER = textwrap.dedent("""
    import sys
    import pandas as pd
    from smallcap.store import Store
    store = Store(sys.argv[1])
    store.write("^RUT", pd.DataFrame({"date": [sys.argv[2]], "close": [float(sys.argv[3])]}), "w")
    store.close()
""")


def test_every_write_by_another_process_shows_on_the_next_call(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    writer = Store(path)
    writer.write("^RUT", rows("2024-01-01", [1.0, 2.0, 3.0]), "t")
    writer.close()
    reader = Store(path)
    assert reader.history("^RUT").close.tolist() == [1.0, 2.0, 3.0]
    assert reader._watch is not None and reader._watch.active  # the WAL header is watched
    warm = reader.history("^RUT")
    assert reader.history("^RUT") is warm  # nothing committed: the cached history
    for k, day in enumerate(pd.bdate_range("2024-01-04", periods=4)):
        subprocess.run([sys.executable, "-c", WRITER, str(path), str(day.date()), str(10.0 + k)],
                       check=True, timeout=120)
        history = reader.history("^RUT")
        assert history.close.tolist()[-1] == 10.0 + k and str(history.dates[-1]) == str(day.date())
        assert reader.status("^RUT")["rows"] == 4 + k
    reader.close()


def test_a_store_not_in_wal_mode_is_asked_every_time(tmp_path: Path) -> None:
    path = tmp_path / "plain.sqlite"
    first = Store(path)
    first.write("^RUT", rows("2024-01-01", [1.0, 2.0]), "t")
    first.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=DELETE")
    reader = Store(path)
    assert reader.history("^RUT").close.tolist() == [1.0, 2.0]
    assert reader._watch is None  # no -shm: SQLite is asked on every call
    conn.execute("UPDATE prices SET close = 5.0, adj_close = 5.0 WHERE date = '2024-01-02'")
    conn.execute("INSERT INTO ticker_version(ticker, version) VALUES ('^RUT', 99) "
                 "ON CONFLICT(ticker) DO UPDATE SET version = 99, previous = NULL, "
                 "first_date = NULL")
    conn.execute("UPDATE meta SET value = '99' WHERE key IN ('version', 'tracked')")
    conn.close()
    assert reader.history("^RUT").close.tolist() == [1.0, 5.0]
    reader.close()


@pytest.mark.parametrize("column,value", [("date", "2024-1-02"), ("date", 20240102.0),
                                          ("close", "abc"), ("adj_close", None),
                                          ("close", -5.0), ("adj_close", 0.0)])
def test_a_damaged_row_is_refused_naming_ticker_and_row(tmp_path: Path, column, value) -> None:
    path = tmp_path / "store.sqlite"
    first = Store(path)
    first.write("IWM", rows("2024-01-01", [1.0, 2.0, 3.0]), "t")
    first.close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA ignore_check_constraints = 1")
    conn.execute("CREATE TABLE copy AS SELECT * FROM prices")  # NOT NULL kept off the copy
    conn.execute("DROP TABLE prices")
    conn.execute("ALTER TABLE copy RENAME TO prices")
    conn.execute(f"UPDATE prices SET {column} = ? WHERE date = '2024-01-02'", (value,))
    conn.commit()
    conn.close()
    before = path.read_bytes()
    store = Store(path)
    with pytest.raises(StoreError, match=r"a row of IWM is not a date and two prices \(.*\)") \
            as raised:
        store.history("IWM")
    message = str(raised.value)
    assert "\n" not in message and "IWM on " in message and str(value) in message
    store.close()
    assert path.read_bytes() == before
