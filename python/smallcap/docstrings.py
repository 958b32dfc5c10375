"""The docstring of every ``smallcap.<function>``, generated from its catalogue entry.

``help(smallcap.forward_returns)`` shows: the call, what the function answers (the
declaration's docstring), its Excel names, each argument's full help and default, the
keyword-only ``store``, what it returns (single values and lifted over arrays), the
errors it raises, and the example from the declaration (the note's numbers; a test runs
them as doctests against the reference store).
"""

from __future__ import annotations

import inspect
import textwrap

from .catalogue import A_DATE, FRACTION, NUMBER, TABLE, TICKER, WHOLE_NUMBER, Function

#: What a single call returns, by result kind.
RETURNS = {
    FRACTION: "float\n    A fraction (0.05 = 5%).",
    NUMBER: "float",
    WHOLE_NUMBER: "int",
    A_DATE: "datetime.date",
    TABLE: "pandas.DataFrame\n    Typed columns (datetime64 dates, float64 figures, int64 "
           "counts); rows that are days\n    have a DatetimeIndex named ``date``, episodes "
           "one row each indexed by ``signal``.",
}
#: What a lifted call holds, by result kind.
LIFTED = {FRACTION: "float64", NUMBER: "float64", WHOLE_NUMBER: "int64 (float64 when an "
          "element has no answer)", A_DATE: "datetime64"}


def _split(doc: str) -> tuple[str, str]:
    """The declaration's docstring as (description, example): the example starts at the
    first ``>>>`` line."""
    lines = inspect.cleandoc(doc or "").splitlines()
    at = next((k for k, line in enumerate(lines) if line.lstrip().startswith(">>>")),
              len(lines))
    return "\n".join(lines[:at]).strip(), "\n".join(lines[at:]).strip()


def _default(argument: object) -> str:
    default = argument.default  # type: ignore[attr-defined]
    if default is None:
        empty = argument.empty  # type: ignore[attr-defined]
        return f"None ({empty})" if empty else "None"
    return repr(default)


def _raises(fn: Function) -> list[str]:
    kinds = {a.kind for a in fn.arguments}
    dates = [a.name for a in fn.arguments if a.name in ("as_of", "date", "end")]
    found = ["BadArgument (a ValueError)\n    An argument cannot be read (a malformed "
             "ticker, window, threshold, date or number), or\n    arguments contradict "
             "each other (since after as_of, start after end)."]
    if dates:
        found.append(f"OutOfRange (a BadArgument)\n    {', '.join(dates)} before the first "
                     "stored day, or a window longer than the history.")
    if TICKER in kinds:
        found.append("NoData (a LookupError)\n    The store holds no rows for a ticker "
                     "(smallcap refresh TICKER, or smallcap load-csv).")
    if fn.result != TABLE:
        found.append("NoAnswer (an ArithmeticError)\n    The data is there but the "
                     "question has no finite answer (a zero denominator,\n    an all-time "
                     "high).")
    found.append("StoreError (an OSError)\n    The store cannot be opened or read.")
    found.append("TypeError\n    An unknown keyword (the message names the closest valid "
                 "one), too many\n    arguments, or one given twice.")
    return found


def docstring(fn: Function) -> str:
    """The docstring of the Python function of ``fn`` (numpydoc sections)."""
    description, example = _split(fn.body.__doc__ or "")
    excel = ", ".join(f"={name}()" for name in fn.excel)
    parts = [description, textwrap.fill(
        f"Excel: {excel}. Every host answers the same: the README's function reference, "
        f"``smallcap call {fn.name}``, ``GET /{fn.name}``.", 88)]
    params = ["Parameters\n----------"]
    for a in fn.arguments:
        params.append(f"{a.name} : {a.kind.name}, default {_default(a)}\n    {a.help}.")
    params.append("store : Store or path, keyword-only, default None\n    The store to read "
                  "(None: smallcap.current_store(): ``smallcap.use_store``,\n    "
                  "$SMALLCAP_STORE or the user's data folder).")
    parts.append("\n".join(params))
    returns = RETURNS[fn.result]
    if fn.lifts:
        returns += (f"\n    With a list, tuple, numpy array or pandas Series as any argument"
                    f" (a nested\n    list [[...]] is a row): a pandas Series or DataFrame of "
                    f"{LIFTED[fn.result]},\n    labelled by every argument that varies (a "
                    "MultiIndex when several vary\n    together). An element without an "
                    "answer is NaN (NaT) and its error is in\n    ``result.attrs['errors']`` "
                    "(one warning names the first).")
    elif fn.result == TABLE:
        returns += "\n    Each argument takes one value (a one-element list is unwrapped)."
    parts.append("Returns\n-------\n" + returns)
    parts.append("Raises\n------\n" + "\n".join(_raises(fn)))
    if example:
        parts.append("Examples\n--------\n" + example)
    return "\n\n".join(p for p in parts if p) + "\n"
