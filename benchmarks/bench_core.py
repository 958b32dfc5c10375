"""Core benchmark: warm per-call time of every catalogue function, and import cost.

Run: python benchmarks/bench_core.py

Each figure is a median over many calls on the full ^RUT history with a warm store
(histories cached in memory for the store version), reported in microseconds and as
a ratio to one numpy pass over ^RUT's closes (``np.max``), measured in the same run.
Import cost is measured with ``python -X importtime`` against ``import pandas``.
Targets (issue 2): scalar functions <= 50 us per warm call; importing smallcap costs
at most 20% more than importing pandas. Prints a table; asserts nothing.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from reference import DATA  # the bundled sample history, uncompressed

ROOT = Path(__file__).resolve().parents[1]
FILES = {"^RUT": "RUT.csv", "^GSPC": "GSPC.csv", "^TNX": "TNX.csv"}
NOTE = "2024-07-16"
SCALAR_TARGET_US = 50.0


def median_us(call: Callable[[], object], repeat: int = 2000) -> float:
    call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


def import_us(statement: str, runs: int = 7) -> float:
    """Median cumulative import time (us) of ``statement``'s top module, cold process."""
    totals = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-X", "importtime", "-c", statement],
                              capture_output=True, text=True, check=True)
        total = 0
        for line in done.stderr.splitlines():
            match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
            if match and not match.group(2).startswith(" "):
                total += int(match.group(1))
        totals.append(total)
    return statistics.median(totals)


def main() -> None:
    import smallcap
    from smallcap import api
    from smallcap.store import Store

    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "bench.sqlite")
        for ticker, name in FILES.items():
            api.load_csv(ticker, DATA / name, store=store)
        closes = store.history("^RUT").close
        baseline = median_us(lambda: np.max(closes), 5000)
        kw = {"store": store}
        scalar = {
            "streak_length": lambda: smallcap.streak_length(0.01, "^RUT", NOTE, **kw),
            "streak_count": lambda: smallcap.streak_count(5, 0.01, "^RUT", "1979-01-01", NOTE,
                                                          **kw),
            "rotation_spread": lambda: smallcap.rotation_spread("1M", "^RUT", "^GSPC", NOTE, **kw),
            "rotation_ratio": lambda: smallcap.rotation_ratio("1M", "^RUT", "^GSPC", NOTE, **kw),
            "window_return": lambda: smallcap.window_return("^RUT", "1M", NOTE, **kw),
            "highest_since": lambda: smallcap.highest_since("^RUT", NOTE, **kw),
            "rate_beta": lambda: smallcap.rate_beta(252, "^RUT", "^TNX", NOTE, **kw),
            "price": lambda: smallcap.price("^RUT", NOTE, **kw),
        }
        tables = {
            "streak_episodes": lambda: smallcap.streak_episodes(5, 0.01, "^RUT", **kw),
            "rotation_series": lambda: smallcap.rotation_series("1M", "^RUT", "^GSPC",
                                                                "2024-01-01", NOTE, **kw),
            "forward_returns": lambda: smallcap.forward_returns(**kw),
            "price_history": lambda: smallcap.price_history("^RUT", "2024-01-01", NOTE, **kw),
            "data_status": lambda: smallcap.data_status("^RUT", **kw),
        }
        print(f"one numpy pass over {len(closes)} ^RUT closes (np.max): {baseline:.2f} us\n")
        print(f"{'function':<18}{'median us':>10}{'x numpy pass':>14}  target")
        worst = 0.0
        for name, call in scalar.items():
            us = median_us(call)
            worst = max(worst, us)
            verdict = "ok" if us <= SCALAR_TARGET_US else "OVER"
            print(f"{name:<18}{us:>10.1f}{us / baseline:>14.1f}  <= {SCALAR_TARGET_US:.0f} us {verdict}")
        for name, call in tables.items():
            us = median_us(call, 300)
            print(f"{name:<18}{us:>10.1f}{us / baseline:>14.1f}  (table)")
        store.close()
    print(f"\nslowest scalar function: {worst:.1f} us")

    pandas_us = import_us("import pandas")
    package_us = import_us("import smallcap")
    full_us = import_us("import smallcap.api")
    print(f"\nimport pandas:        {pandas_us / 1000:8.1f} ms")
    print(f"import smallcap:      {package_us / 1000:8.1f} ms  ({package_us / pandas_us:.2f}x pandas)")
    print(f"import smallcap.api:  {full_us / 1000:8.1f} ms  ({full_us / pandas_us:.2f}x pandas; "
          "target <= 1.20x)")


if __name__ == "__main__":
    main()
