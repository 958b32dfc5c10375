"""The Charts sheet's third chart: the return over the 50 trading days after each
five-day streak, and the peak within them, for the latest episodes of the spilled
``FORWARD_RETURNS`` beside it (its columns found by their header names, so a column
added to the function moves nothing here)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from xlsxwriter.utility import xl_col_to_name

from .cells import serial
from .charts import (
    ANCHOR_ROW,
    EPISODE_COL,
    EPISODE_COLUMNS,
    FORWARD_COL,
    FORWARD_ROWS,
    FORWARD_WIDTH,
    HEAD_ROW,
    HEIGHTS,
    LARGE,
    NA,
    NOTE_ROW,
    SMALL,
    TOPS,
    WIDTH,
    _cell,
    _col,
    _grid,
    _one_to,
)
from .layout import HORIZON, NAMES, Builder


def write(b: Builder, sheet: Any, fwd: Any) -> None:
    """The episodes beside the spilled ``fwd`` and the chart of them (none without)."""
    k = episodes(b, sheet, fwd)
    if k:
        chart(b, sheet, k)


def episodes(b: Builder, sheet: Any, fwd: Any) -> int:
    """The last K episodes of the FORWARD_RETURNS spill (K: as many as now) in AO:AR;
    returns K (0: no chart)."""
    if not isinstance(fwd, list):
        return 0
    f = b.fmt
    signals = [i for i, row in enumerate(fwd) if i and _is_number(row[0])]
    k = len(signals)
    if not k:
        return 0
    top = HEAD_ROW + 1
    last = xl_col_to_name(FORWARD_COL + FORWARD_WIDTH - 1)
    block = f"{_cell(FORWARD_COL, top)}:${last}${top + FORWARD_ROWS}"  # room below, right

    def column(name: str) -> str:
        """A FORWARD_RETURNS column found by its header: its numbers, #N/A elsewhere
        (a label, a pending blank, the empty rows below)."""
        head = f"{_cell(FORWARD_COL, HEAD_ROW)}:${last}${HEAD_ROW + 1}"
        return (f"INDEX(IF(ISNUMBER({block}),{block},NA()),{_one_to(FORWARD_ROWS)},"
                f'MATCH("{name}",{head},0))')

    count = _cell(EPISODE_COL, ANCHOR_ROW)
    sheet.write(NOTE_ROW, EPISODE_COL, f"Episodes in FORWARD_RETURNS (row {ANCHOR_ROW + 1}); "
                f"the chart shows the latest {k}.", f["subtitle"])
    first = str(fwd[0][0])  # the signal column
    b.put_column(sheet, ANCHOR_ROW, EPISODE_COL, f"COUNT({column(first)})", [k], f["int"])
    sheet.set_column(EPISODE_COL, EPISODE_COL, 11, f["date"])
    sheet.set_column(EPISODE_COL + 1, EPISODE_COL + len(EPISODE_COLUMNS), 11, f["pct2"])
    sheet.write_row(HEAD_ROW, EPISODE_COL, ["signal", NAMES[SMALL], NAMES[LARGE],
                                            f"{NAMES[SMALL]}: peak"], f["head"])
    picked = f"{count}-{k}+{_one_to(k)}"
    b.put_column(sheet, top, EPISODE_COL, f"INDEX({column(first)},{picked})",
                 [serial(fwd[i][0]) for i in signals], f["date"])
    for j, name in enumerate(EPISODE_COLUMNS, start=1):
        at = list(fwd[0]).index(name)
        values = [fwd[i][at] if _is_number(fwd[i][at]) else NA for i in signals]
        b.put_column(sheet, top, EPISODE_COL + j, f"INDEX({column(name)},{picked})", values,
                     f["pct2"])
    return k


def _is_number(value: Any) -> bool:
    """Excel's ISNUMBER of a value a worksheet function returned (a date is a number)."""
    return (isinstance(value, int | float | dt.date) and not isinstance(value, bool)
            and not (isinstance(value, float) and math.isnan(value)))


def chart(b: Builder, sheet: Any, episodes: int) -> None:
    top = HEAD_ROW + 1
    chart = b.book.add_chart({"type": "column"})
    for j, name, color in ((1, NAMES[SMALL], "#C00000"), (2, NAMES[LARGE], "#1F3864"),
                           (3, f"{NAMES[SMALL]}: peak within the {HORIZON} days", "#F4B183")):
        chart.add_series({
            "name": name,
            "categories": f"=Charts!{_col(EPISODE_COL, top, top + episodes - 1, True)}",
            "values": f"=Charts!{_col(EPISODE_COL + j, top, top + episodes - 1, True)}",
            "fill": {"color": color}, "gap": 80,
        })
    chart.set_title({"name": f"Return over the {HORIZON} trading days after each "
                     "five-day streak of gains above 1%, and the peak within them",
                     "name_font": {"size": 12}})
    chart.set_x_axis({"name": f"signal day (fifth day of the streak; the latest {episodes})",
                      "text_axis": True, "num_format": "yyyy-mm-dd",
                      "label_position": "low"})
    chart.set_y_axis({"name": "over the signal close", "num_format": "0%",
                      "major_gridlines": _grid()})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": WIDTH, "height": HEIGHTS["forward"]})
    sheet.insert_chart(TOPS["forward"], 0, chart)
