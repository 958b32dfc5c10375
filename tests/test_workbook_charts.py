"""The charts follow the Data sheet: after a refresh adds days, a recalculation moves
every day chart to the new last day, no rebuild needed.

The workbook is built from a store that ends on 2024-07-10; the next four trading days
are then appended to its Data sheet (as the ribbon's Refresh would write them) and the
file is recalculated headless by LibreOffice, which computes every formula on load and
redraws the charts from their (plain) source ranges. The chart source cells, and the
charts LibreOffice writes back, must end on 2024-07-16 with the values the Python API
gives for those days.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from test_workbook_render import libreoffice  # noqa: F401 (fixture)

from smallcap import api, workbook
from smallcap.store import Store
from smallcap.workbook import charts

# openpyxl cannot read back the charts LibreOffice writes (it reads only cell values here)
pytestmark = pytest.mark.filterwarnings("ignore:Unable to read chart:UserWarning")

CUT = "2024-07-10"
NEW_DAYS = ("2024-07-11", "2024-07-12", "2024-07-15", "2024-07-16")
TICKERS = (("^RUT", "RUT.csv"), ("^GSPC", "GSPC.csv"))
TOP = charts.HEAD_ROW + 2  # Excel row of the first window and tail row


def append_rows(path: Path, target: Path, rows: list[list[float]]) -> None:
    """Copy the workbook ``path`` to ``target`` with ``rows`` (numbers: an Excel date,
    then the closes) appended to its Data sheet, every other byte kept (the charts too:
    openpyxl would drop them)."""
    index = workbook.SHEETS.index("Data") + 1
    part = f"xl/worksheets/sheet{index}.xml"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w",
                                                         zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == part:
                xml = data.decode()
                last = max(int(r) for r in re.findall(r'<row r="(\d+)"', xml))
                styles = re.findall(r'<c r="[A-Z]+' + str(last) + r'" s="(\d+)"', xml)
                added = []
                for i, values in enumerate(rows, start=last + 1):
                    cells = "".join(
                        f'<c r="{openpyxl.utils.get_column_letter(j + 1)}{i}" '
                        f's="{styles[min(j, len(styles) - 1)]}"><v>{v!r}</v></c>'
                        for j, v in enumerate(values))
                    added.append(f'<row r="{i}">{cells}</row>')
                xml = xml.replace("</sheetData>", "".join(added) + "</sheetData>")
                end = last + len(rows)
                xml = re.sub(r'<dimension ref="A1:([A-Z]+)\d+"/>',
                             lambda m, end=end: f'<dimension ref="A1:{m[1]}{end}"/>', xml)
                data = xml.encode()
            out.writestr(info, data)


@pytest.fixture(scope="module")
def early(shared_data, tmp_path_factory) -> Path:
    """The workbook built from ^RUT and ^GSPC up to 2024-07-10."""
    folder = tmp_path_factory.mktemp("follow")
    store = Store(folder / "early.sqlite")
    for ticker, name in TICKERS:
        lines = (shared_data / name).read_text().splitlines()
        kept = [lines[0], *(line for line in lines[1:] if line[:10] <= CUT)]
        (folder / name).write_text("\n".join(kept) + "\n")
        api.load_csv(ticker, folder / name, store=store)
    built = workbook.build(folder / "early.xlsx", store=store)
    store.close()
    return built.path


@pytest.fixture(scope="module")
def refreshed(early, reference_store, libreoffice) -> openpyxl.Workbook:  # noqa: F811
    """The early workbook with four more days on its Data sheet, recalculated by
    LibreOffice: its cached values as LibreOffice computed them."""
    table = api.data_table(["^RUT", "^GSPC"], store=reference_store)
    new = table[table["date"].astype(str).isin(NEW_DAYS)]
    assert len(new) == len(NEW_DAYS)
    header = next(openpyxl.load_workbook(early, read_only=True)["Data"].iter_rows(
        max_row=1, values_only=True))
    assert list(header) == ["date", "^RUT", "^GSPC"]
    rows = [[workbook.serial(day), float(rut), float(gspc)]
            for day, rut, gspc in new.itertuples(index=False)]
    patched = early.with_name("refreshed.xlsx")
    append_rows(early, patched, rows)
    out = workbook.convert(patched, early.parent / "lo", "xlsx", recalculate=True)
    return openpyxl.load_workbook(out, data_only=True)


def day(value) -> str:
    return value.date().isoformat() if isinstance(value, dt.datetime) else str(value)


def window(sheet, n: int) -> list[tuple]:
    """The Charts window rows (date, small rebased, large rebased, spread, month-ago row)."""
    return [tuple(sheet.cell(TOP + i, charts.WINDOW_COL + 1 + j).value for j in range(5))
            for i in range(n)]


def window_size(path: Path) -> int:
    sheet = openpyxl.load_workbook(path)["Charts"]
    n = 0
    while sheet.cell(TOP + n, charts.WINDOW_COL + 1).value is not None:
        n += 1
    return n


def test_libreoffice_computes_what_the_builder_cached(early, libreoffice):  # noqa: F811
    """Recalculated by LibreOffice as built, the chart source cells hold the values the
    builder cached: the two compute the same formulas the same way."""
    n = window_size(early)
    cached = window(openpyxl.load_workbook(early, data_only=True)["Charts"], n)
    out = workbook.convert(early, early.parent / "lo-as-built", "xlsx", recalculate=True)
    computed = window(openpyxl.load_workbook(out, data_only=True)["Charts"], n)
    assert day(computed[-1][0]) == CUT
    for want, got in zip(cached, computed, strict=True):
        assert day(got[0]) == day(want[0])
        for a, b in zip(want[1:], got[1:], strict=True):
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (want, got)


def test_day_charts_end_on_the_new_last_day(early, refreshed, reference_store):
    n = window_size(early)
    sheet = refreshed["Charts"]
    rows = window(sheet, n)
    assert sheet.cell(TOP + n, charts.WINDOW_COL + 1).value is None  # still n rows
    dates = [day(r[0]) for r in rows]
    assert tuple(dates[-len(NEW_DAYS):]) == NEW_DAYS
    # The window slid by four days: rebased to 100 on its new first day.
    before = window(openpyxl.load_workbook(early, data_only=True)["Charts"], n)
    assert dates[0] == day(before[len(NEW_DAYS)][0])
    assert rows[0][1] == rows[0][2] == 100
    s = reference_store
    first = dates[0]
    for (date, small, large, spread, _), want in zip(rows[-len(NEW_DAYS):], NEW_DAYS,
                                                      strict=True):
        assert day(date) == want
        for got, ticker in ((small, "^RUT"), (large, "^GSPC")):
            rebased = api.price(ticker, want, store=s) / api.price(ticker, first, store=s) * 100
            assert math.isclose(got, rebased, rel_tol=1e-9), (want, ticker)
        assert math.isclose(spread, api.rotation_spread("1M", "^RUT", "^GSPC", want, store=s),
                            rel_tol=1e-9, abs_tol=1e-12), want
    assert round(rows[-1][3], 4) == 0.0850  # the note's one-month spread
    # The cells above the charts say which days they show.
    top_row = charts.ANCHOR_ROW + 1
    assert day(sheet.cell(top_row, 8).value) == first
    assert day(sheet.cell(top_row, 10).value) == NEW_DAYS[-1]


def test_redrawn_charts_end_on_the_new_last_day(early, refreshed):
    """LibreOffice writes the charts it redrew from their source ranges back with their
    points: the day charts' last category is the new last day."""
    out = early.parent / "lo" / "refreshed.xlsx"
    with zipfile.ZipFile(out) as z:
        names = sorted(n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
        xml = [z.read(n).decode() for n in names]
    day_charts = [x for x in xml if "rebased" in x or "spread" in x]
    assert len(day_charts) == 2
    for chart in day_charts:
        categories = re.findall(r"<c:cat>.*?</c:cat>", chart, flags=re.S)
        assert categories
        for cat in categories:  # LibreOffice writes them as shown (yyyy-mm-dd)
            points = re.findall(r"<c:v>([^<]+)</c:v>", cat)
            assert points and points[-1] == NEW_DAYS[-1], points[-3:]


def rewrite_data(path: Path, target: Path, header: list[str], rows: list[list]) -> None:
    """Copy the workbook ``path`` to ``target`` with its Data sheet replaced by ``header``
    and ``rows`` (an Excel date, then closes or None), every other part kept."""
    index = workbook.SHEETS.index("Data") + 1
    part = f"xl/worksheets/sheet{index}.xml"
    letters = [openpyxl.utils.get_column_letter(j + 1) for j in range(len(header))]
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w",
                                                         zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == part:
                xml = data.decode()
                head = "".join(f'<c r="{c}1" t="inlineStr"><is><t>{name}</t></is></c>'
                               for c, name in zip(letters, header, strict=True))
                body = [f'<row r="1">{head}</row>']
                for i, values in enumerate(rows, start=2):
                    cells = "".join(f'<c r="{c}{i}"><v>{v!r}</v></c>'
                                    for c, v in zip(letters, values, strict=True)
                                    if v is not None)
                    body.append(f'<row r="{i}">{cells}</row>')
                data_xml = "<sheetData>" + "".join(body) + "</sheetData>"
                xml = re.sub(r"<sheetData>.*</sheetData>", lambda _, d=data_xml: d, xml,
                             flags=re.S)
                xml = re.sub(r'<dimension ref="[^"]*"/>',
                             f'<dimension ref="A1:{letters[-1]}{len(rows) + 1}"/>', xml)
                data = xml.encode()
            out.writestr(info, data)


def test_charts_find_their_tickers_by_name(early, reference_store, libreoffice):  # noqa: F811
    """A Data sheet with other tickers in another order (^NDX first, ^RUT last, as a
    refresh of another ticker list writes it): recalculated, the chart cells still read
    ^RUT and ^GSPC, found by the names heading them, up to the new last day."""
    order = ["^NDX", "^GSPC", "^RUT"]
    table = api.data_table(order, store=reference_store)
    table = table[table["date"].astype(str) <= NEW_DAYS[-1]]
    rows = [[workbook.serial(r[0]), *(None if v != v else float(v) for v in r[1:])]
            for r in table[["date", *order]].itertuples(index=False)]
    patched = early.with_name("reordered.xlsx")
    rewrite_data(early, patched, ["date", *order], rows)
    out = workbook.convert(patched, early.parent / "lo-reordered", "xlsx", recalculate=True)
    sheet = openpyxl.load_workbook(out, data_only=True)["Charts"]
    n = window_size(early)
    got = window(sheet, n)
    assert day(got[-1][0]) == NEW_DAYS[-1]
    first = day(got[0][0])
    s = reference_store
    for date, small, large, spread, _ in got[-len(NEW_DAYS):]:
        want = day(date)
        for value, ticker in ((small, "^RUT"), (large, "^GSPC")):
            rebased = api.price(ticker, want, store=s) / api.price(ticker, first, store=s) * 100
            assert math.isclose(value, rebased, rel_tol=1e-9), (want, ticker, value)
        assert math.isclose(spread, api.rotation_spread("1M", "^RUT", "^GSPC", want, store=s),
                            rel_tol=1e-9, abs_tol=1e-12), want
