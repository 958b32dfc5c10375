"""The whole workbook: document properties, the sheets in order, one call per sheet."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

from .. import api
from ..store import Store
from . import charts, data, explore, forward_chart, story
from .cells import using
from .layout import CACHED_SHEET, CALC_ID, CHART_START, CREATED, NOTE_DAY, SHEETS, Builder, BuildResult

PROPERTIES = {
    "title": "smallcap dashboard",
    "subject": "Small-cap rally analytics: the July 2024 note, checked in cells",
    "author": "smallcap",
    "company": "",
    "comments": "Built by `smallcap workbook build`; see workbook/README.md",
    "created": CREATED,
}


def build(path: str | os.PathLike[str], *, store: Store | str | os.PathLike[str] | None = None,
          note_day: dt.date = NOTE_DAY, chart_start: dt.date = CHART_START,
          static: bool = False,
          jitter: Callable[[float], float] | None = None) -> BuildResult:
    """Write the dashboard workbook to ``path`` from ``store`` (default: the current store).

    Deterministic: the same store gives the same file (fixed document properties, zip
    timestamps, cached numbers rounded to ten significant digits so that no machine's
    last bits reach the file). With ``static`` every formula is replaced by its value
    (same layout and charts). ``jitter`` is a test hook applied to every computed number
    before it is cached (another machine's rounding)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with using(store):
        table = api.data_table()
        return _write(Builder(target, note_day, chart_start, static, jitter), table)


def _write(b: Builder, table: object) -> BuildResult:
    b.book.set_properties(dict(PROPERTIES))
    b.book.set_calc_mode("auto", calc_id=CALC_ID)
    # Show the cached values on open; recalculate when inputs change or on Refresh.
    b.book.calc_on_load = False
    sheets = {name: b.book.add_worksheet(name) for name in SHEETS}
    if not b.static:  # the build-time values of the array formulas, out of sight
        b.cached_sheet = b.book.add_worksheet(CACHED_SHEET)
        b.cached_sheet.hide()
    # Data first: the charts read its columns.
    data.write(b, sheets["Data"], table)
    story.write(b, sheets["Story"])
    explore.write(b, sheets["Explore"])
    fwd = charts.write(b, sheets["Charts"], table)
    forward_chart.write(b, sheets["Charts"], fwd)
    sheets["Story"].activate()
    b.book.close()
    return b.result
