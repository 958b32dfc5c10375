"""CSV source: Yahoo-style daily price files (a user's own export, or the bundled sample).

Accepted columns (any order, case- and space-insensitive, each meaning once; see
:mod:`smallcap.sources.csv_shape`): ``Date`` and ``Close`` are required; ``Adj Close``
is used as the adjusted close when present (else Close); Open, High, Low, Volume,
Dividends, Stock Splits and Capital Gains are ignored; any other column is refused.
Every line is held to the same limits (fields, bytes per field, rows) before parsing, and
a day after today is refused. Dates may carry a time and offset
("2024-07-16 00:00:00-04:00"); the trading day is the date part; anything else after the
day is refused, and so are years outside 1900 to 2100. Closes and adjusted closes must be
numbers > 0 (the rules of :mod:`smallcap.analytics.plausible`, here with the line named).

Only a regular file (or a symlink to one) is read: a folder, a FIFO or a device is refused
before anything is read, and so is a file larger than ``SMALLCAP_MAX_CSV_BYTES`` (64 MB);
at most that many bytes are ever read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import settings
from ..analytics import plausible
from ..errors import CsvFormatError, ImplausibleRow, InputTooLarge, NotARegularFile
from ..store import Store, WriteResult
from . import csv_shape

GAP_WARNING_DAYS = 14  # calendar days without a row that earn a warning
_NULLS = {"", "null", "nan", "na", "n/a", "none", "-"}
# a day, then optionally a time and a UTC offset (what Yahoo's exports and pandas write)
_DATE = (r"\s*\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"
         r"\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?\s*")


@dataclass(frozen=True)
class CsvRows:
    """Validated rows (``date``, ``close``, ``adj_close``) plus warnings about the file;
    ``adjusted``: the file has an Adj Close column (else its Close is the adjusted close)."""

    rows: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    adjusted: bool = True


def _fail(path: Path, line: int, message: str,
          kind: type[CsvFormatError] = CsvFormatError) -> CsvFormatError:
    return kind(f"{path.name}, line {line}: {message}")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_file_bytes(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a data file: a regular file (a symlink to one is fine) of at most
    ``SMALLCAP_MAX_CSV_BYTES``. Anything else is refused before a byte is read: no such
    file or unreadable (:class:`CsvFormatError`), a folder, FIFO or device
    (:class:`NotARegularFile`), too large (:class:`InputTooLarge`)."""
    if not str(path).strip():
        raise CsvFormatError("no file given (an empty path); give a CSV file")
    path = Path(path)
    cap = settings.max_csv_bytes()

    def check(info: os.stat_result) -> None:
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile(f"{path}: is {_kind(info.st_mode)}, not a file; "
                                  "give a CSV file")
        if info.st_size > cap:
            raise _too_large(path, info.st_size, cap)

    try:
        check(os.stat(path))  # follows a symlink: what would be read
        # O_NONBLOCK: were the file swapped for a FIFO since, opening must not wait
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise CsvFormatError(f"{path}: no such file") from None
    except OSError as exc:
        raise CsvFormatError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    try:
        check(os.fstat(fd))  # the file actually opened
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(cap + 1)  # never more than the cap, whatever the file does
    except OSError as exc:
        raise CsvFormatError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if len(data) > cap:  # it grew since, or its size lies (a /proc file)
        raise _too_large(path, None, cap)
    return data


def _too_large(path: Path, size: int | None, cap: int) -> InputTooLarge:
    size_text = f"{size:,} bytes" if size is not None else "it"
    return InputTooLarge(f"{path.name}: {size_text} is larger than {settings.MAX_CSV_BYTES_ENV} "
                         f"({cap:,} bytes); raise it or split the file")


def read_price_csv(path: str | Path, *, last_day: dt.date | None = None) -> CsvRows:
    """Read and validate a daily price CSV; raises CsvFormatError naming the bad line (and
    :class:`InputTooLarge`, :class:`NotARegularFile` before reading, see
    :func:`read_file_bytes`). Every line is held to the limits of
    :func:`smallcap.sources.csv_shape.check_shape` before it is parsed, and the header to
    :func:`~smallcap.sources.csv_shape.header_columns`. A day after ``last_day`` (default:
    today, :func:`smallcap.analytics.plausible.last_day`) is refused."""
    data = read_file_bytes(path)
    path = Path(path)
    csv_shape.check_shape(data, path.name)
    meanings = csv_shape.header_columns(data, path.name)
    try:
        raw = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False,
                          skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise CsvFormatError(f"{path.name}: not a readable CSV file ({exc})") from None
    except pd.errors.EmptyDataError:
        raise CsvFormatError(f"{path.name}: the file is empty") from None
    if len(raw.columns) != len(meanings):
        raise CsvFormatError(f"{path.name}, line 1: not a readable CSV header")
    raw.columns = [meaning or f"unnamed {i}" for i, meaning in enumerate(meanings)]
    columns = {meaning: meaning for meaning in meanings if meaning}
    if raw.empty:
        raise CsvFormatError(f"{path.name}: no data rows after the header")
    lines = np.arange(len(raw)) + 2  # header is line 1
    warnings: list[str] = []

    close_text = raw[columns["close"]].str.strip()
    adj_key = columns.get("adj close")
    adj_text = raw[adj_key].str.strip() if adj_key else close_text
    empty = close_text.str.lower().isin(_NULLS).to_numpy()
    price_columns = [columns[c] for c in ("open", "high", "low") if c in columns]
    if empty.any():
        # Yahoo exports mark days without prices with "null" in every price column: skip
        # those with a warning; a row with other prices but no close is an error.
        others_empty = np.ones(len(raw), dtype=bool)
        for column in price_columns:
            others_empty &= raw[column].str.strip().str.lower().isin(_NULLS).to_numpy()
        bad = empty & ~others_empty
        if bad.any():
            raise _fail(path, int(lines[bad][0]), "the Close is missing")
        warnings.append(f"skipped {int(empty.sum())} row(s) with no prices (first on line "
                        f"{int(lines[empty][0])})")
        keep = ~empty
        raw, close_text, adj_text, lines = raw[keep], close_text[keep], adj_text[keep], lines[keep]
        if raw.empty:
            raise CsvFormatError(f"{path.name}: no row has a Close")

    date_text = raw[columns["date"]].astype(str)
    shaped = (date_text.str.len() == 10).to_numpy(dtype=bool, copy=True)  # parsed strictly
    if not shaped.all():  # a time and offset may follow the day; nothing else
        shaped[~shaped] = date_text[~shaped].str.fullmatch(_DATE).to_numpy(dtype=bool)
    dates = pd.to_datetime(date_text.str.strip().str[:10].where(shaped), format="%Y-%m-%d",
                           errors="coerce")
    bad_date = dates.isna().to_numpy()
    if bad_date.any():
        index = int(np.flatnonzero(bad_date)[0])
        raise _fail(path, int(lines[index]),
                    f"{raw[columns['date']].iloc[index]!r} is not a date (expected YYYY-MM-DD)")
    days = dates.to_numpy().astype("datetime64[D]")
    bad_year = plausible.bad_years(days)
    if bad_year.any():
        index = int(np.flatnonzero(bad_year)[0])
        raise _fail(path, int(lines[index]), f"{raw[columns['date']].iloc[index]!r} is outside "
                    f"{plausible.year_rule()}", ImplausibleRow)
    last_day = last_day or plausible.last_day()
    future = days > np.datetime64(last_day, "D")
    if future.any():
        index = int(np.flatnonzero(future)[0])
        raise _fail(path, int(lines[index]), f"{raw[columns['date']].iloc[index]!r} is after "
                    f"today ({last_day}): {plausible.FUTURE_RULE}", ImplausibleRow)
    close = pd.to_numeric(close_text, errors="coerce").to_numpy(dtype="float64")
    adj = pd.to_numeric(adj_text, errors="coerce").to_numpy(dtype="float64")
    for values, text, name in ((close, close_text, "Close"), (adj, adj_text, "Adj Close")):
        bad = plausible.bad_prices(values)
        if bad.any():
            index = int(np.flatnonzero(bad)[0])
            kind = ImplausibleRow if np.isfinite(values[index]) else CsvFormatError
            raise _fail(path, int(lines[index]), f"{name} {text.iloc[index]!r} is not a number > 0",
                        kind)
    order = np.argsort(days, kind="stable")
    sorted_days = days[order]
    duplicate = sorted_days[1:] == sorted_days[:-1]
    if duplicate.any():
        index = order[1:][duplicate][0]
        raise _fail(path, int(lines[index]),
                    f"{sorted_days[1:][duplicate][0]} appears more than once")
    if (order != np.arange(len(order))).any():
        warnings.append("rows were not in date order; sorted them")
    gaps = np.diff(sorted_days).astype("int64")
    long_gaps = np.flatnonzero(gaps > GAP_WARNING_DAYS)
    if len(long_gaps):
        first = long_gaps[0]
        warnings.append(
            f"{len(long_gaps)} gap(s) of more than {GAP_WARNING_DAYS} days without a row "
            f"(first: {sorted_days[first]} to {sorted_days[first + 1]}, line "
            f"{int(lines[order[first + 1]])})"
        )
    rows = pd.DataFrame({"date": sorted_days, "close": close[order], "adj_close": adj[order]})
    return CsvRows(rows, warnings, adj_key is not None)


def file_date_range(rows: pd.DataFrame) -> tuple[dt.date, dt.date]:
    """First and last date of validated rows."""
    days = rows["date"].to_numpy().astype("datetime64[D]")
    return days[0].item(), days[-1].item()


def load(store: Store, ticker: str, path: str | os.PathLike[str], *,
         replace: bool = False, replace_hint: str = "replace=True") -> WriteResult:
    """Read ``path`` (:func:`read_price_csv`) and write its rows as ``ticker`` (a valid
    symbol) into ``store`` in one transaction, under the plausibility limits: a file that
    would revise more than a handful of stored closes beyond the tolerance, or move one by
    more than 20%, is refused (:class:`~smallcap.errors.ImplausibleData`, nothing written)
    unless ``replace`` (a refusal says how: ``replace_hint``, as the caller spells it:
    ``replace=True`` in Python, ``--replace`` on the command line). The result carries the
    file's warnings."""
    parsed = read_price_csv(path)
    name = Path(path).name
    limits = plausible.Limits.from_settings(
        remedy=f"if {name} is right for {ticker}, load it with {replace_hint}",
        adjusted_note="" if parsed.adjusted else (
            f"{name} has no Adj Close column, so its Close is taken as the adjusted close"))
    result = store.write(ticker, parsed.rows, f"csv:{name}", replace=replace, limits=limits)
    return dataclasses.replace(result, warnings=parsed.warnings)
