"""The Story sheet: each claim of the 2024-07-16 market note as a row, the formula for
the note day (column E) beside the same formula for the latest stored day (column F).

As of means as of: every formula of a column asks about that column's day (E5, F5), the
forward figures too, so the note-day column knows only what was known on the note day:
the four earlier streaks' ten weeks, and "pending" for the note's own. The latest-day
column then says what followed the note-day column's signal.

Rows are declared by key, not by position: a formula that reads another row's answer
(the last signal reads the episode count; the returns after it read the signal) names
that row's key, and the builder turns the key into the cell address and its build-time
value. Adding, removing or moving a row moves every reference with it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xlsxwriter.utility import xl_col_to_name

from .. import settings
from .cells import Best, Call, CountAtLeast, Formula, IfNumber, Index, Lookup, Ref, Words
from .howto import write_note
from .layout import HORIZON, SINCE, Builder, page_setup

SMALL, LARGE, RATE = settings.DEFAULT_TICKER, settings.DEFAULT_LARGE, settings.DEFAULT_RATE

TITLE = "Story — the 2024-07-16 small-cap note, claim by claim"
HEAD = ["#", "Question", "The note said", "Formula (note-day column; column F "
        "asks the same of the latest day)", "On the note day", "Latest day", "", "Unit"]
# G is a narrow blank column: a value never touches its unit, on screen or on paper.
WIDTHS = (("A:A", 4, "plain"), ("B:B", 44, "label"), ("C:C", 24, "said"),
          ("D:D", 68, "formula"), ("E:F", 15, "plain"), ("G:G", 2, "plain"),
          ("H:H", 24, "label"))
# 0-based columns
NUM, QUESTION, SAID, FORMULA, NOTE_COL, LATEST_COL, GAP, UNIT = range(8)
NOTE_ROW, HEAD_ROW, AS_OF_ROW = 1, 3, 4  # 0-based rows; the questions follow the as-of row
# Characters per printed line of the wrapped columns (row heights follow the longest).
LINE_CHARS = {QUESTION: 58, SAID: 32, FORMULA: 80, UNIT: 30}
LINE_HEIGHT = 13.5
TARGET = 0.40  # "as much as 40%"
PENDING = "pending"  # a figure whose 50 trading days are not over by the column's day
FOOTNOTES = (
    "As of means as of: each column uses only closes up to its as-of day, so a streak "
    "whose 50 trading days end later shows 'pending' and is left out of the streaks above.",
    "Source: Yahoo Finance daily closes in the local store (see the Data sheet). One month "
    "is a calendar month (see the README).",
)


@dataclass
class Column:
    """One answer column (note day or latest day): its as-of cell and the answers
    already written in it, by row key."""

    letter: str
    col: int
    as_of: Ref
    answers: dict[str, Ref] = field(default_factory=dict)

    def answer(self, key: str) -> Ref:
        """A reference to row ``key``'s answer in this column (written above)."""
        if key not in self.answers:
            raise KeyError(f"Story row {key!r} must come before the rows that read it")
        return self.answers[key]

    def fixed(self, key: str) -> Ref:
        """:meth:`answer` as an absolute reference (``$E$17``): the other column reads the
        same cell."""
        found = self.answer(key)
        letters = found.address.rstrip("0123456789")
        return Ref(f"${letters}${found.address[len(letters):]}", found.value)


@dataclass(frozen=True)
class Question:
    key: str
    num: str
    question: str
    said: str
    unit: str
    make: Callable[[Column, Column], Formula]  # (this column, the note-day column)
    fmt: str


def forward(c: Column) -> Call:
    """FORWARD_RETURNS as known on the column's day."""
    return Call("FORWARD_RETURNS", (HORIZON, 5, 0.01, SMALL, LARGE, SINCE, c.as_of))


def questions() -> list[Question]:
    """The note's claims, in the order they are shown."""
    q = Question

    def followed(column: int) -> Callable[[Column, Column], Formula]:
        """Column ``column`` of FORWARD_RETURNS for the note-day column's signal, as known
        on this column's day ("pending" until its 50 days are over)."""
        return lambda c, n: IfNumber(Lookup(n.fixed("signal"), forward(c), column), PENDING)

    # CLOSE_PRICE, not PRICE: Excel's built-in bond PRICE() shadows an add-in function of
    # that name.
    return [
        q("close", "1", "^RUT close", "", "index points",
          lambda c, n: Call("CLOSE_PRICE", (SMALL, c.as_of)), "close"),
        q("day", "1", "^RUT return on the day (one trading day)", "jumped 3.5% that day",
          "return", lambda c, n: Call("WINDOW_RETURN", (SMALL, 1, c.as_of)), "pct2"),
        q("highest", "1", "^RUT's highest close since", "highest level since January 2022",
          "date", lambda c, n: Call("HIGHEST_SINCE", (SMALL, c.as_of)), "date"),
        q("streak", "2", "Days in a row with a ^RUT gain above 1%", "a five-day streak",
          "trading days", lambda c, n: Call("RUT_STREAK", (0.01, SMALL, c.as_of)), "int"),
        q("episodes", "2", "Five-day streaks of gains above 1% since 1979",
          "the fifth since 1979", "streaks",
          lambda c, n: Call("STREAK_COUNT", (5, 0.01, SMALL, SINCE, c.as_of)), "int"),
        q("rut_month", "3", "^RUT return over one calendar month",
          "up 12.8% over the last month", "return",
          lambda c, n: Call("WINDOW_RETURN", (SMALL, "1M", c.as_of)), "pct2"),
        q("gspc_month", "3", "^GSPC (S&P 500) return over one calendar month", "", "return",
          lambda c, n: Call("WINDOW_RETURN", (LARGE, "1M", c.as_of)), "pct2"),
        q("spread", "3", "One-month spread, ^RUT minus ^GSPC", "", "percentage points",
          lambda c, n: Call("ROTATION_SPREAD", ("1M", SMALL, LARGE, c.as_of)), "pct2"),
        q("ratio", "3", "One-month ratio, ^RUT / ^GSPC", "triple the S&P 500's gain",
          "times", lambda c, n: Words(Call("ROTATION_RATIO", ("1M", SMALL, LARGE, c.as_of))),
          "ratio"),
        q("spread_rank", "3", "How rare: share of one-month spreads since 1979 at or below "
          "this one", "", "share of days",
          lambda c, n: Call("SPREAD_PERCENTILE", ("1M", SMALL, LARGE, c.as_of, SINCE)),
          "pct"),
        q("month_rank", "3", "How rare: share of ^RUT one-month returns since 1979 at or "
          "below this one", "", "share of days",
          lambda c, n: Call("RETURN_PERCENTILE", (SMALL, "1M", c.as_of, SINCE)), "pct"),
        q("signal", "4", "Last five-day streak signal on or before the day", "", "date",
          lambda c, n: Index(Call("STREAK_EPISODES", (5, 0.01, SMALL, SINCE, c.as_of)),
                             c.answer("episodes"), 2, offset=1), "date"),
        q("complete", "4", "Streaks whose 50 trading days (≈10 weeks) were over by the day",
          "", "streaks", lambda c, n: Lookup("count", forward(c), 2), "int"),
        q("median_peak", "4", "Their median ^RUT peak within the 50 days (highest close "
          "over the signal close)", "expected to last about 10 weeks and reach as much as "
          "40%", "gain", lambda c, n: Lookup(settings.SUMMARY_MEDIAN, forward(c), 5), "pct2"),
        q("best_peak", "4", "Their best ^RUT peak within the 50 days", "", "gain",
          lambda c, n: Best(forward(c), 5), "pct2"),
        q("reached", "4", "How many of them peaked 40% or more above the signal close", "",
          "streaks", lambda c, n: CountAtLeast(forward(c), 5, TARGET), "int"),
        q("median", "4", "Their median ^RUT return on day 50", "", "return",
          lambda c, n: Lookup(settings.SUMMARY_MEDIAN, forward(c), 2), "pct2"),
        q("share", "4", "Share of them with a ^RUT gain on day 50", "", "share of streaks",
          lambda c, n: Lookup(settings.SUMMARY_SHARE_POSITIVE, forward(c), 2), "pct"),
        q("after_return", "5", "After the note-day column's signal: ^RUT return over its 50 "
          "trading days", "", "return", followed(2), "pct2"),
        q("after_large", "5", "^GSPC return over the same 50 trading days", "", "return",
          followed(3), "pct2"),
        q("after_peak", "5", "^RUT peak within those 50 days (highest close over the signal "
          "close)", "", "gain", followed(5), "pct2"),
        q("after_day", "5", "Trading day of that peak", "", "trading days after the signal",
          followed(6), "int"),
        q("after_drawdown", "5", "Worst ^RUT drawdown within those 50 days", "",
          "fall from the running high", followed(7), "pct2"),
        q("rate_beta", "6",
          "Rate beta: ^RUT daily return per +1 pp of the 10-year yield (252 days)",
          "small caps are more sensitive to rates", "return per pp",
          lambda c, n: Call("RATE_BETA", (252, SMALL, RATE, c.as_of)), "num3"),
    ]


def write(b: Builder, sheet: Any) -> None:
    f = b.fmt
    sheet.hide_gridlines(2)
    for columns, width, fmt_name in WIDTHS:
        sheet.set_column(columns, width, f[fmt_name])
    sheet.write(0, 0, TITLE, f["title"])
    sheet.set_row(0, 24)
    write_note(sheet, NOTE_ROW, 0, len(HEAD) - 1, f["note"])
    sheet.write_row(HEAD_ROW, 0, HEAD, f["head"])
    sheet.set_row(HEAD_ROW, 28)

    # The as-of row: any date in the note-day column, the last stored day in the other.
    note_letter, latest_letter = xl_col_to_name(NOTE_COL), xl_col_to_name(LATEST_COL)
    as_of_row = AS_OF_ROW + 1  # Excel's row number
    last_day = Index(Call("DATA_STATUS", (SMALL,)), 2, 3)
    sheet.write(AS_OF_ROW, QUESTION, "As of (the day each column asks about)",
                f["input_label"])
    sheet.write(AS_OF_ROW, FORMULA, f"{note_letter}{as_of_row}: any date; "
                f"{latest_letter}{as_of_row}: ={last_day.text()}, the last stored ^RUT day",
                f["formula"])
    note_day = dt.datetime.combine(b.note_day, dt.time())
    sheet.write_datetime(AS_OF_ROW, NOTE_COL, note_day, f["asof"])
    latest = b.put_formula(sheet, AS_OF_ROW, LATEST_COL, last_day, f["asof"])
    if isinstance(latest, dt.datetime):
        b.result.latest = latest.date()
    columns = [Column(note_letter, NOTE_COL, Ref(f"{note_letter}${as_of_row}", note_day)),
               Column(latest_letter, LATEST_COL, Ref(f"{latest_letter}${as_of_row}", latest))]

    rows = questions()
    note = columns[0]
    for row, item in enumerate(rows, start=AS_OF_ROW + 1):
        formulas = [item.make(column, note) for column in columns]
        text = "=" + formulas[0].text()
        lines = max(math.ceil(len(item.question) / LINE_CHARS[QUESTION]),
                    math.ceil(len(item.said) / LINE_CHARS[SAID]),
                    math.ceil(len(text) / LINE_CHARS[FORMULA]),
                    math.ceil(len(item.unit) / LINE_CHARS[UNIT]), 1)
        sheet.set_row(row, LINE_HEIGHT * lines)
        sheet.write(row, NUM, item.num, f["group"])
        sheet.write(row, QUESTION, item.question, f["label"])
        sheet.write(row, SAID, item.said, f["said"])
        sheet.write(row, UNIT, item.unit, f["unit"])
        for column, formula in zip(columns, formulas, strict=True):
            if column.col == NOTE_COL:  # the formula is shown beside its value
                sheet.write_string(row, FORMULA, text, f["formula"])
            value = b.put_formula(sheet, row, column.col, formula, f[item.fmt])
            column.answers[item.key] = Ref(f"{column.letter}{row + 1}", value)
    last = AS_OF_ROW + 1 + len(rows)
    for i, line in enumerate(FOOTNOTES, start=last + 1):
        sheet.write(i, QUESTION, line, f["subtitle"])
    sheet.freeze_panes(AS_OF_ROW + 1, 0)
    page_setup(sheet, last + len(FOOTNOTES), len(HEAD) - 1)
    sheet.set_paper(9)
