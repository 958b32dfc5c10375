"""The Charts sheet: Russell 2000 vs S&P 500 rebased to 100, the rolling one-month
rotation spread and the forward returns after each streak: native charts reading plain
cell ranges (LibreOffice draws nothing from a spill reference) of formulas on this sheet,
from column T on."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
from xlsxwriter.utility import xl_col_to_name

from .. import analytics
from ..errors import BadArgument
from .cells import Call, serial
from .layout import HORIZON, NAMES, SINCE, Builder, page_setup

TITLE = "Charts — small caps against large caps"
SMALL, LARGE = "^RUT", "^GSPC"
HEAD_ROW = 3  # 0-based row of every chart-data table's header; its rows follow
REBASED_COL = 19  # T: date, small and large rebased (three columns)
SERIES_COL = REBASED_COL + 4  # X: ROTATION_SERIES (four columns), after a blank column
FORWARD_COL = SERIES_COL + 5  # AC: FORWARD_RETURNS (seven columns), after a blank column
# The charts, stacked in column A from the header row down, each this many pixels high,
# a blank row between two; the printed page ends below the last one.
HEIGHTS = {"rebased": 340, "spread": 300, "forward": 300}
WIDTH = 900
ROW_PIXELS = 20  # a default row (15 points)
LAST_COL = 14  # the printed page is as wide as the charts


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


def write(b: Builder, sheet: Any, table: Any, data_cols: dict[str, int]) -> None:
    f = b.fmt
    sheet.hide_gridlines(2)
    sheet.write(0, 0, TITLE, f["title"])
    sheet.write(1, 0, "Each chart reads the Data sheet or a table spilled on this sheet "
                f"(columns {xl_col_to_name(REBASED_COL)} onward).", f["subtitle"])
    first, last = common_rows(table, SMALL, LARGE, b.chart_start)
    rebased = _rebased(b, sheet, table, data_cols, first, last)
    # -- chart data: rolling one-month spread and forward returns (spilled) ---------------
    returns = [f["date"], f["pct2"], f["pct2"], f["pct2"]]
    sheet.set_column(SERIES_COL, SERIES_COL, 11, f["date"])
    sheet.set_column(SERIES_COL + 1, SERIES_COL + 3, 11, f["pct2"])
    rot = b.put_formula(sheet, HEAD_ROW, SERIES_COL,
                        Call("ROTATION_SERIES", ("1M", SMALL, LARGE,
                                                 b.chart_start.isoformat())),
                        column_formats=returns, header_fmt=f["head"])
    sheet.set_column(FORWARD_COL, FORWARD_COL, 13, f["date"])
    sheet.set_column(FORWARD_COL + 1, FORWARD_COL + 4, 11, f["pct2"])
    sheet.set_column(FORWARD_COL + 5, FORWARD_COL + 5, 11, f["int"])
    sheet.set_column(FORWARD_COL + 6, FORWARD_COL + 6, 11, f["pct2"])
    fwd = b.put_formula(sheet, HEAD_ROW, FORWARD_COL,
                        Call("FORWARD_RETURNS", (HORIZON, 5, 0.01, SMALL, LARGE, SINCE)),
                        column_formats=[*returns, f["pct2"], f["int"], f["pct2"]],
                        header_fmt=f["head"])

    _rebased_chart(b, sheet, table["date"].iloc[first].isoformat(), rebased, last - first + 1)
    if isinstance(rot, list) and len(rot) > 1:
        _spread_chart(b, sheet, len(rot) - 1)
    if isinstance(fwd, list):
        # The episodes (a signal date each), then the summary rows (count, median, ...).
        episodes = sum(1 for row in fwd[1:] if isinstance(row[0], dt.date))
        if episodes:
            _forward_chart(b, sheet, episodes)

    sheet.freeze_panes(HEAD_ROW, 0)
    page_setup(sheet, LAST_ROW, LAST_COL)
    sheet.set_column(0, LAST_COL, 8.43, f["plain"])


def _rows(col: int, count: int) -> str:
    """``$X$5:$X$n``: ``count`` rows of column ``col`` below the header row."""
    name = xl_col_to_name(col)
    return f"${name}${HEAD_ROW + 2}:${name}${HEAD_ROW + 1 + count}"


def _rebased(b: Builder, sheet: Any, table: Any, data_cols: dict[str, int], first: int,
             last: int) -> dict[int, list[Any]]:
    """Dates and both closes rebased to 100 (formulas on the Data sheet), from column
    REBASED_COL; returns the rebased values by column offset (1 small, 2 large)."""
    f = b.fmt
    sheet.set_column(REBASED_COL, REBASED_COL, 11, f["date"])
    sheet.set_column(REBASED_COL + 1, REBASED_COL + 2, 12, f["num2"])
    sheet.write_row(HEAD_ROW, REBASED_COL, ["date", f"{NAMES[SMALL]} (rebased)",
                                            f"{NAMES[LARGE]} (rebased)"], f["head"])
    n = last - first + 1
    a, z = first + 2, last + 2  # Excel row numbers on the Data sheet (header at row 1)
    top = HEAD_ROW + 1
    date_col = xl_col_to_name(data_cols["date"])
    b.put_column_array(sheet, top, REBASED_COL, n, f"=Data!{date_col}{a}:{date_col}{z}",
                       serial(table["date"].iloc[first]), f["date"])
    for i in range(0 if b.static else 1, n):
        sheet.write_number(top + i, REBASED_COL, serial(table["date"].iloc[first + i]),
                           f["date"])
    rebased_by: dict[int, list[Any]] = {}
    for k, ticker in enumerate((SMALL, LARGE), start=1):
        col = xl_col_to_name(data_cols[ticker])
        rng = f"Data!{col}{a}:{col}{z}"
        text = f'=IF({rng}="",NA(),{rng}/Data!{col}{a}*100)'
        scaled = analytics.rebase(table[ticker].to_numpy()[first:last + 1])
        rebased = np.where(np.isnan(scaled), "#N/A", scaled.astype(object)).tolist()
        rebased_by[k] = rebased
        b.put_column_array(sheet, top, REBASED_COL + k, n, text, rebased[0], f["num2"])
        for i in range(0 if b.static else 1, n):
            b.put_value(sheet, top + i, REBASED_COL + k, rebased[i], f["num2"])
    return rebased_by


def _rebased_chart(b: Builder, sheet: Any, start_text: str, rebased_by: dict[int, list[Any]],
                   n: int) -> None:
    chart = b.book.add_chart({"type": "line"})
    for k, color in ((1, "#C00000"), (2, "#1F3864")):
        col_name = xl_col_to_name(REBASED_COL + k)
        chart.add_series({
            "name": f"=Charts!${col_name}${HEAD_ROW + 1}",
            "categories": f"=Charts!{_rows(REBASED_COL, n)}",
            "values": f"=Charts!{_rows(REBASED_COL + k, n)}",
            "line": {"color": color, "width": 1.5},
        })
    chart.set_title({"name": f"{NAMES[SMALL]} vs {NAMES[LARGE]}, rebased to 100 on "
                     f"{start_text}", "name_font": {"size": 12}})
    chart.set_x_axis(_months())
    finite = [x for k in (1, 2) for x in rebased_by[k] if isinstance(x, float)]
    low = math.floor(min(finite, default=100.0) / 20.0) * 20 if finite else 0
    chart.set_y_axis({"name": "index (start = 100)", "num_format": "0", "min": max(low, 0),
                      "major_gridlines": _grid()})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": WIDTH, "height": HEIGHTS["rebased"]})
    sheet.insert_chart(TOPS["rebased"], 0, chart)


def _spread_chart(b: Builder, sheet: Any, n: int) -> None:
    chart = b.book.add_chart({"type": "line"})
    chart.add_series({
        "name": "1-month spread",
        "categories": f"=Charts!{_rows(SERIES_COL, n)}",
        "values": f"=Charts!{_rows(SERIES_COL + 3, n)}",
        "line": {"color": "#7030A0", "width": 1.25},
    })
    chart.set_title({"name": f"Rolling one-month return spread, {NAMES[SMALL]} minus "
                     f"{NAMES[LARGE]}", "name_font": {"size": 12}})
    chart.set_x_axis(_months(label_position="low"))
    chart.set_y_axis({"name": "spread", "num_format": "0%", "major_gridlines": _grid()})
    chart.set_legend({"none": True})
    chart.set_size({"width": WIDTH, "height": HEIGHTS["spread"]})
    sheet.insert_chart(TOPS["spread"], 0, chart)


def _forward_chart(b: Builder, sheet: Any, episodes: int) -> None:
    chart = b.book.add_chart({"type": "column"})
    for k, name, color in ((1, NAMES[SMALL], "#C00000"), (2, NAMES[LARGE], "#1F3864"),
                           (4, f"{NAMES[SMALL]}: peak within the {HORIZON} days", "#F4B183")):
        chart.add_series({
            "name": name,
            "categories": f"=Charts!{_rows(FORWARD_COL, episodes)}",
            "values": f"=Charts!{_rows(FORWARD_COL + k, episodes)}",
            "fill": {"color": color}, "gap": 80,
        })
    chart.set_title({"name": f"Return over the {HORIZON} trading days after each "
                     "five-day streak of gains above 1%, and the peak within them",
                     "name_font": {"size": 12}})
    chart.set_x_axis({"name": "signal day (fifth day of the streak)", "text_axis": True,
                      "num_format": "yyyy-mm-dd", "label_position": "low"})
    chart.set_y_axis({"name": "over the signal close", "num_format": "0%",
                      "major_gridlines": _grid()})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": WIDTH, "height": HEIGHTS["forward"]})
    sheet.insert_chart(TOPS["forward"], 0, chart)


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

