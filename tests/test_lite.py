"""xlwings Lite, replayed headless through xlwings' own server-side code (tests/lite_replay.py
in a fresh interpreter, as Lite loads main.py): the functions' metadata, load_history on a
book payload holding a Data sheet built from the reference history, the note's figures as
of 2024-07-16, the same answers as the Windows functions on the same history, and one clear
message per bad Data sheet with the history loaded before kept."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from smallcap import api, catalogue, excel
from smallcap.lite import build, runtime
from smallcap.store import Store

HERE = Path(__file__).resolve().parent
NOTE = 45489  # 2024-07-16 as Office.js sends a date typed in a cell: a serial number
EPOCH = dt.date(1899, 12, 30)
TICKERS = ("^RUT", "^GSPC", "IWM", "SPY", "^TNX")
CODES = {"NotAvailable": "#N/A", "Value": "#VALUE!", "Num": "#NUM!", "Div0": "#DIV/0!",
         "Name": "#NAME?", "Null": "#NULL!", "Ref": "#REF!"}


def replay(main: Path, steps: list[dict]) -> dict:
    """What Lite does with ``main``, step by step (see tests/lite_replay.py)."""
    env = {**os.environ, "XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial",
           "PYTHONPATH": os.pathsep.join([str(HERE.parent / "python"),
                                          os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, str(HERE / "lite_replay.py")], env=env, timeout=300,
                          input=json.dumps({"main": str(main), "steps": steps}, default=str),
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def book(values: list[list] | None, name: str = "Data") -> dict:
    """A book payload as xlwings Lite sends it for a script (one sheet)."""
    sheets = [] if values is None else [{"name": name, "values": values, "pictures": [],
                                         "tables": []}]
    sheets.append({"name": "Dashboard", "values": [[""]], "pictures": [], "tables": []})
    return {"book": {"name": "dashboard.xlsx", "active_sheet_index": 0, "selection": "A1"},
            "sheets": sheets, "names": []}


@pytest.fixture(scope="module")
def data_values(reference_store) -> list[list]:
    """The Data sheet of the reference history as Office.js sends a script its values:
    date-formatted cells as ISO text, empty cells as ""."""
    table = api.data_table(TICKERS, store=reference_store)
    rows = [["date", *TICKERS]]
    for record in table.itertuples(index=False):
        rows.append([f"{record[0].isoformat()}T00:00:00.000Z",
                     *["" if math.isnan(v) else v for v in record[1:]]])
    return rows


@pytest.fixture(scope="module")
def main_py(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lite")
    build.build(out)
    return out / "main.py"


@pytest.fixture(scope="module")
def same_history(data_values, tmp_path_factory) -> Store:
    """A Windows store holding exactly the Data sheet's closes."""
    store = Store(tmp_path_factory.mktemp("parity") / "parity.sqlite")
    header, rows = data_values[0], data_values[1:]
    for j, ticker in enumerate(header[1:], start=1):
        kept = [(r[0][:10], r[j]) for r in rows if r[j] != ""]
        store.write(ticker, pd.DataFrame({"date": [d for d, _ in kept],
                                          "close": [c for _, c in kept]}), "lite-parity")
    yield store
    store.close()


def cell(value):
    """A Lite cell back as a Windows value: dates as dates, errors as their code."""
    if isinstance(value, dict):
        if value["type"] == "FormattedNumber":
            return EPOCH + dt.timedelta(days=int(value["basicValue"]))
        return CODES[value["errorType"]]
    return None if value == "" else value


def windows_cell(value):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str) and value.startswith(excel.ERROR_TEXTS):
        return next(c for c in excel.ERROR_TEXTS if value.startswith(c))
    return value


def classic(value):
    """An argument as classic xlwings hands it over: a cell's error as its text."""
    return [[c["basicValue"] if isinstance(c, dict) else c for c in row] for row in value]


def office_js(value):
    """One argument as Office.js sends it: a 2-D array (dates as serial numbers)."""
    return value if isinstance(value, list) else [[value]]


# -- the cases: derived from the catalogue, so a new function is covered when declared --------

DATE_ARGUMENTS = ("as_of", "date", "end")


def cases() -> list[tuple[str, list]]:
    found = []
    for name, fn in catalogue.excel_names().items():
        names = [a.name for a in fn.arguments]
        note = [NOTE if n in DATE_ARGUMENTS else None for n in names]
        found.append((name, note))
        tickers = [i for i, a in enumerate(fn.arguments) if a.kind is catalogue.TICKER]
        if tickers:
            bad = list(note)
            bad[tickers[0]] = "^XYZ"
            found.append((name, bad))
            ranged = list(note)
            ranged[tickers[0]] = [["^RUT"], ["IWM"], ["^XYZ"], [""]]
            found.append((name, ranged))
        if "window" in names:
            windows = list(note)
            windows[names.index("window")] = [["1M", 63, "7Q"]]
            found.append((name, windows))
        passed_on = list(note)  # a cell holding #N/A, as Office.js sends it
        passed_on[0] = [[{"type": "Error", "basicValue": "#N/A", "errorType": "NotAvailable"}]]
        found.append((name, passed_on))
        for i, argument in enumerate(fn.arguments):
            if argument.kind is catalogue.DATE:
                wrong = list(note)
                wrong[i] = "not a date"
                found.append((name, wrong))
                break
    return found


CASES = cases()


@pytest.fixture(scope="module")
def lite(main_py, data_values) -> dict:
    """One replay: calls before loading, refused loads, the load, every case."""
    calls = [{"call": name, "args": [office_js(v) for v in args]} for name, args in CASES]
    steps = [*({"call": name, "args": []} for name in catalogue.excel_names()),
             {"script": "load_history", "book": book(None)},
             {"script": "load_history", "book": book(data_values)},
             *calls,
             {"script": "load_history", "book": book([["when", "^RUT"], ["2024-07-16", 1]])},
             {"call": "RUT_STREAK", "args": [[[None]], [["^RUT"]], [[NOTE]]]}]
    return replay(main_py, steps)


# -- metadata -----------------------------------------------------------------------------------


def test_every_excel_name_with_its_help_and_defaults(lite):
    meta = {f["name"]: f for f in lite["functions"]["functions"]}
    assert set(meta) == set(catalogue.excel_names())
    for name, fn in catalogue.excel_names().items():
        parameters = meta[name]["parameters"]
        assert [p["name"] for p in parameters] == [a.name for a in fn.arguments]
        assert [p["description"] for p in parameters] == [a.wizard_help for a in fn.arguments]
        assert all(p.get("optional") for p in parameters)
        assert meta[name]["description"].startswith(fn.summary)
    assert [s["function_name"] for s in lite["scripts"]] == ["load_history"]


def test_the_generated_defaults_are_the_catalogues(main_py):
    import ast

    tree = ast.parse(main_py.read_text())
    defined = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    for name, fn in catalogue.excel_names().items():
        node = defined[name]
        assert [a.arg for a in node.args.args] == [a.name for a in fn.arguments]
        assert [ast.literal_eval(d) for d in node.args.defaults] == [a.default for a in fn.arguments]


# -- load_history ---------------------------------------------------------------------------------


BEFORE = len(catalogue.excel_names())  # steps before the first load: one call per function


def test_before_loading_every_function_says_to_run_load_history(lite):
    for before in lite["steps"][:BEFORE]:
        assert "load_history" in before["error"] and "click Run" in before["error"]


def test_a_book_without_data_is_one_line_and_loads_nothing(lite):
    refused = lite["steps"][BEFORE]
    assert "no sheet named Data" in refused["value"] and refused["actions"] == []


def test_load_history_loads_the_data_sheet_and_recalculates(lite, data_values):
    loaded = lite["steps"][BEFORE + 1]
    assert loaded["value"].startswith("smallcap: loaded 5 tickers from the Data sheet")
    assert f"({len(data_values) - 1} rows)" in loaded["value"]  # ^RUT has every row
    assert [a["func"] for a in loaded["actions"]] == ["calculate"]


def test_a_refused_load_keeps_the_history_loaded_before(lite):
    refused, after = lite["steps"][-2], lite["steps"][-1]
    assert "nothing loaded" in refused["value"] and "Data!A1" in refused["value"]
    assert after == {"value": [[5]]}


# -- the note's figures and the same answers as Windows ------------------------------------------


def answer(lite, name: str, args: list) -> dict:
    return lite["steps"][BEFORE + 2 + CASES.index((name, args))]


def test_the_notes_figures(lite):
    def value(name):
        fn = catalogue.excel_names()[name]
        args = [NOTE if a.name in DATE_ARGUMENTS else None for a in fn.arguments]
        return cell(answer(lite, name, args)["value"][0][0])

    assert value("RUT_STREAK") == 5
    assert value("STREAK_COUNT") == 5
    assert round(value("WINDOW_RETURN"), 3) == 0.128
    assert round(value("ROTATION_SPREAD") * 100, 1) == 8.5
    assert round(value("ROTATION_RATIO"), 2) == 2.96
    assert value("HIGHEST_SINCE") == dt.date(2022, 1, 4)
    assert round(value("RATE_BETA"), 3) == -0.077


@pytest.mark.parametrize("name,args", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_same_answer_as_windows(lite, same_history, name, args):
    fn = catalogue.excel_names()[name]
    windows = excel.excel_call(fn, name, tuple(classic(office_js(v)) for v in args), {},
                               store=same_history)
    got = answer(lite, name, args)
    if isinstance(windows, str) and windows.startswith(excel.ERROR_TEXTS) and (
            windows not in runtime.LITE_ERRORS):
        assert "value" not in got, got  # raised: #VALUE! with the message on hover
        if "no data for ^XYZ" in windows:  # the remedy differs: Lite has no smallcap refresh
            assert got["error"].split(" — ")[0] == windows.split(" — ")[0]
        else:
            assert got["error"] == windows
        return
    rows = windows if isinstance(windows, list) else [[windows]]
    expected = [[windows_cell(v) for v in row] for row in rows]
    lite_rows = [[cell(v) for v in row] for row in got["value"]]
    if rows[0] and "refreshed_at" in rows[0]:  # DATA_STATUS: when loaded and from where
        when, source = rows[0].index("refreshed_at"), rows[0].index("source")
        assert isinstance(lite_rows[1][when], dt.date)
        assert lite_rows[1][source] == "the Data sheet"  # Windows: yahoo or csv, from its log
        keep = [k for k in range(len(rows[0])) if k not in (when, source)]
        expected = [[r[k] for k in keep] for r in expected]
        lite_rows = [[r[k] for k in keep] for r in lite_rows]
    assert lite_rows == expected


def test_a_table_spills_its_header_and_dates(lite):
    fn = catalogue.excel_names()["PRICE_HISTORY"]
    got = answer(lite, "PRICE_HISTORY", [NOTE if a.name in DATE_ARGUMENTS else None
                                         for a in fn.arguments])["value"]
    assert got[0] == ["date", "close", "adj_close"]
    assert cell(got[-1][0]) == dt.date(2024, 7, 16)
    assert all(isinstance(r[1], float) for r in got[1:])


def test_pending_forward_returns_are_blank_not_num(lite):
    fn = catalogue.excel_names()["FORWARD_RETURNS"]
    got = answer(lite, "FORWARD_RETURNS", [NOTE if a.name in DATE_ARGUMENTS else None
                                           for a in fn.arguments])["value"]
    flat = [v for row in got for v in row]
    assert "" in flat  # the signal of 2024-07-16 is pending: blank cells
    assert not any(isinstance(v, dict) and v.get("type") == "Error" for v in flat)


# -- the Data table (runtime, in process) ---------------------------------------------------------


class Book:
    """The little of xlwings' Book that load_history uses, over plain rows."""

    class Sheet:
        def __init__(self, name: str, rows: list[list]) -> None:
            self.name, self.rows, self.written = name, rows, None

        @property
        def used_range(self):
            sheet = self

            class Range:
                def options(self, **_):
                    return self

                @property
                def value(self):
                    return sheet.rows

            return Range()

    def __init__(self, rows: list[list] | None) -> None:
        self.sheets = [] if rows is None else [Book.Sheet("Data", rows)]
        self.calculated = 0
        outer = self

        class App:
            def calculate(self) -> None:
                outer.calculated += 1

        self.app = App()


GOOD = [["date", "^RUT"], ["2024-07-15", 100.0], ["2024-07-16", 101.5]]


@pytest.mark.parametrize("rows,says", [
    ([["when", "^RUT"], ["2024-07-16", 1.0]], "Data!A1 holds 'when'"),
    ([["date"], ["2024-07-16"]], "row 1 must be 'date' then one ticker"),
    ([["date", "^RUT"]], "no rows of closes"),
    ([["date", "^RUT"], ["2024-07-15", 100.0], ["2024-07-16", "n/a"]],
     "Data!B3: 'n/a' is not a number (^RUT on 2024-07-16)"),
    ([["date", "^RUT"], ["2024-07-16", 100.0], ["2024-07-16", 101.0]], "Data!A3: 2024-07-16 appears twice"),
    ([["date", "^RUT"], ["2024-07-16", 100.0], ["2024-07-15", 101.0]],
     "Data!A3: 2024-07-15 comes after 2024-07-16"),
    ([["date", "^RUT", "^RUT"], ["2024-07-16", 1.0, 1.0]], "Data!C1: ^RUT has two columns (B and C)"),
    ([["date", "^RUT"], ["2024-07-16", -3.0]], "^RUT: 1 row(s) have no valid close (first 2024-07-16"),
    ([["date", "^RUT"], ["someday", 1.0]], "Data!A2: 'someday' is not a date"),
    ([["Date", "Open", "Close", "Adj Close"], ["2024-07-16", 1.0, 1.0, 1.0]],
     "looks like a Yahoo-style CSV of one ticker"),
])
def test_each_bad_data_sheet_is_one_clear_line_and_keeps_the_history(rows, says, monkeypatch):
    monkeypatch.setattr(runtime, "_current", runtime.MemoryStore())
    first = Book(GOOD)
    assert runtime.load_history(first).startswith("smallcap: loaded 1 tickers")
    before = runtime.current()
    line = runtime.load_history(Book(rows))
    assert says in line and "\n" not in line
    assert runtime.current() is before
    assert runtime.call("PRICE", [["^RUT"]], [[NOTE]]) == 101.5


def test_dates_arrive_as_text_serials_or_dates(monkeypatch):
    monkeypatch.setattr(runtime, "_current", runtime.MemoryStore())
    rows = [["date", "^RUT"], [45488, 100.0], ["2024-07-16T00:00:00.000Z", 101.0],
            [dt.datetime(2024, 7, 17), 102.0], [dt.date(2024, 7, 18), ""]]
    assert "(3 rows)" in runtime.load_history(Book(rows))
    history = runtime.current().history("^RUT")
    assert history.dates.tolist() == [dt.date(2024, 7, 15), dt.date(2024, 7, 16),
                                      dt.date(2024, 7, 17)]


def test_errors_inside_a_spill_are_real_error_codes_and_alone_they_raise(monkeypatch):
    monkeypatch.setattr(runtime, "_current", runtime.MemoryStore())
    runtime.load_history(Book(GOOD))
    assert runtime.call("PRICE", [["^RUT"], ["^XYZ"]], [[NOTE]]) == [[101.5], ["#N/A"]]
    with pytest.raises(runtime.LiteError, match="^#VALUE! window"):
        runtime.call("WINDOW_RETURN", [["^RUT"]], [["7Q"]], [[NOTE]])
    assert runtime.call("PRICE", [["#N/A"]], None) == "#N/A"  # passed on, a real error



def test_the_dashboards_data_sheet_loads(monkeypatch):
    """The committed dashboard (what a Mac user opens) carries a Data sheet Lite reads."""
    import openpyxl

    sheet = openpyxl.load_workbook(HERE.parent / "workbook" / "smallcap.xlsx", read_only=True,
                                   data_only=True)["Data"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    monkeypatch.setattr(runtime, "_current", runtime.MemoryStore())
    line = runtime.load_history(Book(rows))
    assert line.startswith(f"smallcap: loaded {len(rows[0]) - 1} tickers from the Data sheet")
    assert runtime.call("RUT_STREAK", [[None]], [["^RUT"]], [[NOTE]]) == 5
