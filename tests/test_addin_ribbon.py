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
