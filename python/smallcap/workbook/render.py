"""Rendering with LibreOffice (PDF) and poppler (page text, PNG pictures)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .layout import SHEETS

# What identifies the first page of each sheet in the PDF: the sheet's title (the Data
# sheet has none; its page header shows its name).
PAGE_TITLES = {"Story": "Story —", "Explore": "Explore —", "Charts": "Charts —",
               "Data": "Data"}


def soffice() -> str | None:
    """The LibreOffice executable, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


# LibreOffice's setting "recalculation on file load" for Excel 2007+ files: 0 = always.
# Without it LibreOffice shows an ordinary formula's cached value as it is in the file.
_RECALCULATE_ON_LOAD = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode"
 oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def render_pdf(path: str | os.PathLike[str], outdir: str | os.PathLike[str],
               timeout: float = 240.0) -> Path:
    """Convert the workbook to PDF with headless LibreOffice; returns the PDF's path."""
    return convert(path, outdir, "pdf", timeout=timeout)


def convert(path: str | os.PathLike[str], outdir: str | os.PathLike[str], to: str = "pdf", *,
            recalculate: bool = False, timeout: float = 240.0) -> Path:
    """Convert the workbook with headless LibreOffice to ``to`` (``pdf``, ``xlsx``, ...) in
    ``outdir``; with ``recalculate`` every formula is computed on load first (the cells
    and charts then show what LibreOffice computes, not the cached values). Returns the
    converted file's path."""
    exe = soffice()
    if exe is None:
        raise FileNotFoundError("LibreOffice (soffice) is not installed: apt-get install "
                                "libreoffice-calc")
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="smallcap-lo-") as profile:
        if recalculate:
            user = Path(profile) / "user"
            user.mkdir()
            (user / "registrymodifications.xcu").write_text(_RECALCULATE_ON_LOAD)
        command = [exe, f"-env:UserInstallation=file://{profile}", "--headless",
                   "--norestore", "--convert-to", to, "--outdir", str(out), str(path)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              check=False)
    converted = out / (Path(path).stem + "." + to.split(":")[0])
    if done.returncode != 0 or not converted.exists():
        raise RuntimeError(f"LibreOffice could not convert {path}: rc={done.returncode} "
                           f"{done.stdout.strip()} {done.stderr.strip()}")
    return converted


def pdf_pages(pdf: str | os.PathLike[str]) -> list[str]:
    """The text of each page of ``pdf`` (poppler's pdftotext)."""
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True, timeout=120)
    return done.stdout.split("\f")


def sheet_pages(pdf: str | os.PathLike[str]) -> dict[str, int]:
    """1-based page number of the first page of each sheet (found by its title)."""
    found: dict[str, int] = {}
    for number, text in enumerate(pdf_pages(pdf), start=1):
        for name in SHEETS:
            if name not in found and PAGE_TITLES[name] in text:
                found[name] = number
                break
    return found


def render_png(pdf: str | os.PathLike[str], page: int, target: str | os.PathLike[str],
               dpi: int = 110) -> Path:
    """Render one page of ``pdf`` to the PNG ``target`` (poppler's pdftoppm)."""
    out = Path(target)
    stem = out.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page),
                    "-singlefile", str(pdf), str(stem)], check=True, timeout=120,
                   capture_output=True)
    return stem.with_suffix(".png")
