"""The store's hot read path, beside :mod:`smallcap.store`: a ticker's rows straight into
numpy arrays, and a cheap "has anyone committed since?" check for every warm call.

- :func:`read_rows`: one query whose dates come back as day numbers (SQLite's
  ``julianday``, computed in C); the values go into one float64 array in one pass (a
  value that is no number sends the read to a second query that checks each value in
  SQL). A row that is not a whole day after the day before and two prices (numbers > 0)
  is found in one vectorised pass (:func:`damaged_row`), named by ticker and day
  (:func:`stored_row`), so the store refuses it as damaged: the one place a further
  rule on stored values belongs.
- :class:`ChangeWatch`: in WAL mode every commit, by any connection of any process,
  rewrites the write-ahead-log index header at the start of the ``-shm`` file (SQLite's
  ``WalIndexHdr``: its change counter and last frame move with each transaction). The
  watch maps that file read-only and compares the header with the one seen when the
  store last asked SQLite (``PRAGMA data_version``): equal bytes mean no commit since, so
  a warm call answers without asking SQLite. Any difference (a commit, a checkpoint that
  restarts the log, a torn read) sends the caller to SQLite, as before. Without a
  ``-shm`` file (a store not in WAL mode, an immutable read) there is no watch and
  every call asks SQLite. smallcap's writers keep the store in WAL mode; a tool that
  switched a store out of WAL mode while a smallcap process held it open would not be
  seen until that process reopened the store.
"""

from __future__ import annotations

import itertools
import mmap
import os
import sqlite3
from pathlib import Path

import numpy as np

from .analytics import plausible

# SQLite's WalIndexHdr: the first copy of the header (48 bytes) at the start of -shm.
_HEADER = 48
_UNIX_EPOCH_JULIAN = 2440587.5  # julianday('1970-01-01')

_FAST = f"SELECT julianday(date) - {_UNIX_EPOCH_JULIAN}, close, adj_close FROM prices"
# The same rows, each value checked in SQL (NULL where it is not what it must be): read
# only when the fast read met something that is not a number, to say which row it was.
_CHECKED = (
    "SELECT CASE WHEN typeof(date) = 'text' AND length(date) = 10 "
    "AND substr(date, 5, 1) = '-' AND substr(date, 8, 1) = '-' "
    f"THEN julianday(date) - {_UNIX_EPOCH_JULIAN} END, "
    "CASE WHEN typeof(close) IN ('real', 'integer') THEN close END, "
    "CASE WHEN typeof(adj_close) IN ('real', 'integer') THEN adj_close END "
    "FROM prices"
)


def _where(ticker: str, start: str | None) -> tuple[str, list[str]]:
    return (" WHERE ticker = ? AND date >= ?", [ticker, start]) if start is not None else (
        " WHERE ticker = ?", [ticker])


def read_rows(conn: sqlite3.Connection, ticker: str, start: str | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stored rows of ``ticker`` (from ISO day ``start`` on), by date: day numbers
    (float64, NaN where the stored date is no YYYY-MM-DD day), close and adjusted close
    (NaN where the stored value is not a number). Raises sqlite3 errors."""
    where, args = _where(ticker, start)
    rows = conn.execute(_FAST + where + " ORDER BY date", args).fetchall()
    if not rows:
        empty = np.empty(0, dtype="float64")
        return empty, empty, empty
    try:  # one pass over the values, in C
        numbers = np.fromiter(itertools.chain.from_iterable(rows), "float64",
                              3 * len(rows)).reshape(-1, 3)
    except (TypeError, ValueError):  # NULL or text where a number belongs: read, checked
        rows = conn.execute(_CHECKED + where + " ORDER BY date", args).fetchall()
        numbers = np.array(rows, dtype=object).astype("float64")
    return numbers[:, 0], numbers[:, 1], numbers[:, 2]


def stored_row(conn: sqlite3.Connection, ticker: str, start: str | None, index: int) -> str:
    """Row ``index`` of what :func:`read_rows` read, as stored, naming ticker and day
    (``SPY on 2024-07-15: close -5.0, adjusted close 550.0``)."""
    where, args = _where(ticker, start)
    row = conn.execute("SELECT date, close, adj_close FROM prices" + where +
                       " ORDER BY date LIMIT 1 OFFSET ?", [*args, index]).fetchone()
    if row is None:
        return f"{ticker}: a row changed while it was read"
    day = row[0] if isinstance(row[0], str) else repr(row[0])[:40]
    return f"{ticker} on {day}: close {repr(row[1])[:40]}, adjusted close {repr(row[2])[:40]}"


def damaged_row(days: np.ndarray, close: np.ndarray, adj: np.ndarray) -> int | None:
    """Index of the first row that is not a whole-day date (after the day before) and
    two prices (the plausibility rule's), or None. The one vectorised check of stored
    values on the read path."""
    with np.errstate(invalid="ignore"):
        bad = (np.isnan(days) | (days != np.floor(days)) | plausible.bad_prices(close)
               | plausible.bad_prices(adj))  # the write path's price rule, on every read
        bad[1:] |= ~(days[1:] > days[:-1])  # two stored texts naming one day, or out of order
    if bad.any():
        return int(np.flatnonzero(bad)[0])
    return None


def as_dates(days: np.ndarray) -> np.ndarray:
    """Day numbers (checked whole) as ``datetime64[D]``."""
    return days.astype("int64").astype("datetime64[D]")


class ChangeWatch:
    """The WAL index header of the store at ``path``, mapped read-only (see the module)."""

    __slots__ = ("_file", "_map", "_seen")

    def __init__(self, path: Path) -> None:
        self._file = self._map = None
        self._seen: bytes | None = None
        try:
            self._file = open(f"{path}-shm", "rb")  # noqa: SIM115 (kept open while mapped)
            if os.fstat(self._file.fileno()).st_size >= _HEADER:
                self._map = mmap.mmap(self._file.fileno(), _HEADER, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            pass
        if self._map is None:
            self.close()

    @property
    def active(self) -> bool:
        return self._map is not None

    def header(self) -> bytes | None:
        """The header now (take it before asking SQLite, then :meth:`saw` it)."""
        return self._map[:_HEADER] if self._map is not None else None

    def saw(self, header: bytes | None) -> None:
        """SQLite was asked after ``header`` was read: calls may trust it until it moves."""
        self._seen = header

    def unchanged(self) -> bool:
        """No commit since the header last seen (False: ask SQLite)."""
        seen = self._seen
        try:
            return seen is not None and self._map[:_HEADER] == seen
        except (TypeError, ValueError):  # closed meanwhile by another thread
            return False

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
        if self._file is not None:
            self._file.close()
        self._file = self._map = self._seen = None
