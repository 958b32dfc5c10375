"""The local price store: one SQLite file (WAL mode) in the user's data folder.

Tables:

- ``prices(ticker, date, close, adj_close)``: one row per ticker and trading day.
- ``refresh_log``: one row per write attempt (when, ticker, source, rows added/revised,
  and a message when it failed).
- ``meta``: ``version``, an integer bumped inside every write transaction,
  ``tracked``, bumped with it by every writer that also keeps ``ticker_version``, and
  ``schema``, the layout's number (:data:`SCHEMA_VERSION`; none before schema 2).
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

Reads never write and never wait. They go through a read-only connection
(``mode=ro``; ``immutable=1`` when the folder is read-only and no write-ahead log is
pending) with a short busy timeout; WAL readers do not wait for a writer. A missing
store reads as empty and is not created. Only a write (load, refresh) opens the file
read-write: it creates the folder, sets WAL, and creates or upgrades the schema, stamped
``meta.schema`` (:data:`SCHEMA_VERSION`). A file that is not a smallcap store, a store
of a newer smallcap, damaged pages or a damaged stamp are refused with a one-line
:class:`~smallcap.errors.StoreError`, and the file is left byte-identical.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import params, settings, store_read
from .analytics import overwrite, plausible
from .analytics.history import History
from .analytics.rows import normalise_rows
from .errors import NoData, StoreError

SCHEMA_VERSION = 2  # meta.schema: 1 = prices, refresh_log, meta; 2 = + ticker_version
# What a reader needs of each table; a file without them is not a smallcap store.
_TABLES = {
    "prices": {"ticker", "date", "close", "adj_close"},
    "refresh_log": {"id", "ticker", "source", "started_at", "finished_at", "rows_added",
                    "rows_revised", "first_date", "last_date", "ok", "message"},
    "meta": {"key", "value"},
}
# Creates a store, or upgrades an older one, in one transaction (a write only).
_CREATE = (
    """CREATE TABLE IF NOT EXISTS prices (
    ticker    TEXT NOT NULL,
    date      TEXT NOT NULL,          -- trading day, ISO YYYY-MM-DD (exchange local)
    close     REAL NOT NULL,          -- raw close (index level for an index)
    adj_close REAL NOT NULL,          -- dividend-adjusted close (= close for an index)
    PRIMARY KEY (ticker, date)
) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS refresh_log (
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
)""",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "INSERT OR IGNORE INTO meta(key, value) VALUES ('version', '0')",
    "INSERT OR IGNORE INTO meta(key, value) SELECT 'tracked', value FROM meta "
    "WHERE key = 'version'",
    # Added by the per-ticker freshness upgrade (schema 2).
    """CREATE TABLE IF NOT EXISTS ticker_version (
    ticker     TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,      -- meta.version of the last write of this ticker
    previous   INTEGER,               -- the ticker's version before that write
    first_date TEXT                   -- first date that write touched; NULL: every row
) WITHOUT ROWID""",
    f"INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', '{SCHEMA_VERSION}')",
)
# On an older store, ticker_version starts with one row per stored ticker, at the
# current version (run only when the table was just created).
_FILL_TICKER_VERSION = """
INSERT OR IGNORE INTO ticker_version(ticker, version)
    SELECT DISTINCT ticker, (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'version')
    FROM prices
"""
# SQLite primary result codes (exc.sqlite_errorcode & 0xFF)
_BUSY, _LOCKED, _READONLY, _CORRUPT, _CANTOPEN, _NOTADB = 5, 6, 8, 11, 14, 26
_RELOAD = "restore it from a backup, or delete it and load again (smallcap refresh, or " \
    "smallcap load-dir FOLDER)"


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
    """What one write did: rows added, rows whose close changed (date, old, new), the
    written date range, stored rows removed (by ``replace``), rows whose adjusted close
    alone changed, and the first and last day whose stored row changed (None: none did)."""

    ticker: str
    added: int
    revised: list[tuple[dt.date, float, float]] = field(default_factory=list)
    first_date: dt.date | None = None
    last_date: dt.date | None = None
    warnings: list[str] = field(default_factory=list)
    removed: int = 0
    readjusted: int = 0
    touched: tuple[dt.date, dt.date] | None = None


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class _Layout:
    """What a file holds, as far as smallcap is concerned (see :meth:`Store._inspect`)."""

    empty: bool  # no table at all: a new store, where reads find nothing
    schema: int = 0  # meta.schema, or what an unstamped store's tables imply
    stamped: bool = False  # meta.schema is there
    tracking: bool = False  # ticker_version is there
    version: int = 0
    tracked: int | None = None
    cookie: int = -1  # PRAGMA schema_version when looked at: the tables change with it

    @property
    def untracked(self) -> int:
        """meta.version - meta.tracked: writes by an older smallcap (no tracked: -1)."""
        return self.version - (self.tracked if self.tracked is not None else -1)

    @property
    def current(self) -> bool:
        """Written by this smallcap: nothing for a write to create or upgrade."""
        return (not self.empty and self.stamped and self.schema == SCHEMA_VERSION
                and self.tracking and self.tracked is not None)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class Store:
    """A SQLite price store. Thread-safe. Reads use one read-only connection; the first
    write opens a second, read-write one (see the module's docstring)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        path = params.path(path, "store") if path is not None else None
        self._blank = path is not None and not path.strip()
        self.path = settings.store_file(path) if path is not None else default_path()
        self._lock = threading.RLock()  # the read-only connection and the cached Histories
        self._write_lock = threading.RLock()  # the read-write connection; taken before _lock
        self._conn: sqlite3.Connection | None = None  # read-only
        self._writer_conn: sqlite3.Connection | None = None
        self._layout = _Layout(empty=True)  # as the read-only connection last saw it
        self._data_version = -1
        self._watch: store_read.ChangeWatch | None = None  # the -shm header, in WAL mode
        self._version = -1
        self._untracked = -1  # meta.version - meta.tracked: writes by an older smallcap
        self._histories: dict[str, History] = {}  # up to date as of self._version
        self._loaded: dict[str, int | None] = {}  # their ticker_version (None: no row)
        self._stale: dict[str, tuple[History, str, int]] = {}  # (old, re-read from, version)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # -- faults -------------------------------------------------------------------------

    def _fault(self, exc: BaseException, doing: str) -> StoreError:
        """One line for a sqlite3 error met while ``doing`` (read, write, open) the store:
        what is wrong, and what to do."""
        text = _one_line(exc)
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        where = f"the store at {self.path}"
        if code == _NOTADB:
            return StoreError(f"{self.path} is not a smallcap store ({text}): it is not an SQLite "
                              f"file, or its first page is damaged; give another store with --store "
                              f"or {settings.STORE_ENV}, or restore it from a backup")
        if code == _CORRUPT:
            return StoreError(f"{where} is damaged ({text}): {_RELOAD}")
        if code in (_BUSY, _LOCKED):
            return StoreError(f"{where} is busy or locked by another process ({text}); try again")
        if code == _READONLY:
            return StoreError(f"{where} is read-only ({text}): make the file and its folder "
                              "writable to load or refresh")
        if code == _CANTOPEN:
            can = "be read" if doing == "read" else "be written"
            return StoreError(f"cannot open {where} ({text}): check that the file and its folder "
                              f"exist and can {can}")
        return StoreError(f"cannot {doing} {where}: {text}")

    def _damaged(self, what: str) -> StoreError:
        return StoreError(f"the store at {self.path} is damaged: {what}; {_RELOAD}")

    def _no_data(self, ticker: str) -> NoData:
        hint = params.caret_hint(ticker) or (  # "RUT" for ^RUT
            params.caret_hint(ticker, self.tickers()) if self._exists() else "")
        if hint:
            return NoData(f"no data for {ticker} — {hint}")
        return NoData(f"no data for {ticker} — refresh first (smallcap refresh {ticker}, "
                      f"or smallcap load-csv {ticker} FILE)")

    # -- connections --------------------------------------------------------------------

    def _exists(self) -> bool:
        """Whether the store file is there (a missing one reads as an empty store); a path
        that cannot be a store is a StoreError."""
        if self._blank:
            raise StoreError("the store path is empty: give a file, e.g. --store smallcap.sqlite "
                             f"(or set {settings.STORE_ENV})")
        try:
            mode = os.stat(self.path).st_mode
        except FileNotFoundError:
            return False
        except OSError as exc:
            reason = (exc.strerror or _one_line(exc)).lower()
            raise StoreError(f"cannot open the store at {self.path}: {reason}; give another "
                             f"path with --store or {settings.STORE_ENV}") from exc
        if stat.S_ISDIR(mode):
            raise StoreError(f"cannot open the store at {self.path}: it is a folder, not a file; "
                             f"give a file path, e.g. {self.path / settings.STORE_FILENAME}")
        if not stat.S_ISREG(mode):
            raise StoreError(f"cannot open the store at {self.path}: it is not a regular file")
        return True

    def _inspect(self, conn: sqlite3.Connection, known: _Layout | None = None) -> _Layout:
        """What the file holds. Refuses a file that is not a smallcap store, a store of a
        newer smallcap and a damaged stamp (StoreError); sqlite3 errors pass through.
        The tables are looked at again only when the schema cookie moved since ``known``."""
        cookie = conn.execute("PRAGMA schema_version").fetchone()[0]
        if known is not None and not known.empty and known.cookie == cookie:
            names = None  # same tables as last time: only the stamps may have changed
        else:
            names = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
            if not names:
                return _Layout(empty=True, cookie=cookie)

        def columns(table: str) -> set[str]:
            if names is None or table not in names:
                return set()
            return {row[1] for row in conn.execute(f"PRAGMA table_info({table})").fetchall()}

        def foreign(table: str, have: set[str]) -> StoreError:
            what = (f"no {table} table" if table not in names else
                    f"its {table} table lacks {', '.join(sorted(_TABLES[table] - have))}")
            return StoreError(f"{self.path} is an SQLite file but not a smallcap store ({what}); "
                              f"smallcap leaves it untouched: give another store with --store "
                              f"or {settings.STORE_ENV}")

        if names is not None:
            have = columns("meta")
            if not _TABLES["meta"] <= have:
                raise foreign("meta", have)
        meta = dict(conn.execute("SELECT key, value FROM meta "
                                 "WHERE key IN ('schema', 'version', 'tracked')").fetchall())
        tracking = known.tracking if names is None and known else "ticker_version" in names
        stamped = "schema" in meta
        schema = self._stamp(meta, "schema") if stamped else (2 if tracking else 1)
        if schema > SCHEMA_VERSION:
            raise StoreError(f"the store at {self.path} was written by a newer smallcap (schema "
                             f"{schema}; this one reads up to {SCHEMA_VERSION}): upgrade smallcap, "
                             f"or give another store with --store or {settings.STORE_ENV}")
        if schema < 1:
            raise self._damaged(f"its schema stamp (table meta) is {schema}")
        for table in ("prices", "refresh_log") if names is not None else ():
            have = columns(table)
            if not _TABLES[table] <= have:
                raise foreign(table, have)
        if "version" not in meta:
            raise self._damaged("table meta has no version stamp")
        return _Layout(False, schema, stamped, tracking, self._stamp(meta, "version"),
                       self._stamp(meta, "tracked") if "tracked" in meta else None, cookie)

    def _stamp(self, meta: dict[str, object], key: str) -> int:
        raw = meta[key]
        text = raw.strip() if isinstance(raw, str) else str(raw) if type(raw) is int else ""
        if not (text.isascii() and text.isdigit() and len(text) <= 18):
            raise self._damaged(f"its {key} stamp (table meta) is {repr(raw)[:40]}, "
                                "not a whole number")
        return int(text)

    def _wal_pending(self) -> bool:
        """A write-ahead log with content beside the store (the file alone is not all)."""
        try:
            return os.stat(f"{self.path}-wal").st_size > 0
        except OSError:
            return False

    def _read_only(self, uri: str) -> tuple[sqlite3.Connection, _Layout]:
        conn = sqlite3.connect(uri, uri=True, timeout=settings.STORE_READ_TIMEOUT,
                               isolation_level=None, check_same_thread=False)
        try:
            return conn, self._inspect(conn)
        except BaseException:
            conn.close()
            raise

    def _reader(self) -> sqlite3.Connection | None:
        """The read-only connection (the caller holds ``_lock``), or None while there is
        no store yet (no file, or a file without tables): reads then find nothing."""
        conn = self._conn
        if conn is None:
            if not self._exists():
                return None
            uri = self.path.absolute().as_uri() + "?mode=ro"
            try:
                conn, self._layout = self._read_only(uri)
            except sqlite3.OperationalError as exc:
                # WAL needs the -shm file beside the store: in a read-only folder, and with
                # no log pending, the file alone is the whole store and cannot change.
                if exc.sqlite_errorcode & 0xFF not in (_READONLY, _CANTOPEN) or self._wal_pending():
                    raise self._fault(exc, "read") from exc
                try:
                    conn, self._layout = self._read_only(uri + "&immutable=1")
                except sqlite3.Error as again:
                    raise self._fault(again, "read") from again
            except sqlite3.Error as exc:
                raise self._fault(exc, "read") from exc
            self._conn = conn
        elif self._layout.empty:  # a new file: has a write filled it since?
            try:
                self._layout = self._inspect(conn)
            except sqlite3.Error as exc:
                raise self._fault(exc, "read") from exc
        return None if self._layout.empty else conn

    def _connect(self) -> sqlite3.Connection:
        """The read-only connection; a StoreError while there is no store yet."""
        with self._lock:
            conn = self._reader()
        if conn is None:
            raise StoreError(f"there is no store at {self.path} yet: refresh or load first "
                             "(smallcap refresh, or smallcap load-csv TICKER FILE)")
        return conn

    def _query(self, sql: str, args: tuple[object, ...] | list[object] = (),
               doing: str = "read") -> list[tuple]:
        """The rows of a query on the read-only connection; none while there is no store."""
        with self._lock:
            conn = self._reader()
            if conn is None:
                return []
            try:
                return conn.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise self._fault(exc, doing) from exc

    def _writer(self) -> sqlite3.Connection:
        """The read-write connection (the caller holds ``_write_lock``). Opening it checks
        the file read-only first (a foreign, newer or damaged file is refused untouched),
        then creates the folder and the file, creates or upgrades the schema, sets WAL."""
        if self._writer_conn is not None:
            return self._writer_conn
        with self._lock:
            self._reader()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            reason = (exc.strerror or _one_line(exc)).lower()
            raise StoreError(f"cannot create the folder of the store at {self.path}: {reason}; "
                             f"give another path with --store or {settings.STORE_ENV}") from exc
        try:
            conn = sqlite3.connect(self.path, timeout=settings.STORE_WRITE_TIMEOUT,
                                   isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise self._fault(exc, "open") from exc
        try:
            self._upgrade(conn)
            if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        except BaseException as exc:
            conn.close()
            if isinstance(exc, sqlite3.Error):
                raise self._fault(exc, "write") from exc
            raise
        self._writer_conn = conn
        return conn

    def _upgrade(self, conn: sqlite3.Connection) -> None:
        """Create the schema in a new file, or bring an older store's up to
        :data:`SCHEMA_VERSION`, in one transaction; a current store is left alone."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            before = self._inspect(conn)  # again, now that no other writer can change it
            if before.current:
                conn.execute("ROLLBACK")
                return
            for statement in _CREATE:
                conn.execute(statement)
            if not before.tracking:
                conn.execute(_FILL_TICKER_VERSION)
            after = self._inspect(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            raise
        with self._lock:  # this upgrade is no write by an older smallcap: keep the cache
            if (not before.empty and not before.tracking and before.version == self._version
                    and before.untracked == self._untracked):
                self._untracked = after.untracked
                for ticker in self._histories:  # every stored ticker: ticker_version = version
                    if self._loaded.get(ticker) is None:
                        self._loaded[ticker] = after.version

    def close(self) -> None:
        """Close both connections (the read-only one first: the writer, last out, folds
        the write-ahead log back into the file)."""
        with self._write_lock, self._lock:
            if self._watch is not None:  # first: the last connection out may remove -shm
                self._watch.close()
                self._watch = None
            for conn in (self._conn, self._writer_conn):
                if conn is not None:
                    conn.close()
            self._conn = self._writer_conn = None
            self._layout = _Layout(empty=True)
            self._data_version = -1

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any exception) on the
        read-write connection; bumps the version first, so :meth:`touch` inside stamps a
        ticker with the new version. A sqlite3 error inside becomes a StoreError."""
        with self._write_lock:
            conn = self._writer()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._fault(exc, "write") from exc
            try:
                self._inspect(conn)  # a newer smallcap or a damaged stamp since it opened
                conn.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                             "WHERE key IN ('version', 'tracked')")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                if isinstance(exc, sqlite3.Error):
                    raise self._fault(exc, "write") from exc
                raise

    @staticmethod
    def touch(conn: sqlite3.Connection, ticker: str, first_date: str | None) -> None:
        """Inside :meth:`transaction`: record that ``ticker``'s rows changed from
        ``first_date`` on (None: any row may have changed, or been deleted)."""
        conn.execute(_TOUCH, (ticker, first_date))

    # -- version and cached histories ----------------------------------------------------

    def version(self) -> int:
        """The store's version stamp; changes on every committed write by any process
        (0 while there is no store). When it changed, the cached Histories of the tickers
        written since are dropped (or marked to re-read their new rows); the others stay."""
        watch = self._watch
        if watch is not None and watch.unchanged():  # no commit since: SQLite need not say
            return self._version
        with self._lock:
            conn = self._reader()
            if conn is None:
                self._forget(list(self._histories) + list(self._stale))
                return 0
            watch = self._watch
            header = watch.header() if watch is not None else None  # before SQLite speaks
            try:
                data_version = conn.execute("PRAGMA data_version").fetchone()[0]
                if data_version != self._data_version:
                    self._sync(conn)
                    self._data_version = data_version
                    if watch is None:  # now in WAL mode? (looked for when something moved)
                        watch = store_read.ChangeWatch(self.path)
                        header = watch.header()
                        if watch.active and conn.execute("PRAGMA data_version").fetchone()[
                                0] == data_version:
                            self._watch = watch
                        else:
                            watch.close()
                            watch = None
            except sqlite3.Error as exc:
                raise self._fault(exc, "read") from exc
            if watch is not None:
                watch.saw(header)
            return self._version

    def _sync(self, conn: sqlite3.Connection) -> None:
        layout = self._layout = self._inspect(conn, self._layout)
        version, untracked = layout.version, layout.untracked
        if version == self._version and untracked == self._untracked:
            return
        if untracked != self._untracked or not layout.tracking:
            self._forget(list(self._histories) + list(self._stale))  # trust nothing cached
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
        watch = self._watch
        if watch is not None and watch.unchanged():  # the hot path: nothing committed since
            cached = self._histories.get(ticker)
            if cached is not None:
                return cached
        self.version()
        cached = self._histories.get(ticker)
        if cached is not None:
            return cached
        with self._lock:
            conn = self._reader()
            if conn is None:
                raise self._no_data(ticker)
            try:
                row = conn.execute("SELECT version FROM ticker_version WHERE ticker = ?",
                                   (ticker,)).fetchone() if self._layout.tracking else None
            except sqlite3.Error as exc:  # (read before the rows: never newer than them)
                raise self._fault(exc, "read") from exc
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
        dates, close, adj = self._rows(ticker)
        if not len(dates):
            raise self._no_data(ticker)
        return History(ticker, dates, adj, close)

    def _extend(self, old: History, first_date: str) -> History:
        """``old`` up to the day before ``first_date``, then the stored rows from it on."""
        dates, close, adj = self._rows(old.ticker, self._day(first_date, old.ticker).isoformat())
        keep = int(np.searchsorted(old.dates, np.datetime64(first_date, "D")))
        return History(
            old.ticker,
            np.concatenate([old.dates[:keep], dates]),
            np.concatenate([old.close[:keep], adj]),
            np.concatenate([old.raw_close[:keep], close]),
        )

    def _rows(self, ticker: str, start: str | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stored rows of ``ticker`` (from ``start`` on) as arrays: dates, close, adjusted
        close (:func:`smallcap.store_read.read_rows`); a damaged row is a StoreError."""
        with self._lock:
            conn = self._reader()
            if conn is None:
                raise self._no_data(ticker)
            try:
                days, close, adj = store_read.read_rows(conn, ticker, start)
                bad = store_read.damaged_row(days, close, adj)
                row = None if bad is None else store_read.stored_row(conn, ticker, start, bad)
            except sqlite3.Error as exc:
                raise self._fault(exc, f"read {ticker} from") from exc
        if row is not None:
            raise StoreError(f"the store at {self.path} is damaged: a row of {ticker} is not a "
                             f"date and two prices ({row}); reload {ticker} (smallcap load-csv "
                             f"{ticker} FILE --replace), or {_RELOAD}")
        return store_read.as_dates(days), close, adj

    # -- reading ------------------------------------------------------------------------

    def _day(self, value: object, ticker: str) -> dt.date:
        """A stored date of ``ticker`` (YYYY-MM-DD); anything else: the store is damaged."""
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError(f"{repr(value)[:40]} is not a YYYY-MM-DD date")
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise self._damaged(f"a stored date of {ticker}: {_one_line(exc)}") from exc

    def frame(
        self, ticker: str, start: dt.date | None = None, end: dt.date | None = None
    ) -> pd.DataFrame:
        """Stored rows of ``ticker`` as a DataFrame indexed by date: ``close``, ``adj_close``
        (empty while there is no store)."""
        sql = "SELECT date, close, adj_close FROM prices WHERE ticker = ?"
        args: list[object] = [ticker]
        if start is not None:
            sql += " AND date >= ?"
            args.append(start.isoformat())
        if end is not None:
            sql += " AND date <= ?"
            args.append(end.isoformat())
        sql += " ORDER BY date"
        rows = self._query(sql, args, f"read {ticker} from")
        try:
            if rows:
                dates, close, adj = zip(*rows, strict=True)
                if set(map(len, dates)) != {10}:  # what numpy would read loosely ('2024')
                    raise ValueError("a date is not YYYY-MM-DD")
            else:
                dates, close, adj = (), (), ()
            index = pd.DatetimeIndex(np.array(dates, dtype="datetime64[D]"), name="date")
            columns = {"close": np.array(close, dtype="float64"),
                       "adj_close": np.array(adj, dtype="float64")}
            bad = plausible.bad_prices(columns["close"]) | plausible.bad_prices(columns["adj_close"])
            if bad.any():  # written behind our back: a price no write would have stored
                at = int(np.flatnonzero(bad)[0])
                raise ValueError(f"{ticker} on {dates[at]}: close {close[at]!r}, adjusted close "
                                 f"{adj[at]!r}; a price is a number > 0")
        except (TypeError, ValueError) as exc:
            raise StoreError(f"the store at {self.path} is damaged: a row of {ticker} is not a "
                             f"date and two prices ({_one_line(exc)}); reload {ticker} "
                             f"(smallcap load-csv {ticker} FILE --replace), or {_RELOAD}") from exc
        return pd.DataFrame(columns, index=index)

    def tickers(self) -> list[str]:
        """Tickers with at least one stored row."""
        return [r[0] for r in self._query("SELECT DISTINCT ticker FROM prices ORDER BY ticker")]

    def last_date(self, ticker: str) -> dt.date | None:
        """The last stored trading day of ``ticker``, or None."""
        rows = self._query("SELECT MAX(date) FROM prices WHERE ticker = ?", (ticker,))
        return self._day(rows[0][0], ticker) if rows and rows[0][0] is not None else None

    def status(self, ticker: str) -> dict[str, object]:
        """First and last date, row count and the last successful refresh (UTC) of ``ticker``."""
        self.version()
        with self._lock:
            cached = self._histories.get(ticker)  # the stored rows, read since the last write
            counted = [(str(cached.dates[0]), str(cached.dates[-1]), len(cached))] if cached \
                is not None and len(cached) else self._query(
                "SELECT MIN(date), MAX(date), COUNT(*) FROM prices WHERE ticker = ?", (ticker,))
            logged = self._query(
                "SELECT finished_at, source FROM refresh_log WHERE ticker = ? AND ok = 1 "
                "ORDER BY id DESC LIMIT 1",
                (ticker,),
            )
        first, last, count = counted[0] if counted else (None, None, 0)
        refreshed_at = None
        if logged:
            try:
                refreshed_at = dt.datetime.fromisoformat(logged[0][0])
            except (TypeError, ValueError) as exc:
                raise self._damaged(f"its refresh log holds {repr(logged[0][0])[:40]} as the time "
                                    f"of a refresh of {ticker}, not an ISO time") from exc
        return {
            "ticker": ticker,
            "first_date": self._day(first, ticker) if first is not None else None,
            "last_date": self._day(last, ticker) if last is not None else None,
            "rows": int(count),
            "refreshed_at": refreshed_at,
            "source": logged[0][1] if logged else None,
        }

    def refresh_log(self, limit: int = 50, ticker: str | None = None) -> pd.DataFrame:
        """The latest entries of the refresh log (of ``ticker``), newest first; none if no store."""
        columns = ["id", "ticker", "source", "started_at", "finished_at", "rows_added",
                   "rows_revised", "first_date", "last_date", "ok", "message"]
        rows = self._query(f"SELECT {', '.join(columns)} FROM refresh_log WHERE ?2 IS NULL OR "
                           "ticker = ?2 ORDER BY id DESC LIMIT ?1", (int(limit), ticker))
        return pd.DataFrame.from_records(rows, columns=columns)

    # -- writing ------------------------------------------------------------------------

    def write(
        self,
        ticker: str,
        rows: pd.DataFrame,
        source: str,
        *,
        revision_tolerance: float = 1e-9,
        replace: bool = False,
        limits: plausible.Limits | None = None,
        explained_by: str | None = None,
        check: Callable[[pd.DataFrame], str | None] | None = None,
        note: str = "",
        on_written: object = None,
    ) -> WriteResult:
        """Upsert ``rows`` (``date``, ``close``, optional ``adj_close``) in one transaction.

        Every row must be plausible (:func:`normalise_rows`), else nothing is written.
        New dates are added; stored dates are overwritten, and those whose close moved
        by more than ``revision_tolerance`` (relative) are reported as revised. With
        ``limits`` (what the loaders and the refresh pass), a write that would revise
        stored closes beyond them is refused with :class:`ImplausibleData` before any row
        is written (:func:`smallcap.analytics.plausible.check_revisions`), unless
        ``replace`` or ``explained_by`` (what explains the revision, e.g. a split the
        source reports; kept in the refresh log). With ``replace`` every stored row of
        the ticker is deleted first (still one transaction). ``check`` is called inside
        the transaction before anything is written, with the stored rows this write
        overwrites (all of the ticker's with ``replace``, else those from its first to its
        last date) as :meth:`frame` gives them; it raises to refuse the write, and what it
        returns (not None) is kept in the refresh log like ``explained_by``. ``note`` is
        added to the write's refresh-log message. ``on_written`` (tests only) is called
        inside the transaction, after the rows are written and before COMMIT.
        """
        started = _utc_now()
        frame = normalise_rows(ticker, rows)
        iso = [str(d) for d in frame["date"].to_numpy().astype("datetime64[D]")]
        close = frame["close"].to_numpy()
        adj = frame["adj_close"].to_numpy()
        with self.transaction() as conn:
            if check is not None:
                explained = check(self._overwritten(conn, ticker, None if replace else iso))
                explained_by = explained if explained is not None else explained_by
            stored = conn.execute(  # every row this write replaces or overwrites
                "SELECT date, close, adj_close FROM prices WHERE ticker = ?" + (
                    "" if replace else " AND date BETWEEN ? AND ?"),
                (ticker,) if replace else (ticker, iso[0], iso[-1]),
            ).fetchall() if replace or iso else []
            if replace:
                conn.execute("DELETE FROM prices WHERE ticker = ?", (ticker,))
            change = overwrite.compare(stored, iso, close, adj, revision_tolerance)
            old_close, old_adj = change.old_close, change.old_adj
            if limits is not None and not replace and explained_by is None:
                plausible.check_revisions(ticker, iso, old_close, close, limits)
                plausible.check_adjusted(ticker, iso, old_close, old_adj, close, adj, limits)
            revised, added = change.revised, change.added
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
                "rows_revised, first_date, last_date, ok, message) VALUES (?,?,?,?,?,?,?,?,1,?)",
                (ticker, source, started, _utc_now(), added, len(revised),
                 iso[0] if iso else None, iso[-1] if iso else None,
                 "; ".join(part for part in (
                     f"revisions explained by {explained_by}" if explained_by else "",
                     change.removed_note, note) if part)),
            )
        return WriteResult(
            ticker,
            added,
            revised,
            dt.date.fromisoformat(iso[0]) if iso else None,
            dt.date.fromisoformat(iso[-1]) if iso else None,
            removed=change.removed, readjusted=change.readjusted, touched=change.touched,
        )

    @staticmethod
    def _overwritten(conn: sqlite3.Connection, ticker: str, iso: list[str] | None) -> pd.DataFrame:
        """Inside :meth:`write`: the stored rows of ``ticker`` (all of them, or those between
        the first and last of the days ``iso``) as :meth:`frame` gives them."""
        sql = "SELECT date, close, adj_close FROM prices WHERE ticker = ?"
        args: list[object] = [ticker]
        if iso is not None:
            if not iso:
                return pd.DataFrame({"close": [], "adj_close": []},
                                    index=pd.DatetimeIndex([], name="date"))
            sql += " AND date BETWEEN ? AND ?"
            args += [iso[0], iso[-1]]
        rows = conn.execute(sql + " ORDER BY date", args).fetchall()
        dates, close, adj = zip(*rows, strict=True) if rows else ((), (), ())
        index = pd.DatetimeIndex(np.array(dates, dtype="datetime64[D]"), name="date")
        return pd.DataFrame({"close": np.array(close, dtype="float64"),
                             "adj_close": np.array(adj, dtype="float64")}, index=index)

    def last_logged(self, ticker: str, source: str, marker: str) -> tuple[str, str] | None:
        """The newest successful write of ``ticker`` by ``source`` recorded in the refresh
        log whose message holds ``marker``, or that added every stored row from the
        ticker's first day to its last date (a whole history written by an older smallcap):
        its message and last date, or None."""
        rows = self._query(
            "SELECT message, last_date FROM refresh_log AS log WHERE ticker = ?1 AND "
            "source = ?2 AND ok = 1 AND (instr(message, ?3) > 0 OR (first_date <= "
            "(SELECT MIN(date) FROM prices WHERE ticker = ?1) AND rows_added > 0 AND "
            "rows_added >= (SELECT COUNT(*) FROM prices WHERE ticker = ?1 AND date BETWEEN "
            "log.first_date AND log.last_date))) ORDER BY id DESC LIMIT 1",
            (ticker, source, marker), f"read the refresh log of {ticker} in")
        return (str(rows[0][0]), str(rows[0][1])) if rows else None

    def log_failure(self, ticker: str, source: str, message: str) -> None:
        """Record a failed refresh of ``ticker`` in the log (does not touch prices or version)."""
        now = _utc_now()
        with self._write_lock:
            conn = self._writer()
            try:  # (waits up to STORE_WRITE_TIMEOUT for another process's write)
                conn.execute(
                    "INSERT INTO refresh_log(ticker, source, started_at, finished_at, ok, "
                    "message) VALUES (?, ?, ?, ?, 0, ?)",
                    (ticker, source, now, now, message),
                )
            except sqlite3.Error as exc:
                raise self._fault(exc, "log a failed refresh in") from exc


_STORES: dict[Path, Store] = {}
_STORES_LOCK = threading.Lock()


def open_store(path: str | os.PathLike[str] | None = None) -> Store:
    """The shared Store object for ``path`` (default: the store of this process,
    :func:`smallcap.settings.store_path`)."""
    resolved = (settings.store_file(params.path(path, "store")) if path is not None
                else settings.store_path())
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
    elif target is not None and params.path(target, "store").strip():  # "": the default
        Store(target)._exists()  # a path that cannot be a store (a folder) is refused now
    settings.choose_store(target)
    return open_store()


def current_store() -> Store:
    """The store used when a function is not given one."""
    return open_store()
