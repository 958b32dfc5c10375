"""The catalogue: every smallcap function declared once, every adapter derived from it.

A declaration is a one-line, store-backed body in :mod:`smallcap.api` under
:func:`declare`: the body's name is the Python name, its signature gives each
argument's name, order and default, :data:`ARGUMENTS` gives each argument's kind and
help (stated once per argument name), and ``declare`` adds the Excel name(s) and the
result kind. From the registry this module keeps:

- the Python functions (``smallcap.streak_count``), returned by :func:`declare`;
- the Excel functions (:mod:`smallcap.udfs` builds one xlwings UDF per Excel name);
- ``smallcap call`` and ``smallcap serve`` (:func:`find`, any spelling, any case);
- the README's function headings (:meth:`Function.heading`) and the tests' tables.

Arguments are parsed here, once, by kind (:mod:`smallcap.params` rules, the same
everywhere). Scalar functions lift over arrays as Excel's built-ins do (:func:`lift`):
every argument may be a range; a column of N with a row of M gives N x M; each
element's error stays in its own element.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import inspect
import logging
import math
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import params
from .errors import BadArgument, NoAnswer, SmallcapError

# -- argument kinds -----------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """How one kind of argument is read: ``parse(value, argument_name)``."""

    name: str
    parse: Callable[[Any, str], Any]


TICKER = Kind("ticker", params.ticker)
WINDOW = Kind("window", params.window)
THRESHOLD = Kind("threshold", params.threshold)
WHOLE = Kind("whole number", params.whole)
HORIZON = Kind("horizon", params.whole)
DATE = Kind("date", params.calendar_date)

# Result kinds (the README's "→ kind"; the workbook formats a fraction as a percentage).
FRACTION, NUMBER, WHOLE_NUMBER, A_DATE, TABLE = "fraction", "number", "whole number", "date", "table"
RESULT_KINDS = (FRACTION, NUMBER, WHOLE_NUMBER, A_DATE, TABLE)

_WINDOWS = "trading days (21, 63, 252) or " + ", ".join(f'"{w}"' for w in params.CALENDAR_WINDOWS)

#: Every argument name used by the catalogue: its kind, its help (for the Function
#: Wizard and ``GET /functions``) and what an empty value means when the default is None.
ARGUMENTS: dict[str, tuple[Kind, str, str]] = {
    "ticker": (TICKER, "Yahoo symbol, e.g. ^RUT, ^GSPC, IWM", ""),
    "small": (TICKER, "small-cap ticker", ""),
    "large": (TICKER, "large-cap ticker", ""),
    "rate": (TICKER, "yield ticker (^TNX: the 10-year Treasury, in percent)", ""),
    "window": (WINDOW, _WINDOWS, ""),
    "threshold": (THRESHOLD, "daily return a day must beat, as a fraction (0.01 = 1%)", ""),
    "length": (WHOLE, "run length in trading days that makes an episode", ""),
    "horizon": (HORIZON, "trading days after the signal day (50 is about ten weeks)", ""),
    "since": (DATE, "count episodes signalled on or after this date", ""),
    "as_of": (DATE, "the day asked about (last trading day on or before it)", "the latest"),
    "date": (DATE, "the day (last trading day on or before it)", "the latest"),
    "start": (DATE, "first date of the table", "the first stored"),
    "end": (DATE, "last date of the table", "the latest stored"),
}


@dataclass(frozen=True)
class Argument:
    """One argument of a catalogue function."""

    name: str
    kind: Kind
    default: Any
    help: str
    empty: str = ""  # what leaving it out means when the default is None

    @property
    def wizard_help(self) -> str:
        """The one line Excel's Function Wizard shows."""
        default = self.empty if self.default is None else (
            f'"{self.default}"' if isinstance(self.default, str) and self.kind is WINDOW
            else str(self.default))
        return f"{self.help}; default {default}" if default else self.help

    def __post_init__(self) -> None:  # bind the hot path once: no attribute look-ups
        kind_parse, name, default = self.kind.parse, self.name, self.default
        seen: dict[Any, Any] = {}  # good values already read (a cell asks the same again)

        def parse(value: Any) -> Any:
            """``value`` as the body wants it; None or blank text gives the default."""
            if value is None:
                return default
            key = (type(value), value)
            try:
                hit = seen.get(key, seen)
            except TypeError:  # unhashable
                hit = seen
            if hit is not seen:
                return hit
            if type(value) is str and (not value or value.isspace()):
                return default
            parsed = kind_parse(value, name)
            if len(seen) < 4096:
                try:
                    seen[key] = parsed
                except TypeError:
                    pass
            return parsed

        object.__setattr__(self, "parse", parse)


@dataclass(frozen=True, eq=False)
class Function:
    """One catalogue function: Python name, Excel names, arguments, result kind, body."""

    name: str
    excel: tuple[str, ...]
    arguments: tuple[Argument, ...]
    result: str
    summary: str
    body: Callable[..., Any] = field(repr=False)  # body(reader, *parsed arguments)
    aliases: dict[str, str] = field(default_factory=dict)  # Excel name -> why it exists
    # many(reader, *columns) -> one value per element, or ASK (then the body is asked):
    # the numpy path of a lifted call; it must give what the body gives, bit for bit
    many: Callable[..., list[Any]] | None = field(default=None, repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.arguments)

    @property
    def lifts(self) -> bool:
        """Scalar functions broadcast over arrays; tables take single values."""
        return self.result != TABLE

    def bind(self, args: Sequence[Any], kwargs: dict[str, Any],
             title: str | None = None) -> list[Any]:
        """Positional and keyword arguments as one raw value per argument (None: left out);
        ``title`` is the name the caller used."""
        names = self.names
        if len(args) > len(names):
            raise BadArgument(title or self.name, f"takes at most {len(names)} arguments "
                              f"({', '.join(names)}), got {len(args)}")
        raw = list(args) + [None] * (len(names) - len(args))
        for key, value in kwargs.items():
            if key not in names:
                raise BadArgument(key, f"{title or self.name} has no argument {key!r}; it takes "
                                  f"{', '.join(names)}")
            position = names.index(key)
            if position < len(args):
                raise BadArgument(key, f"{title or self.name} got {key!r} twice")
            raw[position] = value
        return raw

    def call(self, reader: Reader, raw: Sequence[Any]) -> Any:
        """Parse single values and run the body (raises on error)."""
        parsers = self.parsers
        return finite(self.body(reader, *[p(v) for p, v in zip(parsers, raw, strict=False)]), self)

    @functools.cached_property
    def parsers(self) -> tuple[Callable[[Any], Any], ...]:
        """One ``parse(value)`` per argument (the hot path of every call)."""
        return tuple(a.parse for a in self.arguments)

    def heading(self) -> str:
        """The README heading of this function: Excel call, result kind, Python name."""
        shown = []
        for a in self.arguments:
            if a.default is None:
                shown.append(a.name)
            elif isinstance(a.default, str):
                shown.append(f'{a.name}="{a.default}"')
            else:
                shown.append(f"{a.name}={a.default}")
        return f"### `{self.excel[0]}({', '.join(shown)})` → {self.result} · `{self.name}`"


def finite(value: Any, fn: Function) -> Any:
    """``value``, unless it is a number that is not finite (``inf``, ``NaN``) or a table
    holding an infinite number: those are no answer, never a number in a cell or JSON."""
    kind = type(value)
    if kind is float or kind is np.float64:
        if math.isfinite(value):
            return value
    elif hasattr(value, "select_dtypes"):  # a table: blanks (NaN) are fine, infinities not
        numbers = value.select_dtypes("number").to_numpy(dtype="float64")
        if not np.isinf(numbers).any():
            return value
        column = value.select_dtypes("number").columns[np.isinf(numbers).any(axis=0)][0]
        raise NoAnswer(f"{fn.excel[0]}: {column} holds an infinite number: a stored close "
                       "of 0? (smallcap status; reload the ticker)")
    else:
        return value
    raise NoAnswer(f"{fn.excel[0]}: the answer is not a finite number ({value}): a stored "
                   "close of 0 or a flat series? (smallcap status; reload the ticker)")


class Reader:
    """The store as one lifted call sees it: each ticker's history looked up once per
    call (a single-value call reads the store itself: same ``history`` and ``status``)."""

    __slots__ = ("store", "_histories")

    def __init__(self, store: Any) -> None:
        self.store = store
        self._histories: dict[str, Any] = {}

    def history(self, ticker: str) -> Any:
        found = self._histories.get(ticker)
        if found is None:
            found = self._histories[ticker] = self.store.history(ticker)
        return found

    def status(self, ticker: str) -> dict[str, Any]:
        return self.store.status(ticker)


# -- the registry -------------------------------------------------------------------------

_REGISTRY: dict[str, Function] = {}
_LOOKUP: dict[str, Function] = {}


def declare(*excel: str, result: str, python: Callable[[Function], Callable[..., Any]],
            aliases: dict[str, str] | None = None,
            help: dict[str, str] | None = None,  # noqa: A002
            many: Callable[..., list[Any]] | None = None) -> Callable[[Callable[..., Any]], Any]:
    """Declare a catalogue function from its body ``body(reader, arg=default, ...)``.

    ``excel`` are its Excel names (the first is the main one; ``aliases`` adds names
    with the reason they exist), ``result`` its kind, ``python`` makes the Python
    function of a Function (:func:`smallcap.pyface.function`), ``help`` overrides an
    argument's help, ``many`` is an optional numpy path for lifted calls (see
    :func:`per_history`). Returns what ``python`` makes.
    """
    if result not in RESULT_KINDS:
        raise ValueError(f"result must be one of {RESULT_KINDS}, got {result!r}")

    def decorate(body: Callable[..., Any]) -> Callable[..., Any]:
        parameters = list(inspect.signature(body).parameters.values())[1:]  # after reader
        arguments = []
        for p in parameters:
            if p.name not in ARGUMENTS:
                raise ValueError(f"{body.__name__}: argument {p.name!r} is not in ARGUMENTS")
            kind, text, empty = ARGUMENTS[p.name]
            text = (help or {}).get(p.name, text)
            arguments.append(Argument(p.name, kind, p.default, text, empty))
        doc = inspect.cleandoc(body.__doc__ or "")
        fn = Function(body.__name__, (*excel, *(aliases or {})), tuple(arguments), result,
                      " ".join(doc.split("\n\n")[0].split()), body, dict(aliases or {}), many)
        register(fn)
        return python(fn)

    return decorate


def register(fn: Function) -> None:
    """Add ``fn`` to the registry (its Python and Excel names must be new)."""
    for key in (fn.name, *fn.excel):
        if key.lower() in _LOOKUP and _LOOKUP[key.lower()].name != fn.name:
            raise ValueError(f"{key} is declared twice")
    _REGISTRY[fn.name] = fn
    for key in (fn.name, *fn.excel):
        _LOOKUP[key.lower()] = fn


def functions() -> Iterator[Function]:
    """Every declared function, in declaration order."""
    _load()
    return iter(list(_REGISTRY.values()))


def find(name: str) -> Function:
    """The function called ``name``: Python or Excel spelling, any case."""
    _load()
    found = _LOOKUP.get(str(name).strip().lower())
    if found is None:
        close = difflib.get_close_matches(str(name).strip().lower(), list(_LOOKUP), n=1)
        hint = f"did you mean {_LOOKUP[close[0]].name}? " if close else ""
        raise BadArgument("function", f"{name!r} is not a smallcap function; {hint}use one "
                          f"of {', '.join(_REGISTRY)} (or their Excel names)")
    return found


def excel_names() -> dict[str, Function]:
    """Every Excel name (aliases included) with its function, alphabetically."""
    return {name: fn for fn in functions() for name in sorted(fn.excel)}


def _load() -> None:
    if not _REGISTRY:  # the declarations live above this module: never imported from here
        raise RuntimeError("no function is declared yet: import smallcap.api first")


# -- lifting over arrays ------------------------------------------------------------------


#: Types that are never arrays (checked first: the hot path of a single-value call).
SCALARS = frozenset({str, float, int, bool, type(None), dt.datetime, dt.date})


def _is_array(value: Any) -> bool:
    """Lists, tuples, numpy arrays and pandas Series/Index/DataFrame (not a Timestamp or
    NaT, which also have ``to_numpy``)."""
    return isinstance(value, list | tuple | np.ndarray) or (
        hasattr(value, "to_numpy") and getattr(value, "ndim", 0) >= 1)


def _cells(value: Any) -> list[Any]:
    value = params.elements(value)  # (datetime64 elements stay dates)
    if isinstance(value, np.ndarray):
        return value.ravel().tolist()
    return [c for row in value for c in (row if isinstance(row, list | tuple) else (row,))]


def single(name: str, value: Any, fn: Function) -> Any:
    """A table function's argument: one value (a one-cell range is unwrapped)."""
    if not _is_array(value):
        return value
    cells = _cells(value)
    if len(cells) != 1:
        raise BadArgument(name, f"{fn.excel[0]} returns a table, so {name} takes one value, "
                          f"not a range of {len(cells)} cells")
    return cells[0]


def grid(value: Any, name: str, one_dimension: str) -> np.ndarray:
    """An array argument as a 2-D object array. A 1-D array is a ``"row"`` (Excel's
    horizontal array) or a ``"column"`` (a Python list or pandas Series)."""
    value = params.elements(value)  # numpy; datetime64 elements stay dates, NaT an error
    if isinstance(value, list | tuple) and any(isinstance(r, list | tuple) for r in value):
        lengths = {len(r) if isinstance(r, list | tuple) else -1 for r in value}
        if len(lengths) > 1:
            raise BadArgument(name, "rows of the range have different lengths")
    try:
        array = np.asarray(value, dtype=object)
    except ValueError:  # ragged nested lists
        raise BadArgument(name, "rows of the range have different lengths") from None
    if array.ndim == 1:
        array = array.reshape(1, -1) if one_dimension == "row" else array.reshape(-1, 1)
    elif array.ndim == 0:
        array = array.reshape(1, 1)
    if array.ndim != 2:
        raise BadArgument(name, f"expected a range of rows and columns, got {array.ndim} dimensions")
    if array.size == 0:
        raise BadArgument(name, "the range is empty")
    return array


def broadcast_shape(shapes: dict[str, tuple[int, int]]) -> tuple[int, int]:
    """The shape Excel gives arrays of ``shapes`` (each axis: 1 or the common size);
    shapes that cannot broadcast raise one BadArgument naming both arguments."""
    result = [1, 1]
    owner = ["", ""]
    for name, shape in shapes.items():
        for axis in (0, 1):
            size = shape[axis]
            if size == 1 or size == result[axis]:
                continue
            if result[axis] == 1:
                result[axis], owner[axis] = size, name
                continue
            first = shapes[owner[axis]]
            raise BadArgument(
                f"{owner[axis]}, {name}",
                f"cannot combine a {first[0]}×{first[1]} range with a {shape[0]}×{shape[1]} "
                "range: use one row, one column or the same shape")
    return result[0], result[1]


class Failed:
    """An element whose argument could not be read: carries the error."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


@dataclass
class Lifted:
    """The result of a lifted call: ``values`` (2-D object array of answers or errors),
    per axis the labels and name of the first argument that varies along it, and
    ``axes``: per axis, (name, labels) of every argument that varies along it."""

    values: np.ndarray
    labels: tuple[list[Any] | None, list[Any] | None]
    names: tuple[str | None, str | None]
    axes: tuple[tuple[tuple[str, list[Any]], ...], ...] = ((), ())


def lift(fn: Function, raw: Sequence[Any], reader: Reader, *, one_dimension: str,
         prepare: Callable[[Any, str], Any] | None = None) -> Lifted:
    """Call ``fn`` once per element of the broadcast of ``raw``. Each distinct element
    is parsed once and each ticker's history is read once; an element's error (bad
    argument, no data, ``prepare`` raising for it) becomes that element's value."""
    grids: dict[int, np.ndarray] = {}
    for i, value in enumerate(raw):
        if _is_array(value):
            grids[i] = grid(value, fn.arguments[i].name, one_dimension)
    shape = broadcast_shape({fn.arguments[i].name: g.shape for i, g in grids.items()})
    columns: list[list[Any]] = []
    for i, (argument, value) in enumerate(zip(fn.arguments, raw, strict=True)):
        cells = grids[i] if i in grids else np.array([[value]], dtype=object)
        parsed: dict[Any, Any] = {}
        read = np.empty(cells.size, dtype=object)  # each cell read once, then broadcast
        read[:] = [_parse_once(argument, cell, parsed, prepare) for cell in cells.ravel().tolist()]
        columns.append(np.broadcast_to(read.reshape(cells.shape), shape).ravel().tolist())
    results = []
    body = fn.body
    checked = [i for i, column in enumerate(columns) if Failed in set(map(type, column))]
    quick = _many(fn, reader, columns, checked)
    for k, values in enumerate(zip(*columns, strict=True)):
        if quick[k] is not ASK:
            results.append(quick[k])
            continue
        failed = next((values[i] for i in checked if type(values[i]) is Failed), None)
        if failed is not None:
            results.append(failed.error)
            continue
        try:
            results.append(finite(body(reader, *values), fn))
        except Exception as error:  # noqa: BLE001 (each element keeps its own error)
            results.append(error)
    out = np.empty(len(results), dtype=object)
    out[:] = results
    axes: tuple[list[tuple[str, list[Any]]], ...] = ([], [])
    for i, g in grids.items():
        for axis in (0, 1):
            if g.shape[axis] == shape[axis] > 1:
                axes[axis].append((fn.arguments[i].name,
                                   (g[:, 0] if axis == 0 else g[0, :]).tolist()))
    first = [axis[0] if axis else (None, None) for axis in axes]
    return Lifted(out.reshape(shape), (first[0][1], first[1][1]), (first[0][0], first[1][0]),
                  (tuple(axes[0]), tuple(axes[1])))


ASK = object()  # "no quick answer for this element: call the body"
FALLBACKS: Counter[str] = Counter()  # numpy paths that failed (a bug), by function: logged too


def _many(fn: Function, reader: Reader, columns: list[list[Any]],
          checked: list[int]) -> list[Any]:
    """The numpy path's answers (ASK where the body must answer); all ASK without one."""
    count = len(columns[0])
    if fn.many is None or count < 2:
        return [ASK] * count
    good = [k for k in range(count) if all(type(columns[i][k]) is not Failed for i in checked)
            ] if checked else range(count)
    answers = [ASK] * count
    try:
        quick = fn.many(reader, *([[column[k] for k in good] for column in columns]
                                  if checked else columns))
    except Exception as exc:  # noqa: BLE001 (the body answers, and explains, every element)
        FALLBACKS[fn.name] += 1
        logging.getLogger(__name__).warning("%s: the numpy path failed over %d elements (%s: "
                                            "%s); each asked of the body", fn.name, count,
                                            type(exc).__name__, exc)
        return answers
    for k, value in zip(good, quick, strict=True):
        answers[k] = value
    return answers


def per_history(reader: Reader, keys: list[tuple[str, ...]],
                compute: Callable[[list[Any], list[int]], list[float]]) -> list[Any]:
    """Group a lifted call's elements by their tickers (``keys``), read each group's
    histories once and ``compute(histories, indices)`` its values at once; an element
    whose value is NaN, or whose ticker has no data, is left to the body (ASK)."""
    answers: list[Any] = [ASK] * len(keys)
    groups: dict[tuple[str, ...], list[int]] = {}
    for k, key in enumerate(keys):
        groups.setdefault(key, []).append(k)
    for key, indices in groups.items():
        try:
            histories = [reader.history(ticker) for ticker in key]
        except SmallcapError:
            continue
        for k, value in zip(indices, compute(histories, indices), strict=True):
            if value == value:
                answers[k] = value
    return answers


def day_numbers(values: list[Any], argument: str) -> list[int | None]:
    """Parsed dates as day numbers (None stays None), each distinct value read once."""
    seen: dict[Any, int | None] = {}
    return [seen[v] if v in seen else seen.setdefault(v, params.optional_date(v, argument))
            for v in values]


def _parse_once(argument: Argument, cell: Any, parsed: dict[Any, Any],
                prepare: Callable[[Any, str], Any] | None) -> Any:
    try:
        key = (type(cell), cell)
        hit = parsed.get(key, parsed)
    except TypeError:  # unhashable element: parse it every time
        key, hit = None, parsed
    if hit is not parsed:
        return hit
    try:
        value = argument.parse(prepare(cell, argument.name) if prepare else cell)
    except Exception as error:  # noqa: BLE001 (kept for the element it belongs to)
        value = Failed(error)
    if key is not None:
        parsed[key] = value
    return value


def is_error(value: Any) -> bool:
    """True for an element of a lifted result that failed."""
    return isinstance(value, BaseException)


__all__ = [
    "A_DATE", "ARGUMENTS", "DATE", "FRACTION", "HORIZON", "NUMBER", "RESULT_KINDS", "TABLE",
    "THRESHOLD", "TICKER", "WHOLE", "WHOLE_NUMBER", "WINDOW", "Argument", "Function", "Kind",
    "Lifted", "Reader", "SmallcapError", "broadcast_shape", "declare", "excel_names", "find",
    "functions", "grid", "is_error", "lift", "register", "single",
]
