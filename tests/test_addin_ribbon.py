"""What the ribbon's "Refresh data" button runs (smallcap.main): refresh with status-bar
progress, rewrite the calling workbook's Data sheet, recalculate, one sentence on failure;
and the same function headless with no Excel."""

from __future__ import annotations

import numpy as np
import pytest
from _excel_helpers import FakeBook, excel_table, same_cells
from yahoo_server import yahoo, yahoo_server  # noqa: F401 (fixtures)

import smallcap
from smallcap import api, ribbon

TICKERS = "^RUT,^GSPC"


@pytest.fixture
def store(tmp_path, monkeypatch):
    """The default store of this process (as the button's Python process would use it)."""
    path = tmp_path / "ribbon.sqlite"
    monkeypatch.setenv("SMALLCAP_STORE", str(path))
    monkeypatch.setenv("SMALLCAP_TICKERS", TICKERS)
    api.use_store(None)
    yield api.current_store()
    api.use_store(None)


def _one_sentence(text: str) -> None:
    assert "\n" not in text and "Traceback" not in text
    assert text.endswith(".") and text.count(". ") == 0, text


def test_refresh_button_updates_the_data_sheet(yahoo, store):  # noqa: F811
    yahoo.cutoff["^RUT"] = np.datetime64("2024-07-16")
    yahoo.cutoff["^GSPC"] = np.datetime64("2024-07-16")
    book = FakeBook("Dashboard", "Data")

    report = smallcap.main(book)

    assert report is not None and report.ok and report.added > 0
    data = book.sheet("Data")
    assert data.cleared == 1 and "Z99" not in data.cells  # old contents gone
    written = data.cells["A1"]
    assert written[0] == ["date", "^RUT", "^GSPC"]
    assert same_cells(written, excel_table(api.data_table()), rel=0.0)
    assert written[-1][0].date().isoformat() == "2024-07-16"
    assert data.options == [{"chunksize": ribbon.CHUNK_ROWS}]
    assert book.sheet("Dashboard").writes == 0
    app = book.app
    assert app.api.full_calculations == 1
    assert app.alerts == []
    assert app.statuses[:2] == ["smallcap: refreshing ^RUT (1 of 2)...",
                                "smallcap: refreshing ^GSPC (2 of 2)..."]
    assert app.statuses[-1] == f"smallcap: {report.summary()}"


def test_a_second_press_adds_only_the_new_day(yahoo, store):  # noqa: F811
    yahoo.cutoff["^RUT"] = np.datetime64("2024-07-15")
    yahoo.cutoff["^GSPC"] = np.datetime64("2024-07-15")
    book = FakeBook("Data")
    smallcap.main(book)
    before = len(book.sheet("Data").cells["A1"])
    yahoo.cutoff["^RUT"] = np.datetime64("2024-07-16")
    yahoo.cutoff["^GSPC"] = np.datetime64("2024-07-16")
    report = smallcap.main(book)
    assert report.ok and report.added == 2
    assert len(book.sheet("Data").cells["A1"]) == before + 1
    assert book.app.api.full_calculations == 2


def test_offline_shows_one_sentence_and_keeps_the_data(store, shared_data, monkeypatch):
    monkeypatch.setenv("SMALLCAP_YAHOO_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("SMALLCAP_YAHOO_RETRIES", "0")
    api.load_csv("^RUT", shared_data / "RUT.csv", store=store)
    book = FakeBook("Data")

    report = smallcap.main(book)

    assert report is not None and report.offline and not report.ok
    (sentence, title), = book.app.alerts
    assert title == "smallcap"
    _one_sentence(sentence)
    assert "cannot be reached" in sentence
    assert book.app.statuses[-1] == f"smallcap: {sentence}"
    # the Data sheet still shows what the store has
    assert same_cells(book.sheet("Data").cells["A1"], excel_table(api.data_table()), rel=0.0)
    assert book.app.api.full_calculations == 1


def test_partial_failure_names_the_ticker(yahoo, store):  # noqa: F811
    yahoo.set_fault("^GSPC", "500")
    book = FakeBook("Data")
    report = smallcap.main(book)
    assert report is not None and not report.ok and not report.offline
    (sentence, _), = book.app.alerts
    _one_sentence(sentence)
    assert sentence.startswith("Refreshed 1 of 2 tickers; could not refresh ^GSPC")
    assert book.sheet("Data").cells["A1"][0] == ["date", "^RUT"]


def test_a_broken_store_is_one_sentence_not_a_traceback(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("SMALLCAP_STORE", str(blocker / "store.sqlite"))
    monkeypatch.setenv("SMALLCAP_TICKERS", "^RUT")
    monkeypatch.setenv("SMALLCAP_YAHOO_RETRIES", "0")
    api.use_store(None)
    book = FakeBook("Data")
    assert smallcap.main(book) is None
    (sentence, _), = book.app.alerts
    assert sentence.startswith("Refresh failed: cannot open the store at ")
    assert "\n" not in sentence and "Traceback" not in sentence
    api.use_store(None)


def test_workbook_without_data_sheet_is_only_recalculated(yahoo, store):  # noqa: F811
    book = FakeBook("Sheet1")
    report = smallcap.main(book)
    assert report.ok
    assert book.sheet("Sheet1").writes == 0 and book.sheet("Sheet1").cleared == 0
    assert book.app.api.full_calculations == 1


def test_headless_main_needs_no_excel(yahoo, store, capsys):  # noqa: F811
    yahoo.cutoff["^RUT"] = np.datetime64("2024-07-16")
    report = ribbon.main()  # no workbook: xlwings has no caller here
    assert report is not None and report.ok
    captured = capsys.readouterr()
    assert report.summary() in captured.out
    assert "refreshing ^RUT (1 of 2)" in captured.err
    assert api.price("^RUT") == pytest.approx(2263.67, abs=0.01)


def test_headless_failure_is_printed_not_raised(store, monkeypatch, capsys):
    monkeypatch.setenv("SMALLCAP_YAHOO_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("SMALLCAP_YAHOO_RETRIES", "0")
    report = ribbon.main()
    assert report is not None and report.offline
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("smallcap: Refresh failed: Yahoo Finance cannot be reached")


# -- formulas that show #NAME? are re-entered ---------------------------------------------


STORY = {  # address -> (formula as Excel's Formula2 reports it, what the cell shows)
    "E6": ('=CLOSE_PRICE("^RUT",E$5)', "#NAME?"),
    "E7": ('=@RUT_STREAK(0.01,"^RUT",E$5)', "#NAME?"),  # a legacy formula keeps its @
    "E8": ("=_xludf.streak_count(5)", "#NAME?"),  # as Excel saves a name it did not know
    "E9": ('=INDEX(STREAK_EPISODES(5,0.01,"^RUT",,E$5),E8+1,2)', "#NAME?"),
    "E10": ("=SUM(E6:E8)", "#NAME?"),  # #NAME? from its inputs: no smallcap call
    "E11": ('=RUT_STREAK(0.01,"^RUT",E$5)', 5),  # already bound
    "E12": ("=MY_RUT_STREAK(1)", "#NAME?"),  # someone else's function
    "E13": ("=RUT_STREAKS(1)", "#NAME?"),  # a longer name
    "B2": ("note: =RUT_STREAK( in text", "note: =RUT_STREAK( in text"),  # a constant
}


def story_book(*extra: str) -> FakeBook:
    book = FakeBook("Story", "Data", *extra)
    story = book.sheet("Story")
    for address, (formula, shown) in STORY.items():
        if formula.startswith("="):
            story.formulas[address] = formula
        story.shown[address] = shown
    return book


def test_refresh_reenters_formulas_that_show_name(yahoo, store):  # noqa: F811
    """After refreshing, every formula that calls a smallcap function and shows #NAME? is
    entered again with the same text, then the workbook is recalculated; the status bar
    says how many. One read of the used range's formulas and one of its values."""
    yahoo.cutoff["^RUT"] = np.datetime64("2024-07-16")
    yahoo.cutoff["^GSPC"] = np.datetime64("2024-07-16")
    book = story_book()
    story = book.sheet("Story")
    seen_at_recalculation = []
    calculate = book.app.api.CalculateFull

    def full() -> None:
        seen_at_recalculation.append(len(story.reentered))
        calculate()

    book.app.api.CalculateFull = full

    report = smallcap.main(book)

    assert report is not None and report.ok
    assert sorted(story.reentered) == sorted((a, STORY[a][0]) for a in ("E6", "E7", "E8", "E9"))
    assert story.reads == 2
    assert book.sheet("Data").reads == 0  # values only: never read back
    assert seen_at_recalculation == [4]  # recalculated once, after re-entering
    assert book.app.statuses[-1] == (f"smallcap: {report.summary()}; re-entered 4 formulas "
                                     "that showed #NAME?")
    assert book.app.alerts == []

    again = smallcap.main(book)  # all bound now: nothing to re-enter
    assert len(story.reentered) == 4
    assert book.app.statuses[-1] == f"smallcap: {again.summary()}"


def test_relink_knows_every_function_of_the_catalogue():
    """Every Excel name the catalogue declares (aliases too) is recognised, in any case;
    names around them are not."""
    from smallcap import catalogue

    pattern = ribbon.call_pattern()
    names = list(catalogue.excel_names())
    assert "CLOSE_PRICE" in names and "PRICE" in names
    for name in names:
        for text in (f"={name}()", f"={name.lower()}(1)", f"=1+_xludf.{name}(A1)",
                     f"=INDEX({name}( 1),2)", f"=[1]!{name}()"):
            assert pattern.search(text), text
        for text in (f"=X{name}()", f"={name}S()", f"=A.{name}()", f"={name}"):
            assert not pattern.search(text), text


def test_relink_reads_each_sheet_once_and_skips_sheets_without_calls():
    book = story_book("Notes")
    notes = book.sheet("Notes")
    notes.formulas = {"A1": "=1+1", "B7": "=SUM(A1:A3)"}
    notes.shown = {"A1": 2, "B7": "#NAME?", "C9": "text"}
    count = ribbon.relink_formulas(book)
    assert count == 4
    assert book.sheet("Story").reads == 2
    assert notes.reads == 1 and notes.reentered == []  # formulas read; no smallcap call
    one = FakeBook("Solo")  # a used range of one cell comes back as a scalar
    one.sheet("Solo").formulas = {"C3": "=WINDOW_RETURN()"}
    one.sheet("Solo").shown = {"C3": "#NAME?"}
    assert ribbon.relink_formulas(one) == 1
    assert one.sheet("Solo").reentered == [("C3", "=WINDOW_RETURN()")]


def test_a_sheet_excel_refuses_is_left_alone():
    """A protected sheet (writing raises) does not stop the others."""
    book = story_book("Locked")
    locked = book.sheet("Locked")
    locked.formulas = {"A1": "=RUT_STREAK()"}
    locked.shown = {"A1": "#NAME?"}

    def refuse(address):
        raise RuntimeError("the cell is protected")

    locked.range = refuse
    book.sheets.reverse()  # the locked sheet first
    assert ribbon.relink_formulas(book) == 4


def test_relink_reenters_dashboard_formulas_showing_their_cached_values():
    """A dashboard array formula unlinked from the add-in does not show #NAME?: it reads
    the Cached sheet in its place. Refresh re-enters it too; an ordinary formula showing
    a number is left alone."""
    from smallcap import workbook

    book = FakeBook("Explore")
    sheet = book.sheet("Explore")
    table = "=" + workbook.fallback("STREAK_EPISODES($B$7,$B$6)", "Cached!$A$1:$E$6")
    sheet.formulas = {"A16": table, "E4": "=RUT_STREAK($B$6)"}
    sheet.shown = {"A16": "start", "E4": 5}
    assert ribbon.relink_formulas(book) == 1
    assert sheet.reentered == [("A16", table)]
