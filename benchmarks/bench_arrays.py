"""One spilled formula against many single cells: a scalar UDF lifted over ranges.

- ``WINDOW_RETURN`` over 50 tickers (a column) x 6 windows (a row) as ONE UDF call,
  against the same 300 results as 300 separate UDF calls.
- ``ROTATION_SPREAD`` over 10 pairs x 6 windows, likewise.

Targets: the one call at most 3 ms warm, and at most one third of the 300 (60) calls.
Each xlwings call is also a COM round trip of milliseconds in Excel, which this
benchmark does not count: the real saving of one formula is larger still.

    python benchmarks/bench_arrays.py [--repeat N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from reference import DATA  # the bundled sample history, uncompressed

from smallcap import api, udfs
from smallcap.store import Store

FILES = {"^RUT": "RUT.csv", "^GSPC": "GSPC.csv", "^NDX": "NDX.csv", "IWM": "IWM.csv",
         "SPY": "SPY.csv", "QQQ": "QQQ.csv", "^DJI": "DJI.csv"}
NOTE = dt.datetime(2024, 7, 16)
WINDOWS = ["1W", "1M", "3M", "6M", "1Y", "YTD"]


def best(call, repeat: int) -> float:
    """Best seconds of ``call()`` over ``repeat`` runs (after one warm-up)."""
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


def fill(store: Store, tickers: int) -> list[str]:
    """The reference files, plus copies of them under made-up symbols up to ``tickers``."""
    for ticker, name in FILES.items():
        api.load_csv(ticker, DATA / name, store=store)
    names = list(FILES)
    for i in range(tickers - len(names)):
        source = names[i % len(FILES)]
        copy = f"T{i:02d}"
        store.write(copy, store.frame(source).reset_index(), "bench copy")
        names.append(copy)
    return names[:tickers]


def compare(label: str, one_call, many_calls, count: int, repeat: int) -> None:
    one = best(one_call, repeat)
    many = best(many_calls, repeat)
    print(f"{label}: one call {one * 1e3:.2f} ms (target <= 3 ms); {count} calls "
          f"{many * 1e3:.2f} ms ({many / count * 1e6:.1f} us each); one/many = "
          f"{one / many:.2f} (target <= 0.33)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.sqlite")
        tickers = fill(store, 50)
        api.use_store(store)
        column = [[t] for t in tickers]
        row = [WINDOWS]
        grid = udfs.WINDOW_RETURN(column, row, [[NOTE]])
        assert len(grid) == 50 and len(grid[0]) == 6
        compare("WINDOW_RETURN 50 x 6",
                lambda: udfs.WINDOW_RETURN(column, row, [[NOTE]]),
                lambda: [udfs.WINDOW_RETURN([[t]], [[w]], [[NOTE]])
                         for t in tickers for w in WINDOWS],
                300, options.repeat)
        pairs = [(small, large) for small in tickers[:10:2] for large in tickers[1:5:2]][:10]
        smalls, larges = [[s] for s, _ in pairs], [[g] for _, g in pairs]
        compare("ROTATION_SPREAD 10 pairs x 6",
                lambda: udfs.ROTATION_SPREAD(row, smalls, larges, [[NOTE]]),
                lambda: [udfs.ROTATION_SPREAD([[w]], [[s]], [[g]], [[NOTE]])
                         for s, g in pairs for w in WINDOWS],
                60, options.repeat)
        api.use_store(None)
        store.close()


if __name__ == "__main__":
    main()
