"""Bytes and seconds of a full first refresh of ^RUT (40 years) vs an incremental one,
against the local Yahoo server (tests/yahoo_server.py), through the real yfinance code.

Prints the figures and the ratio; asserts nothing. Run: ``python benchmarks/bench_refresh.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from yahoo_server import YahooServer  # noqa: E402

TICKER = "^RUT"
REPEAT = 5


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-refresh-"))
    os.environ["SMALLCAP_YFINANCE_CACHE"] = str(tmp / "yfinance-cache")
    from smallcap.sources.refresh import refresh
    from smallcap.store import Store

    with YahooServer() as server:
        os.environ["SMALLCAP_YAHOO_URL"] = server.url
        full_bytes, full_secs, rows = [], [], 0
        for i in range(REPEAT):
            store = Store(tmp / f"full-{i}.sqlite")
            server.log.clear()
            began = time.perf_counter()
            report = refresh([TICKER], store=store)
            full_secs.append(time.perf_counter() - began)
            assert report.ok, report.summary()
            full_bytes.append(server.bytes_served())
            rows = report.results[0].added
            store.close()

        store = Store(tmp / "full-0.sqlite")
        inc_bytes, inc_secs, inc_requests = [], [], []
        for _ in range(REPEAT):  # a second refresh the same day: only the overlap
            server.log.clear()
            began = time.perf_counter()
            report = refresh([TICKER], store=store)
            inc_secs.append(time.perf_counter() - began)
            assert report.ok and report.results[0].added == 0
            inc_bytes.append(server.bytes_served())
            inc_requests.append(len(server.log))

        # a refresh after ten new trading days
        server.cutoff[TICKER] = np.datetime64("2026-02-06")
        later = Store(tmp / "later.sqlite")
        refresh([TICKER], store=later)
        server.cutoff.clear()
        server.log.clear()
        began = time.perf_counter()
        report = refresh([TICKER], store=later)
        new_secs = time.perf_counter() - began
        new_bytes, new_added = server.bytes_served(), report.results[0].added

    fb, fs = statistics.median(full_bytes), statistics.median(full_secs)
    ib, is_ = statistics.median(inc_bytes), statistics.median(inc_secs)
    print(f"{TICKER}: {rows} daily rows (1987-2026), local Yahoo server, median of {REPEAT}")
    print(f"full first refresh : {fb:>10,.0f} bytes  {fs * 1000:8.1f} ms")
    print(f"incremental (same day, {statistics.median(inc_requests):.0f} requests)"
          f": {ib:>10,.0f} bytes  {is_ * 1000:8.1f} ms")
    print(f"incremental (+{new_added} new days): {new_bytes:>10,.0f} bytes  "
          f"{new_secs * 1000:8.1f} ms")
    print(f"incremental / full : bytes {ib / fb:.3%}  time {is_ / fs:.1%}  "
          f"(target: bytes under 1%)")


if __name__ == "__main__":
    main()
