"""The UDF server is a long-lived process: it keeps loaded series in memory per store
version and sees a refresh made by another process on its next call, with no restart.

This test process plays the UDF server (it calls the Excel functions); a separate
``smallcap refresh`` process writes the store from the local Yahoo stand-in."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import numpy as np
import pytest
from yahoo_server import yahoo, yahoo_server  # noqa: F401 (fixtures)

from smallcap import api, udfs

NOTE = dt.datetime(2024, 7, 16)


def _refresh_in_another_process(store_path, ticker: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "smallcap.cli", "--store", str(store_path), "refresh", ticker],
        capture_output=True, text=True, timeout=120, env=dict(os.environ),
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture
def server_store(tmp_path):
    store = api.use_store(tmp_path / "udf-server.sqlite")
    yield store
    api.use_store(None)


def test_udf_sees_a_refresh_made_by_another_process(yahoo, server_store):  # noqa: F811
    path = server_store.path
    assert udfs.PRICE("^RUT").startswith("#N/A no data for ^RUT")

    # 1. another process refreshes ^RUT up to Monday 2024-07-15
    yahoo.cutoff["^RUT"] = np.datetime64("2024-07-15")
    _refresh_in_another_process(path, "^RUT")
    version = server_store.version()
    assert udfs.DATA_STATUS("^RUT")[1][2] == dt.datetime(2024, 7, 15)
    monday = udfs.PRICE("^RUT")
    assert udfs.RUT_STREAK(0.01, "^RUT", NOTE) == 4  # as_of resolves to the 15th
    first = server_store.history("^RUT")
    # kept in memory: repeated calls reuse the same loaded series, no re-read
    assert udfs.STREAK_COUNT(5.0, 0.01, "^RUT", None, NOTE) == 4
    assert server_store.history("^RUT") is first
    assert server_store.version() == version

    # 2. another process refreshes again: Tuesday's close arrives
    yahoo.cutoff["^RUT"] = np.datetime64("2024-07-16")
    _refresh_in_another_process(path, "^RUT")
    # 3. the next call in this (server) process sees it, nothing restarted
    assert udfs.RUT_STREAK(0.01, "^RUT", NOTE) == 5
    assert udfs.STREAK_COUNT(5.0, 0.01, "^RUT", None, NOTE) == 5
    tuesday = udfs.PRICE("^RUT")
    assert tuesday / monday - 1 > 0.035
    assert udfs.DATA_STATUS("^RUT")[1][2] == dt.datetime(2024, 7, 16)
    assert server_store.version() != version
    assert server_store.history("^RUT") is not first
