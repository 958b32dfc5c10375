"""The dashboard workbook: layout, cached values, headless evaluation, determinism, CLI.

The workbook is built once per module from the session's reference store (the bundled sample history).
Headless evaluation uses the ``formulas`` package with smallcap's functions plugged in.
LibreOffice rendering lives in test_workbook_render.py.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from _excel_helpers import rotation_monitor
from openpyxl.utils.cell import coordinate_from_string, get_column_letter, range_boundaries
from openpyxl.worksheet.formula import ArrayFormula

import smallcap
from smallcap import api, catalogue, cli, udfs, workbook
from smallcap.errors import SmallcapError
from smallcap.store import Store

NOTE = "2024-07-16"
REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "workbook" / "smallcap.xlsx"
MONITOR_WINDOWS = ["1W", "1M", "3M", "6M", "1Y", "YTD"]
MONITOR_PAIRS = [("^RUT", "^GSPC"), ("IWM", "SPY"), ("^RUT", "^NDX"), ("IWM", "QQQ")]


# -- helpers ------------------------------------------------------------------------------


def spilled(name: str, *args: Any, store: Any) -> Any:
    """A table function's answer in the layout a cell spills (summary rows included)."""
    fn = catalogue.find(name)
    return fn.call(store, [*args, *[None] * (len(fn.arguments) - len(args))])


def norm(value: Any) -> Any:
    """A cell value in one comparable shape: dates as serials, blanks as None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date | dt.datetime):
        return workbook.serial(value)
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if type(value).__name__ == "XlError":
        return str(value)
    return value


# Cached numbers are rounded to CACHE_DIGITS significant digits (the same on every
# machine): a cached value is within half a unit of that digit of the exact one.
REL = 10.0 ** (1 - workbook.cells.CACHE_DIGITS)


def same(a: Any, b: Any) -> bool:
    a, b = norm(a), norm(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=REL, abs_tol=1e-12)
    return a == b


@functools.lru_cache(maxsize=8)
def load(path: Path, data_only: bool = False) -> openpyxl.Workbook:
    """openpyxl's view of a workbook, loaded once per test module (treat as read-only)."""
    return openpyxl.load_workbook(path, data_only=data_only)


def formula_cells(path: Path) -> dict[tuple[str, str], str]:
    """``{(sheet, "A1"): formula}`` for every cell a formula writes (whole spill ranges)."""
    book = load(path)
    found: dict[tuple[str, str], str] = {}
    for name in ("Story", "Explore", "Charts"):
        sheet = book[name]
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, ArrayFormula):
                    c1, r1, c2, r2 = range_boundaries(value.ref)
                    for r in range(r1, r2 + 1):
                        for c in range(c1, c2 + 1):
                            coordinate = sheet.cell(r, c).coordinate
                            found[(name, coordinate)] = value.text
                elif cell.data_type == "f":
                    found[(name, cell.coordinate)] = value
    return found


def cached_values(path: Path) -> dict[tuple[str, str], Any]:
    book = load(path, data_only=True)
    values = {}
    for name in ("Story", "Explore", "Charts"):
        for row in book[name].iter_rows():
            for cell in row:
                values[(name, cell.coordinate)] = cell.value
    return values


def story_rows(path: Path) -> dict[str, int]:
    """Story question text -> Excel row number."""
    sheet = load(path)["Story"]
    return {sheet.cell(r, 2).value: r for r in range(6, sheet.max_row + 1)
            if isinstance(sheet.cell(r, 2).value, str)}


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(reference_store, tmp_path_factory):
    path = tmp_path_factory.mktemp("workbook") / "smallcap.xlsx"
    result = workbook.build(path, store=reference_store)
    return result


@pytest.fixture(scope="module")
def cells(built):
    return formula_cells(built.path)


@pytest.fixture(scope="module")
def cached(built):
    return cached_values(built.path)


@pytest.fixture(scope="module")
def evaluated(built, reference_store):
    return workbook.evaluate(built.path, store=reference_store)


@pytest.fixture(scope="module")
def expected_story(reference_store) -> dict[str, tuple[Any, Any]]:
    """What the Python API answers for each Story question, (note day, latest day)."""
    return story_answers(reference_store, NOTE)


def story_answers(s, note: str) -> dict[str, tuple[Any, Any]]:
    """The API's answer to each Story question for ``note`` and for the latest day: the
    forward figures as known on each day; "what followed" is about the note day's signal."""
    latest = api.data_status("^RUT", store=s)["last_date"].iloc[0].date()

    def both(func):
        return func(note), func(latest)

    def forward(day):
        return api.forward_returns(50, 5, 0.01, "^RUT", "^GSPC", "1979-01-01", day, store=s)

    def summary(row, column):
        def get(day):
            return smallcap.summary(forward(day)).loc[row, column]
        return get

    def complete(day):
        return forward(day).dropna()  # one row per episode: the complete ones

    def last_signal(day):
        return api.streak_episodes(5, 0.01, "^RUT", "1979-01-01", day,
                                   store=s).index[-1].date()

    def followed(column):
        def get(day):
            table = forward(day)
            found = table.loc[table.index == pd.Timestamp(last_signal(note)), column]
            return "pending" if not len(found) or pd.isna(found.iloc[0]) else found.iloc[0]
        return get

    return {
        "As of": (dt.date.fromisoformat(note), latest),
        "^RUT close": both(lambda d: api.price("^RUT", d, store=s)),
        "^RUT return on the day": both(lambda d: api.window_return("^RUT", 1, d, store=s)),
        "^RUT's highest close since": both(lambda d: api.highest_since("^RUT", d, store=s)),
        "Days in a row": both(lambda d: api.streak_length(0.01, "^RUT", d, store=s)),
        "Five-day streaks": both(lambda d: api.streak_count(5, 0.01, "^RUT", "1979-01-01", d,
                                                            store=s)),
        "^RUT return over one calendar month": both(
            lambda d: api.window_return("^RUT", "1M", d, store=s)),
        "^GSPC (S&P 500) return": both(lambda d: api.window_return("^GSPC", "1M", d, store=s)),
        "One-month spread": both(lambda d: api.rotation_spread("1M", "^RUT", "^GSPC", d,
                                                               store=s)),
        "One-month ratio": both(lambda d: words(api.rotation_ratio, "1M", "^RUT", "^GSPC", d,
                                                store=s)),
        "How rare: share of one-month spreads": both(
            lambda d: api.spread_percentile("1M", "^RUT", "^GSPC", d, "1979-01-01", store=s)),
        "How rare: share of ^RUT one-month returns": both(
            lambda d: api.return_percentile("^RUT", "1M", d, "1979-01-01", store=s)),
        "Last five-day streak signal": both(last_signal),
        "Streaks whose 50 trading days": both(lambda d: len(complete(d))),
        "Their median ^RUT peak": both(summary("median", "peak_gain")),
        "Their best ^RUT peak": both(lambda d: complete(d)["peak_gain"].max()),
        "How many of them peaked 40%": both(lambda d: int((complete(d)["peak_gain"] >= 0.4)
                                                          .sum())),
        "Their median ^RUT return on day 50": both(summary("median", "small_return")),
        "Share of them with a ^RUT gain": both(summary("share positive", "small_return")),
        "After the note-day column's signal": both(followed("small_return")),
        "^GSPC return over the same 50": both(followed("large_return")),
        "^RUT peak within those 50 days": both(followed("peak_gain")),
        "Trading day of that peak": both(followed("peak_day")),
        "Worst ^RUT drawdown": both(followed("drawdown")),
        "Rate beta": both(lambda d: api.rate_beta(252, "^RUT", "^TNX", d, store=s)),
    }


def words(func, *args, store) -> Any:
    """The Python API's answer, or its no-answer's words (the cell's text without the
    error code: the Story and Explore show a ratio that way)."""
    try:
        return func(*args, store=store)
    except SmallcapError as err:
        return str(err)


def api_cell(func, *args, store) -> Any:
    """The Python API's answer, or the text the cell shows for its error."""
    try:
        return func(*args, store=store)
    except SmallcapError as err:
        return err.cell_text()


def story_cell(path: Path, prefix: str) -> int:
    rows = story_rows(path)
    if prefix == "As of":
        return 5
    matches = [r for q, r in rows.items() if q.startswith(prefix)]
    assert len(matches) == 1, f"no single Story row starting with {prefix!r}: {list(rows)}"
    return matches[0]


# -- layout ---------------------------------------------------------------------------------


def test_sheets_titles_and_how_to_use(built):
    book = load(built.path)
    assert book.sheetnames == [*workbook.SHEETS, workbook.CACHED_SHEET]
    assert book[workbook.CACHED_SHEET].sheet_state == "hidden"
    assert book.active.title == "Story"
    for name in ("Story", "Explore", "Charts"):
        assert str(book[name]["A1"].value).startswith(f"{name} —")
    assert "How to use" in book["Story"]["A2"].value
    assert "Refresh" in book["Story"]["A2"].value
    for name in workbook.SHEETS:
        assert book[name].freeze_panes, f"{name} has no frozen header"
    assert book["Story"].column_dimensions["D"].width > 40
    assert book["Data"].column_dimensions["A"].width >= 10


def test_number_formats(built):
    sheet = load(built.path)["Story"]
    rows = story_rows(built.path)
    pct = rows["^RUT return over one calendar month"]
    date = rows["^RUT's highest close since"]
    assert "%" in sheet.cell(pct, 5).number_format
    assert "%" in sheet.cell(pct, 6).number_format
    assert "yy" in sheet.cell(date, 5).number_format
    assert "yy" in sheet["E5"].number_format and "yy" in sheet["F5"].number_format
    explore = load(built.path)["Explore"]
    assert "%" in explore["B6"].number_format
    assert "yy" in explore["A17"].number_format  # first episode's start date


def test_explore_inputs_are_validated(built):
    sheet = load(built.path)["Explore"]
    covered: dict[str, str] = {}
    for rule in sheet.data_validations.dataValidation:
        for rng in str(rule.sqref).split():
            c1, r1, c2, r2 = range_boundaries(rng)
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    covered[f"{get_column_letter(c)}{r}"] = rule.type
    assert covered.get("B4") == covered.get("B5") == "list"  # tickers
    assert covered.get("B6") == "decimal"  # threshold
    assert covered.get("B7") == "whole" and covered.get("B9") == "whole"  # length, horizon
    assert covered.get("B8") == "list"  # window
    assert covered.get("B10") == covered.get("B11") == covered.get("B12") == "date"
    for address in ("B6", "B7", "B9"):
        rule = next(r for r in sheet.data_validations.dataValidation if address in r.sqref)
        assert rule.showErrorMessage and rule.error, f"{address} has no error message"
    # The rotation monitor's windows and pairs are yellow inputs with a list, like B4:B8.
    monitor = rotation_monitor(sheet)
    yellow = sheet["B4"].fill.fgColor.rgb
    for address in monitor.inputs:
        assert covered.get(address) == "list", address
        assert sheet[address].fill.fgColor.rgb == yellow, address


def test_explore_tables_spill_as_dynamic_arrays(built, reference_store):
    """STREAK_EPISODES, FORWARD_RETURNS and ROTATION_SERIES are dynamic arrays whose ref
    covers the whole table the API returns (one header row)."""
    with zipfile.ZipFile(built.path) as z:
        xml = z.read("xl/worksheets/sheet2.xml").decode()
        metadata = z.read("xl/metadata.xml").decode()
    assert "XLDAPR" in metadata  # Excel's dynamic-array property
    assert xml.count('cm="1"') == 4  # the three tables and the rotation monitor
    sheet = load(built.path)["Explore"]
    spills = {workbook.unwrap(v.text).split("(")[0].lstrip("="): v.ref
              for row in sheet.iter_rows()
              for v in (c.value for c in row) if isinstance(v, ArrayFormula)}
    s = reference_store
    tables = {  # as a cell spills them (Python's tables are pandas-native)
        "STREAK_EPISODES": spilled("STREAK_EPISODES", 5, 0.01, "^RUT", "1979-01-01", None,
                                   store=s),
        "FORWARD_RETURNS": spilled("FORWARD_RETURNS", 50, 5, 0.01, "^RUT", "^GSPC",
                                   "1979-01-01", store=s),
        "ROTATION_SERIES": spilled("ROTATION_SERIES", "1M", "^RUT", "^GSPC", "2024-01-01",
                                   None, store=s),
    }
    assert set(spills) == {*tables, "ROTATION_SPREAD"}
    for name, frame in tables.items():
        c1, r1, c2, r2 = range_boundaries(spills[name])
        assert (r2 - r1 + 1, c2 - c1 + 1) == (len(frame) + 1, frame.shape[1]), name
    c1, r1, c2, r2 = range_boundaries(spills["ROTATION_SPREAD"])  # pairs x windows
    assert (r2 - r1 + 1, c2 - c1 + 1) == (len(MONITOR_PAIRS), len(MONITOR_WINDOWS))


# -- the rotation monitor -----------------------------------------------------------------


def test_rotation_monitor_is_one_formula_over_pairs_and_windows(built, cells):
    """Pairs down, windows across, one ROTATION_SPREAD over those ranges (as_of omitted)
    spilling the whole grid in percent."""
    sheet = load(built.path)["Explore"]
    monitor = rotation_monitor(sheet)
    assert monitor.windows == MONITOR_WINDOWS
    assert list(zip(monitor.smalls, monitor.larges, strict=True)) == MONITOR_PAIRS
    assert len(monitor.cells) == len(MONITOR_PAIRS)
    assert all(len(row) == len(MONITOR_WINDOWS) for row in monitor.cells)
    grid = [address for row in monitor.cells for address in row]
    assert {cells[("Explore", address)] for address in grid} == {monitor.formula}
    assert all("%" in sheet[address].number_format for address in grid)
    # The header row names the two ticker columns.
    column, row = coordinate_from_string(monitor.inputs[len(MONITOR_WINDOWS)])  # first small
    assert sheet[f"{column}{row - 1}"].value == "small"


def test_rotation_monitor_values_are_the_api_answers(built, cached, evaluated, reference_store):
    """Each element, cached and evaluated headless, is rotation_spread(window, small,
    large) for the latest day."""
    monitor = rotation_monitor(load(built.path)["Explore"])
    for i, (small, large) in enumerate(MONITOR_PAIRS):
        for j, window in enumerate(MONITOR_WINDOWS):
            want = api.rotation_spread(window, small, large, store=reference_store)
            address = monitor.cells[i][j]
            assert same(cached[("Explore", address)], want), (address, small, large, window)
            assert same(evaluated[("EXPLORE", address)], want), (address, small, large, window)


def test_rotation_monitor_shows_each_elements_own_error(shared_data, tmp_path):
    """From a store without QQQ, the IWM/QQQ row shows its own "#N/A no data for QQQ"
    text in each cell (cached, and evaluated headless) while the other pairs compute."""
    from conftest import REFERENCE_FILES

    store = Store(tmp_path / "no-qqq.sqlite")
    for ticker in ("^RUT", "^GSPC", "^NDX", "IWM", "SPY", "^TNX"):
        api.load_csv(ticker, shared_data / REFERENCE_FILES[ticker], store=store)
    built = workbook.build(tmp_path / "no-qqq.xlsx", store=store)
    cached = cached_values(built.path)
    book = openpyxl.load_workbook(built.path)
    for name in ("Story", "Charts", "Data"):  # not read by Explore: keeps it quick
        book.remove(book[name])
    explore = tmp_path / "explore.xlsx"
    book.save(explore)
    evaluated = workbook.evaluate(explore, store=store)
    monitor = rotation_monitor(book["Explore"])
    errors = 0
    for i, (small, large) in enumerate(MONITOR_PAIRS):
        for j, window in enumerate(MONITOR_WINDOWS):
            want = api_cell(api.rotation_spread, window, small, large, store=store)
            if large == "QQQ":
                assert isinstance(want, str) and want.startswith("#N/A no data for QQQ"), want
                errors += 1
            else:
                assert isinstance(want, float), (small, large, window, want)
            address = monitor.cells[i][j]
            assert same(cached[("Explore", address)], want), (address, cached[("Explore", address)])
            assert same(evaluated[("EXPLORE", address)], want), (address, evaluated[("EXPLORE", address)])
    assert errors == len(MONITOR_WINDOWS)


def test_charts_read_the_workbook_with_titles_and_percent_axes(built):
    with zipfile.ZipFile(built.path) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        xml = [z.read(n).decode() for n in charts]
    assert len(xml) == 3
    rebased, spread, forward = xml
    assert "rebased to 100" in rebased and "Charts!$U$5" in rebased
    assert "Rolling one-month return spread" in spread
    assert "50 trading days after each" in forward
    for chart in (spread, forward):
        assert 'formatCode="0%"' in chart
    for chart in xml:
        assert "#REF!" not in chart
        assert "<c:numCache>" in chart  # charts carry their cached points too


# -- cached values ------------------------------------------------------------------------


def test_every_formula_cell_has_a_cached_value(built, cells, cached):
    assert len(cells) > 1000  # the spilled tables count cell by cell
    book = load(built.path)
    anchors = [(name, c.coordinate) for name in ("Story", "Explore", "Charts")
               for row in book[name].iter_rows() for c in row
               if isinstance(c.value, ArrayFormula) or c.data_type == "f"]
    assert len(anchors) == built.formula_count
    missing = [k for k in anchors if cached[k] is None]
    assert not missing, f"formulas without a cached value: {missing[:10]}"
    # Blank cells inside a spill are only FORWARD_RETURNS' pending episodes, its
    # "share positive" of the peak day and the drawdown (which says nothing) and the
    # status of its four summary rows, in each of its two spills.
    blanks = {k for k in cells if cached[k] is None}
    assert all(k[0] in ("Explore", "Charts") for k in blanks)
    assert len(blanks) <= 8 + 2 * 4


def test_no_broken_references_or_error_cells(built, cells, cached):
    for key, formula in cells.items():
        assert "#REF!" not in str(formula), key
        value = cached[key]
        assert not (isinstance(value, str) and value.startswith("#")), (key, value)


def test_story_cached_values_are_the_api_answers(built, cached, expected_story):
    for prefix, (note, latest) in expected_story.items():
        row = story_cell(built.path, prefix)
        for column, want in (("E", note), ("F", latest)):
            got = cached[("Story", f"{column}{row}")]
            assert same(got, want), f"Story {column}{row} ({prefix}): {got!r} != {want!r}"


def formula_text(value: Any) -> str | None:
    """A cell's formula as written (an array formula's text), without Excel's prefixes
    of newer functions; None for a value."""
    text = value.text if isinstance(value, ArrayFormula) else value
    if not (isinstance(text, str) and text.startswith("=")):
        return None
    return workbook.unwrap(text).replace("_xlfn._xlws.", "").replace("_xlfn.", "")


def test_story_latest_column_is_the_same_formula(built):
    """Column F asks what column E asks, of F5; rows about what followed the note-day
    signal read column E's signal ($E$..) in both."""
    sheet = load(built.path)["Story"]
    checked = pending = 0
    for row in range(6, sheet.max_row + 1):
        note = formula_text(sheet.cell(row, 5).value)
        latest = formula_text(sheet.cell(row, 6).value)
        if note is None:
            continue
        assert latest == re.sub(r"(?<![A-Z$])E(\$?\d+)", r"F\1", note), row
        assert "E$5" in note or "E1" in note or "VLOOKUP(\"" in note, row  # asks about E5
        assert sheet.cell(row, 4).value == note  # the formula is shown beside its value
        pending += "$E$" in note
        checked += 1
    assert checked == len(workbook.story.questions()) and pending == 5


def test_data_sheet_is_data_table(built, reference_store):
    table = api.data_table(store=reference_store)
    sheet = openpyxl.load_workbook(built.path, read_only=True)["Data"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(table.columns)
    assert len(rows) - 1 == len(table) == built.data_rows
    expected = udfs.table_rows(table)
    for index in (1, len(rows) // 2, len(rows) - 1):
        assert all(same(a, b) for a, b in zip(rows[index], expected[index], strict=True))


# -- headless evaluation ------------------------------------------------------------------


def test_headless_evaluation_matches_cache_and_api(built, cells, cached, evaluated,
                                                   expected_story, reference_store):
    compared = 0
    for key in cells:
        sheet, address = key
        got = evaluated.get((sheet.upper(), address))
        assert same(got, cached[key]), f"{sheet}!{address}: evaluated {got!r}, cached " \
                                       f"{cached[key]!r} ({cells[key]})"
        compared += 1
    assert compared == len(cells) > 1000
    # The evaluated Story equals the Python API's answers.
    for prefix, (note, latest) in expected_story.items():
        row = story_cell(built.path, prefix)
        assert same(evaluated[("STORY", f"E{row}")], note), prefix
        assert same(evaluated[("STORY", f"F{row}")], latest), prefix
    # The evaluated Explore tables equal the API's tables, cell by cell.
    s = reference_store
    tables = {
        "A16": spilled("STREAK_EPISODES", 5, 0.01, "^RUT", "1979-01-01", None, store=s),
        "G16": spilled("FORWARD_RETURNS", 50, 5, 0.01, "^RUT", "^GSPC", "1979-01-01", store=s),
        "P16": spilled("ROTATION_SERIES", "1M", "^RUT", "^GSPC", "2024-01-01", None, store=s),
    }
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter

    for anchor, frame in tables.items():
        letters, top = coordinate_from_string(anchor)
        left = column_index_from_string(letters)
        rows = udfs.table_rows(frame)
        for i, row in enumerate(rows):
            for j, want in enumerate(row):
                address = f"{get_column_letter(left + j)}{top + i}"
                assert same(evaluated[("EXPLORE", address)], want), (anchor, address)


def test_story_answers_any_day_typed_in_e5(built, reference_store, tmp_path):
    """Type another day (a Sunday: the last trading day before it counts) into E5 and
    every note-day cell follows the Python API."""
    sunday = "2020-04-26"
    book = openpyxl.load_workbook(built.path)
    book["Story"]["E5"].value = dt.datetime.fromisoformat(sunday)
    for name in ("Explore", "Charts", "Data"):  # not read by Story: keeps it quick
        book.remove(book[name])
    changed = tmp_path / "sunday.xlsx"
    book.save(changed)
    values = workbook.evaluate(changed, store=reference_store)
    for prefix, (want, _) in story_answers(reference_store, sunday).items():
        row = story_cell(built.path, prefix)
        assert same(values[("STORY", f"E{row}")], want), (prefix, values[("STORY", f"E{row}")])


def test_evaluation_follows_the_inputs(built, reference_store, tmp_path):
    """Change an Explore input in the file and the evaluated answers follow the API."""
    book = openpyxl.load_workbook(built.path)
    book["Explore"]["B11"].value = dt.datetime(2024, 7, 16)  # as of the note day
    book["Explore"]["B6"].value = 0.02  # a 2% threshold
    for name in ("Charts", "Data"):  # not read by Explore: keeps the evaluation quick
        book.remove(book[name])
    changed = tmp_path / "changed.xlsx"
    book.save(changed)
    values = workbook.evaluate(changed, store=reference_store)
    s = reference_store
    assert same(values[("EXPLORE", "E4")], api.streak_length(0.02, "^RUT", NOTE, store=s))
    assert same(values[("EXPLORE", "E5")], api.streak_count(5, 0.02, "^RUT", "1979-01-01", NOTE,
                                                            store=s))
    assert same(values[("EXPLORE", "E8")], api.rotation_spread("1M", "^RUT", "^GSPC", NOTE,
                                                               store=s))


# -- reproducibility and the command ------------------------------------------------------


def members(path: Path) -> dict[str, bytes]:
    """Every part of the workbook (a zip) by name: what it says, apart from the zip."""
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_building_twice_gives_the_same_file(built, reference_store, tmp_path):
    again = workbook.build(tmp_path / "again.xlsx", store=reference_store)
    assert members(again.path) == members(built.path)
    assert again.path.read_bytes() == built.path.read_bytes()  # zip timestamps fixed too


def test_cached_numbers_do_not_depend_on_the_machines_last_bits(built, reference_store,
                                                                 tmp_path):
    """Another machine may sum in another order (SIMD) and differ in the last bits: a
    build whose every computed number is one or two units in the last place off, up or
    down, writes the same parts, byte for byte."""
    for name, jitter in (("up", lambda x: math.nextafter(math.nextafter(x, math.inf),
                                                         math.inf)),
                         ("down", lambda x: math.nextafter(x, -math.inf))):
        other = workbook.build(tmp_path / f"{name}.xlsx", store=reference_store, jitter=jitter)
        theirs, ours = members(other.path), members(built.path)
        assert theirs.keys() == ours.keys()
        differ = [part for part in ours if theirs[part] != ours[part]]
        assert not differ, (name, differ)
    # The rounding is to ten significant digits: far below what any cell shows.
    assert workbook.cells.reproducible(0.12345678901234) == 0.123456789
    assert workbook.cells.reproducible(2620.990234375) == 2620.990234


def test_array_formulas_fall_back_on_their_cached_values(built, cells, cached):
    """Every array formula that calls a smallcap function reads, where the functions
    cannot answer (LibreOffice, Excel without the add-in), a range of the hidden Cached
    sheet of its own size holding its cached values; no other formula does."""
    book = load(built.path)
    kept = load(built.path, data_only=True)[workbook.CACHED_SHEET]
    pattern = re.compile(r"^=IF\(" + re.escape(workbook.layout.NO_ADDIN) + ","
                         + workbook.CACHED_SHEET + r"!(\$[A-Z]+\$\d+(?::\$[A-Z]+\$\d+)?),")
    wrapped = 0
    for name in ("Story", "Explore", "Charts"):
        for row in book[name].iter_rows():
            for cell in row:
                value = cell.value
                text = value.text if isinstance(value, ArrayFormula) else value
                if not (isinstance(text, str) and text.startswith("=")):
                    continue
                inner = workbook.unwrap(text)
                calls = any(f"{n}(" in inner for n in udfs.UDF_NAMES)
                found = pattern.match(text)
                if not isinstance(value, ArrayFormula) or not calls:
                    assert found is None, (name, cell.coordinate)
                    continue
                assert found, (name, cell.coordinate, text[:80])
                spill = range_boundaries(value.ref)
                c1, r1, c2, r2 = range_boundaries(found[1].replace("$", ""))
                assert (r2 - r1, c2 - c1) == (spill[3] - spill[1], spill[2] - spill[0])
                for i in range(r2 - r1 + 1):
                    for j in range(c2 - c1 + 1):
                        at = f"{get_column_letter(spill[0] + j)}{spill[1] + i}"
                        assert same(kept.cell(r1 + i, c1 + j).value, cached[(name, at)]), at
                wrapped += 1
    assert wrapped == 4 + 4 + 1  # Story's best peak and 40% count (two columns each),
    # Explore's three tables and the monitor, Charts' FORWARD_RETURNS


def test_static_copy_holds_the_same_values_without_formulas(built, cells, cached,
                                                            reference_store, tmp_path):
    static = workbook.build(tmp_path / "static.xlsx", store=reference_store, static=True)
    assert static.formula_count == 0
    assert not formula_cells(static.path)
    values = cached_values(static.path)
    for key in cells:
        assert same(values.get(key), cached[key]), key


def test_cli_builds_the_workbook(reference_store, tmp_path, capsys):
    target = tmp_path / "cli.xlsx"
    code = cli.main(["--store", str(reference_store.path), "workbook", "build", str(target)])
    assert code == 0
    out = capsys.readouterr().out
    assert str(target) in out and "formulas" in out
    assert openpyxl.load_workbook(target).sheetnames == [*workbook.SHEETS,
                                                         workbook.CACHED_SHEET]


def test_cli_build_on_an_empty_store_fails_cleanly(tmp_path, capsys):
    code = cli.main(["--store", str(tmp_path / "empty.sqlite"), "workbook", "build",
                     str(tmp_path / "x.xlsx")])
    assert code == 2
    err = capsys.readouterr().err
    assert "refresh first" in err and "Traceback" not in err
    assert not (tmp_path / "x.xlsx").exists()


def test_committed_workbook_is_the_builders_output(built, cached):
    """workbook/smallcap.xlsx is `smallcap workbook build` on the reference data."""
    assert COMMITTED.exists(), "build it: see workbook/README.md"
    committed = cached_values(COMMITTED)
    assert formula_cells(COMMITTED) == formula_cells(built.path)
    differing = [k for k, v in cached.items() if not same(committed.get(k), v)]
    assert not differing, f"rebuild workbook/smallcap.xlsx: {differing[:5]} differ"


def test_evaluation_accepts_names_excel_saved_unresolved(reference_store, tmp_path):
    """Excel saves a function it could not resolve as ``_xludf.NAME``; the plugged-in
    functions answer under that spelling too, with the same value as the API."""
    import xlsxwriter

    path = tmp_path / "xludf.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("S")
    sheet.write_formula("A1", '=_xludf.STREAK_COUNT(5,0.01,"^RUT","1979-01-01","2024-07-16")')
    sheet.write_formula("A2", '=_xludf.ROTATION_RATIO("1M","^RUT","^GSPC","2024-07-16")')
    sheet.write_formula("A3", '=RUT_STREAK(0.01,"^XYZ")')
    book.close()
    values = workbook.evaluate(path, store=reference_store)
    s = reference_store
    assert values[("S", "A1")] == api.streak_count(5, 0.01, "^RUT", "1979-01-01", NOTE, store=s)
    assert same(values[("S", "A2")], api.rotation_ratio("1M", "^RUT", "^GSPC", NOTE, store=s))
    # An error shows in the cell as the text the add-in shows, naming the problem.
    assert values[("S", "A3")] == udfs.RUT_STREAK(0.01, "^XYZ")
    assert values[("S", "A3")].startswith("#N/A") and "^XYZ" in values[("S", "A3")]


# -- one day per Explore sheet ------------------------------------------------------------


def explore_answer_cells(sheet) -> dict[str, str]:
    """Explore's answer label (column D) -> the address of its value (column E)."""
    return {sheet.cell(r, 4).value: f"E{r}" for r in range(3, 20)
            if isinstance(sheet.cell(r, 4).value, str)}


def test_explore_answers_share_one_day(built, cells, cached, evaluated, reference_store):
    """With As of blank, every Explore formula asks about the day in E3, the last day both
    tickers have (^RUT's last, 2026-02-23, though ^GSPC goes on to July): the small-cap
    and large-cap returns and the spread agree (spread = small - large), cached and
    evaluated headless, and equal the API's answers for that day."""
    s = reference_store
    sheet = load(built.path)["Explore"]
    answers = explore_answer_cells(sheet)
    assert sheet["B11"].value is None and answers["Answers as of"] == "E3"
    rut_last = api.data_status("^RUT", store=s)["last_date"].iloc[0]
    assert api.data_status("^GSPC", store=s)["last_date"].iloc[0] > rut_last
    small = answers["Small-cap return over the window"]
    large = answers["Large-cap return over the window"]
    spread = answers["Spread (small minus large)"]
    for values, sheet_name in ((cached, "Explore"), (evaluated, "EXPLORE")):
        assert same(values[(sheet_name, "E3")], rut_last)
        a, b, c = (values[(sheet_name, x)] for x in (small, large, spread))
        # cached values are rounded to ten digits; computed ones agree exactly
        tol = 1e-15 if sheet_name == "EXPLORE" else 1e-10
        assert math.isclose(c, a - b, rel_tol=0, abs_tol=tol), (sheet_name, a, b, c)
        assert same(a, api.window_return("^RUT", "1M", rut_last, store=s))
        assert same(b, api.window_return("^GSPC", "1M", rut_last, store=s))
    # Every formula that takes a day reads E3; only E3 reads the As of input.
    readers = {key for key, text in cells.items() if key[0] == "Explore" and "$B$11" in text}
    assert {address for _, address in readers} == {"E3"}
    for name in ("RUT_STREAK", "WINDOW_RETURN", "ROTATION_SPREAD", "STREAK_EPISODES",
                 "FORWARD_RETURNS", "ROTATION_SERIES", "SPREAD_PERCENTILE"):
        texts = {workbook.unwrap(t) for (sh, _), t in cells.items()
                 if sh == "Explore" and f"={name}(" in workbook.unwrap(t)}
        assert texts and all(t.rstrip(")").endswith("$E$3") or ",$E$3," in t for t in texts), \
            (name, texts)


def test_explore_day_for_a_typed_sunday(built, reference_store, tmp_path):
    """A Sunday typed into As of: E3 says which day the answers are for (the Friday
    before), and the answers agree with each other and with the API for that day."""
    book = openpyxl.load_workbook(built.path)
    book["Explore"]["B11"].value = dt.datetime(2024, 7, 14)
    for name in ("Story", "Charts", "Data"):  # not read by Explore: keeps it quick
        book.remove(book[name])
    changed = tmp_path / "sunday.xlsx"
    book.save(changed)
    values = workbook.evaluate(changed, store=reference_store)
    answers = explore_answer_cells(load(built.path)["Explore"])
    assert same(values[("EXPLORE", "E3")], dt.date(2024, 7, 12))
    s = reference_store
    small = values[("EXPLORE", answers["Small-cap return over the window"])]
    large = values[("EXPLORE", answers["Large-cap return over the window"])]
    spread = values[("EXPLORE", answers["Spread (small minus large)"])]
    assert same(small, api.window_return("^RUT", "1M", "2024-07-12", store=s))
    assert same(large, api.window_return("^GSPC", "1M", "2024-07-12", store=s))
    assert math.isclose(spread, small - large, rel_tol=0, abs_tol=1e-15)
