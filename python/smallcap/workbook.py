"""The dashboard workbook (``workbook/smallcap.xlsx``), built reproducibly with XlsxWriter.

A thin adapter: every number in the workbook comes from :mod:`smallcap.udfs`, the very
functions Excel calls through the add-in (which call :mod:`smallcap.api`). The builder
lays out formulas that call those functions and stores, as each formula's cached value,
what the function returns for the store it is built from, so Excel, LibreOffice and
``openpyxl(data_only=True)`` show numbers before any recalculation.

Sheets:

- **Story**: each claim of the 2024-07-16 market note as a row, the formula for the note
  day beside the same formula for the latest stored day, and a "How to use" note.
- **Explore**: input cells (validated) driving spilled ``STREAK_EPISODES``,
  ``FORWARD_RETURNS`` and ``ROTATION_SERIES`` tables and a few one-cell answers.
- **Charts**: Russell 2000 vs S&P 500 rebased to 100, the rolling one-month rotation
  spread, and the forward returns after each streak (native charts reading the Data
  sheet and spilled tables on this sheet).
- **Data**: :func:`smallcap.api.data_table` at A1, the sheet the ribbon refresh rewrites.

Formulas that call our functions are written as dynamic-array formulas (also the one-cell
ones), so Excel 365 neither adds an implicit-intersection ``@`` nor truncates a table; the
whole spill range carries cached values; one-cell answers are ordinary formulas, whose
cached values LibreOffice keeps (it recomputes every array formula on load). Function
names are written bare (``RUT_STREAK(...)``), not as Excel saves an add-in call (an
external reference ``[1]!RUT_STREAK`` to the add-in's path on the author's machine) nor
with ``_xludf.`` (what Excel writes for a name it could not resolve). The workbook asks
for no recalculation on load (its cached values are current for the store it was built
from); the ribbon's Refresh rewrites Data and recalculates.

:func:`evaluate` computes every cell headless with the ``formulas`` package, our
functions plugged in as custom functions; :func:`render_pdf` converts the workbook with
LibreOffice (both used by the tests and the benchmark).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import analytics, api
from .errors import BadArgument
from .store import Store

SHEETS = ("Story", "Explore", "Charts", "Data")
NOTE_DAY = dt.date(2024, 7, 16)
CHART_START = dt.date(2021, 1, 1)
SINCE = "1979-01-01"
HORIZON = 50
# Fixed document properties: building twice from the same store gives the same file.
CREATED = dt.datetime(2024, 7, 16, 0, 0, 0)
# calcId of a current Excel: an older id makes Excel recalculate every cell on open.
CALC_ID = 191029
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
TICKER_CHOICES = ("^RUT", "^GSPC", "^NDX", "IWM", "SPY", "QQQ", "^DJI", "^TNX")
WINDOW_CHOICES = ("1W", "1M", "3M", "6M", "1Y", "YTD", "21", "63", "252")
NAMES = {"^RUT": "Russell 2000", "^GSPC": "S&P 500"}

HOW_TO_USE = (
    "How to use: every number below is a live formula calling smallcap's functions "
    "(RUT_STREAK, STREAK_COUNT, ROTATION_SPREAD, ...). The file opens with the values "
    "computed when it was built; with the smallcap add-in loaded, press "
    "Small Caps > Refresh data to fetch new prices into the Data sheet and recalculate "
    "(or Ctrl+Alt+F9). Column E asks each question for the note day, column F for the "
    "latest stored day: change E5 to ask about another day. Try your own tickers, "
    "thresholds and windows on the Explore sheet; the charts are on Charts. Percentages "
    "are fractions formatted as %. A cell starting with # names what went wrong "
    "(e.g. #N/A no data for ^XYZ — refresh first). #NAME? means Excel has not linked the "
    "formulas to the add-in: load it, then Ctrl+H, replace = with = to re-enter them."
)


# -- Excel values --------------------------------------------------------------------------


def serial(value: dt.date | dt.datetime) -> float | int:
    """An Excel serial date (days since 1899-12-30; a date gives a whole number)."""
    if isinstance(value, dt.datetime):
        naive = value.replace(tzinfo=None)
        delta = naive - EXCEL_EPOCH
        whole = delta.days
        seconds = delta.seconds + delta.microseconds / 1e6
        return whole if not seconds else whole + seconds / 86400.0
    return (value - EXCEL_EPOCH.date()).days


def _udfs() -> Any:
    from . import udfs

    return udfs


def udf(name: str) -> Callable[..., Any]:
    """The Excel function ``name`` exactly as the add-in runs it (:mod:`smallcap.udfs`)."""
    udfs = _udfs()
    if name not in udfs.UDF_NAMES:
        raise BadArgument("function", f"{name!r} is not a smallcap worksheet function")
    return getattr(udfs, name)


# -- a tiny formula model: what a cell says, and the value it has --------------------------


@dataclass(frozen=True)
class Ref:
    """A reference to an input cell (``address`` as written in formulas) and its value."""

    address: str
    value: Any


@dataclass(frozen=True)
class Call:
    """A call of one of our worksheet functions."""

    name: str
    args: tuple[Any, ...]

    def text(self) -> str:
        return f"{self.name}({','.join(_arg_text(a) for a in self.args)})"

    def value(self) -> Any:
        return udf(self.name)(*[a.value if isinstance(a, Ref) else a for a in self.args])


@dataclass(frozen=True)
class Lookup:
    """``VLOOKUP(key, table, column, FALSE)`` on a table returned by a :class:`Call`."""

    key: Any
    table: Call
    column: int

    def text(self) -> str:
        return f"VLOOKUP({_arg_text(self.key)},{self.table.text()},{self.column},FALSE)"

    def value(self) -> Any:
        rows = self.table.value()
        key = self.key.value if isinstance(self.key, Ref) else self.key
        if not isinstance(rows, list):
            return "#N/A"
        for row in rows:
            if _same(row[0], key):
                return row[self.column - 1]
        return "#N/A"


@dataclass(frozen=True)
class Index:
    """``INDEX(table, row, column)`` on a table returned by a :class:`Call`; ``row`` may be
    a reference to a cell holding a count (``offset`` added: the table's header row)."""

    table: Call
    row: Any
    column: int
    offset: int = 0

    def text(self) -> str:
        row = _arg_text(self.row) + (f"+{self.offset}" if self.offset else "")
        return f"INDEX({self.table.text()},{row},{self.column})"

    def value(self) -> Any:
        rows = self.table.value()
        row = self.row.value if isinstance(self.row, Ref) else self.row
        if not isinstance(rows, list):
            return rows if isinstance(rows, str) else "#N/A"
        if isinstance(row, str):
            return row
        index = int(row) + self.offset
        if not 1 <= index <= len(rows):
            return "#REF!"
        return rows[index - 1][self.column - 1]


Formula = Call | Lookup | Index


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dt.date | dt.datetime):
        a = serial(a)
    if isinstance(b, dt.date | dt.datetime):
        b = serial(b)
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=0, abs_tol=1e-9)
    return False


def _arg_text(arg: Any) -> str:
    if isinstance(arg, Ref):
        return arg.address
    if isinstance(arg, str):
        return '"' + arg.replace('"', '""') + '"'
    if isinstance(arg, bool):
        return "TRUE" if arg else "FALSE"
    if isinstance(arg, int | float):
        return repr(arg)
    raise TypeError(f"cannot write {arg!r} into a formula")


# -- the builder -----------------------------------------------------------------------------


@dataclass
class FormulaCell:
    """One formula written: its sheet, top-left cell, spill size and cached values."""

    sheet: str
    row: int
    col: int
    formula: str
    rows: int = 1
    cols: int = 1


@dataclass
class BuildResult:
    """What :func:`build` wrote."""

    path: Path
    formulas: list[FormulaCell] = field(default_factory=list)
    data_rows: int = 0
    latest: dt.date | None = None

    @property
    def formula_count(self) -> int:
        return len(self.formulas)


class _Builder:
    def __init__(self, path: Path, note_day: dt.date, chart_start: dt.date,
                 static: bool = False) -> None:
        import xlsxwriter

        self.static = static
        self.path = path
        self.note_day = note_day
        self.chart_start = chart_start
        self.book = xlsxwriter.Workbook(
            str(path),
            {"strings_to_numbers": False, "strings_to_formulas": False,
             "strings_to_urls": False},
        )
        self.result = BuildResult(path)
        self.fmt: dict[str, Any] = {}
        self._formats()

    # formats ---------------------------------------------------------------------------

    def _formats(self) -> None:
        add = self.book.add_format
        base = {"font_name": "Calibri", "font_size": 10, "valign": "top"}
        self.fmt = {
            "plain": add(base),
            "title": add({**base, "bold": True, "font_size": 15, "font_color": "#1F3864"}),
            "subtitle": add({**base, "italic": True, "font_color": "#595959"}),
            "note": add({**base, "text_wrap": True, "font_color": "#404040",
                         "bg_color": "#F2F2F2", "border": 1, "border_color": "#BFBFBF"}),
            "head": add({**base, "bold": True, "bg_color": "#1F3864", "font_color": "#FFFFFF",
                         "text_wrap": True, "border": 1}),
            "label": add({**base, "text_wrap": True}),
            "group": add({**base, "bold": True, "font_color": "#1F3864"}),
            "formula": add({**base, "font_name": "Consolas", "font_size": 9,
                            "font_color": "#404040", "text_wrap": True}),
            "said": add({**base, "italic": True, "text_wrap": True}),
            "unit": add({**base, "indent": 1, "font_color": "#595959"}),
            "input_label": add({**base, "bold": True}),
            "pct": add({**base, "num_format": "0.0%"}),
            "pct2": add({**base, "num_format": "0.00%"}),
            "date": add({**base, "num_format": "yyyy-mm-dd", "align": "right"}),
            "int": add({**base, "num_format": "0"}),
            "num2": add({**base, "num_format": "0.00"}),
            "num3": add({**base, "num_format": "0.000"}),
            "close": add({**base, "num_format": "#,##0.00"}),
            "stamp": add({**base, "num_format": "yyyy-mm-dd hh:mm"}),
            "ratio": add({**base, "num_format": '0.00"x"'}),
            "asof": add({**base, "bold": True, "num_format": "yyyy-mm-dd", "align": "right",
                         "bg_color": "#DDEBF7", "border": 1}),
            "in_text": add({**base, "bg_color": "#FFF2CC", "border": 1, "align": "right"}),
            "in_pct": add({**base, "bg_color": "#FFF2CC", "border": 1, "num_format": "0.0%"}),
            "in_int": add({**base, "bg_color": "#FFF2CC", "border": 1, "num_format": "0"}),
            "in_date": add({**base, "bg_color": "#FFF2CC", "border": 1,
                            "num_format": "yyyy-mm-dd"}),
            "answer_head": add({**base, "bold": True, "bottom": 1}),
        }

    # cells -----------------------------------------------------------------------------

    def put_value(self, sheet: Any, row: int, col: int, value: Any, fmt: Any) -> None:
        """Write one Excel value (as :mod:`smallcap.udfs` returns it) as a plain cell."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            sheet.write_blank(row, col, None, fmt or self.fmt["plain"])
        elif isinstance(value, bool):
            sheet.write_boolean(row, col, value, fmt)
        elif isinstance(value, dt.date | dt.datetime):
            sheet.write_number(row, col, serial(value), fmt)
        elif isinstance(value, int | float):
            sheet.write_number(row, col, value, fmt)
        else:
            sheet.write_string(row, col, str(value), fmt)

    def put_formula(self, sheet: Any, row: int, col: int, formula: Formula,
                    fmt: Any = None, column_formats: Sequence[Any] | None = None,
                    header_fmt: Any = None) -> Any:
        """Write ``formula`` as a dynamic-array formula with its whole result cached.

        A table result fills its spill range: the header row in ``header_fmt``, column
        ``j`` in ``column_formats[j]``. Returns the value (scalar or rows)."""
        value = formula.value()
        text = "=" + formula.text()
        if isinstance(value, list):
            rows = value
            height, width = len(rows), len(rows[0]) if rows else 1
            formats = list(column_formats or [])
            first = _cached(rows[0][0]) if rows and rows[0] else ""
            if not self.static:
                sheet.write_dynamic_array_formula(row, col, row + height - 1,
                                                  col + width - 1, text, header_fmt or fmt,
                                                  first)
            for i, cells in enumerate(rows):
                for j, cell in enumerate(cells):
                    if i == 0 and j == 0 and not self.static:
                        continue
                    cell_fmt = header_fmt if i == 0 else (
                        formats[j] if j < len(formats) else self.fmt["plain"])
                    if i and j and cells[0] == "count":  # FORWARD_RETURNS' episode count
                        cell_fmt = self.fmt["int"]
                    self.put_value(sheet, row + i, col + j, cell, cell_fmt)
        else:
            height = width = 1
            if isinstance(value, str) and fmt is not None and value.startswith("#"):
                fmt = self.fmt["label"]  # an error text reads better unformatted
            if self.static:
                self.put_value(sheet, row, col, value, fmt or self.fmt["plain"])
            else:
                # An ordinary formula: LibreOffice keeps its cached value on load (it
                # recomputes every array formula); Excel 365 shows it as =@NAME(...).
                sheet.write_formula(row, col, text, fmt or self.fmt["plain"], _cached(value))
        if not self.static:
            self.result.formulas.append(FormulaCell(sheet.name, row, col, text, height, width))
        return value

    # sheets ----------------------------------------------------------------------------

    def build(self, table: Any) -> BuildResult:
        self.book.set_properties({
            "title": "smallcap dashboard",
            "subject": "Small-cap rally analytics: the July 2024 note, checked in cells",
            "author": "smallcap",
            "company": "",
            "comments": "Built by `smallcap workbook build`; see workbook/README.md",
            "created": CREATED,
        })
        self.book.set_calc_mode("auto", calc_id=CALC_ID)
        # Show the cached values on open; recalculate when inputs change or on Refresh.
        self.book.calc_on_load = False
        story = self.book.add_worksheet("Story")
        explore = self.book.add_worksheet("Explore")
        charts = self.book.add_worksheet("Charts")
        data = self.book.add_worksheet("Data")
        data_cols = self.data_sheet(data, table)
        self.story_sheet(story)
        self.explore_sheet(explore)
        self.charts_sheet(charts, table, data_cols)
        story.activate()
        self.book.close()
        return self.result

    def data_sheet(self, sheet: Any, table: Any) -> dict[str, int]:
        """``data_table()`` at A1: dates, then adjusted closes per ticker (blank = no row)."""
        udfs = _udfs()
        rows = udfs.table_rows(table)
        header, body = rows[0], rows[1:]
        sheet.write_row(0, 0, header, self.fmt["head"])
        sheet.set_column(0, 0, 11, self.fmt["date"])
        sheet.set_column(1, len(header) - 1, 11, self.fmt["close"])
        date_fmt, close_fmt = self.fmt["date"], self.fmt["close"]
        for i, cells in enumerate(body, start=1):
            sheet.write_number(i, 0, serial(cells[0]), date_fmt)
            for j in range(1, len(cells)):
                value = cells[j]
                if value is not None:
                    sheet.write_number(i, j, value, close_fmt)
        sheet.freeze_panes(1, 1)
        sheet.set_header("&L&\"Calibri,Bold\"Data&R&A")
        sheet.set_footer("&Lsmallcap dashboard&RPage &P of &N")
        sheet.print_area(0, 0, 40, len(header) - 1)
        sheet.fit_to_pages(1, 1)
        sheet.set_landscape()
        self.result.data_rows = len(body)
        return {str(name): j for j, name in enumerate(header)}

    def story_sheet(self, sheet: Any) -> None:
        f = self.fmt
        sheet.hide_gridlines(2)
        sheet.set_column("A:A", 4, f["plain"])
        sheet.set_column("B:B", 44, f["label"])
        sheet.set_column("C:C", 24, f["said"])
        sheet.set_column("D:D", 68, f["formula"])
        sheet.set_column("E:F", 15, f["plain"])
        sheet.set_column("G:G", 30, f["label"])
        sheet.write("A1", "Story — the 2024-07-16 small-cap note, claim by claim", f["title"])
        sheet.set_row(0, 24)
        sheet.merge_range("A2:G2", HOW_TO_USE, f["note"])
        sheet.set_row(1, 86)
        head = ["#", "Question", "The note said", "Formula (note-day column; column F "
                "asks the same of the latest day)", "On the note day", "Latest day", "Unit"]
        sheet.write_row(3, 0, head, f["head"])
        sheet.set_row(3, 28)
        note = Ref("E$5", dt.datetime.combine(self.note_day, dt.time()))
        sheet.write("B5", "As of (the day each column asks about)", f["input_label"])
        sheet.write("D5", "E5: any date; F5: =INDEX(DATA_STATUS(\"^RUT\"),2,3), the last "
                    "stored ^RUT day", f["formula"])
        sheet.write_datetime(4, 4, note.value, f["asof"])
        latest = self.put_formula(sheet, 4, 5, Index(Call("DATA_STATUS", ("^RUT",)), 2, 3),
                                  f["asof"])
        if isinstance(latest, dt.datetime):
            self.result.latest = latest.date()
        days = {"E": note, "F": Ref("F$5", latest)}

        rows: list[tuple[str, str, str, str, Callable[[str], Formula], str, str]] = []
        fr = ("FORWARD_RETURNS", (HORIZON, 5, 0.01, "^RUT", "^GSPC", SINCE))

        def add(num: str, question: str, said: str, unit: str,
                make: Callable[[str], Formula], fmt: str) -> None:
            rows.append((num, question, said, unit, make, fmt, ""))

        # CLOSE_PRICE, not PRICE: Excel's built-in bond PRICE() shadows an add-in function
        # of that name.
        def close(c: str) -> Formula:
            return Call("CLOSE_PRICE", ("^RUT", days[c]))

        add("1", "^RUT close", "", "index points", close, "close")
        add("1", "^RUT return on the day (one trading day)", "jumped 3.5% that day", "%",
            lambda c: Call("WINDOW_RETURN", ("^RUT", 1, days[c])), "pct2")
        add("1", "^RUT's highest close since", "highest level since January 2022", "date",
            lambda c: Call("HIGHEST_SINCE", ("^RUT", days[c])), "date")
        add("2", "Days in a row with a ^RUT gain above 1%", "a five-day streak", "days",
            lambda c: Call("RUT_STREAK", (0.01, "^RUT", days[c])), "int")
        add("2", "Five-day streaks of gains above 1% since 1979", "the fifth since 1979",
            "episodes", lambda c: Call("STREAK_COUNT", (5, 0.01, "^RUT", SINCE, days[c])), "int")
        add("3", "^RUT return over one calendar month", "up 12.8% over the last month", "%",
            lambda c: Call("WINDOW_RETURN", ("^RUT", "1M", days[c])), "pct2")
        add("3", "^GSPC (S&P 500) return over one calendar month", "", "%",
            lambda c: Call("WINDOW_RETURN", ("^GSPC", "1M", days[c])), "pct2")
        add("3", "One-month spread, ^RUT minus ^GSPC", "", "percentage points",
            lambda c: Call("ROTATION_SPREAD", ("1M", "^RUT", "^GSPC", days[c])), "pct2")
        add("3", "One-month ratio, ^RUT / ^GSPC", "triple the S&P 500's gain", "times",
            lambda c: Call("ROTATION_RATIO", ("1M", "^RUT", "^GSPC", days[c])), "ratio")
        count_row = 4 + 5  # 0-based row of the STREAK_COUNT line (written 5th)
        add("4", "Last five-day streak signal on or before the day", "", "date",
            lambda c: Index(Call("STREAK_EPISODES", (5, 0.01, "^RUT", SINCE, days[c])),
                            Ref(f"{c}{count_row + 1}", None), 2, offset=1), "date")
        signal_row = 4 + 10
        add("4", "^RUT return over the 50 trading days (≈10 weeks) after that signal",
            "expected to last about 10 weeks and reach as much as 40%", "%",
            lambda c: Lookup(Ref(f"{c}{signal_row + 1}", None), Call(*fr), 2), "pct2")
        add("4", "^GSPC return over the same 50 trading days", "", "%",
            lambda c: Lookup(Ref(f"{c}{signal_row + 1}", None), Call(*fr), 3), "pct2")
        add("4", "Median ^RUT 50-day return after every streak since 1979", "", "% (all "
            "episodes: no as-of)", lambda c: Lookup("median", Call(*fr), 2), "pct2")
        add("4", "Share of streaks followed by a 50-day ^RUT gain", "", "% (all episodes)",
            lambda c: Lookup("share positive", Call(*fr), 2), "pct")
        add("5", "Rate beta: ^RUT daily return per +1 pp of the 10-year yield (252 days)",
            "small caps are more sensitive to rates", "return per pp",
            lambda c: Call("RATE_BETA", (252, "^RUT", "^TNX", days[c])), "num3")

        values: dict[tuple[int, str], Any] = {}
        for i, (num, question, said, unit, make, fmt_name, _) in enumerate(rows):
            row = 5 + i
            text = "=" + make("E").text()
            lines = max(math.ceil(len(question) / 58), math.ceil(len(said) / 32),
                        math.ceil(len(text) / 80), 1)
            sheet.set_row(row, 13.5 * lines)
            sheet.write(row, 0, num, f["group"])
            sheet.write(row, 1, question, f["label"])
            sheet.write(row, 2, said, f["said"])
            sheet.write(row, 6, unit, f["unit"])
            for col_letter, col in (("E", 4), ("F", 5)):
                formula = self._resolve(make(col_letter), values)
                if col == 4:
                    sheet.write_string(row, 3, "=" + formula.text(), f["formula"])
                values[(row, col_letter)] = self.put_formula(sheet, row, col, formula,
                                                             f[fmt_name])
        last = 5 + len(rows)
        sheet.write(last + 1, 1, "Source: Yahoo Finance daily closes in the local store "
                    "(see the Data sheet). One month is a calendar month (SPEC.md).",
                    f["subtitle"])
        sheet.freeze_panes(5, 0)
        sheet.set_header("&L&\"Calibri,Bold\"Story&R&A")
        sheet.set_footer("&Lsmallcap dashboard&RPage &P of &N")
        sheet.print_area(0, 0, last + 1, 6)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 1)
        sheet.set_paper(9)

    @staticmethod
    def _resolve(formula: Formula, values: dict[tuple[int, str], Any]) -> Formula:
        """Fill the build-time value of a reference to an earlier Story cell."""

        def fill(arg: Any) -> Any:
            if isinstance(arg, Ref) and arg.value is None and not arg.address.endswith("$5"):
                match = re.fullmatch(r"([A-Z]+)(\d+)", arg.address)
                if match:
                    return Ref(arg.address, values.get((int(match[2]) - 1, match[1])))
            return arg

        if isinstance(formula, Index):
            return Index(formula.table, fill(formula.row), formula.column, formula.offset)
        if isinstance(formula, Lookup):
            return Lookup(fill(formula.key), formula.table, formula.column)
        return formula

    def explore_sheet(self, sheet: Any) -> None:
        f = self.fmt
        # Table columns keep their formats wherever a recalculated spill grows to.
        sheet.set_column("A:A", 24, f["date"])
        sheet.set_column("B:C", 12, f["date"])
        sheet.set_column("D:D", 34, f["int"])
        sheet.set_column("E:E", 12, f["pct2"])
        sheet.set_column("F:F", 2, f["plain"])
        sheet.set_column("G:G", 14, f["date"])
        sheet.set_column("H:J", 12, f["pct2"])
        sheet.set_column("K:K", 2, f["plain"])
        sheet.set_column("L:L", 12, f["date"])
        sheet.set_column("M:O", 12, f["pct2"])
        sheet.write("A1", "Explore — ask the same questions about any day, threshold or pair",
                    f["title"])
        sheet.write("A2", "Change the yellow cells; the answers and the three tables below "
                    "recalculate (tables spill as dynamic arrays). Leave 'As of' blank for "
                    "the latest stored day.", f["subtitle"])
        inputs = [
            ("Small-cap ticker", "^RUT", "in_text"),
            ("Large-cap ticker", "^GSPC", "in_text"),
            ("Daily-return threshold", 0.01, "in_pct"),
            ("Streak length (days)", 5, "in_int"),
            ("Window", "1M", "in_text"),
            ("Horizon (trading days)", HORIZON, "in_int"),
            ("Count episodes since", dt.datetime(1979, 1, 1), "in_date"),
            ("As of (blank = latest)", None, "in_date"),
            ("Rotation series from", dt.datetime(self.note_day.year, 1, 1), "in_date"),
        ]
        refs: dict[str, Ref] = {}
        sheet.write("A3", "Inputs", f["answer_head"])
        sheet.write("B3", "", f["answer_head"])
        for i, (label, value, fmt_name) in enumerate(inputs):
            row = 3 + i
            sheet.write_string(row, 0, label, f["input_label"])
            if value is None:
                sheet.write_blank(row, 1, None, f[fmt_name])
            elif isinstance(value, dt.datetime):
                sheet.write_datetime(row, 1, value, f[fmt_name])
            else:
                sheet.write(row, 1, value, f[fmt_name])
            refs[label] = Ref(f"$B${row + 1}", value)
        small, large = refs["Small-cap ticker"], refs["Large-cap ticker"]
        threshold, length = refs["Daily-return threshold"], refs["Streak length (days)"]
        window, horizon = refs["Window"], refs["Horizon (trading days)"]
        since, as_of = refs["Count episodes since"], refs["As of (blank = latest)"]
        start = refs["Rotation series from"]
        self._validate(sheet)

        answers = [
            ("Streak on the as-of day (days)", Call("RUT_STREAK", (threshold, small, as_of)),
             "int"),
            ("Episodes since the start date", Call("STREAK_COUNT",
                                                   (length, threshold, small, since, as_of)),
             "int"),
            ("Small-cap return over the window", Call("WINDOW_RETURN", (small, window, as_of)),
             "pct2"),
            ("Large-cap return over the window", Call("WINDOW_RETURN", (large, window, as_of)),
             "pct2"),
            ("Spread (small minus large)", Call("ROTATION_SPREAD", (window, small, large, as_of)),
             "pct2"),
            ("Ratio (small / large)", Call("ROTATION_RATIO", (window, small, large, as_of)),
             "ratio"),
            ("Highest close since", Call("HIGHEST_SINCE", (small, as_of)), "date"),
            ("Rate beta (252 days, ^TNX)", Call("RATE_BETA", (252, small, "^TNX", as_of)),
             "num3"),
        ]
        sheet.write("D3", "Answers", f["answer_head"])
        sheet.write("E3", "", f["answer_head"])
        for i, (label, formula, fmt_name) in enumerate(answers):
            sheet.write_string(3 + i, 3, label, f["label"])
            self.put_formula(sheet, 3 + i, 4, formula, f[fmt_name])

        top = 14
        sheet.write(top, 0, "Streak episodes: STREAK_EPISODES(length, threshold, small, "
                    "since, as_of)", f["group"])
        sheet.write(top, 6, "FORWARD_RETURNS(horizon, length, threshold, small, large, since)",
                    f["group"])
        sheet.write(top, 11, "ROTATION_SERIES(window, small, large, from)", f["group"])
        self.put_formula(sheet, top + 1, 0,
                         Call("STREAK_EPISODES", (length, threshold, small, since, as_of)),
                         column_formats=[f["date"], f["date"], f["date"], f["int"], f["pct2"]],
                         header_fmt=f["head"])
        self.put_formula(sheet, top + 1, 6,
                         Call("FORWARD_RETURNS", (horizon, length, threshold, small, large,
                                                  since)),
                         column_formats=[f["date"], f["pct2"], f["pct2"], f["pct2"]],
                         header_fmt=f["head"])
        self.put_formula(sheet, top + 1, 11,
                         Call("ROTATION_SERIES", (window, small, large, start)),
                         column_formats=[f["date"], f["pct2"], f["pct2"], f["pct2"]],
                         header_fmt=f["head"])
        sheet.freeze_panes(top + 2, 0)
        sheet.set_header("&L&\"Calibri,Bold\"Explore&R&A")
        sheet.set_footer("&Lsmallcap dashboard&RPage &P of &N")
        sheet.print_area(0, 0, top + 30, 14)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 1)

    def _validate(self, sheet: Any) -> None:
        tickers = {"validate": "list", "source": list(TICKER_CHOICES), "error_type": "warning",
                   "input_title": "Ticker", "input_message": "A Yahoo symbol; pick one or "
                   "type another that the store holds.", "error_title": "Ticker",
                   "error_message": "Not in the list: fine if the store has it "
                   "(smallcap refresh TICKER)."}
        sheet.data_validation("B4:B5", tickers)
        sheet.data_validation("B6", {
            "validate": "decimal", "criteria": "between", "minimum": -0.99, "maximum": 0.99,
            "input_title": "Threshold", "input_message": "Daily return as a fraction: 1% is "
            "0.01; negative counts falls.", "error_title": "Threshold",
            "error_message": "Enter a fraction between -0.99 and 0.99 (1% = 0.01)."})
        sheet.data_validation("B7", {
            "validate": "integer", "criteria": "between", "minimum": 1, "maximum": 250,
            "input_title": "Streak length", "input_message": "Whole number of trading days.",
            "error_title": "Streak length", "error_message": "A whole number from 1 to 250."})
        sheet.data_validation("B8", {
            "validate": "list", "source": list(WINDOW_CHOICES), "error_type": "warning",
            "input_title": "Window", "input_message": "A calendar period (1W 1M 3M 6M 1Y YTD) "
            "or a whole number of trading days.", "error_title": "Window",
            "error_message": "Use 1W, 1M, 3M, 6M, 1Y, YTD or a whole number of days."})
        sheet.data_validation("B9", {
            "validate": "integer", "criteria": "between", "minimum": 1, "maximum": 2520,
            "input_title": "Horizon", "input_message": "Trading days after each signal "
            "(50 = about ten weeks).", "error_title": "Horizon",
            "error_message": "A whole number of trading days from 1 to 2520."})
        dates = {"validate": "date", "criteria": "between",
                 "minimum": dt.date(1900, 1, 1), "maximum": dt.date(2100, 12, 31),
                 "ignore_blank": True, "error_title": "Date",
                 "error_message": "Enter a date, e.g. 2024-07-16."}
        sheet.data_validation("B10", {**dates, "input_title": "Since",
                                      "input_message": "Count episodes signalled on or "
                                      "after this day."})
        sheet.data_validation("B11", {**dates, "input_title": "As of",
                                      "input_message": "Blank = the latest stored day; a "
                                      "non-trading day means the one before."})
        sheet.data_validation("B12", {**dates, "input_title": "Rotation series",
                                      "input_message": "First date of the ROTATION_SERIES "
                                      "table."})

    def charts_sheet(self, sheet: Any, table: Any, data_cols: dict[str, int]) -> None:
        from xlsxwriter.utility import xl_col_to_name

        f = self.fmt
        sheet.hide_gridlines(2)
        sheet.write("A1", "Charts — small caps against large caps", f["title"])
        sheet.write("A2", "Each chart reads the Data sheet or a table spilled on this sheet "
                    "(columns T onward).", f["subtitle"])
        # -- chart data: rebased closes (formulas on the Data sheet) ------------------------
        small, large = "^RUT", "^GSPC"
        first, last = self._common_rows(table, small, large)
        base_col = 19  # T
        sheet.set_column(base_col, base_col, 11, f["date"])
        sheet.set_column(base_col + 1, base_col + 2, 12, f["num2"])
        sheet.write_row(3, base_col, ["date", f"{NAMES[small]} (rebased)",
                                      f"{NAMES[large]} (rebased)"], f["head"])
        n = last - first + 1
        a, b = first + 2, last + 2  # Excel row numbers on the Data sheet (header at row 1)
        date_col = xl_col_to_name(data_cols["date"])
        self._array(sheet, 4, base_col, n, f"=Data!{date_col}{a}:{date_col}{b}",
                    serial(table["date"].iloc[first]), f["date"])
        for i in range(0 if self.static else 1, n):
            sheet.write_number(4 + i, base_col, serial(table["date"].iloc[first + i]), f["date"])
        rebased_by: dict[int, list[Any]] = {}
        for k, ticker in enumerate((small, large), start=1):
            col = xl_col_to_name(data_cols[ticker])
            rng = f"Data!{col}{a}:{col}{b}"
            text = f'=IF({rng}="",NA(),{rng}/Data!{col}{a}*100)'
            scaled = analytics.rebase(table[ticker].to_numpy()[first:last + 1])
            rebased = np.where(np.isnan(scaled), "#N/A", scaled.astype(object)).tolist()
            rebased_by[k] = rebased
            self._array(sheet, 4, base_col + k, n, text, rebased[0], f["num2"])
            for i in range(0 if self.static else 1, n):
                self.put_value(sheet, 4 + i, base_col + k, rebased[i], f["num2"])
        # -- chart data: rolling one-month spread and forward returns (spilled) ---------------
        rot_col = base_col + 4  # X
        sheet.set_column(rot_col, rot_col, 11, f["date"])
        sheet.set_column(rot_col + 1, rot_col + 3, 11, f["pct2"])
        rot = self.put_formula(
            sheet, 3, rot_col,
            Call("ROTATION_SERIES", ("1M", small, large, self.chart_start.isoformat())),
            column_formats=[f["date"], f["pct2"], f["pct2"], f["pct2"]], header_fmt=f["head"])
        fwd_col = rot_col + 5  # AC
        sheet.set_column(fwd_col, fwd_col, 13, f["date"])
        sheet.set_column(fwd_col + 1, fwd_col + 3, 11, f["pct2"])
        fwd = self.put_formula(
            sheet, 3, fwd_col,
            Call("FORWARD_RETURNS", (HORIZON, 5, 0.01, small, large, SINCE)),
            column_formats=[f["date"], f["pct2"], f["pct2"], f["pct2"]], header_fmt=f["head"])
        # -- the charts ----------------------------------------------------------------------
        t, u, v = (xl_col_to_name(base_col + k) for k in range(3))
        start_text = table["date"].iloc[first].isoformat()
        chart = self.book.add_chart({"type": "line"})
        for col_name, color in ((u, "#C00000"), (v, "#1F3864")):
            chart.add_series({
                "name": f"=Charts!${col_name}$4",
                "categories": f"=Charts!${t}$5:${t}${4 + n}",
                "values": f"=Charts!${col_name}$5:${col_name}${4 + n}",
                "line": {"color": color, "width": 1.5},
            })
        chart.set_title({"name": f"{NAMES[small]} vs {NAMES[large]}, rebased to 100 on "
                         f"{start_text}", "name_font": {"size": 12}})
        chart.set_x_axis({"date_axis": True, "num_format": "mmm yyyy", "major_unit": 6,
                          "major_unit_type": "months", "num_font": {"rotation": -45}})
        finite = [x for k in (1, 2) for x in rebased_by[k] if isinstance(x, float)]
        low = math.floor(min(finite, default=100.0) / 20.0) * 20 if finite else 0
        chart.set_y_axis({"name": "index (start = 100)", "num_format": "0",
                          "min": max(low, 0),
                          "major_gridlines": {"visible": True,
                                              "line": {"color": "#D9D9D9"}}})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 900, "height": 340})
        sheet.insert_chart("A4", chart)

        if isinstance(rot, list) and len(rot) > 1:
            x = xl_col_to_name(rot_col)
            spread = xl_col_to_name(rot_col + 3)
            end = 4 + len(rot) - 1
            chart = self.book.add_chart({"type": "line"})
            chart.add_series({
                "name": "1-month spread",
                "categories": f"=Charts!${x}$5:${x}${end}",
                "values": f"=Charts!${spread}$5:${spread}${end}",
                "line": {"color": "#7030A0", "width": 1.25},
            })
            chart.set_title({"name": f"Rolling one-month return spread, {NAMES[small]} minus "
                             f"{NAMES[large]}", "name_font": {"size": 12}})
            chart.set_x_axis({"date_axis": True, "num_format": "mmm yyyy", "major_unit": 6,
                              "major_unit_type": "months", "num_font": {"rotation": -45},
                              "label_position": "low"})
            chart.set_y_axis({"name": "spread", "num_format": "0%",
                              "major_gridlines": {"visible": True,
                                                  "line": {"color": "#D9D9D9"}}})
            chart.set_legend({"none": True})
            chart.set_size({"width": 900, "height": 300})
            sheet.insert_chart("A22", chart)

        if isinstance(fwd, list) and len(fwd) > 5:
            episodes = len(fwd) - 1 - 4  # header and the four summary rows
            x = xl_col_to_name(fwd_col)
            end = 4 + episodes
            chart = self.book.add_chart({"type": "column"})
            for k, (name, color) in enumerate(((NAMES[small], "#C00000"),
                                               (NAMES[large], "#1F3864")), start=1):
                col_name = xl_col_to_name(fwd_col + k)
                chart.add_series({
                    "name": name,
                    "categories": f"=Charts!${x}$5:${x}${end}",
                    "values": f"=Charts!${col_name}$5:${col_name}${end}",
                    "fill": {"color": color}, "gap": 80,
                })
            chart.set_title({"name": f"Return over the {HORIZON} trading days after each "
                             "five-day streak of gains above 1%", "name_font": {"size": 12}})
            chart.set_x_axis({"name": "signal day (fifth day of the streak)", "text_axis": True,
                              "num_format": "yyyy-mm-dd", "label_position": "low"})
            chart.set_y_axis({"name": f"{HORIZON}-day return", "num_format": "0%",
                              "major_gridlines": {"visible": True,
                                                  "line": {"color": "#D9D9D9"}}})
            chart.set_legend({"position": "bottom"})
            chart.set_size({"width": 900, "height": 300})
            sheet.insert_chart("A38", chart)

        sheet.freeze_panes(3, 0)
        sheet.set_header("&L&\"Calibri,Bold\"Charts&R&A")
        sheet.set_footer("&Lsmallcap dashboard&RPage &P of &N")
        sheet.print_area(0, 0, 53, 14)
        sheet.set_landscape()
        sheet.fit_to_pages(1, 1)
        sheet.set_column(0, 14, 8.43, f["plain"])

    def _array(self, sheet: Any, row: int, col: int, height: int, text: str, first: Any,
               fmt: Any) -> None:
        """A one-column dynamic-array formula (its other cached cells written by the caller)."""
        if self.static:
            return
        sheet.write_dynamic_array_formula(row, col, row + height - 1, col, text, fmt, first)
        self.result.formulas.append(FormulaCell(sheet.name, row, col, text, height, 1))

    def _common_rows(self, table: Any, small: str, large: str) -> tuple[int, int]:
        """First and last row index of the Data table from the chart start on where both
        ``small`` and ``large`` have a close."""
        for ticker in (small, large):
            if ticker not in table.columns:
                raise BadArgument("store", f"the Data table has no {ticker} column — "
                                  f"load it first (smallcap load-csv {ticker} FILE)")
        dates = table["date"].to_numpy()
        both = table[small].notna().to_numpy() & table[large].notna().to_numpy()
        after = [i for i in range(len(dates)) if dates[i] >= self.chart_start and both[i]]
        if not after:
            raise BadArgument("chart_start", f"no day on or after {self.chart_start} has both "
                              f"{small} and {large}")
        return after[0], after[-1]


def _cached(value: Any) -> Any:
    """A formula's cached value as XlsxWriter takes it (number or text)."""
    if value is None:
        return ""
    if isinstance(value, dt.date | dt.datetime):
        return serial(value)
    if isinstance(value, bool):
        return int(value)
    return value


def build(path: str | os.PathLike[str], *, store: Store | str | os.PathLike[str] | None = None,
          note_day: dt.date = NOTE_DAY, chart_start: dt.date = CHART_START,
          static: bool = False) -> BuildResult:
    """Write the dashboard workbook to ``path`` from ``store`` (default: the current store).

    Deterministic: the same store gives the same file (fixed document properties). With
    ``static`` every formula is replaced by its value (same layout and charts): the copy
    the README pictures are rendered from, since LibreOffice recomputes array formulas on
    load and has no smallcap functions."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _using(store):
        table = api.data_table()
        builder = _Builder(target, note_day, chart_start, static)
        return builder.build(table)


@contextmanager
def _using(store: Store | str | os.PathLike[str] | None) -> Iterator[None]:
    """Point the worksheet functions (which read the current store) at ``store``."""
    if store is None:
        yield
        return
    previous = getattr(api, "_chosen", None)  # None: $SMALLCAP_STORE or the default
    api.use_store(store)
    try:
        yield
    finally:
        api.use_store(previous)


# -- headless evaluation with the `formulas` package -------------------------------------------


def _excel_arg(value: Any) -> Any:
    """One argument as ``formulas`` hands it over, made Excel-shaped for :mod:`udfs`."""
    import schedula as sh
    from formulas.tokens.operand import XlError

    if isinstance(value, np.ndarray):
        if value.size != 1:
            return [[_excel_arg(v) for v in row] for row in np.atleast_2d(value)]
        value = value.ravel()[0]
    if value is sh.EMPTY:
        return None
    if isinstance(value, XlError):
        return str(value)
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return float(value)
    if isinstance(value, np.floating | int):
        return float(value)
    return value


def _formulas_value(value: Any) -> Any:
    """A :mod:`udfs` result as ``formulas`` wants it (dates as serials, tables as arrays)."""

    if isinstance(value, list):
        array = np.empty((len(value), len(value[0]) if value else 0), dtype=object)
        for i, row in enumerate(value):
            for j, cell in enumerate(row):
                array[i, j] = _formulas_value(cell)
        from formulas.functions import Array

        return array.view(Array)
    if value is None:
        return ""
    if isinstance(value, dt.date | dt.datetime):
        return serial(value)
    return value


def formulas_functions() -> dict[str, Callable[..., Any]]:
    """Plug our worksheet functions into the ``formulas`` package (bare and ``_xludf.``
    names) and return its function table."""
    import formulas
    from formulas.functions import wrap_ranges_func

    table = formulas.get_functions()
    for name in _udfs().UDF_NAMES:
        func = udf(name)

        def plugged(*args: Any, _func: Callable[..., Any] = func) -> Any:
            return _formulas_value(_func(*[_excel_arg(a) for a in args]))

        plugged.__name__ = name
        wrapped = wrap_ranges_func(plugged)
        table[name] = wrapped
        table[f"_XLUDF.{name}"] = wrapped
    return table


_CELL = re.compile(r"^'?\[(?P<book>[^\]]+)\](?P<sheet>[^'!]+)'?!(?P<range>[A-Z]+\d+(:[A-Z]+\d+)?)$")


def evaluate(path: str | os.PathLike[str], *,
             store: Store | str | os.PathLike[str] | None = None) -> dict[tuple[str, str], Any]:
    """Compute every cell of the workbook at ``path`` headless (``formulas`` package, our
    functions plugged in, reading ``store``). Returns ``{(SHEET, "A1"): value}`` for every
    cell, sheet names upper-cased as ``formulas`` gives them; blanks are ``None``."""
    import formulas
    import schedula as sh
    from openpyxl.utils.cell import column_index_from_string as col_index
    from openpyxl.utils.cell import coordinate_from_string, get_column_letter

    with _using(store):
        formulas_functions()
        model = formulas.ExcelModel().loads(str(path)).finish()
        solution = model.calculate()
    cells: dict[tuple[str, str], Any] = {}
    for key, ranges in solution.items():
        match = _CELL.match(key)
        if not match:
            continue
        sheet = match["sheet"].upper()
        values = getattr(ranges, "value", ranges)
        array = np.atleast_2d(np.asarray(values, dtype=object))
        first = match["range"].split(":")[0]
        letters, row = coordinate_from_string(first)
        col = col_index(letters)
        for i in range(array.shape[0]):
            for j in range(array.shape[1]):
                value = array[i, j]
                if value is sh.EMPTY:
                    value = None
                elif isinstance(value, np.generic):
                    value = value.item()
                cells[(sheet, f"{get_column_letter(col + j)}{row + i}")] = value
    return cells


# -- rendering with LibreOffice --------------------------------------------------------------


def soffice() -> str | None:
    """The LibreOffice executable, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def render_pdf(path: str | os.PathLike[str], outdir: str | os.PathLike[str],
               timeout: float = 240.0) -> Path:
    """Convert the workbook to PDF with headless LibreOffice; returns the PDF's path."""
    exe = soffice()
    if exe is None:
        raise FileNotFoundError("LibreOffice (soffice) is not installed: apt-get install "
                                "libreoffice-calc")
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="smallcap-lo-") as profile:
        command = [exe, f"-env:UserInstallation=file://{profile}", "--headless",
                   "--norestore", "--convert-to", "pdf", "--outdir", str(out), str(path)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              check=False)
    pdf = out / (Path(path).stem + ".pdf")
    if done.returncode != 0 or not pdf.exists():
        raise RuntimeError(f"LibreOffice could not convert {path}: rc={done.returncode} "
                           f"{done.stdout.strip()} {done.stderr.strip()}")
    return pdf


def pdf_pages(pdf: str | os.PathLike[str]) -> list[str]:
    """The text of each page of ``pdf`` (poppler's pdftotext)."""
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True, timeout=120)
    return done.stdout.split("\f")


def sheet_pages(pdf: str | os.PathLike[str]) -> dict[str, int]:
    """1-based page number of the first page of each sheet (found by its header title)."""
    found: dict[str, int] = {}
    for number, text in enumerate(pdf_pages(pdf), start=1):
        for name in SHEETS:
            title = {"Story": "Story —", "Explore": "Explore —", "Charts": "Charts —",
                     "Data": "Data"}[name]
            if name not in found and title in text:
                found[name] = number
                break
    return found


def render_png(pdf: str | os.PathLike[str], page: int, target: str | os.PathLike[str],
               dpi: int = 110) -> Path:
    """Render one page of ``pdf`` to the PNG ``target`` (poppler's pdftoppm)."""
    out = Path(target)
    stem = out.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
                    "-singlefile", str(pdf), str(stem)], check=True, timeout=120,
                   capture_output=True)
    return stem.with_suffix(".png")


def iter_formula_cells(result: BuildResult) -> Iterator[tuple[str, str]]:
    """``(sheet, "A1")`` of every cell inside a formula's (spill) range."""
    from openpyxl.utils.cell import get_column_letter

    for cell in result.formulas:
        for i in range(cell.rows):
            for j in range(cell.cols):
                yield cell.sheet, f"{get_column_letter(cell.col + j + 1)}{cell.row + i + 1}"
