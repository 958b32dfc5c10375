"""The local price store: one SQLite file (WAL mode) in the user's data folder.

Tables:

- ``prices(ticker, date, close, adj_close)``: one row per ticker and trading day.
- ``refresh_log``: one row per write attempt (when, ticker, source, rows added/revised,
  and a message when it failed).
- ``meta``: ``version``, an integer bumped inside every write transaction, and
  ``tracked``, bumped with it by every writer that also keeps ``ticker_version``.
- ``ticker_version(ticker, version, previous, first_date)``: per ticker, the store
  version of the last write of that ticker, the ticker's version before it, and the
  first date that write touched (NULL when it replaced every row).

Every write is one transaction: a write that fails, or a process killed half-way,
leaves the store exactly as it was. Freshness is per ticker: :meth:`Store.history`
checks ``PRAGMA data_version`` (cheap, and it changes only when another connection
committed) and, when it moved, reads the ``ticker_version`` rows written since, and
forgets only the Histories of those tickers; a ticker whose only change since it was
loaded is one write from ``first_date`` on keeps its older rows and re-reads just the
rest. A store written by an older smallcap (no ``ticker_version``, or a write that
bumped ``version`` but not ``tracked``) is read conservatively: every History reloads.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import params, settings
from .analytics.history import History
from .errors import NoData, SourceError, StoreError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS prices (
    ticker    TEXT NOT NULL,
    date      TEXT NOT NULL,          -- trading day, ISO YYYY-MM-DD (exchange local)
    close     REAL NOT NULL,          -- raw close (index level for an index)
    adj_close REAL NOT NULL,          -- dividend-adjusted close (= close for an index)
    PRIMARY KEY (ticker, date)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refresh_log (
    id           INTEGER PRIMARY KEY,
    ticker       TEXT NOT NULL,
    source       TEXT NOT NULL,
    started_at   TEXT NOT NULL,       -- UTC ISO timestamp
    finished_at  TEXT NOT NULL,
    rows_added   INTEGER NOT NULL DEFAULT 0,
    rows_revised INTEGER NOT NULL DEFAULT 0,
    first_date   TEXT,
    last_date    TEXT,
    ok           INTEGER NOT NULL DEFAULT 1,
    message      TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('version', '0');
INSERT OR IGNORE INTO meta(key, value) SELECT 'tracked', value FROM meta WHERE key = 'version';
"""
# Added by the per-ticker freshness upgrade; on an older store it is created and filled
# with one row per stored ticker, at the current version, in one transaction.
_TICKER_VERSION = """
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS ticker_version (
    ticker     TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,      -- meta.version of the last write of this ticker
    previous   INTEGER,               -- the ticker's version before that write
    first_date TEXT                   -- first date that write touched; NULL: every row
) WITHOUT ROWID;
INSERT OR IGNORE INTO ticker_version(ticker, version)
    SELECT DISTINCT ticker, (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'version')
    FROM prices;
COMMIT;
"""
_TOUCH = """
INSERT INTO ticker_version(ticker, version, previous, first_date)
    VALUES (?1, (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'version'), NULL, ?2)
ON CONFLICT(ticker) DO UPDATE
    SET previous = version, version = excluded.version, first_date = excluded.first_date
"""


def default_path() -> Path:
    """The store of this process: see :func:`smallcap.settings.store_path`."""
    return settings.store_path()


@dataclass(frozen=True)
class WriteResult:
    """What one write did: rows added, rows whose close changed, the stored date range."""

    ticker: str
    added: int
    revised: list[tuple[dt.date, float, float]] = field(default_factory=list)
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    warnings: list[str] = field(default_factory=list)


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def normalise_rows(ticker: str, rows: pd.DataFrame) -> pd.DataFrame:
    """Check and canonicalise rows to write: columns ``date`` (datetime64[D]-able), ``close``
    and optional ``adj_close``; no NaN, no duplicate dates; sorted by date."""
    if not isinstance(rows, pd.DataFrame):
        raise SourceError(f"{ticker}: expected a DataFrame of rows, got {type(rows).__name__}")
    frame = rows.reset_index() if "date" not in rows.columns else rows
    missing = {"date", "close"} - set(frame.columns)
    if missing:
        raise SourceError(f"{ticker}: rows lack column(s) {', '.join(sorted(missing))}")
    dates = pd.to_datetime(frame["date"])
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    close = pd.to_numeric(frame["close"], errors="coerce").to_numpy(dtype="float64")
    adj = (
        pd.to_numeric(frame["adj_close"], errors="coerce").to_numpy(dtype="float64")
        if "adj_close" in frame.columns
        else close.copy()
    )
    days = dates.to_numpy().astype("datetime64[D]")
    if np.isnat(days).any():
        raise SourceError(f"{ticker}: {int(np.isnat(days).sum())} row(s) have no date")
    bad = ~np.isfinite(close) | ~np.isfinite(adj)
    if bad.any():
        first = params.to_date(days[np.flatnonzero(bad)[0]])
        raise SourceError(f"{ticker}: {int(bad.sum())} row(s) have no valid close (first {first})")
    order = np.argsort(days, kind="stable")
    days, close, adj = days[order], close[order], adj[order]
    dup = days[1:] == days[:-1]
    if dup.any():
        first = params.to_date(days[1:][dup][0])
        raise SourceError(f"{ticker}: duplicate rows for {first}")
    return pd.DataFrame({"date": days, "close": close, "adj_close": adj})


class Store:
    """A SQLite price store. Thread-safe; one connection per Store object."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path).expanduser() if path is not None else default_path()
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._data_version = -1
        self._version = -1
        self._untracked = -1  # meta.version - meta.tracked: writes by an older smallcap
        self._histories: dict[str, History] = {}  # up to date as of self._version
        self._loaded: dict[str, int | None] = {}  # their ticker_version (None: no row)
        self._stale: dict[str, tuple[History, str, int]] = {}  # (old, re-read from, version)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # -- connection ---------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                "AND name = 'ticker_version'").fetchone():
                conn.executescript(_TICKER_VERSION)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the store at {self.path}: {exc}") from exc
        self._conn = conn
        return conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
                self._data_version = -1

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any exception); bumps the
        version first, so :meth:`touch` inside stamps a ticker with the new version."""
        with self._lock:
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"the store at {self.path} is busy or locked: {exc}") from exc
            try:
                conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                             "WHERE key IN ('version', 'tracked')")
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            finally:
                self._data_version = -1  # our own commit: re-read the version next time

    @staticmethod
    def touch(conn: sqlite3.Connection, ticker: str, first_date: str | None) -> None:
        """Inside :meth:`transaction`: record that ``ticker``'s rows changed from
        ``first_date`` on (None: any row may have changed, or been deleted)."""
        conn.execute(_TOUCH, (ticker, first_date))

    # -- version and cached histories ----------------------------------------------------

    def version(self) -> int:
        """The store's version stamp; changes on every committed write by any process.
        When it changed, the cached Histories of the tickers written since are dropped
        (or marked to re-read their new rows); the others stay."""
        with self._lock:
            conn = self._connect()
            data_version = conn.execute("PRAGMA data_version").fetchone()[0]
            if data_version != self._data_version:
                self._data_version = data_version
                self._sync(conn)
            return self._version

    def _sync(self, conn: sqlite3.Connection) -> None:
        meta = dict(conn.execute("SELECT key, CAST(value AS INTEGER) FROM meta "
                                 "WHERE key IN ('version', 'tracked')").fetchall())
        version = meta["version"]
        untracked = version - meta.get("tracked", -1)
        if version == self._version and untracked == self._untracked:
            return
        if untracked != self._untracked:  # an older smallcap wrote: trust nothing cached
            self._forget(list(self._histories) + list(self._stale))
        elif self._histories or self._stale:
            written = conn.execute("SELECT ticker, version, previous, first_date "
                                   "FROM ticker_version WHERE version > ?", (self._version,))
            for ticker, ticker_version, previous, first_date in written.fetchall():
                self._written(ticker, ticker_version, previous, first_date)
            self._forget([t for t in self._histories if self._loaded.get(t) is None])
        self._version, self._untracked = version, untracked

    def _written(self, ticker: str, version: int, previous: int | None,
                 first_date: str | None) -> None:
        """Another write of ``ticker`` committed: keep, extend later, or forget its History."""
        loaded = self._loaded.get(ticker)
        if loaded == version:  # loaded after that write already
            return
        old = self._histories.pop(ticker, None)
        if old is None and ticker in self._stale:
            old, since, loaded = self._stale[ticker]
            first_date = min(first_date, since) if first_date else None
        if old is not None and first_date is not None and previous is not None \
                and previous == loaded:  # one write since: re-read from first_date on
            self._stale[ticker] = (old, first_date, version)
            self._loaded.pop(ticker, None)
        else:
            self._forget([ticker])

    def _forget(self, tickers: list[str]) -> None:
        for ticker in tickers:
            self._histories.pop(ticker, None)
            self._loaded.pop(ticker, None)
            self._stale.pop(ticker, None)

    def history(self, ticker: str) -> History:
        """The ticker's adjusted closes as a History, cached until that ticker is written."""
        self.version()
        cached = self._histories.get(ticker)
        if cached is not None:
            return cached
        with self._lock:
            conn = self._connect()
            row = conn.execute("SELECT version FROM ticker_version WHERE ticker = ?",
                               (ticker,)).fetchone()  # before the rows: never newer than them
            loaded = row[0] if row else None
            stale = self._stale.pop(ticker, None)
            if stale is not None and stale[2] == loaded:
                history = self._extend(stale[0], stale[1])
            else:
                history = self._load(ticker)
            self._histories[ticker] = history
            self._loaded[ticker] = loaded
        return history

    def _load(self, ticker: str) -> History:
        frame = self.frame(ticker)
        if frame.empty:
            raise NoData(f"no data for {ticker} — refresh first (smallcap refresh {ticker}, "
                         f"or smallcap load-csv {ticker} FILE)")
        return History(
            ticker,
            frame.index.values.astype("datetime64[D]"),
            frame["adj_close"].to_numpy(),
            frame["close"].to_numpy(),
        )

    def _extend(self, old: History, first_date: str) -> History:
        """``old`` up to the day before ``first_date``, then the stored rows from it on."""
        new = self.frame(old.ticker, start=dt.date.fromisoformat(first_date))
        keep = int(np.searchsorted(old.dates, np.datetime64(first_date, "D")))
        return History(
            old.ticker,
            np.concatenate([old.dates[:keep], new.index.values.astype("datetime64[D]")]),
            np.concatenate([old.close[:keep], new["adj_close"].to_numpy()]),
            np.concatenate([old.raw_close[:keep], new["close"].to_numpy()]),
        )

    # -- reading ------------------------------------------------------------------------

    def frame(
        self, ticker: str, start: dt.date | None = None, end: dt.date | None = None
    ) -> pd.DataFrame:
        """Stored rows of ``ticker`` as a DataFrame indexed by date: ``close``, ``adj_close``."""
        sql = "SELECT date, close, adj_close FROM prices WHERE ticker = ?"
        args: list[object] = [ticker]
        if start is not None:
            sql += " AND date >= ?"
            args.append(start.isoformat())
        if end is not None:
            sql += " AND date <= ?"
            args.append(end.isoformat())
        sql += " ORDER BY date"
        with self._lock:
            try:
                rows = self._connect().execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot read {ticker} from {self.path}: {exc}") from exc
        if rows:
            dates, close, adj = zip(*rows, strict=True)
        else:
            dates, close, adj = (), (), ()
        index = pd.DatetimeIndex(np.array(dates, dtype="datetime64[D]"), name="date")
        return pd.DataFrame(
            {"close": np.array(close, dtype="float64"), "adj_close": np.array(adj, dtype="float64")},
            index=index,
        )

    def tickers(self) -> list[str]:
        """Tickers with at least one stored row."""
        with self._lock:
            rows = self._connect().execute("SELECT DISTINCT ticker FROM prices ORDER BY ticker")
            return [r[0] for r in rows.fetchall()]

    def last_date(self, ticker: str) -> dt.date | None:
        """The last stored trading day of ``ticker``, or None."""
        with self._lock:
            row = self._connect().execute(
                "SELECT MAX(date) FROM prices WHERE ticker = ?", (ticker,)
            ).fetchone()
        return dt.date.fromisoformat(row[0]) if row and row[0] else None

    def status(self, ticker: str) -> dict[str, object]:
        """First and last date, row count and the last successful refresh (UTC) of ``ticker``."""
        with self._lock:
            conn = self._connect()
            first, last, count = conn.execute(
                "SELECT MIN(date), MAX(date), COUNT(*) FROM prices WHERE ticker = ?", (ticker,)
            ).fetchone()
            logged = conn.execute(
                "SELECT finished_at, source FROM refresh_log WHERE ticker = ? AND ok = 1 "
                "ORDER BY id DESC LIMIT 1",
                (ticker,),
            ).fetchone()
        return {
            "ticker": ticker,
            "first_date": dt.date.fromisoformat(first) if first else None,
            "last_date": dt.date.fromisoformat(last) if last else None,
            "rows": int(count),
            "refreshed_at": dt.datetime.fromisoformat(logged[0]) if logged else None,
            "source": logged[1] if logged else None,
        }

    def refresh_log(self, limit: int = 50) -> pd.DataFrame:
        """The latest entries of the refresh log, newest first."""
        with self._lock:
            return pd.read_sql_query(
                "SELECT * FROM refresh_log ORDER BY id DESC LIMIT ?", self._connect(), params=[limit]
            )

    # -- writing ------------------------------------------------------------------------

    def write(
        self,
        ticker: str,
        rows: pd.DataFrame,
        source: str,
        *,
        revision_tolerance: float = 1e-9,
        replace: bool = False,
        on_written: object = None,
    ) -> WriteResult:
        """Upsert ``rows`` (``date``, ``close``, optional ``adj_close``) in one transaction.

        New dates are added; stored dates are overwritten, and those whose close moved
        by more than ``revision_tolerance`` (relative) are reported as revised. With
        ``replace`` every stored row of the ticker is deleted first (still one
        transaction). ``on_written`` (tests only) is called inside the transaction,
        after the rows are written and before COMMIT.
        """
        started = _utc_now()
        frame = normalise_rows(ticker, rows)
        iso = [str(d) for d in frame["date"].to_numpy().astype("datetime64[D]")]
        close = frame["close"].to_numpy()
        adj = frame["adj_close"].to_numpy()
        with self.transaction() as conn:
            if replace:
                conn.execute("DELETE FROM prices WHERE ticker = ?", (ticker,))
                stored: list[tuple[str, float]] = []
            elif iso:
                stored = conn.execute(
                    "SELECT date, close FROM prices WHERE ticker = ? AND date BETWEEN ? AND ?",
                    (ticker, iso[0], iso[-1]),
                ).fetchall()
            else:
                stored = []
            old_close = pd.Series(dict(stored), dtype="float64").reindex(iso).to_numpy()
            known = ~np.isnan(old_close)
            moved = known & (
                np.abs(close - old_close) > revision_tolerance * np.maximum(np.abs(old_close), 1e-12)
            )
            revised = [
                (dt.date.fromisoformat(iso[i]), float(old_close[i]), float(close[i]))
                for i in np.flatnonzero(moved)
            ]
            added = int((~known).sum())
            conn.executemany(
                "INSERT OR REPLACE INTO prices(ticker, date, close, adj_close) VALUES (?, ?, ?, ?)",
                zip([ticker] * len(iso), iso, close.tolist(), adj.tolist(), strict=True),
            )
            if replace or iso:
                self.touch(conn, ticker, None if replace else iso[0])
            if callable(on_written):
                on_written()
            conn.execute(
                "INSERT INTO refresh_log(ticker, source, started_at, finished_at, rows_added, "
                "rows_revised, first_date, last_date, ok, message) VALUES (?,?,?,?,?,?,?,?,1,'')",
                (ticker, source, started, _utc_now(), added, len(revised),
                 iso[0] if iso else None, iso[-1] if iso else None),
            )
        return WriteResult(
            ticker,
            added,
            revised,
            dt.date.fromisoformat(iso[0]) if iso else None,
            dt.date.fromisoformat(iso[-1]) if iso else None,
        )

    def log_failure(self, ticker: str, source: str, message: str) -> None:
        """Record a failed refresh of ``ticker`` in the log (does not touch prices or version)."""
        now = _utc_now()
        with self._lock:
            conn = self._connect()
            for attempt in range(3):
                try:
                    conn.execute(
                        "INSERT INTO refresh_log(ticker, source, started_at, finished_at, ok, "
                        "message) VALUES (?, ?, ?, ?, 0, ?)",
                        (ticker, source, now, now, message),
                    )
                    return
                except sqlite3.OperationalError:
                    time.sleep(0.1 * (attempt + 1))


_STORES: dict[Path, Store] = {}
_STORES_LOCK = threading.Lock()


def open_store(path: str | os.PathLike[str] | None = None) -> Store:
    """The shared Store object for ``path`` (default: the store of this process,
    :func:`smallcap.settings.store_path`)."""
    resolved = Path(path).expanduser() if path is not None else settings.store_path()
    store = _STORES.get(resolved)
    if store is None:
        with _STORES_LOCK:
            store = _STORES.setdefault(resolved, Store(resolved))
    return store


def use_store(target: Store | str | os.PathLike[str] | None) -> Store:
    """Make ``target`` (a path, or a Store object, which becomes the shared one for its
    path) the store of this process; None goes back to ``$SMALLCAP_STORE`` or the
    user's data folder. Returns the store now used."""
    if isinstance(target, Store):
        with _STORES_LOCK:
            _STORES[target.path] = target
        target = target.path
    settings.choose_store(target)
    return open_store()


def current_store() -> Store:
    """The store used when a function is not given one."""
    return open_store()
