"""Adapter overhead of the Excel functions: each UDF (Excel-shaped arguments in, Excel
values out) against the same call of the pure ``smallcap.api`` function, warm (the store's
series already in memory, as in the long-lived UDF server).

Targets: the UDF at most 1.5x the API call, and under 50 microseconds of overhead.

    python benchmarks/bench_udfs.py [--number N]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools
import tempfile
import timeit
from pathlib import Path

from reference import DATA  # the bundled sample history, uncompressed

from smallcap import api, catalogue, udfs
from smallcap.store import Store

NOTE = dt.datetime(2024, 7, 16)
FILES = {"^RUT": "RUT.csv", "^GSPC": "GSPC.csv", "^TNX": "TNX.csv"}

# (UDF, Excel-shaped arguments, API function, the same arguments as Python values)
CALLS = [
    ("RUT_STREAK", (None, None, NOTE), api.streak_length, (0.01, "^RUT", NOTE)),
    ("STREAK_COUNT", (5.0, 0.01, "^RUT", None, NOTE), api.streak_count,
     (5, 0.01, "^RUT", "1979-01-01", NOTE)),
    ("ROTATION_SPREAD", ("1M", None, None, NOTE), api.rotation_spread,
     ("1M", "^RUT", "^GSPC", NOTE)),
    ("ROTATION_RATIO", ("1M", None, None, NOTE), api.rotation_ratio,
     ("1M", "^RUT", "^GSPC", NOTE)),
    ("WINDOW_RETURN", ("^RUT", "1M", NOTE), api.window_return, ("^RUT", "1M", NOTE)),
    ("HIGHEST_SINCE", ("^RUT", NOTE), api.highest_since, ("^RUT", NOTE)),
    ("RATE_BETA", (252.0, None, None, NOTE), api.rate_beta, (252, "^RUT", "^TNX", NOTE)),
    ("PRICE", ("^RUT", NOTE), api.price, ("^RUT", NOTE)),
    ("STREAK_EPISODES", (5.0, 0.01, None, None, NOTE), api.streak_episodes,
     (5, 0.01, "^RUT", "1979-01-01", NOTE)),
    ("FORWARD_RETURNS", (), api.forward_returns, ()),
    ("PRICE_HISTORY", ("^RUT", dt.datetime(2024, 1, 1), NOTE), api.price_history,
     ("^RUT", dt.datetime(2024, 1, 1), NOTE)),
    ("ROTATION_SERIES", ("1M", None, None, dt.datetime(2024, 1, 1), NOTE), api.rotation_series,
     ("1M", "^RUT", "^GSPC", dt.datetime(2024, 1, 1), NOTE)),
    ("DATA_STATUS", ("^RUT",), api.data_status, ("^RUT",)),
]


def paired(first, first_args, second, second_args, number: int,
           repeat: int = 15) -> tuple[float, float]:
    """Best seconds per call of two functions, timed in alternation so that a busy
    machine slows both alike."""
    first(*first_args)
    second(*second_args)
    times_a, times_b = [], []
    for _ in range(repeat):
        times_a.append(timeit.timeit(lambda: first(*first_args), number=number))
        times_b.append(timeit.timeit(lambda: second(*second_args), number=number))
    return min(times_a) / number, min(times_b) / number


def spilled(fn: catalogue.Function, *args: object) -> object:
    """A table function's answer in the spilled layout (what a cell shows), no Excel
    conversion: the call the UDF adds its adapter to."""
    return fn.call(api.current_store(), [*args, *[None] * (len(fn.arguments) - len(args))])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=2000, help="calls per timing")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.sqlite")
        for ticker, name in FILES.items():
            api.load_csv(ticker, DATA / name, store=store)
        api.use_store(store)
        print(f"{'function':<16} {'api us':>9} {'udf us':>9} {'overhead us':>12} {'ratio':>6}")
        worst_ratio, worst_overhead = 0.0, 0.0
        for name, excel_args, pure, python_args in CALLS:
            table = hasattr(pure(*python_args), "columns")
            if table:  # Python's tables are pandas-native; a cell's reference is the spilled one
                pure = functools.partial(spilled, catalogue.find(name))
            number = max(1, options.number // (20 if table else 1))
            t_api, t_udf = paired(pure, python_args, getattr(udfs, name), excel_args, number)
            ratio = t_udf / t_api
            overhead = (t_udf - t_api) * 1e6
            mark = " (table)" if table else ""
            print(f"{name:<16} {t_api * 1e6:9.1f} {t_udf * 1e6:9.1f} {overhead:12.1f} "
                  f"{ratio:6.2f}{mark}")
            if not table:
                worst_ratio = max(worst_ratio, ratio)
                worst_overhead = max(worst_overhead, overhead)
        # the adapter alone: a body that does nothing
        base = catalogue.find("RUT_STREAK")
        fn = dataclasses.replace(base, body=lambda reader, threshold, ticker, as_of: 0)
        bare, wrapped = paired(lambda *a: 0, (None, None, NOTE), udfs.excel_call,
                               (fn, "NOOP", ([[None]], [[None]], [[NOTE]]), {}),
                               options.number * 10)
        print(f"\nadapter alone (no-op body, 3 arguments): {(wrapped - bare) * 1e6:.2f} us per call")
        print(f"scalar functions: worst ratio {worst_ratio:.2f}x (target <= 1.5x), "
              f"worst overhead {worst_overhead:.1f} us (target < 50 us)")
        api.use_store(None)
        store.close()


if __name__ == "__main__":
    main()
