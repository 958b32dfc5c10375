"""The SQLite store: WAL, one transaction per write, version stamp across processes.
(Reads that never write and store faults: tests/test_store_readonly.py.)"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from smallcap.errors import NoData, SourceError
from smallcap.store import SCHEMA_VERSION, Store


def rows(start: str, values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.bdate_range(start, periods=len(values)), "close": values})


def test_wal_mode_and_schema(empty_store: Store) -> None:
    empty_store.write("^RUT", rows("2024-01-01", [1.0, 2.0]), "test")
    conn = sqlite3.connect(empty_store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"prices", "refresh_log", "meta", "ticker_version"} <= tables
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (
        str(SCHEMA_VERSION),)
    conn.close()


def test_reads_open_read_only_and_never_wait_on_a_writer(empty_store: Store) -> None:
    empty_store.write("^RUT", rows("2024-01-01", [1.0, 2.0]), "test")
    empty_store.history("^RUT")
    reader = empty_store._conn
    assert reader is not None and reader is not empty_store._writer_conn
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.execute("INSERT INTO meta(key, value) VALUES ('x', 'y')")
    (timeout,) = reader.execute("PRAGMA busy_timeout").fetchone()
    assert timeout <= 1000  # ms: a read never sits out another process's 30 s write


def test_write_adds_revises_and_logs(empty_store: Store) -> None:
    first = empty_store.write("^RUT", rows("2024-01-01", [1.0, 2.0, 3.0]), "csv:a")
    assert first.added == 3 and first.revised == []
    second = empty_store.write("^RUT", rows("2024-01-03", [3.5, 4.0]), "csv:b")
    assert second.added == 1
    assert [(str(d), old, new) for d, old, new in second.revised] == [("2024-01-03", 3.0, 3.5)]
    assert empty_store.history("^RUT").close.tolist() == [1.0, 2.0, 3.5, 4.0]
    log = empty_store.refresh_log()
    assert log["source"].tolist() == ["csv:b", "csv:a"]
    assert log["rows_added"].tolist() == [1, 3]
    status = empty_store.status("^RUT")
    assert status["rows"] == 4 and str(status["last_date"]) == "2024-01-04"


def test_version_changes_on_every_write(empty_store: Store) -> None:
    v0 = empty_store.version()
    empty_store.write("^RUT", rows("2024-01-01", [1.0]), "t")
    v1 = empty_store.version()
    empty_store.write("^RUT", rows("2024-01-01", [1.0]), "t")
    assert v0 < v1 < empty_store.version()


def test_failed_write_changes_nothing(empty_store: Store) -> None:
    empty_store.write("^RUT", rows("2024-01-01", [1.0, 2.0]), "t")
    version = empty_store.version()

    def fail() -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        empty_store.write("^RUT", rows("2024-01-01", [9.0, 9.0, 9.0]), "t", replace=True,
                          on_written=fail)
    assert empty_store.history("^RUT").close.tolist() == [1.0, 2.0]
    assert empty_store.version() == version


@pytest.mark.parametrize("bad,match", [
    (rows("2024-01-01", [1.0, float("nan")]), "no valid close"),
    (pd.concat([rows("2024-01-01", [1.0]), rows("2024-01-01", [2.0])]), "duplicate"),
    (pd.DataFrame({"close": [1.0]}), "date"),
])
def test_bad_rows_are_refused(empty_store: Store, bad: pd.DataFrame, match: str) -> None:
    with pytest.raises(SourceError, match=match):
        empty_store.write("^RUT", bad, "t")
    with pytest.raises(NoData, match="refresh first"):
        empty_store.history("^RUT")


KILLER = textwrap.dedent("""
    import os, signal, sys
    import pandas as pd
    from smallcap.store import Store
    store = Store(sys.argv[1])
    frame = pd.DataFrame({"date": pd.bdate_range("1990-01-01", periods=5000),
                          "close": [7.0] * 5000})
    store.write("^RUT", frame, "killer", replace=True,
                on_written=lambda: os.kill(os.getpid(), signal.SIGKILL))
""")


def test_killed_mid_write_keeps_previous_data(reference_store_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    source = sqlite3.connect(reference_store_path)
    target = sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    before = sqlite3.connect(path).execute(
        "SELECT COUNT(*), SUM(close) FROM prices WHERE ticker='^RUT'").fetchone()
    done = subprocess.run([sys.executable, "-c", KILLER, str(path)], timeout=120)
    assert done.returncode == -signal.SIGKILL
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    after = conn.execute("SELECT COUNT(*), SUM(close) FROM prices WHERE ticker='^RUT'").fetchone()
    assert after == before
    assert conn.execute("SELECT COUNT(*) FROM refresh_log WHERE source='killer'").fetchone()[0] == 0


WRITER = textwrap.dedent("""
    import sys
    import pandas as pd
    from smallcap.store import Store
    Store(sys.argv[1]).write("^RUT", pd.DataFrame({"date": ["2024-01-05"], "close": [5.0]}), "w")
""")


def test_another_process_write_is_seen_without_reopening(empty_store: Store) -> None:
    empty_store.write("^RUT", rows("2024-01-01", [1.0, 2.0]), "t")
    cached = empty_store.history("^RUT")
    assert empty_store.history("^RUT") is cached  # served from memory
    version = empty_store.version()
    subprocess.run([sys.executable, "-c", WRITER, str(empty_store.path)], check=True, timeout=120)
    assert empty_store.version() > version
    fresh = empty_store.history("^RUT")
    assert fresh is not cached and fresh.close.tolist()[-1] == 5.0


def test_unopenable_store_is_a_store_error(tmp_path: Path) -> None:
    from smallcap.errors import StoreError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    store = Store(blocker / "sub" / "s.sqlite")
    with pytest.raises(StoreError, match="cannot open the store"):
        store.version()
    with pytest.raises(StoreError, match="cannot open the store"):
        store.write("^RUT", rows("2024-01-01", [1.0]), "t")
    with pytest.raises(StoreError, match="cannot open the store"):
        store.log_failure("^RUT", "t", "offline")
