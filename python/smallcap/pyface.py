"""The Python face of the catalogue: ``smallcap.<function>(...)`` as a pandas user expects.

Each catalogue function becomes a plain Python function (:func:`function`) with the Excel
function's arguments, order and defaults, a keyword-only ``store``, and a docstring
generated from the catalogue (:mod:`smallcap.docstrings`). What it returns:

- single values give a single answer: ``float``, ``int``, ``datetime.date``; errors raise
  (:mod:`smallcap.errors`), and Python's own mistakes (an unknown keyword, too many
  arguments, one given twice) raise ``TypeError`` like any Python function;
- a table is pandas-native (:mod:`smallcap.frames`): a ``DatetimeIndex`` named ``date``
  where rows are days, episodes indexed by their ``signal`` day, typed columns; the
  summary rows Excel shows below FORWARD_RETURNS come from :func:`smallcap.frames.summary`;
- a list, tuple, numpy array or pandas Series as any argument of a scalar function lifts
  it (as Excel does): the answer is a float64 (int64 for whole numbers, datetime64 for
  dates) Series or DataFrame labelled by every argument that varies (a MultiIndex when
  several vary along one axis, e.g. (small, large) for pairs). An element without an
  answer is NaN (NaT), its error is kept in ``result.attrs["errors"]`` and one warning
  names the first; when no element has an answer, the first error is raised.

Excel, HTTP and the command line keep the spilled layout (:meth:`Function.call`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import inspect
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from . import frames
from .catalogue import (
    A_DATE,
    SCALARS,
    WHOLE_NUMBER,
    Function,
    Lifted,
    Reader,
    _is_array,
    finite,
    lift,
    single,
)
from .errors import SmallcapError


class ElementWarning(UserWarning):
    """Some elements of a lifted call have no answer (NaN); ``result.attrs["errors"]``
    holds their errors."""


def bind(fn: Function, args: Sequence[Any], kwargs: dict[str, Any]) -> list[Any]:
    """Python's rules for a call of ``fn``: one raw value per argument (None: left out);
    an unknown keyword (with the closest valid one), too many arguments or an argument
    given twice raise ``TypeError``, as any Python function does."""
    names = fn.names
    if len(args) > len(names):
        raise TypeError(f"{fn.name}() takes at most {len(names)} positional arguments "
                        f"({', '.join(names)}) but {len(args)} were given")
    raw = list(args) + [None] * (len(names) - len(args))
    for key, value in kwargs.items():
        if key not in names:
            close = difflib.get_close_matches(key, [*names, "store"], n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"{fn.name}() got an unexpected keyword argument {key!r}{hint} "
                            f"(it takes {', '.join(names)}, store)")
        position = names.index(key)
        if position < len(args):
            raise TypeError(f"{fn.name}() got multiple values for argument {key!r}")
        raw[position] = value
    return raw


def function(fn: Function, store_of: Callable[[Any], Any]) -> Callable[..., Any]:
    """``fn`` as a Python function; ``store_of`` resolves ``store=`` (None: the current
    store)."""
    from .docstrings import docstring

    count = len(fn.arguments)
    body, parsers = fn.body, fn.parsers
    table = not fn.lifts

    @functools.wraps(fn.body)
    def call(*args: Any, store: Any = None, **kwargs: Any) -> Any:
        raw = bind(fn, args, kwargs) if kwargs or len(args) > count else args
        for value in raw:
            if type(value) not in SCALARS and _is_array(value):
                break
        else:  # single values (the hot path): the store itself reads, histories cached
            answer = finite(body(store_of(store), *[p(v) for p, v in zip(parsers, raw,
                                                                         strict=False)]), fn)
            return frames.table(answer) if table else answer
        raw = list(raw) + [None] * (count - len(raw))
        if table:
            return frames.table(fn.call(store_of(store), [
                single(a.name, v, fn) for a, v in zip(fn.arguments, raw, strict=True)]))
        lifted = lift(fn, raw, Reader(store_of(store)), one_dimension="column")
        for value in lifted.values.flat:  # a bug is raised, not filed as an answer
            if isinstance(value, BaseException) and not isinstance(value, SmallcapError):
                raise value
        return typed(fn, lifted)

    parameters = [inspect.Parameter(a.name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                    default=a.default) for a in fn.arguments]
    parameters.append(inspect.Parameter("store", inspect.Parameter.KEYWORD_ONLY, default=None))
    call.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    del call.__wrapped__  # the signature above is the public one, not the body's
    call.__doc__ = docstring(fn)
    call.catalogue = fn  # type: ignore[attr-defined]
    return call


# -- lifted results -------------------------------------------------------------------------


def _index(axis: tuple[tuple[str, list[Any]], ...]) -> pd.Index | None:
    """The labels of one axis: every argument that varies along it (None: none does)."""
    if not axis:
        return None
    if len(axis) == 1:
        name, labels = axis[0]
        return pd.Index(labels, name=name, dtype=object)
    return pd.MultiIndex.from_arrays([labels for _, labels in axis],
                                     names=[name for name, _ in axis])


def _dtype(fn: Function, failed: bool) -> str:
    if fn.result == A_DATE:
        return "datetime64[ns]"
    if fn.result == WHOLE_NUMBER and not failed:
        return "int64"
    return "float64"  # a whole number with a missing element is float64, as in pandas


def _typed_values(fn: Function, values: np.ndarray, bad: np.ndarray) -> np.ndarray:
    dtype = _dtype(fn, bool(bad.any()))
    if fn.result == A_DATE:
        cells = [np.datetime64("NaT") if missing or not isinstance(v, dt.date)
                 else np.datetime64(pd.Timestamp(v).date())
                 for v, missing in zip(values.ravel().tolist(), bad.ravel().tolist(),
                                       strict=True)]
        return np.array(cells, dtype="datetime64[ns]").reshape(values.shape)
    out = np.where(bad, np.nan, values)
    return out.astype(dtype)


def typed(fn: Function, lifted: Lifted) -> pd.Series | pd.DataFrame:
    """A lifted call's answers as a typed, labelled pandas result (see the module)."""
    values = lifted.values
    bad = np.frompyfunc(lambda v: isinstance(v, BaseException), 1, 1)(values).astype(bool)
    if bad.all():
        raise values.flat[0]
    cells = _typed_values(fn, values, bad)
    rows, cols = values.shape
    index, columns = _index(lifted.axes[0]), _index(lifted.axes[1])
    if cols == 1 and (rows > 1 or columns is None):
        result: pd.Series | pd.DataFrame = pd.Series(cells[:, 0], index=index, name=fn.name)
        keys = list(result.index)
    elif rows == 1:
        result = pd.Series(cells[0, :], index=columns, name=fn.name)
        keys = list(result.index)
    else:
        result = pd.DataFrame(cells, index=index, columns=columns)
        keys = [(r, c) for r in result.index for c in result.columns]
    errors = {keys[k]: error for k, error in enumerate(values.ravel().tolist()) if bad.flat[k]}
    if errors:
        result.attrs["errors"] = errors
        label, error = next(iter(errors.items()))
        warnings.warn(f"{fn.name}: {len(errors)} of {values.size} elements have no answer "
                      f"(NaN), the first {label!r}: {error} — their errors are in "
                      "result.attrs['errors']", ElementWarning, stacklevel=3)
    return result
