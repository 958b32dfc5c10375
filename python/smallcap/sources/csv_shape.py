"""The shape of a price CSV, checked before it is parsed: limits on every line, and what
each column of the header means.

Limits (the same for the header and for every data line, so a file with one huge row
is refused as fast as one with a huge header): at most :data:`MAX_COLUMNS` fields per
line, :data:`MAX_FIELD_BYTES` bytes per field and :data:`MAX_ROWS` data rows. The check
scans the bytes once with regular expressions (no per-line Python loop, no copy) and
names the first line that breaks a limit.

Columns: each header name is read case- and space-insensitively (``" close "`` is Close;
Yahoo's web-table footnote marks, ``Close*`` and ``Adj Close**``, are dropped), and must
mean one known column (:data:`MEANINGS`). Two columns that mean the same (``Close`` and
``CLOSE``), a column smallcap does not know, or a missing Date or Close are refused in
one line: no column silently wins.
"""

from __future__ import annotations

import csv
import re

from ..errors import CsvFormatError

MAX_COLUMNS = 64  # fields per line: a Yahoo file has 7; more is the wrong file
MAX_FIELD_BYTES = 256  # bytes per field: a date with time and offset, or a number, is < 40
MAX_ROWS = 100_000  # data rows: one a calendar day from 1900 to 2100 is 73,415

#: Header name (lower case, single spaces, ``_`` as a space) -> the column it means.
MEANINGS = {
    "date": "date", "close": "close", "adj close": "adj close", "adjclose": "adj close",
    "adjusted close": "adj close", "open": "open", "high": "high", "low": "low",
    "volume": "volume", "dividends": "dividends", "stock splits": "stock splits",
    "capital gains": "capital gains",
}
KNOWN = "Date, Open, High, Low, Close, Adj Close, Volume, Dividends, Stock Splits, Capital Gains"

_LONG_FIELD = re.compile(rb"[^,\r\n]{%d}" % (MAX_FIELD_BYTES + 1))
_WIDE_LINE = re.compile(rb"^(?:[^,\n]*,){%d}" % MAX_COLUMNS, re.MULTILINE)


def _line(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def check_shape(data: bytes, name: str) -> None:
    """Raise :class:`CsvFormatError` naming the first line of ``data`` (the file ``name``)
    with more than :data:`MAX_COLUMNS` fields or a field over :data:`MAX_FIELD_BYTES`
    bytes, or the line after :data:`MAX_ROWS` data rows."""
    found: list[tuple[int, str]] = []
    wide = _WIDE_LINE.search(data)
    if wide is not None:
        found.append((_line(data, wide.start()), f"has more than {MAX_COLUMNS} fields"))
    long = _LONG_FIELD.search(data)
    if long is not None:
        found.append((_line(data, long.start()), f"has a field of more than "
                      f"{MAX_FIELD_BYTES} bytes"))
    if data.count(b"\n", 0, len(data) - 1) > MAX_ROWS:  # header + rows, a last \n aside
        found.append((MAX_ROWS + 2, f"is past the limit of {MAX_ROWS:,} data rows"))
    if found:
        line, what = min(found)
        raise CsvFormatError(f"{name}, line {line}: {what}; expected a Yahoo-style price "
                             "file (Date, Close[, Adj Close], one row a day)")


def _key(header: str) -> str:
    return " ".join(header.strip().rstrip("*").replace("_", " ").lower().split())


def header_columns(data: bytes, name: str) -> list[str]:
    """The meaning of each column of the header line of ``data`` (``date``, ``close``,
    ``adj close``, ...), in order; raises :class:`CsvFormatError` for an unknown,
    unnamed or repeated meaning, or no Date or Close."""
    end = data.find(b"\n")
    first = data[: end if end >= 0 else len(data)]
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvFormatError(f"{name}, line 1: the header is not UTF-8 text") from None
    if not text.strip():
        raise CsvFormatError(f"{name}: the file is empty" if not data.strip()
                             else f"{name}, line 1: the header is empty")
    names = next(csv.reader([text.rstrip("\r")], skipinitialspace=True))
    meanings: list[str] = []
    seen: dict[str, int] = {}
    for number, header in enumerate(names, start=1):
        key = _key(header)
        meaning = MEANINGS.get(key)
        if meaning is None:
            what = f"column {number} has no name" if not key else (
                f"column {number} ({header!r}) is not a column smallcap knows")
            raise CsvFormatError(f"{name}, line 1: {what}; a price file has {KNOWN} "
                                 "(rename or remove the column)")
        if meaning in seen:
            raise CsvFormatError(
                f"{name}, line 1: columns {seen[meaning]} ({names[seen[meaning] - 1]!r}) and "
                f"{number} ({header!r}) both mean {meaning.title()}; keep one of them")
        seen[meaning] = number
        meanings.append(meaning)
    for required in ("date", "close"):
        if required not in seen:
            raise CsvFormatError(
                f"{name}, line 1: no '{required.title()}' column (found: {', '.join(names)}); "
                "expected Date, Close[, Adj Close]")
    return meanings
