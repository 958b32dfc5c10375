"""What every sheet shares: the workbook's constants, its cell formats, and the
:class:`Builder` that writes values and formulas with their cached results."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from .. import settings
from .cells import Formula, cached, reproducible, serial

SHEETS = ("Story", "Explore", "Charts", "Data")
# The hidden sheet holding the build-time values of every array formula that calls a
# smallcap function: what a host without the add-in shows in its place (see fallback()).
CACHED_SHEET = settings.WORKBOOK_CACHED_SHEET
# True where smallcap's functions cannot answer (LibreOffice, Excel without the add-in):
# one cheap call, a scalar (an array condition would make IF element-wise).
NO_ADDIN = settings.WORKBOOK_NO_ADDIN
NOTE_DAY = dt.date(2024, 7, 16)
CHART_START = dt.date(2021, 1, 1)
SINCE = settings.DEFAULT_SINCE
HORIZON = 50
# Fixed document properties: building twice from the same store gives the same file.
CREATED = dt.datetime(2024, 7, 16, 0, 0, 0)
# calcId of a current Excel: an older id makes Excel recalculate every cell on open.
CALC_ID = 191029
TICKER_CHOICES = ("^RUT", "^GSPC", "^NDX", "IWM", "SPY", "QQQ", "^DJI", "^TNX")
WINDOW_CHOICES = ("1W", "1M", "3M", "6M", "1Y", "YTD", "21", "63", "252")
NAMES = {settings.DEFAULT_TICKER: "Russell 2000", settings.DEFAULT_LARGE: "S&P 500"}
FOOTER = "&Lsmallcap dashboard&RPage &P of &N"


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
    """What :func:`smallcap.workbook.build` wrote."""

    path: Path
    formulas: list[FormulaCell] = field(default_factory=list)
    data_rows: int = 0
    latest: dt.date | None = None

    @property
    def formula_count(self) -> int:
        return len(self.formulas)


def iter_formula_cells(result: BuildResult) -> Iterator[tuple[str, str]]:
    """``(sheet, "A1")`` of every cell inside a formula's (spill) range."""
    from openpyxl.utils.cell import get_column_letter

    for cell in result.formulas:
        for i in range(cell.rows):
            for j in range(cell.cols):
                yield cell.sheet, f"{get_column_letter(cell.col + j + 1)}{cell.row + i + 1}"


def page_setup(sheet: Any, last_row: int, last_col: int, header: str | None = None) -> None:
    """The print set-up every sheet shares: its name in the header, page numbers in the
    footer, landscape, the area up to (``last_row``, ``last_col``) on one page."""
    sheet.set_header(f"&L&\"Calibri,Bold\"{header or sheet.name}&R&A")
    sheet.set_footer(FOOTER)
    sheet.print_area(0, 0, last_row, last_col)
    sheet.set_landscape()
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.fit_to_pages(1, 1)


def fallback(text: str, cache: str) -> str:
    """``text`` (a formula without ``=``) where smallcap's functions answer, else the
    build-time values at ``cache`` (a range of the Cached sheet):
    ``IF(ISERROR(INDEX(DATA_STATUS(),1,1)),Cached!$A$1:$E$9,text)``. Excel with the add-in
    computes ``text`` (and spills it at its own size); LibreOffice, which recomputes every
    array formula on load and has no smallcap functions, shows the cached values."""
    return f"IF({NO_ADDIN},{cache},{text})"


def unwrap(text: str) -> str:
    """The formula :func:`fallback` wrapped (``=`` kept); any other formula as it is."""
    head = f"=IF({NO_ADDIN},{CACHED_SHEET}!"
    if not (text.startswith(head) and text.endswith(")")):
        return text
    return "=" + text[len(head):-1].split(",", 1)[1]


class Builder:
    """The open workbook, its formats, and the cells written so far."""

    def __init__(self, path: Path, note_day: dt.date, chart_start: dt.date,
                 static: bool = False,
                 jitter: Callable[[float], float] | None = None) -> None:
        import xlsxwriter

        self.static = static
        # Test hook: changes every computed number before it is cached (another
        # machine's last bits); the cached values must not change.
        self.jitter = jitter
        self.cached_sheet: Any = None  # the Cached sheet, added by book.build
        self._cached_rows = 0  # the Cached sheet's next free row
        self.path = path
        self.note_day = note_day
        self.chart_start = chart_start
        self.book = xlsxwriter.Workbook(
            str(path),
            {"strings_to_numbers": False, "strings_to_formulas": False,
             "strings_to_urls": False},
        )
        self.result = BuildResult(path)
        self.fmt: dict[str, Any] = _formats(self.book)

    # cells -----------------------------------------------------------------------------

    def number(self, value: float) -> float:
        """A computed number as it is cached: rounded to :data:`.cells.CACHE_DIGITS` significant
        digits (cells show at most six), so that the last bits, which differ between
        machines (SIMD summation order), never reach the file."""
        return reproducible(self.jitter(value) if self.jitter else value)

    def cached(self, value: Any) -> Any:
        """A formula's cached value as XlsxWriter takes it, numbers :meth:`number`-ed."""
        value = cached(value)
        return self.number(value) if isinstance(value, float) else value

    def stash(self, values: Any) -> str:
        """Write ``values`` (a scalar, or rows) on the Cached sheet; returns the absolute
        range holding them (``Cached!$A$1:$E$9``)."""
        rows = values if isinstance(values, list) else [[values]]
        top = self._cached_rows
        for i, cells in enumerate(rows):
            for j, cell in enumerate(cells):
                self.put_value(self.cached_sheet, top + i, j, cell, None)
        width = max((len(cells) for cells in rows), default=1) or 1
        self._cached_rows = top + len(rows) + 1
        corner = xl_rowcol_to_cell(top, 0, row_abs=True, col_abs=True)
        if len(rows) == 1 and width == 1:
            return f"{CACHED_SHEET}!{corner}"
        end = xl_rowcol_to_cell(top + len(rows) - 1, width - 1, row_abs=True, col_abs=True)
        return f"{CACHED_SHEET}!{corner}:{end}"

    def put_value(self, sheet: Any, row: int, col: int, value: Any, fmt: Any) -> None:
        """Write one Excel value (as :mod:`smallcap.udfs` returns it) as a plain cell."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            sheet.write_blank(row, col, None, fmt or self.fmt["plain"])
        elif isinstance(value, bool):
            sheet.write_boolean(row, col, value, fmt)
        elif isinstance(value, dt.date | dt.datetime):
            sheet.write_number(row, col, serial(value), fmt)
        elif isinstance(value, int):
            sheet.write_number(row, col, value, fmt)
        elif isinstance(value, float):
            sheet.write_number(row, col, self.number(value), fmt)
        else:
            sheet.write_string(row, col, str(value), fmt)

    def put_formula(self, sheet: Any, row: int, col: int, formula: Formula,
                    fmt: Any = None, column_formats: Sequence[Any] | None = None,
                    header_fmt: Any = None) -> Any:
        """Write ``formula`` as a dynamic-array formula with its whole result cached.

        A table result fills its spill range: with ``header_fmt`` its first row is a
        header row in that format; column ``j`` takes ``column_formats[j]`` (else ``fmt``).
        A scalar result is an ordinary formula, unless the formula needs arrays. An array
        formula falls back on its build-time values where smallcap's functions cannot
        answer (:func:`fallback`). Returns the value (scalar or rows)."""
        value = formula.value()
        text = "=" + formula.text()
        array = isinstance(value, list) or getattr(formula, "array", False)
        if array and not self.static:
            text = "=" + fallback(formula.text(), self.stash(value))
        if isinstance(value, list):
            rows = value
            height, width = len(rows), len(rows[0]) if rows else 1
            formats = list(column_formats or [])
            body_fmt = fmt or self.fmt["plain"]
            first = self.cached(rows[0][0]) if rows and rows[0] else ""
            if not self.static:
                sheet.write_dynamic_array_formula(row, col, row + height - 1,
                                                  col + width - 1, text, header_fmt or fmt,
                                                  first)
            for i, cells in enumerate(rows):
                for j, cell in enumerate(cells):
                    if i == 0 and j == 0 and not self.static:
                        continue
                    if i == 0 and header_fmt is not None:
                        cell_fmt = header_fmt
                    else:
                        cell_fmt = formats[j] if j < len(formats) else body_fmt
                    if i and j and cells[0] == "count":  # FORWARD_RETURNS' episode count
                        cell_fmt = self.fmt["int"]
                    self.put_value(sheet, row + i, col + j, cell, cell_fmt)
        else:
            height = width = 1
            if isinstance(value, str) and fmt is not None and value.startswith("#"):
                fmt = self.fmt["label"]  # an error text reads better unformatted
            if self.static:
                self.put_value(sheet, row, col, value, fmt or self.fmt["plain"])
            elif array:
                sheet.write_dynamic_array_formula(row, col, row, col, text,
                                                  fmt or self.fmt["plain"], self.cached(value))
            else:
                # An ordinary formula: LibreOffice keeps its cached value on load (it
                # recomputes every array formula); Excel 365 shows it as =@NAME(...).
                sheet.write_formula(row, col, text, fmt or self.fmt["plain"],
                                    self.cached(value))
        if not self.static:
            self.result.formulas.append(FormulaCell(sheet.name, row, col, text, height, width))
        return value

    def put_column_array(self, sheet: Any, row: int, col: int, height: int, text: str,
                         first: Any, fmt: Any) -> None:
        """A one-column dynamic-array formula (its other cached cells written by the
        caller)."""
        if self.static:
            return
        sheet.write_dynamic_array_formula(row, col, row + height - 1, col, text, fmt, first)
        self.result.formulas.append(FormulaCell(sheet.name, row, col, text, height, 1))

    def put_column(self, sheet: Any, row: int, col: int, text: str, values: Sequence[Any],
                   fmt: Any) -> None:
        """A one-column dynamic-array formula of built-in functions (``text`` without the
        ``=``) over ``len(values)`` rows, every cell carrying its cached value (a value
        only, in the static copy)."""
        first = 0 if self.static else 1
        if not self.static:
            self.put_column_array(sheet, row, col, len(values), "=" + text,
                                  self.cached(values[0]), fmt)
        for i in range(first, len(values)):
            self.put_value(sheet, row + i, col, values[i], fmt)

    def put_builtin(self, sheet: Any, row: int, col: int, text: str, value: Any,
                    fmt: Any = None) -> None:
        """An ordinary one-cell formula of built-in functions (``text`` without the ``=``)
        with its cached value (a value only, in the static copy)."""
        fmt = fmt or self.fmt["plain"]
        if self.static:
            self.put_value(sheet, row, col, value, fmt)
            return
        sheet.write_formula(row, col, "=" + text, fmt, self.cached(value))
        self.result.formulas.append(FormulaCell(sheet.name, row, col, "=" + text))


def _formats(book: Any) -> dict[str, Any]:
    """Every cell format, created in a fixed order (the file lists them in that order)."""
    add = book.add_format
    base = {"font_name": "Calibri", "font_size": 10, "valign": "top"}
    return {
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
        # values are right-aligned, a word in their place too ("pending")
        "pct": add({**base, "num_format": "0.0%", "align": "right"}),
        "pct2": add({**base, "num_format": "0.00%", "align": "right"}),
        "date": add({**base, "num_format": "yyyy-mm-dd", "align": "right"}),
        "int": add({**base, "num_format": "0", "align": "right"}),
        "num2": add({**base, "num_format": "0.00", "align": "right"}),
        "num3": add({**base, "num_format": "0.000", "align": "right"}),
        "close": add({**base, "num_format": "#,##0.00", "align": "right"}),
        "stamp": add({**base, "num_format": "yyyy-mm-dd hh:mm"}),
        "ratio": add({**base, "num_format": '0.00"x"', "align": "right"}),
        "asof": add({**base, "bold": True, "num_format": "yyyy-mm-dd", "align": "right",
                     "bg_color": "#DDEBF7", "border": 1}),
        "in_text": add({**base, "bg_color": "#FFF2CC", "border": 1, "align": "right"}),
        "in_pct": add({**base, "bg_color": "#FFF2CC", "border": 1, "num_format": "0.0%"}),
        "in_int": add({**base, "bg_color": "#FFF2CC", "border": 1, "num_format": "0"}),
        "in_date": add({**base, "bg_color": "#FFF2CC", "border": 1,
                        "num_format": "yyyy-mm-dd"}),
        "answer_head": add({**base, "bold": True, "bottom": 1}),
    }
