"""smallcap under Pyodide itself (node and the npm ``pyodide`` package, offline): what runs
without numpy and pandas. The npm package carries Python (3.14 in Pyodide 314.0.8) and its
standard library, not the numpy and pandas wheels (Pyodide fetches those from its CDN), so
here: every module of the package compiles under Pyodide's Python, the numpy-free ones
import (``smallcap`` itself, errors, settings, cors, the optional-part guard), sqlite3 is
there, and importing the core stops at pandas or numpy, not at a desktop-only part.

The package comes from the npm registry: when node and npm are there and it is missing, the
fixture runs ``npm install --prefix tests/pyodide pyodide@314.0.8`` (about 14 MB, seconds;
CI reaches the registry), as the render tests install LibreOffice. Skipped, with the reason,
only where node or npm is missing or the registry cannot be reached.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYODIDE = ROOT / "tests" / "pyodide" / "node_modules" / "pyodide"
VERSION = "314.0.8"  # the release whose pyodide-lock.json (trimmed) sits in tests/pyodide

SCRIPT = """
import { loadPyodide } from %(module)s;
const py = await loadPyodide({ indexURL: %(index)s });
py.mountNodeFS("/src", %(source)s);
console.log(py.runPython(%(python)s));
"""

PYTHON = r'''
import json, pathlib, sys
sys.path.insert(0, "/src")
failed = {}
for path in sorted(pathlib.Path("/src/smallcap").rglob("*.py")):
    try:
        compile(path.read_text(), str(path), "exec")
    except SyntaxError as exc:
        failed[str(path)] = str(exc)
import sqlite3
import smallcap, smallcap.errors, smallcap.settings, smallcap.cors, smallcap.sources.optional
try:
    import smallcap.api
    core = "imported"
except ModuleNotFoundError as exc:
    core = exc.name
json.dumps({"platform": sys.platform, "version": sys.version_info[:2], "failed": failed,
            "core": core,
            "sqlite": sqlite3.sqlite_version,
            "desktop": sorted(m for m in sys.modules
                              if m.split(".")[0] in {"yfinance", "curl_cffi", "rich", "xlwings"})})
'''


@pytest.fixture(scope="module")
def pyodide(tmp_path_factory) -> dict:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is not None and npm is not None and not (PYODIDE / "pyodide.mjs").is_file():
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix",
                        str(PYODIDE.parents[1]), f"pyodide@{VERSION}"],
                       capture_output=True, text=True, timeout=600, check=False)
    if node is None or not (PYODIDE / "pyodide.mjs").is_file():
        pytest.skip("needs node and the npm pyodide package: npm install --prefix tests/pyodide "
                    f"pyodide@{VERSION} (node, npm or the registry is missing)")
    script = tmp_path_factory.mktemp("pyodide") / "run.mjs"
    script.write_text(SCRIPT % {
        "module": json.dumps((PYODIDE / "pyodide.mjs").as_uri()),
        "index": json.dumps(str(PYODIDE) + "/"), "source": json.dumps(str(ROOT / "python")),
        "python": json.dumps(PYTHON)})
    done = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_module_compiles_under_pyodides_python(pyodide):
    assert pyodide["platform"] == "emscripten"
    assert pyodide["failed"] == {}


def test_the_numpy_free_modules_import_and_nothing_desktop_only_is_asked_for(pyodide):
    assert pyodide["sqlite"]  # the store's sqlite3 is in Pyodide's standard library
    # the core stops at pandas or numpy (Pyodide's CDN), not at a desktop-only part
    assert pyodide["core"] in {"numpy", "pandas"}
    assert pyodide["desktop"] == []
