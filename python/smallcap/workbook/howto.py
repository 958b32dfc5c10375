"""The "How to use" note at the top of the Story sheet: what the cells are, how to
refresh them, and what an error text or ``#NAME?`` means."""

from __future__ import annotations

from typing import Any

HOW_TO_USE = (
    "How to use: every number below is a live formula calling smallcap's functions "
    "(RUT_STREAK, STREAK_COUNT, ROTATION_SPREAD, ...). The file opens with the values "
    "computed when it was built; with the smallcap add-in loaded, press "
    "Small Caps > Refresh data to fetch new prices into the Data sheet and recalculate "
    "(or Ctrl+Alt+F9). Column E asks each question for the note day, column F for the "
    "latest stored day: change E5 to ask about another day. Try your own tickers, "
    "thresholds and windows on the Explore sheet; the charts are on Charts. Percentages "
    "are fractions formatted as %. A cell starting with # names what went wrong "
    "(e.g. #N/A no data for ^XYZ — refresh first). #NAME? means Excel has not linked the "
    "formulas to the add-in: load it, then press Small Caps > Refresh data, which "
    "re-enters them."
)
HEIGHT = 86  # points: the note's row shows it whole at the Story's column widths


def write_note(sheet: Any, row: int, first_col: int, last_col: int, fmt: Any) -> None:
    """The note, merged across one row from ``first_col`` to ``last_col``."""
    sheet.merge_range(row, first_col, row, last_col, HOW_TO_USE, fmt)
    sheet.set_row(row, HEIGHT)
