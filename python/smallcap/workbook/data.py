"""The Data sheet: :func:`smallcap.api.data_table` at A1 (dates, then one column of
adjusted closes per ticker), the sheet the ribbon's Refresh rewrites."""

from __future__ import annotations

from typing import Any

from .cells import serial, udfs
from .layout import Builder, page_setup

PRINTED_ROWS = 40  # the first rows fit one printed page


def write(b: Builder, sheet: Any, table: Any) -> dict[str, int]:
    """Write ``table``; returns each column name's 0-based column index."""
    rows = udfs().table_rows(table)
    header, body = rows[0], rows[1:]
    sheet.write_row(0, 0, header, b.fmt["head"])
    sheet.set_column(0, 0, 11, b.fmt["date"])
    sheet.set_column(1, len(header) - 1, 11, b.fmt["close"])
    date_fmt, close_fmt = b.fmt["date"], b.fmt["close"]
    for i, cells in enumerate(body, start=1):
        sheet.write_number(i, 0, serial(cells[0]), date_fmt)
        for j in range(1, len(cells)):
            value = cells[j]
            if value is not None:
                sheet.write_number(i, j, value, close_fmt)
    sheet.freeze_panes(1, 1)
    page_setup(sheet, PRINTED_ROWS, len(header) - 1)
    b.result.data_rows = len(body)
    return {str(name): j for j, name in enumerate(header)}
