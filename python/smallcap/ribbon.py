"""What the add-in's "Refresh data" ribbon button runs: ``import smallcap; smallcap.main()``.

:func:`main` refreshes the store (progress in Excel's status bar), rewrites the calling
workbook's ``Data`` sheet from :func:`smallcap.api.data_table` when it has one,
recalculates, and reports a failure as one clear sentence (an Excel alert), never a
traceback. Run with no Excel (``python -c "import smallcap; smallcap.main()"``) it
refreshes the store and prints the same messages.
"""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING, Any

from .errors import NoData, SmallcapError

if TYPE_CHECKING:
    from .sources.refresh import RefreshReport

DATA_SHEET = "Data"
TITLE = "smallcap"
CHUNK_ROWS = 5000


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
    """Refresh the store, rewrite the calling workbook's Data sheet, recalculate.

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
        excel.recalculate()
        if report.ok:
            excel.status(f"smallcap: {report.summary()}")
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
