"""The add-in: ribbon XML against Microsoft's schema, config sheet read back with openpyxl,
VBA modules and the RunPython call listed with olevba, generated wrappers that cannot
drift, and install/uninstall into a temporary home folder."""

from __future__ import annotations

import inspect
import re
import sys
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest
from _excel_helpers import xlam_as_xlsm
from lxml import etree

import smallcap
from smallcap import addin, addin_folders, cli, udfs

with warnings.catch_warnings():  # oletools uses pyparsing names deprecated since 3.1
    warnings.simplefilter("ignore")
    from oletools.olevba import VBA_Parser

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = Path(__file__).resolve().parent / "schemas"  # Microsoft's, patched for lxml
ADDIN = REPO / "addin" / addin.ADDIN_FILENAME
WRAPPER = REPO / "addin" / addin.WRAPPER_FILENAME
SCHEMA_BY_NAMESPACE = {
    "http://schemas.microsoft.com/office/2006/01/customui": "customUI.xsd",
    "http://schemas.microsoft.com/office/2009/07/customui": "customUI14.xsd",
}
UI_RELATIONSHIP = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"


@pytest.fixture(scope="module")
def vba_modules() -> dict[str, str]:
    """The add-in's VBA modules (name -> source), as olevba lists them."""
    parser = VBA_Parser(str(ADDIN))
    try:
        assert parser.detect_vba_macros()
        return {name: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def _validate(xml: bytes) -> etree._Element:
    root = etree.fromstring(xml)
    namespace = etree.QName(root).namespace
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / SCHEMA_BY_NAMESPACE[namespace])))
    schema.assertValid(root)
    return root


# -- ribbon ----------------------------------------------------------------------------------


def test_ribbon_source_is_valid_customui():
    root = _validate(addin.ribbon_xml())
    ns = {"ui": etree.QName(root).namespace}
    tabs = root.findall(".//ui:tab", ns)
    assert [t.get("label") for t in tabs] == ["Small Caps"]
    buttons = root.findall(".//ui:button", ns)
    assert len(buttons) == 1
    button = buttons[0]
    assert button.get("label") == "Refresh data"
    assert button.get("size") == "large"
    assert button.get("imageMso") == "Refresh"
    assert button.get("onAction") == addin.RIBBON_CALLBACK


def test_schema_check_can_fail():
    bad = addin.ribbon_xml().replace(b'size="large"', b'size="huge"')
    with pytest.raises(etree.DocumentInvalid):
        _validate(bad)


def test_built_addin_carries_the_ribbon_and_its_relationship():
    with zipfile.ZipFile(ADDIN) as book:
        rels = etree.fromstring(book.read("_rels/.rels"))
        targets = {r.get("Target") for r in rels if r.get("Type") == UI_RELATIONSHIP}
        assert targets == {"customUI/customUI.xml"}
        ui = book.read("customUI/customUI.xml")
    assert ui == addin.ribbon_xml()
    _validate(ui)


# -- VBA: the template's project, the callback, RunPython ------------------------------------


def test_vba_project_is_the_templates(vba_modules):
    with zipfile.ZipFile(ADDIN) as ours, zipfile.ZipFile(addin.template_path()) as template:
        assert ours.read("xl/vbaProject.bin") == template.read("xl/vbaProject.bin")
    assert {"xlwings", "RibbonMyAddin", "ThisWorkbook", "Dictionary"} <= {
        Path(name).stem for name in vba_modules
    }
    xlwings_bas = vba_modules["xlwings.bas"]
    assert "Public Function RunPython(PythonCommand As String)" in xlwings_bas
    project = re.search(r'Public Const PROJECT_NAME As String = "(\w+)"', xlwings_bas)
    assert project and project.group(1) == addin.PROJECT_NAME
    # the sheet name the VBA reads its settings from
    assert 'Sheets(PROJECT_NAME & ".conf")' in xlwings_bas


def test_addin_vba_matches_the_installed_xlwings(vba_modules):
    """The VBA loads xlwings' DLL by version: the add-in must be rebuilt (and committed)
    whenever the xlwings package changes version."""
    import xlwings

    version = re.search(r'Public Const XLWINGS_VERSION As String = "([^"]+)"',
                        vba_modules["xlwings.bas"])
    assert version and version.group(1) == xlwings.__version__, (
        "addin/smallcap.xlam was built from another xlwings: run `smallcap addin build`")


def test_ribbon_callback_runs_smallcap_main(vba_modules):
    module, sub = addin.RIBBON_CALLBACK.split(".")
    code = vba_modules[f"{module}.bas"]
    assert re.search(rf"Sub {sub}\(control As IRibbonControl\)", code)
    call = next(line.strip() for line in code.splitlines() if "RunPython" in line)
    assert call == 'RunPython "import " & mymodule & ";" & mymodule & ".main()"'
    # mymodule = the add-in's file name without its extension
    assert "Left(ThisWorkbook.Name, (InStrRev(ThisWorkbook.Name, \".\"" in code
    mymodule = Path(addin.ADDIN_FILENAME).stem
    command = f"import {mymodule};{mymodule}.main()"
    assert command == "import smallcap;smallcap.main()"
    from smallcap import ribbon

    assert smallcap.main is ribbon.main


# -- config sheet -----------------------------------------------------------------------------


def test_config_sheet_names_the_udf_module():
    book = openpyxl.load_workbook(xlam_as_xlsm(ADDIN))
    assert book.sheetnames == [addin.CONFIG_SHEET] == ["myaddin.conf"]
    rows = [tuple(r) for r in book[addin.CONFIG_SHEET].iter_rows(values_only=True)]
    settings = dict(rows)
    assert settings["UDF Modules"] == "smallcap.udfs"
    assert settings["UDF Modules"] == udfs.__name__
    # VBA reads A1 down to the first blank: the rows must be contiguous from A1
    assert all(key for key, _ in rows)
    # no empty interpreter rows that would shadow the user config written by install
    assert not {k.upper() for k in settings} & {"INTERPRETER_WIN", "INTERPRETER_MAC",
                                                "INTERPRETER", "PYTHONPATH"}
    assert settings["Use UDF Server"] is False


# -- generated, never hand-written ------------------------------------------------------------


def test_committed_wrapper_is_what_the_generator_writes():
    fresh = addin.generate_wrapper().encode()
    assert WRAPPER.read_bytes() == fresh, "run `smallcap addin build` and commit addin/"


def test_wrapper_declares_every_udf_with_optional_arguments():
    text = WRAPPER.read_bytes().decode()
    assert text.startswith(f'Attribute VB_Name = "{addin.WRAPPER_MODULE}"\r\n')
    declared = re.findall(r"^Function (\w+)\(([^)]*)\)\r$", text, flags=re.M)
    assert sorted(name for name, _ in declared) == sorted(udfs.UDF_NAMES)
    for name, arglist in declared:
        params = list(inspect.signature(getattr(udfs, name)).parameters)
        assert arglist == ", ".join(f"Optional {p}" for p in params), name
        call = f'XLPy.CallUDF("{addin.UDF_MODULE}", "{name}", Array({", ".join(params)}), '
        assert call + "ActiveWorkbook, Application.Caller)" in text


def test_committed_addin_is_what_build_writes(tmp_path):
    result = addin.build(tmp_path)
    assert result.changed == result.paths  # an empty folder: both written
    assert (tmp_path / addin.ADDIN_FILENAME).read_bytes() == ADDIN.read_bytes()
    assert (tmp_path / addin.WRAPPER_FILENAME).read_bytes() == WRAPPER.read_bytes()
    again = addin.build(tmp_path)
    assert again.changed == []


def test_build_dry_run_writes_nothing(tmp_path, capsys):
    assert cli.main(["addin", "build", "--out", str(tmp_path), "--dry-run"]) == 0
    assert list(tmp_path.iterdir()) == []
    out = capsys.readouterr().out
    assert "would write" in out and addin.ADDIN_FILENAME in out


def test_metadata_comes_from_xlwings_decorators_and_leaves_no_trace():
    import xlwings

    before = (xlwings.func, xlwings.arg, xlwings.ret)
    had = {name: name in sys.modules for name in ("pythoncom", "pywintypes", "win32com")}
    module = addin.udf_module_with_metadata()
    assert (xlwings.func, xlwings.arg, xlwings.ret) == before
    assert {name: name in sys.modules for name in had} == had
    for name in udfs.UDF_NAMES:
        info = getattr(module, name).__xlfunc__
        assert info["category"] == "smallcap"
        description = info["ret"]["doc"]
        assert description and "\n" not in description and len(description) <= 255
        assert not info["ret"]["options"].get("expand")  # native spill, no legacy expand
        params = inspect.signature(getattr(udfs, name)).parameters
        for arg in info["args"]:
            assert arg["optional"] == params[arg["name"]].default
            assert not arg["doc"].startswith("Positional argument"), (name, arg["name"])
            assert "convert" not in arg["options"]  # the adapter parses, not xlwings
    assert not hasattr(udfs.RUT_STREAK, "__xlfunc__") or sys.platform.startswith("win")


# -- install / uninstall ----------------------------------------------------------------------

EXPECTED = {
    "windows": ("AppData/Roaming/Microsoft/Excel/XLSTART", ".myaddin/myaddin.conf",
                "Interpreter_Win", b"\r\n"),
    "macos": ("Library/Group Containers/UBF8T346G9.Office/User Content.localized/"
              "Startup.localized/Excel",
              "Library/Containers/com.microsoft.Excel/Data/myaddin.conf",
              "Interpreter_Mac", b"\n"),
}


@pytest.mark.parametrize("platform", addin.PLATFORMS)
def test_install_and_uninstall(tmp_path, platform):
    folder, config, key, newline = EXPECTED[platform]
    home = tmp_path / "home"
    where = addin.layout(platform, home)
    assert where.xlstart == home / folder
    assert where.config == home / config

    plan = addin.install(platform=platform, home=home, interpreter="/opt/py/bin/python",
                         dry_run=True)
    assert plan.dry_run and len(plan.actions) == 2 and not home.exists()

    addin.install(platform=platform, home=home, interpreter="/opt/py/bin/python")
    assert (home / folder / "smallcap.xlam").read_bytes() == ADDIN.read_bytes()
    raw = (home / config).read_bytes()
    created = {home, *(home / folder).parents, home / folder, *(home / config).parents}
    created = {f for f in created if f.is_relative_to(home)}
    assert raw == (f'"{key}","/opt/py/bin/python"'.encode() + newline
                   + b'"UDF Modules","smallcap.udfs"' + newline)
    assert addin.read_config(home / config) == {key: "/opt/py/bin/python",
                                                "UDF Modules": "smallcap.udfs"}
    assert set(addin_folders.recorded(home / config)) == created  # the folders it made

    plan = addin.uninstall(platform=platform, home=home, dry_run=True)
    assert len(plan.actions) == 2 + len(created) and (home / config).exists()
    assert addin_folders.record_file(home / config).exists()  # a dry run keeps the record
    addin.uninstall(platform=platform, home=home)
    assert not home.exists()  # every folder install created, once empty, is gone
    assert str(addin.uninstall(platform=platform, home=home)) == "nothing to do"


def test_uninstall_keeps_folders_it_did_not_create(tmp_path):
    home = tmp_path
    where = addin.layout("windows", home)
    where.xlstart.mkdir(parents=True)  # Excel's own folder, there before the install
    addin.install(platform="windows", home=home, interpreter="/opt/py/bin/python")
    (where.config.parent / "notes.txt").write_text("the user's file")
    plan = addin.uninstall(platform="windows", home=home)
    assert where.xlstart.is_dir() and not where.addin.exists()
    assert (where.config.parent / "notes.txt").exists()  # not empty: it stays
    assert not any("empty folder" in action for action in plan.actions)


def test_install_keeps_the_users_other_settings(tmp_path):
    home = tmp_path
    config = addin.layout("windows", home).config
    config.parent.mkdir(parents=True)
    config.write_bytes(b'"Interpreter_Win","C:\\old\\pythonw.exe"\r\n"Show Console","True"\r\n')
    addin.install(platform="windows", home=home, interpreter=r"C:\py311\pythonw.exe")
    assert addin.read_config(config) == {"Interpreter_Win": r"C:\py311\pythonw.exe",
                                         "Show Console": "True",
                                         "UDF Modules": "smallcap.udfs"}
    addin.uninstall(platform="windows", home=home)
    assert addin.read_config(config) == {"Show Console": "True"}


def test_default_interpreter_is_windowless_on_windows():
    interpreter = addin.default_interpreter("windows")
    if Path(sys.executable).name.lower() == "python.exe":
        assert interpreter.lower().endswith("pythonw.exe")
    else:
        assert interpreter == sys.executable
    assert addin.default_interpreter("macos") == sys.executable


def test_install_refuses_a_missing_addin_and_an_unknown_platform(tmp_path):
    with pytest.raises(addin.AddinError, match="no add-in at"):
        addin.install(platform="windows", home=tmp_path, xlam=tmp_path / "nope.xlam")
    with pytest.raises(addin.AddinError, match="platform must be one of"):
        addin.layout("linux", tmp_path)


def test_cli_install_uninstall(tmp_path, capsys):
    home = tmp_path / "h"
    args = ["addin", "install", "--platform", "macos", "--home", str(home),
            "--interpreter", "/usr/bin/python3"]
    assert cli.main([*args, "--dry-run"]) == 0
    assert "would copy" in capsys.readouterr().out and not home.exists()
    assert cli.main(args) == 0
    assert (addin.layout("macos", home).addin).is_file()
    assert cli.main(["addin", "uninstall", "--platform", "macos", "--home", str(home)]) == 0
    assert not addin.layout("macos", home).addin.exists()
    assert cli.main(["addin", "install", "--platform", "windows", "--home", str(home),
                     "--xlam", str(tmp_path / "missing.xlam")]) == 2
    assert "no add-in at" in capsys.readouterr().err
