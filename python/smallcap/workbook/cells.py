"""Excel values and a tiny formula model: what a cell says, and the value it has.

A formula is built from :class:`Call` (one of our worksheet functions), :class:`Lookup`
and :class:`Index` (Excel's ``VLOOKUP``/``INDEX`` on a table a call returns),
:class:`Best` and :class:`CountAtLeast` (the largest value of a table's column, how many
reach a level), :class:`IfNumber` (a word where a figure is blank), :class:`Words` (a
no-answer's words without its error code), with
:class:`Ref` arguments naming an input cell or range and carrying its build-time value.
:meth:`text` is what the cell says; :meth:`value` is what it evaluates to, computed by
the very function the add-in runs (:mod:`smallcap.udfs`), so the cached value written
beside a formula is the value Excel computes.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

from .. import api, settings
from ..errors import BadArgument
from ..store import Store

EXCEL_EPOCH = dt.datetime(1899, 12, 30)
# Significant digits of a cached number: cells show at most six (2,620.99; 12.84%), and
# machines differ only in the last bits (~1e-16 relative, from SIMD summation order), so
# rounding there leaves a four-digit margin and keeps those bits out of the file.
CACHE_DIGITS = 10


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


def cached(value: Any) -> Any:
    """A formula's cached value as XlsxWriter takes it (number or text)."""
    if value is None:
        return ""
    if isinstance(value, dt.date | dt.datetime):
        return serial(value)
    if isinstance(value, bool):
        return int(value)
    return value


def reproducible(value: float) -> float:
    """``value`` rounded to :data:`CACHE_DIGITS` significant digits (the same float on
    every machine; NaN and infinities as they are)."""
    if not math.isfinite(value):
        return value
    return float(f"{value:.{CACHE_DIGITS}g}")


def udfs() -> Any:
    """:mod:`smallcap.udfs`, imported when first needed (it imports xlwings)."""
    from .. import udfs as module

    return module


def udf(name: str) -> Callable[..., Any]:
    """The Excel function ``name`` exactly as the add-in runs it (:mod:`smallcap.udfs`)."""
    module = udfs()
    if name not in module.UDF_NAMES:
        raise BadArgument("function", f"{name!r} is not a smallcap worksheet function")
    return getattr(module, name)


@contextmanager
def using(store: Store | str | os.PathLike[str] | None) -> Iterator[None]:
    """Point the worksheet functions (which read the current store) at ``store``."""
    if store is None:
        yield
        return
    previous = settings.chosen_store()  # None: $SMALLCAP_STORE or the default
    api.use_store(store)
    try:
        yield
    finally:
        api.use_store(previous)


# -- the formula model -----------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A reference to an input cell or range (``address`` as written in formulas) and its
    value (a range's value is a 2-D list of rows, as Excel hands a range to the add-in)."""

    address: str
    value: Any


@dataclass(frozen=True)
class Call:
    """A call of one of our worksheet functions."""

    name: str
    args: tuple[Any, ...]

    def text(self) -> str:
        return f"{self.name}({','.join(arg_text(a) for a in self.args)})"

    def value(self) -> Any:
        return udf(self.name)(*[a.value if isinstance(a, Ref) else a for a in self.args])


@dataclass(frozen=True)
class Lookup:
    """``VLOOKUP(key, table, column, FALSE)`` on a table returned by a :class:`Call`."""

    key: Any
    table: Call
    column: int

    def text(self) -> str:
        return f"VLOOKUP({arg_text(self.key)},{self.table.text()},{self.column},FALSE)"

    def value(self) -> Any:
        rows = self.table.value()
        key = self.key.value if isinstance(self.key, Ref) else self.key
        if not isinstance(rows, list):
            return "#N/A"
        for row in rows:
            if same(row[0], key):
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
        row = arg_text(self.row) + (f"+{self.offset}" if self.offset else "")
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


def _chosen(table: Call, column: int) -> str:
    return f"CHOOSECOLS({table.text()},{column})"


def _is_number(value: Any) -> bool:
    """Excel's ISNUMBER of a cell a worksheet function returned (a date is a number)."""
    return isinstance(value, int | float | dt.date | dt.datetime) and not isinstance(value, bool)


def _table_rows(table: Call) -> list[list[Any]] | str:
    rows = table.value()
    if isinstance(rows, list):
        return rows
    return rows if isinstance(rows, str) else "#N/A"


@dataclass(frozen=True)
class Best:
    """The largest number in column ``column`` of a table's rows whose first cell is a
    number (a date): ``MAX(FILTER(CHOOSECOLS(t,c), ISNUMBER(CHOOSECOLS(t,1)) *
    ISNUMBER(CHOOSECOLS(t,c))))``. A header or summary row (text first) and a blank cell
    are left out. Excel 365 writes it as a dynamic-array formula."""

    array: ClassVar[bool] = True  # needs array evaluation (written as a dynamic array)
    table: Call
    column: int

    def text(self) -> str:
        c, first = _chosen(self.table, self.column), _chosen(self.table, 1)
        return f"MAX(FILTER({c},ISNUMBER({first})*ISNUMBER({c})))"

    def value(self) -> Any:
        rows = _table_rows(self.table)
        if isinstance(rows, str):
            return rows
        found = [row[self.column - 1] for row in rows
                 if _is_number(row[0]) and _is_number(row[self.column - 1])]
        return max(found) if found else "#CALC! no row to take the largest of"


@dataclass(frozen=True)
class CountAtLeast:
    """How many rows whose first cell is a number (a date) hold at least ``level`` in
    column ``column``: ``SUMPRODUCT(ISNUMBER(CHOOSECOLS(t,1)) * ISNUMBER(CHOOSECOLS(t,c))
    * (CHOOSECOLS(t,c)>=level))``."""

    array: ClassVar[bool] = True  # needs array evaluation (written as a dynamic array)
    table: Call
    column: int
    level: float

    def text(self) -> str:
        c, first = _chosen(self.table, self.column), _chosen(self.table, 1)
        return (f"SUMPRODUCT(ISNUMBER({first})*ISNUMBER({c})*({c}>={arg_text(self.level)}))")

    def value(self) -> Any:
        rows = _table_rows(self.table)
        if isinstance(rows, str):
            return rows
        return sum(1 for row in rows if _is_number(row[0]) and _is_number(
            row[self.column - 1]) and row[self.column - 1] >= self.level)


@dataclass(frozen=True)
class IfNumber:
    """``IF(ISNUMBER(x), x, otherwise)``: a formula's number, or a word where it has none
    (a blank: a figure not known yet)."""

    formula: Lookup | Index | Call
    otherwise: str

    def text(self) -> str:
        x = self.formula.text()
        return f"IF(ISNUMBER({x}),{x},{arg_text(self.otherwise)})"

    def value(self) -> Any:
        value = self.formula.value()
        return value if _is_number(value) else self.otherwise


@dataclass(frozen=True)
class Words:
    """``IF(ISNUMBER(x), x, MID(x, FIND(" ", x) + 1, 999))``: a formula's number, or the
    words of its no-answer without the error code in front (``#N/A both legs fell (…): the
    ratio is not meaningful, use ROTATION_SPREAD`` shows from ``both``): the same words as
    every host, read as a sentence, not an alarm. A real Excel error stays an error."""

    formula: Call

    def text(self) -> str:
        x = self.formula.text()
        return f'IF(ISNUMBER({x}),{x},MID({x},FIND(" ",{x})+1,{WORDS_MAX}))'

    def value(self) -> Any:
        value = self.formula.value()
        if _is_number(value) or not isinstance(value, str) or " " not in value:
            return value
        return value.split(" ", 1)[1][:WORDS_MAX]


WORDS_MAX = 999  # characters of a no-answer's words a cell shows


@dataclass(frozen=True)
class LastCommonDay:
    """The last day both ``small`` and ``large`` have a close, on or before ``as_of``
    (blank: the latest): the largest date of their one-day ``ROTATION_SERIES`` over the
    month up to ``as_of`` (with ``as_of`` blank, over all their common days), or the
    error text it returns (``#N/A no data for ^XYZ ...``):
    ``IFERROR(MAX(ROTATION_SERIES(1,small,large,start,as_of)),ROTATION_SERIES(...))``.
    Every two-ticker function resolves ``as_of`` on the same common days, so all the
    answers given this day agree with each other."""

    small: Ref
    large: Ref
    as_of: Ref

    def series(self) -> Call:
        day = self.as_of
        start = Ref(f'IF(ISBLANK({day.address}),"",{day.address}-31)',
                    "" if day.value is None else serial(day.value) - 31)
        return Call("ROTATION_SERIES", (1, self.small, self.large, start, day))

    def text(self) -> str:
        series = self.series().text()
        return f"IFERROR(MAX({series}),{series})"

    def value(self) -> Any:
        rows = self.series().value()
        if not isinstance(rows, list):
            return rows
        numbers = [serial(cell) if isinstance(cell, dt.date | dt.datetime) else cell
                   for row in rows for cell in row
                   if _is_number(cell) and not (isinstance(cell, float) and math.isnan(cell))]
        if not numbers:  # MAX of no number
            return 0
        return EXCEL_EPOCH + dt.timedelta(days=max(numbers))


Formula = Call | Lookup | Index | Best | CountAtLeast | IfNumber | Words | LastCommonDay


def same(a: Any, b: Any) -> bool:
    """Excel's equality of two lookup keys (dates as serials, text case-insensitive)."""
    if isinstance(a, dt.date | dt.datetime):
        a = serial(a)
    if isinstance(b, dt.date | dt.datetime):
        b = serial(b)
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=0, abs_tol=1e-9)
    return False


def arg_text(arg: Any) -> str:
    """One argument as written in a formula."""
    if isinstance(arg, Ref):
        return arg.address
    if isinstance(arg, str):
        return '"' + arg.replace('"', '""') + '"'
    if isinstance(arg, bool):
        return "TRUE" if arg else "FALSE"
    if isinstance(arg, int | float):
        return repr(arg)
    raise TypeError(f"cannot write {arg!r} into a formula")
