"""CSV benchmark: what reading a price file costs, and how fast a hostile one is refused.

Run: python benchmarks/bench_csv.py

Reads the bundled ^GSPC history (the longest file) with ``read_price_csv``, and times the
line-limit check alone on it (the share of a read the limits cost); then the refusal of
hostile files before anything is parsed (issue 17, case 1): one data row of 30,000 and of
1,000,000 extra fields, one field of 1 MB, and a 60 MB file of 63-field lines (the whole
file scanned, refused at its row limit). Prints a table; asserts nothing.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from reference import DATA  # the bundled sample history, uncompressed

from smallcap.errors import SmallcapError
from smallcap.sources import csv_shape
from smallcap.sources.csv import read_price_csv


def median_ms(call: Callable[[], object], repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        try:
            call()
        except SmallcapError:
            pass
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    gspc = DATA / "GSPC.csv"
    data = gspc.read_bytes()
    print(f"{'case':<52} {'ms':>9}")
    print(f"{'read ^GSPC (' + format(len(data), ',') + ' bytes), whole read':<52} "
          f"{median_ms(lambda: read_price_csv(gspc)):9.2f}")
    print(f"{'  of which the line limits':<52} "
          f"{median_ms(lambda: csv_shape.check_shape(data, 'GSPC.csv'), 21):9.2f}")
    with tempfile.TemporaryDirectory() as folder:
        hostile = {
            "one row of 30,000 extra fields": "Date,Close\n2024-07-16,1" + ",1" * 30_000,
            "one row of 1,000,000 extra fields": "Date,Close\n2024-07-16,1" + ",1" * 1_000_000,
            "one field of 1 MB": "Date,Close\n2024-07-16,1" + "0" * 2**20,
            "60 MB of 63-field rows (refused at the row limit)": "Date,Close\n" + (
                "2024-07-16" + ",1" * 62 + "\n") * (60_000_000 // 135),
        }
        for label, text in hostile.items():
            path = Path(folder) / "hostile.csv"
            path.write_text(text + "\n")
            print(f"{'refuse ' + label:<52} {median_ms(lambda p=path: read_price_csv(p), 3):9.2f}")


if __name__ == "__main__":
    main()
