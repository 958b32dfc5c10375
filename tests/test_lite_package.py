"""The package as xlwings Lite installs it: the committed Lite files are what `smallcap lite
build` writes; the base dependencies resolve in Pyodide (floors checked against the
Pyodide lock file, tests/pyodide/pyodide-lock.json from the npm `pyodide` package, whose
wheels are what Lite installs for numpy and pandas); smallcap and every catalogue function
import and answer without yfinance, curl_cffi, rich or xlwings."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from smallcap import catalogue, cli
from smallcap.lite import build

ROOT = Path(__file__).resolve().parents[1]
LOCK = json.loads((ROOT / "tests" / "pyodide" / "pyodide-lock.json").read_text())
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
DESKTOP_ONLY = {"yfinance", "curl-cffi", "rich", "xlwings"}
# Base dependencies Pyodide does not ship, installed by micropip from PyPI: pure-Python
# wheels (py3-none-any) there, the only kind micropip can take from PyPI.
PURE_ON_PYPI = {"openpyxl", "xlsxwriter"}


def pyodide_environment() -> dict[str, str]:
    """The marker environment of Pyodide (what micropip evaluates requirements in)."""
    python = LOCK["info"]["python"]
    return {**default_environment(), "sys_platform": "emscripten", "platform_system": "Emscripten",
            "platform_machine": "wasm32", "os_name": "posix", "python_full_version": python,
            "python_version": ".".join(python.split(".")[:2]), "implementation_name": "cpython"}


def base_in_pyodide() -> list[Requirement]:
    env = pyodide_environment()
    found = [Requirement(r) for r in PROJECT["dependencies"]]
    return [r for r in found if r.marker is None or r.marker.evaluate(env)]


def test_the_committed_lite_files_are_what_the_build_writes(tmp_path):
    build.build(tmp_path)
    for name in build.FILES:
        assert (ROOT / "addin" / "lite" / name).read_text() == (tmp_path / name).read_text(), (
            f"addin/lite/{name} is stale: run smallcap lite build addin/lite")


def test_every_excel_name_has_its_function_in_main_py():
    text = build.main_py()
    for name, fn in catalogue.excel_names().items():
        call = ", ".join([repr(name).replace("'", '"'), *(a.name for a in fn.arguments)])
        assert f"\ndef {name}(" in text and f"runtime.call({call})" in text


def test_cli_lite_build_writes_both_files_and_the_wheel(tmp_path, capsys):
    wheel = tmp_path / "smallcap-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK\x05\x06" + bytes(18))
    url = "https://example.org/wheels/smallcap-0.1.0-py3-none-any.whl"
    assert cli.main(["lite", "build", str(tmp_path / "out"), "--wheel-url", url,
                     "--wheel", str(wheel)]) == 0
    out = tmp_path / "out"
    assert (out / "main.py").read_text() == build.main_py()
    assert (out / "requirements.txt").read_text().splitlines()[-1] == url
    assert (out / wheel.name).read_bytes() == wheel.read_bytes()
    assert capsys.readouterr().out.count("wrote ") == 3


def test_cli_lite_build_refuses_a_file_as_wheel_in_one_line(tmp_path, capsys):
    assert cli.main(["lite", "build", str(tmp_path), "--wheel", str(tmp_path / "nope.txt")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "not a wheel" in err and err.count("\n") == 1


def test_the_default_requirement_is_smallcap_by_version():
    from smallcap import __version__

    assert build.requirements_txt().splitlines()[-1] == f"smallcap=={__version__}"


def test_no_desktop_only_dependency_is_installed_in_pyodide():
    names = {canonicalize_name(r.name) for r in base_in_pyodide()}
    assert not names & DESKTOP_ONLY
    desktop = {canonicalize_name(Requirement(r).name) for r in PROJECT["dependencies"]}
    yahoo = {canonicalize_name(Requirement(r).name) for r in PROJECT["optional-dependencies"]["yahoo"]}
    assert {"xlwings", "rich"} <= desktop and yahoo == {"yfinance", "curl-cffi"}


@pytest.mark.parametrize("requirement", base_in_pyodide(), ids=lambda r: r.name)
def test_each_base_dependency_installs_in_pyodide(requirement):
    """Pyodide's own build satisfies the floor, or (pure Python only) micropip takes a
    newer pure wheel from PyPI; a compiled package must be Pyodide's (numpy, pandas)."""
    name = canonicalize_name(requirement.name)
    locked = LOCK["packages"].get(name)
    if locked is None:
        assert name in PURE_ON_PYPI, f"{name}: neither in Pyodide nor a known pure wheel"
        return
    if requirement.specifier.contains(Version(locked["version"]), prereleases=True):
        return
    assert locked["file_name"].endswith("-none-any.whl"), (
        f"{name}{requirement.specifier}: Pyodide ships {locked['version']}, compiled, so "
        "micropip cannot install another: lower the floor")


def test_the_floors_of_numpy_and_pandas_are_pyodides():
    floors = {canonicalize_name(r.name): r.specifier for r in base_in_pyodide()}
    for name in ("numpy", "pandas"):
        assert floors[name].contains(LOCK["packages"][name]["version"])
        assert not LOCK["packages"][name]["file_name"].endswith("-none-any.whl")


BLOCKED = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"yfinance", "curl_cffi", "rich", "xlwings"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Block())
import smallcap
from smallcap import catalogue
from smallcap.lite import build, runtime
from smallcap.lite.table import histories
functions = [getattr(smallcap, fn.name) for fn in catalogue.functions()]
runtime.install(runtime.MemoryStore(histories(
    [["date", "^RUT", "^GSPC", "^TNX"]]
    + [[f"2024-{m:02d}-{d:02d}", 2000 + 3 * d + m, 5000 + d - m, 4 + d / 100]
       for m in range(1, 8) for d in range(1, 29)]), "a small history"))
answers = {}
for name in catalogue.excel_names():
    try:
        answers[name] = str(runtime.call(name))[:80]
    except runtime.LiteError as exc:
        answers[name] = str(exc)[:80]
assert len(build.main_py()) > 1000
print(len(functions), sorted(m.split(".")[0] for m in sys.modules
                             if m.split(".")[0] in {"yfinance", "curl_cffi", "rich", "xlwings"}))
for name, text in answers.items():
    print(name, text)
"""


def test_smallcap_and_every_function_work_without_the_desktop_parts():
    done = subprocess.run([sys.executable, "-c", BLOCKED], capture_output=True, text=True,
                          timeout=120, check=False, cwd=ROOT,
                          env={"PYTHONPATH": str(ROOT / "python"), "PATH": ""})
    assert done.returncode == 0, done.stderr[-2000:]
    first, *answers = done.stdout.splitlines()
    assert first == f"{len(list(catalogue.functions()))} []"
    assert len(answers) == len(catalogue.excel_names())
    for line in answers:  # an answer, or a smallcap error: never a missing module
        assert "ModuleNotFound" not in line and "failed:" not in line, line
