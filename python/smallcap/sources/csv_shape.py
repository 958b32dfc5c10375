"""The shape of a price CSV, checked before it is parsed: limits on every line, and what
each column of the header means.

Limits (the same for the header and for every data line, so a file with one huge row
is refused as fast as one with a huge header): at most :data:`MAX_COLUMNS` fields per
line, :data:`MAX_FIELD_BYTES` bytes per field and :data:`MAX_ROWS` data rows. The check
scans the bytes once, a chunk at a time with numpy (no per-line Python loop, no copy of
the file), and names the first line that breaks a limit.

Columns: each header name is read case- and space-insensitively (``" close "`` is Close;
Yahoo's web-table footnote marks, ``Close*`` and ``Adj Close**``, are dropped), and must
mean one known column (:data:`MEANINGS`). Two columns that mean the same (``Close`` and
``CLOSE``), a column smallcap does not know, or a missing Date or Close are refused in
one line: no column silently wins.
"""

from __future__ import annotations

import csv

import numpy as np

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

CHUNK = 1 << 20  # bytes scanned at once: bounded memory (a few MB), whatever the file


def check_shape(data: bytes, name: str) -> None:
    """Raise :class:`CsvFormatError` naming the first line of ``data`` (the file ``name``)
    with more than :data:`MAX_COLUMNS` fields or a field over :data:`MAX_FIELD_BYTES`
    bytes, or the line after :data:`MAX_ROWS` data rows. Scans the bytes in chunks with
    numpy (a comma, CR or LF ends a field; commas are counted per line) and stops at the
    first chunk holding a violation."""
    found = first_violation(data)
    if found is not None:
        line, what = found
        raise CsvFormatError(f"{name}, line {line}: {what}; expected a Yahoo-style price "
                             "file (Date, Close[, Adj Close], one row a day)")


def first_violation(data: bytes) -> tuple[int, str] | None:
    """The first line of ``data`` over a limit and what is wrong with it, or None."""
    array = np.frombuffer(data, dtype=np.uint8)
    line, field_start, commas = 1, 0, 0  # at the chunk's start: its line, the open field's
    for offset in range(0, len(array), CHUNK):  # first byte, the open line's commas
        part = array[offset:offset + CHUNK]
        newline = np.flatnonzero(part == 10)
        is_comma = part == 44
        found: list[tuple[int, str]] = []
        ends = np.flatnonzero(is_comma | (part == 10) | (part == 13))
        starts = np.concatenate(([field_start - offset], ends + 1))
        lengths = np.append(ends, len(part)) - starts  # the open field: as far as it goes
        over = np.flatnonzero(lengths > MAX_FIELD_BYTES)
        if len(over):
            at = max(int(starts[over[0]]), 0)
            found.append((line + int(np.searchsorted(newline, at)),
                          f"has a field of more than {MAX_FIELD_BYTES} bytes"))
        running = np.cumsum(is_comma, dtype=np.int64)
        closed = running[newline] if len(newline) else np.zeros(0, dtype=np.int64)
        per_line = np.diff(closed, prepend=0)
        per_line[:1] += commas
        tail = int(running[-1]) - (int(closed[-1]) if len(closed) else -commas)
        wide = np.flatnonzero(np.append(per_line, tail) >= MAX_COLUMNS)
        if len(wide):
            found.append((line + int(wide[0]), f"has more than {MAX_COLUMNS} fields"))
        past = MAX_ROWS + 1 - (line - 1)  # the newline that ends the last row allowed
        if 0 < past <= len(newline) and offset + int(newline[past - 1]) < len(array) - 1:
            found.append((MAX_ROWS + 2, f"is past the limit of {MAX_ROWS:,} data rows"))
        if found:
            return min(found)
        line += len(newline)
        commas = tail
        if len(ends):
            field_start = offset + int(ends[-1]) + 1
    return None


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
