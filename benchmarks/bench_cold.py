"""What a user waits for when Python starts: each figure from a fresh process, on a store
holding every bundled sample ticker, next to one numpy pass measured in this run.

- ``import pandas`` and ``import smallcap.udfs`` (what the xlwings server imports);
- the first answer: ``import smallcap.udfs`` then ``RUT_STREAK`` (loads ^RUT), then the
  first ``ROTATION_SPREAD`` (loads ^GSPC);
- loading a ticker's history (^GSPC, ^RUT) from the store: microseconds per row;
- the dashboard's whole first recalculation: every smallcap call in the formulas of
  ``workbook/smallcap.xlsx`` once, through ``smallcap.udfs`` (``dashboard_calls.py``);
- ``smallcap call rotation_series`` (every row, printed as a table);
- resident memory of a UDF process once every default ticker is loaded and the
  dashboard recalculated.

Each fresh-process figure is the median of a few runs. Targets (issue 20): import
smallcap.udfs <= 0.35 s where import pandas is 0.4 s (so <= 0.875x pandas), history load
<= 1 us a row, dashboard first recalculation <= 1 s, the command <= 1 s, memory < 150 MB.
Asserts nothing.

    python benchmarks/bench_cold.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dashboard_calls
import realpaths

HERE = Path(__file__).resolve().parent
IMPORT = """
import time, json
t = time.perf_counter()
import {module}
print(json.dumps({{"seconds": time.perf_counter() - t}}))
"""
FIRST = """
import time, json, datetime as dt
t = time.perf_counter()
import smallcap.udfs as udfs
imported = time.perf_counter()
note = dt.datetime(2024, 7, 16)
streak = udfs.RUT_STREAK([[0.01]], [["^RUT"]], [[note]])
first = time.perf_counter()
spread = udfs.ROTATION_SPREAD([["1M"]], [["^RUT"]], [["^GSPC"]], [[note]])
second = time.perf_counter()
assert isinstance(streak, int) and isinstance(spread, float), (streak, spread)
print(json.dumps({"import": imported - t, "first": first - t, "streak": first - imported,
                  "spread": second - first}))
"""
LOAD = """
import time, json
from smallcap.store import Store
out = {}
for ticker in ("^GSPC", "^RUT"):
    store = Store(__import__("os").environ["SMALLCAP_STORE"])
    t = time.perf_counter()
    history = store.history(ticker)
    out[ticker] = [time.perf_counter() - t, len(history)]
    store.close()
print(json.dumps(out))
"""
DASHBOARD = """
import time, json, pickle, sys
calls = pickle.loads(open(sys.argv[1], "rb").read())
t = time.perf_counter()
import smallcap.udfs as udfs
from smallcap import catalogue
imported = time.perf_counter()
errors = []
for name, args in calls:
    fn = catalogue.find(name)
    if fn.lifts:
        args = tuple(a if type(a) is list else [[a]] for a in args)
    value = getattr(udfs, name)(*args)
    if isinstance(value, str) and value.startswith("#"):
        errors.append(name + ": " + value)
done = time.perf_counter()
rss = 0
with open("/proc/self/status") as status:
    for line in status:
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) * 1024
for ticker in __import__("smallcap.settings").settings.default_tickers():
    udfs.PRICE([[ticker]], [[None]])
with open("/proc/self/status") as status:
    for line in status:
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) * 1024
print(json.dumps({"import": imported - t, "recalc": done - imported, "calls": len(calls),
                  "errors": errors[:3], "rss": rss}))
"""
CLI = "from smallcap.cli import main; import sys; sys.exit(main(['call', 'rotation_series', *sys.argv[1:]]))"


def cli_options(env: dict[str, str]) -> list[str]:
    """``--all`` where ``smallcap call`` shows only a table's last rows without it."""
    done = subprocess.run([sys.executable, "-c", CLI, "--help"], capture_output=True, text=True,
                          env=env, timeout=300)
    return ["--all"] if "--all" in done.stdout else []


def fresh(code: str, env: dict[str, str], *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=env, timeout=300)
    if done.returncode:
        raise SystemExit(f"a fresh process failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def median(runs: int, code: str, env: dict[str, str], *args: str) -> dict:
    results = [fresh(code, env, *args) for _ in range(runs)]
    return {key: statistics.median(r[key] for r in results) if isinstance(results[0][key], float
                                                                          | int) else
            results[0][key] for key in results[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    realpaths.check_covered()
    base = realpaths.numpy_pass(realpaths.rut_closes())
    print(f"one numpy pass (np.max over ^RUT's closes): {base * 1e6:.2f} us\n")
    from smallcap import udfs

    calls, skipped = dashboard_calls.calls(set(udfs.UDF_NAMES))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = {**os.environ, "SMALLCAP_STORE": str(realpaths.fill(folder))}
        pandas = median(options.runs, IMPORT.format(module="pandas"), env)["seconds"]
        xlwings = median(options.runs, IMPORT.format(module="xlwings"), env)["seconds"]
        ours = median(options.runs, IMPORT.format(module="smallcap.udfs"), env)["seconds"]
        first = median(options.runs, FIRST, env)
        loads = [fresh(LOAD, env) for _ in range(options.runs)]
        (folder / "calls.pickle").write_bytes(pickle.dumps(calls))
        board = median(options.runs, DASHBOARD, env, str(folder / "calls.pickle"))
        cli, extra = [], cli_options(env)
        for _ in range(options.runs):
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", CLI, *extra], capture_output=True,
                                  text=True, env=env, timeout=300)
            cli.append(time.perf_counter() - started)
            if done.returncode:
                raise SystemExit(f"smallcap call failed: {done.stderr[-500:]}")
        rows = sum(1 for line in done.stdout.splitlines() if line[:4].strip().isdigit())
    limit = 0.35 / 0.4
    print(f"import pandas:           {pandas * 1e3:7.0f} ms")
    print(f"import xlwings:          {xlwings * 1e3:7.0f} ms  ({xlwings / pandas:.2f}x pandas; "
          "xlwings imports pandas itself)")
    print(f"import smallcap.udfs:    {ours * 1e3:7.0f} ms  ({ours / pandas:.2f}x pandas; target "
          f"<= {limit:.3f}x: {'met' if ours <= limit * pandas else 'NOT MET'}); smallcap's own "
          f"part beyond xlwings {(ours - xlwings) * 1e3:.0f} ms")
    print(f"first RUT_STREAK:        {first['first'] * 1e3:7.0f} ms from import "
          f"({first['streak'] * 1e3:.1f} ms after it)")
    print(f"first ROTATION_SPREAD:   {first['spread'] * 1e3:7.1f} ms (loads ^GSPC)")
    for ticker in ("^GSPC", "^RUT"):
        seconds = statistics.median(r[ticker][0] for r in loads)
        count = loads[0][ticker][1]
        us = seconds / count * 1e6
        print(f"load {ticker:<6} {count:6d} rows: {seconds * 1e3:7.1f} ms ({us:.2f} us a row; "
              f"target <= 1 us: {'met' if us <= 1 else 'NOT MET'})")
    print(f"dashboard first recalc:  {board['recalc'] * 1e3:7.0f} ms for {board['calls']} calls "
          f"({board['recalc'] / base:.0f}x pass; target <= 1000 ms: "
          f"{'met' if board['recalc'] <= 1 else 'NOT MET'}); with the import "
          f"{(board['import'] + board['recalc']) * 1e3:.0f} ms")
    if board["errors"] or skipped:
        print(f"  errors: {board['errors']}; calls left out: {skipped}")
    seconds = statistics.median(cli)
    print(f"smallcap call rotation_series {' '.join(extra)}: {seconds * 1e3:5.0f} ms for {rows} "
          f"rows (fresh process; target <= 1000 ms: {'met' if seconds <= 1 else 'NOT MET'})")
    mb = board["rss"] / 2**20
    print(f"resident memory, UDF process, every default ticker loaded: {mb:.0f} MB "
          f"(target < 150 MB: {'met' if mb < 150 else 'NOT MET'})")


if __name__ == "__main__":
    main()
