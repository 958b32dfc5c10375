"""Latency of ``smallcap serve`` under 200 concurrent requests on loopback, in one run.

Run: python benchmarks/bench_service.py [--concurrent 200] [--idle 300]
(loads the sample history bundled with the package)

The server runs in its own process (``service.listen`` + ``serve_forever``, default
workers and timeout) on a store of ^RUT and ^GSPC; the clients are asyncio connections in
this process, one HTTP/1.1 GET each (the server answers HTTP/1.0 and closes). Scenarios:

- sequential: one request at a time (the latency of a lone client);
- concurrent: CONCURRENT connections opened at once, each timed from connect to the last
  byte of the answer;
- concurrent + idle: the same while IDLE connections sit open without sending a byte
  (they hold a socket each, never a worker thread).

Prints p50 / p99 / max in milliseconds, requests per second, errors, and p50 and p99 as
ratios to the sequential median measured in the same run. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reference import DATA  # the bundled sample history, uncompressed

FILES = {"^RUT": "RUT.csv", "^GSPC": "GSPC.csv"}
PATHS = ("/streak_count?length=5&as_of=2024-07-16", "/price?ticker=%5ERUT&date=2024-07-16",
         "/rotation_spread?window=1M&as_of=2024-07-16", "/window_return?window=1M")
SERVER = """
import sys
from smallcap import service
from smallcap.store import Store
server = service.listen("127.0.0.1", 0, store=Store(sys.argv[1]))
print(server.server_address[1], server.workers, server.timeout, flush=True)
server.serve_forever()
"""


async def request(port: int, path: str) -> tuple[float, int]:
    """Seconds from connect to the end of the answer, and the status (0: failed)."""
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        reply = await reader.read()
        writer.close()
        status = int(reply.split(b" ", 2)[1])
    except (OSError, ValueError, IndexError):
        status = 0
    return time.perf_counter() - started, status


async def concurrent(port: int, count: int) -> tuple[list[float], list[int], float]:
    started = time.perf_counter()
    done = await asyncio.gather(*(request(port, PATHS[i % len(PATHS)]) for i in range(count)))
    wall = time.perf_counter() - started
    return [d[0] for d in done], [d[1] for d in done], wall


async def with_idle(port: int, count: int, idle: int) -> tuple[list[float], list[int], float]:
    held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(idle)]
    try:
        return await concurrent(port, count)
    finally:
        for _, writer in held:
            writer.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrent", type=int, default=200)
    parser.add_argument("--idle", type=int, default=300)
    options = parser.parse_args()
    from smallcap import api
    from smallcap.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite"
        store = Store(path)
        for ticker, name in FILES.items():
            api.load_csv(ticker, DATA / name, store=store)
        store.close()
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(path)],
                                  stdout=subprocess.PIPE, text=True)
        try:
            port_text, workers, timeout = server.stdout.readline().split()
            port = int(port_text)
            asyncio.run(concurrent(port, 20))  # warm: histories loaded, threads started
            sequential = [asyncio.run(request(port, PATHS[i % len(PATHS)]))[0]
                          for i in range(options.concurrent)]
            base = statistics.median(sequential)
            rows = [("sequential", sequential, [200], sum(sequential))]
            lat, statuses, wall = asyncio.run(concurrent(port, options.concurrent))
            rows.append((f"{options.concurrent} concurrent", lat, statuses, wall))
            lat, statuses, wall = asyncio.run(with_idle(port, options.concurrent, options.idle))
            rows.append((f"{options.concurrent} concurrent + {options.idle} idle", lat,
                         statuses, wall))
        finally:
            server.terminate()
            server.wait(10)
    print(f"smallcap serve on loopback: {workers} workers, timeout {timeout} s; "
          f"{len(PATHS)} scalar functions in turn")
    print(f"{'scenario':<30} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'req/s':>7} "
          f"{'errors':>6} {'p50 x seq':>9} {'p99 x seq':>9}")
    for name, lat, statuses, wall in rows:
        errors = sum(s != 200 for s in statuses)
        p50, p99 = percentile(lat, 50), percentile(lat, 99)
        print(f"{name:<30} {p50 * 1e3:8.2f} {p99 * 1e3:8.2f} {max(lat) * 1e3:8.2f} "
              f"{len(lat) / wall:7.0f} {errors:6d} {p50 / base:9.1f} {p99 / base:9.1f}")


if __name__ == "__main__":
    main()
