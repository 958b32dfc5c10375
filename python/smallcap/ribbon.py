"""What the add-in's "Refresh data" ribbon button runs: ``import smallcap; smallcap.main()``.

:func:`main` refreshes the store (progress in Excel's status bar), rewrites the calling
workbook's ``Data`` sheet from :func:`smallcap.api.data_table` when it has one,
re-enters the formulas that call a smallcap function but show ``#NAME?``
(:func:`relink_formulas`), recalculates, and reports a failure as one clear sentence (an
Excel alert), never a traceback. Run with no Excel
(``python -c "import smallcap; smallcap.main()"``) it refreshes the store and prints the
same messages.
"""

from __future__ import annotations

import contextlib
import re
import sys
from typing import TYPE_CHECKING, Any

from . import settings
from .errors import NoData, SmallcapError

if TYPE_CHECKING:
    from .sources.refresh import RefreshReport

DATA_SHEET = "Data"
TITLE = "smallcap"
CHUNK_ROWS = 5000
NAME_ERROR = "#NAME?"


def _caller_book() -> Any:
    """The workbook that pressed the button, or ``None`` when not run from Excel."""
    try:
        import xlwings as xw

        return xw.Book.caller()
    except Exception:  # not started by RunPython, or no Excel on this machine
        return None


class _Excel:
    """The few things main() does to Excel, each a no-op (or a print) without a workbook."""

    def __init__(self, book: Any) -> None:
        self.book = book

    def status(self, text: str) -> None:
        if self.book is None:
            print(text, file=sys.stderr, flush=True)
            return
        with contextlib.suppress(Exception):  # the status bar is a nicety, never a failure
            self.book.app.status_bar = text

    def progress(self, ticker: str, index: int, total: int) -> None:
        self.status(f"smallcap: refreshing {ticker} ({index + 1} of {total})...")

    def fail(self, sentence: str) -> None:
        self.status(f"smallcap: {sentence}")
        if self.book is None:
            return
        with contextlib.suppress(Exception):  # no alert: the status bar already says it
            self.book.app.alert(sentence, title=TITLE)

    def data_sheet(self) -> Any:
        if self.book is None:
            return None
        for sheet in self.book.sheets:
            if sheet.name.lower() == DATA_SHEET.lower():
                return sheet
        return None

    def relink(self) -> int:
        """Re-enter the formulas that show #NAME? (none to do without a workbook, or on
        macOS, where Excel has no worksheet functions from Python)."""
        if self.book is None or sys.platform == "darwin":
            return 0
        return relink_formulas(self.book)

    def recalculate(self) -> None:
        """Recalculate every formula: UDF cells are not volatile, so a plain Calculate
        would skip those whose arguments did not change."""
        if self.book is None:
            return
        app = self.book.app
        try:
            app.api.CalculateFull()  # Windows (COM)
        except Exception:
            app.calculate()


def rewrite_data_sheet(sheet: Any, store: Any = None) -> int:
    """Replace the contents of ``sheet`` (an xlwings Sheet) with
    :func:`smallcap.api.data_table` from A1 (dates as Excel dates, gaps as empty cells).
    Returns the number of data rows written."""
    from . import api
    from .udfs import table_rows

    rows = table_rows(api.data_table(store=store))
    sheet.clear_contents()
    # chunked: tens of thousands of rows in one COM call can fail on 32-bit Excel
    sheet.range("A1").options(chunksize=CHUNK_ROWS).value = rows
    return len(rows) - 1


def call_pattern() -> re.Pattern[str]:
    """A formula's call of a smallcap function: any Excel name the catalogue declares
    (aliases too), bare or as Excel saves a name it could not resolve (``_xludf.NAME``),
    not the tail of a longer name, followed by ``(``; any case."""
    from . import api  # noqa: F401 (declares the functions the catalogue lists)
    from .catalogue import excel_names

    names = sorted(excel_names(), key=len, reverse=True)
    return re.compile(r"(?<![\w.])(?:_xludf\.)?(?:" + "|".join(map(re.escape, names))
                      + r")\s*\(", re.IGNORECASE)


def relink_formulas(book: Any) -> int:
    """Re-enter every formula of ``book`` that calls a smallcap function and shows
    ``#NAME?`` (or, a dashboard array formula, reads the Cached sheet in its place);
    returns how many.

    Excel binds a formula to an add-in's function when the formula is entered: in a
    workbook written by a library, or opened before the add-in was loaded, such cells
    show ``#NAME?`` until each is entered again (what Find/Replace "=" with "=" does by
    hand). Per sheet, one read of the used range's formulas, a read of its values only
    when a formula calls a smallcap function, and one write per cell re-entered, with
    the text Excel reports (``Formula2``: a dynamic-array formula stays one). The Data
    sheet holds values only and is not read; a sheet that cannot be read or written
    (protected) is left as it is."""
    pattern = call_pattern()
    count = 0
    for sheet in book.sheets:
        if sheet.name.lower() == DATA_SHEET.lower():
            continue
        with contextlib.suppress(Exception):
            count += _relink_sheet(sheet, pattern)
    return count


def _grid(value: Any) -> list[list[Any]]:
    """A range's value or formulas as rows (one cell comes back as a scalar)."""
    if isinstance(value, list | tuple):
        return [list(row) if isinstance(row, list | tuple) else [row] for row in value]
    return [[value]]


def _address(row: int, col: int) -> str:
    """``E7`` for 1-based ``row`` 7, ``col`` 5."""
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def _relink_sheet(sheet: Any, pattern: re.Pattern[str]) -> int:
    used = sheet.used_range
    formulas = _grid(used.formula2)
    calls = [(i, j, text) for i, row in enumerate(formulas) for j, text in enumerate(row)
             if isinstance(text, str) and text.startswith("=") and pattern.search(text)]
    if not calls:
        return 0
    shown = _grid(used.options(ndim=2, err_to_str=True).value)
    top, left = used.row, used.column
    count = 0
    fallback = f"{settings.WORKBOOK_CACHED_SHEET}!".lower()
    for i, j, text in calls:
        # A dashboard array formula unlinked from the add-in shows its cached values
        # (IF(no add-in, Cached!..., f(...))), not #NAME?: re-entered too.
        if shown[i][j] == NAME_ERROR or fallback in text.lower():
            sheet.range(_address(top + i, left + j)).formula2 = text
            count += 1
    return count


def outcome_sentence(report: RefreshReport) -> str:
    """One sentence for a refresh that did not fully succeed."""
    failed = report.failed
    if report.offline:
        return ("Refresh failed: Yahoo Finance cannot be reached (is the computer offline?); "
                "the cells keep the data stored before.")
    reasons = "; ".join(f"{r.ticker}: {r.message or r.kind or 'failed'}" for r in failed)
    if len(failed) == len(report.results):
        return f"Refresh failed for every ticker ({reasons}); the cells keep the data stored before."
    return (f"Refreshed {len(report.results) - len(failed)} of {len(report.results)} tickers; "
            f"could not refresh {reasons}.")


def main(book: Any = None) -> RefreshReport | None:
    """Refresh the store, rewrite the calling workbook's Data sheet, re-enter its
    formulas that show #NAME?, recalculate.

    ``book`` is the xlwings Book to update (default: the caller when run from Excel by
    the ribbon button, else none). Never raises: a failure is shown as one sentence in
    an alert and the status bar (headless: printed). Returns the refresh report, or
    ``None`` when the refresh itself could not run."""
    excel = _Excel(book if book is not None else _caller_book())
    try:
        from .sources.refresh import refresh

        report = refresh(progress=excel.progress)
        sheet = excel.data_sheet()
        if sheet is not None:
            excel.status("smallcap: writing the Data sheet...")
            try:
                rewrite_data_sheet(sheet)
            except NoData:
                if report.ok:
                    raise
                # nothing stored at all: the refresh failure below says why
        relinked = excel.relink()
        excel.recalculate()
        if report.ok:
            relink = (f"; re-entered {relinked} formula{'s' if relinked != 1 else ''} that "
                      "showed #NAME?" if relinked else "")
            excel.status(f"smallcap: {report.summary()}{relink}")
            if excel.book is None:
                print(report.summary())
        else:
            excel.fail(outcome_sentence(report))
        return report
    except SmallcapError as err:
        excel.fail(f"Refresh failed: {err.message.rstrip('.')}.")
    except Exception as err:  # never a traceback dialog from the ribbon
        excel.fail(f"Refresh failed unexpectedly ({type(err).__name__}: {err}); "
                   "the store keeps the data it had.")
    return None
