"""Per-ticker freshness: the first call after a write, against a warm call, in one run.

Run: python benchmarks/bench_freshness.py

A reader Store holds ^RUT and ^GSPC warm (the UDF server's situation). Then:

(a) another writer rewrites a *different* ticker (QQQ, every row) and we time the
    reader's first RUT_STREAK and ROTATION_SPREAD call: target <= 1 ms. The writer is
    a second Store object on the same file, and once a separate process.
(b) the reader's own ticker gets an incremental refresh (five new trading days of ^RUT,
    written by the other Store, then by the reader's own Store) and we time the first
    call: target <= 5 ms.

For scale: the same calls on a cold Store (every History read in full), which is what
every first call paid before (one write anywhere dropped every cached History).
Each figure is a median of REPEAT rounds, in milliseconds and as a ratio to the warm
call measured in the same run. Prints a table; asserts nothing.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from reference import DATA  # the bundled sample history, uncompressed

ROOT = Path(__file__).resolve().parents[1]
FILES = {"^RUT": "RUT.csv", "^GSPC": "GSPC.csv", "QQQ": "QQQ.csv"}
REPEAT = 15
TARGETS_MS = {"a": 1.0, "b": 5.0}
REWRITE_QQQ = """
import sys
from smallcap import api
api.load_csv("QQQ", sys.argv[2], store=sys.argv[1], replace=True)
"""


def ms(call: Callable[[], object]) -> float:
    start = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - start) / 1e6


def warm_ms(call: Callable[[], object], repeat: int = 2000) -> float:
    call()
    return statistics.median(ms(call) for _ in range(repeat))


def first_call_ms(before: Callable[[], object], call: Callable[[], object],
                  repeat: int = REPEAT) -> float:
    """Median time of ``call`` right after ``before`` (a write), over ``repeat`` rounds."""
    samples = []
    for _ in range(repeat):
        before()
        samples.append(ms(call))
    return statistics.median(samples)


def main() -> None:
    import smallcap
    from smallcap import api
    from smallcap.store import Store

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite"
        writer = Store(path)
        for ticker, name in FILES.items():
            api.load_csv(ticker, DATA / name, store=writer)
        qqq = writer.frame("QQQ").reset_index()
        reader = Store(path)
        calls = {
            "RUT_STREAK": lambda: smallcap.streak_length(0.01, "^RUT", store=reader),
            "ROTATION_SPREAD": lambda: smallcap.rotation_spread("1M", "^RUT", "^GSPC",
                                                                store=reader),
        }
        last = [writer.last_date("^RUT")]

        def new_rut_days(store: Store) -> Callable[[], object]:
            def write() -> None:  # five new trading days after the last stored one
                days = pd.bdate_range(last[0] + pd.Timedelta(days=1), periods=5)
                closes = 2000 + np.arange(5.0)
                store.write("^RUT", pd.DataFrame({"date": days, "close": closes}), "bench")
                last[0] = days[-1].date()
            return write

        def rewrite_qqq() -> None:
            writer.write("QQQ", qqq, "bench", replace=True)

        def rewrite_qqq_in_a_process() -> None:
            subprocess.run([sys.executable, "-c", REWRITE_QQQ, str(path), str(DATA / "QQQ.csv")],
                           check=True)

        def cold() -> None:
            nonlocal reader
            reader.close()
            reader = Store(path)

        rows = []
        for name, call in calls.items():
            warm = warm_ms(call)
            rows.append((name, "warm (cached Histories)", warm, warm, ""))
            rows.append((name, "(a) another Store rewrote QQQ", first_call_ms(rewrite_qqq, call),
                         warm, "a"))
            rows.append((name, "(a) another process rewrote QQQ",
                         first_call_ms(rewrite_qqq_in_a_process, call, 3), warm, "a"))
            rows.append((name, "(b) another Store added 5 ^RUT days",
                         first_call_ms(new_rut_days(writer), call), warm, "b"))
            rows.append((name, "(b) own Store added 5 ^RUT days",
                         first_call_ms(new_rut_days(reader), call), warm, "b"))
            rows.append((name, "cold Store: every History read", first_call_ms(cold, call, 5),
                         warm, ""))
        reader.close()
        writer.close()

    print(f"first call after a write, median of {REPEAT} rounds (3 for a separate process)\n")
    print(f"{'function':<16}{'after':<38}{'ms':>9}{'x warm':>9}  target")
    for name, case, figure, warm, target in rows:
        limit = TARGETS_MS.get(target)
        verdict = "" if limit is None else (f"<= {limit:g} ms " +
                                            ("ok" if figure <= limit else "OVER"))
        print(f"{name:<16}{case:<38}{figure:>9.3f}{figure / warm:>9.1f}  {verdict}")


if __name__ == "__main__":
    main()
