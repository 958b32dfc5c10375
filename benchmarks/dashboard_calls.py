"""Every smallcap call in the dashboard workbook (``workbook/smallcap.xlsx``), with its
arguments as the cells hand them over (references read from the workbook's cached
values), for ``bench_cold.py`` to call once each through ``smallcap.udfs``.

Arguments understood: text, numbers, TRUE/FALSE, a cell or a range (its cached values),
``IF(ISBLANK(ref), a, b)`` and ``ref - number``; a call with any other argument is
reported and left out.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

WORKBOOK = Path(__file__).resolve().parents[1] / "workbook" / "smallcap.xlsx"
REF = re.compile(r"^(?:(?P<sheet>\w+)!)?\$?(?P<col>[A-Z]+)\$?(?P<row>\d+)"
                 r"(?::\$?(?P<col2>[A-Z]+)\$?(?P<row2>\d+))?$")


def _split(text: str) -> list[str]:
    """Top-level comma-separated parts of ``text`` (quotes and brackets respected)."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0 and ch == ",":
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _closing(text: str, opening: int) -> int:
    depth, quoted = 0, False
    for i in range(opening, len(text)):
        ch = text[i]
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError(f"unbalanced brackets in {text!r}")


class _Cells:
    def __init__(self, book: Any, sheet: str) -> None:
        self.book, self.sheet = book, sheet

    def value(self, text: str) -> Any:
        if text == "":
            return None
        if text.startswith('"') and text.endswith('"'):
            return text[1:-1]
        if text.upper() in ("TRUE", "FALSE"):
            return text.upper() == "TRUE"
        try:
            return float(text)
        except ValueError:
            pass
        match = REF.match(text)
        if match:
            sheet = self.book[match["sheet"] or self.sheet]
            first = f"{match['col']}{match['row']}"
            if match["col2"] is None:
                return sheet[first].value
            return [[c.value for c in row] for row in sheet[f"{first}:{match['col2']}{match['row2']}"]]
        upper = text.upper()
        if upper.startswith("IF(") and text.endswith(")"):
            cond, yes, no = _split(text[3:-1])
            if cond.upper().startswith("ISBLANK(") and cond.endswith(")"):
                return self.value(yes if self.value(cond[8:-1]) is None else no)
        left, sep, right = text.rpartition("-")
        if sep and left:
            base, step = self.value(left), self.value(right)
            if isinstance(base, dt.datetime):
                return base - dt.timedelta(days=step)
            return base - step
        raise ValueError(f"cannot read the argument {text!r}")


def calls(names: set[str], workbook: Path = WORKBOOK) -> tuple[list[tuple[str, tuple]], list[str]]:
    """Every call of one of ``names`` in the workbook's formulas, in sheet order, as
    ``(name, arguments)``; and the calls left out (with why)."""
    import openpyxl

    formulas = openpyxl.load_workbook(workbook)
    values = openpyxl.load_workbook(workbook, data_only=True)
    pattern = re.compile(r"(?<![\w.])(" + "|".join(sorted(names, key=len, reverse=True)) + r")\(")
    found, skipped = [], []
    for sheet in formulas:
        cells = _Cells(values, sheet.title)
        for row in sheet.iter_rows():
            for cell in row:
                text = getattr(cell.value, "text", cell.value)
                if not isinstance(text, str) or not text.startswith("="):
                    continue
                for match in pattern.finditer(text):
                    end = _closing(text, match.end() - 1)
                    inner = text[match.end():end]
                    try:
                        args = tuple(cells.value(a) for a in _split(inner)) if inner else ()
                    except (ValueError, TypeError) as exc:
                        skipped.append(f"{sheet.title}!{cell.coordinate}: {exc}")
                        continue
                    found.append((match.group(1), args))
    return found, skipped
