"""Excel worksheet functions (xlwings classic COM UDFs, Windows), derived from the
catalogue: one UDF per Excel name of every function in :mod:`smallcap.catalogue`, with
its per-argument help. Nothing here is listed by hand; :func:`excel_call` does the rest.

- Arguments come as Excel hands them over (every argument with ``ndim=2``): ``None`` for
  an empty cell or an omitted argument (the default is used), floats for whole numbers,
  ``datetime`` for dates, 2-D lists for ranges (a one-cell range is one value), Excel
  error values (COM error codes, or ``"#N/A ..."`` text from another smallcap cell),
  which are passed on.
- Scalar functions lift over ranges like Excel's built-ins: a column of N tickers with a
  row of M windows spills N x M; each element's error lands in its own cell. A table
  function given a range where it needs one value shows one ``#VALUE!``.
- Results go back as Excel values: ints/floats (NaN becomes an empty cell), dates as
  ``datetime`` (a real Excel date), tables as a row-major 2-D list with one header row
  that spills as a native dynamic array.
- Nothing ever raises into xlwings (which would pop a traceback dialog): a
  :class:`~smallcap.errors.SmallcapError` becomes its ``cell_text()``, e.g.
  ``#N/A no data for ^XYZ — refresh first``; anything unexpected becomes one
  ``#VALUE! ...`` line.

The UDF server is a long-lived process: the store keeps loaded histories in memory, so a
refresh by another process shows on the next recalculation. ``smallcap addin build``
generates the VBA wrappers from this module. The cell conventions themselves (arguments,
results, errors) live in :mod:`smallcap.excel`, shared with xlwings Lite.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import xlwings as xw

from . import catalogue
from .excel import COM_ERRORS, ERROR_TEXTS, excel_call, table_rows, to_excel

CATEGORY = "smallcap"


def _udf(fn: catalogue.Function, excel_name: str) -> Callable[..., Any]:
    """The xlwings UDF ``excel_name`` of catalogue function ``fn``, with its metadata."""

    def udf(*args: Any, **kwargs: Any) -> Any:
        return excel_call(fn, excel_name, args, kwargs)

    udf.__name__ = udf.__qualname__ = excel_name
    udf.__module__ = __name__
    udf.__doc__ = (f"{fn.summary} (same as {fn.excel[0]}: {fn.aliases[excel_name]})"
                   if excel_name in fn.aliases else fn.summary)
    udf.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        inspect.Parameter(a.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=a.default)
        for a in fn.arguments])
    udf = xw.ret(**({"transpose": False} if not fn.lifts else {}))(udf)
    for argument in fn.arguments:
        options = {"ndim": 2} if fn.lifts else {}
        udf = xw.arg(argument.name, doc=argument.wizard_help, **options)(udf)
    return xw.func(category=CATEGORY)(udf)


# -- the functions: one UDF per Excel name of every catalogue function ---------------------

UDF_NAMES = tuple(catalogue.excel_names())
for _name, _fn in catalogue.excel_names().items():
    globals()[_name] = _udf(_fn, _name)
del _name, _fn

__all__ = ["CATEGORY", "COM_ERRORS", "ERROR_TEXTS", "UDF_NAMES", "excel_call", "table_rows",
           "to_excel", *UDF_NAMES]
