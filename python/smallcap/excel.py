"""Excel's cell conventions, shared by every Excel host (the Windows UDFs in
:mod:`smallcap.udfs`, xlwings Lite in :mod:`smallcap.lite`): arguments as Excel hands
them over, results as Excel values, errors as the cell's text. No xlwings here, so a
host that brings its own xlwings (or none) gives the same answers.

- Arguments: ``None`` for an empty cell or an omitted argument (the default is used),
  numbers (floats or ints), ``datetime`` or serial numbers for dates, 2-D lists for
  ranges (a one-cell range is one value), Excel error values (COM error codes, or
  ``"#N/A ..."`` text from another smallcap cell), which are passed on.
- Scalar functions lift over ranges like Excel's built-ins: a column of N tickers with a
  row of M windows spills N x M; each element's error lands in its own cell. A table
  function given a range where it needs one value shows one ``#VALUE!``.
- Results: ints/floats (NaN becomes an empty cell), dates as ``datetime`` (a real Excel
  date), tables as a row-major 2-D list with one header row.
- Nothing raises: a :class:`~smallcap.errors.SmallcapError` becomes its ``cell_text()``,
  e.g. ``#N/A no data for ^XYZ — refresh first``; anything unexpected becomes one
  ``#VALUE! ...`` line.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Any

import numpy as np
import pandas as pd

from . import api, catalogue
from .errors import SmallcapError

log = logging.getLogger(__name__)

# COM error codes (VT_ERROR scodes) Excel passes for a cell holding an error value.
COM_ERRORS = {
    -2146826281: "#DIV/0!",
    -2146826246: "#N/A",
    -2146826259: "#NAME?",
    -2146826288: "#NULL!",
    -2146826252: "#NUM!",
    -2146826265: "#REF!",
    -2146826273: "#VALUE!",
    -2146826245: "#GETTING_DATA",
}
# The texts Excel errors show as; an argument starting with one of these is passed on.
ERROR_TEXTS = (*COM_ERRORS.values(), "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#BUSY!")
_ERROR_PREFIXES = tuple(sorted(ERROR_TEXTS, key=len, reverse=True))


class _PassOn(Exception):
    """An argument already holds an error: the cell shows that error."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


# -- results ----------------------------------------------------------------------------


def to_excel(value: Any) -> Any:
    """One Python value as an Excel cell value: dates become ``datetime`` (Excel dates),
    NaN and NaT become ``None`` (an empty cell), numpy scalars become Python numbers."""
    kind = type(value)
    if kind is int or kind is str or value is None:
        return value
    if kind is float:
        if math.isfinite(value):
            return value
        return None if math.isnan(value) else "#NUM! the result is infinite"
    if value is pd.NaT:
        return None
    if isinstance(value, dt.datetime):  # also pandas Timestamp; a tz-aware one keeps its clock
        return dt.datetime(value.year, value.month, value.day, value.hour, value.minute,
                           value.second, value.microsecond)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return to_excel(float(value))
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else value.astype("datetime64[us]").item()
    if isinstance(value, pd.DataFrame):
        return table_rows(value)
    return str(value)


class _ExcelCells(dict):
    """Memoised :func:`to_excel` for the cells of a table's non-numeric columns: a date
    becomes midnight ``datetime`` (what Excel takes as a date) once, then costs one dict
    lookup per cell."""

    def __missing__(self, value: Any) -> Any:
        converted = to_excel(value)
        if type(value) is dt.date and len(self) < 200_000:  # every trading day fits
            self[value] = converted
        return converted


_EXCEL_CELLS = _ExcelCells()


def table_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """A DataFrame as a row-major 2-D list with one header row (spills natively)."""
    header = [str(c) for c in frame.columns]
    if frame.empty:
        return [header]
    cells = frame.to_numpy(dtype=object)  # one pass: Python floats, ints, dates, text
    numeric = (float, int, np.floating, np.integer)
    for j, first in enumerate(cells[0].tolist()):
        if not isinstance(first, numeric) or isinstance(first, bool):
            cells[:, j] = list(map(_EXCEL_CELLS.__getitem__, cells[:, j].tolist()))
    missing = pd.isna(cells)  # NaN and NaT become empty cells
    if missing.any():
        cells[missing] = None
    return [header, *cells.tolist()]


# -- the adapter ------------------------------------------------------------------------


def _prepare(value: Any, name: str) -> Any:
    """One element as Excel hands it over: an error value is passed on as that error."""
    if type(value) is str and value[:1] == "#" and value.startswith(_ERROR_PREFIXES):
        raise _PassOn(value)
    if type(value) is int and value in COM_ERRORS:
        raise _PassOn(f"{COM_ERRORS[value]} {name}: the argument cell holds {COM_ERRORS[value]}")
    return value


def _one_cell(value: Any) -> Any:
    """A one-cell range (``[[v]]``, as xlwings passes every argument with ndim=2) as ``v``
    (a cell is never itself a list: ``[[[v]]]`` stays a range, and is refused)."""
    if type(value) is list and len(value) == 1:
        row = value[0]
        if type(row) is list and len(row) == 1 and type(row[0]) is not list:
            return row[0]
        if type(row) is not list:
            return row
    return value


def _is_range(value: Any) -> bool:
    """True for a range of more than one cell."""
    if type(value) is list:
        return _one_cell(value) is value
    return isinstance(value, tuple | np.ndarray)


def _cell_error(error: BaseException, title: str) -> str:
    if isinstance(error, SmallcapError):
        return error.cell_text()
    if isinstance(error, _PassOn):
        return error.text
    log.error("%s failed: %s: %s", title, type(error).__name__, error)
    return f"#VALUE! {title} failed: {type(error).__name__}: {error}"


def excel_call(fn: catalogue.Function, title: str, args: tuple[Any, ...],
               kwargs: dict[str, Any], store: Any = None) -> Any:
    """Call ``fn`` the way a cell does: Excel-shaped arguments in (None = default, ranges
    broadcast for scalar functions), Excel values out, every error as the cell's text.
    ``store``: what the functions read (anything with ``history`` and ``status``; None:
    :func:`smallcap.api.current_store`). Never raises."""
    try:
        raw = fn.bind(args, kwargs, title) if kwargs or len(args) > len(fn.arguments) else args
        values = []
        for value in raw:
            if type(value) is list:
                value = _one_cell(value)
            if type(value) is str:
                if value[:1] == "#" and value.startswith(_ERROR_PREFIXES) and not (
                        fn.lifts and any(map(_is_range, raw))):
                    return value  # an error passed on (in a range: per element)
            elif type(value) is int:
                if value in COM_ERRORS and not (fn.lifts and any(map(_is_range, raw))):
                    _prepare(value, fn.arguments[len(values)].name)
            elif isinstance(value, list | tuple | np.ndarray):
                return _lifted(fn, title, raw, api.current_store() if store is None else store)
            values.append(value)
        return to_excel(fn.call(api.current_store() if store is None else store, values))
    except Exception as error:  # noqa: BLE001 (never a traceback dialog in Excel)
        return _cell_error(error, title)


def _lifted(fn: catalogue.Function, title: str, raw: Any, store: Any) -> Any:
    """A call with at least one range: one Excel value per element of the broadcast."""
    raw = [_one_cell(v) for v in raw]
    raw += [None] * (len(fn.arguments) - len(raw))
    if not fn.lifts:  # a table function: one value per argument, or one clear error
        return to_excel(fn.call(store, [
            _prepare(catalogue.single(a.name, v, fn), a.name)
            for a, v in zip(fn.arguments, raw, strict=True)]))
    reader = catalogue.Reader(store)
    lifted = catalogue.lift(fn, raw, reader, one_dimension="row", prepare=_prepare)
    cells = [v if type(v) is float and math.isfinite(v) else (  # most cells: a plain number
        to_excel(v) if not isinstance(v, BaseException) else _cell_error(v, title))
        for v in lifted.values.ravel().tolist()]
    rows, width = lifted.values.shape
    if rows == width == 1:
        return cells[0]
    return [cells[r * width:(r + 1) * width] for r in range(rows)]
