"""Rows to write, checked and made canonical: the one place every write path (CSV, Yahoo,
a caller's own DataFrame) goes through before :meth:`smallcap.store.Store.write` opens its
transaction. Pure (no I/O): whole-day dates, prices and years by the rules of
:mod:`smallcap.analytics.plausible`, no duplicate day, sorted by date.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .. import params
from ..errors import ImplausibleData, SourceError
from . import plausible

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _row_days(ticker: str, column: pd.Series) -> np.ndarray:
    """The ``date`` column as ``datetime64[D]``: each a whole day (a string is exactly
    ``YYYY-MM-DD``; a timestamp has no time of day once its time zone is dropped)."""
    if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
        text = column[column.map(lambda v: isinstance(v, str))]
        junk = ~text.map(lambda v: bool(_ISO_DAY.fullmatch(v.strip()))).to_numpy(dtype=bool)
        if junk.any():
            raise ImplausibleData(f"{ticker}: {text.iloc[int(np.flatnonzero(junk)[0])]!r} "
                                  "is not a date (expected YYYY-MM-DD)")
    elif pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        raise SourceError(f"{ticker}: the date column holds {column.dtype} numbers, not dates")
    try:
        dates = pd.to_datetime(column)
    except (ValueError, TypeError, OverflowError) as exc:  # OutOfBoundsDatetime is a ValueError
        first = (str(exc).strip().splitlines() or [""])[0]
        raise ImplausibleData(f"{ticker}: a date is not a date: {first}") from None
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    stamps = dates.to_numpy()
    days = stamps.astype("datetime64[D]")
    timed = ~np.isnat(stamps) & (days != stamps)
    if timed.any():
        raise ImplausibleData(f"{ticker}: {dates.iloc[int(np.flatnonzero(timed)[0])]} is not "
                              "a whole day (a date has nothing after the day)")
    return days


def normalise_rows(ticker: str, rows: pd.DataFrame) -> pd.DataFrame:
    """Check and canonicalise rows to write: columns ``date`` (whole days), ``close`` and
    optional ``adj_close``; no duplicate dates; sorted by date; and plausible
    (:func:`smallcap.analytics.plausible.check_values`: every close and adjusted close a
    number > 0, years 1900 to 2100). Raises :class:`SourceError` (:class:`ImplausibleData`
    for a rule of plausibility)."""
    if not isinstance(rows, pd.DataFrame):
        raise SourceError(f"{ticker}: expected a DataFrame of rows, got {type(rows).__name__}")
    frame = rows.reset_index() if "date" not in rows.columns else rows
    missing = {"date", "close"} - set(frame.columns)
    if missing:
        raise SourceError(f"{ticker}: rows lack column(s) {', '.join(sorted(missing))}")
    days = _row_days(ticker, frame["date"])
    close = pd.to_numeric(frame["close"], errors="coerce").to_numpy(dtype="float64")
    adj = (
        pd.to_numeric(frame["adj_close"], errors="coerce").to_numpy(dtype="float64")
        if "adj_close" in frame.columns
        else close.copy()
    )
    if np.isnat(days).any():
        raise SourceError(f"{ticker}: {int(np.isnat(days).sum())} row(s) have no date")
    plausible.check_values(ticker, days, close, adj)
    order = np.argsort(days, kind="stable")
    days, close, adj = days[order], close[order], adj[order]
    dup = days[1:] == days[:-1]
    if dup.any():
        first = params.to_date(days[1:][dup][0])
        raise SourceError(f"{ticker}: duplicate rows for {first}")
    return pd.DataFrame({"date": days, "close": close, "adj_close": adj})
