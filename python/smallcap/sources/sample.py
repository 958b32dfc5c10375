"""The bundled sample history: real Yahoo closes that travel with the package.

``smallcap/sample_data/`` holds one ``NAME.csv.gz`` (``Date,Close``) per ticker, named as
``load-dir`` names files (``RUT`` holds ``^RUT``, see :data:`smallcap.settings.INDEX_FILES`),
with its provenance in the folder's README. It lets a fresh machine with no network see
the report (``smallcap report --sample``) and lets the test suite run from a clone. The
tickers are whatever files are there: nothing here lists them again.
"""

from __future__ import annotations

import gzip
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .. import params, settings
from ..store import Store, WriteResult
from . import csv

FOLDER = Path(__file__).resolve().parents[1] / "sample_data"
SUFFIX = ".csv.gz"


def files() -> dict[str, Path]:
    """Ticker -> compressed file, for every file of the bundle, in name order."""
    found = {}
    for path in sorted(FOLDER.glob(f"*{SUFFIX}")):
        stem = path.name[: -len(SUFFIX)]
        found[params.ticker(settings.INDEX_FILES.get(stem, stem), "sample file")] = path
    return found


def extract(folder: str | Path) -> Path:
    """Write every sample file uncompressed as ``NAME.csv`` into ``folder`` (created when
    missing); returns the folder. ``smallcap load-dir FOLDER`` loads the result."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for path in files().values():
        (folder / path.name[: -len(".gz")]).write_bytes(gzip.decompress(path.read_bytes()))
    return folder


def load(store: Store) -> Iterator[tuple[str, WriteResult]]:
    """Load every sample ticker into ``store`` (one transaction each, the usual checks),
    yielding each ticker and what its write did."""
    with tempfile.TemporaryDirectory(prefix="smallcap-sample-") as tmp:
        folder = extract(tmp)
        for ticker, path in files().items():
            yield ticker, csv.load(store, ticker, folder / path.name[: -len(".gz")])
