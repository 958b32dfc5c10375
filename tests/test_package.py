"""smallcap as a real package: the wheel carries the add-in.

The wheel is built from a copy of the checkout's project files (so no build/ or
egg-info lands in the checkout), installed with --no-deps into a fresh virtual
environment outside the checkout that sees this Python's packages
(--system-site-packages: the dependencies are already there, no network needed), and
run from a temporary folder: ``smallcap addin build --out``, ``smallcap addin install
--dry-run`` and ``smallcap workbook build`` work without a checkout around them. An
editable install from a checkout (the README's first set-up command) still reads the
checkout's ``addin/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from smallcap import addin
from smallcap.sources import sample

REPO = Path(__file__).resolve().parents[1]
PROJECT = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "addin", "python")
BIN = "Scripts" if os.name == "nt" else "bin"

pytestmark = pytest.mark.timeout(180)  # measured: about 15 s here; a hung pip fails


def run(*command: str | Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONNOUSERSITE"] = "1"
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)
    return done


def ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, f"{done.args}: rc={done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def copy_project(target: Path) -> Path:
    target.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    for name in PROJECT:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)
    return target


def venv(folder: Path) -> Path:
    """A fresh virtual environment that sees this Python's packages; its python."""
    ok(run(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", folder,
           cwd=folder.parent))
    return folder / BIN / ("python.exe" if os.name == "nt" else "python")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    source = copy_project(folder / "src")
    ok(run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
           "--no-index", source, "-w", folder / "dist", cwd=folder))
    (built,) = (folder / "dist").glob("smallcap-*.whl")
    return built


def test_the_wheel_carries_the_addin(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for name in addin.PACKAGED:
            part = f"smallcap/resources/addin/{name}"
            assert part in names, sorted(n for n in names if "resources" in n)
            assert z.read(part) == (REPO / "addin" / name).read_bytes(), name
        for path in sample.files().values():  # the sample history: report --sample, offline
            assert z.read(f"smallcap/sample_data/{path.name}") == path.read_bytes(), path.name
    assert not {n for n in names if n.startswith(("addin/", "tests/"))}


def test_installed_wheel_builds_installs_and_writes_the_workbook(wheel, reference_store_path,
                                                                   tmp_path):
    python = venv(tmp_path / "env")
    ok(run(python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed",
           wheel, cwd=tmp_path))
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    where = ok(run(python, "-c", "import smallcap.addin as a; print(a.addin_dir())", cwd=cwd))
    packaged = Path(where.strip())
    assert packaged.is_relative_to(tmp_path / "env") and packaged.name == "addin"
    smallcap = tmp_path / "env" / BIN / "smallcap"

    out = tmp_path / "out"
    text = ok(run(smallcap, "addin", "build", "--out", out, cwd=cwd))
    assert text.count("wrote ") == 2
    for name in (addin.ADDIN_FILENAME, addin.WRAPPER_FILENAME):  # the same bytes as committed
        assert (out / name).read_bytes() == (REPO / "addin" / name).read_bytes(), name
    refused = run(smallcap, "addin", "build", cwd=cwd)  # no checkout to write into
    assert refused.returncode == 2 and "--out" in refused.stderr

    dry = run(smallcap, "addin", "install", "--dry-run", cwd=cwd)
    assert dry.returncode == 0, dry.stderr
    if addin.current_platform() == "linux":
        assert "Excel does not run on Linux" in dry.stdout
        assert "AppData" not in dry.stdout and "Interpreter_Win" not in dry.stdout
    home = tmp_path / "home"
    windows = ok(run(smallcap, "addin", "install", "--dry-run", "--platform", "windows",
                     "--home", home, "--interpreter", r"C:\Python311\pythonw.exe", cwd=cwd))
    assert f"would copy {packaged / addin.ADDIN_FILENAME} -> " in windows
    assert not home.exists()

    book = tmp_path / "x.xlsx"
    text = ok(run(smallcap, "--store", reference_store_path, "workbook", "build", book,
                  cwd=cwd, timeout=120))
    assert str(book) in text
    assert openpyxl.load_workbook(book, read_only=True).sheetnames == [
        "Story", "Explore", "Charts", "Data", "Cached"]

    story = ok(run(smallcap, "--store", tmp_path / "none.sqlite", "report", "--sample",
                   "--as-of", "2024-07-16", cwd=cwd, timeout=120))
    assert story.startswith("Sample data") and "+3.50%" in story


def test_editable_install_from_a_checkout_reads_its_addin(tmp_path):
    """`pip install -e .` (the README's first set-up command, without the network): the
    add-in's files are the checkout's addin/."""
    checkout = copy_project(tmp_path / "checkout")
    python = venv(tmp_path / "env")
    ok(run(python, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
           "-e", checkout, cwd=checkout))
    where = ok(run(python, "-c", "import smallcap.addin as a; print(a.addin_dir())",
                   cwd=tmp_path))
    assert Path(where.strip()) == checkout / "addin"
    text = ok(run(tmp_path / "env" / BIN / "smallcap", "addin", "build", "--dry-run",
                  cwd=tmp_path))
    assert text.count(f"unchanged {checkout / 'addin'}") == 2
