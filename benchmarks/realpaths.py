"""What the benchmarks of the real call paths share (``bench_paths.py``, ``bench_cold.py``):
a store holding every bundled sample ticker, the note's arguments of every catalogue
function (as xlwings hands them to a UDF, and as Python values), and the yardstick,
one numpy pass (``np.max`` over ^RUT's closes), measured in the same run.
Imported by the scripts beside it (``import realpaths``)."""

from __future__ import annotations

import datetime as dt
import timeit
from pathlib import Path

import numpy as np
from reference import DATA  # the bundled sample history, uncompressed

NOTE = dt.datetime(2024, 7, 16)
START = dt.datetime(2024, 1, 1)
SINCE = "1979-01-01"

# Excel name -> the note's arguments as xlwings hands them over (numbers as floats, dates
# as datetime). Every catalogue function is here: ``check_covered`` says so.
EXCEL_ARGS: dict[str, tuple] = {
    "RUT_STREAK": (0.01, "^RUT", NOTE),
    "STREAK_COUNT": (5.0, 0.01, "^RUT", SINCE, NOTE),
    "STREAK_EPISODES": (5.0, 0.01, "^RUT", SINCE, NOTE),
    "ROTATION_SPREAD": ("1M", "^RUT", "^GSPC", NOTE),
    "ROTATION_RATIO": ("1M", "^RUT", "^GSPC", NOTE),
    "ROTATION_SERIES": ("1M", "^RUT", "^GSPC", START, NOTE),
    "WINDOW_RETURN": ("^RUT", "1M", NOTE),
    "HIGHEST_SINCE": ("^RUT", NOTE),
    "FORWARD_RETURNS": (50.0, 5.0, 0.01, "^RUT", "^GSPC", SINCE, NOTE),
    "SPREAD_PERCENTILE": ("1M", "^RUT", "^GSPC", NOTE, SINCE),
    "RETURN_PERCENTILE": ("^RUT", "1M", NOTE, SINCE),
    "RATE_BETA": (252.0, "^RUT", "^TNX", NOTE),
    "PRICE": ("^RUT", NOTE),
    "PRICE_HISTORY": ("^RUT", START, NOTE),
    "DATA_STATUS": ("^RUT",),
}


def python_args(args: tuple) -> tuple:
    """The same arguments as a Python user writes them (whole numbers as ints)."""
    return tuple(int(a) if type(a) is float and a.is_integer() and a > 1 else a for a in args)


def udf_args(lifts: bool, args: tuple) -> tuple:
    """Arguments as xlwings hands them to a UDF: ``[[v]]`` where the UDF takes ``ndim=2``
    (every lifted, i.e. scalar, function)."""
    return tuple([[a]] for a in args) if lifts else args


def check_covered() -> None:
    """Every catalogue function has its arguments above (a new one must be added)."""
    from smallcap import api, catalogue  # noqa: F401 (api fills the catalogue)

    missing = [fn.excel[0] for fn in catalogue.functions() if fn.excel[0] not in EXCEL_ARGS]
    if missing:
        raise SystemExit(f"benchmarks/realpaths.py: no arguments for {', '.join(missing)}")


def fill(folder: Path) -> Path:
    """A store at ``folder/bench.sqlite`` holding every sample ticker; returns its path."""
    from smallcap.settings import INDEX_FILES
    from smallcap.sources import csv
    from smallcap.store import Store

    path = folder / "bench.sqlite"
    store = Store(path)
    for file in sorted(DATA.glob("*.csv")):
        csv.load(store, INDEX_FILES.get(file.stem, file.stem), file)
    store.close()
    return path


def per_call(call, number: int, repeat: int = 7) -> float:
    """Best seconds per call of ``call()`` (``number`` calls per timing, best of ``repeat``)."""
    call()
    return min(timeit.repeat(call, number=number, repeat=repeat)) / number


def paired(call, closes: np.ndarray, number: int, rounds: int = 9) -> tuple[float, float]:
    """Best seconds per call of ``call()`` and of one numpy pass over ``closes``, timed
    in alternation (``rounds`` each), so that a machine busy with other work slows both
    alike and the ratio stays honest."""
    call()
    numpy, ours = [], []
    for _ in range(rounds):
        numpy.append(timeit.timeit(lambda: np.max(closes), number=number))
        ours.append(timeit.timeit(call, number=number))
    return min(ours) / number, min(numpy) / number


def numpy_pass(closes: np.ndarray) -> float:
    """Seconds of one numpy pass over ``closes`` (``np.max``): the yardstick."""
    return per_call(lambda: np.max(closes), 5000, 9)


def rut_closes() -> np.ndarray:
    """^RUT's closes, read from the sample file (no smallcap code in the yardstick)."""
    text = (DATA / "RUT.csv").read_text().splitlines()[1:]
    return np.array([float(line.split(",")[1]) for line in text if line])
