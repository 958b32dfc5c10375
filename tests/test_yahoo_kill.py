"""A refresh process killed (SIGKILL) in the middle of its write leaves the store exactly
as it was; and the ``smallcap refresh`` command's output and exit codes."""

from __future__ import annotations

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
from yahoo_server import YahooServer, csv_path

from smallcap.cli import main
from smallcap.store import Store

yahoo_server = server_module.yahoo_server  # fixtures: the module's server, reset per test
yahoo = server_module.yahoo

CUT = "2026-01-30"
REPO = Path(__file__).resolve().parents[1]


def fill(path: Path, symbols: tuple[str, ...] = ("^RUT", "IWM")) -> None:
    store = Store(path)
    for symbol in symbols:
        frame = pd.read_csv(csv_path(symbol))
        rows = pd.DataFrame({"date": pd.to_datetime(frame["Date"]), "close": frame["Close"]})
        store.write(symbol, rows.loc[rows["date"] <= CUT], "csv")
    store.close()


# refreshes ^RUT, pausing inside its write transaction (rows written, not committed) after
# writing its pid to the marker file, so the test can kill it there
PAUSED_REFRESH = """
import os, sys, time
from pathlib import Path
from smallcap.sources.refresh import refresh
from smallcap.store import Store

def pause():
    Path(sys.argv[2]).write_text(str(os.getpid()))
    time.sleep(60)

refresh(['^RUT'], store=Store(sys.argv[1]), on_written=pause)
"""


def raw_rows(path: Path) -> tuple[str, list[tuple]]:
    """integrity_check and every price row, read through a fresh connection."""
    conn = sqlite3.connect(path)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        rows = conn.execute("SELECT ticker, date, close, adj_close FROM prices "
                            "ORDER BY ticker, date").fetchall()
    finally:
        conn.close()
    return check, rows


@pytest.mark.timeout(120)
def test_sigkill_during_the_write_keeps_the_pre_refresh_data(
    yahoo: YahooServer, tmp_path: Path
) -> None:
    path = tmp_path / "store.sqlite"
    fill(path)
    check, before = raw_rows(path)
    assert check == "ok" and before
    marker = tmp_path / "inside-transaction"
    child = subprocess.Popen([sys.executable, "-c", PAUSED_REFRESH, str(path), str(marker)],
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the refresh never reached its write"
            time.sleep(0.05)
        # the new rows are written, not committed: the child holds the write lock now
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
            child.wait()
    assert child.returncode == -signal.SIGKILL
    check, after = raw_rows(path)
    assert check == "ok"
    assert len(after) == len(before) and after == before
    # the store is usable afterwards: the same refresh, not killed, adds the new days
    store = Store(path)
    from smallcap.sources.refresh import refresh

    report = refresh(["^RUT"], store=store)
    assert report.ok and report.results[0].added > 0
    assert store.last_date("^RUT") > pd.Timestamp(CUT).date()
    store.close()


def test_cli_refresh_prints_failures_and_a_summary(
    yahoo: YahooServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "store.sqlite"
    fill(path)
    code = main(["--store", str(path), "refresh", "^RUT", "^XYZ", "--quiet"])
    out, err = capsys.readouterr()
    assert code == 2 and err == ""  # an unknown symbol is a user error
    assert out.count("\n") == 1  # -q: exactly one line, the reasons included
    assert out.startswith("refreshed 1/2 ticker(s): ")
    assert "last date 2026-02-23, rows changed 2026-02-02 to 2026-02-23; failed: ^XYZ" in out
    assert "^XYZ: Yahoo Finance has no data for ^XYZ" in out
    store = Store(path)
    assert store.last_date("^RUT") == np.datetime64("2026-02-23").astype(object)
    store.close()


def test_cli_refresh_with_a_progress_bar_succeeds(
    yahoo: YahooServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "store.sqlite"
    fill(path)
    code = main(["--store", str(path), "refresh", "^RUT", "IWM"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "IWM" in out and "2/2" in out  # the bar's last state
    assert out.rstrip().splitlines()[-1].startswith("refreshed 2/2 ticker(s): ")


def test_cli_refresh_offline_exit_code(
    yahoo: YahooServer, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMALLCAP_YAHOO_URL", "http://127.0.0.1:9")  # discard port: refused
    path = tmp_path / "store.sqlite"
    fill(path, ("^RUT",))
    _, before = raw_rows(path)
    code = main(["--store", str(path), "refresh", "^RUT", "-q"])
    out, err = capsys.readouterr()
    assert code == 3 and err == ""
    assert out.count("\n") == 1
    assert "cannot connect to the Yahoo server at http://127.0.0.1:9" in out
    assert out.startswith("offline: cannot reach Yahoo Finance")
    assert raw_rows(path)[1] == before
