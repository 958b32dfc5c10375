"""The dashboard workbook (``workbook/smallcap.xlsx``), built reproducibly with XlsxWriter.

A thin adapter: every number in the workbook comes from :mod:`smallcap.udfs`, the very
functions Excel calls through the add-in (which call :mod:`smallcap.api`). The builder
lays out formulas that call those functions and stores, as each formula's cached value,
what the function returns for the store it is built from, so Excel, LibreOffice and
``openpyxl(data_only=True)`` show numbers before any recalculation.

Sheets, a module each:

- **Story** (:mod:`.story`): each claim of the 2024-07-16 market note as a row, the
  formula for the note day beside the same formula for the latest stored day, and the
  "How to use" note (:mod:`.howto`).
- **Explore** (:mod:`.explore`): input cells (validated) driving spilled
  ``STREAK_EPISODES``, ``FORWARD_RETURNS`` and ``ROTATION_SERIES`` tables, a few one-cell
  answers, and the rotation monitor: one ``ROTATION_SPREAD`` over a column of pairs and a
  row of windows, spilling the whole grid; all of them as of one day (E3: the As of
  input, or the last day both tickers have).
- **Charts** (:mod:`.charts`): Russell 2000 vs S&P 500 rebased to 100, the rolling
  one-month rotation spread, and the forward returns after each streak: native charts
  reading fixed ranges of built-in formulas over the Data sheet and a spilled
  ``FORWARD_RETURNS``, which follow the data after a refresh.
- **Data** (:mod:`.data`): :func:`smallcap.api.data_table` at A1, the sheet the ribbon
  refresh rewrites.

Shared pieces: :mod:`.cells` (Excel values and the formula model), :mod:`.layout`
(constants, formats, the :class:`~.layout.Builder` writing cells with cached values),
:mod:`.book` (:func:`build`).

Tables that call our functions are written as dynamic-array formulas, so Excel 365
neither adds an implicit-intersection ``@`` nor truncates a table; the whole spill range
carries cached values. LibreOffice recomputes every array formula on load and has no
smallcap functions, so each of them reads, where the functions cannot answer, its
build-time values from the hidden Cached sheet (:func:`~.layout.fallback`); one-cell
answers are ordinary formulas, whose cached values LibreOffice keeps. Cached numbers are
rounded to ten significant digits (:func:`~.cells.reproducible`): the same file on every
machine. Function
names are written bare (``RUT_STREAK(...)``), not as Excel saves an add-in call (an
external reference ``[1]!RUT_STREAK`` to the add-in's path on the author's machine) nor
with ``_xludf.`` (what Excel writes for a name it could not resolve). The workbook asks
for no recalculation on load (its cached values are current for the store it was built
from); the ribbon's Refresh rewrites Data, re-enters formulas showing ``#NAME?`` and
recalculates.

:func:`evaluate` (:mod:`.evaluate`) computes every cell headless with the ``formulas``
package, our functions plugged in as custom functions; :func:`render_pdf`
(:mod:`.render`) converts the workbook with LibreOffice (both used by the tests and the
benchmark).
"""

from __future__ import annotations

from .book import build
from .cells import (
    EXCEL_EPOCH,
    Best,
    Call,
    CountAtLeast,
    Formula,
    IfNumber,
    Index,
    Lookup,
    Ref,
    serial,
    udf,
)
from .evaluate import evaluate, formulas_functions
from .howto import HOW_TO_USE
from .layout import (
    CACHED_SHEET,
    CALC_ID,
    CHART_START,
    CREATED,
    HORIZON,
    NAMES,
    NOTE_DAY,
    SHEETS,
    SINCE,
    TICKER_CHOICES,
    WINDOW_CHOICES,
    BuildResult,
    FormulaCell,
    fallback,
    iter_formula_cells,
    unwrap,
)
from .render import convert, pdf_pages, render_pdf, render_png, sheet_pages, soffice

__all__ = [
    "CACHED_SHEET",
    "CALC_ID",
    "CHART_START",
    "CREATED",
    "EXCEL_EPOCH",
    "HORIZON",
    "HOW_TO_USE",
    "NAMES",
    "NOTE_DAY",
    "SHEETS",
    "SINCE",
    "TICKER_CHOICES",
    "WINDOW_CHOICES",
    "Best",
    "BuildResult",
    "Call",
    "CountAtLeast",
    "Formula",
    "FormulaCell",
    "IfNumber",
    "Index",
    "Lookup",
    "Ref",
    "build",
    "convert",
    "evaluate",
    "fallback",
    "formulas_functions",
    "iter_formula_cells",
    "pdf_pages",
    "render_pdf",
    "render_png",
    "serial",
    "sheet_pages",
    "soffice",
    "udf",
    "unwrap",
]
