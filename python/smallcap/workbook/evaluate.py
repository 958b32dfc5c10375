"""Headless evaluation with the ``formulas`` package, smallcap's functions plugged in.

The bridge hands each argument over as Excel hands it to the add-in: a single cell as a
scalar, a range as a 2-D list of rows (what xlwings passes with ``ndim=2``), a blank as
``None``, an Excel error as its text. A result that is a 2-D list of rows (a table, or
the element-wise answers of a function given ranges) goes back as an array that spills
over the formula's range; a scalar goes back as one value.

``IF`` with a one-cell condition returns the branch it picks as it is (a whole array, at
its own size), as Excel does; ``formulas`` would broadcast the two branches against each
other. The workbook's array formulas rely on it (``IF(ISERROR(INDEX(DATA_STATUS(),1,1)),
Cached!..., FORWARD_RETURNS(...))``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ..store import Store
from .cells import serial, udf, udfs, using


def _excel_arg(value: Any) -> Any:
    """One argument as ``formulas`` hands it over, made Excel-shaped for :mod:`udfs`."""
    import schedula as sh
    from formulas.tokens.operand import XlError

    if isinstance(value, np.ndarray):
        if value.size != 1:  # a range: rows of cells (a 1-D array is one row)
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
    """A :mod:`udfs` result as ``formulas`` wants it (dates as serials, a 2-D list of rows
    as an array; a flat list as one row)."""

    if isinstance(value, list):
        rows = value if all(isinstance(row, list) for row in value) else [value]
        array = np.empty((len(rows), max((len(row) for row in rows), default=0)),
                         dtype=object)
        for i, row in enumerate(rows):
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
    for name in udfs().UDF_NAMES:
        func = udf(name)

        def plugged(*args: Any, _func: Callable[..., Any] = func) -> Any:
            return _formulas_value(_func(*[_excel_arg(a) for a in args]))

        plugged.__name__ = name
        wrapped = wrap_ranges_func(plugged)
        table[name] = wrapped
        table[f"_XLUDF.{name}"] = wrapped
    table["IF"] = _excel_if(table["IF"])
    return table


def _excel_if(builtin: Any) -> dict[str, Any]:
    """``formulas``' IF, except that a one-cell condition picks a branch whole."""
    from formulas.functions import Error, wrap_ranges_func
    from formulas.tokens.operand import XlError

    original = builtin["function"] if isinstance(builtin, dict) else builtin
    if getattr(original, "_smallcap_if", False):
        return builtin

    def excel_if(condition: Any, *branches: Any) -> Any:
        cells = np.asarray(condition, dtype=object)
        if cells.size != 1:
            return original(condition, *branches)
        picked = cells.ravel()[0]
        if isinstance(picked, XlError):
            return picked
        if isinstance(picked, str):
            return Error.errors["#VALUE!"]
        if picked:
            return branches[0] if branches else True
        return branches[1] if len(branches) > 1 else False

    function = wrap_ranges_func(excel_if)
    function._smallcap_if = True
    return {**builtin, "function": function} if isinstance(builtin, dict) else function


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

    with using(store):
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
