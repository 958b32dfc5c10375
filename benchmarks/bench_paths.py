"""The paths a user's call takes, warm, as ratios to one numpy pass measured in this run.

- every catalogue function through ``smallcap.udfs`` (what xlwings calls, arguments as
  xlwings hands them over) with the default store, in a process that already answered it;
- every function through ``smallcap.<fn>`` with the default store (no ``store=``);
- a lifted screen: ``WINDOW_RETURN`` over 50 tickers x 6 windows as one UDF call;
- ``smallcap serve``: requests per second with one client, and with 50 at once.

Targets (issue 20): scalar functions through udfs <= 3 numpy passes, through Python
<= 2; table functions through udfs (what Excel spills) <= 0.5 ms; the lifted screen
<= 3 ms. Each function is timed in alternation with the numpy pass (best of several
rounds each), so that other work on the machine slows both alike. Asserts nothing.

    python benchmarks/bench_paths.py [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import realpaths
from realpaths import EXCEL_ARGS, NOTE

SCALAR_UDF, SCALAR_PY, TABLE_MS, SCREEN_MS = 3.0, 2.0, 0.5, 3.0
WINDOWS = ["1W", "1M", "3M", "6M", "1Y", "YTD"]
SERVER = """
import sys
from smallcap import service
server = service.listen("127.0.0.1", 0)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def warm_calls(closes) -> None:
    from smallcap import api, catalogue, udfs

    print("each function timed in alternation with the numpy pass; 'x pass' is the ratio")
    print(f"{'function':<18}{'udfs us':>9}{'x pass':>8}{'python us':>11}{'x pass':>8}"
          f"{'pass us':>9}  target")
    for fn in catalogue.functions():
        name = fn.excel[0]
        args = EXCEL_ARGS[name]
        udf = getattr(udfs, name)
        excel = realpaths.udf_args(fn.lifts, args)
        python = getattr(api, fn.name)
        py_args = realpaths.python_args(args)
        number = 200 if fn.lifts else 20
        t_udf, base_udf = realpaths.paired(lambda u=udf, a=excel: u(*a), closes, number, 25)
        t_py, base_py = realpaths.paired(lambda f=python, a=py_args: f(*a), closes, number, 25)
        r_udf, r_py = t_udf / base_udf, t_py / base_py
        if fn.lifts:
            target = (f"udfs <= {SCALAR_UDF:.0f}x {verdict(r_udf <= SCALAR_UDF)}, "
                      f"python <= {SCALAR_PY:.0f}x {verdict(r_py <= SCALAR_PY)}")
        else:
            target = f"udfs <= {TABLE_MS} ms {verdict(t_udf * 1e3 <= TABLE_MS)}"
        print(f"{name:<18}{t_udf * 1e6:9.1f}{r_udf:8.1f}{t_py * 1e6:11.1f}{r_py:8.1f}"
              f"{min(base_udf, base_py) * 1e6:9.2f}  {target}")


def lifted_screen(base: float, folder: Path) -> None:
    from smallcap import api, udfs
    from smallcap.store import Store

    store = Store(folder / "screen.sqlite")
    names = []
    source = api.current_store()
    for i, ticker in enumerate(t for t in source.tickers() for _ in range(7)):
        copy = f"T{i:02d}"
        store.write(copy, source.frame(ticker).reset_index(), "bench copy")
        names.append(copy)
        if len(names) == 50:
            break
    api.use_store(store)
    column, row = [[t] for t in names], [WINDOWS]
    seconds = realpaths.per_call(lambda: udfs.WINDOW_RETURN(column, row, [[NOTE]]), 20)
    print(f"\nlifted screen WINDOW_RETURN 50 tickers x 6 windows: {seconds * 1e3:.2f} ms "
          f"({seconds / base:.0f}x pass; target <= {SCREEN_MS:.0f} ms "
          f"{verdict(seconds * 1e3 <= SCREEN_MS)})")
    api.use_store(None)
    store.close()


def http_paths() -> list[str]:
    from smallcap import catalogue

    found = []
    for fn in catalogue.functions():
        if not fn.lifts:
            continue
        values = realpaths.python_args(EXCEL_ARGS[fn.excel[0]])
        query = {a.name: (v.date().isoformat() if hasattr(v, "date") else v)
                 for a, v in zip(fn.arguments, values, strict=True)}
        found.append(f"/{fn.name}?{urllib.parse.urlencode(query)}")
    return found


async def one_request(port: int, path: str) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    reply = await reader.read()
    writer.close()
    return int(reply.split(b" ", 2)[1])


async def clients(port: int, paths: list[str], count: int, each: int) -> tuple[float, int]:
    """``count`` clients sending ``each`` requests one after the other: seconds, errors."""

    async def client(k: int) -> int:
        return sum([await one_request(port, paths[(k + i) % len(paths)]) != 200
                    for i in range(each)])

    started = time.perf_counter()
    errors = await asyncio.gather(*(client(k) for k in range(count)))
    return time.perf_counter() - started, sum(errors)


def http(base: float, store_path: Path, requests: int) -> None:
    paths = http_paths()
    env = {**os.environ, "SMALLCAP_STORE": str(store_path)}
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE,
                              text=True, env=env)
    try:
        port = int(server.stdout.readline())
        asyncio.run(clients(port, paths, 10, len(paths)))  # warm
        print(f"\nsmallcap serve ({len(paths)} scalar functions in turn; one connection a "
              "request):")
        for count in (1, 50):
            seconds, errors = asyncio.run(clients(port, paths, count, requests // count))
            rate = requests / seconds
            print(f"  {count:>2} client(s): {rate:7.0f} requests/s ({1 / rate / base:.0f}x pass "
                  f"a request), {errors} errors")
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    options = parser.parse_args()
    realpaths.check_covered()
    closes = realpaths.rut_closes()
    base = realpaths.numpy_pass(closes)
    print(f"one numpy pass (np.max over ^RUT's closes): {base * 1e6:.2f} us\n")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store_path = realpaths.fill(folder)
        from smallcap import api

        api.use_store(store_path)  # the default store, as SMALLCAP_STORE would choose it
        warm_calls(closes)
        lifted_screen(base, folder)
        api.current_store().close()
        http(base, store_path, options.requests)


if __name__ == "__main__":
    main()
