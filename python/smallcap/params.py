"""Parsing and validation of the arguments every function shares.

Each parser takes what a user may type (in a cell, on the command line, in Python)
and returns one canonical value, or raises :class:`~smallcap.errors.BadArgument`
naming the argument and the fix. Pure: no I/O, no pandas.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import BadArgument, OutOfRange
from .settings import CALENDAR_WINDOWS, INDEX_SYMBOLS, TICKER_RE

EXCEL_EPOCH = dt.date(1899, 12, 30)
MAX_WHOLE = 100_000  # trading days, run lengths, horizons: ~400 years is plenty


def caret_hint(ticker: str, known: Iterable[str] = ()) -> str:
    """``did you mean ^RUT?`` for an index symbol typed without its caret (``RUT``), when
    ``^RUT`` is a known index or in ``known``; "" otherwise."""
    caret = f"^{ticker}"
    if not ticker.startswith("^") and (caret in INDEX_SYMBOLS or caret in known):
        return f"did you mean {caret}? (an index's symbol starts with ^)"
    return ""


def ticker(value: Any, argument: str = "ticker") -> str:
    """A Yahoo symbol, trimmed and upper-cased; anything outside ``[A-Z0-9^.=-]{1,20}`` is refused."""
    known = _TICKERS.get(value) if type(value) is str else None
    if known is not None:
        return known
    if not isinstance(value, str):
        raise BadArgument(argument, f"expected a ticker symbol such as ^RUT, got {value!r}")
    symbol = value.strip().upper()
    if not TICKER_RE.fullmatch(symbol):
        raise BadArgument(
            argument,
            f"{value!r} is not a ticker symbol: use 1-20 characters from A-Z 0-9 ^ . = - "
            "(e.g. ^RUT, ^GSPC, IWM)",
        )
    if len(_TICKERS) < 4096:
        _TICKERS[value] = symbol
    return symbol


_TICKERS: dict[str, str] = {}  # text already read -> its symbol


def whole(value: Any, argument: str, *, minimum: int = 1) -> int:
    """A whole number >= ``minimum``; floats that are whole (5.0, as Excel passes them) are accepted."""
    if type(value) is int and minimum <= value <= MAX_WHOLE:  # the common case, fast
        return value
    if isinstance(value, bool):
        raise BadArgument(argument, f"expected a whole number, got {value!r}")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text)
        except ValueError:
            raise BadArgument(argument, f"expected a whole number, got {text!r}") from None
    if isinstance(value, int | np.integer):
        number = int(value)
    elif isinstance(value, float | np.floating):
        if not math.isfinite(value) or value != int(value):
            raise BadArgument(argument, f"expected a whole number, got {value!r}")
        number = int(value)
    else:
        raise BadArgument(argument, f"expected a whole number, got {value!r}")
    if number < minimum:
        raise BadArgument(argument, f"must be at least {minimum}, got {number}")
    if number > MAX_WHOLE:
        raise OutOfRange(argument, f"must be at most {MAX_WHOLE:,}, got {number:.6g}")
    return number


def threshold(value: Any, argument: str = "threshold") -> float:
    """A daily-return threshold as a fraction strictly between -1 and 1 (0.01 = 1%)."""
    if type(value) is float and -1.0 < value < 1.0:  # the common case, fast (NaN fails)
        return value
    if isinstance(value, bool):
        raise BadArgument(argument, f"expected a fraction such as 0.01, got {value!r}")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise BadArgument(argument, f"expected a fraction such as 0.01, got {text!r}") from None
    if not isinstance(value, int | float | np.integer | np.floating):
        raise BadArgument(argument, f"expected a fraction such as 0.01, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or not -1.0 < number < 1.0:
        raise BadArgument(
            argument, f"must be a fraction between -1 and 1 (0.01 means 1%), got {value!r}"
        )
    return number


@dataclass(frozen=True, slots=True)
class Window:
    """A look-back: ``rows`` trading days, or a calendar ``period`` ("1W", "1M", ..., "YTD")."""

    rows: int = 0
    period: str = ""

    def __str__(self) -> str:
        return self.period or str(self.rows)


_WINDOW_CACHE: dict[Any, Window] = {}


def window(value: Any, argument: str = "window") -> Window:
    """A whole number of trading days (21, 63, 252) or a calendar period ("1W" ... "1Y", "YTD")."""
    if type(value) is Window:
        return value
    key = (type(value), value) if not isinstance(value, float) or math.isfinite(value) else None
    if key is not None:
        try:
            cached = _WINDOW_CACHE.get(key)
        except TypeError:  # unhashable input
            cached = None
        if cached is not None:
            return cached
    if isinstance(value, Window):
        return value
    if isinstance(value, str):
        text = value.strip().upper()
        if text in CALENDAR_WINDOWS:
            result = Window(period=text)
        elif re.fullmatch(r"\d+(\.0+)?", text):
            result = Window(rows=whole(text, argument))
        else:
            raise BadArgument(
                argument,
                f"{value!r} is not a window: use a number of trading days (21, 63, 252) "
                f"or one of {', '.join(CALENDAR_WINDOWS)}",
            )
    else:
        result = Window(rows=whole(value, argument))
    if key is not None and len(_WINDOW_CACHE) < 1024:
        _WINDOW_CACHE[key] = result
    return result


def flag(value: Any, argument: str) -> bool:
    """A yes/no argument: ``True`` or ``False`` only (a numpy bool too). The text "false"
    or a number is refused, never read as true because it is not empty."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise BadArgument(argument, f"expected True or False, got {value!r}")


def path(value: Any, argument: str) -> str:
    """A file path given as text or a path object (``pathlib.Path``, ``os.PathLike`` of
    text), as text; bytes, numbers, lists, None and a NUL character are refused."""
    text = value if isinstance(value, str) else (
        value.__fspath__() if isinstance(value, os.PathLike) else None)
    if not isinstance(text, str):
        raise BadArgument(argument, f"expected a file path (text or pathlib.Path), got "
                          f"{type(value).__name__} {repr(value)[:60]}")
    if "\0" in text:
        raise BadArgument(argument, f"{text[:60]!r} is not a path: it holds a NUL character")
    return text


EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
EXCEL_SERIAL_OF_EPOCH = 25569  # Excel's serial number of 1970-01-01
EXCEL_PHANTOM_SERIAL = 60  # Excel's 1900-02-29, which never was
_ISO_CACHE: dict[str, int] = {}
_FIRST_DAY_NUMBER = dt.date(1, 1, 1).toordinal() - EPOCH_ORDINAL  # what datetime.date holds
_LAST_DAY_NUMBER = dt.date(9999, 12, 31).toordinal() - EPOCH_ORDINAL
# YYYY-MM-DD, optionally with a midnight time as spreadsheets write it; nothing else after it
_ISO_TEXT = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?)?")
_SERIAL_TEXT = re.compile(r"\d{1,7}(?:\.\d+)?")


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01 (the integer behind ``numpy.datetime64[D]``)."""
    return day.toordinal() - EPOCH_ORDINAL


def date(value: Any, argument: str) -> int:
    """A calendar day as a day number (days since 1970-01-01, as in ``datetime64[D]``).

    Accepts ``datetime.date``/``datetime``, pandas/numpy timestamps, ISO text
    ("2024-07-16"), a year (a whole number from 1000 to 9999, as a number or as text:
    1 January of it) and Excel serial numbers (45489 = 2024-07-16; a serial from 1000 to
    9999, 1902 to 1927, is read as a year: write such a day as a date).
    """
    if isinstance(value, str):
        text = value.strip()
        cached = _ISO_CACHE.get(text)
        if cached is not None:
            return cached
        if _SERIAL_TEXT.fullmatch(text):  # an Excel serial typed as text (CLI, HTTP)
            return date(float(text), argument)
        match = _ISO_TEXT.fullmatch(text)
        try:
            if match is None:
                raise ValueError(text)
            number = day_number(dt.date.fromisoformat(match[1]))
        except ValueError:
            raise BadArgument(
                argument, f"{value!r} is not a date: write it as YYYY-MM-DD, e.g. 2024-07-16, "
                "or an Excel serial number"
            ) from None
        if len(_ISO_CACHE) < 4096:
            _ISO_CACHE[text] = number
        return number
    if isinstance(value, dt.datetime):
        if value != value:  # pandas NaT is a datetime that equals nothing
            raise BadArgument(argument, "expected a date, got an empty date (NaT)")
        return day_number(value.date())
    if isinstance(value, dt.date):
        return day_number(value)
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise BadArgument(argument, "expected a date, got an empty date")
        number = int(value.astype("datetime64[D]").astype("int64"))
        if not _FIRST_DAY_NUMBER <= number <= _LAST_DAY_NUMBER:
            raise BadArgument(argument, f"{value} is not a date from year 1 to 9999")
        return number
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        serial = float(value)
        if FIRST_YEAR <= serial < FIRST_YEAR * 10:  # a bare four-digit number: a year
            return _year(serial, value, argument)
        if not math.isfinite(serial) or not 1 <= serial < 2958466:
            raise BadArgument(argument, f"{value!r} is not an Excel date serial number")
        return serial_day(int(serial), argument)
    raise BadArgument(argument, f"expected a date such as 2024-07-16, got {value!r}")


FIRST_YEAR = 1000  # a number from 1000 to 9999 where a date is expected is a year


def _year(number: float, value: Any, argument: str) -> int:
    """1 January of the year ``number`` (a whole number from 1000 to 9999), as a day number:
    "2000" means the year 2000, never Excel's serial 2000 (1905-06-22)."""
    if number != int(number):
        raise BadArgument(argument, f"{value!r} is neither a year (a whole number from "
                          f"{FIRST_YEAR} to 9999) nor a date: write a date as YYYY-MM-DD")
    return day_number(dt.date(int(number), 1, 1))


def elements(array: Any) -> Any:
    """An array argument as numpy (a pandas Series or Index: its ``to_numpy()``; a list
    stays a list), datetime elements kept as ``numpy.datetime64`` in an object array
    (``tolist`` or ``astype(object)`` would make a nanosecond date an integer and NaT
    None: "the latest day"), so each is read as a date, and a NaT is an element error."""
    if hasattr(array, "to_numpy"):
        array = array.to_numpy()
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "mM":
        return array
    out = np.empty(array.shape, dtype=object)
    out.ravel()[:] = list(array.ravel())
    return out
def serial_day(serial: int, argument: str) -> int:
    """The day number of a whole Excel serial, the date Excel shows for it. Excel counts
    1900 as a leap year (Lotus 1-2-3's bug): 1 is 1900-01-01, 59 is 1900-02-28, 61 is
    1900-03-01, and 60 is its 1900-02-29, a day that never was, so it is refused."""
    if serial >= EXCEL_PHANTOM_SERIAL + 1:
        return serial - EXCEL_SERIAL_OF_EPOCH
    if serial == EXCEL_PHANTOM_SERIAL:
        raise BadArgument(argument, "60 is Excel's 1900-02-29, a day that never was (Excel "
                          "counts 1900 as a leap year): use 59 for 1900-02-28 or 61 for "
                          "1900-03-01")
    return serial - EXCEL_SERIAL_OF_EPOCH + 1  # before the phantom day: one day later


def optional_date(value: Any, argument: str) -> int | None:
    """Like :func:`date`, with ``None`` and empty text meaning "not given"."""
    kind = type(value)
    if kind is dt.date or (kind is dt.datetime and value == value):  # the common case, fast
        return value.toordinal() - EPOCH_ORDINAL
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return date(value, argument)


def calendar_date(value: Any, argument: str) -> dt.date:
    """Like :func:`date`, as a ``datetime.date`` (a ``datetime`` is kept as it is)."""
    if type(value) is dt.datetime or type(value) is dt.date:
        return value
    return to_date(date(value, argument))


def to_date(day: int | np.datetime64) -> dt.date:
    """A day number or ``numpy.datetime64`` to ``datetime.date``."""
    if isinstance(day, np.datetime64):
        return day.astype("datetime64[D]").item()
    return dt.date.fromordinal(int(day) + EPOCH_ORDINAL)
