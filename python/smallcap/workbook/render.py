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


def render_pdf(path: str | os.PathLike[str], outdir: str | os.PathLike[str],
               timeout: float = 240.0) -> Path:
    """Convert the workbook to PDF with headless LibreOffice; returns the PDF's path."""
    exe = soffice()
    if exe is None:
        raise FileNotFoundError("LibreOffice (soffice) is not installed: apt-get install "
                                "libreoffice-calc")
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="smallcap-lo-") as profile:
        command = [exe, f"-env:UserInstallation=file://{profile}", "--headless",
                   "--norestore", "--convert-to", "pdf", "--outdir", str(out), str(path)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              check=False)
    pdf = out / (Path(path).stem + ".pdf")
    if done.returncode != 0 or not pdf.exists():
        raise RuntimeError(f"LibreOffice could not convert {path}: rc={done.returncode} "
                           f"{done.stdout.strip()} {done.stderr.strip()}")
    return pdf


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
