"""The add-in's user config (issue 17, cases 13 and 14): ``myaddin.conf`` read as UTF-8,
UTF-16 with a BOM or the Windows code page, written as ``xlwings config create`` writes it,
and a value that would break its ``"KEY","value"`` lines refused before anything changes
(the add-in is not copied, the config keeps its bytes), on the CLI as one line."""

from __future__ import annotations

import codecs
import functools

import pytest

from smallcap import addin, addin_conf, cli

JOSE = r"C:\Users\José\AppData\Local\Programs\Python\Python311\pythonw.exe"
OTHER = {"Show Console": "True", "Conda Path": r"C:\Users\José\miniconda3"}


def config_text(entries: dict[str, str], end: str = "\r\n") -> str:
    return "".join(f'"{k}","{v}"{end}' for k, v in entries.items())


def as_xlwings_writes(entries: dict[str, str], platform: str) -> bytes:
    """What ``xlwings config create`` writes: ``'"KEY","value"\\n'`` lines through a text
    file in the platform's encoding (Windows: the ANSI code page, CRLF)."""
    if platform == "windows":
        return config_text(entries, "\r\n").encode("cp1252")
    return config_text(entries, "\n").encode("utf-8")


ENCODINGS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8-bom": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "utf-16-le-bom (Notepad Unicode)": lambda text: text.encode("utf-16"),
    "utf-16-be-bom": lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    "cp1252": lambda text: text.encode("cp1252"),
}


@pytest.mark.parametrize("saved_as", list(ENCODINGS))
def test_a_config_in_any_editor_encoding_is_read_and_rewritten_as_xlwings_writes_it(
        tmp_path, saved_as) -> None:
    where = addin.layout("windows", tmp_path)
    where.config.parent.mkdir(parents=True)
    where.config.write_bytes(ENCODINGS[saved_as](config_text(
        {"Interpreter_Win": r"C:\old\pythonw.exe", **OTHER})))
    assert addin.read_config(where.config) == {"Interpreter_Win": r"C:\old\pythonw.exe",
                                               **OTHER}
    addin.install(platform="windows", home=tmp_path, interpreter=JOSE)
    expected = {"Interpreter_Win": JOSE, **OTHER, "UDF Modules": "smallcap.udfs"}
    assert where.config.read_bytes() == as_xlwings_writes(expected, "windows")
    addin.uninstall(platform="windows", home=tmp_path)
    assert where.config.read_bytes() == as_xlwings_writes(OTHER, "windows")


def test_a_macos_config_is_utf8_with_lf(tmp_path) -> None:
    interpreter = "/Users/Łukasz/.venv/bin/python"  # not in cp1252: fine in UTF-8
    addin.install(platform="macos", home=tmp_path, interpreter=interpreter)
    expected = {"Interpreter_Mac": interpreter, "UDF Modules": "smallcap.udfs"}
    assert addin.layout("macos", tmp_path).config.read_bytes() == as_xlwings_writes(
        expected, "macos")


@pytest.mark.parametrize("data,text", [
    (b'"Show Console","\x81\x8d"\r\n', "neither UTF-8, UTF-16 nor cp1252"),
    ('"Show Console","True"\r\n'.encode("utf-16-le"), "control character"),
    (codecs.BOM_UTF16_LE + b'"\x00A\x00"\x00,\x00"\x00\x00\xd8', "not utf-16 text"),
], ids=["not-text", "utf16-without-bom", "broken-utf16"])
def test_an_unreadable_config_is_refused_and_nothing_changes(tmp_path, data, text) -> None:
    where = addin.layout("windows", tmp_path)
    addin.install(platform="windows", home=tmp_path, interpreter=JOSE)
    where.config.write_bytes(data)
    addin_bytes = where.addin.read_bytes()
    for action in (functools.partial(addin.install, interpreter=JOSE), addin.uninstall):
        with pytest.raises(addin.AddinError, match=text):
            action(platform="windows", home=tmp_path)
        assert where.config.read_bytes() == data
        assert where.addin.read_bytes() == addin_bytes  # not removed either


@pytest.mark.parametrize("interpreter,text", [
    ('C:\\py"\n"UDF Modules","os', "holds '\"'"),
    ("C:\\py\r\nevil.exe", "holds '\\r'"),
    ("C:\\py\nevil.exe", "holds '\\n'"),
    ("C:\\py\tx\\pythonw.exe", "holds '\\t'"),
    ("C:\\py\x00x", "holds '\\x00'"),
    ("C:\\Users\\Łukasz\\pythonw.exe", "holds 'Ł', which the add-in cannot read (cp1252)"),
], ids=["quote-newline", "crlf", "lf", "tab", "nul", "not-in-code-page"])
def test_a_value_that_would_break_the_config_is_refused(tmp_path, interpreter,
                                                        text) -> None:
    where = addin.layout("windows", tmp_path)
    where.config.parent.mkdir(parents=True)
    before = as_xlwings_writes(OTHER, "windows")
    where.config.write_bytes(before)
    for dry_run in (True, False):
        with pytest.raises(addin.AddinError, match=text.replace("\\", "\\\\")
                           .replace("(", "\\(").replace(")", "\\)")):
            addin.install(platform="windows", home=tmp_path, interpreter=interpreter,
                          dry_run=dry_run)
    assert where.config.read_bytes() == before
    assert not where.addin.exists()


def test_the_cli_refuses_an_injected_interpreter_in_one_line(tmp_path, capsys) -> None:
    home = tmp_path / "h"
    code = cli.main(["addin", "install", "--platform", "windows", "--home", str(home),
                     "--interpreter", 'C:\\py"\n"UDF Modules","os'])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "would break" in err
    assert "Traceback" not in err and "internal error" not in err
    assert not addin.layout("windows", home).config.exists()


def test_the_cli_reads_a_cp1252_config(tmp_path, capsys) -> None:
    home = tmp_path / "h"
    where = addin.layout("windows", home)
    where.config.parent.mkdir(parents=True)
    where.config.write_bytes(config_text(OTHER).encode("cp1252"))
    args = ["--platform", "windows", "--home", str(home)]
    assert cli.main(["addin", "install", *args, "--interpreter", JOSE]) == 0
    assert cli.main(["addin", "uninstall", *args]) == 0
    assert "internal error" not in capsys.readouterr().err
    assert addin_conf.read(where.config) == OTHER


@pytest.mark.parametrize("key,value", [("A", 'x"y'), ('K"', "v"), ("K\n", "v"),
                                       ("K", "line\x1bescape")])
def test_render_checks_keys_and_values(key, value) -> None:
    with pytest.raises(addin.AddinError, match="would break"):
        addin_conf.render({key: value}, "macos")


def test_values_the_format_holds_are_kept_as_they_are() -> None:
    entries = {"Interpreter_Win": r"C:\Program Files\Python 3.11\pythonw.exe",
               "Conda Env": "base, with a comma", "Empty": ""}
    data = addin_conf.render(entries, "windows")
    assert addin_conf.decode(data) == config_text(entries)
