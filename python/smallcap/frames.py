"""Catalogue tables as a pandas user expects them (the Python face; Excel, HTTP and the
command line keep the spilled layout).

- Rows that are days (PRICE_HISTORY, ROTATION_SERIES): a ``DatetimeIndex`` named ``date``.
- Rows that are episodes (STREAK_EPISODES, FORWARD_RETURNS): one row per episode, indexed
  by its ``signal`` day (a ``DatetimeIndex`` named ``signal``); no summary rows. Their
  summary (count, median, mean, share positive: the rows Excel spills below
  FORWARD_RETURNS) is :func:`summary` of the table, its own DataFrame.
- Columns are typed: dates ``datetime64[ns]``, returns and closes ``float64``, counts
  ``int64`` (``peak_day``, blank while an episode is pending, is the nullable ``Int64``).
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


def _is_dates(column: pd.Series) -> bool:
    """True for an object column whose every value is a date, or an empty column of
    labels (an episode table without episodes: its day columns)."""
    if not len(column):
        return column.dtype.kind not in "biufcmM"
    if column.dtype != object:
        return False
    return pd.api.types.infer_dtype(column, skipna=True) in ("date", "datetime")


def table(frame: pd.DataFrame) -> pd.DataFrame:
    """A catalogue table (the spilled layout) as a pandas-native DataFrame (see the
    module): summary rows dropped, dates typed, the day column as the index."""
    first = frame.columns[0] if len(frame.columns) else None
    if first is not None and frame[first].dtype.kind not in "biufcmM":  # labels: text, dates
        keep = ~frame[first].isin(SUMMARY_ROWS).to_numpy()
        if not keep.all():
            frame = frame[keep]
    data = {}
    for name in frame.columns:
        column = frame[name]
        if _is_dates(column):
            data[name] = pd.to_datetime(column).to_numpy().astype("datetime64[ns]") if len(
                column) else np.array([], dtype="datetime64[ns]")
        elif name in NULLABLE_WHOLE:
            data[name] = column.astype("Int64").array
        else:
            data[name] = column.array
    out = pd.DataFrame(data, columns=list(frame.columns))
    for name in INDEX_COLUMNS:
        if name in out.columns:
            out = out.set_index(name)
            break
    return out


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
