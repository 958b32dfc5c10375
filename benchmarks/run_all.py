"""Run every benchmark in this folder, one after the other, and print their reports.

Usage: python benchmarks/run_all.py [NAME ...]   (e.g. core freshness refresh udfs workbook)
Benchmarks print figures and ratios measured in one run; none of them fails on speed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in names]
    status = 0
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        status |= subprocess.run([sys.executable, str(script)]).returncode
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
