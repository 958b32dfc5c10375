"""Rendering the dashboard with LibreOffice: PDF conversion, sheet titles, the pictures.

LibreOffice comes from Debian (libreoffice-calc, poppler-utils). The session fixture
installs it with apt-get when ``soffice`` is missing and the tests run as root (CI), and
fails with the command to run otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from smallcap import api, workbook

PACKAGES = ("libreoffice-calc", "poppler-utils")


@pytest.fixture(scope="session")
def libreoffice() -> str:
    """The soffice executable; installed with apt-get when missing and we are root."""
    if workbook.soffice() and shutil.which("pdftotext") and shutil.which("pdftoppm"):
        return workbook.soffice()
    install = f"apt-get update && apt-get install -y --no-install-recommends {' '.join(PACKAGES)}"
    if os.geteuid() != 0:
        pytest.fail(f"LibreOffice and poppler are needed to render the workbook: run `{install}` "
                    "as root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(["sh", "-c", install], capture_output=True, text=True, env=env,
                          timeout=1500, check=False)
    if done.returncode != 0 or not workbook.soffice():
        pytest.fail(f"could not install LibreOffice ({install}): {done.stderr[-2000:]}")
    return workbook.soffice()


@pytest.fixture(scope="module")
def pdf(libreoffice, reference_store, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("render")
    built = workbook.build(folder / "smallcap.xlsx", store=reference_store)
    return workbook.render_pdf(built.path, folder / "pdf")


def cached_formulas(pdf: Path) -> list[workbook.FormulaCell]:
    """The array formulas (written as dynamic arrays) of the workbook ``pdf`` was made from."""
    import openpyxl
    from openpyxl.worksheet.formula import ArrayFormula

    book = openpyxl.load_workbook(pdf.parent.parent / "smallcap.xlsx")
    found = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, ArrayFormula) and cell.value.ref == cell.coordinate:
                    found.append(workbook.FormulaCell(sheet.title, cell.row, cell.column,
                                                      cell.value.text))
    return found


def test_conversion_succeeds_with_every_sheet_title(pdf):
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
    pages = workbook.pdf_pages(pdf)
    text = "\n".join(pages)
    for title in ("Story —", "Explore —", "Charts —"):
        assert title in text, f"{title!r} missing from the PDF"
    found = workbook.sheet_pages(pdf)
    assert list(found) == list(workbook.SHEETS)  # one page range per sheet, in order
    assert found["Story"] == 1


def test_libreoffice_shows_the_cached_story_numbers(pdf, reference_store):
    """LibreOffice keeps ordinary formulas' cached values: the note-day numbers print."""
    story = workbook.pdf_pages(pdf)[0]
    s = reference_store
    day = api.window_return("^RUT", 1, "2024-07-16", store=s)
    month = api.window_return("^RUT", "1M", "2024-07-16", store=s)
    since = api.highest_since("^RUT", "2024-07-16", store=s)
    ratio = api.rotation_ratio("1M", "^RUT", "^GSPC", "2024-07-16", store=s)
    for shown in (f"{day:.2%}", f"{month:.2%}", since.isoformat(), f"{ratio:.2f}x"):
        assert shown in story, f"{shown} not on the Story page"
    # LibreOffice recomputes array formulas on load, and has no smallcap functions: only
    # the Story's array formulas (the best peak and how many reached 40%, one per column)
    # show #NAME? there; every other cell shows its number. The How to use note mentions it.
    arrays = [c for c in cached_formulas(pdf) if c.sheet == "Story"]
    assert len(arrays) == 4
    assert story.count("#NAME?") == workbook.HOW_TO_USE.count("#NAME?") + len(arrays)
    assert "Err:" not in story


def test_pictures_render_from_the_static_copy(libreoffice, reference_store, tmp_path):
    built = workbook.build(tmp_path / "static.xlsx", store=reference_store, static=True)
    pdf = workbook.render_pdf(built.path, tmp_path / "pdf")
    pages = workbook.sheet_pages(pdf)
    charts = workbook.pdf_pages(pdf)[pages["Charts"] - 1]
    assert "rebased to 100" in charts and "#NAME?" not in charts
    explore = workbook.pdf_pages(pdf)[pages["Explore"] - 1]
    assert "#NAME?" not in explore and "run_return" in explore
    # The rotation monitor prints its grid in percent.
    assert "Rotation monitor" in explore
    for small, large, window in (("^RUT", "^GSPC", "1W"), ("IWM", "SPY", "3M"),
                                 ("IWM", "QQQ", "YTD")):
        spread = api.rotation_spread(window, small, large, store=reference_store)
        assert f"{spread:.2%}" in explore, (small, large, window)
    # Values and units apart: every unit is printed after a gap, never glued to a number
    # ("2,620.99index points").
    story = workbook.pdf_pages(pdf)[pages["Story"] - 1]
    units = sorted({q.unit for q in workbook.story.questions()}, key=len, reverse=True)
    seen = set()
    for line in story.splitlines():
        unit = next((u for u in units if line.rstrip().endswith(u)), None)
        if unit is not None:
            assert line.rstrip()[: -len(unit)].endswith("  "), line
            seen.add(unit)
    assert seen == set(units)
    png = workbook.render_png(pdf, pages["Charts"], tmp_path / "charts.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


def test_committed_pictures_exist():
    docs = Path(__file__).resolve().parents[1] / "docs"
    for name in ("workbook-story.png", "workbook-charts.png"):
        assert (docs / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


def test_render_command_writes_the_two_pictures(libreoffice, reference_store, tmp_path, capsys):
    from smallcap import cli

    code = cli.main(["--store", str(reference_store.path), "workbook", "render", "--outdir",
                     str(tmp_path)])
    assert code == 0, capsys.readouterr()
    for name in ("workbook-story.png", "workbook-charts.png"):
        png = tmp_path / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
