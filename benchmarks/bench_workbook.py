"""Build and headless-evaluation time of the dashboard workbook, on the reference data.

- build: ``smallcap.workbook.build`` (every formula's cached value comes from the UDFs),
  against ``api.data_table()`` alone (the Data sheet's payload) in the same run;
- evaluation: the ``formulas`` package loading the workbook (openpyxl + compiling every
  cell) and computing every cell with smallcap's functions plugged in;
- the rotation monitor: its one ``ROTATION_SPREAD`` over 4 pairs x 6 windows (the call
  that gives its cached values) against the 24 one-cell calls it replaces;
- rendering: LibreOffice's PDF conversion, when ``soffice`` is installed.

    python benchmarks/bench_workbook.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from reference import DATA  # the bundled sample history, uncompressed

from smallcap import api, workbook
from smallcap.store import Store

FILES = {"^RUT": "RUT.csv", "^GSPC": "GSPC.csv", "^NDX": "NDX.csv", "^DJI": "DJI.csv",
         "IWM": "IWM.csv", "SPY": "SPY.csv", "QQQ": "QQQ.csv", "^TNX": "TNX.csv"}


def timed(func, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-workbook-") as tmp:
        folder = Path(tmp)
        store = Store(folder / "store.sqlite")
        for ticker, name in FILES.items():
            api.load_csv(ticker, DATA / name, store=store)
        api.use_store(store)
        api.data_table()  # warm the store's in-memory series, as a long-lived process has
        table = timed(api.data_table, args.repeat)
        path = folder / "smallcap.xlsx"
        build = timed(lambda: workbook.build(path), args.repeat)
        result = workbook.build(path)
        static = timed(lambda: workbook.build(folder / "static.xlsx", static=True), 1)

        from smallcap import udfs
        from smallcap.workbook import explore

        windows = [list(explore.MONITOR_WINDOWS)]
        smalls = [[small] for small, _ in explore.MONITOR_PAIRS]
        larges = [[large] for _, large in explore.MONITOR_PAIRS]
        grid = timed(lambda: udfs.ROTATION_SPREAD(windows, smalls, larges), args.repeat * 5)
        one_by_one = timed(lambda: [udfs.ROTATION_SPREAD(w, s, g) for s, g in
                                    explore.MONITOR_PAIRS for w in explore.MONITOR_WINDOWS],
                           args.repeat * 5)

        import formulas

        workbook.formulas_functions()
        started = time.perf_counter()
        model = formulas.ExcelModel().loads(str(path)).finish()
        load = time.perf_counter() - started
        started = time.perf_counter()
        solution = model.calculate()
        calc = time.perf_counter() - started
        started = time.perf_counter()
        cells = workbook.evaluate(path)
        evaluate = time.perf_counter() - started

        spill = sum(c.rows * c.cols for c in result.formulas)
        print(f"workbook: {result.formula_count} formulas ({spill} cells with cached values), "
              f"{result.data_rows} Data rows x {len(api.data_table().columns)} columns, "
              f"{path.stat().st_size / 1e6:.2f} MB")
        print(f"data_table()          best {min(table):7.3f} s")
        print(f"build                 best {min(build):7.3f} s  median "
              f"{statistics.median(build):.3f} s  ({min(build) / min(table):.1f}x data_table)")
        print(f"build (values only)        {static[0]:7.3f} s")
        cells_ = len(explore.MONITOR_PAIRS) * len(explore.MONITOR_WINDOWS)
        print(f"monitor: one array call   {min(grid) * 1e3:7.2f} ms  ({cells_} cells; "
              f"{cells_} one-cell calls {min(one_by_one) * 1e3:.2f} ms)")
        print(f"evaluate: load+compile     {load:7.3f} s  ({len(solution)} nodes)")
        print(f"evaluate: calculate        {calc:7.3f} s")
        print(f"evaluate() end to end      {evaluate:7.3f} s  ({len(cells)} cells, "
              f"{len(cells) / evaluate:,.0f} cells/s, {evaluate / min(build):.1f}x build)")
        if workbook.soffice():
            started = time.perf_counter()
            workbook.render_pdf(path, folder / "pdf")
            render = time.perf_counter() - started
            print(f"LibreOffice PDF            {render:7.3f} s  ({render / min(build):.1f}x "
                  "build)")
        else:
            print("LibreOffice PDF            skipped (soffice not installed)")


if __name__ == "__main__":
    main()
