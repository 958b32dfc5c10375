"""CSV source: Yahoo-style daily price files (a user's own export, or ../shared/data).

Accepted columns (any order, case-insensitive): ``Date`` and ``Close`` are required;
``Adj Close`` is used as the adjusted close when present (else Close); Open, High,
Low, Volume and others are ignored. Dates may carry a time and offset
("2024-07-16 00:00:00-04:00"); the trading day is the date part.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import CsvFormatError

GAP_WARNING_DAYS = 14  # calendar days without a row that earn a warning
_NULLS = {"", "null", "nan", "na", "n/a", "none", "-"}


@dataclass(frozen=True)
class CsvRows:
    """Validated rows (``date``, ``close``, ``adj_close``) plus warnings about the file."""

    rows: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


def _fail(path: Path, line: int, message: str) -> CsvFormatError:
    return CsvFormatError(f"{path.name}, line {line}: {message}")


def read_price_csv(path: str | Path) -> CsvRows:
    """Read and validate a daily price CSV; raises CsvFormatError naming the bad line."""
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise CsvFormatError(f"{path}: no such file") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise CsvFormatError(f"{path.name}: not a readable CSV file ({exc})") from None
    except pd.errors.EmptyDataError:
        raise CsvFormatError(f"{path.name}: the file is empty") from None
    columns = {str(c).strip().lower(): c for c in raw.columns}
    for required in ("date", "close"):
        if required not in columns:
            raise CsvFormatError(
                f"{path.name}, line 1: no '{required.title()}' column (found: "
                f"{', '.join(map(str, raw.columns))}); expected Date, Close[, Adj Close]"
            )
    if raw.empty:
        raise CsvFormatError(f"{path.name}: no data rows after the header")
    lines = np.arange(len(raw)) + 2  # header is line 1
    warnings: list[str] = []

    close_text = raw[columns["close"]].str.strip()
    adj_key = columns.get("adj close") or columns.get("adj_close") or columns.get("adjclose")
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

    dates = pd.to_datetime(raw[columns["date"]].str.strip().str[:10], format="%Y-%m-%d",
                           errors="coerce")
    bad_date = dates.isna().to_numpy()
    if bad_date.any():
        index = int(np.flatnonzero(bad_date)[0])
        raise _fail(path, int(lines[index]),
                    f"{raw[columns['date']].iloc[index]!r} is not a date (expected YYYY-MM-DD)")
    close = pd.to_numeric(close_text, errors="coerce").to_numpy(dtype="float64")
    adj = pd.to_numeric(adj_text, errors="coerce").to_numpy(dtype="float64")
    for values, text, name in ((close, close_text, "Close"), (adj, adj_text, "Adj Close")):
        # a yield (^TNX) may touch 0; a price may not be negative or missing
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            index = int(np.flatnonzero(bad)[0])
            raise _fail(path, int(lines[index]), f"{name} {text.iloc[index]!r} is not a number >= 0")
    days = dates.to_numpy().astype("datetime64[D]")
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
    return CsvRows(rows, warnings)


def file_date_range(rows: pd.DataFrame) -> tuple[dt.date, dt.date]:
    """First and last date of validated rows."""
    days = rows["date"].to_numpy().astype("datetime64[D]")
    return days[0].item(), days[-1].item()
