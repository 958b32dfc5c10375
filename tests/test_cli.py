"""The command line, run as a user runs it (a subprocess of the installed console script)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(store: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smallcap.cli", "--store", str(store), *args],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def test_load_csv_then_report_shows_the_note(tmp_path: Path, shared_data: Path) -> None:
    store = tmp_path / "s.sqlite"
    for ticker, name in (("^RUT", "RUT.csv"), ("^GSPC", "GSPC.csv"), ("^TNX", "TNX.csv")):
        done = run(store, "load-csv", ticker, str(shared_data / name))
        assert done.returncode == 0, done.stderr
    again = run(store, "load-csv", "^RUT", str(shared_data / "RUT.csv"))
    assert again.stdout.startswith("^RUT: 0 rows added, 0 revised")
    report = run(store, "report", "--as-of", "2024-07-16", "--no-refresh")
    assert report.returncode == 0, report.stderr
    out = report.stdout
    for figure in ("+3.50%", "2022-01-04", "5 days", "+12.84%", "+4.34%", "2.96x",
                   "1998-10-20", "starts 1987-09-10"):
        assert figure in out, figure


def test_load_dir_maps_index_names(tmp_path: Path, shared_data: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("RUT.csv", "IWM.csv"):
        (folder / name).write_bytes((shared_data / name).read_bytes())
    store = tmp_path / "s.sqlite"
    assert run(store, "load-dir", str(folder)).returncode == 0
    status = run(store, "status")
    assert "^RUT" in status.stdout and "IWM" in status.stdout and "9686" in status.stdout


def test_call_prints_values_and_json(reference_store_path: Path) -> None:
    done = run(reference_store_path, "call", "streak_count", "5", "0.01", "^RUT", "",
               "2024-07-16")
    assert done.stdout.strip() == "5"
    done = run(reference_store_path, "call", "streak_episodes", "5", "0.01", "^RUT",
               "2009-01-01", "2024-07-16", "--json")
    table = json.loads(done.stdout)
    signal = table["columns"].index("signal")
    assert [r[signal] for r in table["rows"]] == ["2009-09-10", "2020-04-28", "2024-07-16"]
    done = run(reference_store_path, "call", "ROTATION_RATIO", "1M", "", "", "2024-07-16",
               "--json")
    assert json.loads(done.stdout)["value"] == pytest.approx(2.959, abs=1e-3)


@pytest.mark.parametrize("args,message", [
    (("call", "price", "^XYZ"), "no data for ^XYZ"),
    (("call", "no_such_function"), "is not a smallcap function"),
    (("call", "price", "^RUT", "2024-07-16", "extra"), "takes at most 2 arguments"),
    (("call", "rotation_spread", "2M"), "window: '2M' is not a window"),
    (("report", "--as-of", "1900-01-01", "--no-refresh"), "before the first stored date"),
    (("load-csv", "^RUT", "/nonexistent.csv"), "no such file"),
    (("load-csv", "bad/ticker", "/nonexistent.csv"), "ticker"),
])
def test_errors_are_one_line_exit_2(reference_store_path: Path, args, message: str) -> None:
    done = run(reference_store_path, *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_report_offline_on_empty_store_points_at_load_csv(tmp_path: Path) -> None:
    done = run(tmp_path / "empty.sqlite", "report",
               env={"SMALLCAP_YAHOO_URL": "http://127.0.0.1:9", "SMALLCAP_TICKERS": "^RUT"})
    text = done.stdout + done.stderr
    assert "load-csv" in text
    assert "Traceback" not in text
    assert done.returncode == 1
