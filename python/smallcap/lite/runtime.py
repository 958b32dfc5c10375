"""What the generated xlwings Lite ``main.py`` calls (see :mod:`smallcap.lite.build`).

xlwings Lite runs Python in Pyodide inside Excel (Windows, Mac, the web): no local
files, no Yahoo Finance (no CORS headers), so the history lives in memory, loaded by the
``load_history`` script from the workbook's ``Data`` sheet (or a URL). The functions
answer from it through the same cell conventions as the Windows UDFs
(:func:`smallcap.excel.excel_call`), then the few Lite differences are applied here:

- an error that is the whole answer is raised (Lite shows ``#VALUE!`` with the message
  on hover): Lite shows text such as ``"#N/A no data for ..."`` as plain text, and only
  an exact code (``"#N/A"``) as an error; an argument's error passed on (an exact code)
  stays that error;
- an error inside a spilled array becomes that exact code (one cell cannot raise alone);
- blanks stay ``None`` (Lite sends an empty cell, where NaN would show ``#NUM!``); dates
  stay dates (xlwings sends them as date-formatted numbers).

Until ``load_history`` has run, every function raises :data:`NOT_LOADED`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from .. import catalogue, excel, settings
from ..analytics.history import History
from ..errors import NoData, SmallcapError
from . import table

WHERE_TO_CLICK = ("in the xlwings Lite task pane pick load_history and click Run (or press "
                  "F5)")
NOT_LOADED = f"no history loaded yet: {WHERE_TO_CLICK}; it reads the Data sheet"
FETCH_TIMEOUT = 30.0  # seconds a URL given to load_history has to answer (outside Pyodide)
# The error codes Lite turns into real Excel errors (xlwings' errorstr_to_errortype).
LITE_ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!")


class LiteError(Exception):
    """Raised into xlwings Lite: the cell shows ``#VALUE!``, this text on hover."""


class MemoryStore:
    """The loaded history: what the functions read (``history`` and ``status``, the two
    calls the catalogue makes of a store)."""

    def __init__(self, histories: dict[str, History] | None = None, source: str = "",
                 loaded_at: dt.datetime | None = None) -> None:
        self.histories = dict(histories or {})
        self.source = source
        self.loaded_at = loaded_at

    def history(self, ticker: str) -> History:
        if not self.histories:
            raise NoData(NOT_LOADED)
        found = self.histories.get(ticker)
        if found is None:
            raise NoData(f"no data for {ticker} — {self.source} has no {ticker} column: add one "
                         f"(Refresh on Windows, or smallcap workbook), then run load_history")
        return found

    def status(self, ticker: str) -> dict[str, object]:
        if not self.histories:
            raise NoData(NOT_LOADED)
        found = self.histories.get(ticker)
        days = found.dates if found is not None else []
        return {"ticker": ticker,
                "first_date": days[0].item() if len(days) else None,
                "last_date": days[-1].item() if len(days) else None,
                "rows": len(days), "refreshed_at": self.loaded_at if len(days) else None,
                "source": self.source}


_current = MemoryStore()


def current() -> MemoryStore:
    """The history the functions answer from now."""
    return _current


def install(store: MemoryStore) -> None:
    """Make ``store`` the one the functions answer from."""
    global _current
    _current = store


# -- the functions ----------------------------------------------------------------------------


def call(name: str, *args: Any) -> Any:
    """The Excel function ``name`` with the arguments as xlwings Lite hands them over,
    answered as Lite shows it (see the module's doc)."""
    fn = catalogue.excel_names()[name]
    return lite_value(excel.excel_call(fn, name, args, {}, store=_current))


def lite_value(value: Any) -> Any:
    """A Windows cell value (:mod:`smallcap.excel`) as xlwings Lite shows the same."""
    if type(value) is str and _is_error(value):
        if value in LITE_ERRORS:  # an argument's error passed on: the same error as Windows
            return value
        raise LiteError(value)
    if type(value) is list:
        return [[_element(v) for v in row] for row in value]
    return value


def _is_error(text: str) -> bool:
    return text[:1] == "#" and text.startswith(excel.ERROR_TEXTS)


def _element(value: Any) -> Any:
    if type(value) is str and _is_error(value):
        code = next((c for c in excel.ERROR_TEXTS if value.startswith(c)), "#VALUE!")
        return code if code in LITE_ERRORS else "#VALUE!"
    return value


# -- the load_history script ------------------------------------------------------------------


def fetch_text(url: str) -> str:
    """``url``'s body as text: through the browser in Pyodide (the add-in's origin must be
    allowed by the server's CORS headers), through urllib elsewhere."""
    try:
        from pyodide.http import open_url  # type: ignore[import-not-found]
    except ImportError:
        from urllib.request import urlopen

        try:
            with urlopen(url, timeout=FETCH_TIMEOUT) as answer:  # noqa: S310 (the user's URL)
                return answer.read().decode("utf-8-sig")
        except OSError as exc:
            raise table.DataError(f"cannot read {url}: {getattr(exc, 'reason', exc)}") from None
    try:
        return open_url(url).getvalue()
    except Exception as exc:  # noqa: BLE001 (the browser's refusal: CORS, mixed content)
        raise table.DataError(f"cannot read {url}: {exc} (does it send CORS headers for this "
                              "add-in? see the README, Excel on a Mac or on the web)") from None


def _sheet(book: Any, name: str) -> Any:
    for sheet in book.sheets:
        if sheet.name.casefold() == name.casefold():
            return sheet
    return None


def _read(book: Any, source: str, fetch: Callable[[str], str]) -> tuple[dict[str, History], str]:
    sheet = _sheet(book, table.SHEET)
    if not source:
        if sheet is None:
            raise table.DataError(
                f"this workbook has no sheet named {table.SHEET}: open the dashboard "
                "(smallcap workbook), paste a Data sheet (row 1: date, then tickers), or give "
                "load_history a source URL")
        rows = sheet.used_range.options(ndim=2).value
        return table.histories(rows, table.SHEET), f"the {table.SHEET} sheet"
    if table.is_server(source):
        tickers: list[str] = []
        if sheet is not None:
            header = sheet["A1"].expand("right").options(ndim=1).value or []
            tickers = [str(t).strip().upper() for t in header[1:] if t]
        rows = table.server_rows(source, tickers or list(settings.default_tickers()), fetch)
    else:
        rows = table.csv_rows(fetch(source))
    return table.histories(rows, source), source


def load_history(book: Any, source: str = "", *,
                 fetch: Callable[[str], str] = fetch_text,
                 now: Callable[[], dt.datetime] | None = None) -> str:
    """Load the history the functions answer from; return (and print) one line saying
    what was loaded, or why nothing was (the history loaded before then stays).

    ``source`` empty: the workbook's ``Data`` sheet. A URL: ``smallcap serve``'s root
    (``http://127.0.0.1:8750``, the tickers of Data's header, else the default ones) or a
    CSV file in the Data layout; what it gave is written into the Data sheet, so the
    workbook carries it. Then Excel is asked to recalculate."""
    source = (source or "").strip()
    try:
        found, where = _read(book, source, fetch)
    except SmallcapError as exc:
        line = f"smallcap: nothing loaded, the history loaded before stays: {exc.message}"
        print(line)
        return line
    loaded_at = (now or (lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None)))()
    if source:
        sheet = _sheet(book, table.SHEET) or book.sheets.add(table.SHEET)
        sheet.cells.clear_contents()
        sheet["A1"].value = table.sheet_rows(found)
    install(MemoryStore(found, where, loaded_at))
    book.app.calculate()
    parts = [f"{t} {h.dates[0]} to {h.dates[-1]} ({len(h)} rows)" for t, h in found.items()]
    line = f"smallcap: loaded {len(found)} tickers from {where}: {'; '.join(parts)}; recalculating"
    print(line)
    return line
