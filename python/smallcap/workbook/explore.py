"""The Explore sheet: yellow (validated) input cells driving one-cell answers, three
spilled tables (``STREAK_EPISODES``, ``FORWARD_RETURNS``, ``ROTATION_SERIES``) and the
rotation monitor: pairs down, windows across, filled by one ``ROTATION_SPREAD`` formula
over those ranges that spills the whole grid (an element that cannot be computed shows
its own error text; the others compute).

Inputs and answers are lists: each input carries its label, value, format and data
validation, and formulas refer to inputs by key, so a row added to either list moves the
addresses, the validations and the tables below with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from xlsxwriter.utility import xl_col_to_name, xl_range_abs, xl_rowcol_to_cell

from .cells import Call, Formula, LastCommonDay, Ref, Words
from .layout import HORIZON, TICKER_CHOICES, WINDOW_CHOICES, Builder, page_setup

HEADING_ROW = 2  # 0-based: "Inputs", "Answers", the monitor's title; blocks start below
INPUT_COL, ANSWER_COL = 0, 3  # label columns; the value is in the column to the right
# The sheet's one day, in the answers' heading: every formula asks about it.
DAY_CELL = xl_rowcol_to_cell(HEADING_ROW, ANSWER_COL + 1)  # E3
TITLE = "Explore — ask the same questions about any day, threshold or pair"
SUBTITLE = ("Change the yellow cells; the answers, the rotation monitor and the three tables "
            "below recalculate (tables spill as dynamic arrays). Every cell asks about the "
            f"day in {DAY_CELL}: 'As of', or when it is blank the last day both tickers have.")
TABLE_GAP = 2  # blank rows between the longest block above and the tables' titles
EPISODES_COL, FORWARD_COL, SERIES_COL = 0, 6, 15  # A:E, G:N (status last), P:S
# The printed page: the inputs, answers, monitor, the episodes and forward returns tables
# (A:N) and a few rows of room; the daily ROTATION_SERIES (P:S) is for the screen (at
# its width the page would print too small to read).
PRINTED_ROOM = 3
PRINTED_LAST_COL = SERIES_COL - 2  # N

# The rotation monitor, above the forward returns and rotation series tables: its title
# row, a header row (small, large, then the windows), one row per pair, two notes; one
# formula beside the pairs fills pairs x windows.
MONITOR_COL = FORWARD_COL  # G: small; H: large; I:N: the windows
MONITOR_WINDOWS = ("1W", "1M", "3M", "6M", "1Y", "YTD")
MONITOR_PAIRS = (("^RUT", "^GSPC"), ("IWM", "SPY"), ("^RUT", "^NDX"), ("IWM", "QQQ"))
MONITOR_TITLE = f"Rotation monitor: small-cap minus large-cap return up to {DAY_CELL}"
MONITOR_NOTES = (
    f"One formula fills the grid: ROTATION_SPREAD(windows, smalls, larges, {DAY_CELL}) over the "
    "yellow ranges (pairs down, windows across).",
    "Change a pair or a window and its row or column follows; a cell starting with # "
    "names its own problem, the others still compute.",
)
MONITOR_ROWS = 1 + len(MONITOR_PAIRS) + len(MONITOR_NOTES)  # below its title row
AS_OF_LABEL = "Answers as of"

# Column widths: each table's columns keep their formats wherever a recalculated spill
# grows to: A:E episodes, G:N forward returns (N: each episode's status, under the
# monitor's last window), P:S rotation series. F and O separate the tables.
WIDTHS = (("A:A", 24, "date"), ("B:C", 12, "date"), ("D:D", 34, "int"), ("E:E", 12, "pct2"),
          ("F:F", 2, "plain"), ("G:G", 14, "date"), ("H:K", 12, "pct2"), ("L:L", 12, "int"),
          ("M:M", 12, "pct2"), ("N:N", 30, "plain"), ("O:O", 2, "plain"), ("P:P", 12, "date"),
          ("Q:S", 12, "pct2"))

# -- data validation of the inputs ------------------------------------------------------------

TICKER_RULE = {"validate": "list", "source": list(TICKER_CHOICES), "error_type": "warning",
               "input_title": "Ticker", "input_message": "A Yahoo symbol; pick one or type "
               "another that the store holds.", "error_title": "Ticker",
               "error_message": "Not in the list: fine if the store has it "
               "(smallcap refresh TICKER)."}
THRESHOLD_RULE = {
    "validate": "decimal", "criteria": "between", "minimum": -0.99, "maximum": 0.99,
    "input_title": "Threshold", "input_message": "Daily return as a fraction: 1% is 0.01; "
    "negative counts falls.", "error_title": "Threshold",
    "error_message": "Enter a fraction between -0.99 and 0.99 (1% = 0.01)."}
LENGTH_RULE = {
    "validate": "integer", "criteria": "between", "minimum": 1, "maximum": 250,
    "input_title": "Streak length", "input_message": "Whole number of trading days.",
    "error_title": "Streak length", "error_message": "A whole number from 1 to 250."}
WINDOW_RULE = {
    "validate": "list", "source": list(WINDOW_CHOICES), "error_type": "warning",
    "input_title": "Window", "input_message": "A calendar period (1W 1M 3M 6M 1Y YTD) or a "
    "whole number of trading days.", "error_title": "Window",
    "error_message": "Use 1W, 1M, 3M, 6M, 1Y, YTD or a whole number of days."}
HORIZON_RULE = {
    "validate": "integer", "criteria": "between", "minimum": 1, "maximum": 2520,
    "input_title": "Horizon", "input_message": "Trading days after each signal "
    "(50 = about ten weeks).", "error_title": "Horizon",
    "error_message": "A whole number of trading days from 1 to 2520."}
_DATE = {"validate": "date", "criteria": "between", "minimum": dt.date(1900, 1, 1),
         "maximum": dt.date(2100, 12, 31), "ignore_blank": True, "error_title": "Date",
         "error_message": "Enter a date, e.g. 2024-07-16."}
SINCE_RULE = {**_DATE, "input_title": "Since",
              "input_message": "Count episodes signalled on or after this day."}
AS_OF_RULE = {**_DATE, "input_title": "As of", "input_message": "Blank = the last day both "
              f"tickers have; a non-trading day means the one before ({DAY_CELL} shows "
              "the day)."}
START_RULE = {**_DATE, "input_title": "Rotation series",
              "input_message": "First date of the ROTATION_SERIES table."}


@dataclass(frozen=True)
class Input:
    key: str
    label: str
    value: Any
    fmt: str
    rule: dict[str, Any]  # inputs next to each other sharing one rule share one range


def inputs(note_day: dt.date) -> list[Input]:
    return [
        Input("small", "Small-cap ticker", "^RUT", "in_text", TICKER_RULE),
        Input("large", "Large-cap ticker", "^GSPC", "in_text", TICKER_RULE),
        Input("threshold", "Daily-return threshold", 0.01, "in_pct", THRESHOLD_RULE),
        Input("length", "Streak length (days)", 5, "in_int", LENGTH_RULE),
        Input("window", "Window", "1M", "in_text", WINDOW_RULE),
        Input("horizon", "Horizon (trading days)", HORIZON, "in_int", HORIZON_RULE),
        Input("since", "Count episodes since", dt.datetime(1979, 1, 1), "in_date", SINCE_RULE),
        Input("as_of", f"As of (blank: see {DAY_CELL})", None, "in_date", AS_OF_RULE),
        Input("start", "Rotation series from", dt.datetime(note_day.year, 1, 1), "in_date",
              START_RULE),
    ]


def answers(r: dict[str, Ref]) -> list[tuple[str, Formula, str]]:
    """(label, formula, format) of each one-cell answer, reading the inputs ``r``."""
    return [
        ("Streak on the as-of day (days)",
         Call("RUT_STREAK", (r["threshold"], r["small"], r["as_of"])), "int"),
        ("Episodes since the start date",
         Call("STREAK_COUNT", (r["length"], r["threshold"], r["small"], r["since"],
                               r["as_of"])), "int"),
        ("Small-cap return over the window",
         Call("WINDOW_RETURN", (r["small"], r["window"], r["as_of"])), "pct2"),
        ("Large-cap return over the window",
         Call("WINDOW_RETURN", (r["large"], r["window"], r["as_of"])), "pct2"),
        ("Spread (small minus large)",
         Call("ROTATION_SPREAD", (r["window"], r["small"], r["large"], r["as_of"])), "pct2"),
        ("Ratio (small / large)",
         Words(Call("ROTATION_RATIO", (r["window"], r["small"], r["large"], r["as_of"]))),
         "ratio"),
        ("Highest close since", Call("HIGHEST_SINCE", (r["small"], r["as_of"])), "date"),
        ("Rate beta (252 days, ^TNX)",
         Call("RATE_BETA", (252, r["small"], "^TNX", r["as_of"])), "num3"),
        ("How rare: spreads since the start date at or below",
         Call("SPREAD_PERCENTILE", (r["window"], r["small"], r["large"], r["as_of"],
                                    r["since"])), "pct"),
    ]


def tables(r: dict[str, Ref], f: dict[str, Any]) -> list[tuple[int, str, Call, list[Any]]]:
    """(column, title, formula, column formats) of each spilled table."""
    returns = [f["date"], f["pct2"], f["pct2"], f["pct2"]]
    # peak gain, peak day, drawdown, status
    forward = [*returns, f["pct2"], f["int"], f["pct2"], f["plain"]]
    return [
        (EPISODES_COL, "Streak episodes: STREAK_EPISODES(length, threshold, small, since, as_of)",
         Call("STREAK_EPISODES", (r["length"], r["threshold"], r["small"], r["since"],
                                  r["as_of"])),
         [f["date"], f["date"], f["date"], f["int"], f["pct2"]]),
        (FORWARD_COL, "FORWARD_RETURNS(horizon, length, threshold, small, large, since, "
         "as_of)",
         Call("FORWARD_RETURNS", (r["horizon"], r["length"], r["threshold"], r["small"],
                                  r["large"], r["since"], r["as_of"])), forward),
        (SERIES_COL, "ROTATION_SERIES(window, small, large, from, as_of)",
         Call("ROTATION_SERIES", (r["window"], r["small"], r["large"], r["start"],
                                  r["as_of"])), returns),
    ]


def write(b: Builder, sheet: Any) -> None:
    f = b.fmt
    for columns, width, fmt_name in WIDTHS:
        sheet.set_column(columns, width, f[fmt_name])
    sheet.write(0, 0, TITLE, f["title"])
    sheet.write(1, 0, SUBTITLE, f["subtitle"])
    typed = _inputs(b, sheet, inputs(b.note_day))
    # One day for the whole sheet, in the answers' heading (E3): the one every formula
    # below asks about, in place of the As of input.
    sheet.write(HEADING_ROW, ANSWER_COL, AS_OF_LABEL, f["answer_head"])
    day = LastCommonDay(typed["small"], typed["large"], typed["as_of"])
    value = b.put_formula(sheet, HEADING_ROW, ANSWER_COL + 1, day, f["asof"])
    refs = {**typed, "as_of": Ref(xl_rowcol_to_cell(HEADING_ROW, ANSWER_COL + 1, row_abs=True,
                                                   col_abs=True), value)}

    listed = answers(refs)
    for i, (label, formula, fmt_name) in enumerate(listed):
        sheet.write_string(HEADING_ROW + 1 + i, ANSWER_COL, label, f["label"])
        b.put_formula(sheet, HEADING_ROW + 1 + i, ANSWER_COL + 1, formula, f[fmt_name])

    monitor(b, sheet, HEADING_ROW, refs["as_of"])
    top = HEADING_ROW + 1 + max(len(refs), len(listed), MONITOR_ROWS) + TABLE_GAP
    spilled = tables(refs, f)
    for col, title, _, _ in spilled:
        sheet.write(top, col, title, f["group"])
    heights = []
    for col, _, formula, formats in spilled:
        value = b.put_formula(sheet, top + 1, col, formula, column_formats=formats,
                              header_fmt=f["head"])
        heights.append(len(value) if isinstance(value, list) and col < SERIES_COL else 1)
    sheet.freeze_panes(top + 2, 0)
    page_setup(sheet, top + max(heights) + PRINTED_ROOM, PRINTED_LAST_COL)


def monitor(b: Builder, sheet: Any, row: int, as_of: Ref) -> Any:
    """The rotation monitor with its title on ``row``: a header row (``small``,
    ``large``, then the windows as yellow inputs), the pairs below as yellow inputs, and
    beside them one ``ROTATION_SPREAD(windows, smalls, larges, as_of)`` spilling one
    spread per pair and window, as of the sheet's day. Returns its value."""
    f = b.fmt
    small_col, large_col, first_window = MONITOR_COL, MONITOR_COL + 1, MONITOR_COL + 2
    last_window = first_window + len(MONITOR_WINDOWS) - 1
    head_row, first_pair = row + 1, row + 2
    last_pair = first_pair + len(MONITOR_PAIRS) - 1

    sheet.write(row, small_col, MONITOR_TITLE, f["answer_head"])
    for col in range(large_col, last_window + 1):
        sheet.write_blank(row, col, None, f["answer_head"])
    sheet.write_string(head_row, small_col, "small", f["head"])
    sheet.write_string(head_row, large_col, "large", f["head"])
    for col, window in enumerate(MONITOR_WINDOWS, start=first_window):
        sheet.write_string(head_row, col, window, f["in_text"])
    for r, (small, large) in enumerate(MONITOR_PAIRS, start=first_pair):
        sheet.write_string(r, small_col, small, f["in_text"])
        sheet.write_string(r, large_col, large, f["in_text"])
    sheet.data_validation(head_row, first_window, head_row, last_window, WINDOW_RULE)
    sheet.data_validation(first_pair, small_col, last_pair, large_col, TICKER_RULE)

    def cells(r1: int, c1: int, r2: int, c2: int, values: list[list[Any]]) -> Ref:
        return Ref(xl_range_abs(r1, c1, r2, c2), values)

    windows = cells(head_row, first_window, head_row, last_window, [list(MONITOR_WINDOWS)])
    smalls = cells(first_pair, small_col, last_pair, small_col,
                   [[small] for small, _ in MONITOR_PAIRS])
    larges = cells(first_pair, large_col, last_pair, large_col,
                   [[large] for _, large in MONITOR_PAIRS])
    value = b.put_formula(sheet, first_pair, first_window,
                          Call("ROTATION_SPREAD", (windows, smalls, larges, as_of)),
                          f["pct2"])
    for i, note in enumerate(MONITOR_NOTES, start=last_pair + 1):
        sheet.write(i, small_col, note, f["subtitle"])
    return value


def _inputs(b: Builder, sheet: Any, listed: list[Input]) -> dict[str, Ref]:
    """Write the input cells under their heading, validate them; returns a reference to
    each by key."""
    f = b.fmt
    sheet.write(HEADING_ROW, INPUT_COL, "Inputs", f["answer_head"])
    sheet.write(HEADING_ROW, INPUT_COL + 1, "", f["answer_head"])
    refs: dict[str, Ref] = {}
    col = INPUT_COL + 1
    for row, item in enumerate(listed, start=HEADING_ROW + 1):
        sheet.write_string(row, INPUT_COL, item.label, f["input_label"])
        if item.value is None:
            sheet.write_blank(row, col, None, f[item.fmt])
        elif isinstance(item.value, dt.datetime):
            sheet.write_datetime(row, col, item.value, f[item.fmt])
        else:
            sheet.write(row, col, item.value, f[item.fmt])
        refs[item.key] = Ref(xl_rowcol_to_cell(row, col, row_abs=True, col_abs=True),
                             item.value)
    # One validation per run of neighbouring inputs sharing a rule.
    first = 0
    for i in range(1, len(listed) + 1):
        if i == len(listed) or listed[i].rule is not listed[first].rule:
            rows = HEADING_ROW + 1 + first, HEADING_ROW + i
            letter = xl_col_to_name(col)
            cells = (f"{letter}{rows[0] + 1}" if rows[0] == rows[1] else
                     f"{letter}{rows[0] + 1}:{letter}{rows[1] + 1}")
            sheet.data_validation(cells, listed[first].rule)
            first = i
    return refs
