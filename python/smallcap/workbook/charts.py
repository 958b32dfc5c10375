"""The Charts sheet: Russell 2000 vs S&P 500 rebased to 100, the rolling one-month
rotation spread and the returns after each five-day streak: native charts reading plain
cell ranges of this sheet, from column T on.

The charts follow the Data sheet: after Small Caps > Refresh data rewrites it with new
days, a recalculation moves every chart to the new last day, no rebuild needed. Each
chart's source cells are built-in formulas (no smallcap function in them, so they
recalculate wherever the workbook is opened, LibreOffice included) over ranges that are
fixed when the workbook is built and have room to grow:

- the *tail* (columns Z:AB): found by name, never by position: the tickers' names head
  Z4:AB4 and every formula looks its Data column up by that name (``MATCH`` on the Data
  header), so a Data sheet with other tickers or another column order charts the right
  lines. The last Data row where both indices have a close (each column's last row
  holding a close, ``SUMPRODUCT(MAX((header=name)*(Data<>"")*row))``; the smaller of the
  two, in Z3) and the rows before it: date and both closes,
  ``INDEX(Data!$A$2:$T$40000+0, rows, MATCH(name, Data!$A$1:$T$1, 0))`` (``+0`` makes
  the range numbers, an empty cell 0, so that ``INDEX`` gives values);
- the *window* the two day charts read (T:X): the tail's last N rows, N the number of
  days both had from the chart start to the last day when the workbook was built: the
  date, both closes rebased to 100 on the window's first day, and the one-month spread,
  small-cap minus large-cap return from the close one calendar month earlier (the same
  day a month back, clipped to the month's end, or the last day before it: the tail
  starts a month before the window so that close is in it), as ``ROTATION_SPREAD``
  computes it;
- the *episodes* the forward chart reads (:mod:`.forward_chart`, AO:AR): the last K
  episodes of the spilled ``FORWARD_RETURNS`` (K: how many there were when the workbook
  was built), its columns found by their header names.

A day one of the two has no close for shows ``#N/A`` (a gap in the line). The formulas
are written as dynamic arrays (one per column), which Excel, LibreOffice and the
``formulas`` package all evaluate; ``ROW(Data!$A$1:$A$n)`` is the list 1..n (SEQUENCE is
not in LibreOffice 7.4).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
from xlsxwriter.utility import xl_col_to_name

from .. import analytics, params, settings
from ..analytics.windows import window_starts
from ..errors import BadArgument
from .cells import Call, serial
from .layout import HORIZON, NAMES, SINCE, Builder, page_setup

TITLE = "Charts — small caps against large caps"
SMALL, LARGE = settings.DEFAULT_TICKER, settings.DEFAULT_LARGE
HEAD_ROW = 3  # 0-based row of every chart-data table's header; its rows follow
ANCHOR_ROW = HEAD_ROW - 1  # the tail's last Data row and the episode count, above it
NOTE_ROW = HEAD_ROW - 2  # what each block is
# 0-based columns, a blank column between two blocks.
WINDOW_COL = 19  # T: date, small rebased, large rebased, 1-month spread, month-ago row
REBASED_COL = WINDOW_COL
SPREAD_COL = WINDOW_COL + 3  # W
START_COL = WINDOW_COL + 4  # X: the tail row of each day's month-ago close
TAIL_COL = WINDOW_COL + 6  # Z: date, small close, large close
FORWARD_COL = TAIL_COL + 4  # AD: FORWARD_RETURNS (eight columns, the status last; room for ten)
FORWARD_WIDTH = 10
EPISODE_COL = FORWARD_COL + FORWARD_WIDTH + 1  # AO: signal, small, large, small's peak
# FORWARD_RETURNS' columns the forward chart shows, found by their header
EPISODE_COLUMNS = ("small_return", "large_return", "peak_gain")
# Room to grow: the Data rows the tail reads (24,749 today, about 250 a year), the
# FORWARD_RETURNS rows the episode count reads.
DATA_ROWS = 40_000
DATA_LAST_COL = "T"  # the Data columns searched for a ticker's name (19 tickers)
FORWARD_ROWS = 100
LOOKBACK = 31  # tail rows before the window: a calendar month has at most 23 trading days
# The charts, stacked in column A from the header row down, each this many pixels high,
# a blank row between two; the printed page ends below the last one.
HEIGHTS = {"rebased": 340, "spread": 300, "forward": 300}
WIDTH = 900
ROW_PIXELS = 20  # a default row (15 points)
LAST_COL = 14  # the printed page is as wide as the charts
NA = "#N/A"


def _stack() -> tuple[dict[str, int], int]:
    """The 0-based top row of each chart, and the last row of the printed page."""
    tops: dict[str, int] = {}
    row = HEAD_ROW
    for name, height in HEIGHTS.items():
        tops[name] = row
        row += math.ceil(height / ROW_PIXELS) + 1
    return tops, row


TOPS, LAST_ROW = _stack()


def _grid() -> dict[str, Any]:
    """Light horizontal gridlines (a fresh dict: XlsxWriter keeps what it is given)."""
    return {"visible": True, "line": {"color": "#D9D9D9"}}


def _months(**more: Any) -> dict[str, Any]:
    """A date axis labelled every six months."""
    return {"date_axis": True, "num_format": "mmm yyyy", "major_unit": 6,
            "major_unit_type": "months", "num_font": {"rotation": -45}, **more}


def _col(col: int, first: int, last: int, absolute: bool = False) -> str:
    """``T5:T10`` (``$T$5:$T$10``): rows ``first``..``last`` (0-based) of column ``col``."""
    name, d = xl_col_to_name(col), "$" if absolute else ""
    return f"{d}{name}{d}{first + 1}:{d}{name}{d}{last + 1}"


def _cell(col: int, row: int) -> str:
    """``$Z$3``: one cell, absolute."""
    return f"${xl_col_to_name(col)}${row + 1}"


def _one_to(n: int) -> str:
    """The list 1..n as a formula (a column of ``n`` numbers)."""
    return f"ROW(Data!$A$1:$A${n})"


def write(b: Builder, sheet: Any, table: Any) -> Any:
    f = b.fmt
    sheet.hide_gridlines(2)
    sheet.write(0, 0, TITLE, f["title"])
    sheet.write(1, 0, "Each chart reads built-in formulas on this sheet (columns "
                f"{xl_col_to_name(WINDOW_COL)} onward) over the Data sheet and "
                "FORWARD_RETURNS: a refresh moves them to the new last day.", f["subtitle"])
    first, last = common_rows(table, SMALL, LARGE, b.chart_start)
    window = _tail_and_window(b, sheet, table, first, last)
    fwd_formats = [f["date"], f["pct2"], f["pct2"], f["pct2"], f["pct2"], f["int"], f["pct2"],
                   f["plain"]]
    sheet.set_column(FORWARD_COL, FORWARD_COL, 13, f["date"])
    sheet.set_column(FORWARD_COL + 1, FORWARD_COL + 4, 11, f["pct2"])
    sheet.set_column(FORWARD_COL + 5, FORWARD_COL + 5, 11, f["int"])
    sheet.set_column(FORWARD_COL + 6, FORWARD_COL + 6, 11, f["pct2"])
    sheet.set_column(FORWARD_COL + 7, FORWARD_COL + 7, 30, f["plain"])  # status
    fwd = b.put_formula(sheet, HEAD_ROW, FORWARD_COL,
                        Call("FORWARD_RETURNS", (HORIZON, 5, 0.01, SMALL, LARGE, SINCE)),
                        column_formats=fwd_formats, header_fmt=f["head"])

    _rebased_chart(b, sheet, window)
    _spread_chart(b, sheet, window)

    sheet.freeze_panes(HEAD_ROW, 0)
    page_setup(sheet, LAST_ROW, LAST_COL)
    sheet.set_column(0, LAST_COL, 8.43, f["plain"])
    return fwd  # the spilled FORWARD_RETURNS: forward_chart.write charts it


# -- the tail of the Data sheet and the window the day charts read ---------------------------


def _month_ago(dates: str) -> str:
    """The EDATE(d, -1) of each date in the range ``dates`` with functions that take
    arrays (Excel's EDATE does not): DATE(y, m-1, min(d, last day of the month before))."""
    end = f"DAY(DATE(YEAR({dates}),MONTH({dates}),0))"
    return (f"DATE(YEAR({dates}),MONTH({dates})-1,IF(DAY({dates})<{end},DAY({dates}),"
            f"{end}))")


def _tail_and_window(b: Builder, sheet: Any, table: Any, first: int, last: int) -> int:
    """Write the tail (Z:AB) and the window (T:X); returns the window's row count."""
    f = b.fmt
    top = HEAD_ROW + 1
    n = last - first + 1  # the window: as many days as from the chart start at build time
    lead = min(LOOKBACK, first)  # tail rows before the window
    k = n + lead
    data_last = max(DATA_ROWS, len(table) + 1 + 2520)

    grid, head = (f"Data!$A$2:${DATA_LAST_COL}${data_last}",
                  f"Data!$A$1:${DATA_LAST_COL}$1")

    def pick(name: str, rows: str) -> str:
        """Rows ``rows`` of the Data column headed by the cell ``name`` (0: blank)."""
        if name == "date":  # always column A
            return f"INDEX(Data!$A$2:$A${data_last}+0,{rows})"
        return f"INDEX({grid}+0,{rows},MATCH({name},{head},0))"

    def last_number(name: str) -> str:
        """The last row of the Data column headed by ``name`` holding a close."""
        return (f"IF(ISNA(MATCH({name},{head},0)),NA(),SUMPRODUCT(MAX(({head}={name})*"
                f'({grid}<>"")*(ROW(Data!$A$2:$A${data_last})-1))))')

    # What the Data columns hold (a 1-based position in data_range: table row + 1).
    days = list(table["date"])
    dates = [serial(d) for d in days]
    closes = {t: [None if math.isnan(v) else float(v) for v in table[t].to_numpy()]
              for t in (SMALL, LARGE)}
    last_row = {t: max((i + 1 for i, v in enumerate(closes[t]) if v is not None),
                       default=None) for t in (SMALL, LARGE)}

    # -- the tail: the last Data row both have (Z3) and the k rows up to it --------------
    sheet.set_column(TAIL_COL, TAIL_COL, 11, f["date"])
    sheet.set_column(TAIL_COL + 1, TAIL_COL + 2, 11, f["close"])
    sheet.write(NOTE_ROW, TAIL_COL, f"The Data rows read: the last with both closes "
                f"(Z{ANCHOR_ROW + 1}) and the {k - 1:,} before it.", f["subtitle"])
    sheet.write(HEAD_ROW, TAIL_COL, "date", f["head"])
    # The tickers' names head the tail: every formula finds its Data column by name.
    names = {t: _cell(TAIL_COL + j, HEAD_ROW) for j, t in enumerate((SMALL, LARGE), start=1)}
    for j, ticker in enumerate((SMALL, LARGE), start=1):
        sheet.write_string(HEAD_ROW, TAIL_COL + j, ticker, f["head"])
        b.put_builtin(sheet, ANCHOR_ROW, TAIL_COL + j, last_number(names[ticker]),
                      last_row[ticker] or NA, f["int"])
    positions = [p for p in last_row.values() if p is not None]
    anchor = min(positions)
    both = f"{xl_col_to_name(TAIL_COL + 1)}{ANCHOR_ROW + 1}:{xl_col_to_name(TAIL_COL + 2)}" \
        f"{ANCHOR_ROW + 1}"
    b.put_builtin(sheet, ANCHOR_ROW, TAIL_COL, f"MIN({both})", anchor, f["int"])
    rows = [anchor - k + i - 1 for i in range(1, k + 1)]  # 0-based table rows
    if rows[0] < 0:
        raise BadArgument("chart_start", "the Data sheet has too few rows for the charts")
    rows_text = f"{_cell(TAIL_COL, ANCHOR_ROW)}-{k}+{_one_to(k)}"
    tail_date = [dates[r] for r in rows]
    tail_day = [days[r] for r in rows]
    tail = {t: [closes[t][r] or 0.0 for r in rows] for t in (SMALL, LARGE)}
    b.put_column(sheet, top, TAIL_COL, pick("date", rows_text), tail_date, f["date"])
    for j, ticker in enumerate((SMALL, LARGE), start=1):
        b.put_column(sheet, top, TAIL_COL + j, pick(names[ticker], rows_text),
                     tail[ticker], f["close"])

    # -- the window: the tail's last n rows ----------------------------------------------
    sheet.set_column(WINDOW_COL, WINDOW_COL, 11, f["date"])
    sheet.set_column(WINDOW_COL + 1, WINDOW_COL + 2, 12, f["num2"])
    sheet.set_column(SPREAD_COL, SPREAD_COL, 11, f["pct2"])
    sheet.set_column(START_COL, START_COL, 9, f["int"])
    sheet.write_row(HEAD_ROW, WINDOW_COL, ["date", f"{NAMES[SMALL]} (rebased)",
                                           f"{NAMES[LARGE]} (rebased)", "1-month spread",
                                           "month-ago row"], f["head"])
    w_first, w_last = top + lead, top + k - 1  # the window's rows in the tail
    b.put_column(sheet, top, WINDOW_COL, _col(TAIL_COL, w_first, w_last),
                 tail_date[lead:], f["date"])
    rebased: dict[str, list[Any]] = {}
    for j, ticker in enumerate((SMALL, LARGE), start=1):
        rng = _col(TAIL_COL + j, w_first, w_last)
        base_cell = f"{xl_col_to_name(TAIL_COL + j)}${w_first + 1}"
        closes_in = np.array([x if x > 0 else np.nan for x in tail[ticker][lead:]])
        scaled = analytics.rebase(closes_in) if tail[ticker][lead] else closes_in * np.nan
        rebased[ticker] = [NA if math.isnan(x) else x for x in scaled.tolist()]
        b.put_column(sheet, top, WINDOW_COL + j,
                     f"IFERROR(IF({rng}>0,{rng}/{base_cell}*100,NA()),NA())",
                     rebased[ticker], f["num2"])
    # The tail row of each day's month-ago close, then the spread from it.
    window_dates = _col(WINDOW_COL, top, top + n - 1)
    tail_dates = _col(TAIL_COL, top, top + k - 1, absolute=True)
    # the month-ago row as analytics finds it (last close on or before the same calendar
    # day a month earlier, clipped to the month's end: what EDATE and MATCH(...,1) give)
    tail_days = np.array(tail_day, dtype="datetime64[D]")
    found = window_starts(tail_days, np.arange(lead, k), params.window("1M"))
    starts: list[Any] = [int(i) + 1 if i >= 0 else NA for i in found.tolist()]
    b.put_column(sheet, top, START_COL, f"MATCH({_month_ago(window_dates)},{tail_dates},1)",
                 starts, f["int"])
    spreads: list[Any] = []
    for i, start in enumerate(starts):  # the spread, as analytics.rotation_spread computes it
        s, g = tail[SMALL][lead + i], tail[LARGE][lead + i]
        s0, g0 = (tail[SMALL][start - 1], tail[LARGE][start - 1]) if start != NA else (0, 0)
        spreads.append(_spread(s, s0, g, g0))
    small, large = (_col(TAIL_COL + j, w_first, w_last) for j in (1, 2))
    small_tail, large_tail = (_col(TAIL_COL + j, top, top + k - 1, absolute=True)
                              for j in (1, 2))
    start_rows = _col(START_COL, top, top + n - 1)
    b.put_column(sheet, top, SPREAD_COL,
                 f"IFERROR(IF(({small}>0)*({large}>0),({small}/INDEX({small_tail}+0,"
                 f"{start_rows})-1)-({large}/INDEX({large_tail}+0,{start_rows})-1),NA()),NA())",
                 spreads, f["pct2"])

    # Which days the two day charts show, in cells above the first chart.
    sheet.write(ANCHOR_ROW, 0, f"Day charts: the latest {n:,} trading days both indices "
                "have, from", f["subtitle"])
    b.put_builtin(sheet, ANCHOR_ROW, 7, _cell(WINDOW_COL, top), tail_date[lead], f["date"])
    sheet.write(ANCHOR_ROW, 8, "to", f["plain"])
    b.put_builtin(sheet, ANCHOR_ROW, 9, _cell(WINDOW_COL, top + n - 1), tail_date[-1],
                  f["date"])
    return n


def _spread(small: float, small_start: float, large: float, large_start: float) -> Any:
    """R_small - R_large from the four closes (0 stands for a missing close: #N/A)."""
    if not (small > 0 and large > 0 and small_start > 0 and large_start > 0):
        return NA
    return (small / small_start - 1.0) - (large / large_start - 1.0)


def _rebased_chart(b: Builder, sheet: Any, n: int) -> None:
    top = HEAD_ROW + 1
    chart = b.book.add_chart({"type": "line"})
    for j, color in ((1, "#C00000"), (2, "#1F3864")):
        chart.add_series({
            "name": f"=Charts!{_cell(WINDOW_COL + j, HEAD_ROW)}",
            "categories": f"=Charts!{_col(WINDOW_COL, top, top + n - 1, absolute=True)}",
            "values": f"=Charts!{_col(WINDOW_COL + j, top, top + n - 1, absolute=True)}",
            "line": {"color": color, "width": 1.5},
        })
    chart.set_title({"name": f"{NAMES[SMALL]} vs {NAMES[LARGE]} over the latest {n:,} trading "
                     "days, rebased to 100", "name_font": {"size": 12}})
    chart.set_x_axis(_months())
    chart.set_y_axis({"name": "index (first day = 100)", "num_format": "0",
                      "major_gridlines": _grid()})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": WIDTH, "height": HEIGHTS["rebased"]})
    sheet.insert_chart(TOPS["rebased"], 0, chart)


def _spread_chart(b: Builder, sheet: Any, n: int) -> None:
    top = HEAD_ROW + 1
    chart = b.book.add_chart({"type": "line"})
    chart.add_series({
        "name": "1-month spread",
        "categories": f"=Charts!{_col(WINDOW_COL, top, top + n - 1, absolute=True)}",
        "values": f"=Charts!{_col(SPREAD_COL, top, top + n - 1, absolute=True)}",
        "line": {"color": "#7030A0", "width": 1.25},
    })
    chart.set_title({"name": f"Rolling one-month return spread, {NAMES[SMALL]} minus "
                     f"{NAMES[LARGE]}", "name_font": {"size": 12}})
    chart.set_x_axis(_months(label_position="low"))
    chart.set_y_axis({"name": "spread", "num_format": "0%", "major_gridlines": _grid()})
    chart.set_legend({"none": True})
    chart.set_size({"width": WIDTH, "height": HEIGHTS["spread"]})
    sheet.insert_chart(TOPS["spread"], 0, chart)


def common_rows(table: Any, small: str, large: str, chart_start: dt.date) -> tuple[int, int]:
    """First and last row index of the Data table from ``chart_start`` on where both
    ``small`` and ``large`` have a close."""
    for ticker in (small, large):
        if ticker not in table.columns:
            raise BadArgument("store", f"the Data table has no {ticker} column — "
                              f"load it first (smallcap load-csv {ticker} FILE)")
    dates = table["date"].to_numpy()
    both = table[small].notna().to_numpy() & table[large].notna().to_numpy()
    after = [i for i in range(len(dates)) if dates[i] >= chart_start and both[i]]
    if not after:
        raise BadArgument("chart_start", f"no day on or after {chart_start} has both "
                          f"{small} and {large}")
    return after[0], after[-1]
