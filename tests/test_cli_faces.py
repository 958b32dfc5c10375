"""The command line a new user meets (issue 18): ``call`` formats by result kind in 80
columns, lists the functions, shows the last rows of a long table, prints JSON errors;
every error is one ``error:`` line with its fix; ``--store`` is checked first; the report
keeps its columns when a row is an error; exit codes 0 / 2 / 0 on a closed pipe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yahoo_server as server_module

import smallcap
from smallcap import catalogue, cli, report, service
from smallcap.commands.call import SHOWN_ROWS

yahoo_server = server_module.yahoo_server  # fixtures: a local Yahoo, reset per test
yahoo = server_module.yahoo
NOTE = "2024-07-16"


def main(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(code: int, err: str, words: str) -> None:
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and words in err, err


# -- call ---------------------------------------------------------------------------------


def test_call_without_a_function_lists_them_all(capsys) -> None:
    code, out, err = main(capsys, "call")
    assert (code, err) == (0, "")
    for fn in catalogue.functions():
        line = next(line for line in out.splitlines() if line.split()[:1] == [fn.name])
        assert fn.excel[0] in line and fn.summary[:40] in line
    assert cli.main(["call", "--help"]) == 0  # --help: the same list under the usage
    helped = capsys.readouterr().out
    assert all(fn.name in helped for fn in catalogue.functions())


def test_call_formats_by_result_kind(reference_store_path, capsys) -> None:
    store = str(reference_store_path)
    kw = {"store": reference_store_path}
    cases = {  # function args -> what the text shows, from the Python answer
        ("rotation_spread", "1M", "", "", NOTE):
            f"{smallcap.rotation_spread('1M', as_of=NOTE, **kw):.4%}",
        ("highest_since", "^RUT", NOTE): smallcap.highest_since("^RUT", NOTE, **kw).isoformat(),
        ("streak_count", "5", "", "", "", NOTE): "5",
        ("price", "^RUT", NOTE): f"{smallcap.price('^RUT', NOTE, **kw):.10g}",
    }
    for args, shown in cases.items():
        code, out, err = main(capsys, "--store", store, "call", *args)
        assert (code, err, out) == (0, "", shown + "\n"), args
        code, out, _ = main(capsys, "--store", store, "call", *args, "--json")
        value = json.loads(out)["value"]  # --json: every digit
        python = getattr(smallcap, args[0])(*[a or None for a in args[1:]], **kw)
        assert value == (python.isoformat() if hasattr(python, "isoformat") else python)


def test_call_table_fits_80_columns_with_whole_headers(reference_store_path, capsys) -> None:
    code, out, _ = main(capsys, "--store", str(reference_store_path), "call",
                        "forward_returns", "50")
    lines = out.splitlines()
    assert code == 0 and max(map(len, lines)) <= 80
    spilled = service.call("forward_returns", ["50"], store=reference_store_path)
    # every header whole, on one line; what does not fit beside the figures (the status,
    # last as Excel spills it) follows in a second block beside the signal column
    headers = [lines[0].split(), *(lines[k + 1].split() for k, line in enumerate(lines)
                                   if line == "")]
    assert all(header[0] == "signal" for header in headers) and len(headers) == 2
    assert [c for header in headers for c in header[1:]] == list(spilled.columns)[1:]
    assert headers[-1] == ["signal", "status"]
    assert any(line.split()[1:] == ["complete"] for line in lines[lines.index(""):])
    median = next(line for line in lines if line.startswith("median")).split()
    assert median[1] == f"{spilled.iloc[-3]['small_return']:.2%}"
    count = next(line for line in lines if line.startswith("count")).split()
    assert count[1] == str(int(spilled.iloc[-4]["small_return"]))  # a count, not 500.00%
    first = lines[2].split()
    assert first[0] == str(spilled.iloc[0]["signal"]) and first[5] == str(
        int(spilled.iloc[0]["peak_day"]))


def test_call_long_table_shows_the_last_rows_unless_all(reference_store_path, capsys) -> None:
    store = str(reference_store_path)
    code, out, _ = main(capsys, "--store", store, "call", "price_history", "^RUT")
    lines = out.splitlines()
    full = service.call("price_history", ["^RUT"], store=reference_store_path)
    assert code == 0 and len(lines) == 2 + SHOWN_ROWS + 1
    assert lines[-2].split()[0] == str(full["date"].iloc[-1])
    assert lines[-1] == (f"({len(full) - SHOWN_ROWS:,} earlier rows left out: --all shows "
                         "every row, --json prints them as JSON)")
    code, out, _ = main(capsys, "--store", store, "call", "price_history", "^RUT", "--all")
    assert len(out.splitlines()) == 2 + len(full)
    code, out, _ = main(capsys, "--store", store, "call", "price_history", "^RUT", "--json")
    assert len(json.loads(out)["rows"]) == len(full)


def test_call_json_errors_are_json_exit_2(reference_store_path, capsys) -> None:
    code, out, err = main(capsys, "--store", str(reference_store_path), "call", "price",
                          "^XYZ", "--json")
    assert (code, err) == (2, "")
    body = json.loads(out)
    assert body["error"]["code"] == "#N/A" and "no data for ^XYZ" in body["error"]["message"]


def test_did_you_mean(reference_store_path, capsys) -> None:
    store = str(reference_store_path)
    code, _, err = main(capsys, "--store", store, "call", "price", "RUT")
    one_error_line(code, err, "did you mean ^RUT?")
    code, _, err = main(capsys, "--store", store, "call", "rotation_sprad")
    one_error_line(code, err, "did you mean rotation_spread?")
    with pytest.raises(smallcap.NoData, match=r"did you mean \^GSPC\?"):  # every host
        smallcap.price("GSPC", store=reference_store_path)


def test_rate_beta_before_the_pair_starts_names_both_and_their_first_day(reference_store,
                                                                         capsys) -> None:
    rut, tnx = (reference_store.history(t).dates[0] for t in ("^RUT", "^TNX"))
    first = str(max(rut, tnx))[:10]  # the later start: a trading day of both
    with pytest.raises(smallcap.OutOfRange) as raised:
        smallcap.rate_beta(252, "^RUT", "^TNX", "1987-12-01", store=reference_store)
    assert f"^RUT and ^TNX both have ({first})" in str(raised.value)


# -- errors, exit codes, the store option -------------------------------------------------


@pytest.mark.parametrize("store", ["", "   "])
def test_an_empty_store_path_is_refused(store, capsys, monkeypatch, tmp_path) -> None:
    default = tmp_path / "default.sqlite"
    monkeypatch.setenv("SMALLCAP_STORE", str(default))
    code, _, err = main(capsys, "--store", store, "load-csv", "^RUT", str(tmp_path / "x.csv"),
                        "--replace")
    one_error_line(code, err, "--store: the store path is empty")
    assert not default.exists()


def test_a_store_in_a_missing_folder_is_refused_first(tmp_path, capsys) -> None:
    (tmp_path / "RUT.csv").write_text("Date,Close\n2024-01-02,100\n")
    target = tmp_path / "missing" / "s.sqlite"
    code, _, err = main(capsys, "--store", str(target), "load-csv", "^RUT",
                        str(tmp_path / "RUT.csv"))
    one_error_line(code, err, f"the folder {tmp_path / 'missing'} does not exist")
    assert not (tmp_path / "missing").exists()


def test_status_on_an_empty_store_names_it(tmp_path, capsys) -> None:
    path = tmp_path / "fresh.sqlite"
    code, out, _ = main(capsys, "--store", str(path), "status")
    assert code == 0 and str(path) in out and "smallcap refresh" in out


def test_swapped_load_csv_says_the_ticker_comes_first(tmp_path, capsys) -> None:
    csv = tmp_path / "RUT.csv"
    csv.write_text("Date,Close\n2024-01-02,100\n")
    store = tmp_path / "s.sqlite"
    code, _, err = main(capsys, "--store", str(store), "load-csv", str(csv), "^RUT")
    one_error_line(code, err, f"the ticker comes first: smallcap load-csv ^RUT {csv}")
    assert not store.exists()


def test_usage_errors_start_with_error(capsys) -> None:
    code, _, err = main(capsys, "no-such-command")
    one_error_line(code, err, "invalid choice")


def test_refresh_of_an_unknown_symbol_exits_2(yahoo, tmp_path, capsys) -> None:
    code, _, err = main(capsys, "--store", str(tmp_path / "s.sqlite"), "refresh", "VIX")
    assert code == 2 and err.startswith("error: VIX: ")  # the local Yahoo has no VIX
    assert "did you mean ^VIX?" in err


def test_report_into_a_closed_pipe_exits_0(reference_store_path) -> None:
    """``smallcap report | head -1``: the reader leaves early; not an error."""
    command = (f"{sys.executable} -m smallcap.cli --store {reference_store_path} report "
               "--no-refresh | head -1")
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "COLUMNS": "80"})
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert len(done.stdout.splitlines()) == 1


def test_report_keeps_80_columns_when_a_row_is_an_error(tmp_path, shared_data: Path) -> None:
    from smallcap.store import Store

    store = Store(tmp_path / "rut-only.sqlite")
    smallcap.load_csv("^RUT", shared_data / "RUT.csv", store=store)
    told = report.story(NOTE, store=store)
    failed = [c for c in told.claims if not c.ok]
    assert failed and all(c.figure == "#N/A" and "^GSPC" in c.detail or "^TNX" in c.detail
                          for c in failed)
    import io

    from rich.console import Console

    console = Console(width=80, file=io.StringIO(), color_system=None, force_terminal=False)
    report.print_story(told, console)
    lines = console.file.getvalue().splitlines()
    assert max(map(len, lines)) <= 80
    header = next(line for line in lines if "We find" in line)
    assert "The note said" in header and "How" in header  # no column collapsed
    store.close()
