"""The command line, run as a user runs it (a subprocess of the installed console script)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yahoo_server as server_module

from smallcap import cli, settings
from smallcap.errors import StoreError

yahoo_server = server_module.yahoo_server  # fixtures: a local Yahoo, reset per test
yahoo = server_module.yahoo


def run(store: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smallcap.cli", "--store", str(store), *args],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def test_load_csv_then_report_shows_the_note(tmp_path: Path, shared_data: Path) -> None:
    store = tmp_path / "s.sqlite"
    for ticker, name in (("^RUT", "RUT.csv"), ("^GSPC", "GSPC.csv"), ("^TNX", "TNX.csv")):
        done = run(store, "load-csv", ticker, str(shared_data / name))
        assert done.returncode == 0, done.stderr
    again = run(store, "load-csv", "^RUT", str(shared_data / "RUT.csv"))
    assert again.stdout.startswith("^RUT: 0 rows added, 0 revised")
    report = run(store, "report", "--as-of", "2024-07-16", "--no-refresh")
    assert report.returncode == 0, report.stderr
    out = report.stdout
    for figure in ("+3.50%", "2022-01-04", "5 days", "+12.84%", "+4.34%", "2.96x",
                   "1998-10-20", "starts 1987-09-10"):
        assert figure in out, figure


def test_load_dir_maps_index_names(tmp_path: Path, shared_data: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("RUT.csv", "IWM.csv"):
        (folder / name).write_bytes((shared_data / name).read_bytes())
    store = tmp_path / "s.sqlite"
    assert run(store, "load-dir", str(folder)).returncode == 0
    status = run(store, "status")
    assert "^RUT" in status.stdout and "IWM" in status.stdout and "9686" in status.stdout


def test_call_prints_values_and_json(reference_store_path: Path) -> None:
    done = run(reference_store_path, "call", "streak_count", "5", "0.01", "^RUT", "",
               "2024-07-16")
    assert done.stdout.strip() == "5"
    done = run(reference_store_path, "call", "streak_episodes", "5", "0.01", "^RUT",
               "2009-01-01", "2024-07-16", "--json")
    table = json.loads(done.stdout)
    signal = table["columns"].index("signal")
    assert [r[signal] for r in table["rows"]] == ["2009-09-10", "2020-04-28", "2024-07-16"]
    done = run(reference_store_path, "call", "ROTATION_RATIO", "1M", "", "", "2024-07-16",
               "--json")
    assert json.loads(done.stdout)["value"] == pytest.approx(2.959, abs=1e-3)


@pytest.mark.parametrize("args,message", [
    (("call", "price", "^XYZ"), "no data for ^XYZ"),
    (("call", "no_such_function"), "is not a smallcap function"),
    (("call", "price", "^RUT", "2024-07-16", "extra"), "takes at most 2 arguments"),
    (("call", "rotation_spread", "2M"), "window: '2M' is not a window"),
    (("report", "--as-of", "1900-01-01", "--no-refresh"), "before the first stored date"),
    (("load-csv", "^RUT", "/nonexistent.csv"), "no such file"),
    (("load-csv", "bad/ticker", "/nonexistent.csv"), "ticker"),
])
def test_errors_are_one_line_exit_2(reference_store_path: Path, args, message: str) -> None:
    done = run(reference_store_path, *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_report_offline_on_empty_store_points_at_load_csv(tmp_path: Path) -> None:
    done = run(tmp_path / "empty.sqlite", "report",
               env={"SMALLCAP_YAHOO_URL": "http://127.0.0.1:9", "SMALLCAP_TICKERS": "^RUT"})
    text = done.stdout + done.stderr
    assert "load-csv" in text
    assert "Traceback" not in text
    assert done.returncode == 2  # README: errors exit 2 (issue 10)


# -- in process: global options, exit codes, one-line errors ------------------------------

def main(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


NOTE_CALL = ("call", "streak_count", "5", "0.01", "^RUT", "", "2024-07-16")


@pytest.mark.parametrize("args", [
    ("--store", "{ref}", *NOTE_CALL),
    (*NOTE_CALL, "--store", "{ref}"),
    ("--store", "{other}", *NOTE_CALL, "--store", "{ref}"),  # the last one given wins
    ("-v", "--store", "{ref}", *NOTE_CALL),
    (*NOTE_CALL, "-v", "--store", "{ref}"),
    (*NOTE_CALL, "--store={ref}", "--verbose"),
])
def test_global_options_before_or_after_the_command(reference_store_path, tmp_path, capsys,
                                                    args) -> None:
    filled = [a.format(ref=reference_store_path, other=tmp_path / "other.sqlite") for a in args]
    assert main(capsys, *filled) == (0, "5\n", "")
    assert settings.chosen_store() is None  # restored after the command


def test_status_and_report_take_options_after_the_command(reference_store_path,
                                                           capsys) -> None:
    code, out, _ = main(capsys, "status", "--store", str(reference_store_path))
    assert code == 0 and "^RUT" in out and str(reference_store_path) in out.replace("\n", "")
    code, out, _ = main(capsys, "report", "--as-of", "2024-07-16", "--no-refresh", "-v",
                        "--store", str(reference_store_path))
    assert code == 0 and "+3.50%" in out
    code, out, _ = main(capsys, "workbook", "build", "--store", str(reference_store_path),
                        "-h")
    assert code == 0 and "--store PATH" in out and "-v, --verbose" in out


def test_usage_errors_are_one_line_exit_2(capsys) -> None:
    code, out, err = main(capsys, "report", "--bogus")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "unrecognized arguments: --bogus" in err
    code, out, err = main(capsys, "no-such-command")
    assert code == 2 and err.count("\n") == 1 and "invalid choice" in err
    assert main(capsys, "--help")[0] == 0


@pytest.fixture
def failing_status(monkeypatch):
    """Make ``smallcap status`` raise what the test sets."""
    from smallcap.commands import core

    raised: list[BaseException] = []

    def run_status(args):
        raise raised[0]

    monkeypatch.setattr(core, "run_status", run_status)
    return raised


def test_an_internal_error_is_one_line_exit_2(failing_status, capsys) -> None:
    failing_status.append(RuntimeError("boom\nwith a second line"))
    code, out, err = main(capsys, "status")
    assert (code, out) == (2, "")
    assert err == ("error: internal error: RuntimeError: boom with a second line "
                   "(rerun with -v for details)\n")


def test_an_internal_error_shows_its_traceback_with_v(failing_status, capsys) -> None:
    failing_status.append(ZeroDivisionError("division by zero"))
    code, _, err = main(capsys, "status", "-v")
    assert code == 2 and "Traceback (most recent call last)" in err
    assert err.splitlines()[-1] == ("error: internal error: ZeroDivisionError: division by "
                                    "zero (see the traceback above)")


@pytest.mark.parametrize("raised,code,err", [
    (KeyboardInterrupt(), 130, "error: interrupted; the store keeps what it held before\n"),
    (BrokenPipeError(32, "Broken pipe"), 0, ""),  # the reader left (smallcap report | head)
    (PermissionError(13, "Permission denied", "/locked/file"), 2,
     "error: /locked/file: Permission denied\n"),
    (StoreError("cannot open the store at /x: disk I/O error"), 2,
     "error: cannot open the store at /x: disk I/O error\n"),
])
def test_exit_codes(failing_status, capsys, raised, code, err) -> None:
    failing_status.append(raised)
    assert main(capsys, "status") == (code, "", err)


def test_refresh_quiet_offline_is_one_line_exit_3(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("SMALLCAP_YAHOO_URL", "http://127.0.0.1:9")
    code, out, err = main(capsys, "refresh", "-q", "^RUT", "IWM", "--store",
                          str(tmp_path / "s.sqlite"))
    assert code == 3 and err == ""
    assert out.count("\n") == 1 and out.startswith("offline: cannot reach Yahoo Finance; 2 ")
    assert out.rstrip().endswith(" — cannot connect to the Yahoo server at "
                                 "http://127.0.0.1:9 (no network, or the server is down)")


def test_refresh_quiet_unknown_symbol_is_one_line_exit_2(yahoo, tmp_path, capsys) -> None:
    store = str(tmp_path / "s.sqlite")
    code, out, err = main(capsys, "refresh", "-q", "^XYZ", "^RUT", "--store", store)
    assert code == 2 and err == "" and out.count("\n") == 1  # an unknown symbol: user error
    assert out.startswith("refreshed 1/2 ticker(s)") and "failed: ^XYZ" in out
    assert " — ^XYZ: Yahoo Finance has no data for ^XYZ" in out
    code, out, err = main(capsys, "refresh", "^XYZ", "--store", store)  # not quiet: why
    assert code == 2 and err.startswith("error: ^XYZ: Yahoo Finance has no data for ^XYZ")
    code, out, err = main(capsys, "refresh", "-q", "^RUT", "--store", store)
    assert code == 0 and err == "" and out.count("\n") == 1


@pytest.mark.parametrize("target,text", [
    ("{tmp}", "is a folder: give a file name, e.g. {tmp}/smallcap.xlsx"),
    ("{tmp}/plain.txt/book.xlsx", "{tmp}/plain.txt is not a folder"),
    ("/dev/null", "/dev/null is not a regular file"),
])
def test_workbook_build_into_a_bad_path_is_one_line_exit_2(reference_store_path, tmp_path,
                                                           capsys, target, text) -> None:
    (tmp_path / "plain.txt").write_text("x")
    code, out, err = main(capsys, "workbook", "build", target.format(tmp=tmp_path),
                          "--store", str(reference_store_path))
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert err.startswith("error: PATH: ") and text.format(tmp=tmp_path) in err


def test_workbook_build_that_cannot_write_is_one_line_exit_2(reference_store_path, tmp_path,
                                                             capsys, monkeypatch) -> None:
    from xlsxwriter.exceptions import FileCreateError

    from smallcap import workbook

    def build(path, **options):  # what xlsxwriter raises when the file cannot be created
        raise FileCreateError(PermissionError(13, "Permission denied", str(path)))

    monkeypatch.setattr(workbook, "build", build)
    target = tmp_path / "book.xlsx"
    code, out, err = main(capsys, "workbook", "build", str(target), "--store",
                          str(reference_store_path))
    assert (code, out) == (2, "")
    assert err == f"error: PATH: cannot write {target}: Permission denied\n"


@pytest.mark.parametrize("args,text", [
    (("addin", "build", "--out", "/dev/null", "--dry-run"), "--out: /dev/null is not a folder"),
    (("addin", "install", "--platform", "windows", "--home", "/dev/null", "--dry-run"),
     "--home: /dev/null is not a folder"),
    (("addin", "uninstall", "--platform", "macos", "--home", "/dev/null"),
     "--home: /dev/null is not a folder"),
    (("workbook", "render", "/nonexistent.xlsx"), "PATH: /nonexistent.xlsx is not a workbook"),
])
def test_paths_that_are_not_what_the_option_needs(capsys, args, text) -> None:
    code, out, err = main(capsys, *args)
    assert (code, out) == (2, "") and err.startswith(f"error: {text}")
    assert err.count("\n") == 1
