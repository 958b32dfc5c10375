"""Helpers for the Excel-layer tests: Excel-shaped values, a stand-in for the few parts of
an xlwings Book that :func:`smallcap.ribbon.main` touches, reading the add-in back, and
finding the dashboard's rotation monitor."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

ADDIN_CONTENT_TYPE = b"application/vnd.ms-excel.addin.macroEnabled.main+xml"
XLSM_CONTENT_TYPE = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"


def excel_value(value: Any) -> Any:
    """What an Excel cell holds for a Python value (written independently of smallcap):
    dates as midnight datetimes, NaN/NaT as None, numpy scalars as Python numbers."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, dt.datetime):  # incl. pandas Timestamp: a plain naive datetime
        return dt.datetime(value.year, value.month, value.day, value.hour, value.minute,
                           value.second, value.microsecond)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
        if isinstance(value, dt.date):
            return excel_value(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def excel_table(frame: pd.DataFrame) -> list[list[Any]]:
    """A DataFrame as Excel shows a spilled table: header row, then the rows."""
    rows = [[excel_value(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    return [[str(c) for c in frame.columns], *rows]


def same_cells(left: Any, right: Any, rel: float = 1e-12) -> bool:
    """Cell-by-cell equality with a float tolerance (None == None)."""
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            same_cells(a, b, rel) for a, b in zip(left, right, strict=True)
        )
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=rel, abs_tol=1e-15)
    return type(left) is type(right) and left == right


# -- a stand-in for an xlwings Book -------------------------------------------------------


class FakeRange:
    def __init__(self, sheet: FakeSheet, address: str) -> None:
        self.sheet, self.address = sheet, address

    def options(self, **settings: Any) -> FakeRange:
        assert set(settings) <= {"chunksize", "ndim", "expand", "transpose", "index", "header",
                                 "err_to_str"}
        self.sheet.options.append(settings)
        return self

    @property
    def formula2(self) -> str:
        return self.sheet.formulas.get(self.address, "")

    @formula2.setter
    def formula2(self, text: str) -> None:
        """Entering a formula binds it: it no longer shows #NAME?."""
        self.sheet.reentered.append((self.address, text))
        self.sheet.formulas[self.address] = text
        self.sheet.shown[self.address] = "computed"

    @property
    def value(self) -> Any:
        return self.sheet.cells.get(self.address)

    @value.setter
    def value(self, data: Any) -> None:
        self.sheet.cells[self.address] = data
        self.sheet.writes += 1


class FakeUsedRange:
    """A sheet's used range (of its formulas and shown values): a rectangle read whole, as
    xlwings reads it (a tuple of rows; one cell: a scalar); each read is counted."""

    def __init__(self, sheet: FakeSheet) -> None:
        from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

        self.sheet = sheet
        spots = [coordinate_from_string(a) for a in {*sheet.formulas, *sheet.shown}] or [("A", 1)]
        self.row = min(r for _, r in spots)
        self.column = min(column_index_from_string(c) for c, _ in spots)
        self.rows = max(r for _, r in spots) - self.row + 1
        self.columns = max(column_index_from_string(c) for c, _ in spots) - self.column + 1
        self.err_to_str = False

    def _read(self, cells: dict[str, Any], blank: Any) -> Any:
        from openpyxl.utils.cell import get_column_letter

        self.sheet.reads += 1
        rows = tuple(tuple(cells.get(f"{get_column_letter(self.column + j)}{self.row + i}",
                                     blank) for j in range(self.columns))
                     for i in range(self.rows))
        return rows[0][0] if self.rows == self.columns == 1 else rows

    @property
    def formula2(self) -> Any:
        shown = {a: v for a, v in self.sheet.shown.items() if a not in self.sheet.formulas}
        return self._read({**shown, **self.sheet.formulas}, "")

    def options(self, **settings: Any) -> FakeUsedRange:
        assert set(settings) <= {"ndim", "err_to_str"}
        self.err_to_str = settings.get("err_to_str", False)
        return self

    @property
    def value(self) -> Any:
        shown = self.sheet.shown
        if not self.err_to_str:  # xlwings reads an error cell as None
            shown = {a: None if str(v).startswith("#") else v for a, v in shown.items()}
        return self._read(shown, None)


class FakeSheet:
    def __init__(self, name: str) -> None:
        self.name = name
        self.cells: dict[str, Any] = {"A1": [["stale"]], "Z99": "stale"}
        self.cleared = 0
        self.writes = 0
        self.options: list[dict[str, Any]] = []
        # Formulas (address -> text, as Excel's Formula2 gives it) and what each cell
        # shows; formulas re-entered, reads of the used range.
        self.formulas: dict[str, str] = {}
        self.shown: dict[str, Any] = {}
        self.reentered: list[tuple[str, str]] = []
        self.reads = 0

    @property
    def used_range(self) -> FakeUsedRange:
        return FakeUsedRange(self)

    def clear_contents(self) -> None:
        self.cells.clear()
        self.cleared += 1

    def range(self, address: str) -> FakeRange:
        return FakeRange(self, address)


class FakeAppApi:
    def __init__(self) -> None:
        self.full_calculations = 0

    def CalculateFull(self) -> None:  # noqa: N802 (COM name)
        self.full_calculations += 1


class FakeApp:
    """Records what main() shows: status bar texts, alerts, recalculations."""

    def __init__(self) -> None:
        self.statuses: list[str] = []
        self.alerts: list[tuple[str, str | None]] = []
        self.api = FakeAppApi()

    @property
    def status_bar(self) -> str | None:
        return self.statuses[-1] if self.statuses else None

    @status_bar.setter
    def status_bar(self, value: str) -> None:
        self.statuses.append(value)

    def alert(self, prompt: str, title: str | None = None, **_: Any) -> None:
        self.alerts.append((prompt, title))

    def calculate(self) -> None:  # the fallback main() should not need on Windows
        raise AssertionError("expected a full recalculation")


class FakeBook:
    def __init__(self, *sheet_names: str) -> None:
        self.app = FakeApp()
        self.sheets = [FakeSheet(n) for n in sheet_names]

    def sheet(self, name: str) -> FakeSheet:
        return next(s for s in self.sheets if s.name == name)


# -- the add-in file ----------------------------------------------------------------------


def xlam_as_xlsm(path: Path) -> io.BytesIO:
    """The add-in with the workbook part re-labelled as .xlsm, which openpyxl can read
    (it refuses the add-in content type); every other byte is the add-in's."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "[Content_Types].xml":
                assert ADDIN_CONTENT_TYPE in data
                data = data.replace(ADDIN_CONTENT_TYPE, XLSM_CONTENT_TYPE)
            target.writestr(info, data)
    buffer.seek(0)
    return buffer


# -- the dashboard's rotation monitor -----------------------------------------------------


@dataclass
class Monitor:
    """The Explore sheet's rotation monitor as the workbook holds it: its one formula,
    the ranges it reads (windows across, small and large tickers down) and the address
    of each element (``cells[i][j]``: pair ``i``, window ``j``)."""

    formula: str
    spill: str
    windows: list[Any]
    smalls: list[Any]
    larges: list[Any]
    inputs: list[str]
    cells: list[list[str]]


_MONITOR = re.compile(r"^=ROTATION_SPREAD\(([$A-Z0-9:]+),([$A-Z0-9:]+),([$A-Z0-9:]+)"
                      r"(?:,\$?[A-Z]+\$?[0-9]+)?\)$")  # then the sheet's as-of cell


def rotation_monitor(sheet: Any) -> Monitor:
    """Find the monitor by its formula (an openpyxl sheet loaded with formulas): the
    array formula ``=ROTATION_SPREAD(windows, smalls, larges[, as_of])`` over three
    ranges (and the cell of the day it asks about)."""
    from openpyxl.utils.cell import get_column_letter, range_boundaries
    from openpyxl.worksheet.formula import ArrayFormula

    from smallcap.workbook import unwrap  # the formula without its Cached fallback

    found = [c.value for row in sheet.iter_rows() for c in row
             if isinstance(c.value, ArrayFormula) and _MONITOR.match(unwrap(c.value.text))]
    assert len(found) == 1, f"expected one ROTATION_SPREAD array formula, found {found}"
    formula = found[0]
    ranges = _MONITOR.match(unwrap(formula.text)).groups()

    def addresses(rng: str) -> list[str]:
        c1, r1, c2, r2 = range_boundaries(rng.replace("$", ""))
        return [f"{get_column_letter(c)}{r}" for r in range(r1, r2 + 1)
                for c in range(c1, c2 + 1)]

    windows, smalls, larges = (addresses(r) for r in ranges)
    c1, r1, c2, r2 = range_boundaries(formula.ref)
    cells = [[f"{get_column_letter(c)}{r}" for c in range(c1, c2 + 1)]
             for r in range(r1, r2 + 1)]
    return Monitor(formula.text, formula.ref, [sheet[a].value for a in windows],
                   [sheet[a].value for a in smalls], [sheet[a].value for a in larges],
                   windows + smalls + larges, cells)
