"""One catalogue behind every adapter: the Excel UDFs, their xlwings metadata, the
committed VBA wrappers, ``smallcap.<name>``, ``smallcap call``, ``smallcap serve`` and the
README all agree with :mod:`smallcap.catalogue`; arguments are read by kind the same way
everywhere."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from conftest import http_get

import smallcap
from smallcap import addin, api, catalogue, cli, service, udfs

REPO = Path(__file__).resolve().parents[1]
FUNCTIONS = list(catalogue.functions())
EXCEL = catalogue.excel_names()


pytestmark = pytest.mark.usefixtures("reference_as_default")


# -- drift: every adapter lists exactly the catalogue ----------------------------------------


def test_udfs_are_the_catalogue_excel_names_with_its_arguments():
    assert set(udfs.UDF_NAMES) == set(EXCEL)
    assert {"PRICE", "CLOSE_PRICE", "RUT_STREAK"} <= set(EXCEL)
    for name, fn in EXCEL.items():
        parameters = inspect.signature(getattr(udfs, name)).parameters.values()
        assert [(p.name, p.default) for p in parameters] == [
            (a.name, a.default) for a in fn.arguments], name
    defined = {n for n, v in vars(udfs).items() if callable(v) and n.isupper()}
    assert defined == set(EXCEL)


def test_xlwings_metadata_carries_the_catalogue_help_and_shapes():
    module = addin.udf_module_with_metadata()
    for name, fn in EXCEL.items():
        info = getattr(module, name).__xlfunc__
        assert info["name"] == name
        assert [a["name"] for a in info["args"]] == list(fn.names)
        for arg, argument in zip(info["args"], fn.arguments, strict=True):
            assert arg["doc"] == argument.wizard_help
            # scalar functions take every argument as a 2-D range, tables single values
            assert arg["options"].get("ndim") == (2 if fn.lifts else None), (name, arg["name"])
        assert info["ret"]["doc"].startswith(fn.summary)


def test_committed_vba_wrappers_declare_the_catalogue():
    text = (REPO / "addin" / addin.WRAPPER_FILENAME).read_bytes().decode()
    declared = dict(re.findall(r"^Function (\w+)\(([^)]*)\)\r$", text, flags=re.M))
    assert declared == {name: ", ".join(f"Optional {a}" for a in fn.names)
                        for name, fn in EXCEL.items()}


def test_package_names_are_the_catalogue():
    names = [fn.name for fn in FUNCTIONS]
    assert set(names) <= set(smallcap.__all__) and set(names) <= set(dir(smallcap))
    for fn in FUNCTIONS:
        python = getattr(smallcap, fn.name)
        assert python is getattr(api, fn.name) and python.catalogue is fn
        parameters = list(inspect.signature(python).parameters.values())
        assert [(p.name, p.default) for p in parameters[:-1]] == [
            (a.name, a.default) for a in fn.arguments]
        assert parameters[-1].name == "store" and parameters[-1].kind is parameters[-1].KEYWORD_ONLY


@pytest.mark.parametrize("fn", FUNCTIONS, ids=[fn.name for fn in FUNCTIONS])
def test_call_and_serve_find_every_spelling(fn):
    for spelling in (fn.name, fn.name.upper(), *fn.excel, *(e.lower() for e in fn.excel),
                     f"  {fn.excel[0].title()} "):
        assert catalogue.find(spelling) is fn
        assert service.function(spelling) is getattr(api, fn.name)


def test_readme_function_reference_is_the_catalogue():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Function reference"):readme.index("### Python")]
    headings = [line for line in section.splitlines() if line.startswith("### `")]
    assert headings == [fn.heading() for fn in FUNCTIONS]
    for name in EXCEL:  # every Excel name, aliases too, is explained
        assert re.search(rf"`{name}\b", section), name


def test_readme_names_every_exception():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in smallcap._ERRORS:
        assert f"`{name}`" in readme, name


def test_a_heading_changes_when_the_declaration_does():
    fn = catalogue.find("window_return")
    other = catalogue.Function(fn.name, fn.excel, fn.arguments[:2], fn.result, fn.summary,
                               fn.body)
    assert other.heading() != fn.heading()


# -- one parser: the same reading of text in every adapter -----------------------------------

NOTE_SERIAL = "45489"  # 2024-07-16 as an Excel serial number


def test_cli_takes_excel_names_serial_dates_and_percent(capsys):
    expected = smallcap.price("^RUT", "2024-07-16")
    for argv in (["call", "CLOSE_PRICE", "^RUT", "2024-07-16"],
                 ["call", "close_price", "^RUT", NOTE_SERIAL],
                 ["call", "price", "^RUT", NOTE_SERIAL]):
        assert cli.main(argv) == 0
        assert float(capsys.readouterr().out) == pytest.approx(expected, rel=1e-6)
    assert cli.main(["call", "RUT_STREAK", "1%", "", NOTE_SERIAL]) == 0
    assert capsys.readouterr().out.strip() == "5"


def test_cli_refuses_trailing_junk_in_one_line(capsys):
    assert cli.main(["call", "price", "^RUT", "2024-07-16junk"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "date: '2024-07-16junk' is not a date" in err


def test_http_takes_excel_names_serial_dates_and_percent(base_url):
    expected = smallcap.price("^RUT", "2024-07-16")
    for path in ("/CLOSE_PRICE?ticker=%5ERUT&date=2024-07-16",
                 f"/close_price?ticker=%5ERUT&date={NOTE_SERIAL}",
                 f"/price?ticker=%5ERUT&date={NOTE_SERIAL}"):
        status, body = http_get(base_url + path)
        assert status == 200 and body["value"] == pytest.approx(expected), path
    status, body = http_get(f"{base_url}/RUT_STREAK?threshold=1%25&as_of={NOTE_SERIAL}")
    assert (status, body) == (200, {"value": 5})


def test_http_function_list_is_the_catalogue(base_url):
    status, body = http_get(f"{base_url}/functions")
    assert status == 200 and list(body) == [fn.name for fn in FUNCTIONS]
    for fn in FUNCTIONS:
        entry = body[fn.name]
        assert entry["excel"] == list(fn.excel) and entry["result"] == fn.result
        assert [a["name"] for a in entry["arguments"]] == list(fn.names)
        assert [a["kind"] for a in entry["arguments"]] == [a.kind.name for a in fn.arguments]


@pytest.mark.parametrize("value", ["2024-07-16junk", "16/07/2024", "2024-07-161", "-5", "1e9"])
def test_the_same_bad_date_reads_the_same_everywhere(base_url, capsys, value):
    with pytest.raises(smallcap.BadArgument) as caught:
        smallcap.price("^RUT", value)
    message = caught.value.message
    assert udfs.PRICE("^RUT", value) == caught.value.cell_text()
    status, body = http_get(f"{base_url}/price?ticker=%5ERUT&date={value}")
    assert status == 400 and body["error"]["message"] == message
    assert cli.main(["call", "price", "^RUT", value]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"
