"""What one write changes in the stored rows of a ticker: added, revised, re-adjusted and
removed rows, and the first and last day touched. Pure (no I/O): the store's write hands
in the rows it read inside its transaction and reports what this module counts, so
``load-csv``, ``--replace`` and a refresh say the same thing about the same change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Change:
    """What writing the new rows over ``stored`` does (see :func:`compare`)."""

    old_close: np.ndarray  # per written day, the stored close (NaN: none)
    old_adj: np.ndarray  # per written day, the stored adjusted close (NaN: none)
    added: int  # written days with no stored row
    revised: list[tuple[dt.date, float, float]]  # (day, old close, new close), close moved
    readjusted: int  # stored rows whose adjusted close alone moved
    removed: int  # stored rows that no written day replaces (``replace`` only)
    removed_range: tuple[dt.date, dt.date] | None
    touched: tuple[dt.date, dt.date] | None  # first and last day whose row changed

    @property
    def removed_note(self) -> str:
        """For the refresh log: ``removed 8223 stored row(s), 1993-01-29 to 2024-02-21``."""
        if not self.removed or self.removed_range is None:
            return ""
        first, last = self.removed_range
        return f"removed {self.removed} stored row(s), {first} to {last}"


def compare(stored: Sequence[tuple[str, float, float]], iso: list[str], close: np.ndarray,
            adj: np.ndarray, tolerance: float) -> Change:
    """Compare the ``stored`` rows (``date``, close, adjusted close; those the write replaces
    or overwrites) with the written days ``iso`` (sorted ``YYYY-MM-DD``) and their ``close``
    and ``adj``. A close or adjusted close moved when it changed by more than ``tolerance``
    (relative); a stored day not written is removed (only a replace reads such rows)."""
    rows = pd.DataFrame.from_records(list(stored), columns=["date", "close", "adj_close"])
    at = pd.Index(rows["date"]).get_indexer(pd.Index(iso, dtype=object))
    known = at >= 0
    old_close = np.full(len(iso), np.nan)
    old_adj = np.full(len(iso), np.nan)
    old_close[known] = rows["close"].to_numpy(dtype="float64")[at[known]]
    old_adj[known] = rows["adj_close"].to_numpy(dtype="float64")[at[known]]
    close = np.asarray(close, dtype="float64")
    adj = np.asarray(adj, dtype="float64")
    with np.errstate(invalid="ignore"):
        moved = known & ~(np.abs(close - old_close) <= tolerance * np.maximum(
            np.abs(old_close), 1e-12))
        adj_moved = known & ~moved & ~(np.abs(adj - old_adj) <= tolerance * np.maximum(
            np.abs(old_adj), 1e-12))
    revised = [(dt.date.fromisoformat(iso[i]), float(old_close[i]), float(close[i]))
               for i in np.flatnonzero(moved)]
    removed = sorted(np.setdiff1d(rows["date"].to_numpy(dtype=object).astype(str),
                                  np.asarray(iso, dtype=str)).tolist())
    changed = [iso[i] for i in np.flatnonzero(~known | moved | adj_moved)] + removed
    touched = ((dt.date.fromisoformat(min(changed)), dt.date.fromisoformat(max(changed)))
               if changed else None)
    removed_range = ((dt.date.fromisoformat(removed[0]), dt.date.fromisoformat(removed[-1]))
                     if removed else None)
    return Change(old_close, old_adj, int((~known).sum()), revised, int(adj_moved.sum()),
                  len(removed), removed_range, touched)
