"""Shared fixtures: the reference data (the bundled sample, uncompressed) and stores filled from it.

No test touches the user's own store: the session points $SMALLCAP_STORE at an empty
temporary file before anything runs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REFERENCE_FILES = {"^RUT": "RUT.csv", "^GSPC": "GSPC.csv", "^NDX": "NDX.csv", "^DJI": "DJI.csv",
                   "^TNX": "TNX.csv", "SPY": "SPY.csv", "IWM": "IWM.csv", "QQQ": "QQQ.csv"}
NOTE_DAY = "2024-07-16"


def pytest_configure(config: pytest.Config) -> None:
    tmp = Path(config.rootpath) / ".pytest_cache" / "session-store"
    tmp.mkdir(parents=True, exist_ok=True)
    for stale in tmp.glob("default.sqlite*"):
        stale.unlink()
    os.environ["SMALLCAP_STORE"] = str(tmp / "default.sqlite")
    os.environ.setdefault("SMALLCAP_YAHOO_URL", "http://127.0.0.1:9")  # never the internet


@pytest.fixture(scope="session")
def shared_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference history as ``NAME.csv`` files (``Date,Close``): the sample bundled
    with the package (``smallcap/sample_data``, provenance in its README), uncompressed
    once per session. Nothing outside the repository is read."""
    from smallcap.sources import sample

    return sample.extract(tmp_path_factory.mktemp("reference-data"))


@pytest.fixture(scope="session")
def reference_store_path(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a store filled once per session with every reference file."""
    from smallcap import api
    from smallcap.store import Store

    path = tmp_path_factory.mktemp("reference") / "reference.sqlite"
    store = Store(path)
    for ticker, name in REFERENCE_FILES.items():
        api.load_csv(ticker, shared_data / name, store=store)
    store.close()
    return path


@pytest.fixture(scope="session")
def reference_store(reference_store_path: Path):
    """A Store over the reference data. Treat it as read-only."""
    from smallcap.store import Store

    return Store(reference_store_path)


@pytest.fixture()
def empty_store(tmp_path: Path):
    """A fresh, empty store in a temporary folder."""
    from smallcap.store import Store

    store = Store(tmp_path / "empty.sqlite")
    yield store
    store.close()


@pytest.fixture(scope="session")
def rut(reference_store):
    """^RUT as a History."""
    return reference_store.history("^RUT")


@pytest.fixture(scope="session")
def gspc(reference_store):
    """^GSPC as a History."""
    return reference_store.history("^GSPC")


@pytest.fixture(scope="module")
def reference_as_default(reference_store_path: Path):
    """The reference store as the process's default store (as the UDF server sees it)
    for one test module; use it with ``pytestmark = pytest.mark.usefixtures(...)``."""
    from smallcap import api

    store = api.use_store(reference_store_path)
    yield store
    api.use_store(None)


@pytest.fixture(scope="module")
def base_url(reference_store):
    """``smallcap serve`` on 127.0.0.1 over the reference store, for one test module."""
    from smallcap import service

    server = service.serve("127.0.0.1", 0, background=True, store=reference_store)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def http_get(url: str) -> tuple[int, dict]:
    """GET ``url``: (status, JSON body), for 4xx answers too."""
    import json
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def stored_rows(path) -> list[tuple]:
    """Every stored price row, exactly as SQLite holds it (to prove a refused write
    changed nothing)."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT * FROM prices ORDER BY ticker, date").fetchall()
    finally:
        conn.close()


#: The tables of a store written by the smallcap before per-ticker freshness and the schema
#: stamp (no ``ticker_version``, no ``meta`` 'schema' or 'tracked'): tests add their rows.
OLD_SCHEMA_TABLES = """
CREATE TABLE prices (ticker TEXT NOT NULL, date TEXT NOT NULL, close REAL NOT NULL,
                     adj_close REAL NOT NULL, PRIMARY KEY (ticker, date)) WITHOUT ROWID;
CREATE TABLE refresh_log (id INTEGER PRIMARY KEY, ticker TEXT NOT NULL, source TEXT NOT NULL,
    started_at TEXT NOT NULL, finished_at TEXT NOT NULL, rows_added INTEGER NOT NULL DEFAULT 0,
    rows_revised INTEGER NOT NULL DEFAULT 0, first_date TEXT, last_date TEXT,
    ok INTEGER NOT NULL DEFAULT 1, message TEXT NOT NULL DEFAULT '');
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
