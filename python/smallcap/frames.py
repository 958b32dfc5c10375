"""Catalogue tables as a pandas user expects them (the Python face; Excel, HTTP and the
command line keep the spilled layout).

- Rows that are days (PRICE_HISTORY, ROTATION_SERIES): a ``DatetimeIndex`` named ``date``.
- Rows that are episodes (STREAK_EPISODES, FORWARD_RETURNS): one row per episode, indexed
  by its ``signal`` day (a ``DatetimeIndex`` named ``signal``); no summary rows. Their
  summary (count, median, mean, share positive: the rows Excel spills below
  FORWARD_RETURNS) is :func:`summary` of the table, its own DataFrame.
- Columns are typed: dates ``datetime64[ns]``, returns and closes ``float64``, counts
  ``int64`` (``peak_day``, blank while an episode is pending, is the nullable ``Int64``),
  text (FORWARD_RETURNS' last column, ``status``) pandas' string dtype.
- Other tables (DATA_STATUS) keep their columns, dates as ``datetime64[ns]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .analytics.forward import summary as _summary
from .settings import SUMMARY_ROWS

#: The column that becomes the index, the first one a table has.
INDEX_COLUMNS = ("date", "signal")
#: Whole-number columns that may be blank (a pending episode): nullable integers.
NULLABLE_WHOLE = ("peak_day",)
#: Text columns (FORWARD_RETURNS' ``status``): pandas' string dtype, even with no row.
TEXT = ("status",)


#: Below this many rows a date column is converted by numpy (no pandas overhead).
_SMALL = 256


def _is_dates(values: np.ndarray) -> bool:
    """True for an object column whose every value is a date, or an empty column of
    labels (an episode table without episodes: its day columns)."""
    if not len(values):
        return values.dtype.kind not in "biufcmM"
    if values.dtype != object:
        return False
    # all blank: a date column without a date yet (DATA_STATUS' refreshed_at, never refreshed)
    return pd.api.types.infer_dtype(values, skipna=True) in ("date", "datetime", "empty")


def _dates(values: np.ndarray) -> np.ndarray:
    """Dates (``datetime.date``, None for a blank) as ``datetime64[ns]``."""
    if len(values) < _SMALL:
        return np.array(values.tolist(), dtype="datetime64[D]").astype("datetime64[ns]")
    return pd.to_datetime(values).to_numpy().astype("datetime64[ns]")


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """A catalogue table (the spilled layout) as a pandas-native DataFrame (see the
    module): summary rows dropped, dates typed, the day column as the index."""
    columns = [str(c) for c in frame.columns]
    arrays = [frame[c].to_numpy() if frame[c].dtype == object else frame[c].array
              for c in frame.columns]  # typed columns keep their dtype (a UTC time too)
    rows = len(frame)
    if arrays and arrays[0].dtype.kind not in "biufcmM":  # labels: dates, then summary rows
        labels = arrays[0]
        while rows and isinstance(labels[rows - 1], str) and labels[rows - 1] in SUMMARY_ROWS:
            rows -= 1
    data: dict[str, object] = {}
    for name, values in zip(columns, arrays, strict=True):
        values = values[:rows]
        if name in TEXT:
            data[name] = pd.array(values, dtype="str")
        elif _is_dates(values):
            data[name] = _dates(values)
        elif name in NULLABLE_WHOLE:
            data[name] = pd.array(values, dtype="Int64")
        else:
            data[name] = values
    key = next((name for name in INDEX_COLUMNS if name in data), None)
    index = pd.DatetimeIndex(data.pop(key), name=key) if key else None
    return pd.DataFrame(data, index=index, columns=[c for c in columns if c != key])


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """The summary of an episode table (``smallcap.forward_returns(...)`` or
    ``smallcap.streak_episodes(...)``): a float64 DataFrame with one row per statistic
    (``count``, ``median``, ``mean``, ``share positive``; index named ``statistic``) and
    one column per numeric column of the table; pending episodes (blank figures) are left
    out. For FORWARD_RETURNS these are the rows Excel shows below the episodes.

    >>> table = smallcap.forward_returns(50, as_of="2024-07-16")
    >>> round(float(smallcap.summary(table).loc["median", "small_return"]), 4)
    0.05
    """
    return _summary(table)
