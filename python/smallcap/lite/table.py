"""The history xlwings Lite answers from, read from a table in the dashboard's ``Data``
layout: row 1 ``date`` then one ticker per column, one row per trading day, adjusted
closes (an empty cell: that ticker has no close that day). The table comes from the
workbook's ``Data`` sheet, from a CSV file in the same layout at a URL, or from
``smallcap serve`` (one ``PRICE_HISTORY`` per ticker).

Every refusal is one line naming the cell, the ticker, the date and the value; nothing
is kept from a table that is refused. Pure: fetching is a parameter (``fetch(url) ->
text``), so tests pass their own and Lite passes the browser's.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import numpy as np

from .. import params
from ..analytics import plausible
from ..analytics.history import History
from ..errors import BadArgument, ImplausibleData, SourceError

SHEET = "Data"  # the sheet the dashboard writes and load_history reads
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 0 of Excel's 1900 date system

Fetch = Callable[[str], str]


class DataError(SourceError):
    """The Data table cannot be read (shape, text in a close, dates out of order)."""


def column_name(index: int) -> str:
    """Excel's letters of the 0-based column ``index`` (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _day(value: Any, where: str) -> dt.date:
    """A date cell as Lite hands it over: a date or datetime, ISO text (a date-formatted
    cell) or an Excel serial number (a cell formatted as a number)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise DataError(f"{where}: {value!r} is not a date")
    if isinstance(value, int | float):
        if not math.isfinite(value) or not 1 <= value < 2958466:
            raise DataError(f"{where}: {value!r} is not an Excel date serial number")
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    if isinstance(value, str):
        text = value.strip()
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            pass
    raise DataError(f"{where}: {str(value)[:40]!r} is not a date (use YYYY-MM-DD)")


def _close(value: Any, where: str, ticker: str, day: dt.date) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        return math.nan
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DataError(f"{where}: {value!r} is not a close ({ticker} on {day})")
    try:
        number = float(value)
    except ValueError:
        raise DataError(f"{where}: {str(value)[:40]!r} is not a number ({ticker} on {day}); "
                        "a close must be a number > 0") from None
    return number


def histories(rows: Sequence[Sequence[Any]], where: str = SHEET) -> dict[str, History]:
    """The Histories of a table in the Data layout (``rows``: the header row first).
    Raises :class:`DataError` (shape, text, order) or ``ImplausibleData`` (a close that is
    not a number > 0, a day outside 1900-2100), naming cell, ticker, date and value."""
    rows = [list(r) if isinstance(r, list | tuple) else [r] for r in (rows or [])]
    while rows and all(c is None or c == "" for c in rows[-1]):
        rows.pop()  # trailing empty rows (a used range that was cleared)
    if not rows or not rows[0]:
        raise DataError(f"{where} is empty: row 1 must be date then one ticker per column")
    header = rows[0]
    while header and (header[-1] is None or header[-1] == ""):
        header = header[:-1]
    first = str(header[0]).strip().lower() if header and header[0] is not None else ""
    if first != "date" or len(header) < 2:
        raise DataError(f"{where}!A1 holds {header[0] if header else None!r}: row 1 must be "
                        "'date' then one ticker per column (the Windows Refresh writes it so)")
    if {str(c).strip().lower() for c in header[1:]} & {"close", "adj close", "open"}:
        raise DataError(f"{where} looks like a Yahoo-style CSV of one ticker (Date, Open, ..., "
                        "Close): load_history reads the Data layout, date then one ticker per "
                        "column of closes")
    if len(rows) < 2:
        raise DataError(f"{where} has a header but no rows of closes")
    tickers: list[str] = []
    for j, name in enumerate(header[1:], start=1):
        cell = f"{where}!{column_name(j)}1"
        if name is None or not str(name).strip():
            raise DataError(f"{cell} is empty: every column after date needs a ticker")
        try:
            symbol = params.ticker(str(name))
        except BadArgument as exc:
            raise DataError(f"{cell}: {exc.message}") from None
        if symbol in tickers:
            raise DataError(f"{cell}: {symbol} has two columns "
                            f"({column_name(tickers.index(symbol) + 1)} and {column_name(j)})")
        tickers.append(symbol)
    days: list[dt.date] = []
    closes = np.full((len(rows) - 1, len(tickers)), np.nan)
    for i, row in enumerate(rows[1:], start=2):
        day = _day(row[0] if row else None, f"{where}!A{i}")
        if days and day <= days[-1]:
            what = "appears twice" if day == days[-1] else f"comes after {days[-1]}"
            raise DataError(f"{where}!A{i}: {day} {what} (row {i - 1}); dates must go up, "
                            "one row per day")
        days.append(day)
        for j, ticker in enumerate(tickers, start=1):
            value = row[j] if j < len(row) else None
            closes[i - 2, j - 1] = _close(value, f"{where}!{column_name(j)}{i}", ticker, day)
    dates = np.array(days, dtype="datetime64[D]")
    found: dict[str, History] = {}
    for j, ticker in enumerate(tickers):
        column = closes[:, j]
        keep = ~np.isnan(column)
        if not keep.any():
            continue  # a ticker with no close at all: asked for, it has no data
        try:
            plausible.check_values(ticker, dates[keep], column[keep], column[keep])
        except ImplausibleData as exc:
            raise ImplausibleData(f"{where}: " + exc.message.replace(
                "nothing stored", "nothing loaded")) from None
        found[ticker] = History(ticker, dates[keep], column[keep])
    if not found:
        raise DataError(f"{where} holds no close at all")
    return found


def csv_rows(text: str) -> list[list[Any]]:
    """A CSV file's rows (text cells; empty cells as None)."""
    return [[c if c.strip() else None for c in row] for row in csv.reader(io.StringIO(text))]


def is_server(url: str) -> bool:
    """True for the root of a ``smallcap serve`` (``http://127.0.0.1:8750``, no path)."""
    return urlsplit(url).path in ("", "/")


def server_rows(url: str, tickers: Sequence[str], fetch: Fetch) -> list[list[Any]]:
    """The Data table of ``tickers`` from ``smallcap serve`` at ``url`` (adjusted closes
    from ``GET /PRICE_HISTORY?ticker=...``, outer-joined on dates)."""
    base = url.rstrip("/")
    by_day: dict[str, dict[str, float]] = {}
    for ticker in tickers:
        text = fetch(f"{base}/PRICE_HISTORY?ticker={quote(ticker, safe='')}")
        try:
            body = json.loads(text)
        except ValueError:
            raise DataError(f"{base} did not answer JSON for {ticker}: is it smallcap serve?") from None
        if "error" in body:
            if body["error"].get("code") == "#N/A":
                continue  # the server has no data for this ticker
            raise DataError(f"{base}: {ticker}: {body['error'].get('message')}")
        columns = body.get("columns") or []
        if "date" not in columns or "adj_close" not in columns:
            raise DataError(f"{base} answered {columns} for {ticker}: not a smallcap PRICE_HISTORY")
        at, adj = columns.index("date"), columns.index("adj_close")
        for row in body.get("rows", []):
            by_day.setdefault(row[at], {})[ticker] = row[adj]
    if not by_day:
        raise DataError(f"{base} holds none of {', '.join(tickers)}: refresh there first")
    return [["date", *tickers]] + [[day, *(by_day[day].get(t) for t in tickers)]
                                  for day in sorted(by_day)]


def sheet_rows(found: dict[str, History]) -> list[list[Any]]:
    """Histories back as a Data table (dates as ``datetime.date``; None: no close)."""
    tickers = list(found)
    by_day: dict[dt.date, dict[str, float]] = {}
    for ticker, history in found.items():
        for day, close in zip(history.dates.tolist(), history.close.tolist(), strict=True):
            by_day.setdefault(day, {})[ticker] = close
    return [["date", *tickers]] + [[day, *(by_day[day].get(t) for t in tickers)]
                                  for day in sorted(by_day)]
