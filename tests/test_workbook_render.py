"""The dashboard in LibreOffice: every sheet shows values (no error text), every chart its
series, Story and Explore print on one readable page each, and the pictures.

One build per module, converted once to PDF (what LibreOffice prints) and once to .xlsx
(what it shows on open, its charts' points included).

LibreOffice comes from Debian (libreoffice-calc, poppler-utils). The session fixture
installs it with apt-get when ``soffice`` is missing and the tests run as root (CI), and
fails with the command to run otherwise.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import zipfile
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
def built(reference_store, tmp_path_factory) -> Path:
    return workbook.build(tmp_path_factory.mktemp("render") / "smallcap.xlsx",
                          store=reference_store).path


@pytest.fixture(scope="module")
def pdf(libreoffice, built) -> Path:
    """The workbook printed by LibreOffice (one conversion for the module)."""
    return workbook.render_pdf(built, built.parent / "pdf")


@pytest.fixture(scope="module")
def shown(libreoffice, built) -> Path:
    """The workbook as LibreOffice shows it on open (its own settings: no recalculation
    of ordinary formulas, every array formula recomputed), saved back as .xlsx."""
    return workbook.convert(built, built.parent / "shown", "xlsx")


ERRORS = ("#NAME?", "#VALUE!", "#N/A", "#REF!", "#DIV/0!", "#NUM!", "#SPILL!", "Err:")


def test_conversion_succeeds_with_every_sheet_title(pdf):
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
    pages = workbook.pdf_pages(pdf)
    text = "\n".join(pages)
    for title in ("Story —", "Explore —", "Charts —"):
        assert title in text, f"{title!r} missing from the PDF"
    found = workbook.sheet_pages(pdf)
    assert list(found) == list(workbook.SHEETS)  # one page range per sheet, in order
    assert found["Story"] == 1
    assert workbook.CACHED_SHEET not in text  # hidden: not printed


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


def test_no_printed_page_shows_an_error(pdf):
    """Every page LibreOffice prints is free of error texts; only the How to use note
    mentions #NAME? and #N/A (saying what they mean)."""
    pages = workbook.pdf_pages(pdf)
    for number, text in enumerate(pages, start=1):
        for error in ERRORS:
            allowed = workbook.HOW_TO_USE.count(error) if number == 1 else 0
            assert text.count(error) == allowed, (number, error)


def test_no_cell_shows_an_error_in_libreoffice(built, shown):
    """Opened in LibreOffice, every cell of every sheet shows a value, not an error: the
    array formulas LibreOffice recomputes (the Explore tables, the rotation monitor, the
    Story's best peak and 40% count, the FORWARD_RETURNS the third chart reads) show the
    values the builder cached, and every formula of built-in functions computes them."""
    import openpyxl

    ours = openpyxl.load_workbook(built, data_only=True)
    theirs = openpyxl.load_workbook(shown, data_only=True)
    checked = 0
    for name in workbook.SHEETS:
        for row in theirs[name].iter_rows():
            for cell in row:
                value = cell.value
                assert not (isinstance(value, str) and value.startswith(ERRORS)), \
                    (name, cell.coordinate, value)
                want = ours[name][cell.coordinate].value
                if isinstance(want, int | float) and not isinstance(want, bool):
                    assert isinstance(value, int | float), (name, cell.coordinate, value)
                    assert math.isclose(value, want, rel_tol=1e-9, abs_tol=1e-12), \
                        (name, cell.coordinate, value, want)
                    checked += 1
                elif isinstance(want, str):
                    assert value == want, (name, cell.coordinate, value, want)
    assert checked > 50_000  # Data's closes, and every formula's number


def test_every_chart_has_its_series_in_libreoffice(shown):
    """The charts LibreOffice draws carry all their points: the rebased chart two lines,
    the spread one, the forward chart three bar series, each with a number per point."""
    with zipfile.ZipFile(shown) as z:
        names = sorted(n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
        xml = {n: z.read(n).decode() for n in names}
    series = {}
    for name, chart in xml.items():
        title = ("rebased" if "rebased to 100" in chart else
                 "spread" if "return spread" in chart else
                 "forward" if "after each" in chart else name)
        found = re.findall(r"<c:ser>.*?</c:ser>", chart, flags=re.S)
        for ser in found:
            values = re.search(r"<c:val>.*?</c:val>", ser, flags=re.S)[0]
            points = re.findall(r"<c:v>([^<]*)</c:v>", values)
            assert len(points) >= 5, (title, len(points))
            assert all(_number(p) for p in points), (title, points[:5])
        series[title] = len(found)
    assert series == {"rebased": 2, "spread": 1, "forward": 3}


def _number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _pixels(pdf: Path, page: int, folder: Path):
    """One page rendered at 50 dpi: an array of (rows, columns, RGB)."""
    import numpy as np

    stem = folder / f"page{page}"
    subprocess.run(["pdftoppm", "-r", "50", "-f", str(page), "-l", str(page), "-singlefile",
                    str(pdf), str(stem)], check=True, timeout=120, capture_output=True)
    data = (stem.with_suffix(".ppm")).read_bytes()
    magic, width, height, depth, body = data.split(maxsplit=4)
    assert magic == b"P6" and depth == b"255"
    return np.frombuffer(body, dtype=np.uint8).reshape(int(height), int(width), 3)


def _colour(image, hex_colour: str, tolerance: int = 40):
    """Which pixels are close to ``hex_colour`` (a boolean mask)."""
    import numpy as np

    rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    return (np.abs(image.astype(int) - rgb).max(axis=2) <= tolerance)


def test_the_printed_charts_draw_every_series(pdf, tmp_path):
    """On the printed Charts page, the spread line (purple) sits between the rebased
    lines above it (red and navy) and the forward chart's bars below it (red, navy,
    peach): all three charts are drawn with all their series."""
    import numpy as np

    page = workbook.sheet_pages(pdf)["Charts"]
    image = _pixels(pdf, page, tmp_path)
    purple = np.flatnonzero(_colour(image, "#7030A0").sum(axis=1))
    assert purple.size > 20, "the spread line is not drawn"
    above, below = image[: purple.min()], image[purple.max() + 1:]
    for region, colours in ((above, ("#C00000", "#1F3864")),
                            (below, ("#C00000", "#1F3864", "#F4B183"))):
        for colour in colours:
            assert _colour(region, colour).sum() > 100, colour


def _word_heights(pdf: Path, page: int) -> list[float]:
    """The height of every word on ``page`` of ``pdf`` in points (poppler's bounding boxes)."""
    done = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf),
                           "-"], capture_output=True, text=True, check=True, timeout=120)
    return [float(b) - float(a) for a, b in
            re.findall(r'yMin="([\d.]+)"[^>]*yMax="([\d.]+)"', done.stdout)]


def test_story_and_explore_print_on_one_page_each_readably(built, pdf):
    """Story and Explore each print on one landscape page (print area, fit to one page),
    at a size one can read: the median word is at least 6 points high (10-point text
    scaled to about 60%; before, Explore printed at 45%)."""
    import statistics

    import openpyxl

    pages = workbook.sheet_pages(pdf)
    assert pages["Explore"] == pages["Story"] + 1 and pages["Charts"] == pages["Explore"] + 1
    book = openpyxl.load_workbook(built)
    for name in ("Story", "Explore"):
        sheet = book[name]
        assert sheet.page_setup.orientation == "landscape", name
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, name
        assert sheet.print_area, name
        heights = _word_heights(pdf, pages[name])
        assert len(heights) > 100, name
        assert statistics.median(heights) >= 6.0, (name, statistics.median(heights))


def test_pictures_show_the_real_workbook(pdf, tmp_path, reference_store):
    """The README pictures come from the workbook as built (no values-only copy): the
    Explore page prints its tables and the rotation monitor's grid in percent; every
    unit on the Story page is printed after a gap, never glued to a number."""
    pages = workbook.sheet_pages(pdf)
    explore = workbook.pdf_pages(pdf)[pages["Explore"] - 1]
    assert "run_return" in explore and "peak_gain" in explore
    assert "Rotation monitor" in explore
    for small, large, window in (("^RUT", "^GSPC", "1W"), ("IWM", "SPY", "3M"),
                                 ("IWM", "QQQ", "YTD")):
        spread = api.rotation_spread(window, small, large, store=reference_store)
        assert f"{spread:.2%}" in explore, (small, large, window)
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
